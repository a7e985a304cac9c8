/* The gdb stub's command handler under fire (gdb/stub.c): any bytes as a
 * session of decoded packets, one a line, each given to gdb_stub_handle
 * on a live guest (fuzz_live.h), as gdb/net.c gives them after the
 * framing (fuzz_gdb_packet covers that).  Every reply must be a string of
 * at most GDB_PACKET_MAX bytes, every console packet an 'O' and hex
 * digits; a qRcmd runs its monitor command as fuzz_monitor does (files
 * only in the private directory).  Anything else aborts, and the
 * sanitizers see every bad access on the way.
 *
 * Built with -Dfuzz=true (clang) it is the libFuzzer target fuzz_gdb_stub
 * (GUESTS must name the sample guests); otherwise, with
 * tests/fuzz/fuzz_driver.c, the test fuzz_gdb_stub_corpus over
 * tests/fuzz/corpus/gdb_stub. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_live.h"
#include "gdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PACKETS 64

static void send_o(void *ctx, const char *text, size_t len) {
  if (len < 1 || len > GDB_PACKET_MAX || text[0] != 'O' || len % 2 != 1) abort();
  for (size_t i = 1; i < len; i++) {
    if (gdb_hex_digit(text[i]) < 0) abort();
  }
}

/* A qRcmd's command made safe as fuzz_monitor's lines are; false: drop
 * the packet. */
static bool safe_rcmd(fuzz_live *l, char *pkt, size_t *len) {
  static char line[GDB_PACKET_MAX / 2 + 1], safe[GDB_PACKET_MAX];
  size_t n = *len - 6;
  if (n % 2 || n / 2 >= sizeof line || !gdb_hex_decode(pkt + 6, n / 2, (uint8_t *)line)) {
    return true; /* malformed: the stub's to refuse */
  }
  line[n / 2] = 0;
  if (!fuzz_live_safe_line(l, line, safe, sizeof safe)) return false;
  size_t k = strlen(safe);
  if (6 + 2 * k > GDB_PACKET_MAX) return false;
  gdb_hex_encode((const uint8_t *)safe, k, pkt + 6);
  *len = 6 + 2 * k;
  return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fuzz_live l;
  static char pkt[GDB_PACKET_MAX + 1], reply[GDB_PACKET_MAX + 2];
  fuzz_live_start(&l);
  gdb_stub g = {.s = l.s, .end = UINT64_MAX, .send_o = send_o};
  size_t at = 0;
  for (int k = 0; at < size && k < MAX_PACKETS && !fuzz_live_spent(&l); k++) {
    const uint8_t *nl = memchr(data + at, '\n', size - at);
    size_t n = (nl ? (size_t)(nl - data) : size) - at;
    if (n > GDB_PACKET_MAX) n = GDB_PACKET_MAX;
    memcpy(pkt, data + at, n);
    pkt[n] = 0; /* as gdb_rx leaves a packet: NUL-terminated */
    at = nl ? (size_t)(nl - data) + 1 : size;
    if (n >= 6 && memcmp(pkt, "qRcmd,", 6) == 0 && !safe_rcmd(&l, pkt, &n)) continue;
    memset(reply, 0x55, sizeof reply);
    gdb_after after = gdb_stub_handle(&g, pkt, n, reply);
    if (!memchr(reply, 0, GDB_PACKET_MAX + 1)) abort(); /* a string that fits */
    if (after == GDB_QUIT) break;
    if (after != GDB_REPLY && after != GDB_CLOSE) abort();
  }
  fuzz_live_stop(&l);
  return 0;
}
