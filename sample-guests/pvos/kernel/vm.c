/* Virtual memory: each process's Sv32 page table, the heap (sbrk and lazy
 * allocation) and copying between the kernel and a process's memory.
 *
 * Sv32 in one paragraph: a virtual address is 10 bits of level-1 index,
 * 10 bits of level-0 index and 12 bits of offset.  The root table (one
 * page, 1024 entries) points to level-0 tables, whose entries point to the
 * 4 KiB pages; an entry is the physical page number << 10 and the bits
 * V R W X U A D.  The kernel runs on physical addresses (pvlab never
 * translates kernel mode), so a page's physical address is also the
 * kernel's pointer to it, and the kernel needs no mapping of its own in
 * any page table: user page tables map only the user's pages.
 *
 * The kernel never dereferences a user pointer.  A user address means
 * something only through that process's page table, so every system call
 * argument that points into user memory goes through copyin / copyout /
 * copyinstr, which walk the table page by page and refuse anything the
 * process could not touch itself: that is why a bad pointer gives -1 and
 * never a kernel panic. */
#include <string.h>

#include "kernel.h"

#define PA2PTE(pa) (((uint32_t)(uintptr_t)(pa) >> 12) << 10)
#define PTE2PA(pte) (((pte) >> 10) << 12)

/* The level-0 entry for va, or NULL if its level-0 table does not exist
 * (alloc 0) or cannot be allocated (alloc 1). */
static pte_t *walk(pagetable_t pt, uint32_t va, int alloc) {
  pte_t *l1 = &pt[va >> 22];
  if (!(*l1 & PTE_V)) {
    if (!alloc) return NULL;
    void *table = kalloc();
    if (!table) return NULL;
    *l1 = PA2PTE(table) | PTE_V; /* V alone: a pointer to the next level */
  }
  pagetable_t l0 = (pagetable_t)(uintptr_t)PTE2PA(*l1);
  return &l0[(va >> 12) & 0x3ffu];
}

pagetable_t uvm_create(void) { return kalloc(); }

/* Maps the page at va to physical page pa; -1 if out of memory or if va is
 * mapped already (a hostile ELF file's overlapping segments, say). */
int uvm_map(pagetable_t pt, uint32_t va, void *pa, uint32_t perm) {
  pte_t *pte = walk(pt, va, 1);
  if (!pte || (*pte & PTE_V)) return -1;
  *pte = PA2PTE(pa) | perm | PTE_V;
  return 0;
}

/* Fresh zeroed pages for every page that [va, va + len) touches. */
int uvm_alloc(pagetable_t pt, uint32_t va, uint32_t len, uint32_t perm) {
  for (uint32_t a = PGROUNDDOWN(va); a < va + len; a += PGSIZE) {
    void *pg = kalloc();
    if (!pg) return -1;
    if (uvm_map(pt, a, pg, perm) < 0) {
      kfree(pg);
      return -1;
    }
  }
  return 0;
}

/* The physical page mapped at va, or NULL. */
void *uvm_pa(pagetable_t pt, uint32_t va) {
  pte_t *pte = walk(pt, va, 0);
  return pte && (*pte & PTE_V) ? (void *)(uintptr_t)PTE2PA(*pte) : NULL;
}

/* Frees the pages mapped in [start, end), leaving holes alone: a lazy heap
 * has pages that were never touched and so never mapped. */
static void uvm_unmap(pagetable_t pt, uint32_t start, uint32_t end) {
  for (uint32_t a = start; a < end; a += PGSIZE) {
    pte_t *pte = walk(pt, a, 0);
    if (!pte || !(*pte & PTE_V)) continue;
    kfree((void *)(uintptr_t)PTE2PA(*pte));
    *pte = 0;
  }
}

/* Frees a whole address space: the user pages, the level-0 tables, the root. */
void uvm_free(pagetable_t pt) {
  for (uint32_t i = 0; i < 1024; i++) {
    if (!(pt[i] & PTE_V)) continue;
    pagetable_t l0 = (pagetable_t)(uintptr_t)PTE2PA(pt[i]);
    for (uint32_t j = 0; j < 1024; j++)
      if (l0[j] & PTE_V) kfree((void *)(uintptr_t)PTE2PA(l0[j]));
    kfree(l0);
  }
  kfree(pt);
}

/* A page fault at va in p: if va is in the heap, this is the first touch
 * of a page sbrk() promised but never allocated; give it one now, zeroed,
 * and the faulting instruction runs again.  Anywhere else it is a real
 * fault (-1) and the process dies (trap.c). */
int vm_lazy_fault(struct proc *p, uint32_t va) {
#ifndef EXERCISE_LAZY
  if (va < p->heap_start || va >= p->sz) return -1;
  void *pg = kalloc();
  if (!pg) return -1; /* out of memory: the process dies, not the kernel */
  if (uvm_map(p->pagetable, PGROUNDDOWN(va), pg, PTE_R | PTE_W | PTE_U) < 0) {
    kfree(pg);
    return -1;
  }
  return 0;
#else
  /* TODO(lazy): sbrk() only moved p->sz.  If va lies in the heap,
   * [p->heap_start, p->sz), give its page a zeroed physical page (kalloc)
   * mapped readable and writable for the user (uvm_map) and return 0:
   * the faulting instruction then runs again.  See README.md. */
  (void)p;
  (void)va;
  return -1;
#endif
}

