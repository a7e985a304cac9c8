/* Breakpoints, watchpoints and catchpoints: the user's list, numbered like
 * gdb's, and pushing the enabled ones down to the machine (mon_arm). */
#include <stdlib.h>
#include <string.h>

#include "mon_int.h"
#include "pvabi_calls.h"

static const char *const cause_names[PV_CAUSE_COUNT] = {
  [PV_CAUSE_ECALL] = "ecall", [PV_CAUSE_ILLEGAL] = "illegal",
  [PV_CAUSE_PAGE_LOAD] = "page-load", [PV_CAUSE_PAGE_STORE] = "page-store",
  [PV_CAUSE_PAGE_FETCH] = "page-fetch",
  [PV_CAUSE_MISALIGNED_FETCH] = "misaligned", [PV_CAUSE_EVENT] = "event",
};

const char *mon_cause_name(uint32_t cause) {
  return cause < PV_CAUSE_COUNT && cause_names[cause] ? cause_names[cause] : "?";
}

static mon_bp *bp_new(mon *s, mon_bp_kind kind, const char *what, FILE *out) {
  if (s->nbps == s->capbps) {
    size_t cap = s->capbps ? s->capbps * 2 : 8;
    mon_bp *grown = realloc(s->bps, cap * sizeof *grown);
    if (!grown) {
      mon_fail(out, "out of memory for breakpoints");
      return NULL;
    }
    s->bps = grown;
    s->capbps = cap;
  }
  mon_bp *b = &s->bps[s->nbps];
  *b = (mon_bp){.id = s->next_id, .kind = kind, .enabled = true, .which = -1};
  b->what = strdup(what);
  if (!b->what) {
    mon_fail(out, "out of memory for breakpoints");
    return NULL;
  }
  s->nbps++;
  s->next_id++;
  return b;
}

static void bp_delete_at(mon *s, size_t i) {
  free(s->bps[i].what);
  free(s->bps[i].cond);
  memmove(&s->bps[i], &s->bps[i + 1], (s->nbps - i - 1) * sizeof *s->bps);
  s->nbps--;
}

void mon_bp_delete(mon *s, mon_bp *b) { bp_delete_at(s, (size_t)(b - s->bps)); }

void mon_bp_free_all(mon *s) {
  while (s->nbps) bp_delete_at(s, s->nbps - 1);
  free(s->bps);
  s->bps = NULL;
  s->capbps = 0;
}

mon_bp *mon_bp_find(mon *s, unsigned id) {
  for (size_t i = 0; i < s->nbps; i++) {
    if (s->bps[i].id == id) return &s->bps[i];
  }
  return NULL;
}

void mon_arm(mon *s, bool skip_pc) {
  machine *m = s->m;
  uint32_t addrs[CPU_MAX_BREAKPOINTS];
  unsigned n = 0;
  uint32_t pc = m->cpu.s.pc;
  for (size_t i = 0; i < s->nbps && n < CPU_MAX_BREAKPOINTS; i++) {
    const mon_bp *b = &s->bps[i];
    if (b->kind == MON_BP_BREAK && b->enabled && !(skip_pc && b->addr == pc)) {
      addrs[n++] = b->addr;
    }
  }
  if (s->internal_active && n < CPU_MAX_BREAKPOINTS &&
      !(skip_pc && s->internal_addr == pc)) {
    addrs[n++] = s->internal_addr;
  }
  /* only a changed set costs a flush of the decoded code */
  if (n != m->cpu.nbp || memcmp(addrs, m->cpu.bp, n * sizeof *addrs) != 0) {
    cpu_set_breakpoints(&m->cpu, addrs, n);
  }
  m->cpu.nwatch = 0;
  m->dbg.catch_hcall_any = false;
  memset(m->dbg.catch_hcall, 0, sizeof m->dbg.catch_hcall);
  m->dbg.catch_traps = 0;
  for (size_t i = 0; i < s->nbps; i++) {
    mon_bp *b = &s->bps[i];
    if (!b->enabled) continue;
    switch (b->kind) {
    case MON_BP_BREAK: break;
    case MON_BP_WATCH:
    case MON_BP_RWATCH:
    case MON_BP_AWATCH:
      if (m->cpu.nwatch < CPU_MAX_WATCHPOINTS) {
        s->watch_bp[m->cpu.nwatch] = b->id;
        m->cpu.watch[m->cpu.nwatch++] = (cpu_watch){
            b->addr, b->len, b->kind != MON_BP_WATCH, b->kind != MON_BP_RWATCH};
      }
      break;
    case MON_BP_CATCH_HCALL:
      if (b->which < 0) m->dbg.catch_hcall_any = true;
      else m->dbg.catch_hcall[b->which] = 1;
      break;
    case MON_BP_CATCH_TRAP:
      m->dbg.catch_traps |= b->which < 0 ? ~0u : 1u << b->which;
      break;
    }
  }
}

