/* Option parsing shared by the subcommands that start a machine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

bool cli_parse_u64(const char *text, uint64_t *out) {
  if (!text || !*text || *text == '-' || *text == '+') return false;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 0);
  if (errno || end == text) return false;
  uint64_t scale = 1;
  if (*end == 'K' || *end == 'k') scale = 1000, end++;
  else if (*end == 'M') scale = 1000000, end++;
  else if (*end == 'G') scale = 1000000000, end++;
  if (*end) return false;
  if (v > UINT64_MAX / scale) return false;
  *out = (uint64_t)v * scale;
  return true;
}

/* Matches "--name VALUE" and "--name=VALUE" (and "-jN" for a one-dash
 * name); advances *i past the value, which is NULL when it is missing. */
bool cli_opt_value(int argc, char **argv, int *i, const char *name,
                   const char **value) {
  size_t n = strlen(name);
  if (strncmp(argv[*i], name, n) != 0) return false;
  if (argv[*i][n] == '=' || (name[1] != '-' && argv[*i][n])) {
    *value = argv[*i] + n + (argv[*i][n] == '=');
    return true;
  }
  if (argv[*i][n] != 0) return false;
  *value = *i + 1 < argc ? argv[++*i] : NULL;
  return true;
}

static bool number_opt(const char *cmd, const char *name, const char *value,
                       uint64_t min, uint64_t max, uint64_t *out) {
  if (!value) {
    fprintf(stderr, "pvlab %s: %s needs a value\n", cmd, name);
    return false;
  }
  if (!cli_parse_u64(value, out) || *out < min || *out > max) {
    fprintf(stderr, "pvlab %s: %s '%s' is not a number from %llu to %llu\n",
            cmd, name, value, (unsigned long long)min,
            (unsigned long long)max);
    return false;
  }
  return true;
}

/* One decimal number of --display, ending in stop. */
static bool dimension(const char **p, char stop, unsigned long *v) {
  char *end;
  if (**p < '0' || **p > '9') return false;
  errno = 0;
  *v = strtoul(*p, &end, 10);
  if (errno || *end != stop) return false;
  *p = end + 1;
  return true;
}

/* --display WIDTHxHEIGHT, each in the machine's range. */
static bool size_opt(const char *cmd, const char *value, uint32_t *w,
                     uint32_t *h) {
  unsigned long v[2];
  const char *p = value;
  if (!p || !dimension(&p, 'x', &v[0]) || !dimension(&p, 0, &v[1]) ||
      v[0] < MACHINE_MIN_DISPLAY || v[0] > MACHINE_MAX_DISPLAY ||
      v[1] < MACHINE_MIN_DISPLAY || v[1] > MACHINE_MAX_DISPLAY) {
    fprintf(stderr, "pvlab %s: --display '%s' is not WIDTHxHEIGHT with each "
            "from %u to %u, such as 640x480\n", cmd, value ? value : "",
            MACHINE_MIN_DISPLAY, MACHINE_MAX_DISPLAY);
    return false;
  }
  *w = (uint32_t)v[0];
  *h = (uint32_t)v[1];
  return true;
}

/* The option arg names if it shapes the machine that a snapshot brings
 * along (memory, seed, display, disk, jitter), else NULL. */
static const char *machine_option(const char *arg) {
  static const char *const names[] = {"--mem", "--seed", "--display",
                                      "--disk", "--disk-write", "--jitter"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    size_t n = strlen(names[i]);
    if (strncmp(arg, names[i], n) == 0 && (arg[n] == 0 || arg[n] == '=')) {
      return names[i];
    }
  }
  return NULL;
}

/* An option's value that must be there and not empty. */
static bool needs(const char *cmd, const char *name, const char *value,
                  const char *what) {
  if (value && *value) return true;
  fprintf(stderr, "pvlab %s: %s needs %s\n", cmd, name, what);
  return false;
}

/* --record and --snapshot-at are written during or at the end of the run:
 * a directory they cannot go in, or a name that is a directory or a block
 * device, is better known before the run than after it
 * (docs/file-formats.md, "Output files").  value is the option's first
 * value when it has two ("--snapshot-at N FILE"), else NULL. */
