/* The timer device: virtual time, derived from the instruction count so
 * that it is the same on every host and every run, and a one-shot deadline
 * that raises PV_EV_TIMER.
 *
 * Jitter (machine_config.jitter) makes timing depend on the seed, and on
 * nothing else: the clock starts at a seed-chosen phase, and each armed
 * deadline fires a seed-chosen delay late, like interrupt latency or a
 * vCPU its hypervisor descheduled.  A race in a guest kernel shows up only
 * when a preemption lands inside its window; without jitter every run
 * preempts at the same instructions, so a lucky program never fails.  The
 * draws come from a generator in dev_timer (guest-visible state), so a
 * snapshot, a replay or reverse execution repeats them exactly. */
#include "devices.h"

/* Keeps the timer's stream apart from the RNG device's, which splitmix64
 * starts from the seed itself. */
#define JITTER_STREAM 0x6a09e667f3bcc909ull

uint64_t dev_timer_now(const dev_timer *t, uint64_t icount) {
  return icount * DEV_NS_PER_INSN + t->idle_ns + t->phase_ns;
}

uint64_t dev_timer_icount_at(const dev_timer *t, uint64_t ns) {
  if (ns <= t->idle_ns || ns - t->idle_ns <= t->phase_ns) return 0;
  return (ns - t->idle_ns - t->phase_ns) / DEV_NS_PER_INSN;
}

uint64_t dev_timer_due_icount(const dev_timer *t) {
  return dev_timer_icount_at(t, t->deadline_ns);
}

void dev_timer_reset(dev_timer *t, bool jitter, uint64_t seed) {
  *t = (dev_timer){0};
  if (!jitter) return;
  uint64_t x = seed ^ JITTER_STREAM;
  t->jitter_rng = dev_splitmix64(&x);
  t->phase_ns = dev_splitmix64(&t->jitter_rng) % DEV_JITTER_PHASE_NS;
}

uint64_t dev_timer_draw_delay(dev_timer *t) {
  return dev_splitmix64(&t->jitter_rng) % DEV_JITTER_DELAY_NS;
}

/* The timer is edge-triggered: its event stays pending until acknowledged. */
void dev_timer_fire(dev_bus *b) {
  b->dev->timer.armed = 0;
  b->dev->events.pending |= PV_EV_TIMER;
}

int32_t dev_hc_time_now(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  uint64_t ns = dev_timer_now(&b->dev->timer, b->cpu->s.icount);
  out[0] = (uint32_t)ns;
  out[1] = (uint32_t)(ns >> 32);
  return PV_OK;
}

int32_t dev_hc_timer_set(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  dev_timer *t = &b->dev->timer;
  uint64_t deadline = a[0] | (uint64_t)a[1] << 32;
  t->armed = deadline != 0;
  t->delay_ns = t->armed && b->jitter ? dev_timer_draw_delay(t) : 0;
  /* saturates: a deadline this close to 2^64 ns is never reached anyway */
  t->deadline_ns = deadline > UINT64_MAX - t->delay_ns ? UINT64_MAX
                                                        : deadline + t->delay_ns;
  if (t->armed && t->deadline_ns <= dev_timer_now(t, b->cpu->s.icount)) {
    dev_timer_fire(b);
  }
  return PV_OK;
}
