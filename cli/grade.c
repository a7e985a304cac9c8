/* `pvlab grade EXERCISE_DIR`: runs an exercise's tests (tests.grade) on a
 * guest, deterministically, and scores them (docs/grading.md).
 *
 * Each (test, seed) is one job of the course pool: a fixed seed, an
 * instruction budget instead of a wall clock, the console input as if
 * typed before the run.  Results are indexed by job, so what is printed
 * is the same on every machine and for every -j.
 *
 * Only a failure needs its recording, so the runs are not recorded:
 * a failed test's first failing seed is run again, recorded, into
 * BUNDLES/TEST.pvrec.  Being deterministic, the second run is the first
 * one again; the grader checks that it is (same stop, icount, state hash
 * and verdict) before it offers the bundle. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grade.h"
#include "cli_grade.h"

enum { GRADE_FAILED = 1 };

static void on_progress(void *ctx, size_t done, size_t total) {
  const char *what = ctx;
  fprintf(stderr, "\rpvlab grade: %s %zu/%zu", what, done, total);
  if (done == total) fprintf(stderr, "\r%*s\r", 60, "");
  fflush(stderr);
}

/* One test's run with one seed. */
static void make_job(const cli_grade_ctx *g, const course_test *t, uint64_t seed,
                     course_job *j, course_verdict *v) {
  const course_spec *s = &g->spec;
  course_job_init(j);
  j->guest = g->guest;
  j->disk = g->disk;
  j->input = t->input.p;
  j->input_len = t->input.len;
  j->cfg.mem_mib = t->mem_mib ? t->mem_mib : s->mem_mib;
  j->cfg.seed = seed;
  j->cfg.jitter = t->jitter;
  j->budget = t->budget ? t->budget : s->budget;
  j->stop_hcall = t->stop_hcall;
  j->stop_nth = t->stop_nth;
  *v = (course_verdict){.test = t, .seed = seed, .budget = j->budget};
  j->at_end = course_check_at_end;
  j->ctx = v;
}

/* The jobs: one per (test, seed), in file order then seed order. */
static bool make_jobs(cli_grade_ctx *g, host_error *err) {
  const course_spec *s = &g->spec;
  for (size_t i = 0; i < s->ntests; i++) {
    const course_test *t = &s->tests[i];
    g->njobs += (size_t)(t->seed_last - t->seed_first + 1);
  }
  g->jobs = calloc(g->njobs, sizeof *g->jobs);
  g->runs = calloc(g->njobs, sizeof *g->runs);
  g->results = calloc(g->njobs, sizeof *g->results);
  g->first_job = calloc(s->ntests, sizeof *g->first_job);
  if (!g->jobs || !g->runs || !g->results || !g->first_job) {
    return host_fail(err, "out of memory for %zu runs", g->njobs);
  }
  size_t k = 0;
  for (size_t i = 0; i < s->ntests; i++) {
    const course_test *t = &s->tests[i];
    g->first_job[i] = k;
    for (uint64_t seed = t->seed_first; seed <= t->seed_last; seed++, k++) {
      make_job(g, t, seed, &g->jobs[k], &g->runs[k].verdict);
    }
  }
  return true;
}

/* ' '-free, quote-free paths stay as they are; others are single-quoted
 * for a POSIX shell. */
static void shell_quote(const char *s, char *buf, size_t size) {
  if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "0123456789_./+-=:,@%") == strlen(s)) {
    snprintf(buf, size, "%s", s);
    return;
  }
  size_t n = 0;
  if (size < 3) return;
  buf[n++] = '\'';
  for (; *s && n + 6 < size; s++) {
    if (*s == '\'') {
      memcpy(buf + n, "'\\''", 4);
      n += 4;
    } else {
      buf[n++] = *s;
    }
  }
  buf[n++] = '\'';
  buf[n] = 0;
}

/* A test's outcome from its runs (the bundle comes later). */
static void outcome(const cli_grade_ctx *g, size_t i, course_outcome *o) {
  const course_test *t = &g->spec.tests[i];
  size_t first = g->first_job[i], n = (size_t)(t->seed_last - t->seed_first + 1);
  memset(o, 0, sizeof *o);
  o->test = t;
  o->seeds = n;
  o->result = &g->results[first];
  for (size_t k = first; k < first + n; k++) {
    const course_verdict *v = &g->runs[k].verdict;
    if (v->pass) continue;
    if (!o->failed) {
      o->first_fail = v;
      o->result = &g->results[k];
    }
    o->failed++;
  }
  o->pass = o->failed == 0;
  o->points = o->pass ? t->points : 0;
  if (o->pass) return;
  const course_verdict *v = o->first_fail;
  if (n > 1) {
    snprintf(o->msg, sizeof o->msg, "seed %" PRIu64 " of %" PRIu64 "..%" PRIu64
             " failed (%zu of %zu seeds failed): %s", v->seed, t->seed_first,
             t->seed_last, o->failed, n, v->msg);
  } else {
    snprintf(o->msg, sizeof o->msg, "%s", v->msg);
  }
}

/* The recorded re-runs of the failed tests' first failing seeds. */
typedef struct rerun {
  course_job *jobs;
  course_verdict *verdicts;
  course_result *results;
  char **paths;
  size_t *test; /* by re-run: which test */
  size_t n;
} rerun;

static void rerun_free(rerun *r) {
  for (size_t k = 0; k < r->n; k++) {
    if (r->results) course_result_free(&r->results[k]);
    if (r->paths) free(r->paths[k]);
  }
  free(r->jobs);
  free(r->verdicts);
  free(r->results);
  free(r->paths);
  free(r->test);
  memset(r, 0, sizeof *r);
}

