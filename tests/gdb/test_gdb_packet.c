/* The gdb stub's framing (gdb/packet.c), byte by byte. */
#include <criterion/criterion.h>
#include <string.h>

#include "gdb.h"

static gdb_rx rx;

/* Feeds text; the last event. */
static gdb_rx_event feed(const char *text, size_t n) {
  gdb_rx_event ev = GDB_RX_NONE;
  for (size_t i = 0; i < n; i++) ev = gdb_rx_byte(&rx, (uint8_t)text[i]);
  return ev;
}
#define FEED(s) feed(s, sizeof(s) - 1)

Test(gdb_packet, a_packet_with_its_checksum) {
  gdb_rx_init(&rx);
  cr_assert_eq(FEED("$g#67"), GDB_RX_PACKET);
  cr_assert_str_eq(rx.data, "g");
  cr_assert_eq(FEED("$m80000000,4#55"), GDB_RX_PACKET);
  cr_assert_str_eq(rx.data, "m80000000,4");
}

Test(gdb_packet, bad_checksums_are_refused) {
  gdb_rx_init(&rx);
  cr_assert_eq(FEED("$g#68"), GDB_RX_BAD_CHECKSUM);
  cr_assert_eq(FEED("$g#6z"), GDB_RX_BAD_CHECKSUM);
  cr_assert_eq(FEED("$g#x"), GDB_RX_BAD_CHECKSUM);
  cr_assert_eq(FEED("$g#67"), GDB_RX_PACKET, "the next packet still works");
}

Test(gdb_packet, acks_ctrl_c_and_noise) {
  gdb_rx_init(&rx);
  cr_assert_eq(FEED("+"), GDB_RX_ACK);
  cr_assert_eq(FEED("-"), GDB_RX_NACK);
  cr_assert_eq(FEED("\x03"), GDB_RX_INTERRUPT);
  cr_assert_eq(FEED("hello\n"), GDB_RX_NONE);
  cr_assert_eq(FEED("$g$g#67"), GDB_RX_PACKET, "a new '$' starts over");
  cr_assert_str_eq(rx.data, "g");
}

Test(gdb_packet, escapes_and_run_length_are_undone) {
  gdb_rx_init(&rx);
  /* "}\x03" is '#' escaped; "0* " is '0' and 3 more ('"' - 29 = 3... ' ' is 3) */
  char pkt[64];
  const char body[] = "X}\x03" "0* ";
  unsigned sum = 0;
  for (const char *p = body; *p; p++) sum += (unsigned char)*p;
  snprintf(pkt, sizeof pkt, "$%s#%02x", body, sum & 0xffu);
  cr_assert_eq(feed(pkt, strlen(pkt)), GDB_RX_PACKET);
  cr_assert_str_eq(rx.data, "X#0000");
}

Test(gdb_packet, oversized_and_broken_packets) {
  gdb_rx_init(&rx);
  static char big[GDB_PACKET_MAX + 10];
  memset(big, 'a', sizeof big);
  unsigned sum = 0;
  gdb_rx_byte(&rx, '$');
  for (size_t i = 0; i < sizeof big; i++) gdb_rx_byte(&rx, 'a'), sum += 'a';
  char tail[4];
  snprintf(tail, sizeof tail, "#%02x", sum & 0xffu);
  cr_assert_eq(feed(tail, 3), GDB_RX_TOO_LONG);
  cr_assert_eq(FEED("$*#2a"), GDB_RX_TOO_LONG, "a repeat of nothing");
  cr_assert_eq(FEED("$}#7d"), GDB_RX_TOO_LONG, "an escape of nothing");
  cr_assert_eq(FEED("$?#3f"), GDB_RX_PACKET);
}

Test(gdb_packet, framing_escapes_and_sums) {
  char out[64];
  size_t n = gdb_frame("OK", 2, out, sizeof out);
  cr_assert_eq(n, 6);
  cr_assert(memcmp(out, "$OK#9a", 6) == 0);
  n = gdb_frame("a#b", 3, out, sizeof out);
  cr_assert(memcmp(out, "$a}\x03" "b#", 6) == 0);
  cr_assert_eq(gdb_frame("OK", 2, out, 5), 0, "too small a buffer is refused");
}

Test(gdb_packet, hex) {
  uint8_t b[2];
  char s[5];
  cr_assert(gdb_hex_decode("0aFf", 2, b));
  cr_assert(b[0] == 0x0a && b[1] == 0xff);
  cr_assert(!gdb_hex_decode("0g", 1, b));
  gdb_hex_encode(b, 2, s);
  cr_assert_str_eq(s, "0aff");
  uint32_t v;
  const char *end;
  cr_assert(gdb_hex_u32("80000000,4", &v, &end) && v == 0x80000000u && *end == ',');
  cr_assert(!gdb_hex_u32("123456789", &v, &end), "more than 32 bits");
  cr_assert(!gdb_hex_u32(",", &v, &end));
}
