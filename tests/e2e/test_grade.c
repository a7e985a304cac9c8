/* `pvlab grade` through the real binary, on the fixture exercises in
 * tests/e2e/grade/ (basic: one test per kind of check on the faults
 * sample; dice: seeds and words on dice.elf) and small ones made here:
 * the summary, the exit status, TAP read by Perl's TAP::Parser and
 * `prove`, JUnit read by xmllint, the same output for -j 1 and -j 2, and
 * a failed test's bundle replaying (and opening at the end) to the very
 * failure the grader reported. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"

static char dir[64];

/* Every test works in a fresh directory of its own (the bundles'
 * default place is the current directory). */
static void enter_dir(void) {
  snprintf(dir, sizeof dir, "%s", spawn_temp_dir());
  cr_assert_eq(chdir(dir), 0);
}

static void leave_dir(void) {
  cr_assert_eq(chdir("/"), 0);
  spawn_remove_dir(dir);
}

TestSuite(grade, .init = enter_dir, .fini = leave_dir);

static void sh(const char *cmd) { cr_assert_eq(system(cmd), 0, "%s", cmd); }

static void copy(const char *from, const char *to) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\" && cp '%s' '%s'", to, from, to);
  sh(cmd);
}

static const char *dice_elf(void) {
  const char *p = getenv("GRADE_DICE");
  cr_assert(p, "GRADE_DICE is not set: run the tests with 'meson test'");
  return p;
}

/* A fixture exercise from the source tree, with its guest beside it. */
static void fixture(const char *name, const char *guest_from, const char *guest_to) {
  char from[1024], to[256];
  snprintf(from, sizeof from, "%s/tests/e2e/grade/%s/tests.grade", PVLAB_SOURCE_ROOT, name);
  snprintf(to, sizeof to, "%s/tests.grade", name);
  copy(from, to);
  snprintf(to, sizeof to, "%s/%s", name, guest_to);
  copy(guest_from, to);
}

static void basic(void) { fixture("basic", spawn_guest("faults"), "faults.elf"); }

static void put(const char *path, const char *text) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
  sh(cmd);
  free(spawn_put_file(".", path, text));
}

#define GRADE(...) spawn_pvlab_run(NULL, 0, "grade", __VA_ARGS__, (char *)NULL)

static void expect_text(const char *text, const char *needle, const char *what) {
  cr_expect(strstr(text, needle), "%s lacks \"%s\":\n%s", what, needle, text);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  cr_assert(f, "cannot open %s: %s", path, strerror(errno));
  char *buf = calloc(1, 1 << 20);
  size_t n = fread(buf, 1, (1 << 20) - 1, f);
  fclose(f);
  buf[n] = 0;
  return buf;
}

/* A program's stdout (asserting its exit status); argv[0] is found in
 * $PATH through env (spawn_run takes a path). */
static char *run_tool(int status, char *const argv[]) {
  char *full[16] = {"/usr/bin/env"};
  for (int i = 0; argv[i] && i < 14; i++) full[i + 1] = argv[i];
  spawn_result r;
  cr_assert_eq(spawn_run(full, NULL, 0, &r), 0, "cannot start %s", argv[0]);
  cr_expect_eq(r.status, status, "%s exited %d:\n%s\n%s", argv[0], r.status, r.out, r.err);
  char *out = strdup(r.out);
  spawn_free(&r);
  return out;
}

/* What xmllint --xpath prints, less the newline it adds. */
static char *xpath(const char *file, const char *expr) {
  char *argv[] = {"xmllint", "--xpath", (char *)expr, (char *)file, NULL};
  char *out = run_tool(0, argv);
  size_t n = strlen(out);
  if (n && out[n - 1] == '\n') out[n - 1] = 0;
  return out;
}

/* The YAML value KEY of TAP test NAME, read back by TAP::Parser (which
 * also must find no parse error). */
static char *tap_yaml(const char *file, const char *name, const char *key) {
  char script[1024];
  snprintf(script, sizeof script,
           "use TAP::Parser; open my $f, '<', $ARGV[0] or die; local $/; "
           "my $p = TAP::Parser->new({tap => scalar <$f>}); my $last = ''; "
           "while (my $r = $p->next) { $last = $r->description if $r->is_test; "
           "print $r->data->{'%s'} if $r->is_yaml && $last eq '- %s'; } "
           "die join(';', $p->parse_errors) if $p->parse_errors;", key, name);
  char *argv[] = {"perl", "-e", script, (char *)file, NULL};
  return run_tool(0, argv);
}

