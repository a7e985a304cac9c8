/* tests.grade, the file an exercise's tests are declared in
 * (docs/grading.md): lines split into words (spec_lex.c), each line's key
 * looked up in the table (course_spec_keys.c) and checked for where it stands
 * and how often, each test checked as a whole.  Every error names the
 * file, the line and what to write instead. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"
#include "course_spec_int.h"

bool course_spec_fail(course_spec_parser *p, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return host_fail(p->err, "%s:%u: %s", p->name, p->line, msg);
}

/* "exercise, title, ..." for the keys that may stand where p is. */
static void key_list(const course_spec_parser *p, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = 0;
  for (size_t i = 0; i < course_spec_nkeys && used < size; i++) {
    course_spec_scope here = p->t ? AT_TEST : AT_TOP;
    if (course_spec_keys[i].scope != AT_BOTH && course_spec_keys[i].scope != here) continue;
    int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", course_spec_keys[i].name);
    if (n < 0) return;
    used += (size_t)n;
  }
}

static bool scope_ok(course_spec_parser *p, const course_spec_key *k) {
  if (k->scope == AT_TOP && p->t) {
    return course_spec_fail(p, "%s belongs at the top of the file, before the first test "
                "(line %u)", k->name, p->s->tests[0].line);
  }
  if (k->scope == AT_TEST && !p->t) {
    return course_spec_fail(p, "%s belongs to a test: start one with 'test NAME' above it",
                k->name);
  }
  return true;
}

static bool line_key(course_spec_parser *p, course_spec_line *l) {
  const char *name = l->w[0].text;
  size_t i = 0;
  while (i < course_spec_nkeys && strcmp(course_spec_keys[i].name, name) != 0) i++;
  if (i == course_spec_nkeys || l->w[0].quoted) {
    char list[400];
    key_list(p, list, sizeof list);
    return course_spec_fail(p, "unknown key \"%s\" (keys%s: %s)", name,
                p->t ? " in a test" : " before the first test", list);
  }
  const course_spec_key *k = &course_spec_keys[i];
  if (!scope_ok(p, k)) return false;
  unsigned nvals = (unsigned)l->n - 1;
  if (nvals < k->min || nvals > k->max) {
    if (k->min == 1 && k->max == 1) {
      return course_spec_fail(p, "%s takes one value, not %u; quote text that has spaces: "
                  "%s \"...\"", k->name, nvals, k->name);
    }
    return course_spec_fail(p, "%s takes %u to %u values, not %u", k->name, k->min, k->max, nvals);
  }
  if (!k->repeat && p->first[i]) {
    return course_spec_fail(p, "%s is given twice%s%s (first on line %u)", k->name,
                p->t ? " in test " : "", p->t ? p->t->name : "", p->first[i]);
  }
  p->first[i] = p->line;
  return k->fn(p, l);
}

/* What one test's keys cannot say alone. */
static bool test_done(course_spec_parser *p) {
  const course_test *t = p->t;
  if (!t) return true;
  unsigned line = p->line;
  p->line = t->line;
  bool ok = true;
  uint64_t budget = t->budget ? t->budget : p->s->budget;
  char a[32], b[32];
  if (t->has_exit && t->stop_hcall) {
    ok = course_spec_fail(p, "test %s has both exit and stop-at: a run that stops at a "
              "hypercall never shuts down; drop one", t->name);
  } else if (t->max_insns > budget) {
    course_format_count(t->max_insns, a, sizeof a);
    course_format_count(budget, b, sizeof b);
    ok = course_spec_fail(p, "test %s: max-insns %s is above its budget %s, where the run "
              "stops first; raise budget or lower max-insns", t->name, a, b);
  }
  p->line = line;
  return ok;
}

static void test_free(course_test *t) {
  free(t->input.p);
  for (size_t i = 0; i < t->nexpect; i++) free(t->expect[i].p);
  for (size_t i = 0; i < t->nreject; i++) free(t->reject[i].p);
  for (size_t i = 0; i < t->nwords; i++) free(t->words[i].ref);
  free(t->expect);
  free(t->reject);
  free(t->words);
  free(t->stop_hcall);
  free(t->hint);
}

void course_spec_free(course_spec *s) {
  for (size_t i = 0; i < s->ntests; i++) test_free(&s->tests[i]);
  free(s->tests);
  free(s->title);
  free(s->guest);
  free(s->disk);
  free(s->build);
  memset(s, 0, sizeof *s);
}

bool course_spec_parse(course_spec *s, const char *text, size_t len,
                       const char *name, host_error *err) {
  memset(s, 0, sizeof *s);
  s->budget = COURSE_DEFAULT_BUDGET;
  s->mem_mib = MACHINE_DEFAULT_MEM_MIB;
  course_spec_parser p = {.s = s, .name = name, .err = err};
  const uint8_t *at = (const uint8_t *)text, *end = at + len;
  bool ok = true;
  while (ok && at < end) {
    p.line++;
    const uint8_t *nl = memchr(at, '\n', (size_t)(end - at));
    size_t n = nl ? (size_t)(nl - at) : (size_t)(end - at);
    if (n && at[n - 1] == '\r') n--; /* written on Windows */
    course_spec_line l;
    char why[200];
    if (!course_spec_split(at, n, &l, why, sizeof why)) {
      ok = course_spec_fail(&p, "%s", why);
      break;
    }
    if (l.n && strcmp(l.w[0].text, "test") == 0 && !l.w[0].quoted) ok = test_done(&p);
    if (ok && l.n) ok = line_key(&p, &l);
    course_spec_line_free(&l);
    at = nl ? nl + 1 : end;
  }
  if (ok) ok = test_done(&p);
  if (ok && s->ntests == 0) {
    ok = host_fail(err, "%s: no tests; add one with 'test NAME' and its checks "
                  "(docs/grading.md)", name);
  }
  if (!ok) course_spec_free(s);
  return ok;
}

bool course_spec_load(course_spec *s, const char *path, host_error *err) {
  memset(s, 0, sizeof *s);
  FILE *f = fopen(path, "rb");
  if (!f) return host_fail(err, "%s: cannot open: %s", path, strerror(errno));
  /* a tests.grade is small: a megabyte is far past any real one */
  enum { LIMIT = 1 << 20 };
  char *buf = malloc(LIMIT + 1);
  size_t n = buf ? fread(buf, 1, LIMIT + 1, f) : 0;
  bool bad = !buf || ferror(f);
  fclose(f);
  bool ok;
  if (bad) ok = host_fail(err, "%s: cannot read it (%s)", path, buf ? "read error" : "out of memory");
  else if (n > LIMIT) ok = host_fail(err, "%s: larger than 1 MiB; is it really a tests.grade?", path);
  else ok = course_spec_parse(s, buf, n, path, err);
  free(buf);
  return ok;
}

void course_format_count(uint64_t n, char *buf, size_t size) {
  static const struct { uint64_t unit; char c; } units[] = {
    {1000000000u, 'G'}, {1000000u, 'M'}, {1000u, 'K'},
  };
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (n && n % units[i].unit == 0) {
      snprintf(buf, size, "%llu%c", (unsigned long long)(n / units[i].unit), units[i].c);
      return;
    }
  }
  snprintf(buf, size, "%llu", (unsigned long long)n);
}
