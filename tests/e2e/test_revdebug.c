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