Test(grade, help) {
  spawn_result r = spawn_pvlab_run(NULL, 0, "help", "grade", (char *)NULL);
  cr_expect_eq(r.status, 0);
  spawn_expect_out(&r, "usage: pvlab grade EXERCISE_DIR [--guest ELF | --build]");
  spawn_expect_out(&r, "Exit status: 0 all tests passed; 1 some failed; 125");
  spawn_free(&r);
  r = spawn_pvlab_run(NULL, 0, "help", (char *)NULL);
  spawn_expect_out(&r, "  grade    grade EXERCISE_DIR");
  spawn_free(&r);
}

/* Every kind of check, each line checked by hand against faults.c. */
Test(grade, basic_summary) {
  basic();
  spawn_result r = GRADE("basic", "-j", "2");
  cr_expect_eq(r.status, 1, "some tests fail: status 1\n%s", r.err);
  const char *lines[] = {
    "pvlab grade: basic - Grader fixture: one test per kind of check\n",
    "  PASS  pass            2/2\n",
    "  FAIL  expect-missing  0/1  expected \"never printed\" in the output (not found)\n"
    "                             last output: | faults: unknown command 'hello'\n"
    "                             hint: Print the line the test expects.\n"
    "                             replay: pvlab replay --debug --at-end pvlab-grade/basic/expect-missing.pvrec\n",
    "  FAIL  expect-order    0/1  expected \"faults:\" in the output after \"'hello'\" (it appears only before it)\n",
    "  FAIL  rejected        0/1  the output has \"unknown command\", which must not appear\n",
    "  FAIL  exit-code       0/3  exit code 3, expected 0\n"
    "                             last output: (none)\n",
    "  FAIL  hang            0/1  hang: no shutdown within 2M instructions (the guest was at spin_forever+",
    "  FAIL  fault           0/1  guest fault: illegal instruction at read_cycle_csr+",
    "  FAIL  slow            0/1  too slow: ",
    " instructions, more than max-insns 100\n",
    "  FAIL  word            0/1  word low_address = 0x10, expected > 0x10\n",
    "  PASS  stop-at         1/1\n",
    "  FAIL  stop-at-never   0/1  the run ended before hypercall debug_break was called: "
    "the guest shut down with exit code 0\n",
    "score: 3/14 points, 2 of 11 tests passed\n",
  };
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
    expect_text(r.out, lines[i], "the summary");
  }
  cr_expect_eq(access("pvlab-grade/basic/hang.pvrec", R_OK), 0);
  cr_expect_neq(access("pvlab-grade/basic/pass.pvrec", F_OK), 0, "a pass has no bundle");
  spawn_free(&r);
}

Test(grade, tap_and_junit_parse) {
  basic();
  spawn_result r = GRADE("basic", "--tap", "out.tap", "--junit", "out.xml");
  cr_expect_eq(r.status, 1);
  spawn_free(&r);
  /* prove consumes the TAP: 11 tests, 9 failed */
  char *argv[] = {"prove", "-e", "cat", "out.tap", NULL};
  char *out = run_tool(1, argv);
  expect_text(out, "Failed 9/11 subtests", "prove");
  free(out);
  char *v = tap_yaml("out.tap", "exit-code", "message");
  cr_expect_str_eq(v, "exit code 3, expected 0");
  free(v);
  v = tap_yaml("out.tap", "exit-code", "points_possible");
  cr_expect_str_eq(v, "3");
  free(v);
  v = tap_yaml("out.tap", "hang", "bundle");
  cr_expect_str_eq(v, "pvlab-grade/basic/hang.pvrec");
  free(v);
  v = tap_yaml("out.tap", "expect-missing", "hint");
  cr_expect_str_eq(v, "Print the line the test expects.");
  free(v);
  /* xmllint reads the JUnit XML; the counts are right */
  char *lint[] = {"xmllint", "--noout", "out.xml", NULL};
  free(run_tool(0, lint));
  struct { const char *expr, *want; } q[] = {
    {"string(/testsuites/testsuite/@tests)", "11"},
    {"string(/testsuites/testsuite/@failures)", "9"},
    {"string(/testsuites/testsuite/@errors)", "0"},
    {"count(//testcase)", "11"},
    {"count(//testcase/failure)", "9"},
    {"string(//testcase[@name='exit-code']/failure/@message)", "exit code 3, expected 0"},
    {"string(//testcase[@name='exit-code']/properties/property[@name='points_possible']/@value)", "3"},
    {"string(//testcase[@name='pass']/properties/property[@name='points']/@value)", "2"},
    {"string(/testsuites/testsuite/properties/property[@name='score']/@value)", "3"},
    {"string(//testcase[@name='rejected']/system-out)", "faults: unknown command 'hello'\n"},
  };
  for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
    char *got = xpath("out.xml", q[i].expr);
    cr_expect_str_eq(got, q[i].want, "%s", q[i].expr);
    free(got);
  }
}

