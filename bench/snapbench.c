/* snapbench: how long a snapshot of a guest with 64 MiB of RAM takes to
 * save (encode, compress, write, fsync, rename) and to load (read, check,
 * decompress, restore), and how large the file is, for RAM that is all
 * zero, random (incompressible) and text-like.  The target is well under
 * a second each way.
 *
 *   meson test -C build --benchmark snapshot     (or build/bench/snapbench [DIR])
 *
 * The files go to DIR (default $TMPDIR or /tmp): a slow or synced disk is
 * part of what is measured.  Each case runs ROUNDS times; the table gives
 * the median, and the restored machine is checked against the saved one by
 * state hash.  Exit status 1 if a round failed or a hash differed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "machine.h"
#include "snapshot.h"

#define MEM_MIB 64u
#define ROUNDS 5

static uint64_t next(uint64_t *x) { /* xorshift64 */
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  return *x;
}

static void fill_zero(uint8_t *ram, size_t n) { (void)ram, (void)n; }

static void fill_random(uint8_t *ram, size_t n) {
  uint64_t x = 88172645463325252ull;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v = next(&x);
    memcpy(ram + i, &v, 8);
  }
}

/* Words from a small vocabulary, in lines: about what a guest's buffers,
 * strings and tables look like to a compressor. */
static void fill_text(uint8_t *ram, size_t n) {
  static const char *const words[] = {
    "the ", "kernel ", "maps ", "each ", "page ", "table ", "entry ",
    "to ", "a ", "frame; ", "process ", "42 ", "0x80001000 ", "returns ",
    "from ", "trap\n", "user ", "mode ", "and ", "scheduler ",
  };
  uint64_t x = 1;
  for (size_t i = 0; i < n;) {
    const char *w = words[next(&x) % (sizeof words / sizeof words[0])];
    size_t len = strlen(w) < n - i ? strlen(w) : n - i;
    memcpy(ram + i, w, len);
    i += len;
  }
}

/* One case: ROUNDS saves and loads; false on any failure. */
static bool bench(const char *name, void (*fill)(uint8_t *, size_t), const char *dir) {
  machine m, c;
  machine_config cfg = {.mem_mib = MEM_MIB, .seed = 1};
  host_error err;
  if (!machine_init(&m, &cfg, &err) || !machine_init(&c, &(machine_config){.mem_mib = 1}, &err)) {
    fprintf(stderr, "snapbench: %s\n", err.msg);
    return false;
  }
  fill(m.ram, m.cpu.ram_size);
  cpu_dirty_all(&m.cpu);
  char path[4096];
  snprintf(path, sizeof path, "%s/snapbench-%ld.pvsnap", dir, (long)getpid());
  double save[ROUNDS], load[ROUNDS];
  bool ok = true;
  uint64_t want = machine_state_hash(&m);
  struct stat st = {0};
  for (int r = 0; r < ROUNDS && ok; r++) {
    double t0 = bench_now();
    ok = snap_save(&m, path, &err);
    double t1 = bench_now();
    ok = ok && snap_load(&c, path, &err);
    double t2 = bench_now();
    if (!ok) fprintf(stderr, "snapbench: %s\n", err.msg);
    if (ok && machine_state_hash(&c) != want) {
      fprintf(stderr, "snapbench: %s: the restored machine differs\n", name);
      ok = false;
    }
    save[r] = t1 - t0;
    load[r] = t2 - t1;
  }
  if (ok && stat(path, &st) != 0) ok = false;
  unlink(path);
  if (ok) {
    printf("%-22s %10.1f MiB %9.3f s %9.3f s\n", name,
           (double)st.st_size / (1024.0 * 1024.0), bench_median(save, ROUNDS), bench_median(load, ROUNDS));
  }
  machine_free(&m);
  machine_free(&c);
  return ok;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : getenv("TMPDIR");
  if (!dir || !*dir) dir = "/tmp";
  printf("snapshots of a %u MiB guest in %s, median of %d rounds\n", MEM_MIB, dir, ROUNDS);
  printf("%-22s %14s %11s %11s\n", "RAM", "file", "save", "load");
  bool ok = bench("64 MiB all zero", fill_zero, dir);
  ok = bench("64 MiB random", fill_random, dir) && ok;
  ok = bench("64 MiB text-like", fill_text, dir) && ok;
  return ok ? 0 : 1;
}
