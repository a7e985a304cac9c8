/* tests.grade, the grader's test file (course/spec.c): what each key
 * stores, the line-numbered error every kind of mistake gets, garbage that
 * must be refused without a crash; and the checks (course/check.c) on
 * made-up runs, which need no guest. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"

static bool parse(course_spec *s, const char *text, host_error *err) {
  return course_spec_parse(s, text, strlen(text), "t.grade", err);
}

/* The message a bad file gets (asserting that it is refused). */
static const char *refused(const char *text) {
  static host_error err;
  course_spec s;
  cr_assert_not(parse(&s, text, &err), "accepted:\n%s", text);
  cr_assert_eq(s.ntests, 0, "a refused file must leave nothing behind");
  cr_assert_null(s.tests);
  return err.msg;
}

#define EXPECT_REFUSED(text, needle)                                      \
  do {                                                                     \
    const char *msg_ = refused(text);                                      \
    cr_expect(strstr(msg_, needle), "message \"%s\" lacks \"%s\"", msg_, needle); \
  } while (0)

Test(grade_spec, every_key) {
  const char *text =
      "# a comment\n"
      "exercise lazy   # trailing comment\n"
      "title \"Lazy allocation: # not a comment\"\n"
      "guest build/kernel.elf\n"
      "disk fs.img\n"
      "build \"make -C ..\"\n"
      "budget 500M\n"
      "mem 64\n"
      "\n"
      "test lazy-basic\n"
      "  points 3\n"
      "  input \"lazy\"\n"
      "  input \"test\\n\\x00\\t\\\\\\\"\"\n"
      "  expect \"lazytest: OK\"\n"
      "  expect ok2\n"
      "  reject \"panic\"\n"
      "  exit 7\n"
      "  budget 100M\n"
      "  max-insns 50M\n"
      "  mem 16\n"
      "  word kalloc_pages < 300\n"
      "  word table+8 == 0xffffffff\n"
      "  word counter >= -5\n"
      "  seeds 0..19\n"
      "  jitter on\n"
      "  hint \"Is vm_fault() right?\"\n"
      "test second\r\n"
      "  stop-at hcall console_write 3\r\n"
      "  seeds 7\n";
  course_spec s;
  host_error err;
  cr_assert(parse(&s, text, &err), "%s", err.msg);
  cr_expect_str_eq(s.exercise, "lazy");
  cr_expect_str_eq(s.title, "Lazy allocation: # not a comment");
  cr_expect_str_eq(s.guest, "build/kernel.elf");
  cr_expect_str_eq(s.disk, "fs.img");
  cr_expect_str_eq(s.build, "make -C ..");
  cr_expect_eq(s.budget, 500000000u);
  cr_expect_eq(s.mem_mib, 64);
  cr_assert_eq(s.ntests, 2);
  const course_test *t = &s.tests[0];
  cr_expect_str_eq(t->name, "lazy-basic");
  cr_expect_eq(t->line, 10);
  cr_expect_eq(t->points, 3);
  cr_assert_eq(t->input.len, 13);
  cr_expect(memcmp(t->input.p, "lazytest\n\0\t\\\"", 13) == 0);
  cr_assert_eq(t->nexpect, 2);
  cr_expect_str_eq((char *)t->expect[0].p, "lazytest: OK");
  cr_expect_str_eq((char *)t->expect[1].p, "ok2");
  cr_assert_eq(t->nreject, 1);
  cr_expect(t->has_exit);
  cr_expect_eq(t->exit_code, 7);
  cr_expect_eq(t->budget, 100000000u);
  cr_expect_eq(t->max_insns, 50000000u);
  cr_expect_eq(t->mem_mib, 16);
  cr_assert_eq(t->nwords, 3);
  cr_expect_str_eq(t->words[0].ref, "kalloc_pages");
  cr_expect_eq(t->words[0].op, COURSE_LT);
  cr_expect_eq(t->words[0].value, 300);
  cr_expect(t->words[0].is_signed);
  cr_expect_str_eq(t->words[1].ref, "table+8");
  cr_expect_eq(t->words[1].value, 0xffffffffll);
  cr_expect_not(t->words[1].is_signed);
  cr_expect_eq(t->words[2].value, -5);
  cr_expect_eq(t->words[2].line, 23);
  cr_expect_eq(t->seed_first, 0);
  cr_expect_eq(t->seed_last, 19);
  cr_expect(t->jitter);
  cr_expect_str_eq(t->hint, "Is vm_fault() right?");
  const course_test *u = &s.tests[1];
  cr_expect_eq(u->points, 1, "points default to 1");
  cr_expect_str_eq(u->stop_hcall, "console_write");
  cr_expect_eq(u->stop_nth, 3);
  cr_expect_eq(u->seed_first, 7);
  cr_expect_eq(u->seed_last, 7);
  cr_expect_not(u->has_exit);
  cr_expect_not(u->jitter);
  course_spec_free(&s);
}

