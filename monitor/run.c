/* Running the guest under the monitor: one engine (mon_go) that steps off a
 * breakpoint it is sitting on, runs, and decides whether a breakpoint,
 * watchpoint or catchpoint the machine stopped at really ends the command
 * (conditions, value changes, the internal breakpoint's frame); and the
 * report: one line saying why the guest stopped, then the next instruction.
 * Runs go through mon_machine_run (reverse.c), which keeps the history. */
#include <inttypes.h>
#include <string.h>

#include "mon_int.h"
#include "pvabi_calls.h"
#include "snapshot.h"

bool mon_can_run(mon *s, FILE *out) {
  if (!s->guest_done) return true;
  mon_fail(out, "the guest is not running any more; 'restart' starts it again");
  return false;
}

static bool bp_enabled_at(const mon *s, uint32_t pc) {
  for (size_t i = 0; i < s->nbps; i++) {
    const mon_bp *b = &s->bps[i];
    if (b->kind == MON_BP_BREAK && b->enabled && b->addr == pc) return true;
  }
  return s->internal_active && s->internal_addr == pc;
}

/* A condition that cannot be evaluated counts as true, so the user sees
 * the problem. */
mon_bp *mon_breakpoint_hit(mon *s, uint32_t pc) {
  mon_bp *hit = NULL;
  for (size_t i = 0; i < s->nbps; i++) {
    mon_bp *b = &s->bps[i];
    if (b->kind != MON_BP_BREAK || !b->enabled || b->addr != pc) continue;
    uint32_t v = 1;
    if (b->cond && !mon_eval(s, b->cond, &v, s->out)) v = 1;
    if (!v) continue;
    b->hits++;
    if (!hit) hit = b;
  }
  return hit;
}

static mon_bp *catch_hit(mon *s, mon_bp_kind kind, int which) {
  for (size_t i = 0; i < s->nbps; i++) {
    mon_bp *b = &s->bps[i];
    if (b->kind == kind && b->enabled && (b->which < 0 || b->which == which)) {
      b->hits++;
      return b;
    }
  }
  return NULL;
}

/* A watchpoint stopped the CPU before the access: carry the access out,
 * then decide. */
static machine_stop watch_step(mon *s, mon_stop *si, bool *stop) {
  machine *m = s->m;
  cpu_watch_hit wh = m->cpu.watch_hit;
  mon_bp *b = mon_bp_find(s, s->watch_bp[wh.index]);
  uint32_t len = b && b->len < sizeof si->old ? b->len : sizeof si->old;
  si->insn_pc = m->cpu.s.pc;
  si->have_old = b && mon_read(s, b->addr, si->old, len);
  mon_arm(s, true);
  m->cpu.watch_skip = true;
  machine_stop st = mon_machine_run(s, m->cpu.s.icount + 1);
  m->cpu.watch_skip = false;
  *stop = false;
  if (!b) return st;
  mon_read(s, b->addr, si->now, len);
  bool changed = !si->have_old || memcmp(si->old, si->now, len) != 0;
  if (b->kind != MON_BP_WATCH || !wh.is_write || changed) {
    b->hits++;
    si->bp = b;
    si->is_write = wh.is_write;
    *stop = true;
  }
  return st;
}

/* Whether Ctrl-C stopped the guest inside the hypercall at the pc (an
 * event_wait waiting), which then runs again: its catchpoint, if any,
 * was passed already. */
static bool interrupted_in_hcall(const mon *s) {
  const machine *m = s->m;
  const machine_debug *dbg = &m->dbg;
  if (s->last_stop != MACHINE_STOP_INTERRUPT || dbg->hlog_count == 0) return false;
  const machine_hcall_rec *rec = &dbg->hlog[(dbg->hlog_count - 1) % MACHINE_HCALL_LOG];
  return rec->status == DEV_STOPPED && rec->pc == m->cpu.s.pc &&
         rec->icount == m->cpu.s.icount;
}

