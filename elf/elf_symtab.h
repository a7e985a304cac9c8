/* A guest's symbol table: address -> "symbol+offset" and name -> address,
 * for diagnostics, the disassembler and the monitor. */
#ifndef PVLAB_ELF_SYMTAB_H
#define PVLAB_ELF_SYMTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct elf_sym {
  uint32_t addr;
  uint32_t size; /* 0 when the ELF gives none (assembly labels) */
  bool is_func;
  char *name;    /* owned */
} elf_sym;

typedef struct elf_symtab {
  elf_sym *syms;     /* sorted by addr, then name */
  size_t n;
  elf_sym **by_name; /* the same symbols sorted by name */
} elf_symtab;

/* Adds one symbol (copies name); returns false when out of memory.  Call
 * elf_symtab_finish() once after the last add and before any lookup. */
bool elf_symtab_add(elf_symtab *t, const char *name, uint32_t addr, uint32_t size,
                bool is_func) __attribute__((warn_unused_result));
bool elf_symtab_finish(elf_symtab *t) __attribute__((warn_unused_result));
void elf_symtab_free(elf_symtab *t);

/* The symbol containing addr: the one with the greatest address <= addr
 * whose size covers it, where a symbol with no size covers up to the next
 * symbol's address.  NULL if none (e.g. padding after a sized function). */
const elf_sym *elf_symtab_find(const elf_symtab *t, uint32_t addr);
/* Writes "name" or "name+off" (off in decimal) for addr; returns false and
 * writes nothing useful when no symbol contains it. */
bool elf_symtab_format(const elf_symtab *t, uint32_t addr, char *buf, size_t size);
/* Address of a symbol by exact name. */
bool elf_symtab_lookup(const elf_symtab *t, const char *name, uint32_t *addr);

#endif
