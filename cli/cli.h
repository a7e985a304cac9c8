/* The command-line front end: subcommands, shared option parsing and the
 * exit statuses scripts can rely on. */
#ifndef PVLAB_CLI_H
#define PVLAB_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "machine.h"
#include "mon.h"
#include "window.h"

/* Exit statuses of `pvlab run`.  A guest's own shutdown code 0..119 is
 * passed through unchanged; everything pvlab itself reports is above. */
enum {
  CLI_EXIT_GUEST_MAX = 119,   /* highest guest code passed through as is */
  CLI_EXIT_CODE_RANGE = 120,  /* guest code > 119 (printed on stderr) */
  CLI_EXIT_DEADLOCK = 121,    /* event_wait for events that cannot come */
  CLI_EXIT_BREAK = 122,       /* EBREAK or debug_break with no debugger */
  CLI_EXIT_FAULT = 123,       /* guest fault, diagnostic on stderr */
  CLI_EXIT_LIMIT = 124,       /* --max-insns reached */
  CLI_EXIT_HOST = 125,        /* usage error or host-side failure */
  CLI_EXIT_DIVERGED = 126,    /* pvlab replay: the run left the recording */
  CLI_EXIT_INTERRUPTED = 130, /* run --record: Ctrl-C ended the run */
};

enum { CLI_MAX_SCRIPTS = 16, CLI_MAX_SNAPSHOTS = 64 };

/* --snapshot-at ICOUNT FILE */
typedef struct cli_snapshot_at {
  uint64_t icount;
  const char *path;
} cli_snapshot_at;

/* Options shared by commands that start a machine. */
typedef struct cli_machine_opts {
  machine_config cfg;
  uint64_t max_insns; /* 0: no limit */
  bool stats;
  const char *guest;  /* the ELF file */
  bool headless;          /* --headless: never open a window */
  const char *screenshot; /* --screenshot FILE: the frame as a PNG at exit */
  const char *keys;       /* --keys KEYS: scripted input, dev_input_script */
  const char *disk;   /* --disk IMAGE, or NULL */
  bool disk_write;    /* --disk-write: commit the guest's writes to it */
  /* pvlab debug only (other commands refuse them) */
  const char *scripts[CLI_MAX_SCRIPTS]; /* -x FILE, in order */
  unsigned nscripts;
  const char *console_input; /* --console-input FILE: the guest's input */
  bool keep_going;           /* --keep-going: stop-on-error off */
  bool gdb;                  /* --gdb PORT: serve gdb instead of a prompt */
  unsigned gdb_port;         /* 0: any free port */
  const char *gdb_listen;    /* --gdb-listen ADDR (NULL: loopback) */
  const char *record;        /* --record BUNDLE: the run (debug: the
                                session's history) is written there when
                                it ends */
  uint64_t hash_interval;    /* --hash-interval N: run --record stores a
                                state hash every N instructions (0: the
                                default) */
  /* snapshots (run and debug: --load; run: --snapshot-at) */
  const char *load;          /* --load SNAPSHOT: the machine from a file,
                                instead of guest and the options below */
  const char *machine_opt;   /* the first of --mem, --seed, --display,
                                --disk, --disk-write, --jitter given
                                (NULL: none) */
  cli_snapshot_at snapshot_at[CLI_MAX_SNAPSHOTS]; /* in the order given */
  unsigned nsnapshot_at;
} cli_machine_opts;

/* The monitor's own options, which pvlab debug and pvlab replay --debug
 * both take: -x SCRIPT (repeatable), --gdb PORT, --gdb-listen ADDR and
 * --keep-going.  At argv[*i]: *taken says whether it was one of them
 * (*i then past its value); false, with a message, when it is bad. */
bool cli_monitor_opt(const char *cmd, int argc, char **argv, int *i,
                     cli_machine_opts *opts, bool *taken);

/* Parses argv into opts; prints a clear message and returns false on a bad
 * option.  Non-option words go to guest (one allowed). */
bool cli_parse_machine_opts(int argc, char **argv, cli_machine_opts *opts,
                            const char *cmd);
/* Strict unsigned number: decimal or 0x hex, optional K/M/G (x1000) suffix
 * for counts. */
bool cli_parse_u64(const char *text, uint64_t *out);
/* Whether argv[*i] is option name, as "--name VALUE" or "--name=VALUE";
 * *value is then the value (NULL when it is missing) and *i is past it. */
