/* The timeline: periodic in-memory checkpoints of a running machine, for
 * reverse execution.  Going back to any instruction count is restoring the
 * newest checkpoint at or before it and running forward from there: the
 * machine is deterministic and the tap (replay/tap.h) serves the input the
 * guest received the first time, so the re-run is the run.
 *
 * A checkpoint keeps the CPU and device state, the disk overlay, the
 * tap's position and the debugger's view (statistics, hypercall log).
 * Guest RAM is kept incrementally: checkpoint 0 copies every non-zero
 * page, each later one only the pages written since the one before it
 * (cpu page stamps, cpu_dirty_epoch).  Each page has its saved versions
 * in a list, newest first; restoring checkpoint k writes back only the
 * pages written since k was taken, each from its newest version at or
 * before k (zero when there is none).
 *
 * Memory is bounded by a budget: past it, old checkpoints are thinned out
 * (every other one among the oldest goes; its page versions pass to the
 * next checkpoint where that one has none), so recent history stays dense
 * and old history gets sparse.  Checkpoint 0 and the newest always stay.
 *
 *   timeline tl;
 *   replay_timeline_init(&tl, &m, &tap);
 *   replay_timeline_reset(&tl);                      checkpoint 0, here
 *   machine_run(&m, replay_timeline_due(&tl));       ...
 *   replay_timeline_take(&tl);                       every interval
 *   replay_timeline_restore(&tl, replay_timeline_find(&tl, icount));  back, then run
 */
#ifndef PVLAB_REPLAY_TIMELINE_H
#define PVLAB_REPLAY_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine.h"
#include "tap.h"

#define REPLAY_TIMELINE_DEFAULT_INTERVAL 10000000u           /* instructions */
#define REPLAY_TIMELINE_DEFAULT_BUDGET ((size_t)256 << 20)  /* bytes */

typedef struct replay_timeline_ver replay_timeline_ver; /* one saved copy of one page */

typedef struct replay_timeline_ckpt {
  uint64_t seq;     /* its identity: page versions name it */
  uint32_t epoch;   /* cpu_dirty_epoch taken with it */
  cpu_state cpu;
  dev_state dev;
  machine_stats stats;
  uint64_t tlb_misses;
  machine_hcall_rec hlog[MACHINE_HCALL_LOG];
  uint64_t hlog_count;
  dev_disk_overlay disk; /* a copy, exactly count entries */
  replay_tap_mark tap;
  replay_timeline_ver **vers;   /* the page versions it owns */
  size_t nvers, capvers;
} replay_timeline_ckpt;

typedef struct replay_timeline {
  machine *m;
  replay_tap *tap;              /* NULL: the machine has no tap */
  replay_timeline_ckpt *ck;     /* oldest first, icounts increasing */
  size_t n, cap;
  replay_timeline_ver **page;   /* per RAM page: its newest version, or NULL */
  uint32_t npages;
  uint64_t next_seq;
  uint64_t interval;     /* instructions between checkpoints */
  size_t budget, used;   /* bytes */
  uint64_t thinned;      /* checkpoints dropped to stay in the budget */
} replay_timeline;

/* An empty timeline over m (and its tap, or NULL); nothing is taken. */
void replay_timeline_init(replay_timeline *tl, machine *m, replay_tap *t);
void replay_timeline_free(replay_timeline *tl);
/* Drops every checkpoint and takes checkpoint 0 of the machine as it
 * stands: history starts here.  False when out of memory (the timeline
 * is then empty). */
bool replay_timeline_reset(replay_timeline *tl) __attribute__((warn_unused_result));
/* The instruction count at which the next checkpoint is due (UINT64_MAX
 * when the timeline is empty). */
uint64_t replay_timeline_due(const replay_timeline *tl);
/* Takes a checkpoint of the machine as it stands, which must be past the
 * newest one; thins old ones out when over budget.  False when out of
 * memory (nothing is taken). */
bool replay_timeline_take(replay_timeline *tl) __attribute__((warn_unused_result));
/* The newest checkpoint at or before icount; SIZE_MAX when there is none. */
size_t replay_timeline_find(const replay_timeline *tl, uint64_t icount);
/* Puts the machine (and the tap) back to checkpoint k.  False when out
 * of memory for the disk overlay's copy (nothing changed then). */
bool replay_timeline_restore(replay_timeline *tl, size_t k) __attribute__((warn_unused_result));
/* Changes the budget (thinning at once when over it) or the interval. */
void replay_timeline_set_budget(replay_timeline *tl, size_t bytes);
void replay_timeline_set_interval(replay_timeline *tl, uint64_t insns);
/* The icount of the oldest checkpoint (where history starts); 0 when
 * empty. */
uint64_t replay_timeline_start(const replay_timeline *tl);

#endif
