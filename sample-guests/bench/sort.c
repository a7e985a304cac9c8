/* sort: quicksort of 1 Mi 32-bit integers from xorshift32, then a check
 * that the result is ordered and a checksum over it.  The array is 4 MiB of
 * .bss on purpose: this guest does not fit in 1 MiB of guest RAM, which a
 * test relies on (pvlab run --mem 1 must refuse to load it). */
#include "bench.h"

#define COUNT (1u << 20)
#define SMALL 16 /* partitions this short are left to insertion sort */

static uint32_t a[COUNT];

static void swap(uint32_t *x, uint32_t *y) {
  uint32_t t = *x;
  *x = *y;
  *y = t;
}

static void insertion_sort(uint32_t *v, uint32_t n) {
  for (uint32_t i = 1; i < n; i++) {
    uint32_t x = v[i], j = i;
    for (; j > 0 && v[j - 1] > x; j--) v[j] = v[j - 1];
    v[j] = x;
  }
}

/* Hoare partitioning around a median of three; recursion only into the
 * smaller side, so the stack stays logarithmic whatever the data. */
static void quicksort(uint32_t *v, uint32_t n) {
  while (n > SMALL) {
    uint32_t mid = n / 2;
    if (v[mid] < v[0]) swap(&v[mid], &v[0]);
    if (v[n - 1] < v[0]) swap(&v[n - 1], &v[0]);
    if (v[n - 1] < v[mid]) swap(&v[n - 1], &v[mid]);
    uint32_t pivot = v[mid];
    uint32_t i = 0, j = n - 1;
    for (;;) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i >= j) break;
      swap(&v[i], &v[j]);
      i++;
      j--;
    }
    uint32_t left = j + 1; /* v[0..j] <= pivot <= v[j+1..n-1] */
    if (left < n - left) {
      quicksort(v, left);
      v += left;
      n -= left;
    } else {
      quicksort(v + left, n - left);
      n = left;
    }
  }
  insertion_sort(v, n);
}

int main(void) {
  uint32_t seed = 2463534242u;
  for (uint32_t i = 0; i < COUNT; i++) a[i] = bench_rand(&seed);
  quicksort(a, COUNT);
  uint32_t sum = 0;
  for (uint32_t i = 0; i < COUNT; i++) {
    if (i > 0 && a[i - 1] > a[i]) {
      printf("sort FAIL: a[%" PRIu32 "] > a[%" PRIu32 "]\n", i - 1, i);
      return 1;
    }
    sum = sum * 31u + a[i];
  }
  bench_checksum("sort", sum);
  return 0;
}
