/* pvlab: the command table and main. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pvabi.h"

static int cli_help(int argc, char **argv);
static int cli_version(int argc, char **argv);

typedef struct cli_command {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *usage;
  const char *help;
} cli_command;

static const cli_command commands[] = {
  {"run", cli_run, "run GUEST.elf [--mem MIB] [--seed N] [--jitter] [--max-insns N] [--stats]"
   " [--disk IMAGE [--disk-write]] [--headless] [--screenshot FILE]"
   " [--display WxH] [--keys KEYS] [--snapshot-at ICOUNT FILE]..."
   " [--record BUNDLE [--hash-interval N]]\n"
   "           run --load SNAPSHOT [--max-insns N] [--stats] [--headless]"
   " [--screenshot FILE] [--keys KEYS] [--snapshot-at ICOUNT FILE]...",
   "Runs a guest with no debugger: guest console on stdin/stdout,\n"
   "diagnostics on stderr.\n"
   "  --mem MIB       guest RAM in MiB (default 32, at most 2048)\n"
   "  --seed N        seed for the machine's deterministic randomness\n"
   "  --jitter        the seed also varies the timer: the clock starts 0-1 ms\n"
   "                  in, each timer event comes 0-10 us late (docs/pvabi.md)\n"
   "  --max-insns N   stop after N instructions (K, M, G suffixes allowed)\n"
   "  --stats         print instructions, virtual time, host time, MIPS and\n"
   "                  the final state hash on stderr\n"
   "  --disk IMAGE    attach a raw disk image (size a multiple of 512); the\n"
   "                  guest's writes stay in memory, the file is not changed\n"
   "  --disk-write    save the guest's writes to IMAGE at each disk_flush and\n"
   "                  at the end (crash-safe: written anew, then renamed);\n"
   "                  one writing run per image: a second is refused\n"
   "  --headless      never open a window for the display, even with $DISPLAY\n"
   "  --screenshot FILE  save the display's last flushed frame as a PNG at the\n"
   "                  end of the run, however it ended\n"
   "  --display WxH   the framebuffer's size in pixels (default 640x480, each\n"
   "                  16 to 4096)\n"
   "  --keys KEYS     input events as if typed before the run began: a\n"
   "                  character presses its key (A-Z with shift), <up> <down>\n"
   "                  <left> <right> <enter> <esc> <space> <tab> <backspace>\n"
   "                  <delete> <home> <end> <pageup> <pagedown> <insert> <lt>\n"
   "                  <gt> <shift> <ctrl> <alt> <f1>..<f12> a named key,\n"
   "                  <click:X,Y> a left click at a pixel, <move:X,Y> a mouse\n"
   "                  move, <quit> closing the window\n"
   "  --snapshot-at ICOUNT FILE  save the whole machine to FILE when the\n"
   "                  instruction count reaches ICOUNT, and go on (repeatable)\n"
   "  --load SNAPSHOT go on from a snapshot instead of starting a guest: the\n"
   "                  file has the guest, its memory, seed, jitter, display\n"
   "                  and disk, so GUEST.elf and those options are\n"
   "                  refused with it; --max-insns counts from the guest's\n"
   "                  start; the console input is what comes after the\n"
   "                  snapshot (the saved run's earlier input is consumed)\n"
   "  --record BUNDLE record the run: its start and every input from outside\n"
   "                  (console bytes, keys, mouse, window), with the\n"
   "                  instruction at which the guest took it, in one file that\n"
   "                  'pvlab replay BUNDLE' runs again exactly, anywhere;\n"
   "                  written however the run ends (a crash is the point);\n"
   "                  Ctrl-C ends a recorded run, status 130, and keeps it\n"
   "  --hash-interval N  with --record, store a state hash every N\n"
   "                  instructions (default 4194304) for replay to check\n"
   "A window opens when the guest first calls fb_set, if $DISPLAY or\n"
   "$WAYLAND_DISPLAY is set and not --headless; closing it sends the guest a\n"
   "QUIT input event, and the run ends (status 0) if the guest does not shut\n"
   "down within 1 s of virtual time.\n"
   "Exit status: the guest's shutdown code if 0-119; 120 guest code above\n"
   "119; 122 debug break; 123 guest fault; 124 instruction limit; 125\n"
   "usage or host error; 130 Ctrl-C ended a --record run."},
  {"debug", cli_debug, "debug GUEST.elf|--load SNAPSHOT [-x SCRIPT]... [--console-input FILE]"
   " [--keep-going] [--gdb PORT [--gdb-listen ADDR]] [--record BUNDLE] [--mem MIB] [--seed N] [--jitter] [--disk IMAGE [--disk-write]]"
   " [--headless] [--screenshot FILE] [--display WxH] [--keys KEYS]",
   "Starts a guest stopped at its entry point in the monitor, gdb's way:\n"
   "break, watch, stepi, continue, x, info registers... ('help' inside).\n"
   "  -x SCRIPT       run the monitor commands in SCRIPT first (repeatable);\n"
   "                  the first failing line stops it, named as SCRIPT:LINE\n"
   "  --keep-going    scripts and piped commands go on after an error\n"
   "                  (set stop-on-error off)\n"
   "  --gdb PORT      serve gdb-multiarch on 127.0.0.1:PORT instead of a prompt\n"
   "                  (0: any free port, printed); see docs/gdb.md\n"
   "  --gdb-listen ADDR  listen on ADDR instead (a warning: anyone who\n"
   "                  reaches it controls the guest)\n"
   "  --console-input FILE  the guest's console input, read from FILE\n"
   "                  (deterministic); needed when commands come from a pipe\n"
   "  --record BUNDLE write the session's history as a recording when it\n"
   "                  ends ('pvlab replay BUNDLE' replays it)\n"
   "  --load SNAPSHOT start where a snapshot was saved (savevm, or 'pvlab run\n"
   "                  --snapshot-at') instead of at a guest's entry point;\n"
   "                  restart goes back there\n"
   "The machine options are those of 'pvlab run' (no --max-insns, --stats:\n"
   "the monitor has run-until and 'info stats').\n"
   "On a terminal: the \"(pvlab) \" prompt with line editing, Tab completion\n"
   "of commands and symbols, history in $PVLAB_HISTORY (else\n"
   "$XDG_STATE_HOME/pvlab/history or ~/.pvlab_history); Enter alone repeats\n"
   "stepi or nexti, and goes on after x; Ctrl-C stops a running guest;\n"
   "Ctrl-D leaves.  While the guest runs, what you type goes to the guest;\n"
   "at the prompt, to the monitor.  Guest output appears as it is written;\n"
   "the monitor's messages start on a line of their own.\n"
   "The monitor keeps the run's history: reverse-stepi, reverse-continue,\n"
   "goto ICOUNT... go back (checkpoints within a memory budget, 'set\n"
   "reverse-budget MIB').\n"
   "With stdin not a terminal, commands are read from it, one a line, with\n"
   "no prompt, and the guest's console has no input but --console-input.\n"
   "Exit status: 0; 1 when a -x script or piped command failed and\n"
   "stop-on-error was on; 125 usage or host error.  docs/monitor.md has the\n"
   "command reference and a tutorial."},
  {"replay", cli_replay, "replay BUNDLE [--debug [--at-end] [-x SCRIPT]... [--keep-going]]"
   " [--gdb PORT [--gdb-listen ADDR]] [--stats] [--quiet] [--screenshot FILE]",
   "Runs a recording ('run --record', 'debug --record') again, from the\n"
   "bundle alone: no guest file, disk image, terminal or window is needed.\n"
   "The guest's input comes from the recording and its console output goes\n"
   "to stdout; the state hashes stored in the bundle are compared on the\n"
   "way and at the end.\n"
   "  --debug         open the monitor on the replay, stopped at its start:\n"
   "                  break, watch, continue, and reverse-continue,\n"
   "                  reverse-stepi, goto... to walk back from a crash\n"
   "  --at-end        with --debug: run the replay to where the recording\n"
   "                  ends (the fault, the hang's last instruction, the\n"
   "                  shutdown) before the prompt; reverse execution goes\n"
   "                  back from there ('pvlab grade' and 'pvlab explore'\n"
   "                  print this command for each failure)\n"
   "  -x SCRIPT       with --debug: run the monitor commands in SCRIPT first\n"
   "                  (repeatable), as 'pvlab debug -x' does\n"
   "  --keep-going    with --debug: scripts and piped commands go on after\n"
   "                  an error (set stop-on-error off)\n"
   "  --gdb PORT      serve gdb-multiarch on the replay instead of a prompt\n"
   "                  (implies --debug; --gdb-listen ADDR as for 'pvlab\n"
   "                  debug'); see docs/gdb.md\n"
   "  --stats         print the statistics of 'pvlab run --stats'\n"
   "  --quiet         leave out the guest's console output\n"
   "  --screenshot FILE  save the display's last frame as a PNG\n"
   "Exit status: that of the recorded run, as 'pvlab run' gives it (130 for\n"
   "a run that Ctrl-C ended; 0 for a 'debug --record' session that ended\n"
   "with the guest still running); with --debug, that of 'pvlab debug'; 126\n"
   "when the replay diverged from the recording (the message says where:\n"
   "the first instruction count known to differ, and the last known to\n"
   "agree); 125 when the bundle cannot be read (it names what is damaged)."},
  {"grade", cli_grade, "grade EXERCISE_DIR [--guest ELF | --build] [--tap FILE]"
   " [--junit FILE] [-j N] [--bundles DIR | --no-bundles] [--quiet]",
   "Runs an exercise's tests (EXERCISE_DIR/tests.grade, docs/grading.md) on\n"
   "a guest and scores them.  Every run is deterministic: a fixed seed, an\n"
   "instruction budget instead of a timeout (a hang is a failure, never a\n"
   "stuck grader), the console input as if typed before the run; so the\n"
   "score is the same on every machine and for every -j.\n"
   "  --guest ELF     grade this guest instead of the file's 'guest'\n"
   "  --build         first run the file's 'build' command (/bin/sh -c, in\n"
   "                  EXERCISE_DIR, output on stderr); a failed build is an\n"
   "                  error (status 125)\n"
   "  --tap FILE      also write TAP version 13, with a YAML block per test\n"
   "  --junit FILE    also write JUnit XML (FILE '-' is stdout for either;\n"
   "                  the summary then goes to stderr)\n"
   "  -j N            run on N threads (default: one per CPU); the output\n"
   "                  is the same for every N\n"
   "  --bundles DIR   where failed tests' recordings go (default\n"
   "                  pvlab-grade/EXERCISE); each failure prints the command\n"
   "                  that opens its recording in the monitor at the failure\n"
   "  --no-bundles    record nothing\n"
   "  --quiet         show only failed tests and the score\n"
   "Exit status: 0 all tests passed; 1 some failed; 125 usage or host error\n"
   "(a bad tests.grade, a missing guest, a failed build; the message says\n"
   "which)."},
  {"explore", cli_explore, "explore GUEST.elf [--seeds A..B] [--jitter] [-j N]"
   " [--disk IMAGE] [--input FILE | --input-text TEXT] [--max-insns N]"
   " [--expect TEXT] [--reject TEXT] [--all] [--out DIR] [--mem MIB]",
   "Runs a guest under every seed of a range, headless, in parallel, to find\n"
   "the seeds on which it fails: with --jitter the seed also moves the\n"
   "timer's events (docs/pvabi.md), so a race that strikes once in a hundred\n"
   "runs shows up.  A run fails when the guest does not shut down with exit\n"
   "code 0 (a fault, a deadlock, a break, a hang at --max-insns, a nonzero\n"
   "code), or --expect's text is not in its console output, or --reject's\n"
   "is.  The first failure (its lowest seed) is run again and recorded as a\n"
   "bundle that replays it exactly.\n"
   "  --seeds A..B    the seeds to run, both included (default 0..99)\n"
   "  --jitter        vary the timer with the seed (as run --jitter)\n"
   "  -j N            run on N threads (default: one per CPU); the summary\n"
   "                  and the bundles are the same for every N\n"
   "  --disk IMAGE    attach a raw disk image (the guest's writes stay in\n"
   "                  memory: every seed starts from the same disk)\n"
   "  --input FILE    console input, as if typed before each run began\n"
   "  --input-text TEXT  the same from the command line, byte for byte\n"
   "                  (in bash, $'ls\\n' has a newline)\n"
   "  --max-insns N   a run that reaches N instructions hangs: it failed\n"
   "                  (default 1G; K, M, G suffixes allowed)\n"
   "  --expect TEXT   a run whose output lacks TEXT failed\n"
   "  --reject TEXT   a run whose output has TEXT failed\n"
   "  --all           record one bundle per distinct failure, not just the\n"
   "                  first: failures are the same when they stop the same\n"
   "                  way (a fault at the same pc, the same exit code) and\n"
   "                  their first output line unlike a passing run's is the\n"
   "                  same\n"
   "  --out DIR       where bundles go (default pvlab-explore), named\n"
   "                  GUEST-seed-N.pvrec\n"
   "  --mem MIB       guest RAM in MiB (default 32)\n"
   "Progress goes to stderr (a bar on a terminal); the summary to stdout:\n"
   "the failures, their seeds, and 'pvlab replay --debug --at-end BUNDLE'\n"
   "to open the first one where it failed.\n"
   "Exit status: 0 no seed failed; 1 some did; 125 usage or host error (a\n"
   "missing guest, a bad --seeds, a bundle that could not be written)."},
  {"info", cli_info, "info FILE",
   "Describes a snapshot or recording without loading it: the guest, where\n"
   "it stands (instruction count, pc and its symbol, mode), the machine\n"
   "(memory and how much of it is in use, seed, timer jitter, display,\n"
   "disk), the file's versions and its sections with their sizes, and\n"
   "whether every field is valid.  Exit status 0, or 125 when the file is\n"
   "not a pvlab file or is damaged (the message says what is wrong)."},
  {"help", cli_help, "help [COMMAND]", "Shows the commands, or one command's options."},
  {"version", cli_version, "version", "Prints pvlab's version and its para-API version."},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const cli_command *find(const char *name) {
  for (size_t i = 0; i < NCOMMANDS; i++) {
    if (strcmp(commands[i].name, name) == 0) return &commands[i];
  }
  return NULL;
}

static int cli_help(int argc, char **argv) {
  if (argc > 0) {
    const cli_command *c = find(argv[0]);
    if (!c) {
      fprintf(stderr, "pvlab: no command '%s'; 'pvlab help' lists them\n", argv[0]);
      return CLI_EXIT_HOST;
    }
    printf("usage: pvlab %s\n\n%s\n", c->usage, c->help);
    return 0;
  }
  printf("pvlab: a deterministic paravirtual RISC-V machine for learning "
         "systems programming\n\nusage: pvlab COMMAND [ARGS]\n\n");
  for (size_t i = 0; i < NCOMMANDS; i++) {
    printf("  %-8s %s\n", commands[i].name, commands[i].usage);
  }
  printf("\n'pvlab help COMMAND' shows a command's options.\n");
  return 0;
}

static int cli_version(int argc, char **argv) {
  printf("pvlab %s (para-API %d.%d)\n", PVLAB_VERSION, PV_ABI_MAJOR, PV_ABI_MINOR);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    cli_help(0, NULL);
    return CLI_EXIT_HOST;
  }
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) name = "help";
  if (strcmp(name, "--version") == 0) name = "version";
  const cli_command *c = find(name);
  if (!c) {
    fprintf(stderr, "pvlab: no command '%s'; 'pvlab help' lists them\n", argv[1]);
    return CLI_EXIT_HOST;
  }
  /* pvlab COMMAND --help, as most programs take it: pvlab help COMMAND */
  if (argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
    return cli_help(1, &argv[1]);
  }
  return c->fn(argc - 2, argv + 2);
}
