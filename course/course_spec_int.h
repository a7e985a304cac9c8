/* Inside the tests.grade parser: one line split into words
 * (course/spec_lex.c), the course_spec_parser's state and the table of keys
 * (course/spec_keys.c), for course/spec.c. */
#ifndef PVLAB_COURSE_COURSE_SPEC_INT_H
#define PVLAB_COURSE_COURSE_SPEC_INT_H
#ifndef PVLAB_COURSE_INTERNAL
#error "course_spec_int.h is private to course/: include course.h"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "grade.h"

#define SPEC_MAX_WORDS 8

typedef struct course_spec_word {
  char *text;  /* owned, NUL-terminated (a quoted one may hold NULs too) */
  size_t len;
  bool quoted;
} course_spec_word;

typedef struct course_spec_line {
  course_spec_word w[SPEC_MAX_WORDS];
  size_t n;
} course_spec_line;

/* Splits s[0..len) (one line, no newline) into words, up to a '#' outside
 * quotes.  False with why set (l empty) when the line cannot be read. */
bool course_spec_split(const uint8_t *s, size_t len, course_spec_line *l, char *why,
                size_t why_size);
void course_spec_line_free(course_spec_line *l);

typedef struct course_spec_parser {
  course_spec *s;
  course_test *t; /* the test being read; NULL before the first */
  const char *name;
  unsigned line;
  unsigned first[32]; /* line a single-use key was first given on, by key
                         (course_spec_nkeys of them), for the file's top or the
                         current test */
  host_error *err;
} course_spec_parser;

/* Fails with "NAME:LINE: " before the message; returns false. */
bool course_spec_fail(course_spec_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

typedef enum { AT_TOP, AT_TEST, AT_BOTH } course_spec_scope;
typedef struct course_spec_key {
  const char *name;
  course_spec_scope scope;
  unsigned min, max; /* values */
  bool repeat;       /* may be given more than once */
  bool (*fn)(course_spec_parser *p, course_spec_line *l);
} course_spec_key;
extern const course_spec_key course_spec_keys[];
extern const size_t course_spec_nkeys;

#endif
