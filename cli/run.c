/* `pvlab run`: a guest headless, console on stdin/stdout, diagnostics and
 * statistics on stderr, the outcome in the exit status. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "bundle.h"
#include "snapshot.h"

static double host_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void log_to_stderr(void *ctx, const char *text) {
  (void)ctx;
  fprintf(stderr, "pvlab: guest log: %s\n", text);
}

dev_log_backend cli_log_backend(void) { return (dev_log_backend){NULL, log_to_stderr}; }

/* The exit status of each way a run can end (a shutdown passes its code). */
static const int stop_status[] = {
  [MACHINE_STOP_NONE] = CLI_EXIT_HOST,
  [MACHINE_STOP_FAULT] = CLI_EXIT_FAULT,
  [MACHINE_STOP_LIMIT] = CLI_EXIT_LIMIT,
  [MACHINE_STOP_EBREAK] = CLI_EXIT_BREAK,
  [MACHINE_STOP_BREAK] = CLI_EXIT_BREAK,
  [MACHINE_STOP_BREAKPOINT] = CLI_EXIT_BREAK, /* only a debugger sets these */
  [MACHINE_STOP_WATCH] = CLI_EXIT_BREAK,
  [MACHINE_STOP_CATCH_HCALL] = CLI_EXIT_BREAK,
  [MACHINE_STOP_CATCH_TRAP] = CLI_EXIT_BREAK,
  [MACHINE_STOP_HOST_ERROR] = CLI_EXIT_HOST,
  [MACHINE_STOP_DEADLOCK] = CLI_EXIT_DEADLOCK,
  [MACHINE_STOP_CLOSED] = 0, /* the user closed the window: not an error */
  [MACHINE_STOP_INTERRUPT] = CLI_EXIT_INTERRUPTED, /* run --record: Ctrl-C */
};

/* Turns the way the machine stopped into a message and an exit status;
 * the message is machine_describe_stop's, which the grader shows too. */
int cli_outcome(const machine *m, uint64_t max_insns) {
  if (m->stop == MACHINE_STOP_SHUTDOWN) {
    uint32_t code = m->dev.power.exit_code;
    if (code <= CLI_EXIT_GUEST_MAX) return (int)code;
    fprintf(stderr, "pvlab: guest exited with code %" PRIu32 ", outside 0-%d; "
            "exit status %d stands for it\n", code, CLI_EXIT_GUEST_MAX,
            CLI_EXIT_CODE_RANGE);
    return CLI_EXIT_CODE_RANGE;
  }
  char text[1536];
  machine_describe_stop(m, max_insns, text, sizeof text);
  fprintf(stderr, "pvlab: %s\n", text);
  /* a closed window leaves a guest waiting for input: the user ended it */
  if (m->stop == MACHINE_STOP_DEADLOCK && m->dev.input.quit &&
      (m->deadlock_events & PV_EV_INPUT)) {
    return 0;
  }
  size_t n = sizeof stop_status / sizeof stop_status[0];
  return (size_t)m->stop < n ? stop_status[m->stop] : CLI_EXIT_HOST;
}

/* What attaching the disk found beside its image: the temporary files of
 * --disk-write saves that were killed (devices/disk_lock.c). */
static void disk_notes(const dev_disk_host *h) {
  if (h->strays_removed) {
    fprintf(stderr, "pvlab: removed %u temporary file%s ('%s.pvlab-XXXXXX') "
            "left beside disk image '%s' by an interrupted --disk-write "
            "save\n", h->strays_removed, h->strays_removed == 1 ? "" : "s",
            h->target, h->path);
  }
  if (h->strays_left) {
    bool one = h->strays_left == 1;
    fprintf(stderr, "pvlab: note: %u temporary file%s ('%s.pvlab-XXXXXX') "
            "of an interrupted --disk-write save lie%s beside disk image "
            "'%s'; the next --disk-write run on it removes %s (or delete "
            "%s)\n", h->strays_left, one ? "" : "s", h->target,
            one ? "s" : "", h->path, one ? "it" : "them", one ? "it" : "them");
  }
}

