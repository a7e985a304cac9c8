/* The grader's report as TAP version 13 (testanything.org): the plan, one
 * "ok N - name" or "not ok N - name" line per test, and a YAML block under
 * each with its points and, for a failure, the message, the failing
 * seed's run and how to open its recording.  Strings are YAML
 * double-quoted with escapes, so no guest byte can break the block. */
#include <inttypes.h>
#include <string.h>

#include "grade.h"

static void yaml_str(FILE *f, const char *key, const char *text) {
  char esc[4096];
  course_escape((const uint8_t *)text, strlen(text), esc, sizeof esc);
  fprintf(f, "  %s: \"%s\"\n", key, esc);
}

static void yaml_failure(FILE *f, const course_outcome *o) {
  yaml_str(f, "message", o->msg);
  fprintf(f, "  failed_seeds: %zu\n", o->failed);
  if (o->first_fail) fprintf(f, "  seed: %" PRIu64 "\n", o->first_fail->seed);
  const course_result *r = o->result;
  if (r && r->ran) {
    yaml_str(f, "stop", course_stop_name(r->stop));
    fprintf(f, "  icount: %" PRIu64 "\n", r->icount);
    fprintf(f, "  hash: \"%016" PRIx64 "\"\n", r->hash);
    char tail[1024];
    course_output_tail(r->out, r->out_len, 5, tail, sizeof tail);
    yaml_str(f, "output_tail", tail);
  }
  if (o->bundle) yaml_str(f, "bundle", o->bundle);
  if (o->replay[0]) yaml_str(f, "replay", o->replay);
  if (o->test->hint) yaml_str(f, "hint", o->test->hint);
}

bool course_tap_write(FILE *f, const course_report *r) {
  fprintf(f, "TAP version 13\n1..%zu\n", r->ntests);
  for (size_t i = 0; i < r->ntests; i++) {
    const course_outcome *o = &r->tests[i];
    const course_test *t = o->test;
    fprintf(f, "%s %zu - %s\n  ---\n", o->pass ? "ok" : "not ok", i + 1, t->name);
    fprintf(f, "  points: %" PRIu32 "\n  points_possible: %" PRIu32 "\n",
            o->points, t->points);
    fprintf(f, "  seeds: \"%" PRIu64 "..%" PRIu64 "\"\n", t->seed_first, t->seed_last);
    if (!o->pass) yaml_failure(f, o);
    fprintf(f, "  ...\n");
  }
  fprintf(f, "# score: %" PRIu32 "/%" PRIu32 " points, %zu of %zu tests passed\n",
          r->score, r->possible, r->passed, r->ntests);
  return fflush(f) == 0 && !ferror(f);
}