/* sbrk(n): moves the break by n bytes and sets *old to where it was.
 * Growing allocates nothing (vm_lazy_fault does, on first touch); shrinking
 * frees the pages wholly above the new break. */
int vm_sbrk(struct proc *p, int n, uint32_t *old) {
  *old = p->sz;
  if (n >= 0) {
    if ((uint32_t)n > UHEAP_MAX - p->sz) return -1;
    p->sz += (uint32_t)n;
    return 0;
  }
  uint32_t shrink = 0u - (uint32_t)n;
  if (shrink > p->sz - p->heap_start) return -1;
  uint32_t brk = p->sz - shrink;
  uvm_unmap(p->pagetable, PGROUNDUP(brk), PGROUNDUP(p->sz));
  pv_mmu_flush(); /* user mode may have the freed pages' translations cached */
  p->sz = brk;
  return 0;
}

/* p's page-table entry for user address va, or NULL when nothing is mapped
 * there.  An untouched heap page is mapped now, as if p had touched it. */
static pte_t *user_pte(struct proc *p, uint32_t va) {
  pte_t *pte = walk(p->pagetable, va, 0);
  if ((!pte || !(*pte & PTE_V)) && vm_lazy_fault(p, va) == 0)
    pte = walk(p->pagetable, va, 0);
  return pte && (*pte & PTE_V) ? pte : NULL;
}

#ifndef EXERCISE_COPY
/* The kernel's pointer to user address va, if p itself could access it
 * with perm (PTE_R or PTE_W): mapped, for the user, with that permission. */
static char *user_ptr(struct proc *p, uint32_t va, uint32_t perm) {
  if (va >= USTACK_TOP) return NULL;
  pte_t *pte = user_pte(p, va);
  if (!pte || (*pte & (PTE_U | perm)) != (PTE_U | perm)) return NULL;
  return (char *)(uintptr_t)PTE2PA(*pte) + (va & (PGSIZE - 1));
}

/* The bytes of a user buffer are contiguous only within a page: the next
 * virtual page may be anywhere in physical memory, or nowhere.  So every
 * copy goes a page at a time, checking each page. */
int copyin(struct proc *p, void *dst, uint32_t srcva, uint32_t len) {
  for (char *d = dst; len > 0;) {
    const char *s = user_ptr(p, srcva, PTE_R);
    if (!s) return -1;
    uint32_t n = PGSIZE - (srcva & (PGSIZE - 1));
    if (n > len) n = len;
    memcpy(d, s, n);
    d += n, srcva += n, len -= n;
  }
  return 0;
}

int copyout(struct proc *p, uint32_t dstva, const void *src, uint32_t len) {
  for (const char *s = src; len > 0;) {
    char *d = user_ptr(p, dstva, PTE_W);
    if (!d) return -1;
    uint32_t n = PGSIZE - (dstva & (PGSIZE - 1));
    if (n > len) n = len;
    memcpy(d, s, n);
    s += n, dstva += n, len -= n;
  }
  return 0;
}

/* A NUL-terminated string of at most max bytes (its NUL included). */
int copyinstr(struct proc *p, char *dst, uint32_t srcva, uint32_t max) {
  for (uint32_t i = 0; i < max; i++, srcva++) {
    const char *s = user_ptr(p, srcva, PTE_R);
    if (!s) return -1;
    if ((dst[i] = *s) == '\0') return 0;
  }
  return -1; /* no NUL within max bytes */
}
#else
/* TODO(copy): write copyin, copyout and copyinstr (README.md): walk p's
 * page table a page at a time (user_pte() gives the entry for one user
 * address), and return -1 unless every page is mapped for the user (PTE_U)
 * with the permission the copy needs (PTE_R to read, PTE_W to write).
 * Until then every system call that takes a pointer fails. */
static void copy_missing(void) {
  static int told;
  if (!told++)
    kprintf("pvos: copyin(), copyout() and copyinstr() are not written yet (exercise copy): "
            "every system call that takes a pointer fails\n");
}

int copyin(struct proc *p, void *dst, uint32_t srcva, uint32_t len) {
  (void)p, (void)dst, (void)srcva, (void)len, (void)user_pte;
  copy_missing();
  return -1;
}

int copyout(struct proc *p, uint32_t dstva, const void *src, uint32_t len) {
  (void)p, (void)dstva, (void)src, (void)len;
  copy_missing();
  return -1;
}

int copyinstr(struct proc *p, char *dst, uint32_t srcva, uint32_t max) {
  (void)p, (void)dst, (void)srcva, (void)max;
  copy_missing();
  return -1;
}
#endif
