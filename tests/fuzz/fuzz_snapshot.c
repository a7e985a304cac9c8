/* The snapshot loaders under fire.  LLVMFuzzerTestOneInput takes any bytes
 * as a pvlab file: parse, describe, restore into a small machine.  A
 * refusal must leave that machine exactly as it was; a restore that is
 * accepted must give a machine that runs (a while) without a host crash,
 * which is what the loader's checks are for.  Anything else aborts, and
 * the sanitizers see every out-of-bounds access on the way.
 *
 * Built with -fsanitize=fuzzer (meson -Dfuzz=true, clang) it is a
 * libFuzzer target.  Built with FUZZ_DRIVER it is fuzz_snapshot_corpus, a
 * normal program and test: it makes a corpus (snapshots of the sample
 * guests, every kind of damage the unit tests make, and thousands of
 * deterministic random mutations, half of them with their CRCs made
 * right so that they reach the field checks) and runs the target over
 * it; `--write DIR` saves the corpus instead, to seed the fuzzer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine.h"
#include "bundle.h"
#include "snapshot.h"

/* Larger machines are skipped: restoring 2 GiB per input would make the
 * fuzzer crawl, and the code paths are the same. */
#define FUZZ_MAX_MIB 64u
#define FUZZ_RUN_INSNS 20000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static machine target;
static bool target_ready;
static FILE *sink;
static size_t accepted; /* inputs restored (and run) */

static void fresh_target(void) {
  machine_config cfg = {.mem_mib = 1, .seed = 1};
  host_error err;
  if (target_ready) machine_free(&target);
  if (!machine_init(&target, &cfg, &err)) abort();
  target_ready = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!target_ready) fresh_target();
  if (!sink) sink = fopen("/dev/null", "w");
  snap_file f;
  host_error err;
  err.msg[0] = 0;
  if (!snap_file_parse(&f, data, size, "fuzz.pvsnap", &err)) {
    if (!err.msg[0]) abort(); /* a refusal always says why */
    return 0;
  }
  if (sink) snap_describe(&f, sink);
  machine_config cfg;
  if (snap_file_config(&f, &cfg, &err) && cfg.mem_mib > FUZZ_MAX_MIB) {
    snap_file_free(&f);
    return 0;
  }
  uint64_t before = machine_state_hash(&target);
  err.msg[0] = 0;
  if (f.kind == SNAP_KIND_BUNDLE) {
    /* a recording: its log and hashes too, then a replay that must either
     * follow them or say where it left them */
    if (sink) replay_bundle_describe(&f, sink);
    replay_player p;
    if (!replay_play_open_file(&p, &target, &f, &err)) {
      if (!err.msg[0] || machine_state_hash(&target) != before) abort();
    } else {
      replay_play_run(&p, target.cpu.s.icount + FUZZ_RUN_INSNS);
      if (p.diverged && !p.why[0]) abort();
      replay_play_free(&p);
      fresh_target();
      accepted++;
    }
  } else if (!snap_restore(&target, &f, &err)) {
    if (!err.msg[0] || machine_state_hash(&target) != before) abort();
  } else {
    machine_run(&target, target.cpu.s.icount + FUZZ_RUN_INSNS);
    fresh_target();
    accepted++;
  }
  snap_file_free(&f);
  return 0;
}

#ifdef FUZZ_DRIVER
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pvabi_calls.h"

/* ---- The corpus */

typedef struct corpus {
  snap_buf *item;
  size_t n, cap;
} corpus;

static void add(corpus *c, const uint8_t *p, size_t n) {
  if (c->n == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 256;
    c->item = realloc(c->item, c->cap * sizeof *c->item);
    if (!c->item) abort();
  }
  c->item[c->n] = (snap_buf){0};
  snap_put_bytes(&c->item[c->n], p, n);
  if (c->item[c->n].oom) abort();
  c->n++;
}

