/* The tap (replay/tap.h): live backends logged, and the log served back.
 *
 * Only answers that differ from "nothing yet" are logged: a console read
 * that would block, a poll that leaves the queue as it was, a wait that
 * moved no time are what the tap answers by itself when the log has
 * nothing for the current point.  That keeps a bundle of a console run to
 * its typed bytes, and an idle guest's log empty. */
#include "tap.h"

#include <stdlib.h>
#include <string.h>

/* The largest console read the log accepts back (a guest's request is
 * one buffer; 16 MiB is far above any real one). */
#define REPLAY_TAP_MAX_READ (16u << 20)
#define QUEUE_HEAD_BYTES 17u /* head, count, dropped, quit */

static uint64_t icount_of(const replay_tap *t) { return t->m->cpu.s.icount; }

static void set_due(replay_tap *t) {
  t->m->io_due = t->pos < t->n ? t->e[t->pos].icount : 0;
}

bool replay_tap_replaying(const replay_tap *t) {
  return t->replay_only || t->pos < t->n || icount_of(t) < t->frontier;
}

static void diverge(replay_tap *t, const char *what) {
  if (t->diverged) return;
  t->diverged = true;
  const replay_tap_entry *e = &t->e[t->pos];
  snprintf(t->why, sizeof t->why, "the recording has %s at icount %llu, but the "
           "replayed guest went past it (it is at icount %llu): %s",
           e->kind == REPLAY_TAP_READ ? "console input" : e->kind == REPLAY_TAP_QUEUE ? "input events" :
           e->kind == REPLAY_TAP_READY ? "a console ready change" :
           e->kind == REPLAY_TAP_WAIT ? "an idle wait" : "a failed console write",
           (unsigned long long)e->icount, (unsigned long long)icount_of(t), what);
}

/* The entry to serve now, if it is of kind k and due at this point:
 * entries of the gap before an instruction are served in the gap or in
 * the instruction's hypercall, those of a hypercall only there. */
static const replay_tap_entry *due(replay_tap *t, replay_tap_kind k) {
  if (t->pos >= t->n || t->diverged) return NULL;
  const replay_tap_entry *e = &t->e[t->pos];
  uint64_t now = icount_of(t);
  if (e->icount < now) {
    diverge(t, "the guest did not ask for it where it did when recorded");
    return NULL;
  }
  if (e->icount != now || e->kind != k || (e->in_hcall && !t->m->in_hcall)) return NULL;
  if (e->pc != t->m->cpu.s.pc) {
    char what[120];
    snprintf(what, sizeof what, "the recording was at pc 0x%08x there, the replay "
             "is at pc 0x%08x", e->pc, t->m->cpu.s.pc);
    t->diverged = true;
    snprintf(t->why, sizeof t->why, "the replay left the recording at icount %llu: %s",
             (unsigned long long)now, what);
    return NULL;
  }
  return e;
}

static void served(replay_tap *t) {
  t->pos++;
  set_due(t);
}

static bool live(const replay_tap *t) { return !replay_tap_replaying(t); }

static bool grow(replay_tap *t, size_t payload) {
  if (t->oom) return false;
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 256;
    replay_tap_entry *e = realloc(t->e, cap * sizeof *e);
    if (!e) return t->oom = true, false;
    t->e = e;
    t->cap = cap;
  }
  if (t->dlen + payload > t->dcap) {
    size_t cap = t->dcap ? t->dcap : 4096;
    while (cap < t->dlen + payload) cap *= 2;
    uint8_t *d = realloc(t->data, cap);
    if (!d) return t->oom = true, false;
    t->data = d;
    t->dcap = cap;
  }
  return true;
}

/* Appends an entry at the current point (live only). */
static void log_entry(replay_tap *t, replay_tap_kind k, uint64_t val, uint8_t flag,
                      const void *payload, uint32_t len) {
  if (!grow(t, len)) return;
  t->e[t->n] = (replay_tap_entry){icount_of(t), t->m->cpu.s.pc, (uint8_t)k,
                           t->m->in_hcall, flag, val, (uint32_t)t->dlen, len};
  if (len) memcpy(t->data + t->dlen, payload, len);
  t->dlen += len;
  t->n++;
  t->pos = t->n;
  if (icount_of(t) > t->frontier) t->frontier = icount_of(t);
}

/* ---- the console */

