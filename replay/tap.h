/* The tap: everything that reaches the guest from outside, logged with
 * the instruction count at which the guest received it, and served back
 * from that log.
 *
 * A machine's outside world is its console and input backends: what the
 * console's ready() and read() answer, whether a write failed, what an
 * input poll puts in the queue, how far an idle wait with a window open
 * moves virtual time.  Everything else the guest sees follows from its
 * own instructions.  The tap sits between the machine and those backends.
 * Live, it asks them and logs every answer that is not the default one
 * ("nothing yet"); replaying, it answers from the log instead, and the
 * run is the recorded run again, instruction for instruction.
 *
 * An entry belongs either to the gap before instruction N (a poll between
 * slices) or to instruction N itself (a poll inside the hypercall at N:
 * machine.in_hcall); replaying serves it only at that same point, and
 * machine.io_due makes the run loop stop at N so that the point is met.
 *
 * One log serves three uses: `--record` (live, then saved in a bundle),
 * `pvlab replay` (replay only: the end of the log is the end of input) and
 * a debug session (replay up to the frontier, the furthest point reached
 * so far, and live beyond it), which is how reverse execution re-runs the
 * past without losing or repeating anything typed meanwhile. */
#ifndef PVLAB_REPLAY_TAP_H
#define PVLAB_REPLAY_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine.h"
#include "snapshot.h"

typedef enum replay_tap_kind {
  REPLAY_TAP_READY = 1,  /* the console's ready() answer changed: val 0 or 1 */
  REPLAY_TAP_READ,       /* console read(): val is the result (> 0 bytes, in the
                     payload; 0 end of input; DEV_ERROR) */
  REPLAY_TAP_WRITE_FAIL, /* console write() failed */
  REPLAY_TAP_QUEUE,      /* an input poll changed the queue: payload is the
                     whole dev_input after it */
  REPLAY_TAP_WAIT,       /* an idle wait: val is the virtual time it reached,
                     flag whether more input can come */
  REPLAY_TAP_KIND_END
} replay_tap_kind;

typedef struct replay_tap_entry {
  uint64_t icount;
  uint32_t pc;     /* where the guest was: replay checks it is there too */
  uint8_t kind;    /* replay_tap_kind */
  uint8_t in_hcall;
  uint8_t flag;
  uint64_t val;
  uint32_t off, len; /* payload bytes in tap.data */
} replay_tap_entry;

/* Where the tap stands in its log: a checkpoint keeps one. */
typedef struct replay_tap_mark {
  size_t pos;
  uint8_t ready;
} replay_tap_mark;

typedef struct replay_tap {
  machine *m;
  dev_console_backend live_con; /* what the tap wraps */
  dev_input_backend live_in;
  replay_tap_entry *e;
  size_t n, cap;
  uint8_t *data;
  size_t dlen, dcap;
  bool oom;           /* an append failed: the log is incomplete */
  size_t pos;         /* the next entry to serve */
  uint8_t ready;      /* the console's ready answer as of pos */
  uint64_t frontier;  /* live from this icount on, once the log is served */
  bool replay_only;   /* never live: pvlab replay */
  bool echo;          /* replaying: write guest output to live_con anyway */
  bool has_wait;      /* the input backend can wait (a window) */
  bool diverged;      /* the run left the recording: why says how */
  char why[256];
} replay_tap;

/* Puts a tap between m and its current console and input backends (m's
 * backends become the tap's), starting live with an empty log. */
void replay_tap_attach(replay_tap *t, machine *m);
/* Whether the machine's input can wait in host time (a window): a
 * replay sets what the recording had. */
void replay_tap_set_wait(replay_tap *t, bool on);
/* Gives m its live backends back and frees the log. */
void replay_tap_detach(replay_tap *t);

/* Starts a replay of the log from its beginning: the tap answers from
 * the log only (replay_only) or until it is used up and the run has
 * passed the frontier. */
void replay_tap_rewind(replay_tap *t, bool replay_only);
/* For checkpoints: where the tap stands, and going back there (the
 * machine must be put back to the same point by the caller). */
replay_tap_mark replay_tap_tell(const replay_tap *t);
void replay_tap_seek(replay_tap *t, const replay_tap_mark *mk);
/* After the machine ran live: moves the frontier up to its icount. */
void replay_tap_advance(replay_tap *t);
/* Forgets the log (the state was changed by hand: the recorded future no
 * longer follows): live from the machine's icount on. */
void replay_tap_reset(replay_tap *t);
/* True when replaying (behind the frontier or replay_only). */
bool replay_tap_replaying(const replay_tap *t);

/* The log as a bundle section (LOG): entries then payloads, field by
 * field; and back, checking every entry (kinds, order, payload bounds,
 * queue contents).  The tap must be attached; the log replaces its own. */
bool replay_tap_encode(const replay_tap *t, snap_buf *out);
bool replay_tap_decode(replay_tap *t, const uint8_t *p, size_t len, host_error *err)
    __attribute__((warn_unused_result));
/* Counts for pvlab info: console bytes and input events in the log. */
void replay_tap_summary(const replay_tap *t, uint64_t *console_bytes, uint64_t *queue_changes,
                 uint64_t *waits);

#endif
