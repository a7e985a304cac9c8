/* Inside `pvlab grade` (monitor/cli_grade*.c): its options and the state
 * of one grading, shared by the files that set it up, run it and show it. */
#ifndef PVLAB_MONITOR_CLI_GRADE_H
#define PVLAB_MONITOR_CLI_GRADE_H

#include "course/grade.h"
#include "monitor/cli.h"

typedef struct grade_opts {
  const char *exdir;
  const char *guest;   /* --guest ELF */
  bool build;          /* --build */
  const char *tap, *junit; /* FILE or "-" */
  unsigned threads;    /* -j N; 0: one per CPU */
  const char *bundles; /* --bundles DIR */
  bool no_bundles;     /* --no-bundles */
  bool quiet;
} grade_opts;

/* One (test, seed) run's verdict, which its job's at_end fills in. */
typedef struct grade_run {
  course_verdict verdict;
} grade_run;

typedef struct grade_ctx {
  grade_opts opts;
  course_spec spec;
  char *spec_path;   /* EXDIR/tests.grade */
  char *guest, *disk; /* resolved paths (disk NULL: none) */
  char *bundle_dir;  /* NULL with --no-bundles */
  course_job *jobs;
  grade_run *runs;
  course_result *results;
  size_t njobs;
  size_t *first_job; /* by test: its first seed's job */
  course_outcome *outcomes;
  char **bundles;    /* by test: its recording's path (owned), or NULL */
  FILE *tap, *junit; /* opened before the runs, so a bad path fails
                        first; stdout for "-" */
} grade_ctx;

/* Options, tests.grade, --build, the guest and disk paths; prints why and
 * returns false on a usage or host error (g is then still freeable). */
bool grade_setup(grade_ctx *g, int argc, char **argv);
/* The summary (stdout, or stderr when a report goes to stdout) and the
 * --tap and --junit files; false after printing why a file failed. */
bool grade_reports(const grade_ctx *g, const course_report *rep);
void grade_free(grade_ctx *g);
/* "DIR/NAME" (NAME alone for DIR "." or an absolute NAME); NULL when out
 * of memory. */
char *grade_join(const char *dir, const char *name);
/* mkdir -p for the bundle directory; false after printing why not. */
bool grade_make_dirs(const char *path);

#endif
