/* The input device: keyboard, mouse and window events in a FIFO that the
 * guest drains with input_read.  The queue is guest-visible state (fixed
 * size, plain data, in the state hash); the host's input reaches it only
 * through machine_input_poll: the run loop calls it between slices, and
 * the event and input hypercalls whenever the guest looks.
 *
 * The queue's rules, chosen so that a slow guest loses as little as it
 * can: a mouse move right behind a queued move with the same buttons and
 * modifiers merges into it (only the latest position matters); when the
 * queue is full a new event is dropped and counted, except QUIT, which
 * replaces the newest event so the guest always learns the window closed.
 * After a QUIT the guest has MACHINE_QUIT_GRACE_NS of virtual time to
 * shut down before the run ends regardless. */
#include "machine/machine.h"
#include "pvabi/hcall.h"

/* With a window open, the run loop returns to poll it at least this
 * often: about every 5 ms of host time at 400 MIPS. */
#define INPUT_POLL_INSNS 2000000u

static dev_input_event *slot(dev_input *q, uint32_t i) {
  return &q->ev[(q->head + i) % DEV_INPUT_QUEUE];
}

bool dev_input_push(dev_input *q, const dev_input_event *e) {
  if (e->type == PV_INPUT_QUIT) q->quit = 1;
  if (q->count > 0) {
    dev_input_event *last = slot(q, q->count - 1);
    if (e->type == PV_INPUT_MOUSE_MOVE && last->type == PV_INPUT_MOUSE_MOVE &&
        last->code == e->code && last->mods == e->mods) {
      last->x = e->x;
      last->y = e->y;
      return true;
    }
  }
  if (q->count < DEV_INPUT_QUEUE) {
    *slot(q, q->count++) = *e;
    return true;
  }
  q->dropped++;
  if (e->type != PV_INPUT_QUIT) return false;
  *slot(q, q->count - 1) = *e;
  return true;
}

/* PV_EV_INPUT is level-triggered: pending exactly while events wait. */
static void sync_pending(machine *m) {
  if (m->dev.input.count) m->dev.events.pending |= PV_EV_INPUT;
  else m->dev.events.pending &= ~PV_EV_INPUT;
}

static uint64_t now_ns(const machine *m) {
  return dev_timer_now(&m->dev.timer, m->cpu.s.icount);
}

bool machine_input_poll(machine *m) {
  dev_input *q = &m->dev.input;
  bool more = false;
  if (m->input_io.poll) more = m->input_io.poll(m->input_io.ctx, q);
  if (q->quit && !q->quit_deadline_ns) {
    q->quit_deadline_ns = now_ns(m) + MACHINE_QUIT_GRACE_NS;
  }
  sync_pending(m);
  return more;
}

uint64_t machine_input_slice(machine *m, uint64_t limit) {
  bool live = machine_input_poll(m);
  uint64_t icount = m->cpu.s.icount;
  if (live && limit > icount && limit - icount > INPUT_POLL_INSNS) limit = icount + INPUT_POLL_INSNS;
  const dev_input *q = &m->dev.input;
  if (q->quit_deadline_ns) {
    uint64_t due = dev_timer_icount_at(&m->dev.timer, q->quit_deadline_ns);
    if (due > icount && due < limit) limit = due;
  }
  return limit;
}

bool machine_input_overdue(const machine *m) {
  uint64_t deadline = m->dev.input.quit_deadline_ns;
  return deadline && now_ns(m) >= deadline;
}

/* Virtual time passes while the guest waits with a window open, as the
 * host's clock says: a game's timers keep their pace however often input
 * interrupts the wait.  Without a window nothing here runs, so headless
 * runs stay deterministic. */
void machine_input_idle(machine *m, uint32_t want) {
  dev_input_backend *b = &m->input_io;
  if (!b->wait) return;
  dev_timer *t = &m->dev.timer;
  uint64_t until = (want & PV_EV_TIMER) && t->armed ? t->deadline_ns : UINT64_MAX;
  bool console = (want & PV_EV_CONSOLE) && !m->dev.console.input_closed;
  /* host time alone ends no other wait: leave those to event_wait */
  if (!(want & PV_EV_INPUT) && until == UINT64_MAX && !console) return;
  for (;;) {
    machine_events_poll(m, false); /* polls the input too */
    if (m->dev.events.pending & want) return;
    /* a debugger's Ctrl-C ends the wait (event_wait then stops) */
    bool debugged = m->dbg.interrupt != NULL;
    if (debugged && *m->dbg.interrupt) return;
    /* a terminal's console is polled every 10 ms meanwhile, the
     * debugger's flag every 100 ms */
    uint64_t now = now_ns(m), then = now;
    bool more = b->wait(b->ctx, &then, until, console ? 10 : debugged ? 100 : 0);
    if (then > now) t->idle_ns += then - now;
    if (!more) return;
  }
}

static void put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v) {
  put16(p, v);
  put16(p + 2, v >> 16);
}

int32_t hc_input_read(machine *m, const uint32_t a[6], uint32_t out[2]) {
  uint32_t max = a[1];
  if (max == 0) return PV_EINVAL;
  if (max > UINT32_MAX / PV_INPUT_EVENT_SIZE) return PV_EFAULT; /* wraps */
  uint8_t *buf = pvabi_guest_buf(m, a[0], max * PV_INPUT_EVENT_SIZE);
  if (!buf) return PV_EFAULT;
  machine_input_poll(m);
  dev_input *q = &m->dev.input;
  uint32_t n = max < q->count ? max : q->count;
  for (uint32_t i = 0; i < n; i++) {
    const dev_input_event *e = slot(q, i);
    uint8_t *p = buf + i * PV_INPUT_EVENT_SIZE;
    put16(p, e->type);
    put16(p + 2, e->code);
    put32(p + 4, (uint32_t)e->x);
    put32(p + 8, (uint32_t)e->y);
    put32(p + 12, e->mods);
  }
  q->head = (q->head + n) % DEV_INPUT_QUEUE;
  q->count -= n;
  q->delivered += n;
  if (n) pvabi_guest_written(m, a[0], n * PV_INPUT_EVENT_SIZE);
  sync_pending(m);
  out[0] = n;
  return PV_OK;
}
