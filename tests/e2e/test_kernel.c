/* End to end: guest kernels on the para-API (vCPU frame, traps, Sv32 user
 * mode, timer preemption, events and idling) through the real binary. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/cli.h"
#include "spawn.h"

static size_t text_len(const char *text) { return text ? strlen(text) : 0; }

#define RUN(input, ...) \
  spawn_pvlab_run(input, text_len(input), __VA_ARGS__, (char *)NULL)

/* The number after "pvlab: KEY" in --stats output. */
static unsigned long long stat_num(const spawn_result *r, const char *key) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "pvlab: %s ", key);
  const char *p = strstr(r->err, pattern);
  cr_assert(p, "--stats lacks '%s':\n%s", key, r->err);
  return strtoull(p + strlen(pattern), NULL, 0);
}

static const char *stat_text(const spawn_result *r, const char *key,
                             char *buf, size_t size) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "pvlab: %s ", key);
  const char *p = strstr(r->err, pattern);
  cr_assert(p, "--stats lacks '%s':\n%s", key, r->err);
  p += strlen(pattern);
  while (*p == ' ') p++;
  snprintf(buf, size, "%.*s", (int)strcspn(p, "\n"), p);
  return buf;
}

Test(minikernel, two_processes_preempted_in_their_own_address_spaces) {
  spawn_result r = RUN(NULL, "run", "--stats", spawn_guest("minikernel/minikernel"));
  cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
  /* each process counts in its own copy of the same virtual variable: both
   * reach round 5, and the timer interleaves them */
  const char *expect =
      "kernel: starting 2 processes\n"
      "ping (pid 1): round 1\n"
      "pong (pid 2): round 1\n"
      "ping (pid 1): round 2\n"
      "pong (pid 2): round 2\n"
      "ping (pid 1): round 3\n"
      "pong (pid 2): round 3\n"
      "ping (pid 1): round 4\n"
      "pong (pid 2): round 4\n"
      "ping (pid 1): round 5\n"
      "kernel: pid 1 exited with 10\n"
      "pong (pid 2): round 5\n"
      "kernel: pid 2 exited with 11\n";
  cr_expect(strncmp(r.out, expect, strlen(expect)) == 0, "stdout:\n%s", r.out);
  cr_expect(strstr(r.out, "kernel: all processes exited; 10 preemptions, "
                          "24 system calls\n"), "stdout:\n%s", r.out);
  cr_expect_gt(stat_num(&r, "  user mode"), 100000);
  cr_expect_eq(stat_num(&r, "  ecall"), 24);
  cr_expect_eq(stat_num(&r, "  event"), 10);
  cr_expect_eq(stat_num(&r, "  user_return"), 34);
  cr_expect_gt(stat_num(&r, "TLB misses"), 0);
  spawn_free(&r);
}

Test(minikernel, same_run_twice_same_count_and_hash) {
  char hash[2][64], insns[2][64];
  for (int i = 0; i < 2; i++) {
    spawn_result r = RUN(NULL, "run", "--stats", spawn_guest("minikernel/minikernel"));
    cr_assert_eq(r.status, 0);
    stat_text(&r, "state hash", hash[i], sizeof hash[i]);
    stat_text(&r, "instructions", insns[i], sizeof insns[i]);
    spawn_free(&r);
  }
  cr_expect_str_eq(hash[0], hash[1]);
  cr_expect_str_eq(insns[0], insns[1]);
}

Test(events, sleeping_skips_virtual_time_at_no_cost) {
  spawn_result r = RUN("sleep\n", "run", "--stats", spawn_guest("faults"));
  cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
  /* time_now, timer_set, event_wait, time_now: the second reading is the
   * deadline plus the instructions after the wait (checked by hand) */
  cr_expect(strstr(r.out, "slept 1000000006 ns, events 0x1\n"), "stdout: %s", r.out);
  char idle[64];
  cr_expect_str_eq(stat_text(&r, "  idle (skipped)", idle, sizeof idle),
                   "0.999999986 s");
  cr_expect_lt(stat_num(&r, "instructions"), 100000);
  spawn_free(&r);
}

Test(events, waiting_for_nothing_is_a_deadlock) {
  spawn_result r = RUN("deadlock\n", "run", spawn_guest("faults"));
  cr_expect_eq(r.status, CLI_EXIT_DEADLOCK, "status %d: %s", r.status, r.err);
  cr_expect(strstr(r.err, "pvlab: deadlock: the guest waits at wait_forever+"),
            "stderr: %s", r.err);
  cr_expect(strstr(r.err, "console input has ended"), "stderr: %s", r.err);
  cr_expect_null(strstr(r.out, "woke up"));
  spawn_free(&r);
}
