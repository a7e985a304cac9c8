/* Tracing: one line per instruction, hypercall or trap, to a file or to the
 * monitor's output.  Every line starts with the instruction count, so two
 * traces of the same run are identical and diff shows where runs part. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "mon_int.h"
#include "pvabi_calls.h"

static const char *const kind_names[MON_TRACE_KINDS] = {"insn", "hcall", "trap"};

/* Where a trace goes: its own file, or the current command's output
 * (none when no command runs, as when the gdb stub re-runs a step
 * silently). */
static FILE *sink(const mon *s, int kind, bool *on) {
  if (s->trace[kind] == stdout) {
    *on = s->out != NULL;
    return s->out;
  }
  *on = s->trace[kind] != NULL;
  return s->trace[kind];
}

static void close_trace(mon *s, int kind) {
  if (s->trace_owned[kind]) fclose(s->trace[kind]);
  s->trace[kind] = NULL;
  s->trace_owned[kind] = false;
}

void mon_trace_close_all(mon *s) {
  for (int k = 0; k < MON_TRACE_KINDS; k++) close_trace(s, k);
}

/* Re-running the past (reverse.c) traces nothing: it was traced the
 * first time. */
bool mon_tracing_insns(const mon *s) {
  return s->trace[MON_TRACE_INSN] != NULL && !s->hist.reexec;
}

void mon_trace_insn(mon *s) {
  bool on;
  FILE *f = sink(s, MON_TRACE_INSN, &on);
  if (!on) return;
  uint32_t pc = s->m->cpu.s.pc, word;
  char where[200], text[200];
  mon_format_addr(s, pc, where, sizeof where);
  if (mon_read(s, pc, &word, 4)) {
    cpu_disasm(word, pc, text, sizeof text, mon_symbolize, s);
  } else {
    snprintf(text, sizeof text, "(not mapped)");
  }
  fprintf(f, "%" PRIu64 " %s: %s\n", s->m->cpu.s.icount, where, text);
}

/* snprintf at *n in buf, which stays NUL-terminated when it fills up. */
static void appendf(char *buf, size_t size, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void appendf(char *buf, size_t size, size_t *n, const char *fmt, ...) {
  if (*n >= size) return;
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(buf + *n, size - *n, fmt, ap);
  va_end(ap);
  if (k > 0) *n += (size_t)k;
}

void mon_format_hcall(const machine_hcall_rec *r, char *buf, size_t size) {
  const pvabi_call *c = pvabi_lookup(r->number);
  size_t n = 0;
  buf[0] = 0;
  if (c) {
    appendf(buf, size, &n, "%s(", c->name);
    for (int i = 0; i < c->argc; i++) {
      appendf(buf, size, &n, "%s%s=0x%" PRIx32, i ? ", " : "", c->argn[i], r->args[i]);
    }
    appendf(buf, size, &n, ")");
  } else {
    appendf(buf, size, &n, "0x%" PRIx32 "(unknown)", r->number);
  }
  if (r->status == DEV_NO_RESULT) {
    appendf(buf, size, &n, " -> (switched)");
  } else if (r->status == DEV_STOPPED) {
    appendf(buf, size, &n, " -> (stopped the machine)");
  } else {
    appendf(buf, size, &n, " -> %s a1=0x%" PRIx32 " a2=0x%" PRIx32,
            pvabi_status_name(r->status), r->out[0], r->out[1]);
  }
}

void mon_trace_event(void *ctx, const machine_event *ev) {
  mon *s = ctx;
  bool on;
  char where[200];
  if (ev->kind == MACHINE_EV_TRAP) mon_history_trap(s, ev->cause);
  if (s->hist.reexec) return;
  if (ev->kind == MACHINE_EV_HCALL) {
    FILE *f = sink(s, MON_TRACE_HCALL, &on);
    if (!on) return;
    char text[300];
    mon_format_addr(s, ev->hcall->pc, where, sizeof where);
    mon_format_hcall(ev->hcall, text, sizeof text);
    fprintf(f, "%" PRIu64 " %s: hcall %s\n", ev->hcall->icount, where, text);
  } else {
    FILE *f = sink(s, MON_TRACE_TRAP, &on);
    if (!on) return;
    mon_format_addr(s, ev->pc, where, sizeof where);
    fprintf(f, "%" PRIu64 " trap %s from user pc %s, tval 0x%08" PRIx32 "\n",
            s->m->cpu.s.icount, mon_cause_name(ev->cause), where, ev->tval);
  }
}

mon_status mon_cmd_trace(mon *s, const char *args, FILE *out) {
  const char *p = args;
  char what[16], onoff[16], path[1024], extra[8];
  if (!mon_next_word(&p, what, sizeof what)) {
    for (int k = 0; k < MON_TRACE_KINDS; k++) {
      fprintf(out, "trace %-5s %s\n", kind_names[k], s->trace[k] ? "on" : "off");
    }
    return MON_OK;
  }
  int kind = -1;
  for (int k = 0; k < MON_TRACE_KINDS; k++) {
    if (strcmp(what, kind_names[k]) == 0) kind = k;
  }
  if (kind < 0) return mon_fail(out, "trace what? \"%s\": use insn, hcall or trap", what);
  if (!mon_next_word(&p, onoff, sizeof onoff) ||
      (strcmp(onoff, "on") != 0 && strcmp(onoff, "off") != 0)) {
    return mon_fail(out, "usage: trace %s on [FILE] | trace %s off", what, what);
  }
  bool have_path = mon_next_word(&p, path, sizeof path);
  if (mon_next_word(&p, extra, sizeof extra)) return mon_fail(out, "trace takes one file name");
  if (strcmp(onoff, "off") == 0) {
    if (have_path) return mon_fail(out, "trace %s off takes no file", what);
    close_trace(s, kind);
    fprintf(out, "Tracing %s off\n", what);
    return MON_OK;
  }
  FILE *f = stdout; /* stands for "the monitor's output" */
  if (have_path) {
    f = fopen(path, "w");
    if (!f) return mon_fail(out, "%s: cannot open for writing: %s", path, strerror(errno));
  }
  close_trace(s, kind);
  s->trace[kind] = f;
  s->trace_owned[kind] = have_path;
  fprintf(out, "Tracing %s to %s%s\n", what, have_path ? path : "the monitor's output",
          kind == MON_TRACE_INSN ? " (the guest runs one instruction at a time)" : "");
  return MON_OK;
}
