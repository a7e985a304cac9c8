/* What mon.h gives front ends that run the guest themselves (the gdb
 * stub): the session's own run, points and state, behind the command
 * table's back but through the same pieces the commands use. */
#include "mon_int.h"

machine *mon_machine(mon *s) { return s->m; }

void mon_changed(mon *s) { mon_history_reset(s); }

static bool is_watch(mon_bp_kind k) {
  return k == MON_BP_WATCH || k == MON_BP_RWATCH || k == MON_BP_AWATCH;
}

bool mon_watching(const mon *s) {
  for (size_t i = 0; i < s->nbps; i++) {
    if (s->bps[i].enabled && is_watch(s->bps[i].kind)) return true;
  }
  return false;
}

bool mon_delete_point(mon *s, mon_bp_kind kind, uint32_t addr, uint32_t len) {
  for (size_t i = 0; i < s->nbps; i++) {
    mon_bp *b = &s->bps[i];
    if (b->kind == kind && b->addr == addr && (!is_watch(kind) || b->len == len)) {
      mon_bp_delete(s, b);
      return true;
    }
  }
  return false;
}

static mon_point point_of(const mon_bp *b) {
  if (!b) return (mon_point){.set = false};
  return (mon_point){true, b->kind, b->addr, b->len};
}

machine_stop mon_resume(mon *s, uint64_t limit, mon_point *at, FILE *report) {
  mon_stop si;
  FILE *outer = s->out; /* traces to the monitor's output go to report */
  s->out = report;
  machine_stop st = mon_go(s, limit, &si);
  s->out = outer;
  *at = point_of(si.bp);
  if (report && st != MACHINE_STOP_LIMIT && st != MACHINE_STOP_BREAKPOINT &&
      st != MACHINE_STOP_WATCH && st != MACHINE_STOP_INTERRUPT) {
    mon_report(s, &si, report);
  }
  return st;
}

machine_stop mon_take_stop(mon *s, mon_point *at) {
  machine_stop why = s->reported;
  if (at) *at = point_of(mon_bp_find(s, s->reported_bp));
  s->reported = MACHINE_STOP_NONE;
  s->reported_bp = 0;
  return why;
}

bool mon_finished(const mon *s, machine_stop *how) {
  if (s->guest_done) *how = s->last_stop;
  return s->guest_done;
}
