/* A test's checks on one finished run, in the order a student should fix
 * them: how the run ended first (a hang or a panic explains everything
 * after it), then the exit code, the output, efficiency and memory.  The
 * first failing check is the verdict; its message names the check and
 * what was seen instead. */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "grade.h"

static bool fail(course_verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(course_verdict *v, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->msg, sizeof v->msg, fmt, ap);
  va_end(ap);
  v->pass = false;
  return false;
}

/* The run reached where the test looks: a shutdown, or its stop-at. */
static bool ended(course_verdict *v, const course_result *r, uint64_t budget) {
  const course_test *t = v->test;
  if (t->stop_hcall) {
    if (r->stop == MACHINE_STOP_CATCH_HCALL) return true;
    char nth[48] = "";
    if (t->stop_nth > 1) snprintf(nth, sizeof nth, " %" PRIu32 " times", t->stop_nth);
    if (r->stop == MACHINE_STOP_LIMIT) {
      char b[32];
      course_format_count(budget, b, sizeof b);
      return fail(v, "hang: hypercall %s was not called%s within %s instructions "
                  "(the guest was at %s)", t->stop_hcall, nth, b, r->where);
    }
    return fail(v, "the run ended before hypercall %s was called%s: %s",
                t->stop_hcall, nth, r->outcome);
  }
  if (r->stop == MACHINE_STOP_SHUTDOWN) return true;
  if (r->stop == MACHINE_STOP_LIMIT) {
    char b[32];
    course_format_count(budget, b, sizeof b);
    return fail(v, "hang: no shutdown within %s instructions (the guest was at %s)",
                b, r->where);
  }
  return fail(v, "%s", r->outcome);
}

static const uint8_t *find(const uint8_t *hay, size_t n, const course_bytes *needle) {
  if (needle->len == 0 || needle->len > n) return NULL;
  for (size_t i = 0; i + needle->len <= n; i++) {
    if (hay[i] == needle->p[0] && memcmp(hay + i, needle->p, needle->len) == 0) {
      return hay + i;
    }
  }
  return NULL;
}

/* The expects in order: each is looked for after the end of the one
 * before it. */
static bool expects(course_verdict *v, const course_result *r) {
  const course_test *t = v->test;
  const uint8_t *out = r->out ? r->out : (const uint8_t *)"";
  size_t at = 0;
  for (size_t i = 0; i < t->nexpect; i++) {
    const course_bytes *e = &t->expect[i];
    const uint8_t *hit = find(out + at, r->out_len - at, e);
    if (hit) {
      at = (size_t)(hit - out) + e->len;
      continue;
    }
    char want[300], prev[300];
    course_escape(e->p, e->len, want, sizeof want);
    if (i > 0 && find(out, r->out_len, e)) {
      course_escape(t->expect[i - 1].p, t->expect[i - 1].len, prev, sizeof prev);
      return fail(v, "expected \"%s\" in the output after \"%s\" (it appears "
                  "only before it)", want, prev);
    }
    return fail(v, "expected \"%s\" in the output (not found)", want);
  }
  return true;
}

static bool rejects(course_verdict *v, const course_result *r) {
  const course_test *t = v->test;
  for (size_t i = 0; i < t->nreject; i++) {
    if (r->out && find(r->out, r->out_len, &t->reject[i])) {
      char text[300];
      course_escape(t->reject[i].p, t->reject[i].len, text, sizeof text);
      return fail(v, "the output has \"%s\", which must not appear", text);
    }
  }
  return true;
}

static const char *const cmp_text[] = {
  [COURSE_EQ] = "==", [COURSE_NE] = "!=", [COURSE_LT] = "<",
  [COURSE_LE] = "<=", [COURSE_GT] = ">", [COURSE_GE] = ">=",
};

static bool compare(int64_t a, course_cmp op, int64_t b) {
  switch (op) {
  case COURSE_EQ: return a == b;
  case COURSE_NE: return a != b;
  case COURSE_LT: return a < b;
  case COURSE_LE: return a <= b;
  case COURSE_GT: return a > b;
  case COURSE_GE: return a >= b;
  }
  return false;
}

static bool words(course_verdict *v, const machine *m) {
  const course_test *t = v->test;
  for (size_t i = 0; i < t->nwords; i++) {
    const course_word_check *c = &t->words[i];
    uint32_t w;
    host_error err;
    if (!course_word(m, c->ref, &w, &err)) return fail(v, "word %s: %s", c->ref, err.msg);
    int64_t have = c->is_signed ? (int64_t)(int32_t)w : (int64_t)w;
    if (compare(have, c->op, c->value)) continue;
    if (c->is_signed) {
      return fail(v, "word %s = %" PRId64 ", expected %s %" PRId64, c->ref, have,
                  cmp_text[c->op], c->value);
    }
    return fail(v, "word %s = 0x%" PRIx32 ", expected %s 0x%" PRIx64, c->ref, w,
                cmp_text[c->op], (uint64_t)c->value);
  }
  return true;
}

static bool run_checks(course_verdict *v, const machine *m, const course_result *r,
                       uint64_t budget) {
  const course_test *t = v->test;
  if (!ended(v, r, budget)) return false;
  if (t->has_exit && r->exit_code != t->exit_code) {
    return fail(v, "exit code %" PRIu32 ", expected %" PRIu32, r->exit_code, t->exit_code);
  }
  if (!expects(v, r) || !rejects(v, r)) return false;
  if (t->max_insns && r->icount > t->max_insns) {
    char a[32];
    course_format_count(t->max_insns, a, sizeof a);
    return fail(v, "too slow: %" PRIu64 " instructions, more than max-insns %s",
                r->icount, a);
  }
  return words(v, m);
}

bool course_check_at_end(void *ctx, const machine *m, course_result *r) {
  course_verdict *v = ctx;
  v->pass = true;
  v->msg[0] = 0;
  run_checks(v, m, r, v->budget);
  return !v->pass;
}
