/* Reverse execution: the commands that move in the session's history
 * (monitor/history.c): reverse-stepi, reverse-nexti, reverse-continue,
 * reverse-finish, goto, info reverse.
 *
 * History is a tap (replay/tap.h) that logs everything the guest receives
 * from outside, plus checkpoints (replay/timeline.h) taken as the guest
 * runs forward.  Any earlier point is the newest checkpoint before it,
 * run forward with nothing armed: the tap serves the logged input again,
 * and its output stays unshown, since it was shown the first time.
 * Searching backwards (for a breakpoint hit, a watched write, a call) is
 * the same re-running with something armed, a checkpoint's stretch at a
 * time from the most recent one back, keeping the last match in the
 * stretch; then the machine is put exactly there. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mon_int.h"

#define REG_RA 1
#define REG_SP 2
#define MIB ((size_t)1 << 20)

/* Why history cannot be used, or NULL when it can. */
static const char *no_history(const mon *s) {
  if (!s->hist.ok) return "there is no history: out of memory for its first checkpoint";
  return NULL;
}

/* seek, then the report (or why it did not get there); false when it did
 * not get there. */
static bool land(mon *s, uint64_t target, bool trap, FILE *out, bool report) {
  machine_stop st = mon_history_seek(s, target, trap);
  bool there = s->m->cpu.s.icount == target && mon_history_past_trap(s) == trap;
  mon_history *h = &s->hist;
  mon_fresh_line(s, out);
  if (h->tap->diverged) {
    fprintf(out, "warning: going back in history did not repeat it: %s\n", h->tap->why);
  }
  if (st == MACHINE_STOP_HOST_ERROR) {
    mon_fail(out, "%s", s->m->host_fault.msg);
    return false;
  }
  if (!there || report) {
    mon_stop si = {.why = st};
    mon_report(s, &si, out);
  }
  return there;
}

/* For refusals: where history starts and why there. */
static mon_status before_start(mon *s, const char *what, FILE *out) {
  uint64_t start = replay_timeline_start(&s->hist.tl);
  return mon_fail(out, "%s: history starts at icount %" PRIu64 "%s", what, start,
                  start ? " (the state was changed by hand there: set, load, restart and "
                          "loadvm start a new history)" : ", where the guest started");
}

/* ---- searching backwards */

/* What a search looks for: the user's breakpoints and watchpoints, or the
 * pc at an address with sp at or above a value (exactly it: exact_sp). */
typedef struct rev_find {
  bool user;
  uint32_t pc, sp;
  bool exact_sp;
} rev_find;

typedef struct rev_hit {
  bool found;
  uint64_t icount;
  bool trap; /* just past a trap taken at icount */
  mon_stop si;
} rev_hit;

static bool internal_match(const mon *s, const rev_find *f) {
  const cpu_state *st = &s->m->cpu.s;
  return st->pc == f->pc && (f->exact_sp ? st->x[REG_SP] == f->sp : st->x[REG_SP] >= f->sp);
}

static void remember(mon *s, rev_hit *hit, const mon_stop *si) {
  hit->found = true;
  hit->icount = s->m->cpu.s.icount;
  hit->trap = mon_history_past_trap(s);
  hit->si = *si;
}

/* Runs from here to icount `to`, remembering in hit the last point before
 * icount `before` where f matches.  Where it starts counts too: the run
 * steps off a breakpoint it starts on.  False when Ctrl-C stopped it. */
static bool scan(mon *s, const rev_find *f, uint64_t to, uint64_t before, rev_hit *hit) {
  machine *m = s->m;
  mon_stop si = {.why = MACHINE_STOP_BREAKPOINT};
  if (f->user ? (si.bp = mon_breakpoint_hit(s, m->cpu.s.pc)) != NULL : internal_match(s, f)) {
    si.internal = !f->user;
    remember(s, hit, &si);
  }
  for (;;) {
    machine_stop st = mon_go(s, to, &si);
    if (st == MACHINE_STOP_INTERRUPT) return false;
    bool match = f->user ? si.bp && (st == MACHINE_STOP_BREAKPOINT || st == MACHINE_STOP_WATCH)
                         : si.internal && internal_match(s, f);
    if (match && m->cpu.s.icount < before) remember(s, hit, &si);
    if ((st == MACHINE_STOP_LIMIT && m->cpu.s.icount >= to) || s->guest_done) return true;
  }
}

/* The last point before here where f matches, searched a checkpoint's
 * stretch at a time from the most recent back; the machine is left
 * anywhere in history.  False when interrupted or out of memory. */