static uint32_t rd32(const uint8_t *p) {
  return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void wr32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Makes every CRC that can be found right again (a mutation then reaches
 * the checks behind them). */
static void fix_crcs(uint8_t *p, size_t n) {
  if (n < 32) return;
  size_t pos = 32;
  for (uint32_t i = rd32(p + 24); i > 0 && n - pos >= 20; i--) {
    uint64_t len = rd32(p + pos + 8) | (uint64_t)rd32(p + pos + 12) << 32;
    if (len > n - pos - 20) break;
    wr32(p + pos + 16, snap_crc32(p + pos + 20, (size_t)len));
    pos += 20 + (size_t)len;
  }
  wr32(p + 28, snap_crc32(p, 28));
}

/* A snapshot of a sample guest, at a point reached by running to limit
 * (or to a stop that comes first); with jitter, timer jitter on. */
static bool seed(corpus *c, const char *elf, const char *disk, const char *input,
                 uint64_t limit, uint32_t catch_traps, bool jitter) {
  const char *dir = getenv("GUESTS");
  char path[4096], img[4096];
  snprintf(path, sizeof path, "%s/%s", dir, elf);
  snprintf(img, sizeof img, "%s/%s", dir, disk ? disk : "");
  machine m;
  machine_config cfg = {.mem_mib = 4, .seed = 3, .jitter = jitter};
  host_error err;
  dev_console_mem con = {.in = (const uint8_t *)input, .in_len = strlen(input)};
  bool ok = machine_init(&m, &cfg, &err) && machine_load_elf(&m, path, &err) &&
            (!disk || machine_disk_attach(&m, img, false, &err));
  if (ok) {
    m.console_io = dev_console_mem_backend(&con);
    m.dbg.catch_traps = catch_traps;
    machine_run(&m, limit);
    snap_section sec[SNAP_MACHINE_SECTIONS];
    snap_buf bufs[SNAP_MACHINE_SECTIONS], file = {0};
    size_t n = 0;
    ok = snap_encode_machine(&m, sec, bufs, &n, &err) &&
         snap_file_encode(&file, SNAP_KIND_SNAPSHOT, sec, n);
    if (ok) add(c, file.p, file.len);
    for (size_t i = 0; i < n; i++) snap_buf_free(&bufs[i]);
    snap_buf_free(&file);
  }
  if (!ok) fprintf(stderr, "fuzz_snapshot_corpus: %s: %s\n", elf, err.msg);
  dev_console_mem_free(&con);
  machine_free(&m);
  return ok;
}

/* A recording of a sample guest reading input (a bundle: the machine
 * sections plus RECI, LOG and HASH), for the bundle loader. */
static bool seed_bundle(corpus *c, const char *elf, const char *input) {
  const char *dir = getenv("GUESTS");
  char path[4096], file[64] = "/tmp/pvlab-fuzz-XXXXXX";
  snprintf(path, sizeof path, "%s/%s", dir, elf);
  machine m;
  machine_config cfg = {.mem_mib = 2, .seed = 5};
  host_error err;
  dev_console_mem con = {.in = (const uint8_t *)input, .in_len = strlen(input)};
  replay_recorder rec;
  int fd = mkstemp(file);
  bool ok = fd >= 0 && machine_init(&m, &cfg, &err) && machine_load_elf(&m, path, &err);
  if (ok) {
    m.console_io = dev_console_mem_backend(&con);
    ok = replay_record_start(&rec, &m, 1000, &err);
    if (ok) {
      replay_record_run(&rec, UINT64_MAX);
      ok = replay_record_save(&rec, file, &err);
      replay_record_free(&rec);
    }
    machine_free(&m);
  }
  snap_file f;
  if (ok && (ok = snap_file_read(&f, file, &err))) {
    add(c, f.blob, f.size);
    snap_file_free(&f);
  }
  if (!ok) fprintf(stderr, "fuzz_snapshot_corpus: recording %s: %s\n", elf, err.msg);
  if (fd >= 0) {
    close(fd);
    unlink(file);
  }
  dev_console_mem_free(&con);
  return ok;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* Damage of every kind the unit tests make, to one valid file. */
static void damage(corpus *c, const snap_buf *good) {
  const uint8_t *g = good->p;
  size_t n = good->len;
  uint8_t *copy = malloc(n + 64);
  if (!copy) abort();
  /* truncated: at every section boundary, in every section header, and at
   * offsets through every section */
  size_t pos = 32;
  add(c, g, 0);
  for (size_t cut = 1; cut < 32; cut += 3) add(c, g, cut);
  for (uint32_t i = rd32(g + 24); i > 0 && pos < n; i--) {
    size_t len = rd32(g + pos + 8), end = pos + 20 + len;
    for (size_t k = 0; k < 16; k++) add(c, g, pos + (end - pos) * k / 16);
    /* words through the payload set to edge values, CRCs right */
    for (size_t off = 0; off < len; off += len / 16 + 1) {
      static const uint32_t values[] = {0, 0xffffffffu, 7, 0x80000000u};
      for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
        memcpy(copy, g, n);
        for (size_t b = 0; b < 4 && pos + 20 + off + b < end; b++) {
          copy[pos + 20 + off + b] = (uint8_t)(values[v] >> (8 * b));
        }
        fix_crcs(copy, n);
        add(c, copy, n);
      }
    }
    /* an absurd length, a binary tag, unknown flags */
    memcpy(copy, g, n);
    wr32(copy + pos + 12, 0x10000000);
    add(c, copy, n);
    memcpy(copy, g, n);
    copy[pos] = 0;
    add(c, copy, n);
    memcpy(copy, g, n);
    wr32(copy + pos + 4, 1);
    add(c, copy, n);
    pos = end;
  }
  /* flipped bits */
  for (size_t k = 0; k < 150; k++) {
    memcpy(copy, g, n);
    copy[k < 64 ? k / 2 : rnd() % n] ^= (uint8_t)(1u << (k % 8));
    add(c, copy, n);
  }
  /* header fields: magic, versions, kind, count (CRC right) */
  static const size_t fields[] = {0, 8, 12, 16, 20, 24};
  for (size_t f = 0; f < 6; f++) {
    for (uint32_t v = 0; v < 4; v++) {
      memcpy(copy, g, n);
      wr32(copy + fields[f], f == 5 ? rd32(g + 24) + v - 2 : v * 0x10001u);
      fix_crcs(copy, n);
      add(c, copy, n);
    }
  }
  memcpy(copy, g, n);
  memset(copy + n, 0, 64);
  add(c, copy, n + 64); /* trailing bytes */
  free(copy);
}

/* One random mutation of a valid file: 1 to 4 edits of kinds that files
 * really suffer, and half the time the CRCs made right. */
static void mutate(corpus *c, const snap_buf *good) {
  size_t cap = good->len + 4096, n = good->len;
  uint8_t *p = malloc(cap);
  if (!p) abort();
  memcpy(p, good->p, n);
  for (int edits = 1 + (int)(rnd() % 4); edits > 0 && n > 0; edits--) {
    size_t at = rnd() % n;
    switch (rnd() % 6) {
    case 0: p[at] ^= (uint8_t)(1u << (rnd() % 8)); break;
    case 1: p[at] = (uint8_t)rnd(); break;
    case 2: n = at; break; /* truncated */
    case 3: /* a 4-byte field set to an edge value */
      if (at + 4 <= n) wr32(p + at, (uint32_t[]){0, 1, 0xffffffffu, 0x7fffffffu}[rnd() % 4]);
      break;
    case 4: { /* bytes inserted */
      size_t k = 1 + rnd() % 64;
      if (n + k > cap) break;
      memmove(p + at + k, p + at, n - at);
      for (size_t i = 0; i < k; i++) p[at + i] = (uint8_t)rnd();
      n += k;
      break;
    }
    default: { /* bytes removed */
      size_t k = 1 + rnd() % 64;
      if (at + k > n) k = n - at;
      memmove(p + at, p + at + k, n - at - k);
      n -= k;
      break;
    }
    }
  }
  if (rnd() % 2) fix_crcs(p, n);
  add(c, p, n);
  free(p);
}

static bool write_corpus(const corpus *c, const char *dir) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "fuzz_snapshot_corpus: cannot make %s: %s\n", dir, strerror(errno));
    return false;
  }
  for (size_t i = 0; i < c->n; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/seed-%05zu.pvsnap", dir, i);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(c->item[i].p, 1, c->item[i].len, f) != c->item[i].len) {
      fprintf(stderr, "fuzz_snapshot_corpus: cannot write %s\n", path);
      if (f) fclose(f);
      return false;
    }
    fclose(f);
  }
  printf("fuzz_snapshot_corpus: %zu files in %s\n", c->n, dir);
  return true;
}

