/* `pvlab debug`: the guest stopped at its entry point in the monitor.
 *
 * How the guest and the monitor share one terminal:
 *  - Output: both go to stdout as it happens.  The guest's bytes are
 *    written raw; every message of the monitor starts on a line of its own
 *    (it ends a line the guest left unfinished first).
 *  - Input at the prompt belongs to the monitor (libedit, repl.c).
 *  - Input while a command runs the guest (continue, stepi...) belongs to
 *    the guest: its console polls the terminal, as under `pvlab run`; Ctrl-C
 *    stops the guest and brings the prompt back.
 *  - When stdin is not a terminal it carries the monitor's commands, so the
 *    guest gets its input from --console-input FILE, or sees end of input.
 * Scripts (-x) and piped commands stop at their first error unless
 * --keep-going; the exit status tells a script whether that happened.
 * With --record the session's history becomes a bundle when it ends; and
 * `pvlab replay --debug` opens the same session on a bundle. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "gdb.h"
#include "bundle.h"

enum { CLI_DEBUG_FAILED = 1 }; /* a script or piped command failed */

/* The guest's console under the monitor: dev_console_fd, plus what the
 * monitor needs of it. */
typedef struct debug_console {
  dev_console_fd fd;
  dev_console_backend inner;
  bool no_input; /* stdin carries commands: the guest sees end of input */
  volatile sig_atomic_t *interrupt;
  const machine *m;
  bool from_file; /* --console-input: rewound when the guest restarts */
  uint64_t offset;  /* how far into it the guest has read */
  uint64_t base;    /* what the guest had read before the file's first
                       byte: a --load snapshot's console count */
} debug_console;

/* The monitor's buffered messages first, so the two stay in order. */
static bool con_write(void *ctx, const uint8_t *buf, size_t len) {
  debug_console *c = ctx;
  fflush(stdout);
  return c->inner.write(c->inner.ctx, buf, len);
}

/* restart and load start a fresh machine, which has read nothing: the
 * file goes back to its start, so every run of the guest sees the same
 * input.  (From a snapshot, the file is what comes after it.) */
static long con_read(void *ctx, uint8_t *buf, size_t len) {
  debug_console *c = ctx;
  if (c->no_input) return 0;
  uint64_t in = c->m->dev.console.bytes_in;
  uint64_t read_so_far = in > c->base ? in - c->base : 0;
  if (c->from_file && read_so_far < c->offset &&
      lseek(c->fd.in_fd, (off_t)read_so_far, SEEK_SET) >= 0) {
    c->offset = read_so_far;
  }
  long n = c->inner.read(c->inner.ctx, buf, len);
  if (n > 0) c->offset += (uint64_t)n;
  return n;
}

/* A guest waiting for a terminal must still stop at Ctrl-C: the fd
 * console has the interrupt flag (dev_console_fd.interrupt). */
static bool con_ready(void *ctx, bool wait) {
  debug_console *c = ctx;
  if (c->no_input) return true;
  return c->inner.ready(c->inner.ctx, wait);
}

static volatile sig_atomic_t *sigint_flag;

static void on_sigint(int sig) {
  (void)sig;
  *sigint_flag = 1;
}

static bool is_directory(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Before anything starts: that a file named on the command line can be
 * read (prints why not). */
static bool readable(const char *cmd, const char *option, const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  bool dir = fd >= 0 && is_directory(fd);
  if (fd < 0 || dir) {
    fprintf(stderr, "pvlab %s: %s %s: cannot open: %s\n", cmd, option, path,
            dir ? "it is a directory" : strerror(errno));
  }
  if (fd >= 0) close(fd);
  return fd >= 0 && !dir;
}

/* Runs one -x script; false when it failed with stop-on-error on (or could
 * not be opened: *host_failed). */
static mon_status run_script(mon *s, const char *path, bool *host_failed) {
  FILE *f = fopen(path, "r");
  if (!f || is_directory(fileno(f))) {
    fprintf(stderr, "pvlab debug: -x %s: cannot open: %s\n", path,
            f ? "it is a directory" : strerror(errno));
    if (f) fclose(f);
    *host_failed = true;
    return MON_ERROR;
  }
  mon_status st = mon_source(s, f, path, stdout);
  fclose(f);
  return st;
}

/* The session after the machine is up and the banner: scripts, then
 * commands from the terminal or stdin.  Returns the exit status. */
static int session(mon *s, const cli_machine_opts *opts, bool interactive) {
  mon_show_next(s, stdout);
  fflush(stdout);
  int status = 0;
  for (unsigned i = 0; i < opts->nscripts; i++) {
    bool host_failed = false;
    mon_status st = run_script(s, opts->scripts[i], &host_failed);
    if (host_failed) return CLI_EXIT_HOST;
    if (st == MON_QUIT) return status;
    if (st == MON_ERROR && mon_stop_on_error(s)) {
      status = CLI_DEBUG_FAILED;
      /* at a terminal the prompt comes up, to look at what went wrong */
      if (!interactive) return status;
      break;
    }
  }
  if (interactive && cli_repl(s)) return status;
  /* commands from a pipe or file, one a line, with no prompt */
  mon_status st = mon_source(s, stdin, "stdin", stdout);
  if (st == MON_ERROR && mon_stop_on_error(s)) status = CLI_DEBUG_FAILED;
  return status;
}

/* Ctrl-C (or a driving program's SIGINT) stops the running command;
 * SA_RESTART keeps stdin's reads going.  repl.c has its own. */
static int session_with_sigint(mon *s, const cli_machine_opts *opts, bool interactive) {
  struct sigaction sa = {.sa_handler = on_sigint, .sa_flags = SA_RESTART}, old;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old);
  int status = session(s, opts, interactive);
  fflush(stdout);
  sigaction(SIGINT, &old, NULL);
  return status;
}

