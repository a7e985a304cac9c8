/* pvlab explore's engine: every seed of the range as a course/ job, run
 * by the pool a chunk at a time (a chunk's results, console output
 * included, are freed before the next one starts); failures kept in seed
 * order as a few numbers and a hash per output line; then the grouping
 * and, for each group, its lowest seed run again, recorded when its
 * bundle is wanted, and checked to fail exactly as before. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "explore.h"

/* Seeds per pool run: a few MiB of results at most, and enough jobs that
 * the threads rarely wait for the slowest one at a chunk's end.  Fixed,
 * not derived from -j, though nothing reported depends on it. */
#define CHUNK 256u

/* Whether text occurs in out[0..len) (which may hold NUL bytes). */
static bool contains(const uint8_t *out, size_t len, const char *text) {
  size_t n = strlen(text);
  if (n == 0) return true;
  for (size_t i = 0; n <= len && i <= len - n; i++) {
    if (out[i] == (uint8_t)text[0] && memcmp(out + i, text, n) == 0) return true;
  }
  return false;
}

bool explore_failed(const explore_opts *o, const course_result *r,
                    bool *expect_missing, bool *reject_found) {
  const uint8_t *out = r->out ? r->out : (const uint8_t *)"";
  size_t len = r->out ? r->out_len : 0;
  *expect_missing = o->expect && !contains(out, len, o->expect);
  *reject_found = o->reject && contains(out, len, o->reject);
  bool clean = r->stop == MACHINE_STOP_SHUTDOWN && r->exit_code == 0;
  return !clean || *expect_missing || *reject_found;
}

/* FNV-1a: a line's identity, for comparing outputs without keeping them.
 * A run of digits counts as one '#': "lost update: counter = 1187" and
 * "... = 1190" are one failure seen twice, not two failures (a count or
 * an address in a message varies with the timing that caused it). */
static uint64_t line_hash(const uint8_t *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = p[i];
    if (c >= '0' && c <= '9') {
      while (i + 1 < n && p[i + 1] >= '0' && p[i + 1] <= '9') i++;
      c = '#';
    }
    h = (h ^ c) * 0x100000001b3ull;
  }
  return h;
}

/* The hashes of out's lines (a last line without '\n' counts). */
static bool hash_lines(const uint8_t *out, size_t len, uint64_t **lines,
                       size_t *n) {
  size_t count = 0;
  for (size_t i = 0; i < len; i++) count += out[i] == '\n';
  if (len && out[len - 1] != '\n') count++;
  *n = count;
  *lines = malloc((count ? count : 1) * sizeof **lines);
  if (!*lines) return false;
  size_t k = 0, start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i < len && out[i] != '\n') continue;
    if (i > start || i < len) (*lines)[k++] = line_hash(out + start, i - start);
    start = i + 1;
  }
  return true;
}

/* Line i of out as text (control bytes as '?'), for the summary. */
static void line_text(const uint8_t *out, size_t len, size_t i, char *buf,
                      size_t size) {
  size_t start = 0;
  for (size_t k = 0; k < i && start < len; start++) k += out[start] == '\n';
  size_t n = 0;
  for (size_t p = start; p < len && out[p] != '\n' && n + 1 < size; p++, n++) {
    buf[n] = out[p] < 0x20 || out[p] == 0x7f ? '?' : (char)out[p];
  }
  buf[n] = 0;
}

static void base_job(const explore *x, course_job *j, uint64_t seed) {
  course_job_init(j);
  j->guest = x->o.guest;
  j->disk = x->o.disk;
  j->input = x->o.input;
  j->input_len = x->o.input_len;
  j->cfg.mem_mib = x->o.mem_mib;
  j->cfg.seed = seed;
  j->cfg.jitter = x->o.jitter;
  j->budget = x->o.max_insns;
}

/* In a worker thread, as each run ends: counts failures for the
 * progress line.  Returns false: the first pass records nothing. */
static bool count_failure(void *ctx, const machine *m, course_result *r) {
  explore *x = ctx;
  bool em, rf;
  if (explore_failed(&x->o, r, &em, &rf)) atomic_fetch_add(&x->failed_so_far, 1);
  return false;
}

typedef struct chunk_progress {
  explore *x;
  uint64_t base, total;
} chunk_progress;

static void on_progress(void *ctx, size_t done, size_t total) {
  chunk_progress *c = ctx;
  c->x->progress(c->x->progress_ctx, c->base + done, c->total,
                 atomic_load(&c->x->failed_so_far));
}