machine_stop mon_go(mon *s, uint64_t limit, mon_stop *si) {
  machine *m = s->m;
  memset(si, 0, sizeof *si);
  if ((s->last_stop == MACHINE_STOP_CATCH_HCALL && m->cpu.s.pc == s->catch_pc) ||
      interrupted_in_hcall(s)) {
    m->dbg.catch_skip = true; /* carry out the call it stopped before */
  }
  if (s->last_stop == MACHINE_STOP_EBREAK) {
    uint32_t word;
    if (mon_read(s, m->cpu.s.pc, &word, 4) &&
        word == cpu_insn_table[CPU_OP_EBREAK].match) {
      cpu_retire(&m->cpu); /* go on after the ebreak, not into it again */
    }
  }
  s->last_stop = MACHINE_STOP_NONE;
  for (;;) {
    if (m->cpu.s.icount >= limit) return si->why = MACHINE_STOP_LIMIT;
    bool tracing = mon_tracing_insns(s);
    bool on_bp = bp_enabled_at(s, m->cpu.s.pc);
    uint64_t lim = on_bp || tracing ? m->cpu.s.icount + 1 : limit;
    mon_arm(s, on_bp);
    if (tracing) mon_trace_insn(s);
    machine_stop st = mon_machine_run(s, lim);
    bool stop = true;
    switch (st) {
    case MACHINE_STOP_LIMIT: stop = m->cpu.s.icount >= limit; break;
    case MACHINE_STOP_BREAKPOINT:
      if (s->internal_active && m->cpu.s.pc == s->internal_addr &&
          m->cpu.s.x[2] >= s->internal_sp) {
        si->internal = true;
        break;
      }
      si->bp = mon_breakpoint_hit(s, m->cpu.s.pc);
      stop = si->bp != NULL;
      break;
    case MACHINE_STOP_WATCH:
      st = watch_step(s, si, &stop);
      if (st != MACHINE_STOP_LIMIT) stop = true; /* the access faulted... */
      else if (stop) st = MACHINE_STOP_WATCH;
      break;
    case MACHINE_STOP_CATCH_HCALL: {
      const pvabi_call *c = pvabi_lookup(m->cpu.s.x[17]);
      si->bp = catch_hit(s, MON_BP_CATCH_HCALL, c ? (int)(c - pvabi_calls) : -2);
      s->catch_pc = m->cpu.s.pc;
      break;
    }
    case MACHINE_STOP_CATCH_TRAP:
      si->bp = catch_hit(s, MON_BP_CATCH_TRAP, (int)m->cpu.s.x[11]);
      break;
    case MACHINE_STOP_INTERRUPT: s->interrupt = 0; break;
    default: break;
    }
    if (!stop) continue;
    if (mon_guest_finished(st)) s->guest_done = true;
    s->last_stop = st;
    return si->why = st;
  }
}

static void print_value(FILE *out, const uint8_t *b, uint32_t len) {
  if (len > 4) {
    for (uint32_t i = 0; i < len; i++) fprintf(out, "%s%02x", i ? " " : "", b[i]);
    return;
  }
  uint32_t v = 0;
  for (uint32_t i = 0; i < len; i++) v |= (uint32_t)b[i] << (8 * i);
  fprintf(out, "%" PRIu32 " (0x%" PRIx32 ")", v, v);
}

static void report_watch(mon *s, const mon_stop *si, FILE *out) {
  const mon_bp *b = si->bp;
  char by[200];
  mon_format_addr(s, si->insn_pc, by, sizeof by);
  uint32_t len = b->len < sizeof si->old ? b->len : sizeof si->old;
  const char *kind = b->kind == MON_BP_WATCH ? "Watchpoint" :
                     b->kind == MON_BP_RWATCH ? "Read watchpoint" : "Access watchpoint";
  if (si->is_write) {
    fprintf(out, "%s %u (%s): written by %s: old ", kind, b->id, b->what, by);
    if (si->have_old) print_value(out, si->old, len);
    else fprintf(out, "(unreadable)");
    fprintf(out, ", new ");
  } else {
    fprintf(out, "%s %u (%s): read by %s: value ", kind, b->id, b->what, by);
  }
  print_value(out, si->now, len);
  fputc('\n', out);
}

static void report_hcall(mon *s, const mon_stop *si, FILE *out) {
  const uint32_t *x = s->m->cpu.s.x;
  const pvabi_call *c = pvabi_lookup(x[17]);
  char where[200];
  mon_format_addr(s, s->m->cpu.s.pc, where, sizeof where);
  fprintf(out, "Catchpoint %u (hcall %s): ", si->bp ? si->bp->id : 0,
          si->bp ? si->bp->what + 6 : "");
  if (c) {
    fprintf(out, "%s(", c->name);
    for (int i = 0; i < c->argc; i++) {
      fprintf(out, "%s%s=0x%" PRIx32, i ? ", " : "", c->argn[i], x[10 + i]);
    }
    fprintf(out, ")");
  } else { /* as the tracer writes it */
    fprintf(out, "0x%" PRIx32 "(unknown)", x[17]);
  }
  fprintf(out, " at %s\n", where);
}

