/* The monitor on a terminal: the one file that talks to libedit.
 *
 * libedit owns the terminal only while the prompt is up (raw mode inside
 * el_gets); a command runs with the terminal as the user had it, so the
 * guest reads typed lines as from `pvlab run`.  Ctrl-C is our SIGINT
 * handler, installed without SA_RESTART: during a command it sets the
 * monitor's interrupt flag (the guest stops, the prompt comes back); at the
 * prompt our read_char sees it and makes el_gets return, and the line is
 * dropped.  libedit's own signal handling (EL_SIGNAL) stays off: it would
 * re-raise the signal to the whole process group. */
#include <errno.h>
#include <histedit.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>

#include "cli.h"

enum { HISTORY_SIZE = 1000, MAX_LISTED = 300 };

typedef struct repl {
  mon *s;
  EditLine *el;
  History *hist;
  char *history_path; /* NULL: no history file */
  char *last;         /* the last command, for an empty line */
} repl;

static volatile sig_atomic_t *run_flag; /* the monitor's interrupt flag */
static volatile sig_atomic_t at_prompt, prompt_interrupted;

/* While a command runs, the terminal itself echoes "^C": end that line, so
 * the monitor's "Interrupted at ..." starts a line of its own. */
static void on_sigint(int sig) {
  (void)sig;
  *run_flag = 1;
  prompt_interrupted = 1;
  if (!at_prompt) {
    ssize_t n = write(STDOUT_FILENO, "\n", 1);
    (void)n; /* nothing to be done about it in a signal handler */
  }
}

/* libedit's own read retries once after EINTR, and a Ctrl-C that comes
 * between two reads would be lost: read the terminal here, in polls short
 * enough to see the flag.  Returns 1 with a character, 0 at end of input,
 * -1 with errno EINTR after Ctrl-C. */
static int read_char(EditLine *el, wchar_t *wc) {
  int fd = STDIN_FILENO;
  char bytes[MB_LEN_MAX];
  size_t n = 0;
  (void)el;
  for (;;) {
    if (prompt_interrupted) {
      errno = EINTR;
      return -1;
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int ready = poll(&p, 1, 100);
    if (ready < 0 && errno != EINTR) return -1;
    if (ready <= 0) continue;
    ssize_t got = read(fd, &bytes[n], 1);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got < 0) return -1;
    if (got == 0) return 0;
    n++;
    mbstate_t state;
    memset(&state, 0, sizeof state);
    size_t r = mbrtowc(wc, bytes, n, &state);
    if (r == (size_t)-2 && n < sizeof bytes) continue; /* more to come */
    if (r == (size_t)-1 || r == (size_t)-2) { /* not a character: drop it */
      n = 0;
      continue;
    }
    if (r == 0) *wc = 0;
    return 1;
  }
}

static char *prompt(EditLine *el) {
  (void)el;
  static char text[] = "(pvlab) ";
  return text;
}

/* $PVLAB_HISTORY (empty: none), else $XDG_STATE_HOME/pvlab/history, else
 * ~/.pvlab_history; NULL when there is nowhere to keep it. */
static char *history_file(void) {
  const char *env = getenv("PVLAB_HISTORY");
  if (env) return *env ? strdup(env) : NULL;
  const char *dir = getenv("XDG_STATE_HOME"), *leaf = "/pvlab/history";
  if (!dir || !*dir) {
    dir = getenv("HOME");
    leaf = "/.pvlab_history";
  }
  if (!dir || !*dir) return NULL;
  size_t n = strlen(dir) + strlen(leaf) + 1;
  char *path = malloc(n);
  if (path) snprintf(path, n, "%s%s", dir, leaf);
  return path;
}

/* History is a convenience: a file that cannot be written costs a note,
 * never the session. */
