/* The input device: keyboard, mouse and window events in a FIFO that the
 * guest drains with input_read.  The queue is guest-visible state (fixed
 * size, plain data, in the state hash); the host's input reaches it only
 * through dev_input_poll: the run loop calls it between slices, and
 * the event and input hypercalls whenever the guest looks.
 *
 * The queue's rules, chosen so that a slow guest loses as little as it
 * can: a mouse move right behind a queued move with the same buttons and
 * modifiers merges into it (only the latest position matters); when the
 * queue is full a new event is dropped and counted, except QUIT, which
 * replaces the newest event so the guest always learns the window closed.
 * After a QUIT the guest has DEV_QUIT_GRACE_NS of virtual time to
 * shut down before the run ends regardless. */
#include "devices.h"

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
static void sync_pending(dev_bus *b) {
  if (b->dev->input.count) b->dev->events.pending |= PV_EV_INPUT;
  else b->dev->events.pending &= ~PV_EV_INPUT;
}

static uint64_t now_ns(const dev_bus *b) {
  return dev_timer_now(&b->dev->timer, b->cpu->s.icount);
}

bool dev_input_poll(dev_bus *b) {
  dev_input *q = &b->dev->input;
  bool more = false;
  if (b->input->poll) more = b->input->poll(b->input->ctx, q);
  if (q->quit && !q->quit_deadline_ns) {
    q->quit_deadline_ns = now_ns(b) + DEV_QUIT_GRACE_NS;
  }
  sync_pending(b);
  return more;
}

uint64_t dev_input_slice(dev_bus *b, uint64_t limit) {
  bool live = dev_input_poll(b);
  uint64_t icount = b->cpu->s.icount;
  if (live && limit > icount && limit - icount > INPUT_POLL_INSNS) limit = icount + INPUT_POLL_INSNS;
  const dev_input *q = &b->dev->input;
  if (q->quit_deadline_ns) {
    uint64_t due = dev_timer_icount_at(&b->dev->timer, q->quit_deadline_ns);
    if (due > icount && due < limit) limit = due;
  }
  return limit;
}

bool dev_input_overdue(const dev_bus *b) {
  uint64_t deadline = b->dev->input.quit_deadline_ns;
  return deadline && now_ns(b) >= deadline;
}

static void put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v) {
  put16(p, v);
  put16(p + 2, v >> 16);
}

int32_t dev_hc_input_read(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  uint32_t max = a[1];
  if (max == 0) return PV_EINVAL;
  if (max > UINT32_MAX / PV_INPUT_EVENT_SIZE) return PV_EFAULT; /* wraps */
  uint8_t *buf = dev_guest_buf(b, a[0], max * PV_INPUT_EVENT_SIZE);
  if (!buf) return PV_EFAULT;
  dev_input_poll(b);
  dev_input *q = &b->dev->input;
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
  if (n) dev_guest_written(b, a[0], n * PV_INPUT_EVENT_SIZE);
  sync_pending(b);
  out[0] = n;
  return PV_OK;
}
