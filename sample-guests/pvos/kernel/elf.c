/* The ELF loader: puts a program from the file system into a fresh
 * address space.
 *
 * An ELF executable says where each piece of it goes: its program headers
 * list the PT_LOAD segments, each with a virtual address, the bytes in the
 * file and how much memory it takes (more than the file has: .bss, zeros).
 * The loader maps fresh pages for each segment, with the permissions the
 * segment asks for, and reads the file's bytes into them.
 *
 * A program file is the user's to make, so nothing in it is trusted: every
 * number is checked, and a bad file makes spawn() fail, never the kernel. */
#include <string.h>

#include "kernel.h"

#define ELF_MAGIC 0x464c457fu /* "\x7fELF" */
#define ET_EXEC 2
#define EM_RISCV 243
#define PT_LOAD 1
#define PF_X 1
#define PF_W 2
#define MAX_PHDRS 16

struct elfhdr {
  uint32_t magic;
  uint8_t class, data, version, osabi, pad[8]; /* class 1: 32-bit; data 1: little-endian */
  uint16_t type, machine;
  uint32_t version2, entry, phoff, shoff, flags;
  uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct proghdr {
  uint32_t type, off, vaddr, paddr, filesz, memsz, flags, align;
};

static int header_ok(const struct elfhdr *eh) {
  return eh->magic == ELF_MAGIC && eh->class == 1 && eh->data == 1 &&
         eh->type == ET_EXEC && eh->machine == EM_RISCV &&
         eh->phentsize == sizeof(struct proghdr) && eh->phnum <= MAX_PHDRS;
}

/* One segment: pages for [vaddr, vaddr + memsz), then the file's bytes,
 * a page at a time (the pages are contiguous in virtual memory only). */
static int load_segment(struct proc *p, uint32_t inum, const struct proghdr *ph) {
  if (ph->memsz < ph->filesz || ph->vaddr % PGSIZE != 0 || ph->vaddr < USER_BASE ||
      ph->memsz > UHEAP_MAX - ph->vaddr)
    return -1;
  uint32_t perm = PTE_U | PTE_R | (ph->flags & PF_W ? PTE_W : 0) | (ph->flags & PF_X ? PTE_X : 0);
  if (uvm_alloc(p->pagetable, ph->vaddr, ph->memsz, perm) < 0) return -1;
  for (uint32_t done = 0; done < ph->filesz; done += PGSIZE) {
    uint32_t n = ph->filesz - done < PGSIZE ? ph->filesz - done : PGSIZE;
    void *page = uvm_pa(p->pagetable, ph->vaddr + done);
    if (ph->off + done < ph->off || fs_read(inum, ph->off + done, page, n) != (int)n) return -1;
  }
  uint32_t end = PGROUNDUP(ph->vaddr + ph->memsz);
  if (end > p->heap_start) p->heap_start = p->sz = end; /* the heap starts after */
  return 0;
}

/* Loads file inum into p's (empty) address space; *entry gets the address
 * of the program's first instruction. */
int elf_load(struct proc *p, uint32_t inum, uint32_t *entry) {
  struct elfhdr eh;
  struct proghdr ph;
  if (fs_read(inum, 0, &eh, sizeof eh) != (int)sizeof eh || !header_ok(&eh)) return -1;
  int loaded = 0;
  for (uint32_t i = 0; i < eh.phnum; i++) {
    uint32_t off = eh.phoff + i * (uint32_t)sizeof ph;
    if (off < eh.phoff || fs_read(inum, off, &ph, sizeof ph) != (int)sizeof ph) return -1;
    if (ph.type != PT_LOAD || ph.memsz == 0) continue;
    if (load_segment(p, inum, &ph) < 0) return -1;
    loaded++;
  }
  *entry = eh.entry;
  return loaded > 0 ? 0 : -1;
}
