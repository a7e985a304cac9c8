/* Inside the tests.grade spec_parser: one line split into words
 * (course/spec_lex.c), the spec_parser's state and the table of keys
 * (course/spec_keys.c), for course/spec.c. */
#ifndef PVLAB_COURSE_SPEC_INT_H
#define PVLAB_COURSE_SPEC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "course/grade.h"

#define SPEC_MAX_WORDS 8

typedef struct spec_word {
  char *text;  /* owned, NUL-terminated (a quoted one may hold NULs too) */
  size_t len;
  bool quoted;
} spec_word;

typedef struct spec_line {
  spec_word w[SPEC_MAX_WORDS];
  size_t n;
} spec_line;

/* Splits s[0..len) (one line, no newline) into words, up to a '#' outside
 * quotes.  False with why set (l empty) when the line cannot be read. */
bool spec_split(const uint8_t *s, size_t len, spec_line *l, char *why,
                size_t why_size);
void spec_line_free(spec_line *l);

typedef struct spec_parser {
  course_spec *s;
  course_test *t; /* the test being read; NULL before the first */
  const char *name;
  unsigned line;
  unsigned first[32]; /* line a single-use key was first given on, by key
                         (spec_nkeys of them), for the file's top or the
                         current test */
  pvl_error *err;
} spec_parser;

/* Fails with "NAME:LINE: " before the message; returns false. */
bool spec_fail(spec_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

typedef enum { AT_TOP, AT_TEST, AT_BOTH } spec_scope;
typedef struct spec_key {
  const char *name;
  spec_scope scope;
  unsigned min, max; /* values */
  bool repeat;       /* may be given more than once */
  bool (*fn)(spec_parser *p, spec_line *l);
} spec_key;
extern const spec_key spec_keys[];
extern const size_t spec_nkeys;

#endif
