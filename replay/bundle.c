/* Recording bundles (replay/bundle.h): writing one as a run goes, and
 * replaying one while checking that the run stays the recorded one. */
#include "bundle.h"

#include <stdlib.h>
#include <string.h>

/* Version 2 adds stop 0 (MACHINE_STOP_NONE): a debug session's recording
 * that ends with the guest still running, which version 1 wrote as an
 * interrupt, like a run that Ctrl-C ended.  Version 1 is read still. */
#define RECI_VERSION 2u

bool replay_bundle_init_take(replay_bundle_init *bi, machine *m, host_error *err) {
  memset(bi, 0, sizeof *bi);
  return snap_encode_machine(m, bi->sec, bi->bufs, &bi->nsec, err);
}

void replay_bundle_init_free(replay_bundle_init *bi) {
  for (size_t i = 0; i < SNAP_MACHINE_SECTIONS; i++) snap_buf_free(&bi->bufs[i]);
  memset(bi, 0, sizeof *bi);
}

bool replay_bundle_hashes_add(replay_bundle_hashes *hs, uint64_t icount, uint64_t hash) {
  if (hs->n == hs->cap) {
    size_t cap = hs->cap ? hs->cap * 2 : 64;
    replay_bundle_hash *h = realloc(hs->h, cap * sizeof *h);
    if (!h) return false;
    hs->h = h;
    hs->cap = cap;
  }
  hs->h[hs->n++] = (replay_bundle_hash){icount, hash};
  return true;
}

void replay_bundle_hashes_free(replay_bundle_hashes *hs) {
  free(hs->h);
  memset(hs, 0, sizeof *hs);
}

static void put_reci(snap_buf *b, const replay_tap *t, const replay_bundle_end *end) {
  snap_put_u32(b, RECI_VERSION);
  snap_put_u8(b, t->has_wait);
  snap_put_u64(b, end->icount);
  snap_put_u32(b, end->stop);
  snap_put_u32(b, end->exit_code);
  snap_put_u64(b, end->hash);
}

bool replay_bundle_write(const char *path, const replay_bundle_init *bi, const replay_tap *t,
                  const replay_bundle_hashes *hs, const replay_bundle_end *end, host_error *err) {
  snap_section sec[SNAP_MACHINE_SECTIONS + 3];
  snap_buf reci = {0}, log = {0}, hash = {0};
  size_t n = 0;
  for (size_t i = 0; i < bi->nsec; i++) sec[n++] = bi->sec[i];
  put_reci(&reci, t, end);
  bool ok = replay_tap_encode(t, &log);
  snap_put_u64(&hash, hs->n);
  for (size_t i = 0; i < hs->n; i++) {
    snap_put_u64(&hash, hs->h[i].icount);
    snap_put_u64(&hash, hs->h[i].hash);
  }
  if (!ok || reci.oom || hash.oom) {
    ok = host_fail(err, "out of memory writing bundle '%s'", path);
  } else {
    sec[n++] = (snap_section){"RECI", reci.p, reci.len};
    sec[n++] = (snap_section){"LOG", log.p, log.len};
    sec[n++] = (snap_section){"HASH", hash.p, hash.len};
    ok = snap_file_write(path, SNAP_KIND_BUNDLE, sec, n, err);
  }
  snap_buf_free(&reci);
  snap_buf_free(&log);
  snap_buf_free(&hash);
  return ok;
}

/* ---- recording */

static void take_hash(replay_recorder *r) {
  uint64_t h = machine_state_hash_fast(r->m);
  if (!replay_bundle_hashes_add(&r->hashes, r->m->cpu.s.icount, h)) r->tap.oom = true;
}

bool replay_record_start(replay_recorder *r, machine *m, uint64_t interval, host_error *err) {
  memset(r, 0, sizeof *r);
  r->m = m;
  r->interval = interval ? interval : REPLAY_HASH_INTERVAL;
  r->adaptive = interval == 0;
  if (!replay_bundle_init_take(&r->init, m, err)) return false;
  replay_tap_attach(&r->tap, m);
  r->next = m->cpu.s.icount + r->interval;
  return true;
}

machine_stop replay_record_run(replay_recorder *r, uint64_t limit) {
  machine *m = r->m;
  for (;;) {
    uint64_t until = r->next < limit ? r->next : limit;
    machine_stop st = machine_run(m, until);
    replay_tap_advance(&r->tap);
    if (st != MACHINE_STOP_LIMIT || m->cpu.s.icount >= limit) return st;
    if (m->cpu.s.icount >= r->next) {
      take_hash(r);
      /* a guest that writes much memory makes each hash cost more: keep
       * hashing under about 2% of the run by spacing them out (counted
       * in pages, not host time, so a run records the same bundle on
       * every host) */
      uint64_t spacing = r->adaptive ? (uint64_t)m->hash_rehashed * REPLAY_HASH_PAGE_COST : 0;
      r->next = m->cpu.s.icount + (spacing > r->interval ? spacing : r->interval);
    }
  }
}

