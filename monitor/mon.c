/* The monitor's session, command dispatch, help and scripts. */
#include "mon_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct mon_command {
  mon_status (*fn)(mon *s, const char *args, FILE *out);
  const char *name, *aliases, *usage, *help;
} mon_command;

static const mon_command commands[] = {
#define MON_ROW(fn, name, aliases, usage, help) {fn, name, aliases, usage, help},
  MON_COMMANDS(MON_ROW)
#undef MON_ROW
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* The console wrapper: remembers whether guest output ended mid-line.  It
 * sits under the tap, which does not pass on the output of the past
 * re-run; a replay's tap does, so output from before the furthest point
 * history has reached (shown then) is dropped here. */
static bool console_write(void *ctx, const uint8_t *buf, size_t len) {
  mon *s = ctx;
  if (s->m->cpu.s.icount < s->hist.reached) return true;
  if (len) s->guest_line_open = buf[len - 1] != '\n';
  return s->console.write(s->console.ctx, buf, len);
}
static long console_read(void *ctx, uint8_t *buf, size_t len) {
  mon *s = ctx;
  return s->console.read(s->console.ctx, buf, len);
}
static bool console_ready(void *ctx, bool wait) {
  mon *s = ctx;
  return s->console.ready(s->console.ctx, wait);
}

void mon_set_console(mon *s, dev_console_backend console) {
  dev_console_backend wrapper = {s, console_write, console_read, console_ready};
  s->console = console;
  if (s->hist.tap) s->hist.tap->live_con = wrapper;
  else s->m->console_io = wrapper;
}

/* A monitor over m, its console wrapped; its history's tap is ext or its
 * own (put on above the wrapper). */
static mon *new_session(machine *m, const char *guest, replay_tap *ext) {
  mon *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->m = m;
  s->guest = strdup(guest ? guest : "");
  if (!s->guest) {
    free(s);
    return NULL;
  }
  s->next_id = 1;
  s->stop_on_error = true;
  m->dbg.interrupt = &s->interrupt;
  m->dbg.trace = mon_trace_event;
  m->dbg.trace_ctx = s;
  s->hist.tap = ext; /* the wrapper goes under it */
  mon_set_console(s, ext ? ext->live_con : m->console_io);
  mon_history_init(s, ext);
  return s;
}

mon *mon_new(machine *m, const char *guest) { return new_session(m, guest, NULL); }

mon *mon_new_on_tap(machine *m, const char *guest, replay_tap *t) {
  return new_session(m, guest, t);
}

void mon_free(mon *s) {
  if (!s) return;
  mon_disarm(s);
  mon_trace_close_all(s);
  mon_bp_free_all(s);
  free(s->history);
  replay_tap *t = s->hist.tap;
  bool ext = s->hist.replay;
  mon_history_free(s);
  if (ext) t->live_con = s->console;
  else s->m->console_io = s->console;
  s->m->dbg.interrupt = NULL;
  s->m->dbg.trace = NULL;
  free(s->guest);
  free(s);
}

volatile sig_atomic_t *mon_interrupt_flag(mon *s) { return &s->interrupt; }

const char *mon_command_name(size_t n) {
  return n < NCOMMANDS ? commands[n].name : NULL;
}

/* True when word is one of the space-separated names in list. */
static bool in_list(const char *list, const char *word) {
  size_t n = strlen(word);
  for (const char *p = list; *p;) {
    size_t len = strcspn(p, " ");
    if (len == n && strncmp(p, word, n) == 0) return true;
    p += len;
    while (*p == ' ') p++;
  }
  return false;
}

/* The command for word: its name or alias exactly, else the one command
 * whose name starts with it.  *ambiguous says there were several. */
static const mon_command *find_command(const char *word, bool *ambiguous) {
  *ambiguous = false;
  for (size_t i = 0; i < NCOMMANDS; i++) {
    if (strcmp(commands[i].name, word) == 0 || in_list(commands[i].aliases, word)) {
      return &commands[i];
    }
  }
  const mon_command *found = NULL;
  size_t n = strlen(word);
  for (size_t i = 0; i < NCOMMANDS; i++) {
    if (strncmp(commands[i].name, word, n) == 0) {
      if (found) {
        *ambiguous = true;
        return NULL;
      }
      found = &commands[i];
    }
  }
  return found;
}

mon_status mon_exec(mon *s, const char *line, FILE *out) {
  const char *p = mon_skip_space(line);
  if (!*p || *p == '#') return MON_OK;
  /* x/8xw and p/x put the format right after the name */
  char word[64];
  size_t n = strcspn(p, " \t/");
  if (n >= sizeof word) return mon_fail(out, "no command \"%.40s...\"; 'help' lists them", p);
  memcpy(word, p, n);
  word[n] = 0;
  bool ambiguous;
  const mon_command *c = find_command(word, &ambiguous);
  if (!c) {
    if (ambiguous) return mon_fail(out, "\"%s\" is ambiguous: type more of the command ('help' lists them)", word);
    return mon_fail(out, "no command \"%s\"; 'help' lists them", word);
  }
  /* out is the caller's and lives only as long as this call: a trace to
   * the monitor's output must not write to it after (the gdb stub closes
   * the stream of each qRcmd); a command a script runs gives it back */
  FILE *outer = s->out;
  s->out = out;
  mon_status st = c->fn(s, p + n, out);
  fflush(out);
  s->out = outer;
  return st;
}

mon_status mon_cmd_help(mon *s, const char *args, FILE *out) {
  char word[64];
  const char *p = args;
  if (mon_next_word(&p, word, sizeof word)) {
    bool ambiguous;
    const mon_command *c = find_command(word, &ambiguous);
    if (!c) return mon_fail(out, "no command \"%s\"; 'help' lists them", word);
    fprintf(out, "usage: %s\n%s\n", c->usage, c->help);
    if (*c->aliases) fprintf(out, "also: %s\n", c->aliases);
    return MON_OK;
  }
  fprintf(out, "Commands (gdb's names; any unambiguous prefix works):\n");
  for (size_t i = 0; i < NCOMMANDS; i++) {
    /* a usage too long for its column gets a line of its own */
    if (strlen(commands[i].usage) > 34) fprintf(out, "  %s\n%37s", commands[i].usage, "");
    else fprintf(out, "  %-34s ", commands[i].usage);
    fprintf(out, "%s\n", commands[i].help);
  }
  fprintf(out, "'help COMMAND' shows one command; docs/monitor.md has a tutorial.\n");
  return MON_OK;
}

mon_status mon_cmd_echo(mon *s, const char *args, FILE *out) {
  /* gdb's echo: the text as written (one leading space dropped), \n escapes */
  const char *p = *args == ' ' ? args + 1 : args;
  for (; *p; p++) {
    if (p[0] == '\\' && p[1] == 'n') {
      fputc('\n', out);
      p++;
    } else if (p[0] == '\\' && p[1]) {
      fputc(p[1], out);
      p++;
    } else {
      fputc(*p, out);
    }
  }
  fputc('\n', out);
  return MON_OK;
}

mon_status mon_cmd_quit(mon *s, const char *args, FILE *out) { return MON_QUIT; }

bool mon_stop_on_error(const mon *s) { return s->stop_on_error; }
void mon_set_stop_on_error(mon *s, bool on) { s->stop_on_error = on; }

bool mon_repeat_line(const char *line, char *again, size_t size) {
  const char *p = mon_skip_space(line);
  char word[64];
  size_t n = strcspn(p, " \t/");
  if (n == 0 || n >= sizeof word) return false;
  memcpy(word, p, n);
  word[n] = 0;
  bool ambiguous;
  const mon_command *c = find_command(word, &ambiguous);
  if (!c) return false;
  if (c->fn == mon_cmd_examine) return snprintf(again, size, "x") < (int)size;
  if (c->fn != mon_cmd_stepi && c->fn != mon_cmd_nexti) return false;
  return snprintf(again, size, "%s", p) < (int)size;
}

mon_status mon_source(mon *s, FILE *f, const char *name, FILE *out) {
  mon_status st = MON_OK;
  char line[4096];
  for (unsigned lineno = 1; fgets(line, sizeof line, f); lineno++) {
    size_t len = strlen(line);
    if (len == sizeof line - 1 && line[len - 1] != '\n') {
      st = mon_fail(out, "%s:%u: line too long (over %zu characters)", name,
                    lineno, sizeof line - 2);
      break;
    }
    line[strcspn(line, "\r\n")] = 0;
    mon_status r = mon_exec(s, line, out);
    if (r == MON_QUIT) {
      st = MON_QUIT;
      break;
    }
    if (r == MON_ERROR) {
      fprintf(out, "%s:%u: the error above, in: %s\n", name, lineno, line);
      fflush(out);
      st = MON_ERROR;
      if (s->stop_on_error) break;
    }
  }
  return st;
}

#define MAX_SOURCE_DEPTH 8

mon_status mon_cmd_source(mon *s, const char *args, FILE *out) {
  const char *path = mon_skip_space(args);
  if (!*path) return mon_fail(out, "source needs a file name");
  if (s->source_depth >= MAX_SOURCE_DEPTH) {
    return mon_fail(out, "%s: scripts nested more than %d deep (does one source itself?)",
                    path, MAX_SOURCE_DEPTH);
  }
  FILE *f = fopen(path, "r");
  if (!f) return mon_fail(out, "%s: cannot open: %s", path, strerror(errno));
  s->source_depth++;
  mon_status st = mon_source(s, f, path, out);
  s->source_depth--;
  fclose(f);
  return st;
}
