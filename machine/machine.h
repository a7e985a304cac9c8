/* The machine: a CPU, guest RAM and the devices, with the run loop that
 * turns the CPU's exit reasons into hypercalls and stops.
 *
 * Guest-visible state is m->cpu.s, m->dev and the RAM bytes; everything
 * else here (backends, symbols, statistics) is host-side and never reaches
 * the guest. */
#ifndef PVLAB_MACHINE_H
#define PVLAB_MACHINE_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "devices/devices.h"
#include "machine/elf.h"
#include "machine/error.h"
#include "pvabi/pvabi.h"

#define MACHINE_DEFAULT_MEM_MIB 32u
#define MACHINE_MAX_MEM_MIB 2048u

typedef struct machine_config {
  uint32_t mem_mib; /* guest RAM, 1 .. MACHINE_MAX_MEM_MIB */
  uint64_t seed;    /* for the devices that need randomness */
} machine_config;

typedef enum machine_stop {
  MACHINE_STOP_NONE,       /* still running (only seen before a run) */
  MACHINE_STOP_SHUTDOWN,   /* the guest called shutdown: dev.power.exit_code */
  MACHINE_STOP_FAULT,      /* the guest faulted: cpu.fault */
  MACHINE_STOP_LIMIT,      /* the instruction count reached the limit */
  MACHINE_STOP_EBREAK,     /* an EBREAK instruction (pc at it) */
  MACHINE_STOP_BREAK,      /* the debug_break hypercall (pc after it) */
  MACHINE_STOP_HOST_ERROR, /* the host failed: host_error */
  MACHINE_STOP_DEADLOCK,   /* event_wait for events that can never come:
                              deadlock_events; pc at the HCALL */
} machine_stop;

#define MACHINE_MAX_CALLS 64 /* at least the rows of PV_CALLS */

typedef struct machine_stats {
  uint64_t hcalls, hcalls_unknown;
  uint64_t hcalls_by_call[MACHINE_MAX_CALLS]; /* indexed like pvabi_calls */
  uint64_t traps[PV_CAUSE_COUNT];             /* by PV_CAUSE_* */
  uint64_t user_insns; /* the rest of the instruction count is kernel's */
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
  machine_stop stop;
  pvl_error host_error;
  uint32_t deadlock_events; /* after MACHINE_STOP_DEADLOCK */
  machine_stats stats;
} machine;

/* Allocates RAM (zeroed) and resets devices; the console backend starts
 * as an empty memory console until the caller sets m->console_io. */
bool machine_init(machine *m, const machine_config *cfg, pvl_error *err)
    __attribute__((warn_unused_result));
void machine_free(machine *m);
/* Loads an ELF executable (RAM is untouched if it is refused) and resets
 * the CPU to its entry point. */
bool machine_load_elf(machine *m, const char *path, pvl_error *err)
    __attribute__((warn_unused_result));
/* Runs until the guest stops or the instruction count reaches limit. */
machine_stop machine_run(machine *m, uint64_t limit);

/* Enters the guest kernel's trap handler from user mode (devices/vcpu.c). */
void machine_trap(machine *m, uint32_t cause, uint32_t tval);
/* Sets the timer event and disarms the timer (devices/events.c). */
void machine_timer_fire(machine *m);
/* Brings level-triggered event bits up to date; with wait, blocks until a
 * console event is possible (devices/events.c). */
void machine_events_poll(machine *m, bool wait);

/* One line describing the fault: kind, pc as symbol+offset, the
 * instruction and a hint, e.g. "illegal instruction at main+8 (0x80000108):
 * csrrs a0, 0xc00, zero; pvlab has no CSRs, ...". */
void machine_describe_fault(const machine *m, char *buf, size_t size);
/* "symbol+off (0x...)" or "0x..." for an address. */
void machine_format_addr(const machine *m, uint32_t addr, char *buf,
                         size_t size);
/* The disassembler's symbolizer over the loaded guest's symbols. */
bool machine_symbolize(void *m, uint32_t addr, char *buf, size_t size);

/* A 64-bit hash of all guest-visible state, the same on every host. */
uint64_t machine_state_hash(const machine *m);

#endif