void mon_disarm(mon *s) {
  machine *m = s->m;
  if (m->cpu.nbp) cpu_set_breakpoints(&m->cpu, NULL, 0);
  m->cpu.nwatch = 0;
  m->dbg.catch_hcall_any = false;
  memset(m->dbg.catch_hcall, 0, sizeof m->dbg.catch_hcall);
  m->dbg.catch_traps = 0;
}

/* "LOCATION if CONDITION": splits at the " if " (the condition is checked
 * now, so a typo is reported when the breakpoint is set). */
static mon_status set_break(mon *s, const char *args, bool temporary, FILE *out) {
  const char *p = mon_skip_space(args);
  char loc[256];
  const char *cond = NULL;
  const char *at_if = strstr(p, " if ");
  size_t n = at_if ? (size_t)(at_if - p) : strlen(p);
  if (n == 0) return mon_fail(out, "break needs a location: an address, SYMBOL or SYMBOL+OFFSET");
  if (n >= sizeof loc) return mon_fail(out, "the location is too long");
  memcpy(loc, p, n);
  loc[n] = 0;
  while (n && loc[n - 1] == ' ') loc[--n] = 0;
  uint32_t addr, v;
  if (!mon_location(s, loc, &addr, out)) return MON_ERROR;
  if (addr & 3u) return mon_fail(out, "0x%08x is not 4-byte aligned: no instruction starts there", addr);
  if (at_if) {
    cond = mon_skip_space(at_if + 4);
    if (!*cond) return mon_fail(out, "\"if\" needs a condition");
    if (!mon_eval(s, cond, &v, out)) return MON_ERROR;
  }
  if (s->nbps >= CPU_MAX_BREAKPOINTS) {
    return mon_fail(out, "at most %d breakpoints; delete one first", CPU_MAX_BREAKPOINTS);
  }
  mon_bp *b = bp_new(s, MON_BP_BREAK, loc, out);
  if (!b) return MON_ERROR;
  b->addr = addr;
  b->temporary = temporary;
  if (cond && !(b->cond = strdup(cond))) {
    mon_bp_delete(s, b);
    return mon_fail(out, "out of memory");
  }
  char where[200];
  mon_format_addr(s, addr, where, sizeof where);
  fprintf(out, "%s %u at %s%s%s\n", temporary ? "Temporary breakpoint" : "Breakpoint",
          b->id, where, cond ? " if " : "", cond ? cond : "");
  return MON_OK;
}

mon_status mon_cmd_break(mon *s, const char *args, FILE *out) { return set_break(s, args, false, out); }
mon_status mon_cmd_tbreak(mon *s, const char *args, FILE *out) { return set_break(s, args, true, out); }

static const char *watch_kind_name(mon_bp_kind k) {
  return k == MON_BP_WATCH ? "Watchpoint" : k == MON_BP_RWATCH ? "Read watchpoint"
                                                               : "Access watchpoint";
}

