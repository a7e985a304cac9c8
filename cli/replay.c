/* `pvlab replay BUNDLE`: the recorded run again, from the bundle alone.
 * No terminal, no window: the guest's input comes from the recording, its
 * console output goes to stdout as it did, and the stored state hashes
 * are compared on the way.  The exit status is the recorded run's, or
 * CLI_EXIT_DIVERGED with the first point known to differ. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "bundle.h"

typedef struct replay_opts {
  const char *bundle;
  const char *screenshot;
  bool stats, quiet, debug, at_end;
  /* the monitor's options, as for pvlab debug: -x SCRIPT, --keep-going;
   * --gdb PORT, --gdb-listen ADDR: serve gdb */
  cli_machine_opts mon;
} replay_opts;

static bool parse(int argc, char **argv, replay_opts *o) {
  memset(o, 0, sizeof *o);
  for (int i = 0; i < argc; i++) {
    bool taken;
    if (!cli_monitor_opt("replay", argc, argv, &i, &o->mon, &taken)) return false;
    if (o->mon.gdb) o->debug = true; /* --gdb serves the monitor */
    if (taken) continue;
    if (strcmp(argv[i], "--stats") == 0) o->stats = true;
    else if (strcmp(argv[i], "--quiet") == 0) o->quiet = true;
    else if (strcmp(argv[i], "--debug") == 0) o->debug = true;
    else if (strcmp(argv[i], "--at-end") == 0) o->at_end = true;
    else if (strcmp(argv[i], "--screenshot") == 0 && i + 1 < argc) o->screenshot = argv[++i];
    else if (argv[i][0] == '-' && argv[i][1]) {
      fprintf(stderr, "pvlab replay: unknown option '%s'; see 'pvlab help replay'\n",
              argv[i]);
      return false;
    } else if (o->bundle) {
      fprintf(stderr, "pvlab replay: one bundle at a time ('%s' and '%s')\n",
              o->bundle, argv[i]);
      return false;
    } else {
      o->bundle = argv[i];
    }
  }
  if (!o->bundle) {
    fprintf(stderr, "pvlab replay: which recording? usage: pvlab replay BUNDLE "
            "[--debug [--at-end] [-x SCRIPT]... [--keep-going]] [--gdb PORT] [--stats] "
            "[--quiet] [--screenshot FILE]\n");
    return false;
  }
  if (o->at_end && !o->debug) {
    fprintf(stderr, "pvlab replay: --at-end is for the monitor: pvlab replay "
            "--debug --at-end %s (a plain replay always runs to the end)\n", o->bundle);
    return false;
  }
  if ((o->mon.nscripts || o->mon.keep_going) && !o->debug) {
    fprintf(stderr, "pvlab replay: %s is for the monitor: pvlab replay --debug %s %s\n",
            o->mon.nscripts ? "-x" : "--keep-going",
            o->mon.nscripts ? "-x SCRIPT" : "--keep-going", o->bundle);
    return false;
  }
  return true;
}

int cli_replay(int argc, char **argv) {
  replay_opts o;
  if (!parse(argc, argv, &o)) return CLI_EXIT_HOST;
  if (o.debug) return cli_debug_bundle(o.bundle, o.at_end, &o.mon);
  signal(SIGPIPE, SIG_IGN);
  machine m;
  machine_config cfg = {.mem_mib = 1};
  host_error err;
  if (!machine_init(&m, &cfg, &err)) {
    fprintf(stderr, "pvlab: %s\n", err.msg);
    return CLI_EXIT_HOST;
  }
  dev_console_fd fds = {.in_fd = STDIN_FILENO, .out_fd = STDOUT_FILENO};
  dev_console_mem none = {0};
  m.console_io = o.quiet ? dev_console_mem_backend(&none) : dev_console_fd_backend(&fds);
  m.log_io = cli_log_backend();
  replay_player p;
  if (!replay_play_open(&p, &m, o.bundle, &err)) {
    fprintf(stderr, "pvlab: %s\n", err.msg);
    machine_free(&m);
    return CLI_EXIT_HOST;
  }
  dev_frame frame = {0};
  if (!dev_frame_init(&frame, m.cfg.display_width, m.cfg.display_height)) {
    fprintf(stderr, "pvlab: out of memory for the display\n");
    replay_play_free(&p);
    machine_free(&m);
    return CLI_EXIT_HOST;
  }
  m.display_io = dev_frame_backend(&frame);

  replay_play_run(&p, UINT64_MAX);
  bool same = replay_play_finish(&p);
  int status;
  if (same && replay_bundle_end_paused(p.end.stop)) {
    char where[200];
    machine_format_addr(&m, m.cpu.s.pc, where, sizeof where);
    /* a run that Ctrl-C ended replays with its status; a debug session
     * that ended with the guest still running is no failure */
    bool ctrl_c = p.end.stop == MACHINE_STOP_INTERRUPT;
    fprintf(stderr, "pvlab: the recording ends at icount %" PRIu64 ", %s, where "
            "%s; 'pvlab replay --debug %s' goes on from there\n", m.cpu.s.icount,
            where, ctrl_c ? "Ctrl-C ended the recorded run (exit status 130, as it had)"
                          : "the debug session that made it ended, the guest still running",
            o.bundle);
    status = ctrl_c ? CLI_EXIT_INTERRUPTED : 0;
  } else if (same) {
    status = cli_outcome(&m, m.cpu.s.icount);
  }
  if (same) {
    fprintf(stderr, "pvlab: replay matched the recording: %" PRIu64 " instructions, "
            "%" PRIu64 " state hashes checked on the way, final state hash "
            "%016" PRIx64 "\n", m.cpu.s.icount, p.checked, p.end.hash);
  } else {
    char where[200];
    machine_format_addr(&m, m.cpu.s.pc, where, sizeof where);
    fprintf(stderr, "pvlab: replay diverged: %s; stopped at icount %" PRIu64
            ", %s. The bundle was changed, or this pvlab runs the guest "
            "differently from the one that recorded it\n", p.why,
            m.cpu.s.icount, where);
    status = CLI_EXIT_DIVERGED;
  }
  if (o.screenshot) {
    if (!dev_png_write(o.screenshot, frame.pixels, frame.width, frame.height, &err)) {
      fprintf(stderr, "pvlab replay: --screenshot %s: %s\n", o.screenshot, err.msg);
      status = CLI_EXIT_HOST;
    }
  }
  if (o.stats) machine_print_stats(&m, stderr, "pvlab: ", -1);
  dev_frame_free(&frame);
  replay_play_free(&p);
  dev_console_mem_free(&none);
  machine_free(&m);
  return status;
}
