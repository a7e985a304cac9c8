/* The machine: a CPU, guest RAM and the devices, with the run loop that
 * turns the CPU's exit reasons into hypercalls and stops.
 *
 * Guest-visible state is m->cpu.s, m->dev and the RAM bytes; everything
 * else here (backends, symbols, statistics) is host-side and never reaches
 * the guest. */
#ifndef PVLAB_MACHINE_H
#define PVLAB_MACHINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu.h"
#include "devices.h"
#include "elf_image.h"
#include "host.h"
#include "pvabi.h"

#define MACHINE_DEFAULT_MEM_MIB 32u
#define MACHINE_MAX_MEM_MIB 2048u
#define MACHINE_DEFAULT_DISPLAY_W 640u
#define MACHINE_DEFAULT_DISPLAY_H 480u
#define MACHINE_MIN_DISPLAY 16u   /* pixels, each way */
#define MACHINE_MAX_DISPLAY 4096u

typedef struct machine_config {
  uint32_t mem_mib; /* guest RAM, 1 .. MACHINE_MAX_MEM_MIB */
  uint64_t seed;    /* for the devices that need randomness */
  uint32_t display_width, display_height; /* the framebuffer's size in
                                             pixels; 0 for the default */
  bool jitter; /* seed-chosen timer phase and interrupt latency
                  (docs/pvabi.md, timer) */
} machine_config;

#define MACHINE_MAX_CALLS 64 /* at least the rows of PV_CALLS */
/* With a debugger's interrupt flag, the run loop looks at it at least this
 * often (in instructions). */
#define MACHINE_DEBUG_SLICE 1000000u

/* The values are saved in recordings (docs/file-formats.md, RECI): add new
 * stops at the end. */
typedef enum machine_stop {
  MACHINE_STOP_NONE,       /* still running (before a run; in a recording:
                              a debug session that ended there) */
  MACHINE_STOP_SHUTDOWN,   /* the guest called shutdown: dev.power.exit_code */
  MACHINE_STOP_FAULT,      /* the guest faulted: cpu.fault */
  MACHINE_STOP_LIMIT,      /* the instruction count reached the limit */
  MACHINE_STOP_EBREAK,     /* an EBREAK instruction (pc at it) */
  MACHINE_STOP_BREAK,      /* the debug_break hypercall (pc after it) */
  MACHINE_STOP_BREAKPOINT, /* a debugger breakpoint (pc at it, not run) */
  MACHINE_STOP_WATCH,      /* a watched access (pc at it, not run):
                              cpu.watch_hit */
  MACHINE_STOP_HOST_ERROR, /* the host failed: host_error */
  MACHINE_STOP_DEADLOCK,   /* event_wait for events that can never come:
                              deadlock_events; pc at the HCALL */
  MACHINE_STOP_CLOSED,     /* the display window was closed (a QUIT input
                              event) and the guest did not shut down within
                              DEV_QUIT_GRACE_NS */
  MACHINE_STOP_INTERRUPT,  /* *dbg.interrupt was set (Ctrl-C) */
  MACHINE_STOP_CATCH_HCALL, /* a caught hypercall: pc at it, not carried
                               out yet (dbg.catch_skip carries it out) */
  MACHINE_STOP_CATCH_TRAP, /* a caught trap: the kernel is at its entry */
} machine_stop;

/* One hypercall as the debugger's log keeps it. */
typedef struct machine_hcall_rec {
  uint64_t icount;
  uint32_t pc, number, args[6];
  int32_t status;   /* or DEV_NO_RESULT / DEV_STOPPED */
  uint32_t out[2];  /* a1, a2 */
} machine_hcall_rec;
#define MACHINE_HCALL_LOG 64

/* Something a tracer wants to hear about. */
typedef enum machine_event_kind { MACHINE_EV_HCALL, MACHINE_EV_TRAP } machine_event_kind;
typedef struct machine_event {
  machine_event_kind kind;
  const machine_hcall_rec *hcall; /* MACHINE_EV_HCALL: after it completed */
  uint32_t cause, tval, pc;       /* MACHINE_EV_TRAP: pc is the user pc */
} machine_event;

/* What a debugger asks of the run loop (host side, never guest state). */
typedef struct machine_debug {
  volatile sig_atomic_t *interrupt; /* nonzero: the run stops soon (the
                                       debugger clears it) */
  bool catch_hcall_any;
  uint8_t catch_hcall[MACHINE_MAX_CALLS]; /* by index in pvabi_calls */
  uint32_t catch_traps;      /* bit n: stop after a trap with cause n */
  bool catch_skip;           /* carry out the caught hypercall at pc */
  bool trap_caught;          /* set by machine_trap for catch_traps */
  void (*trace)(void *ctx, const machine_event *ev);
  void *trace_ctx;
  machine_hcall_rec hlog[MACHINE_HCALL_LOG]; /* a ring */
  uint64_t hlog_count;       /* hypercalls logged so far */
} machine_debug;


typedef struct machine_stats {
  uint64_t hcalls, hcalls_unknown;
  uint64_t hcalls_by_call[MACHINE_MAX_CALLS]; /* indexed like pvabi_calls */
  uint64_t traps[PV_CAUSE_COUNT];             /* by PV_CAUSE_* */
  uint64_t user_insns; /* the rest of the instruction count is kernel's */
  uint64_t events_delivered; /* event traps and event_wait wake-ups */
  uint64_t disk_sectors_read, disk_sectors_written, disk_commits;
} machine_stats;