Test(grade_spec, defaults) {
  course_spec s;
  host_error err;
  cr_assert(parse(&s, "test a\n", &err), "%s", err.msg);
  cr_expect_str_eq(s.exercise, "");
  cr_expect_null(s.guest);
  cr_expect_eq(s.budget, COURSE_DEFAULT_BUDGET);
  cr_expect_eq(s.mem_mib, MACHINE_DEFAULT_MEM_MIB);
  cr_expect_eq(s.tests[0].stop_nth, 0);
  course_spec_free(&s);
}

Test(grade_spec, line_numbered_errors) {
  EXPECT_REFUSED("test a\n\n  expet \"x\"\n",
                 "t.grade:3: unknown key \"expet\" (keys in a test: budget, mem, test, "
                 "points, input, expect, reject, exit, max-insns, word, stop-at, seeds, "
                 "jitter, hint)");
  EXPECT_REFUSED("gust x\n", "t.grade:1: unknown key \"gust\" (keys before the first "
                 "test: exercise, title, guest, disk, build, budget, mem, test)");
  EXPECT_REFUSED("test a\nguest x.elf\n", "t.grade:2: guest belongs at the top of the "
                 "file, before the first test (line 1)");
  EXPECT_REFUSED("points 3\n", "t.grade:1: points belongs to a test: start one with "
                 "'test NAME' above it");
  EXPECT_REFUSED("test a\n points 1\n points 2\n", "t.grade:3: points is given twice in "
                 "test a (first on line 2)");
  EXPECT_REFUSED("guest a\nguest b\ntest a\n", "t.grade:2: guest is given twice (first on line 1)");
  EXPECT_REFUSED("test a\ntest a\n", "t.grade:2: a second test named \"a\" (the first is on line 1)");
  EXPECT_REFUSED("test Big\n", "t.grade:1: test \"Big\": a test name is 1 to 63 of a-z 0-9 _ -");
  EXPECT_REFUSED("title Lazy allocation\ntest a\n", "t.grade:1: title takes one value, not 2; "
                 "quote text that has spaces");
  EXPECT_REFUSED("test a\n  points\n", "t.grade:2: points takes one value, not 0");
  EXPECT_REFUSED("test a\n  points -1\n", "t.grade:2: points wants a number from 0 to 1000000");
  EXPECT_REFUSED("test a\n  budget 0\n", "budget wants a number from 1 to");
  EXPECT_REFUSED("budget 5Q\ntest a\n", "t.grade:1: budget wants a number");
  EXPECT_REFUSED("mem 4096\ntest a\n", "mem (MiB) wants a number from 1 to 2048");
  EXPECT_REFUSED("test a\n  input \"abc\n", "t.grade:2: a string has no closing '\"'");
  EXPECT_REFUSED("test a\n  input \"a\\qb\"\n", "t.grade:2: unknown escape in a string");
  EXPECT_REFUSED("test a\n  input \"a\\x4\"\n", "unknown escape");
  EXPECT_REFUSED("test a\n  input \"a\"b\n", "a closing '\"' must be followed by a space");
  EXPECT_REFUSED("test a\n  input a\"b\"\n", "a '\"' in the middle of a word");
  EXPECT_REFUSED("test a\n  word a b c d e f g h i\n", "too many words on one line");
  EXPECT_REFUSED("test a\n  expect \"\"\n", "an empty expect matches any output");
  EXPECT_REFUSED("test a\n  reject \"\"\n", "an empty reject matches any output");
  EXPECT_REFUSED("test a\n  exit 0\n  stop-at hcall shutdown\n",
                 "t.grade:1: test a has both exit and stop-at");
  EXPECT_REFUSED("budget 10M\ntest a\n  max-insns 20M\n",
                 "t.grade:2: test a: max-insns 20M is above its budget 10M");
  EXPECT_REFUSED("test a\n  stop-at hcall shutdwn\n", "t.grade:2: stop-at: no hypercall "
                 "named \"shutdwn\"");
  EXPECT_REFUSED("test a\n  stop-at trap 3\n", "stop-at wants 'hcall NAME [N]'");
  EXPECT_REFUSED("test a\n  stop-at hcall shutdown 0\n", "stop-at's N wants a number from 1");
  EXPECT_REFUSED("test a\n  seeds 5..2\n", "t.grade:2: seeds wants FIRST..LAST");
  EXPECT_REFUSED("test a\n  seeds 0..10000\n", "at most 10000 seeds");
  EXPECT_REFUSED("test a\n  seeds x\n", "seeds wants FIRST..LAST");
  EXPECT_REFUSED("test a\n  jitter yes\n", "jitter is on or off, not \"yes\"");
  EXPECT_REFUSED("test a\n  word x =< 3\n", "word: \"=<\" is no comparison");
  EXPECT_REFUSED("test a\n  word x == 0x100000000\n", "is no 32-bit value");
  EXPECT_REFUSED("test a\n  word x == 2147483648\n", "is no 32-bit value");
  EXPECT_REFUSED("test a\n  word x == -0x5\n", "is no 32-bit value");
  EXPECT_REFUSED("test a\n  word \"x\" == 5\n", "the symbol is a bare word");
  EXPECT_REFUSED("title \"a\\0b\"\ntest a\n", "title cannot hold a NUL byte");
  EXPECT_REFUSED("exercise \"a b\"\ntest a\n", "exercise \"a b\": a name is 1 to 63");
  EXPECT_REFUSED("test a\n  hint \x01x\n", "control character 0x01 outside a string");
  EXPECT_REFUSED("# nothing\n", "t.grade: no tests; add one with 'test NAME'");
  EXPECT_REFUSED("", "no tests");
}

