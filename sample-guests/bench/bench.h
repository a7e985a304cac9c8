/* Shared by the benchmark kernels.  A kernel is plain C: it computes, prints
 * one line "NAME checksum HEX" through printf, and returns 0 from main.  The
 * same source links with the pvlab SDK (sdk/) and with the Linux glue
 * (linux/), so pvlab and qemu-riscv32 run exactly the same code and must
 * print the same line. */
#ifndef PVLAB_BENCH_H
#define PVLAB_BENCH_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

/* Marsaglia's xorshift32: the data every kernel works on, never zero when
 * seeded with a nonzero state. */
static inline uint32_t bench_rand(uint32_t *state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *state = x;
}

static inline void bench_checksum(const char *name, uint32_t sum) {
  printf("%s checksum %08" PRIx32 "\n", name, sum);
}

#endif
