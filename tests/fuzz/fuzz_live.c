/* The live guest the monitor's fuzz targets share (fuzz_live.h). */
#include "fuzz_live.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static void remove_dir(void) {
  if (dir[0]) rmdir(dir);
}

static void empty_dir(void) {
  DIR *d = opendir(dir);
  if (!d) return;
  char path[512];
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  closedir(d);
}

/* Counts the instructions run forwards; past the budget, Ctrl-C. */
static bool budget_poll(void *ctx, dev_input *q) {
  fuzz_live *l = ctx;
  uint64_t now = l->m.cpu.s.icount;
  if (now > l->last) l->work += now - l->last;
  l->last = now;
  if (l->work > FUZZ_LIVE_BUDGET) *mon_interrupt_flag(l->s) = 1;
  return false;
}

void fuzz_live_start(fuzz_live *l) {
  static char guest[4096];
  if (!guest[0]) {
    const char *guests = getenv("GUESTS");
    if (!guests) {
      fprintf(stderr, "fuzz target: GUESTS is not set: point it at the sample guests "
              "(BUILD/sample-guests), or run it with 'meson test'\n");
      exit(2);
    }
    snprintf(guest, sizeof guest, "%s/watchme.elf", guests);
    snprintf(dir, sizeof dir, "/tmp/pvlab-fuzz-XXXXXX");
    if (!mkdtemp(dir)) {
      perror("fuzz target: mkdtemp");
      exit(2);
    }
    atexit(remove_dir);
  }
  memset(l, 0, sizeof *l);
  machine_config cfg = {.mem_mib = 1, .seed = 7};
  host_error err;
  if (!machine_init(&l->m, &cfg, &err) || !machine_load_elf(&l->m, guest, &err)) {
    fprintf(stderr, "fuzz target: %s\n", err.msg);
    exit(2);
  }
  static const char input[] = "some console input\n";
  l->con = (dev_console_mem){.in = (const uint8_t *)input, .in_len = sizeof input - 1};
  l->m.console_io = dev_console_mem_backend(&l->con);
  l->m.input_io = (dev_input_backend){l, budget_poll, NULL};
  l->s = mon_new(&l->m, guest);
  if (!l->s) {
    fprintf(stderr, "fuzz target: out of memory for the monitor\n");
    exit(2);
  }
}

void fuzz_live_stop(fuzz_live *l) {
  mon_free(l->s);
  machine_free(&l->m);
  dev_console_mem_free(&l->con);
  if (l->files) empty_dir();
}

bool fuzz_live_spent(const fuzz_live *l) { return l->work > FUZZ_LIVE_BUDGET; }

/* The commands that name files, and how many of their first words are
 * not file names (trace's kind and on|off, snapshot's save|load). */
static const struct {
  const char *name;
  int keywords;
} file_commands[] = {{"load", 0}, {"loadvm", 0}, {"savevm", 0},
                     {"snapshot", 1}, {"source", 0}, {"trace", 2}};
#define NFILE_COMMANDS (sizeof file_commands / sizeof file_commands[0])

/* How mon_exec finds a command (its name, else the one it begins), for
 * the six: the index of the one word means, NFILE_COMMANDS when it is a
 * beginning of several (refused then, so every word counts as a file),
 * -1 when it is none of them. */
static int file_command(const char *word, size_t n) {
  int found = -1;
  for (size_t i = 0; n && i < NFILE_COMMANDS; i++) {
    if (strncmp(file_commands[i].name, word, n) != 0) continue;
    if (file_commands[i].name[n] == 0) return (int)i;
    found = found < 0 ? (int)i : (int)NFILE_COMMANDS;
  }
  return found;
}

bool fuzz_live_safe_line(fuzz_live *l, const char *line, char *out, size_t cap) {
  const char *p = line;
  while (isspace((unsigned char)*p)) p++;
  size_t n = strcspn(p, " \t/"); /* the command word, as mon_exec cuts it */
  int c = file_command(p, n);
  if (c < 0) {
    snprintf(out, cap, "%s", line);
    return true;
  }
  int keywords = c < (int)NFILE_COMMANDS ? file_commands[c].keywords : 0;
  l->files = true;
  size_t len = (size_t)snprintf(out, cap, "%.*s", (int)n, p);
  /* the arguments, in words as mon_next_word cuts them */
  for (p += n; *p;) {
    if (isspace((unsigned char)*p)) {
      p++;
      continue;
    }
    size_t w = 0;
    while (p[w] && !isspace((unsigned char)p[w])) w++;
    if (memchr(p, '/', w)) return false;
    if (keywords-- > 0) {
      len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, " %.*s", (int)w, p);
    } else { /* a file in the directory, named by the word's letters */
      char name[10] = "f";
      for (size_t i = 0, k = 1; i < w && k < sizeof name - 1; i++) {
        if (isalnum((unsigned char)p[i])) name[k++] = p[i], name[k] = 0;
      }
      len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, " %s/%s", dir, name);
    }
    if (len >= cap) return false;
    p += w;
  }
  return true;
}