/* The thread count changes nothing a person or a machine reads. */
Test(grade, same_output_for_any_j) {
  basic();
  fixture("dice", dice_elf(), "dice.elf");
  for (int e = 0; e < 2; e++) {
    const char *ex = e ? "dice" : "basic";
    spawn_result a = GRADE(ex, "-j", "1", "--tap", "a.tap", "--junit", "a.xml");
    spawn_result b = GRADE(ex, "-j", "2", "--tap", "b.tap", "--junit", "b.xml");
    cr_expect_eq(a.status, b.status);
    cr_expect_str_eq(a.out, b.out);
    char *ta = slurp("a.tap"), *tb = slurp("b.tap"), *ja = slurp("a.xml"), *jb = slurp("b.xml");
    cr_expect_str_eq(ta, tb);
    cr_expect_str_eq(ja, jb);
    free(ta);
    free(tb);
    free(ja);
    free(jb);
    spawn_free(&a);
    spawn_free(&b);
  }
}

/* What replay says a run ended with, against what the grader reported. */
static void expect_replays_same(const char *test, const char *bundle, int status) {
  char *icount = tap_yaml("out.tap", test, "icount");
  char *hash = tap_yaml("out.tap", test, "hash");
  cr_assert(*icount && *hash, "no icount or hash for %s in the TAP", test);
  spawn_result r = spawn_pvlab_run(NULL, 0, "replay", bundle, (char *)NULL);
  cr_expect_eq(r.status, status, "replay of %s:\n%s", bundle, r.err);
  char want[256];
  snprintf(want, sizeof want, "replay matched the recording: %s instructions", icount);
  expect_text(r.err, want, "replay's stderr");
  snprintf(want, sizeof want, "final state hash %s\n", hash);
  expect_text(r.err, want, "replay's stderr");
  free(icount);
  free(hash);
  spawn_free(&r);
}

Test(grade, failed_bundles_replay_to_the_same_failure) {
  basic();
  spawn_result r = GRADE("basic", "--tap", "out.tap");
  spawn_free(&r);
  expect_replays_same("hang", "pvlab-grade/basic/hang.pvrec", 124);
  expect_replays_same("fault", "pvlab-grade/basic/fault.pvrec", 123);
  expect_replays_same("exit-code", "pvlab-grade/basic/exit-code.pvrec", 3);
  char *stop = tap_yaml("out.tap", "fault", "stop");
  cr_expect_str_eq(stop, "fault");
  free(stop);
  /* the failing seed, not seed 0, is the one recorded */
  fixture("dice", dice_elf(), "dice.elf");
  r = GRADE("dice", "--tap", "out.tap");
  expect_text(r.out, "  FAIL  no-six-wider   0/1  seed 5 of 0..7 failed (3 of 8 seeds "
              "failed): the output has \"dice: 6\", which must not appear\n", "summary");
  spawn_free(&r);
  char *seed = tap_yaml("out.tap", "no-six-wider", "seed");
  cr_expect_str_eq(seed, "5");
  free(seed);
  expect_replays_same("no-six-wider", "pvlab-grade/dice/no-six-wider.pvrec", 0);
  r = spawn_pvlab_run(NULL, 0, "replay", "pvlab-grade/dice/no-six-wider.pvrec", (char *)NULL);
  cr_expect_str_eq(r.out, "dice: 6\n");
  spawn_free(&r);
}

/* The replay command the grader prints opens the monitor at the failure,
 * and reverse execution works from there. */
