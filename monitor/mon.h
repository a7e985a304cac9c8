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

#include "machine/machine.h"

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
struct tap;
mon *mon_new_on_tap(machine *m, const char *guest, struct tap *t);
void mon_free(mon *s);

/* pvlab debug --record: keeps what a bundle (replay/bundle.h) of the
 * session needs: the state where history starts (taken again whenever it
 * starts again: set, load, restart), the input log and a state hash at
 * every checkpoint.  mon_record_save writes it, ending where history got
 * furthest (the machine is moved there first). */
bool mon_record_start(mon *s, pvl_error *err) __attribute__((warn_unused_result));
bool mon_record_save(mon *s, const char *path, pvl_error *err)
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

#endif