static bool find_last(mon *s, const rev_find *f, rev_hit *hit) {
  mon_history *h = &s->hist;
  uint64_t here = s->m->cpu.s.icount, hi = here;
  size_t nbps = s->nbps;
  uint64_t *hits = malloc((nbps ? nbps : 1) * sizeof *hits);
  if (!hits) return false;
  for (size_t i = 0; i < nbps; i++) hits[i] = s->bps[i].hits;
  if (!f->user) { /* the user's breakpoints sit this one out */
    s->nbps = 0;
    s->internal_active = true;
    s->internal_addr = f->pc;
    s->internal_sp = f->sp;
  }
  hit->found = false;
  bool ok = true;
  while (ok && !hit->found && hi > replay_timeline_start(&h->tl)) {
    uint64_t from = h->tl.ck[replay_timeline_find(&h->tl, hi - 1)].cpu.icount;
    ok = mon_history_seek(s, from, false) == MACHINE_STOP_LIMIT;
    h->reexec = true;
    ok = ok && scan(s, f, hi, here, hit);
    h->reexec = false;
    hi = from;
  }
  s->internal_active = false;
  s->nbps = nbps;
  for (size_t i = 0; i < nbps; i++) s->bps[i].hits = hits[i];
  free(hits);
  if (s->interrupt) s->interrupt = 0;
  return ok;
}

/* A point in history, to come back to. */
typedef struct rev_point {
  uint64_t icount;
  bool trap;
} rev_point;

static rev_point here_point(const mon *s) {
  return (rev_point){s->m->cpu.s.icount, mon_history_past_trap(s)};
}

/* find_last, then the machine at the match; or, with a message, at home:
 * false when there is no match. */
static bool go_back_to(mon *s, const rev_find *f, rev_point home, const char *what,
                       FILE *out) {
  rev_hit hit;
  bool ok = find_last(s, f, &hit);
  if (ok && hit.found) return land(s, hit.icount, hit.trap, out, false);
  if (!land(s, home.icount, home.trap, out, false)) return false;
  if (ok) before_start(s, what, out);
  else fprintf(out, "Interrupted: %s was not found; the guest is still at icount %" PRIu64 "\n",
               what, home.icount);
  return false;
}

/* ---- the commands */

/* The point n instructions back: just before the instruction that took
 * the count from target to target + 1 ran, which is just past a trap (at
 * the kernel's entry) when one was taken at target.  A trap is a step of
 * its own to go back over.  False when that is before history. */
static bool step_back(mon *s, uint64_t n, uint64_t *target, bool *trap) {
  uint64_t back = n - mon_history_past_trap(s), now = s->m->cpu.s.icount;
  if (back > now - replay_timeline_start(&s->hist.tl)) return false;
  *target = now - back;
  *trap = back && mon_history_trap_at(&s->hist, *target);
  return true;
}

mon_status mon_cmd_reverse_stepi(mon *s, const char *args, FILE *out) {
  uint64_t n;
  const char *why = no_history(s);
  if (why) return mon_fail(out, "%s", why);
  if (!mon_count_arg(s, args, &n, out)) return MON_ERROR;
  uint64_t target;
  bool trap;
  if (!step_back(s, n, &target, &trap)) {
    char what[96];
    snprintf(what, sizeof what, "cannot go back %" PRIu64 " instruction%s from icount %" PRIu64,
             n, n == 1 ? "" : "s", s->m->cpu.s.icount);
    return before_start(s, what, out);
  }
  return land(s, target, trap, out, true) ? MON_OK : MON_ERROR;
}

/* Whether the instruction at the pc returns (jalr zero, ra) to addr. */
static bool returns_to(mon *s, uint32_t addr) {
  uint32_t word;
  const cpu_state *st = &s->m->cpu.s;
  if (!mon_read(s, st->pc, &word, 4)) return false;
  cpu_decoded d = cpu_decode(word);
  return d.op == CPU_OP_JALR && d.rd == 0 && d.rs1 == REG_RA &&
         ((st->x[REG_RA] + d.imm) & ~1u) == addr;
}

/* Whether the word at addr is a call: jal or jalr that links. */
static bool is_call(mon *s, uint32_t addr) {
  uint32_t word;
  if (!mon_read(s, addr, &word, 4)) return false;
  cpu_decoded d = cpu_decode(word);
  return (d.op == CPU_OP_JAL || d.op == CPU_OP_JALR) && d.rd != 0;
}

