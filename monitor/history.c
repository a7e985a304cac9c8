/* The session's history, which reverse execution moves in: every forward
 * run goes through mon_machine_run, which takes checkpoints
 * (replay/timeline.h) as the guest runs and notes the traps it takes,
 * while a tap (replay/tap.h) logs everything the guest receives from
 * outside; mon_history_seek puts the machine back at any instruction count
 * history has reached.  pvlab debug --record saves the same history as a
 * bundle.  The commands that use it are in run.c (forward) and reverse.c. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mon_int.h"

bool mon_guest_finished(machine_stop st) {
  return st == MACHINE_STOP_SHUTDOWN || st == MACHINE_STOP_FAULT ||
         st == MACHINE_STOP_HOST_ERROR || st == MACHINE_STOP_DEADLOCK ||
         st == MACHINE_STOP_CLOSED;
}

void mon_history_init(mon *s, replay_tap *ext) {
  mon_history *h = &s->hist;
  if (ext) {
    h->tap = ext;
    h->replay = true;
  } else {
    replay_tap_attach(&h->own, s->m);
    h->tap = &h->own;
  }
  replay_timeline_init(&h->tl, s->m, h->tap);
  h->ok = replay_timeline_reset(&h->tl);
  h->reached = s->m->cpu.s.icount;
}

void mon_history_free(mon *s) {
  mon_history *h = &s->hist;
  replay_timeline_free(&h->tl);
  if (h->tap == &h->own) replay_tap_detach(&h->own);
  replay_bundle_init_free(&h->rec_init);
  replay_bundle_hashes_free(&h->rec_hashes);
  free(h->traps);
  h->tap = NULL;
}

/* --record: the bundle starts where history starts. */
static void record_from_here(mon *s) {
  mon_history *h = &s->hist;
  host_error err;
  replay_bundle_init_free(&h->rec_init);
  replay_bundle_hashes_free(&h->rec_hashes);
  if (!replay_bundle_init_take(&h->rec_init, s->m, &err) ||
      !replay_bundle_hashes_add(&h->rec_hashes, s->m->cpu.s.icount,
                         machine_state_hash_fast(s->m))) {
    h->rec_broken = true;
  }
}

void mon_history_reset(mon *s) {
  mon_history *h = &s->hist;
  replay_tap_reset(h->tap);
  h->ok = replay_timeline_reset(&h->tl);
  h->reached = s->m->cpu.s.icount;
  h->end_stop = MACHINE_STOP_NONE;
  h->trap_seen = false; /* here is where seeking this icount lands now */
  h->ntraps = 0;
  if (h->recording) record_from_here(s);
}

bool mon_record_start(mon *s, host_error *err) {
  mon_history *h = &s->hist;
  if (h->replay) return host_fail(err, "a replay cannot be recorded again");
  h->recording = true;
  h->rec_broken = false;
  record_from_here(s);
  if (h->rec_broken) return host_fail(err, "out of memory for the recording's initial state");
  return true;
}

void mon_history_trap(mon *s, uint32_t cause) {
  mon_history *h = &s->hist;
  if (cause == PV_CAUSE_EVENT) return; /* taken before the instruction runs */
  uint64_t now = s->m->cpu.s.icount;
  h->trap_seen = true;
  h->trap_at = now;
  if (h->ntraps && h->traps[h->ntraps - 1] >= now) return; /* known */
  if (h->ntraps == h->captraps) {
    size_t cap = h->captraps ? h->captraps * 2 : 64;
    uint64_t *t = realloc(h->traps, cap * sizeof *t);
    if (!t) return; /* stepping back onto this one lands before it */
    h->traps = t;
    h->captraps = cap;
  }
  h->traps[h->ntraps++] = now;
}

/* Whether history took a trap at icount n. */
bool mon_history_trap_at(const mon_history *h, uint64_t n) {
  size_t lo = 0, hi = h->ntraps;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (h->traps[mid] < n) lo = mid + 1;
    else hi = mid;
  }
  return lo < h->ntraps && h->traps[lo] == n;
}

/* Whether the machine is just past a trap that counted no instruction. */
bool mon_history_past_trap(const mon *s) {
  return s->hist.trap_seen && s->hist.trap_at == s->m->cpu.s.icount;
}

/* A checkpoint here, and the state hash the bundle keeps with it.  Not
 * just past a trap: a checkpoint must be where seeking its icount lands. */
static void checkpoint(mon *s) {
  mon_history *h = &s->hist;
  if (h->tap->diverged || mon_history_past_trap(s) || !replay_timeline_take(&h->tl)) return;
  if (h->recording && !replay_bundle_hashes_add(&h->rec_hashes, s->m->cpu.s.icount,
                                         machine_state_hash_fast(s->m))) {
    h->rec_broken = true;
  }
}