bool cli_opt_value(int argc, char **argv, int *i, const char *name,
                   const char **value);
/* pvlab explore GUEST.elf: a guest under many seeds, its failures found,
 * grouped and recorded (cli/explore.c).  0 none failed, 1 some
 * did, 125 usage or host error. */
int cli_explore(int argc, char **argv);

int cli_run(int argc, char **argv);
/* pvlab replay BUNDLE (cli/replay.c). */
int cli_replay(int argc, char **argv);
/* How a run ended, as a message on stderr and `pvlab run`'s exit status
 * (cli/run.c); replay reports a replayed run the same way. */
int cli_outcome(const machine *m, uint64_t max_insns);
/* Where the guest's debug_log lines go on the command line: stderr,
 * "pvlab: guest log: TEXT". */
dev_log_backend cli_log_backend(void);
/* pvlab info FILE: what a snapshot or bundle holds (cli/snap.c). */
int cli_info(int argc, char **argv);
int cli_debug(int argc, char **argv);
/* pvlab replay --debug BUNDLE: the monitor on a recording, stopped where
 * it starts, or with at_end (--at-end) where it ends: the fault, the
 * hang's last instruction, the shutdown (cli/debug.c); commands from
 * mopts's -x scripts, then the terminal or stdin as for pvlab debug
 * (--keep-going too), or gdb with its --gdb.  Returns the exit
 * status. */
int cli_debug_bundle(const char *bundle, bool at_end, const cli_machine_opts *mopts);
/* pvlab grade EXERCISE_DIR: an exercise's tests, scored (monitor/
 * cli/grade.c, docs/grading.md).  0 all passed, 1 some failed, 125 usage
 * or host error. */
int cli_grade(int argc, char **argv);

/* The monitor on a terminal (cli/repl.c, the one file that uses
 * libedit): the "(pvlab) " prompt with line editing, history in a file,
 * Tab completion of commands and symbols, and Ctrl-C; it runs commands
 * until quit or Ctrl-D.  False when the line editor cannot start (the
 * caller reads stdin plainly instead). */
bool cli_repl(mon *s);

/* The display and input of a command-line run (cli/display.c). */
typedef struct cli_display {
  dev_frame frame;         /* what the guest flushed last */
  dev_input_script script; /* --keys */
  window *sdl;            /* the window's, or NULL: headless */
} cli_display;
/* Gives m its display and input: a window when a display server is there
 * ($DISPLAY or $WAYLAND_DISPLAY) and not --headless, else the frame alone;
 * --keys ahead of the window's input.  Prints a message and returns false
 * on a bad --keys or no memory. */
bool cli_display_start(cli_display *d, machine *m, const cli_machine_opts *opts,
                       const char *cmd);
/* Saves --screenshot, closes the window and frees d; returns false after
 * printing why the screenshot could not be saved. */
bool cli_display_finish(cli_display *d, const cli_machine_opts *opts);

/* The machine of a command-line run, shared by run and debug: m made from
 * opts with the guest loaded and --disk attached (or restored from --load),
 * the console on console's file descriptors, guest log lines on stderr,
 * and its display (d).
 * Prints a message and returns false (m freed) on failure. */
bool cli_machine_start(machine *m, cli_display *d, const cli_machine_opts *opts,
                       dev_console_fd *console, const char *cmd);
/* Snapshots on the command line (cli/snap.c).  cli_check_counts:
 * --max-insns and --snapshot-at lie ahead of m's instruction count (which
 * --load may have set); prints why not.  cli_run_snapshots: machine_run to
 * limit, stopping at each --snapshot-at count to save the machine, the run
 * otherwise unchanged; *saved is false (after a message) when a snapshot
 * could not be written or the guest stopped before its count. */
bool cli_check_counts(const machine *m, const cli_machine_opts *opts, const char *cmd);
struct replay_recorder;
machine_stop cli_run_snapshots(machine *m, const cli_machine_opts *opts,
                               struct replay_recorder *rec, uint64_t limit, bool *saved);

/* The end of the run: commits --disk-write and finishes the display (the
 * caller still frees m); false after printing what failed. */
bool cli_machine_finish(machine *m, cli_display *d, const cli_machine_opts *opts);

#endif