static bool tap_con_write(void *ctx, const uint8_t *buf, size_t len) {
  replay_tap *t = ctx;
  if (live(t)) {
    bool ok = t->live_con.write(t->live_con.ctx, buf, len);
    if (!ok) log_entry(t, REPLAY_TAP_WRITE_FAIL, 0, 0, NULL, 0);
    return ok;
  }
  if (due(t, REPLAY_TAP_WRITE_FAIL)) {
    served(t);
    return false;
  }
  if (t->echo) t->live_con.write(t->live_con.ctx, buf, len);
  return true;
}

static long tap_con_read(void *ctx, uint8_t *buf, size_t len) {
  replay_tap *t = ctx;
  if (live(t)) {
    long n = t->live_con.read(t->live_con.ctx, buf, len);
    if (n != DEV_AGAIN) {
      log_entry(t, REPLAY_TAP_READ, (uint64_t)(int64_t)n, 0, buf, n > 0 ? (uint32_t)n : 0);
    }
    return n;
  }
  const replay_tap_entry *e = due(t, REPLAY_TAP_READ);
  if (!e) return DEV_AGAIN;
  if (e->len > len) {
    diverge(t, "the guest asked for fewer bytes than it was given when recorded");
    return DEV_AGAIN;
  }
  if (e->len) memcpy(buf, t->data + e->off, e->len);
  long n = (long)(int64_t)e->val;
  served(t);
  return n;
}

static bool tap_con_ready(void *ctx, bool wait) {
  replay_tap *t = ctx;
  if (live(t)) {
    uint8_t v = t->live_con.ready(t->live_con.ctx, wait) ? 1 : 0;
    if (v != t->ready) {
      log_entry(t, REPLAY_TAP_READY, v, 0, NULL, 0);
      t->ready = v;
    }
    return v;
  }
  const replay_tap_entry *e = due(t, REPLAY_TAP_READY);
  if (e) {
    t->ready = (uint8_t)e->val;
    served(t);
  }
  return t->ready;
}

/* ---- input */

static void put_queue(snap_buf *b, const dev_input *q) {
  snap_put_u32(b, q->head);
  snap_put_u32(b, q->count);
  snap_put_u64(b, q->dropped);
  snap_put_u8(b, q->quit);
  for (uint32_t i = 0; i < q->count; i++) {
    const dev_input_event *e = &q->ev[(q->head + i) % DEV_INPUT_QUEUE];
    snap_put_u16(b, e->type);
    snap_put_u16(b, e->code);
    snap_put_u32(b, (uint32_t)e->x);
    snap_put_u32(b, (uint32_t)e->y);
    snap_put_u32(b, e->mods);
  }
}

/* The queue a REPLAY_TAP_QUEUE payload holds, into q (its other fields kept);
 * false if the payload is not a valid queue. */
static bool get_queue(const uint8_t *p, uint32_t len, dev_input *q) {
  snap_reader r = {p, len, 0, false};
  uint32_t head = snap_get_u32(&r), count = snap_get_u32(&r);
  uint64_t dropped = snap_get_u64(&r);
  uint8_t quit = snap_get_u8(&r);
  if (r.bad || head >= DEV_INPUT_QUEUE || count > DEV_INPUT_QUEUE || quit > 1 ||
      len != QUEUE_HEAD_BYTES + count * PV_INPUT_EVENT_SIZE) {
    return false;
  }
  dev_input_event ev[DEV_INPUT_QUEUE];
  for (uint32_t i = 0; i < count; i++) {
    ev[i].type = snap_get_u16(&r);
    ev[i].code = snap_get_u16(&r);
    ev[i].x = (int32_t)snap_get_u32(&r);
    ev[i].y = (int32_t)snap_get_u32(&r);
    ev[i].mods = snap_get_u32(&r);
    if (ev[i].type < PV_INPUT_KEY_DOWN || ev[i].type > PV_INPUT_QUIT) return false;
  }
  if (!q) return !r.bad;
  q->head = head;
  q->count = count;
  q->dropped = dropped;
  q->quit = quit;
  for (uint32_t i = 0; i < count; i++) q->ev[(head + i) % DEV_INPUT_QUEUE] = ev[i];
  return !r.bad;
}

/* What a poll can change: the count, the ring's start, the newest event
 * (a mouse move merges into it), the drop count and QUIT. */
typedef struct queue_sig {
  uint32_t head, count;
  uint64_t dropped;
  uint8_t quit;
  dev_input_event last;
} queue_sig;

static queue_sig sig_of(const dev_input *q) {
  queue_sig s = {q->head, q->count, q->dropped, q->quit, {0}};
  if (q->count) s.last = q->ev[(q->head + q->count - 1) % DEV_INPUT_QUEUE];
  return s;
}

