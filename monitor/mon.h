/* The monitor: pvlab's debugger as a library.
 *
 *   mon *s = mon_new(&machine, "guest.elf");
 *   mon_exec(s, "break main", stdout);
 *   mon_exec(s, "continue", stdout);
 *
 * mon_exec runs one command line and writes everything it has to say to out
 * (errors too: one line naming the problem).  It never reads a terminal and
 * never exits, so the interactive front end (repl.c), scripts (-x), pipes,
 * the gdb stub and the tests all drive it the same way. */
#ifndef PVLAB_MONITOR_MON_H
#define PVLAB_MONITOR_MON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "machine.h"

typedef struct mon mon;

typedef enum mon_status {
  MON_OK,    /* the command did what it was asked */
  MON_ERROR, /* it was refused or failed; the state is unchanged */
  MON_QUIT,  /* the user asked to leave */
} mon_status;

/* A monitor over m (which the caller owns and keeps alive); guest is the
 * ELF that `restart` loads again.  NULL when out of memory.  The monitor
 * keeps the session's history for reverse execution: a tap on m's console
 * and input backends (replay/tap.h) logs what the guest receives, and
 * checkpoints are taken as the guest runs (docs/monitor.md). */
mon *mon_new(machine *m, const char *guest);
/* The same over a machine that already has a tap on it, which history
 * uses instead of one of its own: a replay's (pvlab replay --debug), where
 * all input comes from the recording.  The tap must outlive the monitor;
 * `restart` is refused (a replay has no guest file to load). */
struct replay_tap;
mon *mon_new_on_tap(machine *m, const char *guest, struct replay_tap *t);
void mon_free(mon *s);

/* pvlab debug --record: keeps what a bundle (replay/bundle.h) of the
 * session needs: the state where history starts (taken again whenever it
 * starts again: set, load, restart), the input log and a state hash at
 * every checkpoint.  mon_record_save writes it, ending where history got
 * furthest (the machine is moved there first). */
bool mon_record_start(mon *s, host_error *err) __attribute__((warn_unused_result));
bool mon_record_save(mon *s, const char *path, host_error *err)
    __attribute__((warn_unused_result));

mon_status mon_exec(mon *s, const char *line, FILE *out);

/* Where the guest's console output goes: the monitor wraps this backend to
 * know whether the guest left a line unfinished, so its own messages always
 * start on a line of their own. */
void mon_set_console(mon *s, dev_console_backend console);

/* For completion: the n-th command name (NULL past the last), and the n-th
 * guest symbol name starting with prefix (NULL past the last). */
const char *mon_command_name(size_t n);
const char *mon_symbol_name(const mon *s, const char *prefix, size_t n);

/* The flag Ctrl-C sets: a running command stops soon after it is set. */
volatile sig_atomic_t *mon_interrupt_flag(mon *s);

/* Runs the commands in f, one a line, as `source` does: a failing line is
 * named "name:LINE"; with stop-on-error on, the first error ends the run
 * (MON_ERROR).  MON_QUIT when a line said quit. */
mon_status mon_source(mon *s, FILE *f, const char *name, FILE *out);

/* Whether scripts stop at their first error (`set stop-on-error`, on by
 * default). */
bool mon_stop_on_error(const mon *s);
void mon_set_stop_on_error(mon *s, bool on);

/* What an empty line runs after line, as in gdb: stepi and nexti again,
 * a bare x after x (it goes on where the last one stopped).  False (again
 * untouched) for every other command. */
bool mon_repeat_line(const char *line, char *again, size_t size);

/* "=> 0x80000104 <main+4>:\taddi sp, sp, -16": where the guest stands. */
void mon_show_next(mon *s, FILE *out);

/* ---- For front ends that run the guest themselves (the gdb stub)
 *
 * They drive the same session the commands do: a run here is a run of
 * `continue` or `stepi` (breakpoints, watchpoints, history and all), and a
 * change by hand ends the history so far as `set` does. */

/* The machine under the monitor. */
machine *mon_machine(mon *s);

/* Registers by number: x0-x31 are 0-31, then these.  The value of icount
 * is its low word. */
enum { MON_REG_PC = 32, MON_REG_ICOUNT, MON_REG_MODE, MON_REG_PT_ROOT,
       MON_REG_ASID, MON_REG_COUNT };
uint32_t mon_reg_value(const mon *s, int index);
/* Guest memory as the current mode sees it (virtual in user mode, without
 * touching A/D bits or the TLB); false if any byte is not mapped. */
bool mon_read(mon *s, uint32_t addr, void *buf, uint32_t len);
bool mon_write(mon *s, uint32_t addr, const void *buf, uint32_t len);
/* The front end changed registers or memory by hand: the recorded future
 * no longer follows, so history starts again here. */
void mon_changed(mon *s);

/* Breakpoints, watchpoints and catchpoints (`info breakpoints`). */
typedef enum mon_bp_kind {
  MON_BP_BREAK,
  MON_BP_WATCH,  /* stop after a write that changes the value */
  MON_BP_RWATCH, /* stop after a read */
  MON_BP_AWATCH, /* stop after any access */
  MON_BP_CATCH_HCALL,
  MON_BP_CATCH_TRAP,
} mon_bp_kind;
/* The user's point behind a stop (set false when there is none). */
typedef struct mon_point {
  bool set;
  mon_bp_kind kind;
  uint32_t addr, len; /* breakpoints: addr; watchpoints: the range */
} mon_point;
/* Whether an enabled watchpoint (of any of the three kinds) exists. */
bool mon_watching(const mon *s);
/* Deletes the first point of this kind at addr (watchpoints: over len
 * bytes, too); false when there is none. */
bool mon_delete_point(mon *s, mon_bp_kind kind, uint32_t addr, uint32_t len);

/* Runs the guest as `continue` does until icount reaches limit or
 * something stops it; *at gets the point behind the stop.  A stop a front
 * end has no words of its own for (a fault, a deadlock, a catchpoint, a
 * shutdown...) is explained on report as the monitor would print it. */
machine_stop mon_resume(mon *s, uint64_t limit, mon_point *at, FILE *report);
/* How the stop the last command reported came about, and its point;
 * forgets it (MACHINE_STOP_NONE when no command has reported one since). */
machine_stop mon_take_stop(mon *s, mon_point *at);
/* Whether the guest has finished for good (shut down, faulted...; a
 * restart is needed), and then how. */
bool mon_finished(const mon *s, machine_stop *how);

#endif
