/* sha256: FIPS 180-4 SHA-256 over several MiB of xorshift32 data, after a
 * known-answer check on "abc".  The checksum line is the whole digest. */
#include <string.h>

#include "bench.h"

#define BUF_SIZE (64u * 1024u)
#ifndef PASSES /* bench/revbench builds a longer run */
#define PASSES 96u /* 6 MiB in all */
#endif

typedef struct sha256 {
  uint32_t h[8];
  uint8_t block[64];
  uint32_t fill;      /* bytes waiting in block */
  uint64_t length;    /* bytes hashed so far */
} sha256;

static const uint32_t k[64] = {
  0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u,
  0x923f82a4u, 0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u,
  0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u,
  0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
  0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u,
  0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u,
  0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
  0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
  0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au,
  0x5b9cca4fu, 0x682e6ff3u, 0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
  0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

static uint32_t ror(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static void compress(uint32_t h[8], const uint8_t *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++) {
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
           (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  }
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
  uint32_t e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) +
                  ((e & f) ^ (~e & g)) + k[i] + w[i];
    uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) +
                  ((a & b) ^ (a & c) ^ (b & c));
    hh = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d;
  h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static void sha256_init(sha256 *s) {
  static const uint32_t iv[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u,
                                 0xa54ff53au, 0x510e527fu, 0x9b05688cu,
                                 0x1f83d9abu, 0x5be0cd19u};
  memcpy(s->h, iv, sizeof iv);
  s->fill = 0;
  s->length = 0;
}

static void sha256_update(sha256 *s, const uint8_t *p, uint32_t len) {
  s->length += len;
  if (s->fill) {
    while (len && s->fill < 64) {
      s->block[s->fill++] = *p++;
      len--;
    }
    if (s->fill < 64) return;
    compress(s->h, s->block);
    s->fill = 0;
  }
  for (; len >= 64; p += 64, len -= 64) compress(s->h, p);
  memcpy(s->block, p, len);
  s->fill = len;
}

static void sha256_final(sha256 *s, uint32_t digest[8]) {
  uint64_t bits = s->length * 8;
  uint8_t pad[72] = {0x80};
  uint32_t padlen = (s->fill < 56 ? 56 : 120) - s->fill;
  for (int i = 0; i < 8; i++) pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
  sha256_update(s, pad, padlen + 8);
  memcpy(digest, s->h, sizeof s->h);
}

static void print_digest(const uint32_t d[8]) {
  for (int i = 0; i < 8; i++) printf("%08" PRIx32, d[i]);
}

static uint8_t buf[BUF_SIZE];

int main(void) {
  static const uint32_t abc[8] = {0xba7816bfu, 0x8f01cfeau, 0x414140deu,
                                  0x5dae2223u, 0xb00361a3u, 0x96177a9cu,
                                  0xb410ff61u, 0xf20015adu};
  sha256 s;
  uint32_t d[8];
  sha256_init(&s);
  sha256_update(&s, (const uint8_t *)"abc", 3);
  sha256_final(&s, d);
  if (memcmp(d, abc, sizeof d) != 0) {
    printf("sha256 FAIL: sha256(\"abc\") = ");
    print_digest(d);
    printf(", expected ");
    print_digest(abc);
    printf("\n");
    return 1;
  }

  uint32_t seed = 1234567u;
  for (uint32_t i = 0; i < BUF_SIZE; i++) buf[i] = (uint8_t)bench_rand(&seed);
  sha256_init(&s);
  for (uint32_t pass = 0; pass < PASSES; pass++) {
    buf[pass] ^= (uint8_t)s.h[0]; /* each pass sees new data */
    sha256_update(&s, buf, BUF_SIZE);
  }
  sha256_final(&s, d);
  printf("sha256 checksum ");
  print_digest(d);
  printf("\n");
  return 0;
}
