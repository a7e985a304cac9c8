/* pvlab explore GUEST.elf [--seeds A..B] [--jitter] [-j N] ...: the
 * options, the progress line on stderr, and the exit status.  The runs,
 * their grouping and the bundles are explore.c's; the summary is
 * cli/explore_show.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "explore.h"

#define USAGE "usage: pvlab explore GUEST.elf [--seeds A..B] [--jitter] [-j N] " \
  "[--disk IMAGE] [--input FILE | --input-text TEXT] [--max-insns N] "        \
  "[--expect TEXT] [--reject TEXT] [--all] [--out DIR] [--mem MIB]"

static bool bad(const char *fmt, const char *a) {
  fprintf(stderr, "pvlab explore: ");
  fprintf(stderr, fmt, a ? a : "");
  fprintf(stderr, "\n");
  return false;
}

/* "A..B": two numbers, A <= B, at most EXPLORE_MAX_SEEDS of them. */
static bool seeds_opt(const char *v, explore_opts *o) {
  const char *dots = v ? strstr(v, "..") : NULL;
  char a[64];
  if (!dots || (size_t)(dots - v) >= sizeof a) {
    return bad("--seeds '%s' is not a range: give A..B, such as 0..99", v);
  }
  snprintf(a, sizeof a, "%.*s", (int)(dots - v), v);
  if (!cli_parse_u64(a, &o->first) || !cli_parse_u64(dots + 2, &o->last)) {
    return bad("--seeds '%s' is not a range: give A..B with A and B whole "
               "numbers, such as 0..99", v);
  }
  if (o->first > o->last) {
    return bad("--seeds '%s' is empty: the first seed comes after the last; "
               "give A..B with A <= B", v);
  }
  if (o->last - o->first >= EXPLORE_MAX_SEEDS) {
    return bad("--seeds '%s' has too many seeds: at most 100000000 at a time", v);
  }
  return true;
}

static bool number(const char *name, const char *v, uint64_t min, uint64_t max,
                   uint64_t *out) {
  if (v && cli_parse_u64(v, out) && *out >= min && *out <= max) return true;
  fprintf(stderr, "pvlab explore: %s '%s' is not a number from %llu to %llu\n",
          name, v ? v : "", (unsigned long long)min, (unsigned long long)max);
  return false;
}

static bool text(const char *name, const char *v, const char **out) {
  if (v && *v) {
    *out = v;
    return true;
  }
  fprintf(stderr, "pvlab explore: %s needs a text that is not empty\n", name);
  return false;
}

static bool read_input(const char *path, explore_opts *o) {
  FILE *f = fopen(path, "rb");
  if (!f) return bad("--input: cannot read '%s': check the file name", path);
  size_t cap = 4096, len = 0;
  uint8_t *buf = malloc(cap);
  for (size_t n; buf; len += n) {
    if (len == cap) {
      uint8_t *b = realloc(buf, cap *= 2);
      if (!b) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = b;
    }
    if (!(n = fread(buf + len, 1, cap - len, f))) break;
  }
  bool err = ferror(f);
  fclose(f);
  if (!buf || err) {
    free(buf);
    return bad("--input: cannot read '%s' whole (a read error, or out of memory)", path);
  }
  o->input = buf;
  o->input_len = len;
  return true;
}

/* One option at argv[*i]; false after a message. */
static bool option(int argc, char **argv, int *i, explore_opts *o, const char **input) {
  const char *v;
  uint64_t n;
  const char *arg = argv[*i];
  if (strcmp(arg, "--jitter") == 0) o->jitter = true;
  else if (strcmp(arg, "--all") == 0) o->all = true;
  else if (cli_opt_value(argc, argv, i, "--seeds", &v)) return seeds_opt(v, o);
  else if (cli_opt_value(argc, argv, i, "-j", &v)) {
    if (!number("-j", v, 1, 256, &n)) return false;
    o->threads = (unsigned)n;
  } else if (cli_opt_value(argc, argv, i, "--max-insns", &v)) {
    return number("--max-insns", v, 1, UINT64_MAX, &o->max_insns);
  } else if (cli_opt_value(argc, argv, i, "--mem", &v)) {
    if (!number("--mem", v, 1, MACHINE_MAX_MEM_MIB, &n)) return false;
    o->mem_mib = (uint32_t)n;
  } else if (cli_opt_value(argc, argv, i, "--disk", &v)) return text("--disk", v, &o->disk);
  else if (cli_opt_value(argc, argv, i, "--out", &v)) return text("--out", v, &o->out_dir);
  else if (cli_opt_value(argc, argv, i, "--expect", &v)) return text("--expect", v, &o->expect);
  else if (cli_opt_value(argc, argv, i, "--reject", &v)) return text("--reject", v, &o->reject);
  else if (cli_opt_value(argc, argv, i, "--input", &v) ||
           cli_opt_value(argc, argv, i, "--input-text", &v)) {
    if (*input) return bad("give one of --input FILE and --input-text TEXT, once", NULL);
    if (!v) return bad("%s needs a value", arg);
    *input = arg;
    if (strncmp(arg, "--input-text", 12) == 0) {
      size_t len = strlen(v);
      o->input = malloc(len ? len : 1);
      if (!o->input) return bad("out of memory%s", NULL);
      memcpy(o->input, v, len);
      o->input_len = len;
      return true;
    }
    return read_input(v, o);
  } else if (arg[0] == '-' && arg[1]) {
    return bad("unknown option '%s'; see 'pvlab help explore'", arg);
  } else if (o->guest) {
    return bad("one guest at a time ('%s' and another)", o->guest);
  } else {
    o->guest = arg;
  }
  return true;
}