Test(grade, replay_at_end_opens_at_the_failure) {
  basic();
  spawn_result r = GRADE("basic", "--tap", "out.tap");
  expect_text(r.out, "replay: pvlab replay --debug --at-end pvlab-grade/basic/fault.pvrec\n",
              "summary");
  spawn_free(&r);
  char *icount = tap_yaml("out.tap", "fault", "icount");
  unsigned long long n = strtoull(icount, NULL, 10);
  free(icount);
  const char *cmds = "info registers pc\nreverse-stepi\nreverse-continue\n";
  r = spawn_pvlab_run(cmds, strlen(cmds), "replay", "--debug", "--at-end",
                      "pvlab-grade/basic/fault.pvrec", (char *)NULL);
  cr_expect_eq(r.status, 0, "%s\n%s", r.out, r.err);
  char want[128];
  snprintf(want, sizeof want, "running to where the recording ends (icount %llu)", n);
  spawn_expect_out(&r, want);
  spawn_expect_out(&r, "Guest fault: illegal instruction at read_cycle_csr+");
  spawn_expect_out(&r, "pc        0x");
  spawn_expect_out(&r, "<read_cycle_csr+");
  snprintf(want, sizeof want, "Stopped at icount %llu\n", n - 1);
  spawn_expect_out(&r, want);
  spawn_expect_out(&r, "No more reverse-execution history");
  spawn_free(&r);
  /* a hang opens at its last instruction */
  r = spawn_pvlab_run("reverse-stepi\n", 14, "replay", "--debug", "--at-end",
                      "pvlab-grade/basic/hang.pvrec", (char *)NULL);
  spawn_expect_out(&r, "Stopped at icount 2000000\n");
  spawn_expect_out(&r, "Stopped at icount 1999999\n");
  spawn_free(&r);
  r = spawn_pvlab_run(NULL, 0, "replay", "--at-end", "pvlab-grade/basic/hang.pvrec", (char *)NULL);
  cr_expect_eq(r.status, 125);
  expect_text(r.err, "--at-end is for the monitor", "stderr");
  spawn_free(&r);
}

Test(grade, seeds_and_words) {
  fixture("dice", dice_elf(), "dice.elf");
  spawn_result r = GRADE("dice", "--quiet");
  cr_expect_eq(r.status, 1);
  cr_expect_null(strstr(r.out, "PASS"), "--quiet leaves out passes:\n%s", r.out);
  expect_text(r.out, "  FAIL  roll-word-low  0/1  word last_roll = 2, expected < 2\n", "summary");
  expect_text(r.out, "score: 3/5 points, 2 of 4 tests passed\n", "summary");
  spawn_free(&r);
  /* roll-word passes: last_roll == 2 and both dice_magic words matched */
  r = GRADE("dice");
  expect_text(r.out, "  PASS  no-six         2/2  (5 seeds, 0..4)\n", "summary");
  expect_text(r.out, "  PASS  roll-word      1/1\n", "summary");
  spawn_free(&r);
}

Test(grade, all_pass_exit_zero_and_jitter) {
  copy(spawn_guest("faults"), "ex/faults.elf");
  /* checked by hand: without jitter the one-second sleep is 1000000006
   * ns whatever the seed; with it, seeds 0 and 1 sleep longer */
  put("ex/tests.grade", "guest faults.elf\nmem 2\n"
      "test steady\n  input \"sleep\\n\"\n  seeds 0..1\n  expect \"slept 1000000006 ns\"\n"
      "test jittery\n  input \"sleep\\n\"\n  seeds 0..1\n  jitter on\n"
      "  reject \"slept 1000000006 ns\"\n  expect \"slept 1000\"\n");
  spawn_result r = GRADE("ex", "--tap", "-");
  cr_expect_eq(r.status, 0, "%s\n%s", r.out, r.err);
  expect_text(r.out, "TAP version 13\n1..2\nok 1 - steady\n", "TAP on stdout");
  expect_text(r.err, "score: 2/2 points, 2 of 2 tests passed\n", "the summary on stderr");
  cr_expect_neq(access("pvlab-grade", F_OK), 0, "no failure, no bundle directory");
  spawn_free(&r);
}

/* Guest output with any bytes stays valid TAP and XML. */
Test(grade, hostile_output_escaped) {
  copy(spawn_guest("echo"), "ex/echo.elf");
  put("ex/tests.grade", "guest echo.elf\nmem 2\n"
      "test bytes\n  input \"a\\x01\\xff\\xc3\\xa9<&\\\"]]>'\\x00z\\n\"\n  expect \"nothing\"\n");
  spawn_result r = GRADE("ex", "--tap", "out.tap", "--junit", "out.xml");
  cr_expect_eq(r.status, 1);
  expect_text(r.out, "last output: | a\\x01\\xff\\xc3\\xa9<&\\\"]]>'\\x00z\n", "summary");
  spawn_free(&r);
  char *lint[] = {"xmllint", "--noout", "out.xml", NULL};
  free(run_tool(0, lint));
  char *got = xpath("out.xml", "string(//testcase/system-out)");
  cr_expect_str_eq(got, "a\\x01\\xff\xc3\xa9<&\"]]>'\\x00z\n");
  free(got);
  char *tail = tap_yaml("out.tap", "bytes", "output_tail");
  cr_expect_str_eq(tail, "a\\x01\\xff\\xc3\\xa9<&\\\"]]>'\\x00z"); /* as in the summary */
  free(tail);
}

