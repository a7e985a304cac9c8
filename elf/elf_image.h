/* ELF32 RISC-V executables: parsed from bytes, checked, loaded into RAM.
 *
 * elf_parse() validates everything it can without knowing the machine
 * (magic, class, endianness, machine, header and segment bounds); elf_load()
 * checks the PT_LOAD segments against a RAM window and copies them.  Every
 * refusal is a pvl_error naming the file and the problem. */
#ifndef PVLAB_ELF_IMAGE_H
#define PVLAB_ELF_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host.h"
#include "elf_symtab.h"

typedef struct elf_segment {
  uint32_t vaddr;  /* guest physical address (p_paddr == p_vaddr required) */
  uint32_t filesz; /* bytes taken from the file */
  uint32_t memsz;  /* bytes in memory; the rest is zero */
  uint32_t offset; /* file offset of the bytes */
  uint32_t flags;  /* PF_R / PF_W / PF_X */
} elf_segment;

typedef struct elf_image {
  char *name;        /* file name, for messages */
  uint8_t *data;     /* the whole file, owned */
  size_t size;
  uint32_t entry;
  elf_segment *segs; /* PT_LOAD segments with memsz > 0, in file order */
  size_t nsegs;
  elf_symtab syms;       /* may be empty (stripped file) */
} elf_image;

/* Reads and parses path.  On failure img is left empty (elf_free-safe). */
bool elf_open(elf_image *img, const char *path, host_error *err)
    __attribute__((warn_unused_result));
/* Parses a copy of data[0..size); name is used in messages. */
bool elf_parse(elf_image *img, const uint8_t *data, size_t size,
               const char *name, host_error *err)
    __attribute__((warn_unused_result));
/* Checks that every segment lies inside [ram_base, ram_base+ram_size), that
 * no two overlap and that the entry point is inside an executable segment,
 * then copies them into ram (zero-filling memsz beyond filesz; with
 * clear_ram, zeroing all of ram first).  ram is not touched unless every
 * check passes. */
bool elf_load(const elf_image *img, uint8_t *ram, uint32_t ram_base,
              uint32_t ram_size, bool clear_ram, host_error *err)
    __attribute__((warn_unused_result));
/* The name of the allocated section holding addr (".text", ".bss" ...),
 * for the monitor's "info symbol"; false when none does. */
bool elf_section_at(const elf_image *img, uint32_t addr, char *name,
                    size_t size);
void elf_free(elf_image *img);

#endif