/* Whether the recorded run is the graded one again. */
static bool same_run(const course_result *a, const course_verdict *va,
                     const course_result *b, const course_verdict *vb) {
  return a->stop == b->stop && a->icount == b->icount && a->hash == b->hash &&
         a->exit_code == b->exit_code && va->pass == vb->pass &&
         strcmp(va->msg, vb->msg) == 0;
}

static bool record_failures(cli_grade_ctx *g, bool progress, host_error *err) {
  rerun r = {0};
  size_t nfail = 0;
  for (size_t i = 0; i < g->spec.ntests; i++) nfail += !g->outcomes[i].pass;
  if (!nfail || !g->bundle_dir) return true;
  /* made only now: a grading with no failure leaves no directory behind */
  if (!cli_grade_make_dirs(g->bundle_dir)) {
    return host_fail(err, "no recordings of the failed tests were made");
  }
  r.jobs = calloc(nfail, sizeof *r.jobs);
  r.verdicts = calloc(nfail, sizeof *r.verdicts);
  r.results = calloc(nfail, sizeof *r.results);
  r.paths = calloc(nfail, sizeof *r.paths);
  r.test = calloc(nfail, sizeof *r.test);
  bool ok = r.jobs && r.verdicts && r.results && r.paths && r.test;
  for (size_t i = 0; ok && i < g->spec.ntests; i++) {
    const course_outcome *o = &g->outcomes[i];
    if (o->pass) continue;
    char name[COURSE_NAME_MAX + 8];
    snprintf(name, sizeof name, "%s.pvrec", o->test->name);
    r.test[r.n] = i;
    make_job(g, o->test, o->first_fail->seed, &r.jobs[r.n], &r.verdicts[r.n]);
    ok = (r.paths[r.n] = cli_grade_join(g->bundle_dir, name)) != NULL;
    r.jobs[r.n].bundle = r.paths[r.n];
    r.n++;
  }
  if (!ok) {
    rerun_free(&r);
    return host_fail(err, "out of memory");
  }
  course_pool_run(r.jobs, r.results, r.n, g->opts.threads,
                  progress ? on_progress : NULL, "recording failed tests");
  for (size_t k = 0; ok && k < r.n; k++) {
    course_outcome *o = &g->outcomes[r.test[k]];
    const course_result *res = &r.results[k];
    if (!res->ok) {
      ok = host_fail(err, "test %s: cannot record its failure: %s", o->test->name,
                    res->err.msg);
    } else if (!same_run(o->result, o->first_fail, res, &r.verdicts[k])) {
      ok = host_fail(err, "test %s, seed %" PRIu64 ": run again to record it, the "
                    "guest ran differently (icount %" PRIu64 " then %" PRIu64 ", "
                    "state hash %016" PRIx64 " then %016" PRIx64 "); pvlab is "
                    "meant to be deterministic: please report this as a bug",
                    o->test->name, o->first_fail->seed, o->result->icount,
                    res->icount, o->result->hash, res->hash);
    } else {
      o->bundle = r.paths[k];
      r.paths[k] = NULL; /* the context keeps it */
      g->bundles[r.test[k]] = (char *)o->bundle;
      char q[1024];
      shell_quote(o->bundle, q, sizeof q);
      snprintf(o->replay, sizeof o->replay, "pvlab replay --debug --at-end %s", q);
    }
  }
  rerun_free(&r);
  return ok;
}

/* The first host error of any run (a bad disk image, no memory...). */
static const course_result *first_host_error(const cli_grade_ctx *g, size_t *which) {
  for (size_t k = 0; k < g->njobs; k++) {
    if (!g->results[k].ok) {
      *which = k;
      return &g->results[k];
    }
  }
  return NULL;
}

int cli_grade(int argc, char **argv) {
  cli_grade_ctx g;
  int status = CLI_EXIT_HOST;
  host_error err;
  if (!cli_grade_setup(&g, argc, argv)) goto done;
  if (!make_jobs(&g, &err)) {
    fprintf(stderr, "pvlab grade: %s\n", err.msg);
    goto done;
  }
  bool progress = !g.opts.quiet && isatty(STDERR_FILENO);
  course_pool_run(g.jobs, g.results, g.njobs, g.opts.threads,
                  progress ? on_progress : NULL, "runs");
  size_t which;
  const course_result *bad = first_host_error(&g, &which);
  if (bad) {
    const course_verdict *v = &g.runs[which].verdict;
    fprintf(stderr, "pvlab grade: test %s, seed %" PRIu64 ": %s\n", v->test->name,
            v->seed, bad->err.msg);
    goto done;
  }
  g.outcomes = calloc(g.spec.ntests, sizeof *g.outcomes);
  g.bundles = calloc(g.spec.ntests, sizeof *g.bundles);
  if (!g.outcomes || !g.bundles) {
    fprintf(stderr, "pvlab grade: out of memory\n");
    goto done;
  }
  course_report rep = {.spec = &g.spec, .tests = g.outcomes, .ntests = g.spec.ntests};
  for (size_t i = 0; i < g.spec.ntests; i++) {
    outcome(&g, i, &g.outcomes[i]);
    rep.possible += g.outcomes[i].test->points;
    rep.score += g.outcomes[i].points;
    rep.passed += g.outcomes[i].pass;
  }
  if (!record_failures(&g, progress, &err)) {
    fprintf(stderr, "pvlab grade: %s\n", err.msg);
    goto done;
  }
  if (!cli_grade_reports(&g, &rep)) goto done;
  status = rep.passed == rep.ntests ? 0 : GRADE_FAILED;
done:
  for (size_t k = 0; k < g.njobs && g.results; k++) course_result_free(&g.results[k]);
  cli_grade_free(&g);
  return status;
}