static bool oom(host_error *err) {
  return host_fail(err, "out of memory keeping the failing runs");
}

/* Takes a chunk's result for seed: a failure, or the reference. */
static bool take(explore *x, uint64_t seed, const course_result *r,
                 host_error *err) {
  if (!r->ran || !r->ok) return host_fail(err, "seed %llu: %s",
                                          (unsigned long long)seed, r->err.msg);
  bool em, rf;
  bool failed = explore_failed(&x->o, r, &em, &rf);
  if (!failed && x->have_ref) return true;
  uint64_t *lines;
  size_t n;
  if (!hash_lines(r->out ? r->out : (const uint8_t *)"", r->out ? r->out_len : 0,
                  &lines, &n)) {
    return oom(err);
  }
  if (!failed) {
    x->have_ref = true;
    x->ref_seed = seed;
    x->ref_lines = lines;
    x->ref_nlines = n;
    return true;
  }
  if (x->nfails == x->cap) {
    size_t cap = x->cap ? 2 * x->cap : 64;
    explore_fail *f = realloc(x->fails, cap * sizeof *f);
    if (!f) {
      free(lines);
      return oom(err);
    }
    x->fails = f;
    x->cap = cap;
  }
  explore_fail *f = &x->fails[x->nfails++];
  *f = (explore_fail){.seed = seed, .stop = r->stop, .exit_code = r->exit_code,
                      .icount = r->icount, .hash = r->hash, .expect_missing = em,
                      .reject_found = rf, .lines = lines, .nlines = n};
  snprintf(f->where, sizeof f->where, "%s", r->where);
  return true;
}

/* One chunk of seeds from first, n of them. */
static bool run_chunk(explore *x, uint64_t first, size_t n, course_job *jobs,
                      course_result *res, host_error *err) {
  for (size_t i = 0; i < n; i++) {
    base_job(x, &jobs[i], first + i);
    jobs[i].at_end = count_failure;
    jobs[i].ctx = x;
  }
  uint64_t total = x->o.last - x->o.first + 1;
  chunk_progress cp = {x, x->runs, total};
  course_pool_run(jobs, res, n, x->o.threads, x->progress ? on_progress : NULL, &cp);
  bool ok = true;
  for (size_t i = 0; i < n; i++) {
    if (ok) ok = take(x, first + i, &res[i], err);
    course_result_free(&res[i]);
  }
  x->runs += n;
  return ok;
}

/* Whether a and b are the same failure: the same way of stopping (where
 * it matters: a fault's pc, not a hang's), exit code, checks, and first
 * output line unlike the reference's. */
static bool same_failure(const explore_fail *a, const explore_fail *b) {
  if (a->stop != b->stop || a->expect_missing != b->expect_missing ||
      a->reject_found != b->reject_found) {
    return false;
  }
  if (a->stop == MACHINE_STOP_SHUTDOWN && a->exit_code != b->exit_code) return false;
  bool at_pc = a->stop == MACHINE_STOP_FAULT || a->stop == MACHINE_STOP_EBREAK ||
               a->stop == MACHINE_STOP_BREAK || a->stop == MACHINE_STOP_DEADLOCK;
  if (at_pc && strcmp(a->where, b->where) != 0) return false;
  bool a_end = a->diff == a->nlines, b_end = b->diff == b->nlines;
  if (a_end || b_end) return a_end && b_end;
  return a->lines[a->diff] == b->lines[b->diff];
}

static bool group_failures(explore *x, host_error *err) {
  x->groups = calloc(x->nfails ? x->nfails : 1, sizeof *x->groups);
  if (!x->groups) return oom(err);
  for (size_t i = 0; i < x->nfails; i++) {
    explore_fail *f = &x->fails[i];
    f->diff = 0;
    while (f->diff < f->nlines && f->diff < x->ref_nlines &&
           f->lines[f->diff] == x->ref_lines[f->diff]) {
      f->diff++;
    }
    size_t g = 0;
    while (g < x->ngroups && !same_failure(&x->fails[x->groups[g].first], f)) g++;
    if (g == x->ngroups) x->groups[x->ngroups++].first = i;
    x->groups[g].count++;
    f->group = g;
  }
  return true;
}

/* OUT_DIR/GUEST-seed-N.pvrec, GUEST without its directories and .elf. */
static char *bundle_path(const explore *x, uint64_t seed) {
  const char *slash = strrchr(x->o.guest, '/');
  const char *base = slash ? slash + 1 : x->o.guest;
  size_t n = strlen(base);
  if (n > 4 && strcmp(base + n - 4, ".elf") == 0) n -= 4;
  size_t size = strlen(x->o.out_dir) + n + 48;
  char *p = malloc(size);
  if (p) snprintf(p, size, "%s/%.*s-seed-%llu.pvrec", x->o.out_dir, (int)n, base,
                  (unsigned long long)seed);
  return p;
}

