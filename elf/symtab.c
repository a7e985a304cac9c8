/* Symbol lookup both ways.  Symbols arrive in ELF order; elf_symtab_finish()
 * sorts a by-address and a by-name view once so every lookup is a binary
 * search (the monitor symbolizes every disassembled line). */
#include "elf_symtab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* how many symbols below an address a lookup looks at, at most */
#define SYMTAB_WALK 64

bool elf_symtab_add(elf_symtab *t, const char *name, uint32_t addr, uint32_t size,
                bool is_func) {
  if ((t->n & (t->n - 1)) == 0) { /* grow at powers of two */
    size_t cap = t->n ? t->n * 2 : 64;
    elf_sym *grown = realloc(t->syms, cap * sizeof *grown);
    if (!grown) return false;
    t->syms = grown;
  }
  char *copy = strdup(name);
  if (!copy) return false;
  t->syms[t->n++] = (elf_sym){addr, size, is_func, copy};
  return true;
}

static int by_addr(const void *a, const void *b) {
  const elf_sym *x = a, *y = b;
  if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
  /* at one address, prefer a function, then a sized symbol, then the name,
   * so that "main" wins over a local label at the same place */
  if (x->is_func != y->is_func) return x->is_func ? -1 : 1;
  if ((x->size != 0) != (y->size != 0)) return x->size ? -1 : 1;
  return strcmp(x->name, y->name);
}

static int by_name(const void *a, const void *b) {
  const elf_sym *const *x = a, *const *y = b;
  return strcmp((*x)->name, (*y)->name);
}

bool elf_symtab_finish(elf_symtab *t) {
  if (t->n == 0) return true;
  qsort(t->syms, t->n, sizeof *t->syms, by_addr);
  free(t->by_name);
  t->by_name = malloc(t->n * sizeof *t->by_name);
  if (!t->by_name) return false;
  for (size_t i = 0; i < t->n; i++) t->by_name[i] = &t->syms[i];
  qsort(t->by_name, t->n, sizeof *t->by_name, by_name);
  return true;
}

void elf_symtab_free(elf_symtab *t) {
  for (size_t i = 0; i < t->n; i++) free(t->syms[i].name);
  free(t->syms);
  free(t->by_name);
  memset(t, 0, sizeof *t);
}

const elf_sym *elf_symtab_find(const elf_symtab *t, uint32_t addr) {
  /* lo = one past the last symbol whose address is <= addr */
  size_t lo = 0, hi = t->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (t->syms[mid].addr <= addr) lo = mid + 1;
    else hi = mid;
  }
  /* Walk back to the nearest symbol that covers addr: a sized one that
   * ends before it (a small object inside a function) is skipped, an
   * unsized label covers everything up to the next symbol, so only the
   * nearest address's labels can.  Among equal addresses the sort put the
   * best name first, so the walk ends on it. */
  const elf_sym *found = NULL;
  uint32_t nearest = lo ? t->syms[lo - 1].addr : 0;
  for (size_t i = lo, steps = 0; i-- > 0 && steps < SYMTAB_WALK; steps++) {
    const elf_sym *s = &t->syms[i];
    if (found && s->addr != found->addr) break;
    if (s->size == 0 ? s->addr == nearest : addr - s->addr < s->size) found = s;
    else if (found) break;
  }
  return found;
}

bool elf_symtab_format(const elf_symtab *t, uint32_t addr, char *buf, size_t size) {
  const elf_sym *s = elf_symtab_find(t, addr);
  if (!s) {
    if (size) buf[0] = 0;
    return false;
  }
  if (addr == s->addr) snprintf(buf, size, "%s", s->name);
  else snprintf(buf, size, "%s+%u", s->name, (unsigned)(addr - s->addr));
  return true;
}

bool elf_symtab_lookup(const elf_symtab *t, const char *name, uint32_t *addr) {
  size_t lo = 0, hi = t->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(t->by_name[mid]->name, name);
    if (c == 0) {
      *addr = t->by_name[mid]->addr;
      return true;
    }
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return false;
}
