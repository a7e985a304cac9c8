/* Batch runs of guests: the engine under `pvlab grade` (and `pvlab
 * explore`).  A job is one headless, deterministic, in-process run of a
 * guest; a pool runs many jobs on several threads.  Every job has its own
 * machine and the library keeps no mutable globals, so jobs share nothing
 * and a job's result never depends on which thread ran it or when.
 *
 * One job:
 *
 *   course_job job;
 *   course_job_init(&job);             // 32 MiB, seed 0, no budget
 *   job.guest = "build/kernel.elf";
 *   job.input = (const uint8_t *)"ls\n";
 *   job.input_len = 3;                 // as if typed before the run
 *   job.budget = 100000000;            // instructions: reaching it = a hang
 *   job.stop_hcall = "shutdown";       // optional: stop before its Nth call
 *   job.bundle = "out/t.pvrec";        // optional: record the run there
 *   course_result res;
 *   if (!course_run(&job, &res)) fprintf(stderr, "%s\n", res.err.msg);
 *   else printf("%s: %s\n", res.outcome, (char *)res.out);
 *   course_result_free(&res);
 *
 * Looking at the machine at the end (the grader's `word` checks): set
 * job.at_end; it is called with the stopped machine before it is freed.
 * Its return value says whether to write job.bundle (record always, write
 * only what the caller wants to keep, e.g. failures).  course_word reads a
 * 32-bit word at "SYMBOL" or "SYMBOL+OFF" there.
 *
 * Many jobs (results[i] is jobs[i]'s, whatever thread ran it):
 *
 *   course_result *rs = calloc(n, sizeof *rs);
 *   course_pool_run(jobs, rs, n, 0, on_progress, ctx);   // 0: one per CPU
 *   ... rs[i] ...; course_result_free(&rs[i]) for each; free(rs);
 */
#ifndef PVLAB_COURSE_COURSE_H
#define PVLAB_COURSE_COURSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine.h"

typedef struct course_result course_result;

typedef struct course_job {
  const char *guest;     /* the ELF file */
  const char *disk;      /* a raw disk image, or NULL; never written (the
                            guest's writes go to an in-memory overlay) */
  const uint8_t *input;  /* console input, all there before the run */
  size_t input_len;
  machine_config cfg;    /* mem_mib, seed (and whatever else the machine
                            offers): copied into the machine as is */
  uint64_t budget;       /* instruction limit; 0: none */
  const char *stop_hcall; /* NULL, or a hypercall's name (pvabi_calls):
                             the run stops before its stop_nth-th call is
                             carried out (MACHINE_STOP_CATCH_HCALL) */
  uint32_t stop_nth;     /* 1-based; 0 counts as 1 */
  const char *bundle;    /* NULL, or where to write a recording of the run
                            (replay/bundle.h); see at_end */
  /* Called once at the end of a run that started (result filled in, the
   * machine stopped and still whole; the machine must not be run).
   * Returns whether to write the bundle.  NULL: always write it. */
  bool (*at_end)(void *ctx, const machine *m, course_result *r);
  void *ctx;
} course_job;

struct course_result {
  bool ok;          /* false: a host error (err), e.g. a missing ELF, a
                       bad disk image, a bundle that could not be written */
  bool ran;         /* the guest ran: the fields below are valid (a
                       bundle write can fail after a run: ok false, ran
                       true) */
  host_error err;
  machine_stop stop;
  uint32_t exit_code;  /* dev.power.exit_code, for MACHINE_STOP_SHUTDOWN */
  uint64_t icount;
  uint64_t hash;       /* machine_state_hash at the end */
  uint32_t pc;
  char where[200];     /* pc as "symbol+off (0x...)" */
  char outcome[1536];  /* how it ended, in `pvlab run`'s words
                          (machine_describe_stop, with the budget) */
  uint8_t *out;        /* the console output, NUL-terminated; owned
                          (NULL only when out of memory) */
  size_t out_len;
  bool bundle_written; /* job.bundle holds the recording */
};

/* Defaults: 32 MiB, seed 0, the default display, no budget, no disk. */
void course_job_init(course_job *job);

/* Runs one job.  Returns r->ok.  r is always filled in (and must be freed
 * with course_result_free, whatever this returns). */
bool course_run(const course_job *job, course_result *r);
void course_result_free(course_result *r);

/* The 32-bit word at "SYMBOL" or "SYMBOL+OFF" (OFF decimal or 0x hex) in
 * m's guest RAM.  False (err names the symbol and why) when there is no
 * such symbol or the word is not in RAM. */
bool course_word(const machine *m, const char *ref, uint32_t *value,
                 host_error *err) __attribute__((warn_unused_result));

/* The number of hypercall `name` in pvabi_calls' order, or -1. */
int course_hcall_index(const char *name);

/* Runs n jobs on up to threads threads (0: one per online CPU), results[i]
 * for jobs[i].  progress (may be NULL) is called after each job with how
 * many are done, from one thread at a time, in no particular thread. */
typedef void (*course_progress_fn)(void *ctx, size_t done, size_t total);
void course_pool_run(const course_job *jobs, course_result *results, size_t n,
                     unsigned threads, course_progress_fn progress, void *ctx);
/* The default thread count: the online CPUs (at least 1). */
unsigned course_cpus(void);

#endif
