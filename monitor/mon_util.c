/* What every monitor command needs: text parsing, expressions over this
 * guest, reading and writing guest memory as the running code sees it, and
 * naming addresses. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mon_expr.h"
#include "mon_int.h"

mon_status mon_fail(FILE *out, const char *fmt, ...) {
  /* !fmt is never true; it keeps gcc 12 with -fsanitize=undefined from
   * seeing a NULL format on its nonnull-check path (-Wformat-overflow).
   * No out: a run that no command reports (a breakpoint's condition
   * failing while the gdb stub re-runs a step) */
  if (!fmt || !out) return MON_ERROR;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(out, fmt, ap);
  va_end(ap);
  fputc('\n', out);
  return MON_ERROR;
}

const char *mon_skip_space(const char *p) {
  while (isspace((unsigned char)*p)) p++;
  return p;
}

bool mon_next_word(const char **p, char *word, size_t size) {
  const char *q = mon_skip_space(*p);
  size_t n = 0;
  while (q[n] && !isspace((unsigned char)q[n])) n++;
  if (n == 0 || n >= size) return false;
  memcpy(word, q, n);
  word[n] = 0;
  *p = q + n;
  return true;
}

bool mon_parse_count(const char *text, uint64_t *value) {
  if (!isdigit((unsigned char)*text)) return false;
  char *end;
  unsigned long long v = strtoull(text, &end, 0);
  if (*mon_skip_space(end)) return false;
  *value = v;
  return true;
}

bool mon_icount_arg(const char *cmd, const char *args, uint64_t *icount, FILE *out) {
  const char *p = mon_skip_space(args);
  if (mon_parse_count(p, icount)) return true;
  mon_fail(out, "%s needs an instruction count (a number), not \"%s\"", cmd, p);
  return false;
}

int mon_reg_index(const char *name) {
  static const char *const extra[] = {"pc", "icount", "mode", "pt_root", "asid"};
  if (*name == '$') name++;
  if (strcmp(name, "fp") == 0) return 8;
  for (int i = 0; i < 32; i++) {
    if (strcmp(name, cpu_reg_names[i]) == 0) return i;
  }
  if (name[0] == 'x' && isdigit((unsigned char)name[1]) && (name[1] != '0' || !name[2])) {
    char *end;
    unsigned long i = strtoul(name + 1, &end, 10);
    if (!*end && i < 32) return (int)i;
  }
  for (int i = 0; i < (int)(sizeof extra / sizeof extra[0]); i++) {
    if (strcmp(name, extra[i]) == 0) return MON_REG_PC + i;
  }
  return -1;
}

uint32_t mon_reg_value(const mon *s, int index) {
  const cpu_state *st = &s->m->cpu.s;
  switch (index) {
  case MON_REG_PC: return st->pc;
  case MON_REG_ICOUNT: return (uint32_t)st->icount;
  case MON_REG_MODE: return st->mode;
  case MON_REG_PT_ROOT: return st->pt_root;
  case MON_REG_ASID: return st->asid;
  default: return st->x[index];
  }
}

/* Registers (mon_reg_index); $N is print's value history. */
static bool env_reg(void *ctx, const char *name, uint32_t *value) {
  const mon *s = ctx;
  if (isdigit((unsigned char)name[0])) {
    char *end;
    unsigned long n = strtoul(name, &end, 10);
    if (*end || n == 0 || n > s->nhistory) return false;
    return *value = s->history[n - 1], true;
  }
  int i = mon_reg_index(name);
  if (i < 0 || *name == '$') return false;
  *value = mon_reg_value(s, i);
  return true;
}

static bool env_symbol(void *ctx, const char *name, uint32_t *addr,
                       uint32_t *size, bool *is_func) {
  const mon *s = ctx;
  if (!elf_symtab_lookup(&s->m->elf.syms, name, addr)) return false;
  const elf_sym *found = elf_symtab_find(&s->m->elf.syms, *addr);
  bool exact = found && strcmp(found->name, name) == 0;
  *size = exact ? found->size : 0;
  *is_func = exact ? found->is_func : true;
  return true;
}

static bool env_read(void *ctx, uint32_t addr, uint32_t size, uint32_t *value) {
  uint8_t b[4] = {0};
  if (!mon_read(ctx, addr, b, size)) return false;
  *value = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
  return true;
}

