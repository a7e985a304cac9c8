/* The grader's pieces (docs/grading.md): an exercise's tests.grade file,
 * the checks each test declares, and the TAP and JUnit reports.  `pvlab
 * grade` (cli/grade.c) strings them together over the job pool of
 * course/course.h:
 *
 *   course_spec spec;
 *   if (!course_spec_load(&spec, "ex/tests.grade", &err)) ...  // "ex/tests.grade:12: ..."
 *   for each test t, for each seed: a course_job with
 *       job.at_end = course_check_at_end, job.ctx = &verdicts[k]
 *   course_pool_run(...);
 *   verdicts[k].pass, verdicts[k].msg
 *   course_tap_write(stdout, &report);  course_junit_write(f, &report);
 */
#ifndef PVLAB_COURSE_GRADE_H
#define PVLAB_COURSE_GRADE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "course.h"

#define COURSE_NAME_MAX 64 /* test and exercise names, with the NUL */
#define COURSE_MAX_SEEDS 10000u
#define COURSE_DEFAULT_BUDGET 1000000000u /* instructions, without `budget` */

/* Bytes from a quoted string: may hold any byte, NUL too. */
typedef struct course_bytes {
  uint8_t *p; /* owned, NUL-terminated for convenience */
  size_t len;
} course_bytes;

typedef enum course_cmp {
  COURSE_EQ, COURSE_NE, COURSE_LT, COURSE_LE, COURSE_GT, COURSE_GE,
} course_cmp;

/* word SYMBOL OP VALUE: a hex VALUE compares the word unsigned, a decimal
 * one (which may be negative) compares it as a signed 32-bit number. */
typedef struct course_word_check {
  char *ref; /* "SYMBOL" or "SYMBOL+OFF" (course_word) */
  course_cmp op;
  int64_t value;
  bool is_signed;
  unsigned line;
} course_word_check;

typedef struct course_test {
  char name[COURSE_NAME_MAX];
  unsigned line; /* of its `test` line */
  uint32_t points;
  course_bytes input;    /* every `input`, concatenated */
  course_bytes *expect;  /* in the order they must appear */
  size_t nexpect;
  course_bytes *reject;
  size_t nreject;
  bool has_exit;
  uint32_t exit_code;
  uint64_t budget;     /* 0: the file's */
  uint64_t max_insns;  /* 0: no check */
  uint32_t mem_mib;    /* 0: the file's */
  course_word_check *words;
  size_t nwords;
  char *stop_hcall;    /* NULL: none */
  uint32_t stop_nth;
  uint64_t seed_first, seed_last; /* inclusive; both 0 by default */
  bool jitter;
  char *hint;          /* NULL: none */
} course_test;

typedef struct course_spec {
  char exercise[COURSE_NAME_MAX]; /* "" when the file has none */
  char *title, *guest, *disk, *build; /* NULL when not given */
  uint64_t budget;  /* COURSE_DEFAULT_BUDGET when not given */
  uint32_t mem_mib; /* MACHINE_DEFAULT_MEM_MIB when not given */
  course_test *tests;
  size_t ntests;
} course_spec;

/* Parses a tests.grade text (len bytes, any bytes at all); name is what
 * error messages call the file ("ex/tests.grade:12: ...").  On failure s is
 * left empty (nothing to free) and err says the line and the fix. */
bool course_spec_parse(course_spec *s, const char *text, size_t len,
                       const char *name, host_error *err)
    __attribute__((warn_unused_result));
/* Reads and parses the file at path. */
bool course_spec_load(course_spec *s, const char *path, host_error *err)
    __attribute__((warn_unused_result));
void course_spec_free(course_spec *s);
/* "500M" for 500000000, "1234" for 1234: counts as a tests.grade has them. */
void course_format_count(uint64_t n, char *buf, size_t size);
/* Text with every byte a person cannot read as C-style escapes (\n, \xHH),
 * at most size-1 bytes (cut with "..." when longer). */
void course_escape(const uint8_t *p, size_t len, char *buf, size_t size);

/* The verdict of one run (one test, one seed). */
typedef struct course_verdict {
  const course_test *test;
  uint64_t seed;
  uint64_t budget; /* the run's, for the hang message */
  bool pass;
  char msg[2048]; /* the first check that failed, "" when pass */
} course_verdict;

/* course_job.at_end for a grader job whose ctx is a course_verdict with
 * test and seed set: runs the test's checks on the stopped machine, fills
 * in pass and msg, and returns !pass (write the bundle of a failure).
 * Thread-safe: it touches only its verdict and the machine. */
bool course_check_at_end(void *ctx, const machine *m, course_result *r);

/* One test's outcome over all its seeds, as the reports show it. */
typedef struct course_outcome {
  const course_test *test;
  bool pass;
  uint32_t points;       /* earned: test->points or 0 */
  size_t seeds, failed;  /* runs, and how many failed */
  const course_verdict *first_fail; /* the lowest failing seed's, or NULL */
  const course_result *result; /* the run the reports show: first_fail's,
                                   or the first seed's when it passed */
  char msg[2560];        /* first_fail's message, with the seed when the
                            test has several */
  const char *bundle;    /* its recording's path, or NULL */
  char replay[1200];     /* the command that opens it, or "" */
} course_outcome;

typedef struct course_report {
  const course_spec *spec;
  const course_outcome *tests;
  size_t ntests;
  uint32_t score, possible;
  size_t passed;
} course_report;

/* The last lines (at most max_lines, at most size-1 bytes) of a console
 * output, escaped, one per line. */
void course_output_tail(const uint8_t *out, size_t len, unsigned max_lines,
                        char *buf, size_t size);

/* A short name for how a run ended, for reports: "shutdown", "fault",
 * "hang" (the budget), "deadlock", "stop-at"... */
const char *course_stop_name(machine_stop stop);

/* TAP version 13 (a YAML block per test) and JUnit XML; false when the
 * stream failed. */
bool course_tap_write(FILE *f, const course_report *r);
bool course_junit_write(FILE *f, const course_report *r);

#endif