static bool output_writable(const char *cmd, const char *opt, const char *value,
                            const char *path) {
  host_error err;
  if (host_atomic_check(path, &err)) return true;
  fprintf(stderr, "pvlab %s: %s %s%s%s: %s\n", cmd, opt, value ? value : "",
          value ? " " : "", path, err.msg);
  return false;
}

/* --snapshot-at ICOUNT FILE: two values. */
static bool snapshot_at_opt(int argc, char **argv, int *i, const char *value,
                            cli_machine_opts *opts) {
  uint64_t n;
  if (!number_opt("run", "--snapshot-at", value, 0, UINT64_MAX, &n)) return false;
  if (*i + 1 >= argc || !*argv[*i + 1]) {
    fprintf(stderr, "pvlab run: --snapshot-at needs an instruction count and a "
            "file: --snapshot-at ICOUNT FILE\n");
    return false;
  }
  if (opts->nsnapshot_at == CLI_MAX_SNAPSHOTS) {
    fprintf(stderr, "pvlab run: at most %d --snapshot-at\n", CLI_MAX_SNAPSHOTS);
    return false;
  }
  if (!output_writable("run", "--snapshot-at", value, argv[*i + 1])) return false;
  opts->snapshot_at[opts->nsnapshot_at++] = (cli_snapshot_at){n, argv[++*i]};
  return true;
}


/* --load against the options it replaces. */
static bool check_load(const cli_machine_opts *opts, const char *cmd) {
  if (opts->load && opts->guest) {
    fprintf(stderr, "pvlab %s: --load %s brings its own guest; give either "
            "%s or --load SNAPSHOT, not both\n", cmd, opts->load, opts->guest);
    return false;
  }
  if (opts->load && opts->machine_opt) {
    fprintf(stderr, "pvlab %s: %s cannot go with --load: the snapshot has the "
            "machine's memory size, seed, display, disk and jitter as they "
            "were saved\n", cmd, opts->machine_opt);
    return false;
  }
  return true;
}

bool cli_monitor_opt(const char *cmd, int argc, char **argv, int *i,
                     cli_machine_opts *opts, bool *taken) {
  const char *value;
  uint64_t n;
  *taken = true;
  if (cli_opt_value(argc, argv, i, "-x", &value)) {
    if (!value || !*value) {
      fprintf(stderr, "pvlab %s: -x needs a script file\n", cmd);
      return false;
    }
    if (opts->nscripts == CLI_MAX_SCRIPTS) {
      fprintf(stderr, "pvlab %s: at most %d -x scripts (a script can "
              "'source' others)\n", cmd, CLI_MAX_SCRIPTS);
      return false;
    }
    opts->scripts[opts->nscripts++] = value;
  } else if (cli_opt_value(argc, argv, i, "--gdb", &value)) {
    if (!number_opt(cmd, "--gdb", value, 0, 65535, &n)) return false;
    opts->gdb = true;
    opts->gdb_port = (unsigned)n;
  } else if (cli_opt_value(argc, argv, i, "--gdb-listen", &value)) {
    if (!needs(cmd, "--gdb-listen", value, "an IPv4 address such as 0.0.0.0")) return false;
    opts->gdb_listen = value;
  } else if (strcmp(argv[*i], "--keep-going") == 0) {
    opts->keep_going = true;
  } else {
    *taken = false;
  }
  return true;
}