static bool same_sig(const queue_sig *a, const queue_sig *b) {
  return a->head == b->head && a->count == b->count && a->dropped == b->dropped &&
         a->quit == b->quit && a->last.type == b->last.type &&
         a->last.code == b->last.code && a->last.x == b->last.x &&
         a->last.y == b->last.y && a->last.mods == b->last.mods;
}

static bool tap_in_poll(void *ctx, dev_input *q) {
  replay_tap *t = ctx;
  if (live(t)) {
    if (!t->live_in.poll) return false;
    queue_sig before = sig_of(q);
    bool more = t->live_in.poll(t->live_in.ctx, q);
    queue_sig after = sig_of(q);
    if (!same_sig(&before, &after)) {
      snap_buf b = {0};
      put_queue(&b, q);
      if (b.oom) t->oom = true;
      else log_entry(t, REPLAY_TAP_QUEUE, 0, 0, b.p, (uint32_t)b.len);
      snap_buf_free(&b);
    }
    return more;
  }
  const replay_tap_entry *e = due(t, REPLAY_TAP_QUEUE);
  if (e) {
    get_queue(t->data + e->off, e->len, q); /* checked by replay_tap_decode */
    served(t);
  }
  return t->pos < t->n;
}

static bool tap_in_wait(void *ctx, uint64_t *now_ns, uint64_t until_ns,
                        uint32_t max_ms) {
  replay_tap *t = ctx;
  if (live(t)) {
    if (!t->live_in.wait) return false;
    uint64_t was = *now_ns;
    bool more = t->live_in.wait(t->live_in.ctx, now_ns, until_ns, max_ms);
    if (more || *now_ns != was) log_entry(t, REPLAY_TAP_WAIT, *now_ns, more, NULL, 0);
    return more;
  }
  const replay_tap_entry *e = due(t, REPLAY_TAP_WAIT);
  if (!e) return false;
  if (e->val > *now_ns) *now_ns = e->val;
  bool more = e->flag;
  served(t);
  return more;
}

/* ---- lifetime and position */

void replay_tap_attach(replay_tap *t, machine *m) {
  memset(t, 0, sizeof *t);
  t->m = m;
  t->live_con = m->console_io;
  t->live_in = m->input_io;
  t->has_wait = m->input_io.wait != NULL;
  t->frontier = m->cpu.s.icount;
  m->console_io = (dev_console_backend){t, tap_con_write, tap_con_read, tap_con_ready};
  m->input_io = (dev_input_backend){t, tap_in_poll, t->has_wait ? tap_in_wait : NULL};
  m->io_due = 0;
}

void replay_tap_set_wait(replay_tap *t, bool on) {
  t->has_wait = on;
  t->m->input_io.wait = on ? tap_in_wait : NULL;
}

void replay_tap_detach(replay_tap *t) {
  if (t->m) {
    t->m->console_io = t->live_con;
    t->m->input_io = t->live_in;
    t->m->io_due = 0;
  }
  free(t->e);
  free(t->data);
  memset(t, 0, sizeof *t);
}

void replay_tap_rewind(replay_tap *t, bool replay_only) {
  t->replay_only = replay_only;
  t->pos = 0;
  t->ready = 0;
  t->diverged = false;
  set_due(t);
}

replay_tap_mark replay_tap_tell(const replay_tap *t) { return (replay_tap_mark){t->pos, t->ready}; }

void replay_tap_seek(replay_tap *t, const replay_tap_mark *mk) {
  t->pos = mk->pos <= t->n ? mk->pos : t->n;
  t->ready = mk->ready;
  t->diverged = false;
  set_due(t);
}

void replay_tap_advance(replay_tap *t) {
  if (!t->replay_only && t->pos == t->n && icount_of(t) > t->frontier) {
    t->frontier = icount_of(t);
  }
}

void replay_tap_reset(replay_tap *t) {
  t->n = t->pos = 0;
  t->dlen = 0;
  t->oom = false;
  t->diverged = false;
  t->frontier = icount_of(t);
  set_due(t);
}

/* ---- the LOG section */

bool replay_tap_encode(const replay_tap *t, snap_buf *out) {
  snap_put_u64(out, t->n);
  for (size_t i = 0; i < t->n; i++) {
    const replay_tap_entry *e = &t->e[i];
    snap_put_u64(out, e->icount);
    snap_put_u32(out, e->pc);
    snap_put_u8(out, e->kind);
    snap_put_u8(out, e->in_hcall);
    snap_put_u8(out, e->flag);
    snap_put_u64(out, e->val);
    snap_put_u32(out, e->len);
    if (e->len) snap_put_bytes(out, t->data + e->off, e->len);
  }
  return !out->oom && !t->oom;
}

