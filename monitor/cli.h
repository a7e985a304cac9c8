/* The command-line front end: subcommands, shared option parsing and the
 * exit statuses scripts can rely on. */
#ifndef PVLAB_MONITOR_CLI_H
#define PVLAB_MONITOR_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "machine/machine.h"

/* Exit statuses of `pvlab run`.  A guest's own shutdown code 0..119 is
 * passed through unchanged; everything pvlab itself reports is above. */
enum {
  CLI_EXIT_GUEST_MAX = 119,   /* highest guest code passed through as is */
  CLI_EXIT_CODE_RANGE = 120,  /* guest code > 119 (printed on stderr) */
  CLI_EXIT_DEADLOCK = 121,    /* event_wait for events that cannot come */
  CLI_EXIT_BREAK = 122,       /* EBREAK or debug_break with no debugger */
  CLI_EXIT_FAULT = 123,       /* guest fault, diagnostic on stderr */
  CLI_EXIT_LIMIT = 124,       /* --max-insns reached */
  CLI_EXIT_HOST = 125,        /* usage error or host-side failure */
};

/* Options shared by commands that start a machine. */
typedef struct cli_machine_opts {
  machine_config cfg;
  uint64_t max_insns; /* 0: no limit */
  bool stats;
  const char *guest;  /* the ELF file */
} cli_machine_opts;

/* Parses argv into opts; prints a clear message and returns false on a bad
 * option.  Non-option words go to guest (one allowed). */
bool cli_parse_machine_opts(int argc, char **argv, cli_machine_opts *opts,
                            const char *cmd);
/* Strict unsigned number: decimal or 0x hex, optional K/M/G (x1000) suffix
 * for counts. */
bool cli_parse_u64(const char *text, uint64_t *out);

int cli_run(int argc, char **argv);

#endif
