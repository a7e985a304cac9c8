/* Recording bundles under fire (replay/bundle.c, the log decoder in
 * replay/tap.c): any bytes as a .pvrec.  Each input goes in twice: as it
 * is, and with every section's CRC made right, so that a mutation reaches
 * the checks behind the CRCs (RECI, LOG, HASH and the machine sections).
 * A bundle is described, opened into a machine (or refused with a message
 * and the machine as it was) and replayed for a bounded number of
 * instructions: it follows the recording, or says where it left it.
 * Anything else aborts, and the sanitizers see every bad access on the
 * way.  (fuzz_snapshot covers the snapshot kind of the same container.)
 *
 * Built with -Dfuzz=true (clang) it is the libFuzzer target fuzz_bundle;
 * otherwise, with tests/fuzz/fuzz_driver.c, the test fuzz_bundle_corpus
 * over tests/fuzz/corpus/bundle. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MIB 16u /* larger recordings are skipped: the code is the same */
#define RUN_INSNS 200000u

static uint32_t rd32(const uint8_t *p) {
  return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void wr32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* The container (docs/file-formats.md): a 32-byte header whose last word
 * is its CRC, the section count at 24; each section a 20-byte header
 * (tag, flags, 64-bit length, CRC) and its payload.  False when nothing
 * needed fixing. */
static bool fix_crcs(uint8_t *p, size_t n) {
  if (n < 32) return false;
  bool changed = false;
  size_t pos = 32;
  for (uint32_t i = rd32(p + 24); i > 0 && n - pos >= 20; i--) {
    uint64_t len = rd32(p + pos + 8) | (uint64_t)rd32(p + pos + 12) << 32;
    if (len > n - pos - 20) break;
    uint32_t crc = snap_crc32(p + pos + 20, (size_t)len);
    changed |= rd32(p + pos + 16) != crc;
    wr32(p + pos + 16, crc);
    pos += 20 + (size_t)len;
  }
  uint32_t crc = snap_crc32(p, 28);
  changed |= rd32(p + 28) != crc;
  wr32(p + 28, crc);
  return changed;
}

static machine target;
static FILE *sink;

static void one(const uint8_t *data, size_t size) {
  snap_file f;
  host_error err;
  err.msg[0] = 0;
  if (!snap_file_parse(&f, data, size, "fuzz.pvrec", &err)) {
    if (!err.msg[0]) abort(); /* a refusal always says why */
    return;
  }
  snap_describe(&f, sink);
  replay_bundle_describe(&f, sink);
  machine_config cfg;
  if (snap_file_config(&f, &cfg, &err) && cfg.mem_mib > MAX_MIB) {
    snap_file_free(&f);
    return;
  }
  uint64_t before = machine_state_hash(&target);
  replay_player p;
  err.msg[0] = 0;
  if (!replay_play_open_file(&p, &target, &f, &err)) {
    if (!err.msg[0] || machine_state_hash(&target) != before) abort();
  } else {
    uint64_t end = replay_bundle_end_limit(&p.end);
    replay_play_run(&p, target.cpu.s.icount + RUN_INSNS);
    if (p.diverged && !p.why[0]) abort();
    if (!p.diverged && target.cpu.s.icount >= end && !replay_play_finish(&p) && !p.why[0]) abort();
    replay_play_free(&p);
    /* the next input starts from a fresh machine */
    machine_free(&target);
    machine_config fresh = {.mem_mib = 1, .seed = 1};
    if (!machine_init(&target, &fresh, &err)) abort();
  }
  snap_file_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static bool ready;
  if (!ready) {
    machine_config cfg = {.mem_mib = 1, .seed = 1};
    host_error err;
    sink = fopen("/dev/null", "w");
    if (!sink || !machine_init(&target, &cfg, &err)) abort();
    ready = true;
  }
  one(data, size);
  uint8_t *fixed = malloc(size ? size : 1);
  if (!fixed) return 0;
  if (size) memcpy(fixed, data, size);
  if (fix_crcs(fixed, size)) one(fixed, size);
  free(fixed);
  return 0;
}
