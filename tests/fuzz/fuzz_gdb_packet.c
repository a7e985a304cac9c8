/* The gdb stub's packet framing (gdb/packet.c) under fire: any
 * byte stream is fed through gdb_rx_byte, and every packet it accepts must
 * be within the size limit, NUL-terminated, and frame back (gdb_frame)
 * into bytes that decode to the same packet.  Built with FUZZ_DRIVER it is
 * fuzz_gdb_packet_corpus, a plain test: a seed session of gdb's packets
 * mutated deterministically (bytes changed, cut, duplicated). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_roundtrip(const gdb_rx *r) {
  static gdb_rx again;
  static char framed[2 * GDB_PACKET_MAX + 8];
  if (r->len > GDB_PACKET_MAX || r->data[r->len] != 0) abort();
  size_t n = gdb_frame(r->data, r->len, framed, sizeof framed);
  if (n == 0) abort(); /* any accepted packet fits escaped */
  gdb_rx_init(&again);
  gdb_rx_event ev = GDB_RX_NONE;
  for (size_t i = 0; i < n; i++) ev = gdb_rx_byte(&again, (uint8_t)framed[i]);
  if (ev != GDB_RX_PACKET || again.len != r->len || memcmp(again.data, r->data, r->len)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static gdb_rx r;
  gdb_rx_init(&r);
  for (size_t i = 0; i < size; i++) {
    if (gdb_rx_byte(&r, data[i]) == GDB_RX_PACKET) check_roundtrip(&r);
  }
  return 0;
}

#ifdef FUZZ_DRIVER
static const char seed[] =
    "+$qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386#6a+$vMustReplyEmpty#3a"
    "$Hg0#df$qXfer:features:read:target.xml:0,ffb#79$?#3f$g#67$m80000000,4#8d"
    "$Z0,80000044,4#a6$c#63\x03$X80000000,4:}\x03}]*\x23#00$M0,2:0a0b#00$qRcmd,696e666f#00"
    "$bc#c5$bs#d5$0* #00$}#00$*#00-$D#44";

int main(void) {
  uint64_t x = 0x9e3779b97f4a7c15u;
  size_t n = sizeof seed - 1;
  uint8_t *m = malloc(3 * n);
  if (!m) return 1;
  LLVMFuzzerTestOneInput((const uint8_t *)seed, n);
  for (int round = 0; round < 20000; round++) {
    size_t len = n;
    memcpy(m, seed, n);
    for (int k = 0; k < 1 + round % 8; k++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      switch (round % 3) {
      case 0: m[x % len] = (uint8_t)(x >> 32); break;        /* a byte changed */
      case 1: len = 1 + x % len; break;                      /* cut short */
      default: {                                             /* a stretch doubled */
        size_t at = x % len, k2 = (x >> 20) % (len - at + 1);
        if (len + k2 <= 3 * n) {
          memmove(m + at + k2, m + at, len - at);
          len += k2;
        }
      }
      }
    }
    LLVMFuzzerTestOneInput(m, len);
  }
  free(m);
  printf("fuzz_gdb_packet: 20000 mutated sessions, no failure\n");
  return 0;
}
#endif
