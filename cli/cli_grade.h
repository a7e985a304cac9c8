/* Inside `pvlab grade` (cli/grade*.c): its options and the state
 * of one grading, shared by the files that set it up, run it and show it. */
#ifndef PVLAB_CLI_GRADE_H
#define PVLAB_CLI_GRADE_H

#include "grade.h"
#include "cli.h"

typedef struct cli_grade_opts {
  const char *exdir;
  const char *guest;   /* --guest ELF */
  bool build;          /* --build */
  const char *tap, *junit; /* FILE or "-" */
  unsigned threads;    /* -j N; 0: one per CPU */
  const char *bundles; /* --bundles DIR */
  bool no_bundles;     /* --no-bundles */
  bool quiet;
} cli_grade_opts;

/* One (test, seed) run's verdict, which its job's at_end fills in. */
typedef struct cli_grade_run {
  course_verdict verdict;
} cli_grade_run;

typedef struct cli_grade_ctx {
  cli_grade_opts opts;
  course_spec spec;
  char *spec_path;   /* EXDIR/tests.grade */
  char *guest, *disk; /* resolved paths (disk NULL: none) */
  char *bundle_dir;  /* NULL with --no-bundles */
  course_job *jobs;
  cli_grade_run *runs;
  course_result *results;
  size_t njobs;
  size_t *first_job; /* by test: its first seed's job */
  course_outcome *outcomes;
  char **bundles;    /* by test: its recording's path (owned), or NULL */
  FILE *tap, *junit; /* opened before the runs, so a bad path fails
                        first; stdout for "-" */
} cli_grade_ctx;

/* Options, tests.grade, --build, the guest and disk paths; prints why and
 * returns false on a usage or host error (g is then still freeable). */
bool cli_grade_setup(cli_grade_ctx *g, int argc, char **argv);
/* The summary (stdout, or stderr when a report goes to stdout) and the
 * --tap and --junit files; false after printing why a file failed. */
bool cli_grade_reports(const cli_grade_ctx *g, const course_report *rep);
void cli_grade_free(cli_grade_ctx *g);
/* "DIR/NAME" (NAME alone for DIR "." or an absolute NAME); NULL when out
 * of memory. */
char *cli_grade_join(const char *dir, const char *name);
/* mkdir -p for the bundle directory; false after printing why not. */
bool cli_grade_make_dirs(const char *path);

#endif