int main(int argc, char **argv) {
  if (!getenv("GUESTS")) {
    fprintf(stderr, "fuzz_snapshot_corpus: GUESTS is not set: run it with "
            "'meson test' or point GUESTS at the sample guests\n");
    return 2;
  }
  corpus c = {0};
  const uint32_t all = ~0u;
  bool ok = seed(&c, "hello.elf", NULL, "", 0, 0, false) &&
            seed(&c, "hello.elf", NULL, "", 2500, 0, false) &&
            seed(&c, "minikernel/minikernel.elf", NULL, "", 150000, all, false) &&
            seed(&c, "minikernel/minikernel.elf", NULL, "", 300000, 0, false) &&
            seed(&c, "minikernel/minikernel.elf", NULL, "", 250000, 0, true) &&
            seed(&c, "diskdemo.elf", "diskdemo.img",
                 "write notes.txt from the corpus\ncat notes.txt\n", 40000, 0, false) &&
            seed_bundle(&c, "echo.elf", "a recorded line\nand another\n") &&
            seed_bundle(&c, "calc.elf", "6\n7\n*\np\n1\n2\n3\n4\n5\n6\n7\n8\n9\n+\np\n");
  if (!ok) return 2;
  size_t seeds = c.n;
  for (size_t i = 0; i < seeds; i++) damage(&c, &c.item[i]);
  for (int i = 0; i < 2000; i++) mutate(&c, &c.item[rnd() % seeds]);
  if (argc == 3 && strcmp(argv[1], "--write") == 0) return write_corpus(&c, argv[2]) ? 0 : 1;
  for (size_t i = 0; i < c.n; i++) {
    LLVMFuzzerTestOneInput(c.item[i].p, c.item[i].len);
    if (i + 1 == seeds && accepted != seeds) {
      fprintf(stderr, "fuzz_snapshot_corpus: only %zu of the %zu valid snapshots "
              "loaded\n", accepted, seeds);
      return 1;
    }
  }
  printf("fuzz_snapshot_corpus: %zu inputs from %zu snapshots: %zu loaded and "
         "ran, the others were refused without changing the machine\n", c.n,
         seeds, accepted);
  for (size_t i = 0; i < c.n; i++) snap_buf_free(&c.item[i]);
  free(c.item);
  if (target_ready) machine_free(&target);
  if (sink) fclose(sink);
  return 0;
}
#endif