bool cli_machine_start(machine *m, cli_display *d, const cli_machine_opts *opts,
                       dev_console_fd *console, const char *cmd) {
  host_error err;
  machine_config any = {.mem_mib = 1}; /* --load: the snapshot says */
  bool ok = opts->load
                ? machine_init(m, &any, &err) && snap_load(m, opts->load, &err)
                : machine_init(m, &opts->cfg, &err) &&
                      machine_load_elf(m, opts->guest, &err) &&
                      (!opts->disk ||
                       machine_disk_attach(m, opts->disk, opts->disk_write, &err));
  if (!ok) fprintf(stderr, "pvlab: %s\n", err.msg);
  if (ok && opts->disk) disk_notes(&m->disk_host);
  if (!ok || !cli_check_counts(m, opts, cmd)) {
    machine_free(m);
    return false;
  }
  m->console_io = dev_console_fd_backend(console);
  m->log_io = cli_log_backend();
  if (!cli_display_start(d, m, opts, cmd)) {
    machine_free(m);
    return false;
  }
  snap_show_display(m); /* a restored guest's frame, in the new window */
  return true;
}

bool cli_machine_finish(machine *m, cli_display *d, const cli_machine_opts *opts) {
  bool ok = true;
  host_error err;
  /* --disk-write: whatever stopped the guest, its writes were made */
  if (!machine_disk_commit(m, &err)) {
    fprintf(stderr, "pvlab: %s\n", err.msg);
    ok = false;
  }
  if (!cli_display_finish(d, opts)) ok = false;
  return ok;
}

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) {
  (void)sig;
  interrupted = 1;
}

int cli_run(int argc, char **argv) {
  cli_machine_opts opts;
  if (!cli_parse_machine_opts(argc, argv, &opts, "run")) return CLI_EXIT_HOST;
  /* a closed stdout must become an error the guest sees, not a kill */
  signal(SIGPIPE, SIG_IGN);

  machine m;
  cli_display display;
  dev_console_fd fds = {.in_fd = STDIN_FILENO, .out_fd = STDOUT_FILENO};
  if (!cli_machine_start(&m, &display, &opts, &fds, "run")) return CLI_EXIT_HOST;

  replay_recorder rec;
  host_error err;
  if (opts.record) {
    /* Ctrl-C ends a recorded run with its bundle written, not lost: a
     * hang is worth recording too */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    m.dbg.interrupt = &interrupted;
    fds.interrupt = &interrupted;
  }
  if (opts.record && !replay_record_start(&rec, &m, opts.hash_interval, &err)) {
    fprintf(stderr, "pvlab: cannot record: %s\n", err.msg);
    cli_machine_finish(&m, &display, &opts);
    machine_free(&m);
    return CLI_EXIT_HOST;
  }
  double start = host_seconds();
  bool saved;
  cli_run_snapshots(&m, &opts, opts.record ? &rec : NULL,
                    opts.max_insns ? opts.max_insns : UINT64_MAX, &saved);
  double seconds = host_seconds() - start;

  int status = cli_outcome(&m, opts.max_insns);
  if (!saved) status = CLI_EXIT_HOST;
  if (opts.record) {
    /* the recording matters most when the run failed: write it anyway */
    struct stat st;
    if (!replay_record_save(&rec, opts.record, &err)) {
      fprintf(stderr, "pvlab run: --record %s: %s\n", opts.record, err.msg);
      status = CLI_EXIT_HOST;
    } else if (stat(opts.record, &st) == 0 && S_ISREG(st.st_mode)) {
      fprintf(stderr, "pvlab: recorded %" PRIu64 " instructions in %s; "
              "'pvlab replay %s' runs it again\n", m.cpu.s.icount, opts.record,
              opts.record);
    } else { /* a FIFO or device: there is no file to replay */
      fprintf(stderr, "pvlab: recorded %" PRIu64 " instructions into %s\n",
              m.cpu.s.icount, opts.record);
    }
    replay_record_free(&rec);
  }
  if (!cli_machine_finish(&m, &display, &opts)) status = CLI_EXIT_HOST;
  if (opts.stats) machine_print_stats(&m, stderr, "pvlab: ", seconds);
  machine_free(&m);
  return status;
}
