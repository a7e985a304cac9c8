/* The RNG device: a seeded xoshiro128** generator.  Its whole state is four
 * words in dev_rng, so a snapshot carries it and a replay repeats it; host
 * entropy never reaches the guest.  Seeds are spread with splitmix64 so
 * nearby seeds (0, 1, 2 ...) give unrelated streams. */
#include <string.h>

#include "devices.h"

#define RNG_MAX_FILL (1u << 20) /* one call fills at most 1 MiB */

uint64_t dev_splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void dev_rng_seed(dev_rng *r, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i += 2) {
    uint64_t v = dev_splitmix64(&x);
    r->s[i] = (uint32_t)v;
    r->s[i + 1] = (uint32_t)(v >> 32);
  }
  if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3])) r->s[0] = 1; /* never all 0 */
}

static uint32_t rotl(uint32_t v, unsigned k) { return (v << k) | (v >> (32 - k)); }

uint32_t dev_rng_next(dev_rng *r) {
  uint32_t *s = r->s;
  uint32_t out = rotl(s[1] * 5u, 7) * 9u;
  uint32_t t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11);
  return out;
}

int32_t dev_hc_rng_fill(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  if (a[1] > RNG_MAX_FILL) return PV_EINVAL;
  uint8_t *buf = dev_guest_buf(b, a[0], a[1]);
  if (!buf) return PV_EFAULT;
  for (uint32_t i = 0; i < a[1]; i += 4) {
    uint32_t v = dev_rng_next(&b->dev->rng);
    uint32_t n = a[1] - i < 4 ? a[1] - i : 4;
    for (uint32_t k = 0; k < n; k++) buf[i + k] = (uint8_t)(v >> (8 * k));
  }
  dev_guest_written(b, a[0], a[1]);
  out[0] = a[1];
  return PV_OK;
}