static mon_status set_watch(mon *s, const char *args, mon_bp_kind kind, FILE *out) {
  const char *p = args;
  char loc[256], lenw[64], extra[8];
  if (!mon_next_word(&p, loc, sizeof loc)) {
    return mon_fail(out, "watch needs an address or a variable (written without spaces), and optionally a length");
  }
  uint32_t addr, len = 4;
  if (!mon_location(s, loc, &addr, out)) return MON_ERROR;
  const char *name = *loc == '&' ? loc + 1 : loc;
  uint32_t sym_addr;
  if (elf_symtab_lookup(&s->m->elf.syms, name, &sym_addr) && sym_addr == addr) {
    const elf_sym *found = elf_symtab_find(&s->m->elf.syms, addr);
    if (found && found->size && found->size <= 4096) len = found->size;
  }
  if (mon_next_word(&p, lenw, sizeof lenw)) {
    uint64_t n;
    if (!mon_parse_count(lenw, &n) || n == 0 || n > 4096) {
      return mon_fail(out, "watch length \"%s\" is not a number from 1 to 4096", lenw);
    }
    len = (uint32_t)n;
  }
  if (mon_next_word(&p, extra, sizeof extra)) {
    return mon_fail(out, "watch takes an address and a length; write the address without spaces");
  }
  unsigned nwatch = 0;
  for (size_t i = 0; i < s->nbps; i++) {
    nwatch += s->bps[i].kind >= MON_BP_WATCH && s->bps[i].kind <= MON_BP_AWATCH;
  }
  if (nwatch >= CPU_MAX_WATCHPOINTS) {
    return mon_fail(out, "at most %d watchpoints; delete one first", CPU_MAX_WATCHPOINTS);
  }
  mon_bp *b = bp_new(s, kind, loc, out);
  if (!b) return MON_ERROR;
  b->addr = addr;
  b->len = len;
  fprintf(out, "%s %u: %s (0x%08x, %u byte%s)\n", watch_kind_name(kind), b->id,
          loc, addr, len, len == 1 ? "" : "s");
  return MON_OK;
}

mon_status mon_cmd_watch(mon *s, const char *args, FILE *out) { return set_watch(s, args, MON_BP_WATCH, out); }
mon_status mon_cmd_rwatch(mon *s, const char *args, FILE *out) { return set_watch(s, args, MON_BP_RWATCH, out); }
mon_status mon_cmd_awatch(mon *s, const char *args, FILE *out) { return set_watch(s, args, MON_BP_AWATCH, out); }

mon_status mon_cmd_catch(mon *s, const char *args, FILE *out) {
  const char *p = args;
  char what[32], name[64], extra[8];
  if (!mon_next_word(&p, what, sizeof what)) return mon_fail(out, "usage: catch hcall [NAME] | catch trap [CAUSE]");
  bool have_name = mon_next_word(&p, name, sizeof name);
  if (mon_next_word(&p, extra, sizeof extra)) return mon_fail(out, "catch takes one name");
  int which = -1;
  mon_bp_kind kind;
  if (strcmp(what, "hcall") == 0) {
    kind = MON_BP_CATCH_HCALL;
    if (have_name) {
      for (unsigned i = 0; i < pvabi_ncalls; i++) {
        if (strcmp(pvabi_calls[i].name, name) == 0) which = (int)i;
      }
      if (which < 0) return mon_fail(out, "no hypercall \"%s\"; docs/pvabi.md lists them (e.g. console_write)", name);
    }
  } else if (strcmp(what, "trap") == 0) {
    kind = MON_BP_CATCH_TRAP;
    if (have_name) {
      for (int i = 1; i < PV_CAUSE_COUNT; i++) {
        if (strcmp(cause_names[i], name) == 0) which = i;
      }
      if (which < 0) return mon_fail(out, "no trap cause \"%s\"; use ecall, illegal, page-load, page-store, page-fetch, misaligned or event", name);
    }
  } else {
    return mon_fail(out, "catch what? \"%s\": use catch hcall [NAME] or catch trap [CAUSE]", what);
  }
  char desc[100];
  snprintf(desc, sizeof desc, "%s %s", what, have_name ? name : "(any)");
  mon_bp *b = bp_new(s, kind, desc, out);
  if (!b) return MON_ERROR;
  b->which = which;
  fprintf(out, "Catchpoint %u (%s)\n", b->id, desc);
  return MON_OK;
}

