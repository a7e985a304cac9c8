/* Events: numbered sources with pending bits and a mask, and the wait that
 * replaces WFI.  The timer is edge-triggered (pending from its deadline
 * until acknowledged); the console is level-triggered (pending while a read
 * would return bytes or the end of input), and so is input (pending while
 * events are queued: devices/input.c).  A wait with nothing pending
 * skips virtual time straight to the timer's deadline, so an idle guest
 * costs no host time; a wait that nothing can ever end is a deadlock. */
#include "devices.h"

void dev_events_poll(dev_bus *b, bool wait) {
  dev_events *ev = &b->dev->events;
  bool ready = !b->dev->console.input_closed &&
               b->console->ready(b->console->ctx, wait);
  if (ready) ev->pending |= PV_EV_CONSOLE;
  else ev->pending &= ~PV_EV_CONSOLE;
  dev_input_poll(b);
}

/* Virtual time passes while the guest waits with a window open, as the
 * host's clock says: a game's timers keep their pace however often input
 * interrupts the wait.  Without a window nothing here runs, so headless
 * runs stay deterministic. */
void dev_events_idle(dev_bus *b, uint32_t want) {
  dev_input_backend *in = b->input;
  if (!in->wait) return;
  dev_timer *t = &b->dev->timer;
  uint64_t until = (want & PV_EV_TIMER) && t->armed ? t->deadline_ns : UINT64_MAX;
  bool console = (want & PV_EV_CONSOLE) && !b->dev->console.input_closed;
  /* host time alone ends no other wait: leave those to event_wait */
  if (!(want & PV_EV_INPUT) && until == UINT64_MAX && !console) return;
  for (;;) {
    dev_events_poll(b, false); /* polls the input too */
    if (b->dev->events.pending & want) return;
    /* a debugger's Ctrl-C ends the wait (event_wait then stops) */
    bool debugged = b->interrupt != NULL;
    if (debugged && *b->interrupt) return;
    /* a terminal's console is polled every 10 ms meanwhile, the
     * debugger's flag every 100 ms */
    uint64_t now = dev_timer_now(t, b->cpu->s.icount), then = now;
    bool more = in->wait(in->ctx, &then, until, console ? 10 : debugged ? 100 : 0);
    if (then > now) t->idle_ns += then - now;
    if (!more) return;
  }
}

int32_t dev_hc_event_mask(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  if (a[0] & ~PV_EV_ALL) return PV_EINVAL;
  out[0] = b->dev->events.mask;
  b->dev->events.mask = a[0];
  return PV_OK;
}

int32_t dev_hc_event_pending(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  dev_events_poll(b, false);
  out[0] = b->dev->events.pending;
  return PV_OK;
}

int32_t dev_hc_event_ack(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  if (a[0] & ~PV_EV_ALL) return PV_EINVAL;
  b->dev->events.pending &= ~a[0];
  dev_events_poll(b, false); /* a level source stays pending */
  out[0] = b->dev->events.pending;
  return PV_OK;
}

int32_t dev_hc_event_wait(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  uint32_t want = a[0];
  if (want == 0 || (want & ~PV_EV_ALL)) return PV_EINVAL;
  dev_events *ev = &b->dev->events;
  dev_timer *t = &b->dev->timer;
  dev_events_poll(b, false);
  /* with a window open, input can come: wait for it in host time */
  if (!(ev->pending & want)) dev_events_idle(b, want);
  if (!(ev->pending & want) && (want & PV_EV_TIMER) && t->armed) {
    uint64_t now = dev_timer_now(t, b->cpu->s.icount);
    if (t->deadline_ns > now) t->idle_ns += t->deadline_ns - now;
    dev_timer_fire(b);
  } else if (!(ev->pending & want) && (want & PV_EV_CONSOLE)) {
    dev_events_poll(b, true);
  }
  if (!(ev->pending & want)) {
    /* a debugger's Ctrl-C ended the wait: the call runs again on resume */
    if (b->interrupt && *b->interrupt) return DEV_STOPPED;
    *b->deadlock = want;
    return DEV_STOPPED;
  }
  out[0] = ev->pending & want;
  (*b->events_delivered)++;
  return PV_OK;
}
