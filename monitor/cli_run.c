/* `pvlab run`: a guest headless, console on stdin/stdout, diagnostics and
 * statistics on stderr, the outcome in the exit status. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "monitor/cli.h"
#include "pvabi/hcall.h"
#include "replay/bundle.h"
#include "snapshot/snapshot.h"

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

/* Turns the way the machine stopped into a message and an exit status. */
int cli_outcome(const machine *m, uint64_t max_insns) {
  char text[1024], where[200];
  switch (m->stop) {
  case MACHINE_STOP_SHUTDOWN: {
    uint32_t code = m->dev.power.exit_code;
    if (code <= CLI_EXIT_GUEST_MAX) return (int)code;
    fprintf(stderr, "pvlab: guest exited with code %" PRIu32 ", outside 0-%d; "
            "exit status %d stands for it\n", code, CLI_EXIT_GUEST_MAX,
            CLI_EXIT_CODE_RANGE);
    return CLI_EXIT_CODE_RANGE;
  }
  case MACHINE_STOP_FAULT:
    machine_describe_fault(m, text, sizeof text);
    /* once a kernel registered its trap frame, a kernel-mode fault is the
     * kernel's own bug: nothing above it can handle it */
    fprintf(stderr, "pvlab: %s: %s\n", m->dev.vcpu.registered
            ? "kernel panic (fault in kernel mode)" : "guest fault", text);
    return CLI_EXIT_FAULT;
  case MACHINE_STOP_LIMIT:
    machine_format_addr(m, m->cpu.s.pc, where, sizeof where);
    fprintf(stderr, "pvlab: instruction limit reached: %" PRIu64
            " instructions executed, stopped at %s; raise --max-insns if "
            "the guest needs more\n", max_insns, where);
    return CLI_EXIT_LIMIT;
  case MACHINE_STOP_INTERRUPT: /* run --record: Ctrl-C ends the run */
    machine_format_addr(m, m->cpu.s.pc, where, sizeof where);
    fprintf(stderr, "pvlab: interrupted (Ctrl-C) at icount %" PRIu64 ", %s\n",
            m->cpu.s.icount, where);
    return CLI_EXIT_INTERRUPTED;
  case MACHINE_STOP_BREAKPOINT: /* only a debugger sets these */
  case MACHINE_STOP_WATCH:
  case MACHINE_STOP_CATCH_HCALL:
  case MACHINE_STOP_CATCH_TRAP:
  case MACHINE_STOP_EBREAK:
  case MACHINE_STOP_BREAK:
    machine_format_addr(m, m->cpu.s.pc, where, sizeof where);
    fprintf(stderr, "pvlab: guest %s at %s; 'pvlab run' has no debugger, so "
            "the run ends here (use 'pvlab debug' to stop into one)\n",
            m->stop == MACHINE_STOP_EBREAK ? "hit ebreak" : "called debug_break",
            where);
    return CLI_EXIT_BREAK;
  case MACHINE_STOP_DEADLOCK:
    if (m->dev.input.quit && (m->deadlock_events & PV_EV_INPUT)) {
      fprintf(stderr, "pvlab: the display window was closed and the guest "
              "waits for input that can no longer come; the run ends here\n");
      return 0;
    }
    machine_format_addr(m, m->cpu.s.pc, where, sizeof where);
    fprintf(stderr, "pvlab: deadlock: the guest waits at %s for events "
            "(mask 0x%x) that can never come: %s%s%s; arm the timer or wait "
            "for something else\n", where, m->deadlock_events,
            (m->deadlock_events & PV_EV_CONSOLE)
                ? "the timer is not armed and console input has ended"
                : "the timer is not armed",
            (m->deadlock_events & PV_EV_DISK)
                ? ", and disk requests complete within their hypercall, so "
                  "PV_EV_DISK only follows a disk_read, disk_write or disk_flush"
                : "",
            (m->deadlock_events & PV_EV_INPUT)
                ? ", and no input can come: no display window is open "
                  "(--headless or no display server) and --keys has no more"
                : "");
    return CLI_EXIT_DEADLOCK;
  case MACHINE_STOP_CLOSED:
    fprintf(stderr, "pvlab: the display window was closed and the guest did "
            "not shut down within %u ms of virtual time after its QUIT input "
            "event; the run ends here\n", MACHINE_QUIT_GRACE_NS / 1000000u);
    return 0;
  case MACHINE_STOP_HOST_ERROR:
    fprintf(stderr, "pvlab: %s\n", m->host_error.msg);
    return CLI_EXIT_HOST;
  case MACHINE_STOP_NONE: break;
  }
  return CLI_EXIT_HOST;
}

bool cli_machine_start(machine *m, cli_display *d, const cli_machine_opts *opts,
                       dev_console_fd *console, const char *cmd) {
  pvl_error err;
  machine_config any = {.mem_mib = 1}; /* --load: the snapshot says */
  bool ok = opts->load
                ? machine_init(m, &any, &err) && snap_load(m, opts->load, &err)
                : machine_init(m, &opts->cfg, &err) &&
                      machine_load_elf(m, opts->guest, &err) &&
                      (!opts->disk ||
                       machine_disk_attach(m, opts->disk, opts->disk_write, &err));
  if (!ok) fprintf(stderr, "pvlab: %s\n", err.msg);
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
  pvl_error err;
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

  recorder rec;
  pvl_error err;
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
  if (opts.record && !rec_start(&rec, &m, opts.hash_interval, &err)) {
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
    if (rec_save(&rec, opts.record, &err)) {
      fprintf(stderr, "pvlab: recorded %" PRIu64 " instructions in %s; "
              "'pvlab replay %s' runs it again\n", m.cpu.s.icount, opts.record,
              opts.record);
    } else {
      fprintf(stderr, "pvlab: %s\n", err.msg);
      status = CLI_EXIT_HOST;
    }
    rec_free(&rec);
  }
  if (!cli_machine_finish(&m, &display, &opts)) status = CLI_EXIT_HOST;
  if (opts.stats) machine_print_stats(&m, stderr, "pvlab: ", seconds);
  machine_free(&m);
  return status;
}
