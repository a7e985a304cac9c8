/* Option parsing shared by the subcommands that start a machine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/cli.h"

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

/* Matches "--name VALUE" and "--name=VALUE"; advances *i past the value. */
static bool opt_value(int argc, char **argv, int *i, const char *name,
                      const char **value) {
  size_t n = strlen(name);
  if (strncmp(argv[*i], name, n) != 0) return false;
  if (argv[*i][n] == '=') {
    *value = argv[*i] + n + 1;
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

bool cli_parse_machine_opts(int argc, char **argv, cli_machine_opts *opts,
                            const char *cmd) {
  memset(opts, 0, sizeof *opts);
  opts->cfg.mem_mib = MACHINE_DEFAULT_MEM_MIB;
  for (int i = 0; i < argc; i++) {
    const char *value;
    uint64_t n;
    if (opt_value(argc, argv, &i, "--mem", &value)) {
      if (!number_opt(cmd, "--mem", value, 1, MACHINE_MAX_MEM_MIB, &n)) return false;
      opts->cfg.mem_mib = (uint32_t)n;
    } else if (opt_value(argc, argv, &i, "--seed", &value)) {
      if (!number_opt(cmd, "--seed", value, 0, UINT64_MAX, &n)) return false;
      opts->cfg.seed = n;
    } else if (opt_value(argc, argv, &i, "--max-insns", &value)) {
      if (!number_opt(cmd, "--max-insns", value, 1, UINT64_MAX, &n)) return false;
      opts->max_insns = n;
    } else if (strcmp(argv[i], "--stats") == 0) {
      opts->stats = true;
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
  if (!opts->guest) {
    fprintf(stderr, "pvlab %s: which guest? usage: pvlab %s GUEST.elf "
            "[options]\n", cmd, cmd);
    return false;
  }
  return true;
}
