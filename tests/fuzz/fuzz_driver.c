/* The corpus driver the fuzz targets share when they are not built for
 * libFuzzer: an ordinary program, run by meson test (under the sanitizers
 * in CI's sanitized build), that gives LLVMFuzzerTestOneInput every file
 * of the corpus directories on its command line, then a fixed number of
 * deterministic mutations of each (bytes flipped, set, cut, inserted,
 * removed, repeated, spliced from another file), from a PRNG seeded by
 * the file's name: the same inputs on every run and every machine, so a
 * crash once found and added to the corpus fails the test for good.
 *
 *   fuzz_NAME_corpus [-n MUTATIONS] DIR|FILE...
 *
 * Every input goes to the target in a buffer of exactly its size, so the
 * sanitizers see a read one past the end. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT (1u << 20) /* corpus files are small; this keeps them so */

typedef struct seed {
  char *name;
  uint8_t *data;
  size_t size;
} seed;

typedef struct corpus {
  seed *s;
  size_t n, cap;
} corpus;

static bool add_file(corpus *c, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "fuzz driver: cannot open %s: %s\n", path, strerror(errno));
    return false;
  }
  uint8_t *buf = malloc(MAX_INPUT);
  size_t n = buf ? fread(buf, 1, MAX_INPUT, f) : 0;
  bool too_big = buf && n == MAX_INPUT && fgetc(f) != EOF;
  fclose(f);
  if (!buf || too_big) {
    fprintf(stderr, "fuzz driver: %s: %s\n", path,
            buf ? "over 1 MiB: keep corpus files small" : "out of memory");
    free(buf);
    return false;
  }
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 64;
    seed *grown = realloc(c->s, c->cap * sizeof *grown);
    if (!grown) abort();
    c->s = grown;
  }
  c->s[c->n++] = (seed){strdup(path), buf, n};
  return true;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory's files in name order (readdir's order is the file
 * system's), or path itself when it is a file. */
static bool add_path(corpus *c, const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "fuzz driver: %s: %s\n", path, strerror(errno));
    return false;
  }
  if (!S_ISDIR(st.st_mode)) return add_file(c, path);
  DIR *d = opendir(path);
  if (!d) {
    fprintf(stderr, "fuzz driver: cannot read %s: %s\n", path, strerror(errno));
    return false;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 64;
      char **grown = realloc(names, cap * sizeof *names);
      if (!grown) abort();
      names = grown;
    }
    size_t len = strlen(path) + strlen(e->d_name) + 2;
    names[n] = malloc(len);
    if (!names[n]) abort();
    snprintf(names[n++], len, "%s/%s", path, e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, by_name);
  bool ok = true;
  for (size_t i = 0; i < n; i++) {
    ok = ok && add_file(c, names[i]);
    free(names[i]);
  }
  free(names);
  return ok;
}

static uint64_t rnd(uint64_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  return *x;
}

/* The PRNG's seed for a file: its base name's FNV-1a hash, so that the
 * mutations are the same wherever the corpus lives. */
static uint64_t hash_name(const char *path) {
  const char *slash = strrchr(path, '/');
  uint64_t h = 0xcbf29ce484222325u;
  for (const char *s = slash ? slash + 1 : path; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001b3u;
  return h ? h : 1;
}

/* 1 to 4 edits of s into out (capacity cap); the new size. */
static size_t mutate(const corpus *c, const seed *s, uint64_t *x, uint8_t *out, size_t cap) {
  static const uint8_t edges[] = {0, 1, 0x7f, 0x80, 0xff, '\n', ' ', '(', ',', ':'};
  size_t n = s->size < cap ? s->size : cap;
  memcpy(out, s->data, n);
  for (int edits = 1 + (int)(rnd(x) % 4); edits > 0; edits--) {
    size_t at = n ? rnd(x) % n : 0, k = 1 + rnd(x) % 16;
    switch (rnd(x) % 8) {
    case 0: if (n) out[at] ^= (uint8_t)(1u << rnd(x) % 8); break;
    case 1: if (n) out[at] = (uint8_t)rnd(x); break;
    case 2: if (n) out[at] = edges[rnd(x) % sizeof edges]; break;
    case 3: n = at; break; /* cut short */
    case 4: /* random bytes inserted */
      if (n + k > cap) break;
      memmove(out + at + k, out + at, n - at);
      for (size_t i = 0; i < k; i++) out[at + i] = (uint8_t)rnd(x);
      n += k;
      break;
    case 5: /* a stretch removed */
      if (at + k > n) k = n - at;
      memmove(out + at, out + at + k, n - at - k);
      n -= k;
      break;
    case 6: { /* a stretch repeated */
      size_t from = n ? rnd(x) % n : 0, span = 1 + rnd(x) % 64;
      if (from + span > n) span = n - from;
      if (n + span > cap) break;
      memmove(out + at + span, out + at, n - at);
      memmove(out + at, out + (from < at ? from : from + span), span);
      n += span;
      break;
    }
    default: { /* a stretch of another corpus file spliced in */
      const seed *o = &c->s[rnd(x) % c->n];
      if (!o->size) break;
      size_t from = rnd(x) % o->size, span = 1 + rnd(x) % 64;
      if (from + span > o->size) span = o->size - from;
      if (at + span > cap) break;
      memcpy(out + at, o->data + from, span);
      if (at + span > n) n = at + span;
    }
    }
  }
  return n;
}

/* The input in a buffer of exactly its size. */
static void run_one(const uint8_t *data, size_t size) {
  uint8_t *exact = malloc(size ? size : 1);
  if (!exact) abort();
  if (size) memcpy(exact, data, size);
  LLVMFuzzerTestOneInput(exact, size);
  free(exact);
}

int main(int argc, char **argv) {
  const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  unsigned long mutations = 0;
  int first = 1;
  if (argc > 2 && strcmp(argv[1], "-n") == 0) {
    char *end;
    mutations = strtoul(argv[2], &end, 10);
    if (*end || !argv[2][0]) {
      fprintf(stderr, "%s: -n takes a number of mutations per file, not '%s'\n", prog, argv[2]);
      return 2;
    }
    first = 3;
  }
  if (first >= argc) {
    fprintf(stderr, "usage: %s [-n MUTATIONS] DIR|FILE...: runs the fuzz target on "
            "every corpus file and MUTATIONS mutations of each\n", prog);
    return 2;
  }
  corpus c = {0};
  for (int i = first; i < argc; i++) {
    if (!add_path(&c, argv[i])) return 2;
  }
  if (c.n == 0) {
    fprintf(stderr, "%s: no corpus files in the paths given\n", prog);
    return 2;
  }
  size_t cap = 0;
  for (size_t i = 0; i < c.n; i++) cap = c.s[i].size > cap ? c.s[i].size : cap;
  cap = 2 * cap + 256;
  uint8_t *buf = malloc(cap);
  if (!buf) abort();
  unsigned long inputs = 0;
  for (size_t i = 0; i < c.n; i++) {
    run_one(c.s[i].data, c.s[i].size);
    inputs++;
    uint64_t x = hash_name(c.s[i].name);
    for (unsigned long k = 0; k < mutations; k++, inputs++) {
      run_one(buf, mutate(&c, &c.s[i], &x, buf, cap));
    }
  }
  printf("%s: %zu corpus files and %lu inputs in all, no failure\n", prog, c.n, inputs);
  free(buf);
  for (size_t i = 0; i < c.n; i++) {
    free(c.s[i].name);
    free(c.s[i].data);
  }
  free(c.s);
  return 0;
}
