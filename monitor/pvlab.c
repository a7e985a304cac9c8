/* pvlab: the command table and main. */
#include <stdio.h>
#include <string.h>

#include "monitor/cli.h"
#include "pvabi/pvabi.h"

static int cli_help(int argc, char **argv);
static int cli_version(int argc, char **argv);

typedef struct cli_command {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *usage;
  const char *help;
} cli_command;

static const cli_command commands[] = {
  {"run", cli_run, "run GUEST.elf [--mem MIB] [--seed N] [--max-insns N] [--stats]"
   " [--disk IMAGE [--disk-write]] [--headless] [--screenshot FILE]"
   " [--display WxH] [--keys KEYS] [--snapshot-at ICOUNT FILE]..."
   " [--record BUNDLE [--hash-interval N]]\n"
   "           run --load SNAPSHOT [--max-insns N] [--stats] [--headless]"
   " [--screenshot FILE] [--keys KEYS] [--snapshot-at ICOUNT FILE]...",
   "Runs a guest with no debugger: guest console on stdin/stdout,\n"
   "diagnostics on stderr.\n"
   "  --mem MIB       guest RAM in MiB (default 32, at most 2048)\n"
   "  --seed N        seed for the machine's deterministic randomness\n"
   "  --max-insns N   stop after N instructions (K, M, G suffixes allowed)\n"
   "  --stats         print instructions, virtual time, host time, MIPS and\n"
   "                  the final state hash on stderr\n"
   "  --disk IMAGE    attach a raw disk image (size a multiple of 512); the\n"
   "                  guest's writes stay in memory, the file is not changed\n"
   "  --disk-write    save the guest's writes to IMAGE at each disk_flush and\n"
   "                  at the end (crash-safe: written anew, then renamed)\n"
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
   "                  file has the guest, its memory, seed, display and disk,\n"
   "                  so GUEST.elf, --mem, --seed, --display and --disk are\n"
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
   " [--keep-going] [--record BUNDLE] [--mem MIB] [--seed N] [--disk IMAGE [--disk-write]]"
   " [--headless] [--screenshot FILE] [--display WxH] [--keys KEYS]",
   "Starts a guest stopped at its entry point in the monitor, gdb's way:\n"
   "break, watch, stepi, continue, x, info registers... ('help' inside).\n"
   "  -x SCRIPT       run the monitor commands in SCRIPT first (repeatable);\n"
   "                  the first failing line stops it, named as SCRIPT:LINE\n"
   "  --keep-going    scripts and piped commands go on after an error\n"
   "                  (set stop-on-error off)\n"
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
  {"replay", cli_replay, "replay BUNDLE [--debug] [--stats] [--quiet] [--screenshot FILE]",
   "Runs a recording ('run --record', 'debug --record') again, from the\n"
   "bundle alone: no guest file, disk image, terminal or window is needed.\n"
   "The guest's input comes from the recording and its console output goes\n"
   "to stdout; the state hashes stored in the bundle are compared on the\n"
   "way and at the end.\n"
   "  --debug         open the monitor on the replay, stopped at its start:\n"
   "                  break, watch, continue, and reverse-continue,\n"
   "                  reverse-stepi, goto... to walk back from a crash\n"
   "  --stats         print the statistics of 'pvlab run --stats'\n"
   "  --quiet         leave out the guest's console output\n"
   "  --screenshot FILE  save the display's last frame as a PNG\n"
   "Exit status: that of the recorded run, as 'pvlab run' gives it; 126 when\n"
   "the replay diverged from the recording (the message says where: the\n"
   "first instruction count known to differ, and the last known to agree);\n"
   "125 when the bundle cannot be read (it names what is damaged)."},
  {"info", cli_info, "info FILE",
   "Describes a snapshot or recording without loading it: the guest, where\n"
   "it stands (instruction count, pc and its symbol, mode), the machine\n"
   "(memory and how much of it is in use, seed, display, disk), the file's\n"
   "versions and its sections with their sizes, and whether every field is\n"
   "valid.  Exit status 0, or 125 when the file is not a pvlab file or is\n"
   "damaged (the message says what is wrong)."},
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
  return c->fn(argc - 2, argv + 2);
}
