/* crc32: the IEEE 802.3 CRC (zlib's crc32), table-driven a byte at a time,
 * over a 64 KiB buffer many times.  Checks the standard test vector first. */
#include <string.h>

#include "bench.h"

#define BUF_SIZE (64u * 1024u)
#define PASSES 400u

static uint32_t table[256];
static uint8_t buf[BUF_SIZE];

static void make_table(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
}

/* Continues a CRC: crc32(crc32(0, a), b) == crc32(0, a followed by b). */
static uint32_t crc32(uint32_t crc, const uint8_t *p, uint32_t len) {
  crc = ~crc;
  while (len--) crc = table[(crc ^ *p++) & 0xffu] ^ (crc >> 8);
  return ~crc;
}

int main(void) {
  make_table();
  const char *check = "123456789";
  uint32_t kat = crc32(0, (const uint8_t *)check, (uint32_t)strlen(check));
  if (kat != 0xcbf43926u) {
    printf("crc32 FAIL: crc32(\"123456789\") = %08" PRIx32
           ", expected cbf43926\n", kat);
    return 1;
  }
  uint32_t seed = 88172645u;
  for (uint32_t i = 0; i < BUF_SIZE; i++) buf[i] = (uint8_t)bench_rand(&seed);
  uint32_t crc = 0;
  for (uint32_t pass = 0; pass < PASSES; pass++) {
    buf[pass % BUF_SIZE] ^= (uint8_t)crc; /* each pass sees new data */
    crc = crc32(crc, buf, BUF_SIZE);
  }
  bench_checksum("crc32", crc);
  return 0;
}
