/* End to end: guest kernels on the para-API (vCPU frame, traps, Sv32 user
 * mode, timer preemption, events and idling) through the real binary. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "spawn.h"

/* The position of needle in haystack, or -1. */
static long find(const char *haystack, const char *needle) {
  const char *p = strstr(haystack, needle);
  return p ? p - haystack : -1;
}

Test(minikernel, two_processes_preempted_in_their_own_address_spaces) {
  spawn_result r = SPAWN_RUN(NULL, "run", "--stats", spawn_guest("minikernel/minikernel"));
  cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
  cr_expect_eq(find(r.out, "kernel: starting 2 processes\n"), 0, "%s", r.out);
  /* each process counts in its own copy of the same virtual variable, so
   * each prints rounds 1 to 5 in order, and exits after its last round */
  const char *names[2] = {"ping (pid 1)", "pong (pid 2)"};
  long last_round[2], first_round[2];
  for (int p = 0; p < 2; p++) {
    long prev = -1;
    for (int round = 1; round <= 5; round++) {
      char line[64];
      snprintf(line, sizeof line, "%s: round %d\n", names[p], round);
      long at = find(r.out, line);
      cr_expect_gt(at, prev, "\"%s\" missing or out of order:\n%s", line, r.out);
      if (round == 1) first_round[p] = at;
      prev = at;
    }
    last_round[p] = prev;
    char exit_line[64];
    snprintf(exit_line, sizeof exit_line, "kernel: pid %d exited with %d\n",
             p + 1, 10 + p);
    cr_expect_gt(find(r.out, exit_line), last_round[p], "%s", r.out);
  }
  /* preemption: each process started before the other finished */
  cr_expect_lt(first_round[1], last_round[0], "no interleaving:\n%s", r.out);
  cr_expect_lt(first_round[0], last_round[1], "no interleaving:\n%s", r.out);
  unsigned preemptions = 0, calls = 0;
  const char *summary = strstr(r.out, "kernel: all processes exited; ");
  cr_assert(summary, "%s", r.out);
  cr_assert_eq(sscanf(summary, "kernel: all processes exited; %u preemptions, "
                      "%u system calls", &preemptions, &calls), 2);
  /* 5 writes and 5 getpids each, a refused write and an exit each */
  cr_expect_eq(calls, 24);
  cr_expect_gt(preemptions, 2);
  cr_expect_eq(spawn_stat_num(&r, "  ecall"), calls);
  cr_expect_eq(spawn_stat_num(&r, "  event"), preemptions);
  cr_expect_eq(spawn_stat_num(&r, "events delivered"), preemptions);
  /* every trap but the last exit ends in user_return, plus the first start */
  cr_expect_eq(spawn_stat_num(&r, "  user_return"), calls + preemptions);
  cr_expect_gt(spawn_stat_num(&r, "  user mode"), 100000);
  cr_expect_gt(spawn_stat_num(&r, "TLB misses"), 0);
  spawn_free(&r);
}

Test(minikernel, same_run_twice_same_count_and_hash) {
  spawn_result a = SPAWN_RUN(NULL, "run", "--stats", spawn_guest("minikernel/minikernel"));
  spawn_result b = SPAWN_RUN(NULL, "run", "--stats", spawn_guest("minikernel/minikernel"));
  spawn_expect_same_run(&a, &b, "minikernel");
}

Test(events, sleeping_skips_virtual_time_at_no_cost) {
  spawn_result r = SPAWN_RUN("sleep\n", "run", "--stats", spawn_guest("faults"));
  cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
  /* time_now, timer_set, event_wait, time_now: the second reading is the
   * deadline plus the instructions after the wait (checked by hand) */
  cr_expect(strstr(r.out, "slept 1000000006 ns, events 0x1\n"), "stdout: %s", r.out);
  cr_expect_str_eq(spawn_stat(&r, "  idle (skipped)"),
                   "0.999999986 s");
  cr_expect_lt(spawn_stat_num(&r, "instructions"), 100000);
  cr_expect_eq(spawn_stat_num(&r, "events delivered"), 1);
  spawn_free(&r);
}

Test(events, waiting_for_nothing_is_a_deadlock) {
  spawn_result r = SPAWN_RUN("deadlock\n", "run", spawn_guest("faults"));
  cr_expect_eq(r.status, CLI_EXIT_DEADLOCK, "status %d: %s", r.status, r.err);
  cr_expect(strstr(r.err, "pvlab: deadlock: the guest waits at wait_forever+"),
            "stderr: %s", r.err);
  cr_expect(strstr(r.err, "console input has ended"), "stderr: %s", r.err);
  cr_expect_null(strstr(r.out, "woke up"));
  spawn_free(&r);
}
