/* End to end: reverse execution in `pvlab debug` through the real binary,
 * with commands piped on stdin: console input from --console-input served
 * again when going back (and the echo not printed twice), the watchme
 * tutorial backwards, and --record with the bundle replayed by `pvlab
 * replay` and opened by `pvlab replay --debug`. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"

#define PVLAB SPAWN_RUN

static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
  return n;
}

Test(revdebug, console_input_again_and_output_once) {
  const char *dir = spawn_temp_dir();
  char *input = spawn_put_file(dir, "input.txt", "first words\nlast words\n");
  spawn_result r = PVLAB("catch hcall console_read\n"
                         "continue\n"
                         "stepi\n"
                         "echo -- read: \n"
                         "print $a1\n"
                         "reverse-stepi 3\n"
                         "delete\n"
                         "stepi 3\n"
                         "echo -- read again: \n"
                         "print $a1\n"
                         "continue\n"
                         "goto 0\n"
                         "continue\n",
                         "debug", spawn_guest("echo"), "--console-input", input);
  cr_expect_eq(r.status, 0, "status %d; stdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
  spawn_expect_out(&r, "-- read: \n$1 = 23 (0x17)\n");
  spawn_expect_out(&r, "-- read again: \n$2 = 23 (0x17)\n");
  cr_expect_eq(count(r.out, "first words\nlast words\n"), 1, "the echo is not there "
               "exactly once:\n%s", r.out);
  cr_expect_eq(count(r.out, "The guest shut down with exit code 0"), 2, "%s", r.out);
  spawn_free(&r);
  free(input);
  spawn_remove_dir(dir);
}

Test(revdebug, watchme_backwards) {
  spawn_result r = PVLAB("continue\nwatch words_seen\nreverse-continue\nreverse-continue\n"
                         "reverse-continue\nreverse-continue\nbacktrace\n",
                         "debug", spawn_guest("watchme"));
  cr_expect_eq(r.status, 0, "status %d; stdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
  spawn_expect_out(&r, "Watchpoint 1 (words_seen): written by 0x800000e8 <note_length+36>: "
                 "old 1 (0x1), new 11 (0xb)\n=> 0x800000ec <note_length+40>:\tlw ra, 12(sp)\n"
                 "#0  0x800000ec in note_length ()\n");
  cr_expect_eq(count(r.out, "14 words, the longest has 0 letters"), 1, "%s", r.out);
  spawn_free(&r);
}

Test(revdebug, refusals_say_where_history_starts) {
  spawn_result r = PVLAB("stepi 5\nset $a0 = 1\nreverse-stepi\n", "debug", spawn_guest("hello"));
  cr_expect_eq(r.status, 1, "status %d; stdout:\n%s", r.status, r.out);
  spawn_expect_out(&r, "cannot go back 1 instruction from icount 5: history starts at icount 5 "
                 "(the state was changed by hand there");
  spawn_expect_out(&r, "stdin:3: the error above, in: reverse-stepi");
  spawn_free(&r);
}

Test(revdebug, record_then_replay_and_replay_debug) {
  const char *dir = spawn_temp_dir();
  char *input = spawn_put_file(dir, "input.txt", "recorded input\n");
  char bundle[128];
  snprintf(bundle, sizeof bundle, "%s/echo.pvrec", dir);
  spawn_result r = PVLAB("catch hcall console_read\ncontinue\nstepi\nreverse-stepi 4\n"
                         "delete\ncontinue\nquit\n",
                         "debug", "--record", bundle, spawn_guest("echo"),
                         "--console-input", input);
  cr_expect_eq(r.status, 0, "status %d; stdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
  spawn_expect_out(&r, "the session is recorded in ");
  spawn_free(&r);

  r = PVLAB(NULL, "replay", bundle);
  cr_expect_eq(r.status, 0, "status %d; stdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
  cr_expect_str_eq(r.out, "recorded input\n");
  spawn_free(&r);

  r = PVLAB("continue\nreverse-stepi 10\ncontinue\ngoto 0\ninfo reverse\n", "replay",
            bundle, "--debug");
  cr_expect_eq(r.status, 0, "status %d; stdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
  spawn_expect_out(&r, "is stopped where the recording starts (icount 0");
  cr_expect_eq(count(r.out, "recorded input\n"), 1, "%s", r.out);
  spawn_expect_out(&r, "The guest shut down with exit code 0");
  spawn_expect_out(&r, "(a recording: there is no input past its end)");
  spawn_free(&r);
  free(input);
  spawn_remove_dir(dir);
}

/* A session recorded while the guest still runs (it ended at a
 * breakpoint) is neither a failure nor a Ctrl-C: its replay ends with
 * status 0, and info says how it ended; a session that ran the guest to
 * its shutdown is a shutdown, with its exit code. */
