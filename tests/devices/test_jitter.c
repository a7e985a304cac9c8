/* Timer jitter (machine_config.jitter, docs/pvabi.md "The timer and timer
 * jitter").  On a bare machine (a kernel-mode `j .` loop, the timer armed
 * by calling its handler) the time each timer event is raised is measured
 * one instruction at a time, and must lie within the documented bounds:
 * exactly the deadline without jitter, the deadline plus 0 to 9,999 ns
 * with it, and a phase of 0 to 999,999 ns at reset.  On the minikernel
 * (a real guest preempted by the timer): without jitter the run is the
 * one pvlab made before jitter existed, to the instruction and state
 * hash; with it the same seed gives the same run and other seeds other
 * runs; and a snapshot taken mid-run carries the jitter on exactly. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine.h"
#include "pvabi_calls.h"
#include "snapshot.h"

#define JUMP_SELF 0x0000006fu /* jal x0, 0 */
#define SEEDS 200u

/* ------------------------------------------------- the bare machine */

static void boot(machine *m, bool jitter, uint64_t seed) {
  machine_config cfg = {.mem_mib = 1, .seed = seed, .jitter = jitter};
  host_error err = {{0}};
  cr_assert(machine_init(m, &cfg, &err), "%s", err.msg);
  memcpy(m->ram, &(uint32_t){JUMP_SELF}, 4);
  cpu_code_written(&m->cpu, CPU_RAM_BASE, 4);
  cpu_reset(&m->cpu, CPU_RAM_BASE);
}

/* A handler run on m's bus, as machine_hcall runs it. */
static int32_t on(machine *m, dev_hcall fn, const uint32_t a[6], uint32_t out[2]) {
  dev_bus b = machine_bus(m);
  return fn(&b, a, out);
}

/* time_now, as the guest would see it. */
static uint64_t now(machine *m) {
  uint32_t a[6] = {0}, out[2] = {0};
  cr_assert_eq(on(m, dev_hc_time_now, a, out), PV_OK);
  return out[0] | (uint64_t)out[1] << 32;
}

static void timer_set(machine *m, uint64_t deadline) {
  uint32_t a[6] = {(uint32_t)deadline, (uint32_t)(deadline >> 32)}, out[2];
  cr_assert_eq(on(m, dev_hc_timer_set, a, out), PV_OK);
}

static bool timer_pending(const machine *m) {
  return m->dev.events.pending & PV_EV_TIMER;
}

/* Runs one instruction at a time until the timer event is raised and
 * returns the virtual time then (the handler's time_now). */
static uint64_t fire_time(machine *m) {
  for (unsigned i = 0; i < 2 * DEV_JITTER_DELAY_NS + 100000u; i++) {
    if (timer_pending(m)) return now(m);
    cr_assert_eq(machine_run(m, m->cpu.s.icount + 1), MACHINE_STOP_LIMIT);
  }
  cr_assert_fail("the timer never fired (deadline %llu, now %llu)",
                 (unsigned long long)m->dev.timer.deadline_ns,
                 (unsigned long long)now(m));
  return 0;
}

/* Arms the timer rel ns ahead and returns how late its event came. */
static uint64_t lateness(machine *m, uint64_t rel) {
  uint64_t deadline = now(m) + rel;
  timer_set(m, deadline);
  uint64_t t = fire_time(m);
  cr_assert_geq(t, deadline, "fired at %llu, before deadline %llu",
                (unsigned long long)t, (unsigned long long)deadline);
  cr_assert(m->dev.events.pending & PV_EV_TIMER);
  m->dev.events.pending &= ~PV_EV_TIMER;
  return t - deadline;
}

Test(bare, without_jitter_the_timer_is_exact) {
  for (uint64_t seed = 0; seed < 10; seed++) {
    machine m;
    boot(&m, false, seed);
    cr_expect_eq(now(&m), 0, "seed %llu: the clock did not start at 0",
                 (unsigned long long)seed);
    for (int k = 0; k < 3; k++) {
      cr_expect_eq(lateness(&m, 500 + 300 * (uint64_t)k), 0, "seed %llu",
                   (unsigned long long)seed);
    }
    machine_free(&m);
  }
}

