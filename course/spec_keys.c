/* tests.grade's keys: what each takes and where it stores it, in one
 * table (course_spec_keys) that course/spec.c dispatches on, and the value
 * parsers they share.  Every refusal names the key and what it wants. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"
#include "course_spec_int.h"

/* ---- values */

static bool is_hex_prefix(const char *t) { return t[0] == '0' && (t[1] == 'x' || t[1] == 'X'); }

/* Decimal or 0x hex (never octal: "010" is ten), with an optional K/M/G
 * (x1000) suffix, as `pvlab run --max-insns` takes them. */
static bool count(const char *text, uint64_t *out) {
  static const struct { char c; uint64_t mul; } suffix[] = {
    {'K', 1000u}, {'M', 1000000u}, {'G', 1000000000u},
    {'k', 1000u}, {'m', 1000000u}, {'g', 1000000000u},
  };
  bool hex = is_hex_prefix(text);
  const char *digits = hex ? text + 2 : text;
  if (!((*digits >= '0' && *digits <= '9') || (hex && isxdigit((unsigned char)*digits)))) {
    return false;
  }
  char *end;
  errno = 0;
  unsigned long long v = strtoull(digits, &end, hex ? 16 : 10);
  if (errno) return false;
  uint64_t mul = 1;
  for (size_t i = 0; *end && !end[1] && i < sizeof suffix / sizeof suffix[0]; i++) {
    if (*end == suffix[i].c) {
      mul = suffix[i].mul;
      end++;
      break;
    }
  }
  if (*end || v > UINT64_MAX / mul) return false;
  *out = (uint64_t)v * mul;
  return true;
}

/* A word check's value: decimal (signed, 32-bit range) or 0x hex
 * (unsigned, 32-bit). */
static bool word_value(const char *v, int64_t *out, bool *is_signed) {
  if (is_hex_prefix(v)) {
    uint64_t u;
    if (!count(v, &u) || u > UINT32_MAX || !isxdigit((unsigned char)v[strlen(v) - 1])) {
      return false;
    }
    *out = (int64_t)u;
    *is_signed = false;
    return true;
  }
  bool neg = v[0] == '-';
  const char *digits = v + neg;
  if (*digits < '0' || *digits > '9') return false;
  char *end;
  errno = 0;
  long long n = strtoll(v, &end, 10);
  if (errno || *end || n < INT32_MIN || n > INT32_MAX) return false;
  *out = n;
  *is_signed = true;
  return true;
}

static bool number(course_spec_parser *p, const course_spec_word *w, const char *key, uint64_t min,
                   uint64_t max, uint64_t *out) {
  if (w->quoted || !count(w->text, out) || *out < min || *out > max) {
    return course_spec_fail(p, "%s wants a number from %llu to %llu (K, M, G suffixes "
                "count thousands), not \"%s\"", key, (unsigned long long)min,
                (unsigned long long)max, w->text);
  }
  return true;
}

