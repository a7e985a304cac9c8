/* Events: numbered sources with pending bits and a mask, and the wait that
 * replaces WFI.  The timer is edge-triggered (pending from its deadline
 * until acknowledged); the console is level-triggered (pending while a read
 * would return bytes or the end of input), and so is input (pending while
 * events are queued: devices/input.c).  A wait with nothing pending
 * skips virtual time straight to the timer's deadline, so an idle guest
 * costs no host time; a wait that nothing can ever end is a deadlock. */
#include "machine/machine.h"
#include "pvabi/hcall.h"

void machine_timer_fire(machine *m) {
  m->dev.timer.armed = 0;
  m->dev.events.pending |= PV_EV_TIMER;
}

void machine_events_poll(machine *m, bool wait) {
  dev_events *ev = &m->dev.events;
  bool ready = !m->dev.console.input_closed &&
               m->console_io.ready(m->console_io.ctx, wait);
  if (ready) ev->pending |= PV_EV_CONSOLE;
  else ev->pending &= ~PV_EV_CONSOLE;
  machine_input_poll(m);
}

int32_t hc_event_mask(machine *m, const uint32_t a[6], uint32_t out[2]) {
  if (a[0] & ~PV_EV_ALL) return PV_EINVAL;
  out[0] = m->dev.events.mask;
  m->dev.events.mask = a[0];
  return PV_OK;
}

int32_t hc_event_pending(machine *m, const uint32_t a[6], uint32_t out[2]) {
  machine_events_poll(m, false);
  out[0] = m->dev.events.pending;
  return PV_OK;
}

int32_t hc_event_ack(machine *m, const uint32_t a[6], uint32_t out[2]) {
  if (a[0] & ~PV_EV_ALL) return PV_EINVAL;
  m->dev.events.pending &= ~a[0];
  machine_events_poll(m, false); /* a level source stays pending */
  out[0] = m->dev.events.pending;
  return PV_OK;
}

int32_t hc_event_wait(machine *m, const uint32_t a[6], uint32_t out[2]) {
  uint32_t want = a[0];
  if (want == 0 || (want & ~PV_EV_ALL)) return PV_EINVAL;
  dev_events *ev = &m->dev.events;
  dev_timer *t = &m->dev.timer;
  machine_events_poll(m, false);
  /* with a window open, input can come: wait for it in host time */
  if (!(ev->pending & want)) machine_input_idle(m, want);
  if (!(ev->pending & want) && (want & PV_EV_TIMER) && t->armed) {
    uint64_t now = dev_timer_now(t, m->cpu.s.icount);
    if (t->deadline_ns > now) t->idle_ns += t->deadline_ns - now;
    machine_timer_fire(m);
  } else if (!(ev->pending & want) && (want & PV_EV_CONSOLE)) {
    machine_events_poll(m, true);
  }
  if (!(ev->pending & want)) {
    /* a debugger's Ctrl-C ended the wait: the call runs again on resume */
    if (m->dbg.interrupt && *m->dbg.interrupt) return PVABI_STOPPED;
    m->deadlock_events = want;
    return PVABI_STOPPED;
  }
  out[0] = ev->pending & want;
  m->stats.events_delivered++;
  return PV_OK;
}