Test(bare, jitter_stays_within_its_bounds_and_varies) {
  uint64_t min_phase = UINT64_MAX, max_phase = 0, min_late = UINT64_MAX, max_late = 0;
  static uint64_t first_late[SEEDS];
  for (uint64_t seed = 0; seed < SEEDS; seed++) {
    machine m;
    boot(&m, true, seed);
    uint64_t phase = now(&m); /* icount 0 */
    cr_assert_lt(phase, 1000000, "seed %llu: phase %llu ns", (unsigned long long)seed,
                 (unsigned long long)phase);
    if (phase < min_phase) min_phase = phase;
    if (phase > max_phase) max_phase = phase;
    for (int k = 0; k < 3; k++) {
      uint64_t late = lateness(&m, 1000);
      cr_assert_lt(late, 10000, "seed %llu: a timer event %llu ns late",
                   (unsigned long long)seed, (unsigned long long)late);
      if (k == 0) first_late[seed] = late;
      if (late < min_late) min_late = late;
      if (late > max_late) max_late = late;
    }
    machine_free(&m);
  }
  /* 600 uniform draws: the whole range is used */
  cr_expect_lt(min_late, 500, "the smallest delay was %llu ns", (unsigned long long)min_late);
  cr_expect_gt(max_late, 9500, "the largest delay was %llu ns", (unsigned long long)max_late);
  cr_expect_lt(min_phase, 50000, "the smallest phase was %llu ns", (unsigned long long)min_phase);
  cr_expect_gt(max_phase, 950000, "the largest phase was %llu ns", (unsigned long long)max_phase);
  unsigned distinct = 0;
  for (unsigned i = 0; i < SEEDS; i++) {
    bool seen = false;
    for (unsigned j = 0; j < i && !seen; j++) seen = first_late[j] == first_late[i];
    distinct += !seen;
  }
  cr_expect_gt(distinct, SEEDS * 9 / 10, "only %u of %u seeds gave their own delay",
               distinct, SEEDS);
}

Test(bare, the_same_seed_draws_the_same) {
  machine a, b;
  boot(&a, true, 77);
  boot(&b, true, 77);
  cr_expect_eq(now(&a), now(&b));
  for (int k = 0; k < 5; k++) cr_expect_eq(lateness(&a, 2000), lateness(&b, 2000));
  cr_expect_eq(machine_state_hash(&a), machine_state_hash(&b));
  machine_free(&a);
  machine_free(&b);
}

/* The RNG device's stream does not move when jitter is turned on. */
Test(bare, the_rng_stream_is_its_own) {
  machine a, b;
  boot(&a, false, 5);
  boot(&b, true, 5);
  (void)lateness(&b, 100); /* the timer's generator moves, not the RNG's */
  for (int k = 0; k < 8; k++) {
    cr_expect_eq(dev_rng_next(&a.dev.rng), dev_rng_next(&b.dev.rng));
  }
  machine_free(&a);
  machine_free(&b);
}

/* A deadline already past fires when deadline + delay has come: at once
 * if that is past too, otherwise when it comes. */
Test(bare, a_past_deadline_fires_within_the_bound) {
  for (uint64_t seed = 0; seed < 50; seed++) {
    machine m;
    boot(&m, true, seed);
    cr_assert_eq(machine_run(&m, 20000), MACHINE_STOP_LIMIT);
    uint64_t deadline = now(&m) - 5000;
    timer_set(&m, deadline);
    uint64_t t = fire_time(&m);
    cr_expect_lt(t - deadline, 10000, "seed %llu: %llu ns late",
                 (unsigned long long)seed, (unsigned long long)(t - deadline));
    if (m.dev.timer.delay_ns <= 5000) cr_expect_eq(t, deadline + 5000, "not at once");
    else cr_expect_eq(t, deadline + m.dev.timer.delay_ns);
    machine_free(&m);
  }
}

/* event_wait skips idle time to the late fire time, not the deadline. */
Test(bare, event_wait_skips_to_the_late_event) {
  machine m;
  boot(&m, true, 3);
  uint64_t deadline = now(&m) + 1000000;
  timer_set(&m, deadline);
  uint32_t a[6] = {PV_EV_TIMER}, out[2];
  cr_assert_eq(on(&m, dev_hc_event_wait, a, out), PV_OK);
  cr_expect_eq(now(&m) - deadline, m.dev.timer.delay_ns);
  cr_expect_lt(now(&m) - deadline, 10000);
  cr_expect_eq(m.cpu.s.icount, 0);
  machine_free(&m);
}

/* ------------------------------------------------------ the minikernel */

typedef struct run {
  machine m;
  dev_console_mem con;
} run;

static const char *kernel_elf(void) {
  static char path[4096];
  const char *dir = getenv("GUESTS");
  cr_assert(dir, "GUESTS is not set: run the tests with 'meson test'");
  snprintf(path, sizeof path, "%s/minikernel/minikernel.elf", dir);
  return path;
}

static void start(run *r, bool jitter, uint64_t seed) {
  machine_config cfg = {.mem_mib = 32, .seed = seed, .jitter = jitter};
  host_error err = {{0}};
  memset(r, 0, sizeof *r);
  cr_assert(machine_init(&r->m, &cfg, &err), "%s", err.msg);
  cr_assert(machine_load_elf(&r->m, kernel_elf(), &err), "%s", err.msg);
  r->m.console_io = dev_console_mem_backend(&r->con);
}

static void finish(run *r) {
  machine_free(&r->m);
  dev_console_mem_free(&r->con);
}

/* Runs to the end; the guest must shut down with 0. */
static void to_end(run *r) {
  cr_assert_eq(machine_run(&r->m, 100000000), MACHINE_STOP_SHUTDOWN);
  cr_assert_eq(r->m.dev.power.exit_code, 0);
}

static bool same_output(const run *a, const run *b) {
  return a->con.out_len == b->con.out_len &&
         memcmp(a->con.out, b->con.out, a->con.out_len) == 0;
}

