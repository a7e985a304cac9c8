/* The monitor's insides, shared by its files (mon.c: dispatch, help and
 * scripts; mon_util.c: reading and naming guest things; run.c: execution
 * and stop reports; break.c: breakpoints, watchpoints, catchpoints;
 * inspect.c: info and backtraces; examine.c: print, x and disassemble;
 * set.c: set and load; trace.c). */
#ifndef PVLAB_MONITOR_MON_INT_H
#define PVLAB_MONITOR_MON_INT_H

#include <stdarg.h>

#include "monitor/mon.h"
#include "monitor/mon_cmds.h"

typedef enum mon_bp_kind {
  MON_BP_BREAK,
  MON_BP_WATCH,  /* stop after a write that changes the value */
  MON_BP_RWATCH, /* stop after a read */
  MON_BP_AWATCH, /* stop after any access */
  MON_BP_CATCH_HCALL,
  MON_BP_CATCH_TRAP,
} mon_bp_kind;

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
  FILE *out;                   /* where the current command writes */
  unsigned watch_bp[CPU_MAX_WATCHPOINTS]; /* cpu watch index -> bp id */
  /* an internal breakpoint for nexti, finish and until: it stops only
   * when sp is at least internal_sp (so recursion runs through) */
  bool internal_active;
  uint32_t internal_addr, internal_sp;
  machine_stop last_stop;      /* how the guest last stopped */
  uint32_t catch_pc;           /* where a hypercall catchpoint stopped */
  uint32_t *history;           /* print's values: $1 is history[0] */
  size_t nhistory, caphistory;
  /* what x remembers, like gdb: the last format and unit size ('x', 'w'
   * until told otherwise) and the address after the last unit shown */
  char x_fmt, x_size;
  bool x_have_next;
  uint32_t x_next;
};

/* Handlers, one per row of MON_COMMANDS. */
#define MON_DECLARE(fn, name, aliases, usage, help) \
  mon_status fn(mon *s, const char *args, FILE *out);
MON_COMMANDS(MON_DECLARE)
#undef MON_DECLARE

/* Prints one line (the message, then a newline) and returns MON_ERROR. */
mon_status mon_fail(FILE *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Text helpers: args with leading space skipped; the next word copied into
 * word (false if there is none); a strict unsigned number. */
const char *mon_skip_space(const char *p);
bool mon_next_word(const char **p, char *word, size_t size);
bool mon_parse_count(const char *text, uint64_t *value);

/* Registers by name, with or without '$': x0-x31 by ABI name or xN (fp
 * is s0) are 0-31, then these; -1 for no register.  The value of icount
 * is its low word. */
enum { MON_REG_PC = 32, MON_REG_ICOUNT, MON_REG_MODE, MON_REG_PT_ROOT,
       MON_REG_ASID, MON_REG_COUNT };
int mon_reg_index(const char *name);
uint32_t mon_reg_value(const mon *s, int index);

/* Expressions (expr.h) over this guest; prints the error on failure. */
bool mon_eval(mon *s, const char *text, uint32_t *value, FILE *out);
/* A code or data location: "*EXPR", "SYMBOL", "SYMBOL+OFF" or an
 * expression; symbols always mean their address here.  With out NULL it
 * fails quietly. */
bool mon_location(mon *s, const char *text, uint32_t *addr, FILE *out);

/* Guest memory as the current mode sees it (virtual in user mode, without
 * touching A/D bits or the TLB); false if any byte is not mapped. */
bool mon_read(mon *s, uint32_t addr, void *buf, uint32_t len);
bool mon_write(mon *s, uint32_t addr, const void *buf, uint32_t len);

/* "main+4" for addr (a cpu_symbolizer over the guest's symbols; ctx is
 * the mon); false when no symbol covers it. */
bool mon_symbolize(void *ctx, uint32_t addr, char *buf, size_t size);
/* "0x80000104 <main+4>", or just the address when no symbol covers it. */
void mon_format_addr(const mon *s, uint32_t addr, char *buf, size_t size);
/* Before the monitor speaks after guest output: end the guest's line. */
void mon_fresh_line(mon *s, FILE *out);

/* run.c: whether the guest can run (prints why not). */
bool mon_can_run(mon *s, FILE *out);
/* run.c: after machine_load_elf, forgets the previous run (statistics,
 * hypercall log, how it stopped) and shows where the new one starts. */
void mon_guest_loaded(mon *s, const char *what, FILE *out);

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
