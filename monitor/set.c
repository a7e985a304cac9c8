/* Changing the machine by hand: `set $REG = EXPR`, `set *ADDR = EXPR`
 * (width from a cast), `set var NAME = EXPR`, the monitor's own settings,
 * and `load` of another guest.  The whole command is parsed and the value
 * computed before anything is written, so a mistake changes nothing; a
 * change starts a new history (reverse.c). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mon_expr.h"
#include "mon_int.h"

#define SET_USAGE "use set $REG = EXPR, set *ADDRESS = EXPR, set var NAME = EXPR or set stop-on-error on|off"

/* The '=' of the assignment: not part of ==, !=, <= or >=. */
static const char *assignment(const char *p) {
  for (const char *q = p; (q = strchr(q, '=')) != NULL; q++) {
    bool paired = q[1] == '=' || (q > p && strchr("=!<>", q[-1]));
    if (!paired) return q;
    if (q[1] == '=') q++;
  }
  return NULL;
}

/* The left-hand side, trimmed, into buf. */
static bool lhs_text(const char *p, const char *eq, char *buf, size_t size, FILE *out) {
  p = mon_skip_space(p);
  size_t n = (size_t)(eq - p);
  while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
  if (n == 0 || n >= size) {
    mon_fail(out, n ? "set: the left-hand side is too long"
                    : "set: nothing before the '='; " SET_USAGE);
    return false;
  }
  memcpy(buf, p, n);
  buf[n] = 0;
  return true;
}

static mon_status set_register(mon *s, const char *name, uint32_t v, FILE *out) {
  int i = mon_reg_index(name);
  if (i < 0) return mon_fail(out, "no register %s; 'info registers' lists them", name);
  if (i == 0) return mon_fail(out, "zero (x0) is hard-wired to 0: it stays 0");
  if (i > MON_REG_PC) {
    return mon_fail(out, "%s cannot be set: the machine keeps the instruction count, and "
                    "mode, pt_root and asid change only through hypercalls", name);
  }
  cpu_state *st = &s->m->cpu.s;
  if (i == MON_REG_PC) {
    if (st->pc != v) s->last_stop = MACHINE_STOP_NONE; /* not at that stop any more */
    st->pc = v;
  } else {
    st->x[i] = v;
  }
  return MON_OK;
}

static mon_status set_memory(mon *s, uint32_t addr, uint32_t size, uint32_t v, FILE *out) {
  uint8_t bytes[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  if (mon_write(s, addr, bytes, size)) return MON_OK;
  for (uint32_t i = 0; i < size; i++) { /* name the byte that is missing */
    uint8_t b;
    if (!mon_read(s, addr + i, &b, 1)) {
      return mon_fail(out, "Cannot access memory at address 0x%08" PRIx32, addr + i);
    }
  }
  return mon_fail(out, "Cannot access memory at address 0x%08" PRIx32, addr);
}

/* set var NAME = EXPR: the symbol's own size says how much to write. */
static bool variable(mon *s, const char *name, uint32_t *addr, uint32_t *size, FILE *out) {
  if (!elf_symtab_lookup(&s->m->elf.syms, name, addr)) {
    mon_fail(out, "no symbol \"%s\" in the guest", name);
    return false;
  }
  const elf_sym *f = elf_symtab_find(&s->m->elf.syms, *addr);
  uint32_t n = f && strcmp(f->name, name) == 0 ? f->size : 0;
  if (n != 1 && n != 2 && n != 4) {
    mon_fail(out, "%s is %s, not a 1-, 2- or 4-byte variable: write part of it with "
             "set *(uint32_t *)&%s = EXPR", name, n ? "larger" : "a label with no size", name);
    return false;
  }
  *size = n;
  return true;
}

static mon_status set_stop_on_error(mon *s, const char *args, FILE *out) {
  char word[16], extra[8];
  const char *p = args;
  if (!mon_next_word(&p, word, sizeof word) || mon_next_word(&p, extra, sizeof extra) ||
      (strcmp(word, "on") != 0 && strcmp(word, "off") != 0)) {
    return mon_fail(out, "usage: set stop-on-error on|off (now %s)", s->stop_on_error ? "on" : "off");
  }
  s->stop_on_error = strcmp(word, "on") == 0;
  return MON_OK;
}

/* The recorded future no longer follows from a state changed by hand. */
static mon_status changed_by_hand(mon *s, mon_status st) {
  if (st == MON_OK) mon_history_reset(s);
  return st;
}

mon_status mon_cmd_set(mon *s, const char *args, FILE *out) {
  const char *p = mon_skip_space(args);
  char word[32];
  const char *after = p;
  if (!mon_next_word(&after, word, sizeof word)) return mon_fail(out, "set what? " SET_USAGE);
  if (strcmp(word, "stop-on-error") == 0) return set_stop_on_error(s, after, out);
  if (strcmp(word, "reverse-budget") == 0 || strcmp(word, "reverse-interval") == 0) {
    return mon_set_reverse(s, word, after, out);
  }
  if (strcmp(word, "var") == 0 || strcmp(word, "variable") == 0) p = mon_skip_space(after);
  const char *eq = assignment(p);
  if (!eq) return mon_fail(out, "set: no '=' in \"%s\"; " SET_USAGE, p);
  char lhs[256];
  if (!lhs_text(p, eq, lhs, sizeof lhs, out)) return MON_ERROR;
  uint32_t v, addr = 0, size = 4;
  if (lhs[0] == '$') {
    if (mon_reg_index(lhs) < 0) return mon_fail(out, "no register %s; 'info registers' lists them", lhs);
    if (!mon_eval(s, eq + 1, &v, out)) return MON_ERROR;
    return changed_by_hand(s, set_register(s, lhs, v, out));
  }
  if (lhs[0] == '*') {
    const char *target = mon_skip_space(lhs + 1);
    size_t len;
    uint32_t cast = mon_expr_cast(target, &len);
    if (cast) {
      size = cast;
      target += len;
    }
    if (!mon_eval(s, target, &addr, out)) return MON_ERROR;
  } else if (!variable(s, lhs, &addr, &size, out)) {
    return MON_ERROR;
  }
  if (!mon_eval(s, eq + 1, &v, out)) return MON_ERROR;
  return changed_by_hand(s, set_memory(s, addr, size, v, out));
}

mon_status mon_cmd_load(mon *s, const char *args, FILE *out) {
  const char *path = mon_skip_space(args);
  size_t n = strlen(path);
  while (n && (path[n - 1] == ' ' || path[n - 1] == '\t')) n--;
  if (n == 0) return mon_fail(out, "load needs an ELF file name");
  char *copy = strndup(path, n);
  if (!copy) return mon_fail(out, "out of memory");
  host_error err;
  if (!machine_load_elf(s->m, copy, &err)) {
    free(copy);
    return mon_fail(out, "%s; %s stays loaded", err.msg, s->guest);
  }
  free(s->guest);
  s->guest = copy;
  mon_guest_loaded(s, "Loaded", out);
  return MON_OK;
}