/* --gdb: gdb drives the monitor instead of a prompt (gdb/net.c). */
static int serve_gdb(mon *s, const cli_machine_opts *opts, const char *guest, uint64_t end) {
  gdb_opts o = {opts->gdb_port, opts->gdb_listen, guest, end};
  mon_show_next(s, stdout);
  return gdb_serve(s, &o);
}

/* --record: the bundle, once the session is over. */
static bool save_recording(mon *s, const char *path) {
  host_error err;
  if (!mon_record_save(s, path, &err)) {
    fprintf(stderr, "pvlab debug: --record %s: %s\n", path, err.msg);
    return false;
  }
  struct stat st;
  if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
    printf("pvlab debug: the session is recorded in %s ('pvlab replay %s' replays it)\n",
           path, path);
  } else { /* a FIFO or device: there is no file to replay */
    printf("pvlab debug: the session is recorded into %s\n", path);
  }
  return true;
}

/* Where the session's commands come from: the prompt, or gdb's monitor. */
static const char *commands_hint(const cli_machine_opts *opts) {
  return opts->gdb ? "in gdb, 'monitor help' lists pvlab's commands"
                   : "'help' lists the commands";
}

/* The machine and its monitor around a session; returns the exit status. */
static int debug_machine(const cli_machine_opts *opts, debug_console *con,
                         bool interactive) {
  machine m;
  cli_display display;
  if (!cli_machine_start(&m, &display, opts, &con->fd, "debug")) return CLI_EXIT_HOST;
  con->inner = m.console_io;
  con->m = &m;
  con->base = m.dev.console.bytes_in;
  m.console_io = (dev_console_backend){con, con_write, con_read, con_ready};
  int status = CLI_EXIT_HOST;
  /* what restart loads again: the ELF, or the snapshot */
  mon *s = mon_new(&m, opts->guest ? opts->guest : opts->load);
  host_error err;
  if (!s) {
    fprintf(stderr, "pvlab debug: out of memory for the monitor\n");
  } else if (opts->record && !mon_record_start(s, &err)) {
    fprintf(stderr, "pvlab debug: --record %s: %s\n", opts->record, err.msg);
  } else {
    con->interrupt = con->fd.interrupt = sigint_flag = mon_interrupt_flag(s);
    if (opts->keep_going) mon_set_stop_on_error(s, false);
    if (opts->load) {
      printf("pvlab debug: %s from snapshot %s is stopped at icount %" PRIu64 "; %s\n",
             m.elf.name ? m.elf.name : "the guest", opts->load, m.cpu.s.icount,
             commands_hint(opts));
    } else {
      printf("pvlab debug: %s is stopped at its entry point; %s\n", opts->guest,
             commands_hint(opts));
    }
    status = opts->gdb ? serve_gdb(s, opts, opts->guest, UINT64_MAX)
                       : session_with_sigint(s, opts, interactive);
    if (opts->record && !save_recording(s, opts->record)) status = CLI_EXIT_HOST;
  }
  mon_free(s);
  if (!cli_machine_finish(&m, &display, opts)) status = CLI_EXIT_HOST;
  machine_free(&m);
  return status;
}

/* --at-end: the replay run to where the recording ended, through the
 * monitor, so its history (and reverse execution) covers the whole run
 * and the stop is reported as any other. */
static void go_to_end(mon *s, const char *bundle, const replay_player *p) {
  uint64_t at = p->m->cpu.s.icount, target = replay_bundle_end_limit(&p->end);
  printf("pvlab replay: %s: running to where the recording ends (icount %" PRIu64
         ")\n", bundle, p->end.icount);
  if (target > at) {
    char cmd[64];
    snprintf(cmd, sizeof cmd, "run-until %" PRIu64, target);
    mon_exec(s, cmd, stdout);
  }
  printf("pvlab replay: this is where the recording ends; reverse-stepi and "
         "reverse-continue go back from here, 'help' lists the commands\n");
}

