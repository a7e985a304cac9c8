/* Recording bundles: one self-contained file that replays a run exactly
 * on any machine (docs/file-formats.md).  A bundle is a snapshot file of
 * kind SNAP_KIND_BUNDLE: the machine sections of the run's initial state
 * (guest RAM, disk, ELF...), then
 *   RECI  how the recording ended (icount, stop, exit code, final hash)
 *   LOG   the tap's input log (replay/tap.h)
 *   HASH  state hashes taken every so many instructions while recording
 *
 *   recorder r;                         player p;
 *   replay_record_start(&r, &m, 0, &err);         replay_play_open(&p, &m, "b.pvrec", &err);
 *   replay_record_run(&r, limit);                 replay_play_run(&p);
 *   replay_record_save(&r, "b.pvrec", &err);      if (p.diverged) puts(p.why);
 */
#ifndef PVLAB_REPLAY_BUNDLE_H
#define PVLAB_REPLAY_BUNDLE_H

#include "tap.h"

/* The default distance between two stored state hashes: about 4 ms of
 * guest time, well under 1% of run time to take. */
#define REPLAY_HASH_INTERVAL (1u << 22)
/* Hashing a page written since the last hash costs about as much host
 * time as this many guest instructions over 50 (about 1000): after a hash
 * that read n pages, the next waits at least n times this long. */
#define REPLAY_HASH_PAGE_COST 50000u

typedef struct replay_bundle_hash {
  uint64_t icount, hash;
} replay_bundle_hash;

/* Whether a recording that ended with stop was stopped from outside (a
 * debugger's stop, Ctrl-C) rather than by the guest or its limit. */
bool replay_bundle_end_paused(uint32_t stop);

/* How the recorded run ended. */
typedef struct replay_bundle_end {
  uint64_t icount;
  uint32_t stop;      /* machine_stop */
  uint32_t exit_code; /* dev.power.exit_code */
  uint64_t hash;      /* machine_state_hash at the end */
} replay_bundle_end;

/* The limit to give machine_run so that a replay ends where the recording
 * did (what replay_play_run and `pvlab replay --debug --at-end` run to). */
uint64_t replay_bundle_end_limit(const replay_bundle_end *end);

/* The initial state of a recording, encoded once at its start. */
typedef struct replay_bundle_init {
  snap_section sec[SNAP_MACHINE_SECTIONS];
  snap_buf bufs[SNAP_MACHINE_SECTIONS];
  size_t nsec;
} replay_bundle_init;
bool replay_bundle_init_take(replay_bundle_init *bi, machine *m, host_error *err)
    __attribute__((warn_unused_result));
void replay_bundle_init_free(replay_bundle_init *bi);

/* A list of stored hashes, growing. */
typedef struct replay_bundle_hashes {
  replay_bundle_hash *h;
  size_t n, cap;
} replay_bundle_hashes;
bool replay_bundle_hashes_add(replay_bundle_hashes *hs, uint64_t icount, uint64_t hash);
void replay_bundle_hashes_free(replay_bundle_hashes *hs);

/* Writes a bundle (atomically): the initial state, the log (with the
 * tap's has_wait: whether the input backend could wait, a window), the
 * hashes and the end. */
bool replay_bundle_write(const char *path, const replay_bundle_init *bi, const replay_tap *t,
                  const replay_bundle_hashes *hs, const replay_bundle_end *end, host_error *err)
    __attribute__((warn_unused_result));

/* ---- Recording a run (pvlab run --record) */
typedef struct replay_recorder {
  machine *m;
  replay_tap tap;
  replay_bundle_init init;
  replay_bundle_hashes hashes;
  uint64_t interval, next;
  bool adaptive; /* the default interval: spaced out for heavy writers */
  replay_bundle_end end;
} replay_recorder;
/* Encodes m's initial state and puts a tap on its backends.  interval 0
 * takes the default, spaced out after hashes that read many pages
 * (REPLAY_HASH_PAGE_COST); any other is kept exactly. */
bool replay_record_start(replay_recorder *r, machine *m, uint64_t interval, host_error *err)
    __attribute__((warn_unused_result));
/* machine_run with the hashes taken on the way. */
machine_stop replay_record_run(replay_recorder *r, uint64_t limit);
/* Writes the bundle (the end is the machine as it stands). */
bool replay_record_save(replay_recorder *r, const char *path, host_error *err)
    __attribute__((warn_unused_result));
/* Detaches the tap (m gets its backends back) and frees the recording. */
void replay_record_free(replay_recorder *r);

/* ---- Replaying one (pvlab replay) */
typedef struct replay_player {
  machine *m;
  replay_tap tap;
  replay_bundle_hashes hashes;
  size_t next_hash;   /* the next stored hash to compare */
  replay_bundle_end end;
  bool has_wait;
  bool diverged;
  char why[512];
  uint64_t checked;   /* hashes compared and equal */
} replay_player;
/* Reads the bundle, restores m (an initialised machine whose console and
 * input backends the replay uses: output goes to the console's write,
 * input comes from the log alone) and puts the tap on in replay. */
bool replay_play_open(replay_player *p, machine *m, const char *path, host_error *err)
    __attribute__((warn_unused_result));
/* The same from a file already read (the fuzz target's way in); the
 * player keeps nothing of f. */
bool replay_play_open_file(replay_player *p, machine *m, const snap_file *f, host_error *err)
    __attribute__((warn_unused_result));
/* Runs to limit or the recording's end, comparing the stored hashes; on
 * divergence stops at once with p->diverged and p->why. */
machine_stop replay_play_run(replay_player *p, uint64_t limit);
/* Takes up a divergence the tap saw, and compares the stored hashes the
 * run has reached: one at exactly the machine's icount is compared, ones
 * passed without stopping there are skipped.  replay_play_run calls it at each
 * stored hash's count. */
void replay_play_check(replay_player *p);
/* After the replay ran to its end: whether it ended where and as the
 * recording did (icount, every input taken, final hash); if not,
 * p->diverged and p->why. */
bool replay_play_finish(replay_player *p);
void replay_play_free(replay_player *p);

/* What a bundle holds beyond its machine sections, for pvlab info: how the
 * recording ended, what its log has, how many hashes it stores. */
void replay_bundle_describe(const snap_file *f, FILE *out);

#endif