typedef struct machine {
  cpu cpu;
  dev_state dev;
  machine_config cfg;
  uint8_t *ram;
  /* host side */
  elf_image elf; /* the loaded guest, for symbols */
  dev_console_backend console_io;
  dev_log_backend log_io;
  dev_display_backend display_io; /* NULL functions: the frame goes nowhere */
  dev_input_backend input_io;     /* NULL poll: no input ever comes */
  dev_disk_host disk_host; /* the image and overlay behind dev.disk */
  machine_stop stop;
  host_error host_fault;
  uint32_t deadlock_events; /* after MACHINE_STOP_DEADLOCK */
  machine_stats stats;
  machine_debug dbg;
  uint64_t *page_hash;  /* machine_state_hash_fast's cache, per page */
  uint32_t hash_epoch;  /* ... valid for pages not written since */
  uint32_t hash_rehashed; /* pages the last machine_state_hash_fast read */
  uint32_t zero_epoch;  /* a page whose cpu.page_gen is below it has not
                           been written since machine_init: it is zero */
  /* Record and replay (replay/tap.h): a hypercall is being carried out
   * (host input read now belongs to that instruction, not to the gap
   * before it); and the instruction count at which the run loop must
   * come up for air because recorded input is due then (0: none). */
  bool in_hcall;
  uint64_t io_due;
} machine;

/* Allocates RAM (zeroed) and resets devices; the console backend starts
 * as an empty memory console until the caller sets m->console_io. */
bool machine_init(machine *m, const machine_config *cfg, host_error *err)
    __attribute__((warn_unused_result));
void machine_free(machine *m);
/* Loads an ELF executable (RAM is untouched if it is refused) and resets
 * the CPU to its entry point. */
bool machine_load_elf(machine *m, const char *path, host_error *err)
    __attribute__((warn_unused_result));
/* Runs until the guest stops or the instruction count reaches limit. */
machine_stop machine_run(machine *m, uint64_t limit);

/* The machine's CPU, devices and host backends lent to the devices for
 * one step (machine/bus.c). */
dev_bus machine_bus(machine *m);
/* Carries out the HCALL at the CPU's pc: reads a7 and a0-a5, runs the
 * devices' handler (or answers PV_ENOSYS), logs and traces it, writes
 * a0-a2 and retires the HCALL (machine/hcall.c). */
void machine_hcall(machine *m);
/* Enters the guest kernel's trap handler from user mode (dev_vcpu_trap),
 * counting, tracing and catching the trap for the debugger. */
void machine_trap(machine *m, uint32_t cause, uint32_t tval);
/* dev_input_poll and dev_input_slice over this machine's bus. */
bool machine_input_poll(machine *m);
uint64_t machine_input_slice(machine *m, uint64_t limit);
/* dev_disk_attach and dev_disk_commit (devices/devices.h) over this
 * machine's bus: attaches a raw disk image, and with persist writes what
 * the guest wrote back into it crash-safely. */
bool machine_disk_attach(machine *m, const char *path, bool persist,
                         host_error *err) __attribute__((warn_unused_result));
bool machine_disk_commit(machine *m, host_error *err)
    __attribute__((warn_unused_result));

/* One line describing the fault: kind, pc as symbol+offset, the
 * instruction and a hint, e.g. "illegal instruction at main+8 (0x80000108):
 * csrrs a0, 0xc00, zero; pvlab has no CSRs, ...". */
void machine_describe_fault(const machine *m, char *buf, size_t size);
/* One line saying how the run ended (m->stop), the words `pvlab run`
 * prints after "pvlab: " (machine/outcome.c); max_insns is the limit a
 * MACHINE_STOP_LIMIT reached.  A shutdown reads "the guest shut down with
 * exit code N". */
void machine_describe_stop(const machine *m, uint64_t max_insns, char *buf,
                           size_t size);
/* "symbol+off (0x...)" or "0x..." for an address. */
void machine_format_addr(const machine *m, uint32_t addr, char *buf,
                         size_t size);
/* The disassembler's symbolizer over the loaded guest's symbols. */
bool machine_symbolize(void *m, uint32_t addr, char *buf, size_t size);

/* The run's statistics, one "PREFIX what  value" line each (machine/
 * report.c): instructions by mode, virtual time, hypercalls and traps by
 * kind, TLB misses, display, input and disk counts and the state hash.
 * host_seconds < 0 leaves out the host time and the guest MIPS, which
 * differ from run to run. */
void machine_print_stats(const machine *m, FILE *out, const char *prefix,
                         double host_seconds);

/* A 64-bit hash of all guest-visible state, the same on every host. */
uint64_t machine_state_hash(const machine *m);
/* The same value, rehashing only the RAM pages written since the last
 * call (cpu page stamps): cheap enough to take every few million
 * instructions while recording.  Every write into RAM must have gone
 * through the CPU or cpu_code_written (or cpu_dirty_all). */
uint64_t machine_state_hash_fast(machine *m);
/* Sets up that cache for a machine whose RAM is all zero (machine_init). */
bool machine_hash_cache_init(machine *m) __attribute__((warn_unused_result));

#endif