static void save_history(repl *r) {
  if (!r->history_path) return;
  char *slash = strrchr(r->history_path, '/');
  if (slash && slash != r->history_path) { /* $XDG_STATE_HOME/pvlab */
    *slash = 0;
    mkdir(r->history_path, 0700);
    *slash = '/';
  }
  HistEvent ev;
  if (history(r->hist, &ev, H_SAVE, r->history_path) < 0) {
    fprintf(stderr, "pvlab: note: cannot save the command history to %s "
            "(set PVLAB_HISTORY to another file, or empty for none)\n",
            r->history_path);
  }
}

/* Completion candidates, sorted as they come and without repeats. */
typedef struct names {
  const char **v;
  size_t n, cap;
} names;

static bool names_add(names *c, const char *name) {
  if (c->n && strcmp(c->v[c->n - 1], name) == 0) return true;
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 32;
    const char **grown = realloc(c->v, cap * sizeof *grown);
    if (!grown) return false;
    c->v = grown;
    c->cap = cap;
  }
  c->v[c->n++] = name;
  return true;
}

static bool is_symbol_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
         (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '$';
}

static bool is_command_char(char ch) { return is_symbol_char(ch) || ch == '-'; }

static int terminal_width(void) {
  struct winsize ws;
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
  return 80;
}

/* Lists the candidates in columns below the line, as gdb does. */
static void list_names(const names *c) {
  size_t width = 0;
  for (size_t i = 0; i < c->n; i++) {
    size_t len = strlen(c->v[i]);
    if (len > width) width = len;
  }
  width += 2;
  size_t cols = (size_t)terminal_width() / width;
  if (cols == 0) cols = 1;
  size_t shown = c->n < MAX_LISTED ? c->n : MAX_LISTED;
  size_t rows = (shown + cols - 1) / cols;
  fputc('\n', stdout);
  for (size_t row = 0; row < rows; row++) {
    for (size_t col = 0; col < cols; col++) {
      size_t i = col * rows + row;
      if (i >= shown) break;
      bool last = col + 1 == cols || i + rows >= shown;
      fprintf(stdout, "%-*s", last ? 0 : (int)width, c->v[i]);
    }
    fputc('\n', stdout);
  }
  if (shown < c->n) {
    fprintf(stdout, "(and %zu more: type more of the name)\n", c->n - shown);
  }
  fflush(stdout);
}

/* Tab: the first word is a command; after `help` too; any other word is a
 * symbol.  One match is completed with a space after it, several as far
 * as they agree, and when they agree no further they are listed. */
static unsigned char complete(EditLine *el, int ch) {
  (void)ch;
  repl *r;
  el_get(el, EL_CLIENTDATA, &r);
  const LineInfo *li = el_line(el);
  const char *start = li->cursor;
  while (start > li->buffer && is_command_char(start[-1])) start--;
  const char *first = li->buffer;
  while (first < start && (*first == ' ' || *first == '\t')) first++;
  bool command = first == start;
  if (!command && strncmp(first, "help", 4) == 0 && (first[4] == ' ' || first[4] == '\t')) {
    command = first + 5 + strspn(first + 5, " \t") == start;
  }
  if (!command) {
    while (start < li->cursor && !is_symbol_char(*start)) start++;
  }
  size_t len = (size_t)(li->cursor - start);
  char prefix[256];
  if (len >= sizeof prefix) return CC_ERROR;
  memcpy(prefix, start, len);
  prefix[len] = 0;

  names c = {0};
  const char *name;
  for (size_t i = 0; command && (name = mon_command_name(i)) != NULL; i++) {
    if (strncmp(name, prefix, len) == 0 && !names_add(&c, name)) break;
  }
  for (size_t i = 0; !command && (name = mon_symbol_name(r->s, prefix, i)) != NULL; i++) {
    if (!names_add(&c, name)) break;
  }
  unsigned char result = CC_REFRESH;
  if (c.n == 0) {
    result = CC_REFRESH_BEEP;
  } else {
    size_t common = strlen(c.v[0]);
    for (size_t i = 1; i < c.n; i++) {
      size_t k = 0;
      while (k < common && c.v[i][k] == c.v[0][k]) k++;
      common = k;
    }
    if (c.n == 1 || common > len) {
      char add[256];
      snprintf(add, sizeof add, "%.*s%s", (int)(common - len), c.v[0] + len,
               c.n == 1 ? " " : "");
      if (el_insertstr(el, add) != 0) result = CC_ERROR;
    } else {
      list_names(&c);
      result = CC_REDISPLAY;
    }
  }
  free(c.v);
  return result;
}

