/* matmul: 200x200 integer matrix multiply, repeated, each repetition
 * multiplying by the previous product (reduced to bytes) so no repetition
 * can be skipped.  Arithmetic is unsigned: it wraps, it never overflows. */
#include "bench.h"

#define N 200
#define REPS 5

static uint32_t a[N][N], bt[N][N], c[N][N]; /* bt is B transposed */

static void multiply(void) {
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < N; j++) {
      uint32_t sum = 0;
      for (int k = 0; k < N; k++) sum += a[i][k] * bt[j][k];
      c[i][j] = sum;
    }
  }
}

int main(void) {
  uint32_t seed = 521288629u;
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < N; j++) {
      a[i][j] = bench_rand(&seed) & 0xffu;
      bt[i][j] = bench_rand(&seed) & 0xffu;
    }
  }
  for (int rep = 0; rep < REPS; rep++) {
    multiply();
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < N; j++) a[i][j] = (c[i][j] >> 3) & 0xffu;
    }
  }
  uint32_t sum = 0;
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < N; j++) sum = sum * 31u + c[i][j];
  }
  bench_checksum("matmul", sum);
  return 0;
}