/* The numbers `pvlab run --stats minikernel.elf` printed before timer
 * jitter existed (the pvlab of commit 94e933c, by hand): 406719
 * instructions, state hash 459290ef487029e6, 12 preemptions. */
Test(kernel, without_jitter_the_run_is_as_before) {
  for (uint64_t seed = 0; seed < 3; seed++) {
    run r;
    start(&r, false, seed);
    to_end(&r);
    cr_expect_eq(r.m.cpu.s.icount, 406719);
    if (seed == 0) {
      cr_expect_eq(machine_state_hash(&r.m), 0x459290ef487029e6ull, "hash %016llx",
                   (unsigned long long)machine_state_hash(&r.m));
    }
    cr_expect(r.con.out_len && strstr((char *)r.con.out, "12 preemptions"),
              "%.*s", (int)r.con.out_len, (char *)r.con.out);
    finish(&r);
  }
}

Test(kernel, the_same_seed_gives_the_same_run) {
  run a, b;
  start(&a, true, 11);
  start(&b, true, 11);
  to_end(&a);
  to_end(&b);
  cr_expect_eq(a.m.cpu.s.icount, b.m.cpu.s.icount);
  cr_expect_eq(machine_state_hash(&a.m), machine_state_hash(&b.m));
  cr_expect(same_output(&a, &b));
  finish(&a);
  finish(&b);
}

Test(kernel, other_seeds_preempt_elsewhere) {
  uint64_t icounts[8];
  unsigned distinct = 0;
  for (uint64_t seed = 0; seed < 8; seed++) {
    run r;
    start(&r, true, seed);
    to_end(&r);
    icounts[seed] = r.m.cpu.s.icount;
    bool seen = false;
    for (uint64_t j = 0; j < seed; j++) seen |= icounts[j] == icounts[seed];
    distinct += !seen;
    finish(&r);
  }
  cr_expect_geq(distinct, 2, "every seed gave the same run");
  cr_expect(icounts[0] != 406719 || icounts[1] != 406719,
            "jitter changed nothing");
}

/* Saved in the middle of a jittered run with the timer armed, restored
 * into a machine with neither jitter nor the seed: the rest of the run
 * draws the same delays and ends the same. */
Test(kernel, a_snapshot_carries_the_jitter) {
  run a, b, c;
  start(&a, true, 4);
  to_end(&a);
  start(&b, true, 4);
  uint64_t at = a.m.cpu.s.icount / 2;
  cr_assert_eq(machine_run(&b.m, at), MACHINE_STOP_LIMIT);
  while (!b.m.dev.timer.armed) {
    cr_assert_eq(machine_run(&b.m, b.m.cpu.s.icount + 1000), MACHINE_STOP_LIMIT);
  }
  char path[] = "/tmp/pvlab-jitter-XXXXXX";
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  close(fd);
  host_error err = {{0}};
  cr_assert(snap_save(&b.m, path, &err), "%s", err.msg);
  memset(&c, 0, sizeof c);
  machine_config other = {.mem_mib = 1, .seed = 99};
  cr_assert(machine_init(&c.m, &other, &err), "%s", err.msg);
  cr_assert(snap_load(&c.m, path, &err), "%s", err.msg);
  unlink(path);
  c.m.console_io = dev_console_mem_backend(&c.con);
  cr_expect(c.m.cfg.jitter, "the restored machine lost its jitter");
  cr_expect_eq(machine_state_hash(&c.m), machine_state_hash(&b.m));
  to_end(&b);
  to_end(&c);
  cr_expect_eq(c.m.cpu.s.icount, a.m.cpu.s.icount);
  cr_expect_eq(machine_state_hash(&c.m), machine_state_hash(&a.m));
  cr_expect_eq(machine_state_hash(&b.m), machine_state_hash(&a.m));
  finish(&a);
  finish(&b);
  finish(&c);
}

/* A saved phase or delay outside the bounds is refused by name. */
Test(kernel, a_snapshot_out_of_bounds_is_refused) {
  static const struct {
    uint64_t phase, delay;
    const char *want;
  } bad[] = {
    {DEV_JITTER_PHASE_NS, 0, "timer phase 1000000 ns"},
    {0, DEV_JITTER_DELAY_NS, "delay 10000 ns"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    run r;
    start(&r, true, 1);
    r.m.dev.timer.phase_ns = bad[k].phase;
    r.m.dev.timer.delay_ns = bad[k].delay;
    char path[] = "/tmp/pvlab-jitter-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    host_error err = {{0}};
    cr_assert(snap_save(&r.m, path, &err), "%s", err.msg);
    machine m2;
    machine_config cfg = {.mem_mib = 1};
    cr_assert(machine_init(&m2, &cfg, &err), "%s", err.msg);
    cr_expect(!snap_load(&m2, path, &err), "phase %llu, delay %llu accepted",
              (unsigned long long)bad[k].phase, (unsigned long long)bad[k].delay);
    cr_expect(strstr(err.msg, bad[k].want), "%s", err.msg);
    unlink(path);
    machine_free(&m2);
    finish(&r);
  }
}