machine_stop mon_machine_run(mon *s, uint64_t limit) {
  machine *m = s->m;
  mon_history *h = &s->hist;
  for (;;) {
    uint64_t now = m->cpu.s.icount, lim = limit;
    if (h->ok && now >= replay_timeline_due(&h->tl)) checkpoint(s);
    uint64_t due = replay_timeline_due(&h->tl);
    if (due > now && due < lim) lim = due;
    /* a point where logged input is due gets a run of its own, so that
     * input the live run polled twice there is served twice */
    if (m->io_due > now && m->io_due < lim) lim = m->io_due;
    machine_stop st = machine_run(m, lim);
    replay_tap_advance(h->tap);
    if (m->cpu.s.icount > h->reached ||
        (m->cpu.s.icount == h->reached && st != MACHINE_STOP_LIMIT)) {
      h->reached = m->cpu.s.icount;
      h->end_stop = st;
    }
    if (st != MACHINE_STOP_LIMIT || m->cpu.s.icount >= limit) return st;
  }
}

/* ---- moving in history */

/* Puts the machine at icount target (at or after history's start, at most
 * where history reached), past a trap taken there with past_trap: from
 * the newest checkpoint at or before it, or from where it stands when
 * that is nearer, with nothing armed.  Returns how the last run stopped:
 * MACHINE_STOP_LIMIT, or what the guest did at the target itself (shut
 * down); Ctrl-C (INTERRUPT) leaves it on the way. */
machine_stop mon_history_seek(mon *s, uint64_t target, bool trap) {
  machine *m = s->m;
  mon_history *h = &s->hist;
  size_t k = replay_timeline_find(&h->tl, target);
  if (k == SIZE_MAX) return MACHINE_STOP_NONE;
  uint64_t now = m->cpu.s.icount;
  if (target < now || (target == now && mon_history_past_trap(s)) || h->tl.ck[k].cpu.icount > now) {
    if (!replay_timeline_restore(&h->tl, k)) {
      host_fail(&m->host_fault, "out of memory going back in history");
      return MACHINE_STOP_HOST_ERROR;
    }
    h->trap_seen = false;
  }
  mon_disarm(s);
  h->reexec = true;
  machine_stop st = MACHINE_STOP_LIMIT;
  while (m->cpu.s.icount < target) {
    st = mon_machine_run(s, target);
    if (st == MACHINE_STOP_EBREAK) cpu_retire(&m->cpu); /* went on after it */
    else if (st != MACHINE_STOP_LIMIT && st != MACHINE_STOP_BREAK) break;
    st = MACHINE_STOP_LIMIT;
  }
  if (trap && st == MACHINE_STOP_LIMIT && m->cpu.s.icount == target && !mon_history_past_trap(s)) {
    m->dbg.catch_traps = ~(1u << PV_CAUSE_EVENT); /* stop right after the trap */
    st = mon_machine_run(s, target + 1);
    m->dbg.catch_traps = 0;
    if (st == MACHINE_STOP_CATCH_TRAP) st = MACHINE_STOP_LIMIT;
  }
  h->reexec = false;
  if (st == MACHINE_STOP_INTERRUPT) s->interrupt = 0;
  s->last_stop = st == MACHINE_STOP_LIMIT ? MACHINE_STOP_NONE : st;
  s->guest_done = m->dev.power.off || mon_guest_finished(st);
  return st;
}

bool mon_record_save(mon *s, const char *path, host_error *err) {
  mon_history *h = &s->hist;
  machine *m = s->m;
  if (!h->recording) return host_fail(err, "this session is not being recorded");
  if (h->rec_broken || h->tap->oom) {
    return host_fail(err, "out of memory while recording: bundle '%s' would be "
                    "incomplete, so it was not written", path);
  }
  /* the recording ends where the session got furthest */
  if ((m->cpu.s.icount < h->reached || mon_history_past_trap(s)) &&
      (mon_history_seek(s, h->reached, false), m->cpu.s.icount != h->reached)) {
    return host_fail(err, "could not get back to icount %" PRIu64 " to end bundle '%s' there",
                    h->reached, path);
  }
  /* an unfinished session ends with no stop of the guest's (MACHINE_STOP_NONE):
   * not an interrupt, which is how a run that Ctrl-C ended is recorded */
  machine_stop stop = mon_guest_finished(h->end_stop) ? h->end_stop : MACHINE_STOP_NONE;
  replay_bundle_end end = {m->cpu.s.icount, (uint32_t)stop, m->dev.power.exit_code,
                    machine_state_hash_fast(m)};
  return replay_bundle_write(path, &h->rec_init, h->tap, &h->rec_hashes, &end, err);
}
