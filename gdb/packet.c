/* The GDB remote protocol's framing, as pure functions: no sockets, no
 * monitor, so the unit tests and the fuzz target reach every path.
 *
 * A packet is '$' body '#' two hex digits, the checksum being the sum of
 * the body's bytes as sent, modulo 256.  Inside the body '}' escapes the
 * next byte (xor 0x20) and 'X*N' repeats X N-29 times (run-length); both
 * are undone after the checksum is checked.  Outside a packet '+' and '-'
 * acknowledge, 0x03 is Ctrl-C, and anything else is noise to skip. */
#include <string.h>

#include "gdb.h"

enum { RX_IDLE, RX_BODY, RX_CS1, RX_CS2 };

void gdb_rx_init(gdb_rx *r) {
  r->state = RX_IDLE;
  r->sum = 0;
  r->cs = 0;
  r->over = false;
  r->raw_len = 0;
  r->len = 0;
  r->data[0] = 0;
}

int gdb_hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Undoes escapes and run-lengths into r->data; false when the result is
 * too long or malformed (an escape or a repeat with nothing to apply to). */
static bool decode(gdb_rx *r) {
  size_t n = 0;
  for (size_t i = 0; i < r->raw_len; i++) {
    char c = r->raw[i];
    if (c == '}') {
      if (++i == r->raw_len || n == GDB_PACKET_MAX) return false;
      r->data[n++] = (char)(r->raw[i] ^ 0x20);
    } else if (c == '*') {
      if (n == 0 || ++i == r->raw_len) return false;
      int count = (unsigned char)r->raw[i] - 29;
      if (count < 0 || n + (size_t)count > GDB_PACKET_MAX) return false;
      memset(r->data + n, r->data[n - 1], (size_t)count);
      n += (size_t)count;
    } else {
      if (n == GDB_PACKET_MAX) return false;
      r->data[n++] = c;
    }
  }
  r->data[n] = 0;
  r->len = n;
  return true;
}

static gdb_rx_event idle_byte(gdb_rx *r, uint8_t c) {
  switch (c) {
  case '$':
    r->state = RX_BODY;
    r->sum = 0;
    r->raw_len = 0;
    r->over = false;
    return GDB_RX_NONE;
  case '+': return GDB_RX_ACK;
  case '-': return GDB_RX_NACK;
  case 0x03: return GDB_RX_INTERRUPT;
  default: return GDB_RX_NONE;
  }
}

gdb_rx_event gdb_rx_byte(gdb_rx *r, uint8_t c) {
  switch (r->state) {
  case RX_IDLE: return idle_byte(r, c);
  case RX_BODY:
    if (c == '#') {
      r->state = RX_CS1;
    } else if (c == '$') { /* a new packet: the old one was cut short */
      return idle_byte(r, c);
    } else {
      r->sum = (uint8_t)(r->sum + c);
      if (r->raw_len < sizeof r->raw) r->raw[r->raw_len++] = (char)c;
      else r->over = true;
    }
    return GDB_RX_NONE;
  case RX_CS1:
    r->cs = (uint8_t)gdb_hex_digit((char)c);
    r->state = gdb_hex_digit((char)c) < 0 ? RX_IDLE : RX_CS2;
    return r->state == RX_IDLE ? GDB_RX_BAD_CHECKSUM : GDB_RX_NONE;
  default: {
    r->state = RX_IDLE;
    int lo = gdb_hex_digit((char)c);
    if (lo < 0 || (uint8_t)(r->cs << 4 | lo) != r->sum) return GDB_RX_BAD_CHECKSUM;
    if (r->over || !decode(r)) return GDB_RX_TOO_LONG;
    return GDB_RX_PACKET;
  }
  }
}

size_t gdb_frame(const char *body, size_t len, char *out, size_t cap) {
  static const char hex[] = "0123456789abcdef";
  size_t n = 0;
  uint8_t sum = 0;
  if (cap < 4) return 0;
  out[n++] = '$';
  for (size_t i = 0; i < len; i++) {
    char c = body[i];
    bool esc = c == '#' || c == '$' || c == '}' || c == '*';
    if (n + (esc ? 2 : 1) + 3 > cap) return 0;
    if (esc) {
      out[n++] = '}';
      sum = (uint8_t)(sum + '}');
      c = (char)(c ^ 0x20);
    }
    out[n++] = c;
    sum = (uint8_t)(sum + (uint8_t)c);
  }
  out[n++] = '#';
  out[n++] = hex[sum >> 4];
  out[n++] = hex[sum & 15];
  return n;
}

bool gdb_hex_decode(const char *hex, size_t n, uint8_t *out) {
  for (size_t i = 0; i < n; i++) {
    int hi = gdb_hex_digit(hex[2 * i]), lo = hi < 0 ? -1 : gdb_hex_digit(hex[2 * i + 1]);
    if (lo < 0) return false;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return true;
}

void gdb_hex_encode(const uint8_t *in, size_t n, char *out) {
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = hex[in[i] >> 4];
    out[2 * i + 1] = hex[in[i] & 15];
  }
  out[2 * n] = 0;
}

bool gdb_hex_u32(const char *p, uint32_t *value, const char **end) {
  uint32_t v = 0;
  int i = 0;
  for (; gdb_hex_digit(p[i]) >= 0; i++) {
    if (i == 8) return false;
    v = v << 4 | (uint32_t)gdb_hex_digit(p[i]);
  }
  if (i == 0) return false;
  *value = v;
  if (end) *end = p + i;
  return true;
}