Test(grade_spec, numbers) {
  course_spec s;
  host_error err;
  cr_assert(parse(&s, "budget 0x10\ntest a\n budget 010K\n max-insns 2K\n", &err), "%s", err.msg);
  cr_expect_eq(s.budget, 16);
  cr_expect_eq(s.tests[0].budget, 10000, "a leading zero is decimal, not octal");
  cr_expect_eq(s.tests[0].max_insns, 2000);
  course_spec_free(&s);
  char text[32], buf[16];
  course_format_count(500000000, buf, sizeof buf);
  cr_expect_str_eq(buf, "500M");
  course_format_count(1234, buf, sizeof buf);
  cr_expect_str_eq(buf, "1234");
  course_format_count(3000, buf, sizeof buf);
  cr_expect_str_eq(buf, "3K");
  course_format_count(0, buf, sizeof buf);
  cr_expect_str_eq(buf, "0");
  snprintf(text, sizeof text, "test a\n exit 4294967296\n");
  EXPECT_REFUSED(text, "exit wants a number from 0 to 4294967295");
}

/* Any bytes at all: refused with a message naming the file, or parsed;
 * never a crash (the sanitizer build runs this too). */
Test(grade_spec, garbage) {
  static const char *const seeds[] = {
    "exercise x\ntitle \"t\"\ntest a\n input \"\\x41\\n\"\n expect \"A\"\n word s+4 != 0x0\n"
    " stop-at hcall console_write 2\n seeds 0..3\n jitter off\n hint \"h\"\n",
    "test a\n  reject \"#\" # c\n",
  };
  uint64_t x = 0x9e3779b97f4a7c15u;
  for (int round = 0; round < 4000; round++) {
    const char *base = seeds[round % 2];
    size_t n = strlen(base);
    char buf[256];
    memcpy(buf, base, n);
    int flips = 1 + round % 8;
    for (int f = 0; f < flips; f++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      size_t at = (size_t)(x % n);
      buf[at] = (char)(x >> 40);
    }
    size_t len = round % 3 == 0 ? (size_t)((x >> 20) % n) : n; /* truncated too */
    course_spec s;
    host_error err = {{0}};
    if (course_spec_parse(&s, buf, len, "g.grade", &err)) {
      cr_assert_gt(s.ntests, 0);
      course_spec_free(&s);
    } else {
      cr_assert(strncmp(err.msg, "g.grade", 7) == 0, "message: %s", err.msg);
      cr_assert_null(s.tests);
    }
  }
}

Test(grade_spec, load_names_the_file) {
  course_spec s;
  host_error err;
  cr_assert_not(course_spec_load(&s, "/nonexistent/tests.grade", &err));
  cr_expect(strstr(err.msg, "/nonexistent/tests.grade: cannot open"), "%s", err.msg);
}

Test(grade_text, escape_and_tail) {
  char buf[64];
  course_escape((const uint8_t *)"a\n\"\\\x01\xff", 6, buf, sizeof buf);
  cr_expect_str_eq(buf, "a\\n\\\"\\\\\\x01\\xff");
  course_escape((const uint8_t *)"0123456789abcdef", 16, buf, 12);
  cr_expect_str_eq(buf, "01234567...");
  const char *out = "one\ntwo\r\nthree\nfour\n";
  course_output_tail((const uint8_t *)out, strlen(out), 2, buf, sizeof buf);
  cr_expect_str_eq(buf, "three\nfour");
  course_output_tail((const uint8_t *)out, strlen(out), 3, buf, sizeof buf);
  cr_expect_str_eq(buf, "two\nthree\nfour");
  course_output_tail((const uint8_t *)"no newline", 10, 3, buf, sizeof buf);
  cr_expect_str_eq(buf, "no newline");
  course_output_tail((const uint8_t *)"", 0, 3, buf, sizeof buf);
  cr_expect_str_eq(buf, "");
  cr_expect_str_eq(course_stop_name(MACHINE_STOP_LIMIT), "hang");
  cr_expect_str_eq(course_stop_name((machine_stop)999), "unknown");
}

