/* The grader's report as JUnit XML, the shape CI servers read: one
 * testsuite per exercise, one testcase per test with its points as
 * properties, a failure element with the message and the details, and the
 * tail of the console output in system-out.  Guest output may hold any
 * bytes: what XML 1.0 cannot carry (control characters, invalid UTF-8)
 * is written as the visible text \xHH. */
#include <inttypes.h>
#include <string.h>

#include "grade.h"

/* The length of the valid UTF-8 sequence at p that encodes a character
 * XML allows, or 0. */
static size_t utf8_ok(const uint8_t *p, size_t n) {
  uint32_t c;
  size_t len;
  if (p[0] < 0xc2) return 0; /* continuation bytes, overlong 2-byte forms */
  if (p[0] < 0xe0) { len = 2; c = p[0] & 0x1fu; }
  else if (p[0] < 0xf0) { len = 3; c = p[0] & 0x0fu; }
  else if (p[0] < 0xf5) { len = 4; c = p[0] & 0x07u; }
  else return 0;
  if (len > n) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    c = c << 6 | (p[i] & 0x3fu);
  }
  static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) ||
      c == 0xfffe || c == 0xffff) {
    return 0;
  }
  return len;
}

/* Writes bytes as XML character data (attr: inside a "..." attribute,
 * where line breaks and tabs must be character references). */
static void xml_bytes(FILE *f, const uint8_t *p, size_t n, bool attr) {
  for (size_t i = 0; i < n; ) {
    uint8_t c = p[i];
    static const struct { uint8_t c; const char *ref; } refs[] = {
      {'&', "&amp;"}, {'<', "&lt;"}, {'>', "&gt;"}, {'"', "&quot;"}, {'\'', "&apos;"},
    };
    const char *ref = NULL;
    for (size_t k = 0; k < sizeof refs / sizeof refs[0]; k++) {
      if (refs[k].c == c) ref = refs[k].ref;
    }
    if (ref) {
      fputs(ref, f);
    } else if (c == '\n' || c == '\t' || c == '\r') {
      if (attr) fprintf(f, "&#%d;", c);
      else fputc(c, f);
    } else if (c >= 0x20 && c < 0x7f) {
      fputc(c, f);
    } else if (c >= 0x80 && utf8_ok(p + i, n - i)) {
      size_t len = utf8_ok(p + i, n - i);
      fwrite(p + i, 1, len, f);
      i += len;
      continue;
    } else {
      fprintf(f, "\\x%02x", c); /* not a character XML can carry */
    }
    i++;
  }
}

static void xml_str(FILE *f, const char *s, bool attr) {
  xml_bytes(f, (const uint8_t *)s, strlen(s), attr);
}

static void property(FILE *f, const char *indent, const char *name, const char *value) {
  fprintf(f, "%s<property name=\"%s\" value=\"", indent, name);
  xml_str(f, value, true);
  fputs("\"/>\n", f);
}

enum { OUT_TAIL_LINES = 40, OUT_TAIL_BYTES = 8192 };

/* Where the last OUT_TAIL_LINES lines (at most OUT_TAIL_BYTES) start. */
static size_t tail_start(const uint8_t *out, size_t len) {
  size_t start = len, lines = 0;
  if (start && out[start - 1] == '\n') start--;
  while (start > 0 && len - start < OUT_TAIL_BYTES) {
    if (out[start - 1] == '\n' && ++lines == OUT_TAIL_LINES) break;
    start--;
  }
  return start;
}

static void failure(FILE *f, const course_outcome *o) {
  fputs("      <failure message=\"", f);
  xml_str(f, o->msg, true);
  fprintf(f, "\" type=\"%s\">", o->result && o->result->ran
          ? course_stop_name(o->result->stop) : "failure");
  xml_str(f, o->msg, false);
  const course_result *r = o->result;
  if (r && r->ran) {
    fprintf(f, "\nrun: stop %s, icount %" PRIu64 ", state hash %016" PRIx64,
            course_stop_name(r->stop), r->icount, r->hash);
    if (o->first_fail) fprintf(f, ", seed %" PRIu64, o->first_fail->seed);
  }
  if (o->test->hint) {
    fputs("\nhint: ", f);
    xml_str(f, o->test->hint, false);
  }
  if (o->replay[0]) {
    fputs("\nreplay: ", f);
    xml_str(f, o->replay, false);
  }
  fputs("</failure>\n", f);
}

static void testcase(FILE *f, const course_report *rep, const course_outcome *o) {
  const course_test *t = o->test;
  fputs("    <testcase name=\"", f);
  xml_str(f, t->name, true);
  fputs("\" classname=\"", f);
  xml_str(f, rep->spec->exercise, true);
  fputs("\" time=\"0\">\n      <properties>\n", f);
  char n[32];
  snprintf(n, sizeof n, "%" PRIu32, o->points);
  property(f, "        ", "points", n);
  snprintf(n, sizeof n, "%" PRIu32, t->points);
  property(f, "        ", "points_possible", n);
  if (o->bundle) property(f, "        ", "bundle", o->bundle);
  fputs("      </properties>\n", f);
  if (!o->pass) failure(f, o);
  const course_result *r = o->result;
  if (r && r->out && r->out_len) {
    size_t start = tail_start(r->out, r->out_len);
    fputs("      <system-out>", f);
    xml_bytes(f, r->out + start, r->out_len - start, false);
    fputs("</system-out>\n", f);
  }
  fputs("    </testcase>\n", f);
}

bool course_junit_write(FILE *f, const course_report *r) {
  size_t failures = r->ntests - r->passed;
  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
  fprintf(f, "<testsuites tests=\"%zu\" failures=\"%zu\" errors=\"0\" time=\"0\">\n",
          r->ntests, failures);
  fputs("  <testsuite name=\"", f);
  xml_str(f, r->spec->exercise, true);
  fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" "
          "time=\"0\">\n    <properties>\n", r->ntests, failures);
  if (r->spec->title) property(f, "      ", "title", r->spec->title);
  char n[32];
  snprintf(n, sizeof n, "%" PRIu32, r->score);
  property(f, "      ", "score", n);
  snprintf(n, sizeof n, "%" PRIu32, r->possible);
  property(f, "      ", "points_possible", n);
  fputs("    </properties>\n", f);
  for (size_t i = 0; i < r->ntests; i++) testcase(f, r, &r->tests[i]);
  fputs("  </testsuite>\n</testsuites>\n", f);
  return fflush(f) == 0 && !ferror(f);
}