static bool entry_ok(const replay_tap_entry *e, const uint8_t *payload, char *why, size_t n) {
  int64_t v = (int64_t)e->val;
  switch (e->kind) {
  case REPLAY_TAP_READY:
    if (e->val > 1 || e->len) return snprintf(why, n, "a console ready change of %lld", (long long)v), false;
    return true;
  case REPLAY_TAP_READ:
    if (v == DEV_ERROR || v == 0) {
      if (e->len) return snprintf(why, n, "a console end or error with data"), false;
      return true;
    }
    if (v < 0 || v > REPLAY_TAP_MAX_READ || e->len != (uint64_t)v) {
      return snprintf(why, n, "a console read of %lld bytes with %u bytes of data",
                      (long long)v, e->len), false;
    }
    return true;
  case REPLAY_TAP_WRITE_FAIL:
    if (e->len) return snprintf(why, n, "a failed write with data"), false;
    return true;
  case REPLAY_TAP_QUEUE:
    if (!get_queue(payload, e->len, NULL)) return snprintf(why, n, "an input queue that is not valid"), false;
    return true;
  case REPLAY_TAP_WAIT:
    if (e->len || e->flag > 1) return snprintf(why, n, "an idle wait with data"), false;
    return true;
  default:
    return snprintf(why, n, "an entry of unknown kind %u", e->kind), false;
  }
}

bool replay_tap_decode(replay_tap *t, const uint8_t *p, size_t len, host_error *err) {
  snap_reader r = {p, len, 0, false};
  uint64_t count = snap_get_u64(&r);
  /* every entry takes at least 27 bytes: a count beyond that is a lie */
  if (r.bad || count > (len - r.pos) / 27) {
    return host_fail(err, "its input log claims %llu entries in %zu bytes; the "
                    "file is damaged", (unsigned long long)count, len);
  }
  replay_tap fresh = *t;
  fresh.e = NULL;
  fresh.data = NULL;
  fresh.n = fresh.cap = fresh.dlen = fresh.dcap = 0;
  fresh.oom = false;
  uint64_t last = 0;
  for (uint64_t i = 0; i < count; i++) {
    replay_tap_entry e = {0};
    e.icount = snap_get_u64(&r);
    e.pc = snap_get_u32(&r);
    e.kind = snap_get_u8(&r);
    e.in_hcall = snap_get_u8(&r);
    e.flag = snap_get_u8(&r);
    e.val = snap_get_u64(&r);
    e.len = snap_get_u32(&r);
    const uint8_t *payload = snap_get_bytes(&r, e.len);
    char why[160];
    bool ok = !r.bad && e.in_hcall <= 1 && e.icount >= last;
    if (ok && !entry_ok(&e, payload, why, sizeof why)) ok = false;
    else if (!ok) snprintf(why, sizeof why, "%s", r.bad ? "it is cut short" :
                           e.icount < last ? "it goes back in time" : "a bad phase");
    if (ok && !grow(&fresh, e.len)) {
      snprintf(why, sizeof why, "out of memory");
      ok = false;
    }
    if (!ok) {
      free(fresh.e);
      free(fresh.data);
      return host_fail(err, "input log entry %llu (of %llu): %s; the file is damaged",
                      (unsigned long long)i, (unsigned long long)count, why);
    }
    e.off = (uint32_t)fresh.dlen;
    if (e.len) memcpy(fresh.data + fresh.dlen, payload, e.len);
    fresh.dlen += e.len;
    fresh.e[fresh.n++] = e;
    last = e.icount;
  }
  if (r.pos != len) {
    free(fresh.e);
    free(fresh.data);
    return host_fail(err, "its input log has %zu bytes after its last entry; the "
                    "file is damaged", len - r.pos);
  }
  free(t->e);
  free(t->data);
  *t = fresh;
  replay_tap_rewind(t, t->replay_only);
  return true;
}

void replay_tap_summary(const replay_tap *t, uint64_t *console_bytes, uint64_t *queue_changes,
                 uint64_t *waits) {
  *console_bytes = *queue_changes = *waits = 0;
  for (size_t i = 0; i < t->n; i++) {
    const replay_tap_entry *e = &t->e[i];
    if (e->kind == REPLAY_TAP_READ && (int64_t)e->val > 0) *console_bytes += e->val;
    if (e->kind == REPLAY_TAP_QUEUE) (*queue_changes)++;
    if (e->kind == REPLAY_TAP_WAIT) (*waits)++;
  }
}