/* ---- the checks, on made-up results (no words: no machine needed) */

static course_spec spec;

static const course_test *test_of(const char *text) {
  host_error err;
  course_spec_free(&spec);
  cr_assert(parse(&spec, text, &err), "%s", err.msg);
  return &spec.tests[0];
}

static course_verdict check(const course_test *t, machine_stop stop, uint32_t code,
                            uint64_t icount, const char *out) {
  course_result r = {.ok = true, .ran = true, .stop = stop, .exit_code = code,
                     .icount = icount, .out = (uint8_t *)out, .out_len = strlen(out)};
  snprintf(r.where, sizeof r.where, "spin+4 (0x80000104)");
  snprintf(r.outcome, sizeof r.outcome, "guest fault: load at 0x0");
  course_verdict v = {.test = t, .budget = 2000000};
  bool keep = course_check_at_end(&v, NULL, &r);
  cr_expect_eq(keep, !v.pass, "the bundle is kept exactly for a failure");
  return v;
}

Test(grade_check, verdicts) {
  const course_test *t = test_of("test a\n exit 0\n expect \"one\"\n expect \"two\"\n"
                                 " reject \"panic\"\n max-insns 1000\n");
  course_verdict v = check(t, MACHINE_STOP_SHUTDOWN, 0, 500, "one two");
  cr_expect(v.pass, "%s", v.msg);
  cr_expect_str_eq(v.msg, "");
  v = check(t, MACHINE_STOP_LIMIT, 0, 2000000, "one two");
  cr_expect_str_eq(v.msg, "hang: no shutdown within 2M instructions (the guest was at "
                   "spin+4 (0x80000104))");
  v = check(t, MACHINE_STOP_FAULT, 0, 5, "one two");
  cr_expect_str_eq(v.msg, "guest fault: load at 0x0");
  v = check(t, MACHINE_STOP_SHUTDOWN, 3, 500, "one two");
  cr_expect_str_eq(v.msg, "exit code 3, expected 0");
  v = check(t, MACHINE_STOP_SHUTDOWN, 0, 500, "one\n");
  cr_expect_str_eq(v.msg, "expected \"two\" in the output (not found)");
  v = check(t, MACHINE_STOP_SHUTDOWN, 0, 500, "two one");
  cr_expect_str_eq(v.msg, "expected \"two\" in the output after \"one\" (it appears only "
                   "before it)");
  v = check(t, MACHINE_STOP_SHUTDOWN, 0, 500, "one two\nkernel panic\n");
  cr_expect_str_eq(v.msg, "the output has \"panic\", which must not appear");
  v = check(t, MACHINE_STOP_SHUTDOWN, 0, 1001, "one two");
  cr_expect_str_eq(v.msg, "too slow: 1001 instructions, more than max-insns 1K");
  v = check(t, MACHINE_STOP_SHUTDOWN, 0, 1000, "one two");
  cr_expect(v.pass, "max-insns is inclusive: %s", v.msg);
  course_spec_free(&spec);
}

Test(grade_check, stop_at) {
  const course_test *t = test_of("test a\n stop-at hcall debug_break 2\n expect \"x\"\n");
  course_verdict v = check(t, MACHINE_STOP_CATCH_HCALL, 0, 50, "x");
  cr_expect(v.pass, "%s", v.msg);
  v = check(t, MACHINE_STOP_SHUTDOWN, 0, 50, "x");
  cr_expect_str_eq(v.msg, "the run ended before hypercall debug_break was called 2 "
                   "times: guest fault: load at 0x0");
  v = check(t, MACHINE_STOP_LIMIT, 0, 2000000, "x");
  cr_expect_str_eq(v.msg, "hang: hypercall debug_break was not called 2 times within "
                   "2M instructions (the guest was at spin+4 (0x80000104))");
  course_spec_free(&spec);
}

Test(grade_check, any_shutdown_without_exit) {
  const course_test *t = test_of("test a\n");
  cr_expect(check(t, MACHINE_STOP_SHUTDOWN, 42, 5, "").pass);
  cr_expect_not(check(t, MACHINE_STOP_DEADLOCK, 0, 5, "").pass);
  cr_expect_not(check(t, MACHINE_STOP_BREAK, 0, 5, "").pass);
  course_spec_free(&spec);
}
