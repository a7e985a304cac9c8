/* What the benchmarks share: a monotonic clock, and the median of a set of
 * timings (sorted in place, so the caller can read the minimum and the
 * maximum at v[0] and v[n - 1] afterwards). */
#ifndef PVLAB_BENCH_CLOCK_H
#define PVLAB_BENCH_CLOCK_H

#include <stddef.h>

double bench_now(void);
double bench_median(double *v, size_t n);

#endif