static bool make_out_dir(const char *dir, host_error *err) {
  struct stat st;
  if (mkdir(dir, 0777) == 0) return true;
  if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) return true;
  return host_fail(err, "cannot make the directory '%s' for the failing runs' "
                  "bundles: %s; choose another with --out DIR", dir,
                  errno == EEXIST ? "a file of that name is in the way" : strerror(errno));
}

/* The re-run of group g's first seed (recorded, for the groups whose
 * bundle is kept) must end as the first run did. */
static bool check_rerun(explore *x, explore_group *g, const course_result *r,
                        host_error *err) {
  const explore_fail *f = &x->fails[g->first];
  if (!r->ran || !r->ok) {
    return host_fail(err, "seed %llu: %s", (unsigned long long)f->seed, r->err.msg);
  }
  if (r->stop != f->stop || r->exit_code != f->exit_code || r->icount != f->icount ||
      r->hash != f->hash) {
    return host_fail(err, "seed %llu did not fail the same way when run again "
                    "(%llu instructions, then %llu): runs should be "
                    "deterministic; this is a pvlab bug, please report it",
                    (unsigned long long)f->seed, (unsigned long long)f->icount,
                    (unsigned long long)r->icount);
  }
  snprintf(g->outcome, sizeof g->outcome, "%s", r->outcome);
  g->line[0] = 0;
  if (f->diff < f->nlines) line_text(r->out, r->out_len, f->diff, g->line, sizeof g->line);
  if (!r->bundle_written) {
    free(g->bundle);
    g->bundle = NULL;
  }
  return true;
}

/* The groups' first seeds again: every group's words come from this run,
 * and the runs whose bundles are kept (the first failure's, or with
 * --all every group's) are recorded. */
static bool rerun_groups(explore *x, host_error *err) {
  if (!x->ngroups) return true;
  if (!make_out_dir(x->o.out_dir, err)) return false;
  course_job *jobs = calloc(x->ngroups, sizeof *jobs);
  course_result *res = calloc(x->ngroups, sizeof *res);
  bool ok = jobs && res;
  for (size_t g = 0; ok && g < x->ngroups; g++) {
    uint64_t seed = x->fails[x->groups[g].first].seed;
    base_job(x, &jobs[g], seed);
    if (g == 0 || x->o.all) {
      ok = (x->groups[g].bundle = bundle_path(x, seed)) != NULL;
      jobs[g].bundle = x->groups[g].bundle;
    }
  }
  if (!ok) {
    free(jobs);
    free(res);
    return oom(err);
  }
  course_pool_run(jobs, res, x->ngroups, x->o.threads, NULL, NULL);
  for (size_t g = 0; g < x->ngroups; g++) {
    if (ok) ok = check_rerun(x, &x->groups[g], &res[g], err);
    course_result_free(&res[g]);
  }
  free(jobs);
  free(res);
  return ok;
}

bool explore_check(explore *x, host_error *err) {
  course_job probe;
  course_result r;
  base_job(x, &probe, x->o.first);
  probe.budget = 1;
  bool ok = course_run(&probe, &r);
  if (!ok) host_fail(err, "%s", r.err.msg);
  course_result_free(&r);
  return ok;
}

bool explore_run(explore *x, host_error *err) {
  bool ok = true;
  course_job *jobs = calloc(CHUNK, sizeof *jobs);
  course_result *res = calloc(CHUNK, sizeof *res);
  if (ok && (!jobs || !res)) ok = oom(err);
  for (uint64_t s = x->o.first; ok; s += CHUNK) {
    uint64_t left = x->o.last - s;
    size_t n = left >= CHUNK - 1 ? CHUNK : (size_t)left + 1;
    ok = run_chunk(x, s, n, jobs, res, err);
    if (left < CHUNK) break; /* also keeps s + CHUNK from wrapping */
  }
  free(jobs);
  free(res);
  return ok && group_failures(x, err) && rerun_groups(x, err);
}

void explore_free(explore *x) {
  for (size_t i = 0; i < x->nfails; i++) free(x->fails[i].lines);
  free(x->fails);
  free(x->ref_lines);
  for (size_t g = 0; g < x->ngroups; g++) free(x->groups[g].bundle);
  free(x->groups);
  free(x->o.input);
}
