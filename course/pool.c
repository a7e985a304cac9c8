/* Many jobs on several threads.  Workers take the next job number from a
 * shared counter and write only their job's result slot, so results come
 * out indexed by job whatever the thread timing; the one lock also makes
 * the progress callback run from one thread at a time. */
#include <pthread.h>
#include <unistd.h>

#include "course.h"

enum { POOL_MAX_THREADS = 256 };

typedef struct pool {
  const course_job *jobs;
  course_result *results;
  size_t n, next, done;
  pthread_mutex_t lock;
  course_progress_fn progress;
  void *ctx;
} pool;

static void *worker(void *arg) {
  pool *p = arg;
  for (;;) {
    pthread_mutex_lock(&p->lock);
    size_t i = p->next < p->n ? p->next++ : p->n;
    pthread_mutex_unlock(&p->lock);
    if (i == p->n) return NULL;
    (void)course_run(&p->jobs[i], &p->results[i]); /* errors are in the result */
    pthread_mutex_lock(&p->lock);
    p->done++;
    if (p->progress) p->progress(p->ctx, p->done, p->n);
    pthread_mutex_unlock(&p->lock);
  }
}

unsigned course_cpus(void) {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  return cpus < 1 ? 1u : cpus > POOL_MAX_THREADS ? POOL_MAX_THREADS : (unsigned)cpus;
}

void course_pool_run(const course_job *jobs, course_result *results, size_t n,
                     unsigned threads, course_progress_fn progress, void *ctx) {
  pool p = {.jobs = jobs, .results = results, .n = n, .progress = progress,
            .ctx = ctx};
  pthread_mutex_init(&p.lock, NULL);
  if (threads == 0) threads = course_cpus();
  if (threads > POOL_MAX_THREADS) threads = POOL_MAX_THREADS;
  if (threads > n) threads = (unsigned)n;
  /* this thread is one of the workers; helpers that fail to start only
   * make the run slower, never different */
  pthread_t t[POOL_MAX_THREADS];
  unsigned started = 0;
  while (started + 1 < threads &&
         pthread_create(&t[started], NULL, worker, &p) == 0) {
    started++;
  }
  worker(&p);
  for (unsigned i = 0; i < started; i++) pthread_join(t[i], NULL);
  pthread_mutex_destroy(&p.lock);
}