mon_status mon_cmd_reverse_nexti(mon *s, const char *args, FILE *out) {
  uint64_t n;
  const char *why = no_history(s);
  if (why) return mon_fail(out, "%s", why);
  if (!mon_count_arg(s, args, &n, out)) return MON_ERROR;
  machine *m = s->m;
  uint64_t target;
  bool trap;
  if (!step_back(s, 1, &target, &trap)) return before_start(s, "cannot go back from here", out);
  rev_point home = here_point(s);
  for (uint64_t i = 0; i < n && step_back(s, 1, &target, &trap); i++) {
    uint32_t pc = m->cpu.s.pc, sp = m->cpu.s.x[REG_SP];
    if (!land(s, target, trap, out, false)) return MON_ERROR;
    /* back from after a call: to the call itself, over the callee */
    rev_find f = {false, pc - 4, sp, false};
    if (returns_to(s, pc) && is_call(s, pc - 4) &&
        !go_back_to(s, &f, home, "the call that returned there", out)) {
      return MON_ERROR;
    }
  }
  mon_stop si = {.why = MACHINE_STOP_LIMIT};
  mon_report(s, &si, out);
  return MON_OK;
}

mon_status mon_cmd_reverse_continue(mon *s, const char *args, FILE *out) {
  if (*mon_skip_space(args)) return mon_fail(out, "reverse-continue takes no arguments");
  const char *why = no_history(s);
  if (why) return mon_fail(out, "%s", why);
  rev_find f = {.user = true};
  rev_hit hit;
  rev_point home = here_point(s);
  if (!find_last(s, &f, &hit)) {
    if (land(s, home.icount, home.trap, out, false)) {
      fprintf(out, "Interrupted: the guest is still at icount %" PRIu64 "\n", home.icount);
    }
    return MON_OK;
  }
  if (!hit.found) {
    if (!land(s, replay_timeline_start(&s->hist.tl), false, out, false)) return MON_ERROR;
    fprintf(out, "No more reverse-execution history: no breakpoint or watchpoint "
            "was hit before icount %" PRIu64 "; the guest is at the start of history\n",
            home.icount);
    mon_show_next(s, out);
    return MON_OK;
  }
  if (!land(s, hit.icount, hit.trap, out, false)) return MON_ERROR;
  hit.si.bp->hits++;
  mon_report(s, &hit.si, out);
  return MON_OK;
}

mon_status mon_cmd_reverse_finish(mon *s, const char *args, FILE *out) {
  if (*mon_skip_space(args)) return mon_fail(out, "reverse-finish takes no arguments");
  const char *why = no_history(s);
  if (why) return mon_fail(out, "%s", why);
  const cpu_state *st = &s->m->cpu.s;
  const elf_sym *f = elf_symtab_find(&s->m->elf.syms, st->pc);
  uint32_t ret_pc, ret_sp;
  if (!mon_caller(s, st->pc, st->x[REG_SP], st->x[REG_RA], &ret_pc, &ret_sp)) {
    return mon_fail(out, "cannot tell where %s was called from (no function symbol here, "
                    "or its prologue is not the usual one)", f ? f->name : "the code at the pc");
  }
  char func[160];
  snprintf(func, sizeof func, "%s", f ? f->name : "this function");
  rev_find find = {false, ret_pc - 4, ret_sp, true};
  char what[200];
  snprintf(what, sizeof what, "the call of %s", func);
  if (!go_back_to(s, &find, here_point(s), what, out)) return MON_ERROR;
  fprintf(out, "Run back to the call of %s\n", func);
  mon_show_next(s, out);
  return MON_OK;
}

/* How a guest that stopped for good stopped, for goto's refusal. */
static const char *end_name(machine_stop st) {
  switch (st) {
  case MACHINE_STOP_SHUTDOWN: return "the guest shut down";
  case MACHINE_STOP_FAULT: return "the guest faulted";
  case MACHINE_STOP_DEADLOCK: return "the guest deadlocked";
  case MACHINE_STOP_CLOSED: return "the display window was closed";
  default: return "a host error stopped the guest";
  }
}

