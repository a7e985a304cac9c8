/* A guest's symbol table: address -> "symbol+offset" and name -> address,
 * for diagnostics, the disassembler and the monitor. */
#ifndef PVLAB_MACHINE_SYMTAB_H
#define PVLAB_MACHINE_SYMTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sym {
  uint32_t addr;
  uint32_t size; /* 0 when the ELF gives none (assembly labels) */
  bool is_func;
  char *name;    /* owned */
} sym;

typedef struct symtab {
  sym *syms;     /* sorted by addr, then name */
  size_t n;
  sym **by_name; /* the same symbols sorted by name */
} symtab;

/* Adds one symbol (copies name); returns false when out of memory.  Call
 * symtab_finish() once after the last add and before any lookup. */
bool symtab_add(symtab *t, const char *name, uint32_t addr, uint32_t size,
                bool is_func) __attribute__((warn_unused_result));
bool symtab_finish(symtab *t) __attribute__((warn_unused_result));
void symtab_free(symtab *t);

/* The symbol containing addr: the one with the greatest address <= addr
 * whose size covers it, where a symbol with no size covers up to the next
 * symbol's address.  NULL if none (e.g. padding after a sized function). */
const sym *symtab_find(const symtab *t, uint32_t addr);
/* Writes "name" or "name+off" (off in decimal) for addr; returns false and
 * writes nothing useful when no symbol contains it. */
bool symtab_format(const symtab *t, uint32_t addr, char *buf, size_t size);
/* Address of a symbol by exact name. */
bool symtab_lookup(const symtab *t, const char *name, uint32_t *addr);

#endif