bool replay_record_save(replay_recorder *r, const char *path, host_error *err) {
  machine *m = r->m;
  if (r->tap.oom) {
    return host_fail(err, "out of memory while recording: bundle '%s' would be "
                    "incomplete, so it was not written", path);
  }
  r->end = (replay_bundle_end){m->cpu.s.icount, (uint32_t)m->stop, m->dev.power.exit_code,
                        machine_state_hash_fast(m)};
  return replay_bundle_write(path, &r->init, &r->tap, &r->hashes, &r->end, err);
}

void replay_record_free(replay_recorder *r) {
  replay_tap_detach(&r->tap);
  replay_bundle_init_free(&r->init);
  replay_bundle_hashes_free(&r->hashes);
  memset(r, 0, sizeof *r);
}

/* ---- replaying */

static bool read_reci(replay_player *p, const snap_section *s, host_error *err) {
  snap_reader r = {s->data, s->len, 0, false};
  uint32_t version = snap_get_u32(&r);
  uint8_t has_wait = snap_get_u8(&r);
  replay_bundle_end e;
  e.icount = snap_get_u64(&r);
  e.stop = snap_get_u32(&r);
  e.exit_code = snap_get_u32(&r);
  e.hash = snap_get_u64(&r);
  if (r.bad || r.pos != r.len) {
    return host_fail(err, "its recording summary (RECI) is %zu bytes, not the "
                    "29 it should be; the file is damaged", s->len);
  }
  if (version < 1 || version > RECI_VERSION) {
    return host_fail(err, "its recording summary is version %u; this pvlab "
                    "reads versions 1 to %u: a newer pvlab wrote it", version, RECI_VERSION);
  }
  if (has_wait > 1 || (e.stop == MACHINE_STOP_NONE && version < 2) ||
      e.stop > MACHINE_STOP_CATCH_TRAP) {
    return host_fail(err, "its recording summary has values out of range; the "
                    "file is damaged");
  }
  p->has_wait = has_wait;
  p->end = e;
  return true;
}

static bool read_hashes(replay_player *p, const snap_section *s, host_error *err) {
  snap_reader r = {s->data, s->len, 0, false};
  uint64_t n = snap_get_u64(&r);
  if (r.bad || n != (s->len - 8) / 16 || (s->len - 8) % 16) {
    return host_fail(err, "its hash list (HASH) claims %llu hashes in %zu bytes; "
                    "the file is damaged", (unsigned long long)n, s->len);
  }
  uint64_t last = 0;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t icount = snap_get_u64(&r), h = snap_get_u64(&r);
    if (icount <= last && i) {
      return host_fail(err, "its hash list is out of order at entry %llu; the "
                      "file is damaged", (unsigned long long)i);
    }
    if (!replay_bundle_hashes_add(&p->hashes, icount, h)) {
      return host_fail(err, "out of memory reading the hash list");
    }
    last = icount;
  }
  return true;
}

bool replay_play_open_file(replay_player *p, machine *m, const snap_file *f, host_error *err) {
  memset(p, 0, sizeof *p);
  p->m = m;
  const char *path = f->path ? f->path : "(memory)";
  const char *missing = NULL;
  const snap_section *reci = snap_file_find(f, "RECI");
  const snap_section *log = snap_file_find(f, "LOG");
  const snap_section *hash = snap_file_find(f, "HASH");
  if (!reci) missing = "RECI";
  else if (!log) missing = "LOG";
  else if (!hash) missing = "HASH";
  bool ok = false;
  host_error why;
  if (f->kind != SNAP_KIND_BUNDLE) {
    host_fail(err, "'%s' is a snapshot, not a recording; 'pvlab run --load %s' "
             "starts from it", path, path);
  } else if (missing) {
    host_fail(err, "bundle '%s' has no %s section; the file is damaged", path, missing);
  } else if (!read_reci(p, reci, &why) || !read_hashes(p, hash, &why)) {
    host_fail(err, "bundle '%s': %s", path, why.msg);
  } else {
    /* the log is checked before the machine changes at all */
    replay_tap t = {0};
    replay_tap_attach(&t, m);
    t.replay_only = true;
    bool decoded = replay_tap_decode(&t, log->data, log->len, &why);
    replay_tap_detach(&t);
    if (!decoded) {
      host_fail(err, "bundle '%s': %s", path, why.msg);
    } else if (snap_restore(m, f, err)) { /* it names the file itself */
      replay_tap_attach(&p->tap, m);
      p->tap.replay_only = true;
      p->tap.echo = true;
      if (!replay_tap_decode(&p->tap, log->data, log->len, &why)) {
        host_fail(err, "bundle '%s': %s", path, why.msg); /* out of memory */
        replay_tap_detach(&p->tap);
      } else {
        ok = true;
      }
    }
  }
  if (ok) replay_tap_set_wait(&p->tap, p->has_wait);
  else replay_bundle_hashes_free(&p->hashes);
  return ok;
}