mon_status mon_cmd_goto(mon *s, const char *args, FILE *out) {
  uint64_t target;
  if (!mon_icount_arg("goto", args, &target, out)) return MON_ERROR;
  const char *why = no_history(s);
  if (why) return mon_fail(out, "%s", why);
  mon_history *h = &s->hist;
  if (target < replay_timeline_start(&h->tl)) {
    char what[64];
    snprintf(what, sizeof what, "cannot go to icount %" PRIu64, target);
    return before_start(s, what, out);
  }
  if (target <= h->reached) return land(s, target, false, out, true) ? MON_OK : MON_ERROR;
  /* past the end of a guest that stopped for good there is nothing to run
   * to: refused, and the guest stays where it is (as gdb and rr do) */
  if (mon_guest_finished(h->end_stop)) {
    return mon_fail(out, "cannot go to icount %" PRIu64 ": history ends at icount %" PRIu64
                    ", where %s; 'goto %" PRIu64 "' goes to the end%s", target, h->reached,
                    end_name(h->end_stop), h->reached,
                    h->replay ? "" : ", 'restart' runs the guest again");
  }
  /* past where history reached: run there */
  if (s->m->cpu.s.icount < h->reached && !land(s, h->reached, false, out, false)) return MON_ERROR;
  return mon_cmd_run_until(s, args, out);
}

/* "1.5 MiB" */
static void print_size(FILE *out, size_t bytes) {
  if (bytes < MIB) fprintf(out, "%.1f KiB", bytes / 1024.0);
  else fprintf(out, "%.1f MiB", bytes / (double)MIB);
}

mon_status mon_info_reverse(mon *s, const char *args, FILE *out) {
  if (*mon_skip_space(args)) return mon_fail(out, "info reverse takes no arguments");
  const mon_history *h = &s->hist;
  const replay_timeline *tl = &h->tl;
  const char *why = no_history(s);
  if (why) {
    fprintf(out, "%s\n", why);
    return MON_OK;
  }
  fprintf(out, "%-12sicount %" PRIu64 " to %" PRIu64 ", now at %" PRIu64 "\n", "History",
          replay_timeline_start(tl), h->reached, s->m->cpu.s.icount);
  fprintf(out, "%-12s%zu, one every %" PRIu64 " instructions", "Checkpoints", tl->n,
          tl->interval);
  if (tl->thinned) fprintf(out, " (%" PRIu64 " dropped to stay in the budget)", tl->thinned);
  fprintf(out, "\n%-12s", "Memory");
  print_size(out, tl->used);
  fprintf(out, " of a ");
  print_size(out, tl->budget);
  fprintf(out, " budget%s\n", tl->used > tl->budget ? " (over it: the first and the "
          "newest checkpoint always stay)" : "");
  uint64_t bytes, queue, waits;
  replay_tap_summary(h->tap, &bytes, &queue, &waits);
  fprintf(out, "%-12s%zu entries: %" PRIu64 " console bytes, %" PRIu64 " input queue changes%s\n",
          "Input log", h->tap->n, bytes, queue,
          h->replay ? " (a recording: there is no input past its end)" : "");
  return MON_OK;
}

/* A budget: MiB, or with a K, M or G suffix. */
static bool parse_budget(const char *text, size_t *bytes) {
  char num[32];
  size_t n = strlen(text);
  if (n == 0 || n >= sizeof num) return false;
  memcpy(num, text, n + 1);
  size_t unit = MIB;
  char last = num[n - 1];
  if (last == 'K' || last == 'k' || last == 'M' || last == 'm' || last == 'G' || last == 'g') {
    unit = last == 'K' || last == 'k' ? 1024 : last == 'G' || last == 'g' ? 1024 * MIB : MIB;
    num[--n] = 0;
  }
  uint64_t v;
  if (!mon_parse_count(num, &v) || v == 0 || v > SIZE_MAX / unit) return false;
  *bytes = (size_t)v * unit;
  return true;
}

mon_status mon_set_reverse(mon *s, const char *what, const char *args, FILE *out) {
  char word[40], extra[8];
  const char *p = args;
  bool have = mon_next_word(&p, word, sizeof word) && !mon_next_word(&p, extra, sizeof extra);
  replay_timeline *tl = &s->hist.tl;
  if (strcmp(what, "reverse-budget") == 0) {
    size_t bytes;
    if (!have || !parse_budget(word, &bytes)) {
      return mon_fail(out, "usage: set reverse-budget MIB (or a size with K, M or G), "
                      "1 or more; now %zu MiB", tl->budget / MIB);
    }
    replay_timeline_set_budget(tl, bytes);
    return MON_OK;
  }
  uint64_t n;
  if (!have || !mon_parse_count(word, &n) || n == 0) {
    return mon_fail(out, "usage: set reverse-interval N (instructions between checkpoints, "
                    "1 or more); now %" PRIu64, tl->interval);
  }
  replay_timeline_set_interval(tl, n);
  return MON_OK;
}
