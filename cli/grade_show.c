/* What `pvlab grade` shows: a summary for a person (aligned columns, the
 * failure, the last console lines, the hint and the replay command), and
 * the TAP and JUnit files for machines.  None of it depends on timing or
 * threads: the same grading prints the same bytes everywhere. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli_grade.h"

/* Lines under a failure start below its message. */
static void detail(FILE *f, int indent, const char *label, const char *text) {
  int label_w = (int)strlen(label);
  const char *line = text;
  for (bool first = true;; first = false) {
    const char *nl = strchr(line, '\n');
    int n = nl ? (int)(nl - line) : (int)strlen(line);
    fprintf(f, "%*s%-*s%.*s\n", indent, "", label_w, first ? label : "", n, line);
    if (!nl) break;
    line = nl + 1;
  }
}

static void failure(FILE *f, const course_outcome *o, int indent) {
  const course_result *r = o->result;
  if (r && r->ran) {
    char tail[1200], quoted[1400];
    course_output_tail(r->out, r->out_len, 3, tail, sizeof tail);
    if (!tail[0]) {
      detail(f, indent, "last output: ", "(none)");
    } else {
      /* "| " before each line shows where a line starts and ends */
      size_t n = 0;
      for (const char *p = tail; *p && n + 4 < sizeof quoted; p++) {
        if (p == tail || p[-1] == '\n') n += (size_t)snprintf(quoted + n, sizeof quoted - n, "| ");
        quoted[n++] = *p;
      }
      quoted[n] = 0;
      detail(f, indent, "last output: ", quoted);
    }
  }
  if (o->test->hint) detail(f, indent, "hint: ", o->test->hint);
  if (o->replay[0]) detail(f, indent, "replay: ", o->replay);
}

static void summary(FILE *f, const cli_grade_ctx *g, const course_report *rep) {
  const course_spec *s = rep->spec;
  if (s->title) fprintf(f, "pvlab grade: %s - %s\n", s->exercise, s->title);
  else fprintf(f, "pvlab grade: %s\n", s->exercise);
  int name_w = 4, pts_w = 3;
  for (size_t i = 0; i < rep->ntests; i++) {
    const course_outcome *o = &rep->tests[i];
    char pts[32];
    int n = snprintf(pts, sizeof pts, "%" PRIu32 "/%" PRIu32, o->points, o->test->points);
    if (n > pts_w) pts_w = n;
    if ((int)strlen(o->test->name) > name_w) name_w = (int)strlen(o->test->name);
  }
  int indent = 2 + 4 + 2 + name_w + 2 + pts_w + 2; /* where messages start */
  for (size_t i = 0; i < rep->ntests; i++) {
    const course_outcome *o = &rep->tests[i];
    if (o->pass && g->opts.quiet) continue;
    char pts[32], seeds[64] = "";
    snprintf(pts, sizeof pts, "%" PRIu32 "/%" PRIu32, o->points, o->test->points);
    if (o->pass && o->seeds > 1) {
      snprintf(seeds, sizeof seeds, "(%zu seeds, %" PRIu64 "..%" PRIu64 ")", o->seeds,
               o->test->seed_first, o->test->seed_last);
    }
    fprintf(f, "  %s  %-*s  %-*s", o->pass ? "PASS" : "FAIL", name_w, o->test->name,
            pts_w, pts);
    const char *msg = o->pass ? seeds : o->msg;
    if (*msg) fprintf(f, "  %s\n", msg);
    else fprintf(f, "\n");
    if (!o->pass) failure(f, o, indent);
  }
  fprintf(f, "score: %" PRIu32 "/%" PRIu32 " points, %zu of %zu tests passed\n",
          rep->score, rep->possible, rep->passed, rep->ntests);
}

static bool report(FILE *f, const char *option, const char *path, const course_report *rep,
                   bool (*write)(FILE *, const course_report *)) {
  if (!f || write(f, rep)) return true;
  fprintf(stderr, "pvlab grade: %s %s: writing it failed: %s\n", option, path,
          "the disk is full or the file went away");
  return false;
}

bool cli_grade_reports(const cli_grade_ctx *g, const course_report *rep) {
  bool to_stdout = g->tap == stdout || g->junit == stdout;
  summary(to_stdout ? stderr : stdout, g, rep);
  fflush(stdout);
  bool ok = report(g->tap, "--tap", g->opts.tap, rep, course_tap_write);
  return report(g->junit, "--junit", g->opts.junit, rep, course_junit_write) && ok;
}