bool replay_play_open(replay_player *p, machine *m, const char *path, host_error *err) {
  snap_file f;
  memset(p, 0, sizeof *p);
  if (!snap_file_read(&f, path, err)) return false;
  bool ok = replay_play_open_file(p, m, &f, err);
  snap_file_free(&f);
  return ok;
}

void replay_play_check(replay_player *p) {
  machine *m = p->m;
  if (p->tap.diverged && !p->diverged) {
    p->diverged = true;
    snprintf(p->why, sizeof p->why, "%s", p->tap.why);
    return;
  }
  while (!p->diverged && p->next_hash < p->hashes.n &&
         p->hashes.h[p->next_hash].icount <= m->cpu.s.icount) {
    const replay_bundle_hash *h = &p->hashes.h[p->next_hash];
    if (h->icount < m->cpu.s.icount) { /* passed without looking: skip it */
      p->next_hash++;
      continue;
    }
    uint64_t now = machine_state_hash_fast(m);
    if (now != h->hash) {
      p->diverged = true;
      uint64_t good = p->next_hash ? p->hashes.h[p->next_hash - 1].icount : 0;
      snprintf(p->why, sizeof p->why, "the machine state differs from the "
               "recording at icount %llu (hash %016llx, recorded %016llx); it "
               "was the same at icount %llu, so the first difference lies "
               "between the two", (unsigned long long)h->icount,
               (unsigned long long)now, (unsigned long long)h->hash,
               (unsigned long long)good);
      return;
    }
    p->checked++;
    p->next_hash++;
  }
}

/* Where a replay must be allowed to run to: a run that ended by its own
 * stop (shutdown, a fault...) stopped at the instruction that did it, so
 * the replay needs room for that one; a run cut short ended at a count. */
bool replay_bundle_end_paused(uint32_t stop) {
  switch ((machine_stop)stop) {
  case MACHINE_STOP_BREAKPOINT:
  case MACHINE_STOP_WATCH:
  case MACHINE_STOP_INTERRUPT:
  case MACHINE_STOP_CATCH_HCALL:
  case MACHINE_STOP_CATCH_TRAP:
  case MACHINE_STOP_NONE:
    return true;
  default:
    return false;
  }
}

uint64_t replay_bundle_end_limit(const replay_bundle_end *e) {
  /* a limit or a pause ends before the instruction at the count; a fault
   * or a shutdown ends at the instruction there, so the run must be let
   * one further to meet it */
  bool at_count = e->stop == MACHINE_STOP_LIMIT || replay_bundle_end_paused(e->stop);
  return at_count ? e->icount : e->icount + 1;
}

machine_stop replay_play_run(replay_player *p, uint64_t limit) {
  machine *m = p->m;
  if (limit > replay_bundle_end_limit(&p->end)) limit = replay_bundle_end_limit(&p->end);
  for (;;) {
    uint64_t until = limit;
    if (p->next_hash < p->hashes.n && p->hashes.h[p->next_hash].icount < until) {
      until = p->hashes.h[p->next_hash].icount;
    }
    machine_stop st = machine_run(m, until);
    replay_play_check(p);
    if (p->diverged) return st;
    if (st != MACHINE_STOP_LIMIT || m->cpu.s.icount >= limit) return st;
  }
}

/* After the whole replay: the end must be the recorded end. */
bool replay_play_finish(replay_player *p) {
  machine *m = p->m;
  if (p->diverged) return false;
  if (m->cpu.s.icount != p->end.icount) {
    p->diverged = true;
    snprintf(p->why, sizeof p->why, "the replay stopped at icount %llu, the "
             "recording at icount %llu", (unsigned long long)m->cpu.s.icount,
             (unsigned long long)p->end.icount);
    return false;
  }
  if (p->tap.pos < p->tap.n) {
    p->diverged = true;
    snprintf(p->why, sizeof p->why, "the replay ended with %zu recorded inputs "
             "not taken (the first at icount %llu)", p->tap.n - p->tap.pos,
             (unsigned long long)p->tap.e[p->tap.pos].icount);
    return false;
  }
  uint64_t h = machine_state_hash_fast(m);
  if (h != p->end.hash) {
    p->diverged = true;
    snprintf(p->why, sizeof p->why, "the final state differs from the "
             "recording (hash %016llx, recorded %016llx)", (unsigned long long)h,
             (unsigned long long)p->end.hash);
    return false;
  }
  return true;
}