static bool parse(int argc, char **argv, explore_opts *o) {
  *o = (explore_opts){.first = 0, .last = 99, .max_insns = EXPLORE_DEFAULT_MAX_INSNS,
                      .out_dir = EXPLORE_DEFAULT_OUT, .mem_mib = MACHINE_DEFAULT_MEM_MIB};
  const char *input = NULL;
  for (int i = 0; i < argc; i++) {
    if (!option(argc, argv, &i, o, &input)) return false;
  }
  if (!o->guest) return bad("which guest? " USAGE "%s", NULL);
  return true;
}

/* ------------------------------------------------------------ progress */

typedef struct progress {
  bool tty;
  unsigned threads;
  struct timespec start, last;
} progress;

static double seconds_since(const struct timespec *t) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* Host time, for the person watching only: it never reaches a guest. */
static void on_progress(void *ctx, uint64_t done, uint64_t total, size_t failed) {
  progress *p = ctx;
  bool end = done == total;
  double since = seconds_since(&p->last);
  if (!end && since < (p->tty ? 0.1 : 10.0)) return;
  clock_gettime(CLOCK_MONOTONIC, &p->last);
  double elapsed = seconds_since(&p->start);
  double eta = done ? elapsed * (double)(total - done) / (double)done : 0;
  if (p->tty) {
    enum { WIDTH = 30 };
    char bar[WIDTH + 1];
    unsigned fill = (unsigned)(WIDTH * done / total);
    for (unsigned k = 0; k < WIDTH; k++) bar[k] = k < fill ? '#' : '-';
    bar[WIDTH] = 0;
    fprintf(stderr, "\r[%s] %llu/%llu seeds, %zu failed, ETA %d:%02d\033[K", bar,
            (unsigned long long)done, (unsigned long long)total, failed,
            (int)eta / 60, (int)eta % 60);
    if (end) fprintf(stderr, "\r\033[K");
  } else if (!end) {
    fprintf(stderr, "pvlab explore: %llu/%llu seeds, %zu failed, about %.0f s left\n",
            (unsigned long long)done, (unsigned long long)total, failed, eta);
  }
  fflush(stderr);
}

int cli_explore(int argc, char **argv) {
  explore x;
  memset(&x, 0, sizeof x);
  atomic_init(&x.failed_so_far, 0);
  if (!parse(argc, argv, &x.o)) {
    explore_free(&x);
    return CLI_EXIT_HOST;
  }
  progress p = {.tty = isatty(STDERR_FILENO) == 1,
                .threads = x.o.threads ? x.o.threads : course_cpus()};
  clock_gettime(CLOCK_MONOTONIC, &p.start);
  p.last = p.start;
  x.progress = on_progress;
  x.progress_ctx = &p;
  uint64_t seeds = x.o.last - x.o.first + 1;
  if (p.threads > seeds) p.threads = (unsigned)seeds;
  host_error err = {{0}};
  bool ok = explore_check(&x, &err);
  if (ok) {
    fprintf(stderr, "pvlab explore: %llu seed%s of %s on %u thread%s\n",
            (unsigned long long)seeds, seeds == 1 ? "" : "s", x.o.guest,
            p.threads, p.threads == 1 ? "" : "s");
  }
  if (!ok || !explore_run(&x, &err)) {
    if (p.tty) fprintf(stderr, "\r\033[K");
    fprintf(stderr, "pvlab explore: %s\n", err.msg);
    explore_free(&x);
    return CLI_EXIT_HOST;
  }
  cli_explore_show(&x, stdout);
  fflush(stdout);
  int status = x.nfails ? 1 : 0;
  explore_free(&x);
  return status;
}