/* The monitor on a replay: the player's tap is the session's history, so
 * the guest's input is the recording's alone; its output is shown the
 * first time the guest gets to it. */
static int debug_replay(const char *bundle, machine *m, debug_console *con,
                        bool interactive, bool at_end, const cli_machine_opts *mopts) {
  replay_player p;
  host_error err;
  if (!replay_play_open(&p, m, bundle, &err)) {
    fprintf(stderr, "pvlab replay: %s\n", err.msg);
    return CLI_EXIT_HOST;
  }
  dev_frame frame = {0};
  int status = CLI_EXIT_HOST;
  mon *s = NULL;
  if (!dev_frame_init(&frame, m->cfg.display_width, m->cfg.display_height) ||
      !(s = mon_new_on_tap(m, bundle, &p.tap))) {
    fprintf(stderr, "pvlab replay: out of memory for the monitor\n");
  } else {
    m->display_io = dev_frame_backend(&frame);
    con->interrupt = con->fd.interrupt = sigint_flag = mon_interrupt_flag(s);
    if (at_end) {
      go_to_end(s, bundle, &p);
    } else {
      printf("pvlab replay: %s is stopped where the recording starts (icount %" PRIu64
             "; it ends at icount %" PRIu64 "); %s\n", bundle, m->cpu.s.icount,
             p.end.icount, commands_hint(mopts));
    }
    if (mopts->keep_going) mon_set_stop_on_error(s, false);
    /* gdb goes forward to where the recording ends (replaylog:end) */
    status = mopts->gdb ? serve_gdb(s, mopts, m->elf.name, replay_bundle_end_limit(&p.end))
                        : session_with_sigint(s, mopts, interactive);
  }
  mon_free(s);
  dev_frame_free(&frame);
  replay_play_free(&p);
  return status;
}

int cli_debug_bundle(const char *bundle, bool at_end, const cli_machine_opts *mopts) {
  for (unsigned i = 0; i < mopts->nscripts; i++) {
    if (!readable("replay", "-x", mopts->scripts[i])) return CLI_EXIT_HOST;
  }
  signal(SIGPIPE, SIG_IGN);
  machine m;
  machine_config cfg = {.mem_mib = 1}; /* the recording says how much */
  host_error err;
  if (!machine_init(&m, &cfg, &err)) {
    fprintf(stderr, "pvlab replay: %s\n", err.msg);
    return CLI_EXIT_HOST;
  }
  bool interactive = isatty(STDIN_FILENO);
  debug_console con = {.fd = {.in_fd = STDIN_FILENO, .out_fd = STDOUT_FILENO},
                       .no_input = true, .m = &m};
  con.inner = dev_console_fd_backend(&con.fd);
  m.console_io = (dev_console_backend){&con, con_write, con_read, con_ready};
  m.log_io = cli_log_backend();
  int status = debug_replay(bundle, &m, &con, interactive, at_end, mopts);
  machine_free(&m);
  return status;
}

int cli_debug(int argc, char **argv) {
  cli_machine_opts opts;
  if (!cli_parse_machine_opts(argc, argv, &opts, "debug")) return CLI_EXIT_HOST;
  if (opts.max_insns || opts.stats) {
    fprintf(stderr, "pvlab debug: %s is for 'pvlab run'; in the monitor, %s\n",
            opts.stats ? "--stats" : "--max-insns",
            opts.stats ? "'info stats' shows them" : "'run-until ICOUNT' stops at a count");
    return CLI_EXIT_HOST;
  }
  for (unsigned i = 0; i < opts.nscripts; i++) {
    if (!readable("debug", "-x", opts.scripts[i])) return CLI_EXIT_HOST;
  }
  if (opts.console_input && !readable("debug", "--console-input", opts.console_input)) {
    return CLI_EXIT_HOST;
  }
  /* a closed stdout must become an error the guest sees, not a kill */
  signal(SIGPIPE, SIG_IGN);
  bool interactive = isatty(STDIN_FILENO);
  debug_console con = {.fd = {.in_fd = STDIN_FILENO, .out_fd = STDOUT_FILENO},
                       .no_input = !interactive};
  if (!opts.console_input) return debug_machine(&opts, &con, interactive);
  con.fd.in_fd = open(opts.console_input, O_RDONLY | O_CLOEXEC);
  if (con.fd.in_fd < 0) {
    fprintf(stderr, "pvlab debug: --console-input %s: cannot open: %s\n",
            opts.console_input, strerror(errno));
    return CLI_EXIT_HOST;
  }
  con.no_input = false;
  con.from_file = true;
  int status = debug_machine(&opts, &con, interactive);
  close(con.fd.in_fd);
  return status;
}
