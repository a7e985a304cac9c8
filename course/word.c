/* Reading the guest's variables by name at the end of a run: what the
 * grader's `word SYMBOL OP VALUE` checks look at. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "course.h"

/* Splits "name+off" into the name (copied into buf) and the offset. */
static bool split(const char *ref, char *name, size_t size, uint32_t *off,
                  host_error *err) {
  const char *plus = strchr(ref, '+');
  size_t len = plus ? (size_t)(plus - ref) : strlen(ref);
  if (len == 0 || len >= size) {
    return host_fail(err, "'%s' is not SYMBOL or SYMBOL+OFFSET", ref);
  }
  memcpy(name, ref, len);
  name[len] = 0;
  *off = 0;
  if (!plus) return true;
  char *end;
  errno = 0;
  unsigned long v = strtoul(plus + 1, &end, 0);
  if (!plus[1] || *end || errno || v > UINT32_MAX || plus[1] == '-') {
    return host_fail(err, "'%s': the offset after '+' must be a number "
                    "(decimal or 0x hex)", ref);
  }
  *off = (uint32_t)v;
  return true;
}

bool course_word(const machine *m, const char *ref, uint32_t *value,
                 host_error *err) {
  char name[256];
  uint32_t off, addr;
  if (!split(ref, name, sizeof name, &off, err)) return false;
  if (!elf_symtab_lookup(&m->elf.syms, name, &addr)) {
    return host_fail(err, "the guest has no symbol '%s' (is it static, "
                    "misspelt, or optimised away? 'nm' on the ELF lists them)",
                    name);
  }
  uint64_t a = (uint64_t)addr + off;
  if (a < CPU_RAM_BASE || a - CPU_RAM_BASE + 4 > m->cpu.ram_size) {
    return host_fail(err, "%s is at 0x%llx, outside guest RAM", ref,
                    (unsigned long long)a);
  }
  const uint8_t *p = m->ram + (a - CPU_RAM_BASE);
  *value = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
  return true;
}