/* One line: why the guest stopped; then the next instruction. */
void mon_report(mon *s, const mon_stop *si, FILE *out) {
  machine *m = s->m;
  char where[200], text[1024];
  mon_fresh_line(s, out);
  mon_format_addr(s, m->cpu.s.pc, where, sizeof where);
  s->reported = si->why;
  s->reported_bp = si->bp ? si->bp->id : 0;
  switch (si->why) {
  case MACHINE_STOP_LIMIT:
    fprintf(out, "Stopped at icount %" PRIu64 "\n", m->cpu.s.icount);
    break;
  case MACHINE_STOP_BREAKPOINT:
    if (si->internal) {
      fprintf(out, "Stopped at %s\n", where);
    } else if (si->bp) {
      fprintf(out, "%s %u, %s\n", si->bp->temporary ? "Temporary breakpoint" : "Breakpoint",
              si->bp->id, where);
      if (si->bp->temporary) mon_bp_delete(s, si->bp);
    }
    break;
  case MACHINE_STOP_WATCH: report_watch(s, si, out); break;
  case MACHINE_STOP_CATCH_HCALL: report_hcall(s, si, out); break;
  case MACHINE_STOP_CATCH_TRAP: {
    uint32_t user_pc = 0; /* the frame's pc, as the trap saved it */
    mon_read(s, m->dev.vcpu.frame + 4 * 32, &user_pc, 4);
    fprintf(out, "Catchpoint %u (trap %s): from user pc 0x%08" PRIx32 ", tval 0x%08" PRIx32
            "; the kernel is at %s\n", si->bp ? si->bp->id : 0,
            mon_cause_name(m->cpu.s.x[11]), user_pc, m->cpu.s.x[12], where);
    break;
  }
  case MACHINE_STOP_INTERRUPT:
    fprintf(out, "Interrupted at icount %" PRIu64 ", %s\n", m->cpu.s.icount, where);
    break;
  case MACHINE_STOP_SHUTDOWN:
    fprintf(out, "The guest shut down with exit code %" PRIu32 " after %" PRIu64
            " instructions\n", m->dev.power.exit_code, m->cpu.s.icount);
    return;
  case MACHINE_STOP_FAULT:
    machine_describe_fault(m, text, sizeof text);
    fprintf(out, "%s: %s\n", m->dev.vcpu.registered ? "Kernel panic (fault in kernel mode)"
                                                     : "Guest fault", text);
    return;
  case MACHINE_STOP_EBREAK:
    fprintf(out, "The guest hit ebreak at %s (continuing goes on after it)\n", where);
    break;
  case MACHINE_STOP_BREAK:
    fprintf(out, "The guest called debug_break; it goes on at %s\n", where);
    break;
  case MACHINE_STOP_DEADLOCK:
    fprintf(out, "Deadlock: the guest waits at %s for events (mask 0x%" PRIx32
            ") that can never come\n", where, m->deadlock_events);
    return;
  case MACHINE_STOP_HOST_ERROR:
    fprintf(out, "Host error: %s\n", m->host_fault.msg);
    return;
  case MACHINE_STOP_CLOSED:
    fprintf(out, "The display window was closed\n");
    return;
  case MACHINE_STOP_NONE: break;
  }
  mon_show_next(s, out);
}

bool mon_count_arg(mon *s, const char *args, uint64_t *n, FILE *out) {
  const char *p = mon_skip_space(args);
  *n = 1;
  if (!*p) return true;
  uint32_t v;
  if (!mon_eval(s, p, &v, out)) return false;
  if (v == 0) {
    mon_fail(out, "a count of 0 does nothing; give 1 or more");
    return false;
  }
  *n = v;
  return true;
}

static void set_internal(mon *s, uint32_t addr, uint32_t sp) {
  s->internal_active = true;
  s->internal_addr = addr;
  s->internal_sp = sp;
}

mon_status mon_cmd_stepi(mon *s, const char *args, FILE *out) {
  uint64_t n;
  if (!mon_count_arg(s, args, &n, out) || !mon_can_run(s, out)) return MON_ERROR;
  mon_stop si;
  uint64_t start = s->m->cpu.s.icount;
  mon_go(s, start + n > start ? start + n : UINT64_MAX, &si);
  mon_report(s, &si, out);
  return MON_OK;
}

/* Whether the instruction at pc is a call: jal or jalr that links. */
static bool at_call(mon *s) {
  uint32_t word;
  if (!mon_read(s, s->m->cpu.s.pc, &word, 4)) return false;
  cpu_decoded d = cpu_decode(word);
  return (d.op == CPU_OP_JAL || d.op == CPU_OP_JALR) && d.rd != 0;
}