/* Applies fn to the breakpoints numbered in args, or to all of them. */
static mon_status each_bp(mon *s, const char *args, FILE *out,
                          void (*fn)(mon *s, mon_bp *b)) {
  const char *p = args;
  char word[32];
  unsigned ids[64];
  size_t n = 0;
  while (mon_next_word(&p, word, sizeof word)) {
    uint64_t id;
    if (!mon_parse_count(word, &id) || !mon_bp_find(s, (unsigned)id)) {
      return mon_fail(out, "no breakpoint number %s ('info breakpoints' lists them)", word);
    }
    if (n == sizeof ids / sizeof ids[0]) return mon_fail(out, "too many numbers");
    ids[n++] = (unsigned)id;
  }
  if (n == 0) {
    while (s->nbps) {
      size_t before = s->nbps;
      for (size_t i = 0; i < s->nbps; i++) ids[i % 64] = s->bps[i].id;
      for (size_t i = 0; i < before && i < 64; i++) {
        mon_bp *b = mon_bp_find(s, ids[i]);
        if (b) fn(s, b);
      }
      if (s->nbps == before) break; /* enable/disable keep them */
    }
    return MON_OK;
  }
  for (size_t i = 0; i < n; i++) {
    mon_bp *b = mon_bp_find(s, ids[i]);
    if (b) fn(s, b);
  }
  return MON_OK;
}

static void do_delete(mon *s, mon_bp *b) { mon_bp_delete(s, b); }
static void do_disable(mon *s, mon_bp *b) { b->enabled = false; }
static void do_enable(mon *s, mon_bp *b) { b->enabled = true; }

mon_status mon_cmd_delete(mon *s, const char *args, FILE *out) { return each_bp(s, args, out, do_delete); }
mon_status mon_cmd_disable(mon *s, const char *args, FILE *out) { return each_bp(s, args, out, do_disable); }
mon_status mon_cmd_enable(mon *s, const char *args, FILE *out) { return each_bp(s, args, out, do_enable); }

void mon_info_breakpoints(mon *s, FILE *out) {
  if (s->nbps == 0) {
    fprintf(out, "No breakpoints, watchpoints or catchpoints.\n");
    return;
  }
  fprintf(out, "%-4s %-16s %-4s %-28s %-6s %s\n", "Num", "Type", "Enb", "Address", "Hits", "What");
  for (size_t i = 0; i < s->nbps; i++) {
    const mon_bp *b = &s->bps[i];
    static const char *const types[] = {
      [MON_BP_BREAK] = "breakpoint", [MON_BP_WATCH] = "watchpoint",
      [MON_BP_RWATCH] = "read watchpoint", [MON_BP_AWATCH] = "acc watchpoint",
      [MON_BP_CATCH_HCALL] = "catchpoint", [MON_BP_CATCH_TRAP] = "catchpoint",
    };
    char where[200] = "", what[400];
    if (b->kind == MON_BP_BREAK) mon_format_addr(s, b->addr, where, sizeof where);
    else if (b->kind <= MON_BP_AWATCH) snprintf(where, sizeof where, "0x%08x", b->addr);
    if (b->kind >= MON_BP_WATCH && b->kind <= MON_BP_AWATCH) {
      snprintf(what, sizeof what, "%s (%u byte%s)", b->what, b->len, b->len == 1 ? "" : "s");
    } else {
      snprintf(what, sizeof what, "%s%s%s%s", b->what, b->cond ? " if " : "",
               b->cond ? b->cond : "", b->temporary ? " (temporary)" : "");
    }
    fprintf(out, "%-4u %-16s %-4s %-28s %-6llu %s\n", b->id,
            b->temporary ? "temp breakpoint" : types[b->kind],
            b->enabled ? "y" : "n", where, (unsigned long long)b->hits, what);
  }
}