static bool repl_init(repl *r, mon *s) {
  memset(r, 0, sizeof *r);
  r->s = s;
  r->el = el_init("pvlab", stdin, stdout, stderr);
  r->hist = history_init();
  if (!r->el || !r->hist) return false;
  HistEvent ev;
  history(r->hist, &ev, H_SETSIZE, HISTORY_SIZE);
  history(r->hist, &ev, H_SETUNIQUE, 1);
  r->history_path = history_file();
  if (r->history_path) history(r->hist, &ev, H_LOAD, r->history_path);
  el_set(r->el, EL_CLIENTDATA, r);
  el_set(r->el, EL_EDITOR, "emacs");
  el_set(r->el, EL_SIGNAL, 0);
  el_set(r->el, EL_PROMPT, prompt);
  el_set(r->el, EL_GETCFN, read_char);
  el_set(r->el, EL_HIST, history, r->hist);
  /* the wide call: the narrow one copies the strings and never frees them */
  el_wset(r->el, EL_ADDFN, L"pvlab-complete", L"Complete a command or symbol name",
          complete);
  el_set(r->el, EL_BIND, "^I", "pvlab-complete", NULL);
  el_set(r->el, EL_BIND, "^R", "em-inc-search-prev", NULL); /* as in gdb */
  el_source(r->el, NULL); /* ~/.editrc, for those who keep one */
  return true;
}

static void repl_free(repl *r) {
  if (r->hist) history_end(r->hist);
  if (r->el) el_end(r->el);
  free(r->history_path);
  free(r->last);
}

/* One line from the user; NULL at Ctrl-D.  *cancelled: Ctrl-C dropped it. */
static const char *read_line(repl *r, bool *cancelled) {
  int count;
  *cancelled = false;
  *run_flag = 0;
  prompt_interrupted = 0;
  at_prompt = 1;
  const char *line = el_gets(r->el, &count);
  at_prompt = 0;
  /* errno can be stale after an end of input: the flag says what it was */
  if (!line && count < 0 && prompt_interrupted) *cancelled = true;
  return line;
}

bool cli_repl(mon *s) {
  repl r;
  if (!repl_init(&r, s)) {
    repl_free(&r);
    return false;
  }
  run_flag = mon_interrupt_flag(s);
  struct sigaction sa = {.sa_handler = on_sigint}, old;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old); /* no SA_RESTART: Ctrl-C ends the read */
  for (;;) {
    bool cancelled;
    const char *got = read_line(&r, &cancelled);
    if (cancelled) {
      fputs("^C\n", stdout); /* the line is dropped; a new prompt */
      continue;
    }
    if (!got) { /* Ctrl-D (libedit showed "^D"): leave on a fresh line */
      fputc('\n', stdout);
      break;
    }
    char *line = strdup(got);
    if (!line) {
      fprintf(stdout, "out of memory for the command line\n");
      continue;
    }
    line[strcspn(line, "\r\n")] = 0;
    if (line[strspn(line, " \t")] == 0) { /* empty: repeat, as gdb does */
      free(line);
      char again[4096];
      if (!r.last || !mon_repeat_line(r.last, again, sizeof again)) continue;
      line = strdup(again);
      if (!line) continue;
    } else {
      HistEvent ev;
      history(r.hist, &ev, H_ENTER, line);
      free(r.last);
      r.last = strdup(line);
    }
    *run_flag = 0; /* a Ctrl-C at the prompt must not stop this command */
    mon_status st = mon_exec(s, line, stdout);
    free(line);
    if (st == MON_QUIT) break;
  }
  fflush(stdout);
  sigaction(SIGINT, &old, NULL);
  save_history(&r);
  repl_free(&r);
  return true;
}
