/* The monitor's insides, shared by its files (mon.c: dispatch, help and
 * scripts; mon_util.c: reading and naming guest things; run.c: execution
 * and stop reports; break.c: breakpoints, watchpoints, catchpoints;
 * inspect.c: info and backtraces; examine.c: print, x and disassemble;
 * set.c: set and load; trace.c; reverse.c: history, checkpoints and
 * the reverse commands). */
#ifndef PVLAB_MONITOR_MON_INT_H
#define PVLAB_MONITOR_MON_INT_H
#ifndef PVLAB_MONITOR_INTERNAL
#error "mon_int.h is private to monitor/: front ends include mon.h"
#endif

#include <stdarg.h>

#include "mon.h"
#include "mon_cmds.h"
#include "bundle.h"
#include "timeline.h"

typedef struct mon_bp {
  unsigned id;
  mon_bp_kind kind;
  bool enabled, temporary;
  uint32_t addr, len; /* breakpoints: addr; watchpoints: the range */
  int which;          /* catchpoints: hypercall index or trap cause; -1 any */
  char *what;         /* the location or expression as typed */
  char *cond;         /* "if" condition, or NULL */
  uint64_t hits;
} mon_bp;

enum { MON_TRACE_INSN, MON_TRACE_HCALL, MON_TRACE_TRAP, MON_TRACE_KINDS };

/* The session's history, for reverse execution (reverse.c): the tap that
 * logs the guest's input (the session's own, or a replay's), checkpoints
 * along the way, and, with --record, what the bundle needs. */
typedef struct mon_history {
  replay_tap own;          /* the session's tap, when tap points here */
  replay_tap *tap;
  bool replay;      /* the tap is a replay's: pvlab replay --debug */
  replay_timeline tl;
  bool ok;          /* the timeline has checkpoint 0 (not out of memory) */
  bool reexec;      /* re-running the past: no traces */
  uint64_t reached; /* the furthest icount this history has reached: guest
                       output before it has been shown already */
  machine_stop end_stop; /* how the guest stopped at reached */
  /* A trap from user mode (ecall, page fault...) counts no instruction:
   * at the icount where one was taken there are two points, before it and
   * after it (at the kernel's entry).  Seeking an icount gives the first;
   * trap_seen/trap_at say the machine is at the second; traps lists the
   * icounts in history where one was taken, in order. */
  bool trap_seen;
  uint64_t trap_at;
  uint64_t *traps;
  size_t ntraps, captraps;
  bool recording;   /* pvlab debug --record */
  bool rec_broken;  /* out of memory for it */
  replay_bundle_init rec_init;
  replay_bundle_hashes rec_hashes;
} mon_history;

struct mon {
  machine *m;
  char *guest;
  mon_bp *bps;
  size_t nbps, capbps;
  unsigned next_id;
  volatile sig_atomic_t interrupt;
  dev_console_backend console; /* the guest console behind our wrapper */
  bool guest_line_open;        /* guest output ended mid-line */
  bool stop_on_error;          /* scripts stop at the first error */
  unsigned source_depth;
  bool guest_done;             /* shut down or faulted: restart first */
  FILE *trace[MON_TRACE_KINDS];
  bool trace_owned[MON_TRACE_KINDS]; /* opened by us: close it */
  FILE *out;                   /* where the current command (or a front end's
                                  run, mon_resume) writes; NULL between */
  unsigned watch_bp[CPU_MAX_WATCHPOINTS]; /* cpu watch index -> bp id */
  /* an internal breakpoint for nexti, finish and until: it stops only
   * when sp is at least internal_sp (so recursion runs through) */
  bool internal_active;
  uint32_t internal_addr, internal_sp;
  machine_stop last_stop;      /* how the guest last stopped */
  /* what mon_report last reported, for the gdb stub, which runs the
   * reverse commands and turns their stop into a stop reply */
  machine_stop reported;
  unsigned reported_bp;        /* the breakpoint's id, 0 for none */
  uint32_t catch_pc;           /* where a hypercall catchpoint stopped */
  uint32_t *history;           /* print's values: $1 is history[0] */
  size_t nhistory, caphistory;
  /* what x remembers, like gdb: the last format and unit size ('x', 'w'
   * until told otherwise) and the address after the last unit shown */
  char x_fmt, x_size;
  bool x_have_next;
  uint32_t x_next;
  mon_history hist;
};

/* Handlers, one per row of MON_COMMANDS. */
#define MON_DECLARE(fn, name, aliases, usage, help) \
  mon_status fn(mon *s, const char *args, FILE *out);
MON_COMMANDS(MON_DECLARE)
#undef MON_DECLARE

/* Prints one line (the message, then a newline) to out, if any, and
 * returns MON_ERROR. */