Test(revdebug, an_unfinished_session_replays_as_one) {
  const char *dir = spawn_temp_dir();
  char bundle[128], done[128];
  snprintf(bundle, sizeof bundle, "%s/paused.pvrec", dir);
  snprintf(done, sizeof done, "%s/done.pvrec", dir);
  spawn_result r = PVLAB("break main\ncontinue\nquit\n", "debug", "--record", bundle,
                         spawn_guest("hello"));
  cr_assert_eq(r.status, 0, "status %d; stdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
  spawn_free(&r);
  r = PVLAB(NULL, "replay", bundle);
  cr_expect_eq(r.status, 0, "status %d; stderr:\n%s", r.status, r.err);
  spawn_expect_err(&r, "the recording ends at icount 50, main (0x80000044), where the debug "
                   "session that made it ended, the guest still running; 'pvlab replay "
                   "--debug ");
  spawn_free(&r);
  r = PVLAB(NULL, "info", bundle);
  cr_expect_eq(r.status, 0, "status %d; stderr:\n%s", r.status, r.err);
  spawn_expect_out(&r, "recording: ends at icount 50 with the debug session that made it "
                   "ending there, the guest still running, final state hash ");
  cr_expect_null(strstr(r.out, "Ctrl-C"), "%s", r.out);
  spawn_free(&r);
  r = PVLAB("continue\nquit\n", "debug", "--record", done, spawn_guest("hello"));
  cr_assert_eq(r.status, 0, "status %d; stdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
  spawn_free(&r);
  r = PVLAB(NULL, "info", done);
  spawn_expect_out(&r, "recording: ends at icount 3696 with the guest shut down (exit code 0), "
                   "final state hash ");
  spawn_free(&r);
  spawn_remove_dir(dir);
}

/* pvlab replay --debug takes the monitor's scripts as pvlab debug does:
 * -x runs first and stops at its first error (status 1), --keep-going
 * goes on; without --debug they are refused, naming the fix. */
Test(revdebug, replay_debug_runs_scripts) {
  const char *dir = spawn_temp_dir();
  char bundle[128];
  snprintf(bundle, sizeof bundle, "%s/hello.pvrec", dir);
  char *script = spawn_put_file(dir, "s.gdb", "break main\ncontinue\ncontnue\necho after\n");
  spawn_result r = PVLAB(NULL, "run", "--record", bundle, spawn_guest("hello"));
  cr_assert_eq(r.status, 0, "status %d; stderr:\n%s", r.status, r.err);
  spawn_free(&r);
  r = PVLAB(NULL, "replay", "--debug", "-x", script, bundle);
  cr_expect_eq(r.status, 1, "status %d; stdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
  spawn_expect_out(&r, "Breakpoint 1, 0x80000044 <main>\n");
  spawn_expect_out(&r, "s.gdb:3: the error above, in: contnue\n");
  cr_expect_null(strstr(r.out, "after"), "the script went on after its error:\n%s", r.out);
  spawn_free(&r);
  r = PVLAB("echo from stdin\n", "replay", "--debug", "--keep-going", "-x", script, bundle);
  cr_expect_eq(r.status, 0, "status %d; stdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
  spawn_expect_out(&r, "s.gdb:3: the error above, in: contnue\nafter\nfrom stdin\n");
  spawn_free(&r);
  r = PVLAB(NULL, "replay", "-x", script, bundle);
  cr_expect_eq(r.status, 125, "status %d", r.status);
  spawn_expect_err(&r, "pvlab replay: -x is for the monitor: pvlab replay --debug -x SCRIPT ");
  cr_expect_eq(r.out_len, 0, "the replay ran: %s", r.out);
  spawn_free(&r);
  r = PVLAB(NULL, "replay", "--debug", "-x", "/nonexistent/s.gdb", bundle);
  cr_expect_eq(r.status, 125, "status %d", r.status);
  spawn_expect_err(&r, "pvlab replay: -x /nonexistent/s.gdb: cannot open: ");
  spawn_free(&r);
  free(script);
  spawn_remove_dir(dir);
}
