/* The timer device: virtual time, derived from the instruction count so
 * that it is the same on every host and every run. */
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