mon_status mon_fail(FILE *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Text helpers: args with leading space skipped; the next word copied into
 * word (false if there is none); a strict unsigned number. */
const char *mon_skip_space(const char *p);
bool mon_next_word(const char **p, char *word, size_t size);
bool mon_parse_count(const char *text, uint64_t *value);
/* The instruction count cmd takes as its argument (prints what is wrong). */
bool mon_icount_arg(const char *cmd, const char *args, uint64_t *icount, FILE *out);

/* Registers by name (mon.h has the numbering), with or without '$'; -1
 * for no register. */
int mon_reg_index(const char *name);

/* Expressions (mon_expr.h) over this guest; prints the error on failure. */
bool mon_eval(mon *s, const char *text, uint32_t *value, FILE *out);
/* A code or data location: "*EXPR", "SYMBOL", "SYMBOL+OFF" or an
 * expression; symbols always mean their address here.  With out NULL it
 * fails quietly. */
bool mon_location(mon *s, const char *text, uint32_t *addr, FILE *out);


/* "main+4" for addr (a cpu_symbolizer over the guest's symbols; ctx is
 * the mon); false when no symbol covers it. */
bool mon_symbolize(void *ctx, uint32_t addr, char *buf, size_t size);
/* "0x80000104 <main+4>", or just the address when no symbol covers it. */
void mon_format_addr(const mon *s, uint32_t addr, char *buf, size_t size);
/* Before the monitor speaks after guest output: end the guest's line. */
void mon_fresh_line(mon *s, FILE *out);

/* How a run under the monitor stopped (run.c's engine), for the report. */
typedef struct mon_stop {
  machine_stop why;
  mon_bp *bp;         /* the user's breakpoint/watchpoint/catchpoint */
  bool internal;      /* the internal breakpoint (nexti, finish, until) */
  bool is_write;      /* watchpoints: the access */
  uint32_t insn_pc;   /* watchpoints: the instruction that accessed */
  uint8_t old[8], now[8];
  bool have_old;
} mon_stop;

/* run.c: runs until icount reaches limit or something stops the guest for
 * good (a breakpoint whose condition holds, a watchpoint whose value
 * changed, a catchpoint, a fault...), stepping off a breakpoint at the pc
 * first; and the report of such a stop (why, then the next instruction). */
machine_stop mon_go(mon *s, uint64_t limit, mon_stop *si);
void mon_report(mon *s, const mon_stop *si, FILE *out);
/* run.c: an optional count (stepi N): an expression, 1 when absent, not
 * 0 (prints what is wrong). */
bool mon_count_arg(mon *s, const char *args, uint64_t *n, FILE *out);
/* run.c: the first enabled breakpoint at pc whose condition holds,
 * counting its hit; NULL when none. */
mon_bp *mon_breakpoint_hit(mon *s, uint32_t pc);

/* history.c: whether a stop ends the guest (shut down, faulted...). */
bool mon_guest_finished(machine_stop st);
/* history.c: machine_run for the monitor: it logs input through the tap
 * and takes checkpoints on the way. */
machine_stop mon_machine_run(mon *s, uint64_t limit);
/* history.c: puts the machine at icount target (at or after history's
 * start, at most where history reached), past a trap taken there with
 * trap, with nothing armed; returns how the last run stopped
 * (MACHINE_STOP_NONE: target is outside history). */
machine_stop mon_history_seek(mon *s, uint64_t target, bool trap);
/* history.c: whether the machine stands past the trap taken at its
 * instruction count (it took one there: the handler's first instruction is
 * next), and whether history saw a trap taken at count n. */
bool mon_history_past_trap(const mon *s);
bool mon_history_trap_at(const mon_history *h, uint64_t n);
/* history.c: the session's history (mon_new) and its end (mon_free); ext
 * is a replay's tap to use instead of the session's own (or NULL). */
void mon_history_init(mon *s, replay_tap *ext);
void mon_history_free(mon *s);
/* history.c: the state was changed by hand (set, load, restart, loadvm):
 * the recorded future no longer follows, so history starts again here. */
void mon_history_reset(mon *s);
/* history.c: the machine took a trap with this cause (trace.c's hook). */
void mon_history_trap(mon *s, uint32_t cause);
/* reverse.c: `set reverse-budget MIB` and `set reverse-interval N`. */
mon_status mon_set_reverse(mon *s, const char *what, const char *args, FILE *out);
/* reverse.c: `info reverse`. */
mon_status mon_info_reverse(mon *s, const char *args, FILE *out);

/* run.c: whether the guest can run (prints why not). */
bool mon_can_run(mon *s, FILE *out);
/* run.c: after machine_load_elf, forgets the previous run (statistics,
 * hypercall log, how it stopped) and shows where the new one starts. */
void mon_guest_loaded(mon *s, const char *what, FILE *out);
/* run.c: the part of that a restored snapshot needs (it brings its own
 * statistics): the hypercall log, how the guest stopped, the history. */
void mon_forget_run(mon *s);

/* break.c: pushes enabled breakpoints, watchpoints and catchpoints down
 * to the machine; skip_pc leaves out breakpoints at the pc (to step off
 * one).  mon_disarm takes them all away. */
void mon_arm(mon *s, bool skip_pc);
void mon_disarm(mon *s);
mon_bp *mon_bp_find(mon *s, unsigned id);
void mon_bp_delete(mon *s, mon_bp *b);
void mon_bp_free_all(mon *s);
void mon_info_breakpoints(mon *s, FILE *out);
/* "ecall", "page-load" ... for PV_CAUSE_* */
const char *mon_cause_name(uint32_t cause);

/* frame.c: the caller of the frame at (pc, sp): where it returns to and its
 * sp, from a scan of the function's prologue (the ra register is used when
 * the function has not saved ra: give ra = 0 for outer frames). */
bool mon_caller(mon *s, uint32_t pc, uint32_t sp, uint32_t ra,
                uint32_t *ret_pc, uint32_t *ret_sp);

/* trace.c: called by run.c for each instruction when insn tracing is on,
 * and the machine hook for hypercalls and traps. */
bool mon_tracing_insns(const mon *s);
/* "console_write(buf=0x80003000, len=0xe) -> PV_OK a1=0xe a2=0x0" */
void mon_format_hcall(const machine_hcall_rec *r, char *buf, size_t size);
void mon_trace_insn(mon *s);
void mon_trace_event(void *ctx, const machine_event *ev);
void mon_trace_close_all(mon *s);

#endif