/* Symbols as addresses only: for locations. */
static bool env_symbol_addr(void *ctx, const char *name, uint32_t *addr,
                            uint32_t *size, bool *is_func) {
  if (!env_symbol(ctx, name, addr, size, is_func)) return false;
  *is_func = true;
  return true;
}

bool mon_eval(mon *s, const char *text, uint32_t *value, FILE *out) {
  mon_expr_env env = {s, env_reg, env_symbol, env_read};
  char err[512];
  const char *t = mon_skip_space(text);
  if (!*t) {
    mon_fail(out, "an expression is missing");
    return false;
  }
  if (!mon_expr_eval(&env, t, value, err, sizeof err)) {
    mon_fail(out, "%s", err);
    return false;
  }
  return true;
}

bool mon_location(mon *s, const char *text, uint32_t *addr, FILE *out) {
  const char *t = mon_skip_space(text);
  if (*t == '*') t++; /* gdb's "break *ADDRESS" */
  mon_expr_env env = {s, env_reg, env_symbol_addr, env_read};
  char err[512];
  if (!*mon_skip_space(t)) {
    if (out) mon_fail(out, "a location is missing (an address, SYMBOL or SYMBOL+OFFSET)");
    return false;
  }
  if (!mon_expr_eval(&env, mon_skip_space(t), addr, err, sizeof err)) {
    if (out) mon_fail(out, "%s", err);
    return false;
  }
  return true;
}

/* The RAM offset of addr as the current mode sees it. */
static bool ram_offset(const mon *s, uint32_t addr, uint32_t *off) {
  const cpu *c = &s->m->cpu;
  if (c->s.mode == CPU_MODE_USER) {
    return cpu_peek_translate(c, addr, CPU_ACCESS_LOAD, off) ||
           cpu_peek_translate(c, addr, CPU_ACCESS_FETCH, off);
  }
  *off = addr - CPU_RAM_BASE;
  return *off < c->ram_size;
}

bool mon_read(mon *s, uint32_t addr, void *buf, uint32_t len) {
  uint8_t *dst = buf;
  for (uint32_t i = 0; i < len; i++) { /* bytewise: pages may scatter */
    uint32_t off;
    if (!ram_offset(s, addr + i, &off)) return false;
    dst[i] = s->m->ram[off];
  }
  return true;
}

bool mon_write(mon *s, uint32_t addr, const void *buf, uint32_t len) {
  uint32_t offs[8];
  if (len > sizeof offs / sizeof offs[0]) return false;
  for (uint32_t i = 0; i < len; i++) { /* all or nothing */
    if (!ram_offset(s, addr + i, &offs[i])) return false;
  }
  for (uint32_t i = 0; i < len; i++) {
    s->m->ram[offs[i]] = ((const uint8_t *)buf)[i];
    cpu_code_written(&s->m->cpu, CPU_RAM_BASE + offs[i], 1);
  }
  return true;
}

bool mon_symbolize(void *ctx, uint32_t addr, char *buf, size_t size) {
  const mon *s = ctx;
  return machine_symbolize(s->m, addr, buf, size);
}

void mon_format_addr(const mon *s, uint32_t addr, char *buf, size_t size) {
  char name[160];
  if (mon_symbolize((void *)s, addr, name, sizeof name)) {
    snprintf(buf, size, "0x%08x <%s>", addr, name);
  } else {
    snprintf(buf, size, "0x%08x", addr);
  }
}

void mon_show_next(mon *s, FILE *out) {
  uint32_t pc = s->m->cpu.s.pc, word;
  char where[200], text[200];
  mon_format_addr(s, pc, where, sizeof where);
  if (!mon_read(s, pc, &word, 4)) {
    fprintf(out, "=> %s:\t(cannot read the instruction here)\n", where);
    return;
  }
  cpu_disasm(word, pc, text, sizeof text, mon_symbolize, s);
  fprintf(out, "=> %s:\t%s\n", where, text);
}

void mon_fresh_line(mon *s, FILE *out) {
  if (s->guest_line_open) {
    fputc('\n', out);
    s->guest_line_open = false;
  }
}

const char *mon_symbol_name(const mon *s, const char *prefix, size_t n) {
  const elf_symtab *t = &s->m->elf.syms;
  size_t len = strlen(prefix), seen = 0;
  for (size_t i = 0; i < t->n; i++) {
    const char *name = t->by_name[i]->name;
    if (strncmp(name, prefix, len) == 0 && seen++ == n) return name;
  }
  return NULL;
}