Test(grade, disk_beside_the_guest) {
  copy(spawn_guest("diskdemo"), "ex/bin/diskdemo.elf");
  char img[1024];
  snprintf(img, sizeof img, "%s/diskdemo.img", getenv("GUESTS"));
  copy(img, "ex/bin/diskdemo.img");
  put("ex/tests.grade", "guest bin/diskdemo.elf\ndisk diskdemo.img\nmem 2\n"
      "test files\n  expect \"3 files:\"\n  expect \"poem.txt\"\n");
  spawn_result r = GRADE("ex");
  cr_expect_eq(r.status, 0, "%s\n%s", r.out, r.err);
  spawn_free(&r);
  put("ex/bin/diskdemo.img", "not 512 bytes");
  r = GRADE("ex");
  cr_expect_eq(r.status, 125);
  expect_text(r.err, "pvlab grade: test files, seed 0: ", "stderr");
  expect_text(r.err, "ex/bin/diskdemo.img", "stderr");
  spawn_free(&r);
}

Test(grade, bad_files_and_usage) {
  put("ex/tests.grade", "guest g.elf\ntest a\n  points 2\n  expet \"x\"\n");
  spawn_result r = GRADE("ex");
  cr_expect_eq(r.status, 125);
  expect_text(r.err, "pvlab grade: ex/tests.grade:4: unknown key \"expet\" (keys in a "
              "test: ", "stderr");
  spawn_free(&r);
  put("ex/tests.grade", "guest g.elf\ntest a\n");
  r = GRADE("ex");
  cr_expect_eq(r.status, 125);
  expect_text(r.err, "pvlab grade: guest ex/g.elf does not exist; build it first, or "
              "give --guest ELF\n", "stderr");
  spawn_free(&r);
  r = GRADE("nowhere");
  cr_expect_eq(r.status, 125);
  expect_text(r.err, "nowhere/tests.grade: cannot open", "stderr");
  spawn_free(&r);
  r = GRADE("ex", "--build", "--guest", "x.elf");
  cr_expect_eq(r.status, 125);
  expect_text(r.err, "--guest and --build exclude each other", "stderr");
  spawn_free(&r);
  r = GRADE("ex", "-j", "0");
  cr_expect_eq(r.status, 125);
  expect_text(r.err, "-j wants a number of threads from 1 to 256", "stderr");
  spawn_free(&r);
  r = GRADE("ex", "--build");
  cr_expect_eq(r.status, 125);
  expect_text(r.err, "--build, but ex/tests.grade has no 'build' command", "stderr");
  spawn_free(&r);
  put("ex/tests.grade", "guest g.elf\nmem 2\ntest a\n");
  r = GRADE("ex", "--guest", spawn_guest("hello"), "--tap", "/nonexistent/x.tap");
  cr_expect_eq(r.status, 125);
  expect_text(r.err, "--tap /nonexistent/x.tap: cannot write it", "stderr");
  spawn_free(&r);
  /* --guest grades another ELF than the file's */
  r = GRADE("ex", "--guest", spawn_guest("hello"));
  cr_expect_eq(r.status, 0, "%s", r.err);
  spawn_free(&r);
}

Test(grade, build_then_grade) {
  char text[2048];
  snprintf(text, sizeof text, "guest out/g.elf\nbuild \"mkdir -p out && cp '%s' out/g.elf "
           "&& echo built it\"\nmem 2\ntest a\n  expect \"Hello from pvlab!\"\n",
           spawn_guest("hello"));
  put("ex/tests.grade", text);
  spawn_result r = GRADE("ex");
  cr_expect_eq(r.status, 125, "not built yet");
  expect_text(r.err, "does not exist; build it first: pvlab grade --build", "stderr");
  spawn_free(&r);
  r = GRADE("ex", "--build");
  cr_expect_eq(r.status, 0, "%s\n%s", r.out, r.err);
  expect_text(r.err, "built it\n", "the build's output, on stderr");
  cr_expect_null(strstr(r.out, "built it"), "stdout stays for the reports");
  expect_text(r.out, "  PASS  a     1/1\n", "summary");
  spawn_free(&r);
  put("ex/tests.grade", "guest g.elf\nbuild \"echo broken >&2; exit 2\"\ntest a\n");
  r = GRADE("ex", "--build");
  cr_expect_eq(r.status, 125);
  expect_text(r.err, "broken\npvlab grade: the build failed (exit status 2): echo broken "
              ">&2; exit 2; its output is above", "stderr");
  spawn_free(&r);
}