static bool name_ok(const char *text, size_t len) {
  if (len == 0 || len >= COURSE_NAME_MAX) return false;
  for (size_t i = 0; i < len; i++) {
    char c = text[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

/* One string value, without NUL bytes (a path, a title, a command). */
static bool text(course_spec_parser *p, const course_spec_word *w, const char *key, char **out) {
  if (memchr(w->text, 0, w->len)) {
    return course_spec_fail(p, "%s cannot hold a NUL byte (\\0 or \\x00)", key);
  }
  char *copy = strdup(w->text);
  if (!copy) return course_spec_fail(p, "out of memory");
  free(*out);
  *out = copy;
  return true;
}

static bool bytes_add(course_spec_parser *p, course_bytes **list, size_t *n, const course_spec_word *w) {
  course_bytes *grown = realloc(*list, (*n + 1) * sizeof *grown);
  if (!grown) return course_spec_fail(p, "out of memory");
  *list = grown;
  /* the word's buffer moves into the list */
  grown[(*n)++] = (course_bytes){(uint8_t *)w->text, w->len};
  return true;
}

/* ---- the keys */


static bool k_exercise(course_spec_parser *p, course_spec_line *l) {
  const course_spec_word *w = &l->w[1];
  if (!name_ok(w->text, w->len)) {
    return course_spec_fail(p, "exercise \"%s\": a name is 1 to %d of a-z 0-9 _ - (it "
                "names files)", w->text, COURSE_NAME_MAX - 1);
  }
  memcpy(p->s->exercise, w->text, w->len + 1);
  return true;
}
static bool k_title(course_spec_parser *p, course_spec_line *l) { return text(p, &l->w[1], "title", &p->s->title); }
static bool k_guest(course_spec_parser *p, course_spec_line *l) { return text(p, &l->w[1], "guest", &p->s->guest); }
static bool k_disk(course_spec_parser *p, course_spec_line *l) { return text(p, &l->w[1], "disk", &p->s->disk); }
static bool k_build(course_spec_parser *p, course_spec_line *l) { return text(p, &l->w[1], "build", &p->s->build); }

static bool k_budget(course_spec_parser *p, course_spec_line *l) {
  uint64_t *to = p->t ? &p->t->budget : &p->s->budget;
  return number(p, &l->w[1], "budget", 1, UINT64_MAX, to);
}

static bool k_mem(course_spec_parser *p, course_spec_line *l) {
  uint64_t v;
  if (!number(p, &l->w[1], "mem (MiB)", 1, MACHINE_MAX_MEM_MIB, &v)) return false;
  *(p->t ? &p->t->mem_mib : &p->s->mem_mib) = (uint32_t)v;
  return true;
}

static bool k_test(course_spec_parser *p, course_spec_line *l) {
  const course_spec_word *w = &l->w[1];
  if (!name_ok(w->text, w->len)) {
    return course_spec_fail(p, "test \"%s\": a test name is 1 to %d of a-z 0-9 _ - (it "
                "names the bundle file)", w->text, COURSE_NAME_MAX - 1);
  }
  course_spec *s = p->s;
  for (size_t i = 0; i < s->ntests; i++) {
    if (strcmp(s->tests[i].name, w->text) == 0) {
      return course_spec_fail(p, "a second test named \"%s\" (the first is on line %u); "
                  "test names must differ", w->text, s->tests[i].line);
    }
  }
  course_test *grown = realloc(s->tests, (s->ntests + 1) * sizeof *grown);
  if (!grown) return course_spec_fail(p, "out of memory");
  s->tests = grown;
  course_test *t = &grown[s->ntests++];
  memset(t, 0, sizeof *t);
  memcpy(t->name, w->text, w->len + 1);
  t->line = p->line;
  t->points = 1;
  p->t = t;
  memset(p->first, 0, sizeof p->first);
  return true;
}

static bool k_points(course_spec_parser *p, course_spec_line *l) {
  uint64_t v;
  if (!number(p, &l->w[1], "points", 0, 1000000, &v)) return false;
  p->t->points = (uint32_t)v;
  return true;
}

static bool k_input(course_spec_parser *p, course_spec_line *l) {
  course_bytes *in = &p->t->input;
  const course_spec_word *w = &l->w[1];
  uint8_t *grown = realloc(in->p, in->len + w->len + 1);
  if (!grown) return course_spec_fail(p, "out of memory");
  memcpy(grown + in->len, w->text, w->len);
  in->p = grown;
  in->len += w->len;
  in->p[in->len] = 0;
  return true;
}

static bool k_expect(course_spec_parser *p, course_spec_line *l) {
  if (l->w[1].len == 0) return course_spec_fail(p, "an empty expect matches any output; give the text to find");
  if (!bytes_add(p, &p->t->expect, &p->t->nexpect, &l->w[1])) return false;
  l->w[1].text = NULL;
  return true;
}

static bool k_reject(course_spec_parser *p, course_spec_line *l) {
  if (l->w[1].len == 0) return course_spec_fail(p, "an empty reject matches any output; give the text to refuse");
  if (!bytes_add(p, &p->t->reject, &p->t->nreject, &l->w[1])) return false;
  l->w[1].text = NULL;
  return true;
}

static bool k_exit(course_spec_parser *p, course_spec_line *l) {
  uint64_t v;
  if (!number(p, &l->w[1], "exit", 0, UINT32_MAX, &v)) return false;
  p->t->has_exit = true;
  p->t->exit_code = (uint32_t)v;
  return true;
}

static bool k_max_insns(course_spec_parser *p, course_spec_line *l) {
  return number(p, &l->w[1], "max-insns", 1, UINT64_MAX, &p->t->max_insns);
}

static bool k_hint(course_spec_parser *p, course_spec_line *l) { return text(p, &l->w[1], "hint", &p->t->hint); }

static bool k_jitter(course_spec_parser *p, course_spec_line *l) {
  const char *v = l->w[1].text;
  if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0) {
    return course_spec_fail(p, "jitter is on or off, not \"%s\"", v);
  }
  p->t->jitter = strcmp(v, "on") == 0;
  return true;
}

static bool k_seeds(course_spec_parser *p, course_spec_line *l) {
  const char *v = l->w[1].text, *dots = strstr(v, "..");
  char first[32];
  size_t n = dots ? (size_t)(dots - v) : strlen(v);
  uint64_t a, b;
  bool ok = n < sizeof first;
  if (ok) {
    memcpy(first, v, n);
    first[n] = 0;
    ok = count(first, &a) && (!dots || count(dots + 2, &b));
  }
  if (ok && !dots) b = a;
  if (!ok || l->w[1].quoted || a > b || b - a >= COURSE_MAX_SEEDS) {
    return course_spec_fail(p, "seeds wants FIRST..LAST (e.g. 0..19, at most %u seeds) or "
                "one seed, not \"%s\"", COURSE_MAX_SEEDS, v);
  }
  p->t->seed_first = a;
  p->t->seed_last = b;
  return true;
}

static bool k_stop_at(course_spec_parser *p, course_spec_line *l) {
  if (strcmp(l->w[1].text, "hcall") != 0 || l->n < 3) {
    return course_spec_fail(p, "stop-at wants 'hcall NAME [N]' (stop before the Nth call "
                "of hypercall NAME, default the first)");
  }
  const char *name = l->w[2].text;
  if (course_hcall_index(name) < 0) {
    return course_spec_fail(p, "stop-at: no hypercall named \"%s\"; docs/pvabi.md lists "
                "them (e.g. shutdown, console_write)", name);
  }
  uint64_t nth = 1;
  if (l->n == 4 && !number(p, &l->w[3], "stop-at's N", 1, UINT32_MAX, &nth)) return false;
  if (!text(p, &l->w[2], "stop-at", &p->t->stop_hcall)) return false;
  p->t->stop_nth = (uint32_t)nth;
  return true;
}

static const struct { const char *text; course_cmp op; } cmps[] = {
  {"==", COURSE_EQ}, {"!=", COURSE_NE}, {"<", COURSE_LT},
  {"<=", COURSE_LE}, {">", COURSE_GT}, {">=", COURSE_GE},
};

static bool k_word(course_spec_parser *p, course_spec_line *l) {
  course_word_check c = {.line = p->line};
  size_t i = 0, ncmp = sizeof cmps / sizeof cmps[0];
  while (i < ncmp && strcmp(l->w[2].text, cmps[i].text) != 0) i++;
  if (i == ncmp || l->w[2].quoted) {
    return course_spec_fail(p, "word: \"%s\" is no comparison; use == != < <= > >=", l->w[2].text);
  }
  c.op = cmps[i].op;
  const char *v = l->w[3].text;
  if (l->w[3].quoted || !word_value(v, &c.value, &c.is_signed)) {
    return course_spec_fail(p, "word: \"%s\" is no 32-bit value; write a decimal number "
                "(signed, -2147483648 to 2147483647) or 0x hex (unsigned)", v);
  }
  if (l->w[1].quoted || !l->w[1].len) {
    return course_spec_fail(p, "word: the symbol is a bare word, SYMBOL or SYMBOL+OFFSET");
  }
  course_test *t = p->t;
  course_word_check *grown = realloc(t->words, (t->nwords + 1) * sizeof *grown);
  if (!grown) return course_spec_fail(p, "out of memory");
  t->words = grown;
  c.ref = l->w[1].text;
  l->w[1].text = NULL; /* moved into the check */
  grown[t->nwords++] = c;
  return true;
}

const course_spec_key course_spec_keys[] = {
  {"exercise", AT_TOP, 1, 1, false, k_exercise},
  {"title", AT_TOP, 1, 1, false, k_title},
  {"guest", AT_TOP, 1, 1, false, k_guest},
  {"disk", AT_TOP, 1, 1, false, k_disk},
  {"build", AT_TOP, 1, 1, false, k_build},
  {"budget", AT_BOTH, 1, 1, false, k_budget},
  {"mem", AT_BOTH, 1, 1, false, k_mem},
  {"test", AT_BOTH, 1, 1, true, k_test},
  {"points", AT_TEST, 1, 1, false, k_points},
  {"input", AT_TEST, 1, 1, true, k_input},
  {"expect", AT_TEST, 1, 1, true, k_expect},
  {"reject", AT_TEST, 1, 1, true, k_reject},
  {"exit", AT_TEST, 1, 1, false, k_exit},
  {"max-insns", AT_TEST, 1, 1, false, k_max_insns},
  {"word", AT_TEST, 3, 3, true, k_word},
  {"stop-at", AT_TEST, 2, 3, false, k_stop_at},
  {"seeds", AT_TEST, 1, 1, false, k_seeds},
  {"jitter", AT_TEST, 1, 1, false, k_jitter},
  {"hint", AT_TEST, 1, 1, false, k_hint},
};
const size_t course_spec_nkeys = sizeof course_spec_keys / sizeof course_spec_keys[0];
