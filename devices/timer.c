/* The timer device: virtual time, derived from the instruction count so
 * that it is the same on every host and every run, and a one-shot deadline
 * that raises PV_EV_TIMER. */
#include "machine/machine.h"
#include "pvabi/hcall.h"

uint64_t dev_timer_now(const dev_timer *t, uint64_t icount) {
  return icount * DEV_NS_PER_INSN + t->idle_ns;
}

int32_t hc_time_now(machine *m, const uint32_t a[6], uint32_t out[2]) {
  uint64_t ns = dev_timer_now(&m->dev.timer, m->cpu.s.icount);
  out[0] = (uint32_t)ns;
  out[1] = (uint32_t)(ns >> 32);
  return PV_OK;
}

int32_t hc_timer_set(machine *m, const uint32_t a[6], uint32_t out[2]) {
  dev_timer *t = &m->dev.timer;
  uint64_t deadline = a[0] | (uint64_t)a[1] << 32;
  t->armed = deadline != 0;
  t->deadline_ns = deadline;
  if (t->armed && deadline <= dev_timer_now(t, m->cpu.s.icount)) {
    machine_timer_fire(m);
  }
  return PV_OK;
}

uint64_t dev_timer_due_icount(const dev_timer *t) {
  return t->deadline_ns > t->idle_ns ? (t->deadline_ns - t->idle_ns) / DEV_NS_PER_INSN
                                     : 0;
}
