/* Inside `pvlab explore` (cli/explore.c, explore/explore.c,
 * cli/explore_show.c): run one guest under a range of seeds on the course/
 * pool, tell failing runs from passing ones, group the failures, and
 * record one run of each group that is kept as a bundle.
 *
 * Everything explore reports is derived from the seeds' results in seed
 * order, never from which thread finished first: the same options give
 * the same summary and the same bundles with -j 1 or -j 8. */
#ifndef PVLAB_EXPLORE_H
#define PVLAB_EXPLORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "course.h"

/* A hang: a run that reaches this many instructions has failed (--max-insns
 * changes it). */
#define EXPLORE_DEFAULT_MAX_INSNS 1000000000ull
#define EXPLORE_DEFAULT_OUT "pvlab-explore"
#define EXPLORE_MAX_SEEDS 100000000ull

typedef struct explore_opts {
  const char *guest;
  uint64_t first, last; /* --seeds A..B, both included */
  bool jitter;
  bool all;             /* a bundle for every distinct failure */
  unsigned threads;     /* -j N; 0: one per online CPU */
  const char *disk;
  uint8_t *input;       /* --input FILE's bytes or --input-text (owned) */
  size_t input_len;
  uint64_t max_insns;
  const char *expect, *reject;
  const char *out_dir;
  uint32_t mem_mib;
} explore_opts;

/* One failing seed.  lines[i] is a hash of output line i: two failures
 * whose first line that differs from the reference (below) is the same
 * text are, with the same stop, the same failure. */
typedef struct explore_fail {
  uint64_t seed;
  machine_stop stop;
  uint32_t exit_code;
  uint64_t icount, hash;   /* to check that the recorded re-run agrees */
  bool expect_missing, reject_found;
  char where[200];         /* "symbol+off (0x...)" where it stopped */
  uint64_t *lines;
  size_t nlines;
  size_t diff;             /* the first line unlike the reference's;
                              nlines: none is */
  size_t group;
} explore_fail;

/* Failures that are the same failure; fails[first] has its lowest seed. */
typedef struct explore_group {
  size_t first, count;
  char outcome[1536];      /* how the run ended, `pvlab run`'s words */
  char line[256];          /* the first differing output line ("" none) */
  char *bundle;            /* the recording written, or NULL */
} explore_group;

typedef struct explore {
  explore_opts o;
  uint64_t runs;           /* seeds run so far */
  explore_fail *fails;     /* in seed order */
  size_t nfails, cap;
  /* The reference output: the lowest passing seed's (none: every seed
   * failed, and each failure's first line is its differing line). */
  bool have_ref;
  uint64_t ref_seed;
  uint64_t *ref_lines;
  size_t ref_nlines;
  explore_group *groups;   /* in order of their lowest seed */
  size_t ngroups;
  /* progress, while the pool runs */
  atomic_size_t failed_so_far;
  void (*progress)(void *ctx, uint64_t done, uint64_t total, size_t failed);
  void *progress_ctx;
} explore;

/* Runs the first seed for one instruction: a guest or disk that cannot
 * be loaded is one message (in err), not one per seed. */
bool explore_check(explore *x, host_error *err) __attribute__((warn_unused_result));
/* Runs every seed (in chunks, so memory does not grow with the range),
 * then groups the failures and records the bundles they need.  False on
 * a host error (err says what: the guest cannot be loaded, a bundle
 * cannot be written, a re-run did not repeat its failure). */
bool explore_run(explore *x, host_error *err) __attribute__((warn_unused_result));
void explore_free(explore *x);

/* Whether a finished run failed: not a shutdown with 0, --expect text
 * missing, --reject text present (explore.c). */
bool explore_failed(const explore_opts *o, const course_result *r,
                    bool *expect_missing, bool *reject_found);

/* The summary on out (cli/explore_show.c). */
void cli_explore_show(const explore *x, FILE *out);

#endif