void replay_play_free(replay_player *p) {
  replay_tap_detach(&p->tap);
  replay_bundle_hashes_free(&p->hashes);
  memset(p, 0, sizeof *p);
}

static const char *stop_name(uint32_t stop) {
  switch ((machine_stop)stop) {
  case MACHINE_STOP_SHUTDOWN: return "the guest shut down";
  case MACHINE_STOP_FAULT: return "a guest fault";
  case MACHINE_STOP_LIMIT: return "the instruction limit";
  case MACHINE_STOP_EBREAK: return "an ebreak";
  case MACHINE_STOP_BREAK: return "debug_break";
  case MACHINE_STOP_BREAKPOINT: return "a breakpoint (debug session)";
  case MACHINE_STOP_WATCH: return "a watchpoint (debug session)";
  case MACHINE_STOP_HOST_ERROR: return "a host error";
  case MACHINE_STOP_DEADLOCK: return "a deadlock";
  case MACHINE_STOP_CLOSED: return "the window closed";
  case MACHINE_STOP_INTERRUPT: return "Ctrl-C ending the run (exit status 130)";
  case MACHINE_STOP_CATCH_HCALL: return "a hypercall catchpoint (debug session)";
  case MACHINE_STOP_CATCH_TRAP: return "a trap catchpoint (debug session)";
  case MACHINE_STOP_NONE: return "the debug session that made it ending there, the "
                                 "guest still running";
  }
  return "?";
}

void replay_bundle_describe(const snap_file *f, FILE *out) {
  replay_player p;
  memset(&p, 0, sizeof p);
  host_error err;
  const snap_section *reci = snap_file_find(f, "RECI");
  const snap_section *log = snap_file_find(f, "LOG");
  const snap_section *hash = snap_file_find(f, "HASH");
  if (!reci || !log || !hash) {
    fprintf(out, "recording: incomplete (RECI, LOG and HASH sections are needed)\n");
    return;
  }
  if (!read_reci(&p, reci, &err) || !read_hashes(&p, hash, &err)) {
    fprintf(out, "recording: damaged: %s\n", err.msg);
    replay_bundle_hashes_free(&p.hashes);
    return;
  }
  /* the exit code means something only when the guest shut down */
  char code[32] = "";
  if (p.end.stop == MACHINE_STOP_SHUTDOWN) {
    snprintf(code, sizeof code, " (exit code %u)", p.end.exit_code);
  }
  fprintf(out, "recording: ends at icount %llu with %s%s, final state hash "
          "%016llx\n", (unsigned long long)p.end.icount, stop_name(p.end.stop), code,
          (unsigned long long)p.end.hash);
  /* the log's entries, counted by kind without building a tap */
  snap_reader r = {log->data, log->len, 0, false};
  uint64_t n = snap_get_u64(&r), bytes = 0, reads = 0, queue = 0, waits = 0, other = 0;
  for (uint64_t i = 0; i < n && !r.bad; i++) {
    snap_get_u64(&r);
    snap_get_u32(&r);
    uint8_t kind = snap_get_u8(&r);
    snap_get_u8(&r);
    snap_get_u8(&r);
    uint64_t val = snap_get_u64(&r);
    uint32_t len = snap_get_u32(&r);
    snap_get_bytes(&r, len);
    if (kind == REPLAY_TAP_READ) {
      reads++;
      if ((int64_t)val > 0) bytes += val;
    } else if (kind == REPLAY_TAP_QUEUE) queue++;
    else if (kind == REPLAY_TAP_WAIT) waits++;
    else other++;
  }
  fprintf(out, "input log: %llu entries: %llu console bytes in %llu reads, %llu "
          "input queue changes, %llu idle waits, %llu other%s\n",
          (unsigned long long)n, (unsigned long long)bytes, (unsigned long long)reads,
          (unsigned long long)queue, (unsigned long long)waits,
          (unsigned long long)other, r.bad ? " (the log is damaged)" : "");
  fprintf(out, "state hashes: %zu stored%s\n", p.hashes.n,
          p.has_wait ? "; recorded with a display window" : "");
  replay_bundle_hashes_free(&p.hashes);
}
