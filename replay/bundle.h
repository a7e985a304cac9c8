/* Recording bundles: one self-contained file that replays a run exactly
 * on any machine (docs/file-formats.md).  A bundle is a snapshot file of
 * kind SNAP_KIND_BUNDLE: the machine sections of the run's initial state
 * (guest RAM, disk, ELF...), then
 *   RECI  how the recording ended (icount, stop, exit code, final hash)
 *   LOG   the tap's input log (replay/tap.h)
 *   HASH  state hashes taken every so many instructions while recording
 *
 *   recorder r;                         player p;
 *   rec_start(&r, &m, 0, &err);         play_open(&p, &m, "b.pvrec", &err);
 *   rec_run(&r, limit);                 play_run(&p);
 *   rec_save(&r, "b.pvrec", &err);      if (p.diverged) puts(p.why);
 */
#ifndef PVLAB_REPLAY_BUNDLE_H
#define PVLAB_REPLAY_BUNDLE_H

#include "replay/tap.h"

/* The default distance between two stored state hashes: about 4 ms of
 * guest time, well under 1% of run time to take. */
#define BUNDLE_HASH_INTERVAL (1u << 22)
/* Hashing a page written since the last hash costs about as much host
 * time as this many guest instructions over 50 (about 1000): after a hash
 * that read n pages, the next waits at least n times this long. */
#define BUNDLE_HASH_PAGE_COST 50000u

typedef struct bundle_hash {
  uint64_t icount, hash;
} bundle_hash;

/* Whether a recording that ended with stop was stopped from outside (a
 * debugger's stop, Ctrl-C) rather than by the guest or its limit. */
bool bundle_end_paused(uint32_t stop);

/* How the recorded run ended. */
typedef struct bundle_end {
  uint64_t icount;
  uint32_t stop;      /* machine_stop */
  uint32_t exit_code; /* dev.power.exit_code */
  uint64_t hash;      /* machine_state_hash at the end */
} bundle_end;

/* The limit to give machine_run so that a replay ends where the recording
 * did (what play_run and `pvlab replay --debug --at-end` run to). */
uint64_t bundle_end_limit(const bundle_end *end);

/* The initial state of a recording, encoded once at its start. */
typedef struct bundle_init {
  snap_section sec[SNAP_MACHINE_SECTIONS];
  snap_buf bufs[SNAP_MACHINE_SECTIONS];
  size_t nsec;
} bundle_init;
bool bundle_init_take(bundle_init *bi, machine *m, pvl_error *err)
    __attribute__((warn_unused_result));
void bundle_init_free(bundle_init *bi);

/* A list of stored hashes, growing. */
typedef struct bundle_hashes {
  bundle_hash *h;
  size_t n, cap;
} bundle_hashes;
bool bundle_hashes_add(bundle_hashes *hs, uint64_t icount, uint64_t hash);
void bundle_hashes_free(bundle_hashes *hs);

/* Writes a bundle (atomically): the initial state, the log (with the
 * tap's has_wait: whether the input backend could wait, a window), the
 * hashes and the end. */
bool bundle_write(const char *path, const bundle_init *bi, const tap *t,
                  const bundle_hashes *hs, const bundle_end *end, pvl_error *err)
    __attribute__((warn_unused_result));

/* ---- Recording a run (pvlab run --record) */
typedef struct recorder {
  machine *m;
  tap tap;
  bundle_init init;
  bundle_hashes hashes;
  uint64_t interval, next;
  bool adaptive; /* the default interval: spaced out for heavy writers */
  bundle_end end;
} recorder;
/* Encodes m's initial state and puts a tap on its backends.  interval 0
 * takes the default, spaced out after hashes that read many pages
 * (BUNDLE_HASH_PAGE_COST); any other is kept exactly. */
bool rec_start(recorder *r, machine *m, uint64_t interval, pvl_error *err)
    __attribute__((warn_unused_result));
/* machine_run with the hashes taken on the way. */
machine_stop rec_run(recorder *r, uint64_t limit);
/* Writes the bundle (the end is the machine as it stands). */
bool rec_save(recorder *r, const char *path, pvl_error *err)
    __attribute__((warn_unused_result));
/* Detaches the tap (m gets its backends back) and frees the recording. */
void rec_free(recorder *r);

/* ---- Replaying one (pvlab replay) */
typedef struct player {
  machine *m;
  tap tap;
  bundle_hashes hashes;
  size_t next_hash;   /* the next stored hash to compare */
  bundle_end end;
  bool has_wait;
  bool diverged;
  char why[512];
  uint64_t checked;   /* hashes compared and equal */
} player;
/* Reads the bundle, restores m (an initialised machine whose console and
 * input backends the replay uses: output goes to the console's write,
 * input comes from the log alone) and puts the tap on in replay. */
bool play_open(player *p, machine *m, const char *path, pvl_error *err)
    __attribute__((warn_unused_result));
/* The same from a file already read (the fuzz target's way in); the
 * player keeps nothing of f. */
bool play_open_file(player *p, machine *m, const snap_file *f, pvl_error *err)
    __attribute__((warn_unused_result));
/* Runs to limit or the recording's end, comparing the stored hashes; on
 * divergence stops at once with p->diverged and p->why. */
machine_stop play_run(player *p, uint64_t limit);
/* Takes up a divergence the tap saw, and compares the stored hashes the
 * run has reached: one at exactly the machine's icount is compared, ones
 * passed without stopping there are skipped.  play_run calls it at each
 * stored hash's count. */
void play_check(player *p);
/* After the replay ran to its end: whether it ended where and as the
 * recording did (icount, every input taken, final hash); if not,
 * p->diverged and p->why. */
bool play_finish(player *p);
void play_free(player *p);

/* What a bundle holds beyond its machine sections, for pvlab info: how the
 * recording ended, what its log has, how many hashes it stores. */
void bundle_describe(const snap_file *f, FILE *out);

#endif
