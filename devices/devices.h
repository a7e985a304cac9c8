/* The virtual devices: each one's guest-visible state (plain data, part of
 * every snapshot and state hash) and the host backends behind it (function
 * pointers the front end or a test provides; never part of the state). */
#ifndef PVLAB_DEVICES_H
#define PVLAB_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dev_console {
  uint8_t input_closed; /* the host said end of input; stays closed */
  uint64_t bytes_in, bytes_out;
} dev_console;

typedef struct dev_power {
  uint8_t off;        /* the guest called shutdown */
  uint32_t exit_code;
} dev_power;

typedef struct dev_timer {
  uint64_t idle_ns;     /* virtual time skipped while the guest waited */
  uint64_t deadline_ns; /* when armed: the virtual time it fires at */
  uint8_t armed;
} dev_timer;

/* Pending and enabled event bits (PV_EV_*). */
typedef struct dev_events {
  uint32_t pending;
  uint32_t mask;
} dev_events;

/* The vCPU: where the kernel's trap frame is and where traps enter. */
typedef struct dev_vcpu {
  uint8_t registered;
  uint32_t frame; /* guest physical address of the struct pv_vcpu */
  uint32_t entry; /* the kernel's trap entry point */
} dev_vcpu;

/* The RNG: xoshiro128** state. */
typedef struct dev_rng {
  uint32_t s[4];
} dev_rng;

typedef struct dev_debug {
  uint8_t break_requested; /* debug_break was called; the machine stops */
  uint64_t log_calls;
} dev_debug;

typedef struct dev_state {
  dev_console console;
  dev_power power;
  dev_timer timer;
  dev_debug debug;
  dev_events events;
  dev_vcpu vcpu;
  dev_rng rng;
} dev_state;

/* Console backend.  read() returns the number of bytes read (> 0), 0 at
 * end of input, DEV_AGAIN when nothing is available yet, DEV_ERROR when the
 * host failed.  write() returns false when the host failed. */
#define DEV_AGAIN (-1L)
#define DEV_ERROR (-2L)
typedef struct dev_console_backend {
  void *ctx;
  bool (*write)(void *ctx, const uint8_t *buf, size_t len);
  long (*read)(void *ctx, uint8_t *buf, size_t len);
  /* Whether a read would return something now (bytes or end of input);
   * with wait, blocks until it would.  A backend whose input is a file,
   * pipe or buffer answers true until its end has been read: its bytes
   * count as typed before the run began, which keeps runs deterministic. */
  bool (*ready)(void *ctx, bool wait);
} dev_console_backend;

/* Where debug_log messages go (already escaped to printable text). */
typedef struct dev_log_backend {
  void *ctx;
  void (*log)(void *ctx, const char *text);
} dev_log_backend;

/* A console on host file descriptors, for the command line.  When the
 * input is not a terminal, reads wait for the data the guest asked for (or
 * end of input), so what the guest sees depends only on the bytes, never on
 * how fast they arrive: runs fed from a file or pipe are deterministic. */
typedef struct dev_console_fd {
  int in_fd, out_fd;
  bool in_is_tty;
} dev_console_fd;
dev_console_backend dev_console_fd_backend(dev_console_fd *fd);

/* A console on memory buffers, for tests and replays: reads come from a
 * fixed input, writes are appended to a growing buffer. */
typedef struct dev_console_mem {
  const uint8_t *in;
  size_t in_len, in_pos;
  bool in_open; /* true: DEV_AGAIN when in is used up, not end of input */
  uint8_t *out;
  size_t out_len, out_cap;
} dev_console_mem;
dev_console_backend dev_console_mem_backend(dev_console_mem *mem);
void dev_console_mem_free(dev_console_mem *mem);

/* Nanoseconds of virtual time per retired instruction: the virtual CPU runs
 * at a fixed 1 GHz, whatever the host does. */
#define DEV_NS_PER_INSN 1u
uint64_t dev_timer_now(const dev_timer *t, uint64_t icount);
/* The instruction count at which an armed timer's deadline is reached. */
uint64_t dev_timer_due_icount(const dev_timer *t);

/* The RNG's generator, for the device and its tests. */
void dev_rng_seed(dev_rng *r, uint64_t seed);
uint32_t dev_rng_next(dev_rng *r);

#endif
