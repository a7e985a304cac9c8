/* `pvlab run`: a guest headless, console on stdin/stdout, diagnostics and
 * statistics on stderr, the outcome in the exit status. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "monitor/cli.h"
#include "pvabi/hcall.h"

static double host_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void log_to_stderr(void *ctx, const char *text) {
  (void)ctx;
  fprintf(stderr, "pvlab: guest log: %s\n", text);
}

static void print_stats(const machine *m, double seconds) {
  uint64_t insns = m->cpu.s.icount;
  uint64_t ns = dev_timer_now(&m->dev.timer, insns);
  fprintf(stderr,
          "pvlab: instructions   %" PRIu64 "\n"
          "pvlab: virtual time   %" PRIu64 ".%09" PRIu64 " s\n"
          "pvlab: host seconds   %.6f\n"
          "pvlab: guest MIPS     %.1f\n"
          "pvlab: hypercalls     %" PRIu64 "\n"
          "pvlab: state hash     %016" PRIx64 "\n",
          insns, ns / 1000000000u, ns % 1000000000u, seconds,
          seconds > 0 ? (double)insns / seconds / 1e6 : 0.0,
          m->stats.hcalls, machine_state_hash(m));
}

/* Turns the way the machine stopped into a message and an exit status. */
static int outcome(const machine *m, uint64_t max_insns) {
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
    fprintf(stderr, "pvlab: guest fault: %s\n", text);
    return CLI_EXIT_FAULT;
  case MACHINE_STOP_LIMIT:
    machine_format_addr(m, m->cpu.s.pc, where, sizeof where);
    fprintf(stderr, "pvlab: instruction limit reached: %" PRIu64
            " instructions executed, stopped at %s; raise --max-insns if "
            "the guest needs more\n", max_insns, where);
    return CLI_EXIT_LIMIT;
  case MACHINE_STOP_EBREAK:
  case MACHINE_STOP_BREAK:
    machine_format_addr(m, m->cpu.s.pc, where, sizeof where);
    fprintf(stderr, "pvlab: guest %s at %s; 'pvlab run' has no debugger, so "
            "the run ends here (use 'pvlab debug' to stop into one)\n",
            m->stop == MACHINE_STOP_EBREAK ? "hit ebreak" : "called debug_break",
            where);
    return CLI_EXIT_BREAK;
  case MACHINE_STOP_HOST_ERROR:
    fprintf(stderr, "pvlab: %s\n", m->host_error.msg);
    return CLI_EXIT_HOST;
  case MACHINE_STOP_NONE: break;
  }
  return CLI_EXIT_HOST;
}

int cli_run(int argc, char **argv) {
  cli_machine_opts opts;
  if (!cli_parse_machine_opts(argc, argv, &opts, "run")) return CLI_EXIT_HOST;
  /* a closed stdout must become an error the guest sees, not a kill */
  signal(SIGPIPE, SIG_IGN);

  machine m;
  pvl_error err;
  if (!machine_init(&m, &opts.cfg, &err) ||
      !machine_load_elf(&m, opts.guest, &err)) {
    fprintf(stderr, "pvlab: %s\n", err.msg);
    machine_free(&m);
    return CLI_EXIT_HOST;
  }
  dev_console_fd fds = {.in_fd = STDIN_FILENO, .out_fd = STDOUT_FILENO};
  m.console_io = dev_console_fd_backend(&fds);
  m.log_io = (dev_log_backend){NULL, log_to_stderr};

  double start = host_seconds();
  machine_run(&m, opts.max_insns ? opts.max_insns : UINT64_MAX);
  double seconds = host_seconds() - start;

  int status = outcome(&m, opts.max_insns);
  if (opts.stats) print_stats(&m, seconds);
  machine_free(&m);
  return status;
}