mon_status mon_cmd_nexti(mon *s, const char *args, FILE *out) {
  uint64_t n;
  if (!mon_count_arg(s, args, &n, out) || !mon_can_run(s, out)) return MON_ERROR;
  mon_stop si = {.why = MACHINE_STOP_LIMIT};
  for (uint64_t i = 0; i < n; i++) {
    if (at_call(s)) {
      set_internal(s, s->m->cpu.s.pc + 4, s->m->cpu.s.x[2]);
      mon_go(s, UINT64_MAX, &si);
      s->internal_active = false;
      if (si.internal) si.why = MACHINE_STOP_LIMIT; /* a step like any other */
      else break;
    } else {
      mon_go(s, s->m->cpu.s.icount + 1, &si);
      if (si.why != MACHINE_STOP_LIMIT) break;
    }
  }
  mon_report(s, &si, out);
  return MON_OK;
}

mon_status mon_cmd_continue(mon *s, const char *args, FILE *out) {
  if (*mon_skip_space(args)) return mon_fail(out, "continue takes no arguments");
  if (!mon_can_run(s, out)) return MON_ERROR;
  mon_stop si;
  mon_go(s, UINT64_MAX, &si);
  mon_report(s, &si, out);
  return MON_OK;
}

mon_status mon_cmd_finish(mon *s, const char *args, FILE *out) {
  if (!mon_can_run(s, out)) return MON_ERROR;
  const cpu_state *st = &s->m->cpu.s;
  const elf_sym *f = elf_symtab_find(&s->m->elf.syms, st->pc);
  uint32_t ret_pc, ret_sp;
  if (!mon_caller(s, st->pc, st->x[2], st->x[1], &ret_pc, &ret_sp)) {
    return mon_fail(out, "cannot tell where %s returns to (no function symbol "
                    "here, or its prologue is not the usual one); use 'until "
                    "ADDRESS'", f ? f->name : "the code at the pc");
  }
  char func[160];
  snprintf(func, sizeof func, "%s", f->name);
  set_internal(s, ret_pc, ret_sp);
  mon_stop si;
  mon_go(s, UINT64_MAX, &si);
  s->internal_active = false;
  if (si.internal) {
    mon_fresh_line(s, out);
    fprintf(out, "Run till exit from %s: returned, a0 = %" PRIu32 " (0x%" PRIx32 ")\n",
            func, s->m->cpu.s.x[10], s->m->cpu.s.x[10]);
    mon_show_next(s, out);
  } else {
    mon_report(s, &si, out);
  }
  return MON_OK;
}

mon_status mon_cmd_until(mon *s, const char *args, FILE *out) {
  uint32_t addr;
  if (!mon_location(s, args, &addr, out) || !mon_can_run(s, out)) return MON_ERROR;
  if (addr & 3u) return mon_fail(out, "0x%08x is not 4-byte aligned: no instruction starts there", addr);
  set_internal(s, addr, 0);
  mon_stop si;
  mon_go(s, UINT64_MAX, &si);
  s->internal_active = false;
  mon_report(s, &si, out);
  return MON_OK;
}

mon_status mon_cmd_run_until(mon *s, const char *args, FILE *out) {
  uint64_t target;
  if (!mon_icount_arg("run-until", args, &target, out)) return MON_ERROR;
  if (target <= s->m->cpu.s.icount) {
    return mon_fail(out, "icount %" PRIu64 " is not ahead (the guest is at %" PRIu64 ")",
                    target, s->m->cpu.s.icount);
  }
  if (!mon_can_run(s, out)) return MON_ERROR;
  mon_stop si;
  mon_go(s, target, &si);
  mon_report(s, &si, out);
  return MON_OK;
}

void mon_forget_run(mon *s) {
  s->m->dbg.hlog_count = 0;
  s->guest_done = false;
  s->last_stop = MACHINE_STOP_NONE;
  s->guest_line_open = false;
  mon_history_reset(s);
}

void mon_guest_loaded(mon *s, const char *what, FILE *out) {
  memset(&s->m->stats, 0, sizeof s->m->stats);
  mon_forget_run(s);
  fprintf(out, "%s %s\n", what, s->guest);
  mon_show_next(s, out);
}

mon_status mon_cmd_restart(mon *s, const char *args, FILE *out) {
  if (s->hist.replay) {
    return mon_fail(out, "this session replays a recording, which has no guest file to "
                    "load again; 'goto %" PRIu64 "' goes back to its start",
                    replay_timeline_start(&s->hist.tl));
  }
  host_error err;
  /* a session started from a snapshot (debug --load) starts it again */
  bool ok = snap_file_sniff(s->guest) ? snap_load(s->m, s->guest, &err)
                                      : machine_load_elf(s->m, s->guest, &err);
  if (!ok) return mon_fail(out, "%s", err.msg);
  mon_guest_loaded(s, "Restarted", out);
  return MON_OK;
}