bool cli_parse_machine_opts(int argc, char **argv, cli_machine_opts *opts,
                            const char *cmd) {
  memset(opts, 0, sizeof *opts);
  opts->cfg.mem_mib = MACHINE_DEFAULT_MEM_MIB;
  bool debug = strcmp(cmd, "debug") == 0; /* -x and friends */
  for (int i = 0; i < argc; i++) {
    bool taken;
    if (debug && !cli_monitor_opt(cmd, argc, argv, &i, opts, &taken)) return false;
    if (debug && taken) continue;
    const char *value;
    uint64_t n;
    if (!opts->machine_opt) opts->machine_opt = machine_option(argv[i]);
    if (cli_opt_value(argc, argv, &i, "--mem", &value)) {
      if (!number_opt(cmd, "--mem", value, 1, MACHINE_MAX_MEM_MIB, &n)) return false;
      opts->cfg.mem_mib = (uint32_t)n;
    } else if (cli_opt_value(argc, argv, &i, "--seed", &value)) {
      if (!number_opt(cmd, "--seed", value, 0, UINT64_MAX, &n)) return false;
      opts->cfg.seed = n;
    } else if (cli_opt_value(argc, argv, &i, "--max-insns", &value)) {
      if (!number_opt(cmd, "--max-insns", value, 1, UINT64_MAX, &n)) return false;
      opts->max_insns = n;
    } else if (strcmp(argv[i], "--stats") == 0) {
      opts->stats = true;
    } else if (strcmp(argv[i], "--jitter") == 0) {
      opts->cfg.jitter = true;
    } else if (cli_opt_value(argc, argv, &i, "--disk", &value)) {
      if (!needs(cmd, "--disk", value, "an image file")) return false;
      opts->disk = value;
    } else if (strcmp(argv[i], "--disk-write") == 0) {
      opts->disk_write = true;
    } else if (cli_opt_value(argc, argv, &i, "--display", &value)) {
      if (!size_opt(cmd, value, &opts->cfg.display_width,
                    &opts->cfg.display_height)) return false;
    } else if (strcmp(argv[i], "--headless") == 0) {
      opts->headless = true;
    } else if (cli_opt_value(argc, argv, &i, "--screenshot", &value)) {
      if (!needs(cmd, "--screenshot", value, "a file name (FILE.png)")) return false;
      opts->screenshot = value;
    } else if (cli_opt_value(argc, argv, &i, "--keys", &value)) {
      if (!value) {
        fprintf(stderr, "pvlab %s: --keys needs the keys to press, such as "
                "'ab<up><enter>'\n", cmd);
        return false;
      }
      opts->keys = value;
    } else if (debug && cli_opt_value(argc, argv, &i, "--console-input", &value)) {
      if (!needs(cmd, "--console-input", value, "a file")) return false;
      opts->console_input = value;
    } else if (!debug && cli_opt_value(argc, argv, &i, "--hash-interval", &value)) {
      if (!number_opt(cmd, "--hash-interval", value, 1000, UINT64_MAX, &n)) return false;
      opts->hash_interval = n;
    } else if (cli_opt_value(argc, argv, &i, "--record", &value)) {
      if (!needs(cmd, "--record", value, "a file for the recording")) return false;
      opts->record = value;
    } else if (cli_opt_value(argc, argv, &i, "--load", &value)) {
      if (!needs(cmd, "--load", value, "a snapshot file")) return false;
      opts->load = value;
    } else if (!debug && cli_opt_value(argc, argv, &i, "--snapshot-at", &value)) {
      if (!snapshot_at_opt(argc, argv, &i, value, opts)) return false;
    } else if (argv[i][0] == '-' && argv[i][1] != 0) {
      fprintf(stderr, "pvlab %s: unknown option '%s'; see 'pvlab help %s'\n",
              cmd, argv[i], cmd);
      return false;
    } else if (opts->guest) {
      fprintf(stderr, "pvlab %s: one guest at a time ('%s' and '%s')\n", cmd,
              opts->guest, argv[i]);
      return false;
    } else {
      opts->guest = argv[i];
    }
  }
  if (!check_load(opts, cmd)) return false;
  if (opts->record && !output_writable(cmd, "--record", NULL, opts->record)) return false;
  if (opts->disk_write && !opts->disk) {
    fprintf(stderr, "pvlab %s: --disk-write saves the guest's writes to the "
            "--disk image, but no --disk IMAGE was given\n", cmd);
    return false;
  }
  if (!opts->guest && !opts->load) {
    fprintf(stderr, "pvlab %s: which guest? usage: pvlab %s GUEST.elf "
            "[options], or pvlab %s --load SNAPSHOT [options]\n", cmd, cmd, cmd);
    return false;
  }
  return true;
}
