/* A live guest for the fuzz targets that drive the monitor (fuzz_monitor,
 * fuzz_gdb_stub): watchme.elf from the sample guests (GUESTS) in a small
 * machine with a memory console, and a monitor over it, made afresh for
 * every input.  Whatever the input does, its work is bounded: an input
 * backend that the run loop polls at least every MACHINE_DEBUG_SLICE
 * instructions counts the instructions run forwards and, past
 * FUZZ_LIVE_BUDGET, sets the monitor's interrupt flag (Ctrl-C); the
 * target stops giving commands then.  Commands that name files get them
 * in a private directory (fuzz_live_safe_line). */
#ifndef PVLAB_TESTS_FUZZ_LIVE_H
#define PVLAB_TESTS_FUZZ_LIVE_H

#include "mon.h"

#define FUZZ_LIVE_BUDGET 300000u

typedef struct fuzz_live {
  machine m;
  dev_console_mem con;
  mon *s;
  uint64_t work, last; /* instructions run forwards, where the count was */
  bool files;          /* a command named a file: the directory needs emptying */
} fuzz_live;

/* Sets up l (aborts with a message when the guest cannot be loaded: a
 * harness problem, not a finding). */
void fuzz_live_start(fuzz_live *l);
void fuzz_live_stop(fuzz_live *l);
/* The budget is spent: give no more commands. */
bool fuzz_live_spent(const fuzz_live *l);
/* line as it may be run: a command that reads or writes files (load,
 * savevm, loadvm, snapshot, source, trace) gets every file name turned
 * into one in the private directory, and is dropped (false) when a name
 * has a '/' in it. */
bool fuzz_live_safe_line(fuzz_live *l, const char *line, char *out, size_t cap);

#endif
