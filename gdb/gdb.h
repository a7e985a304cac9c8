/* The gdb remote stub: `pvlab debug --gdb PORT` and `pvlab replay --gdb
 * PORT` let gdb-multiarch drive the monitor over the GDB remote serial
 * protocol (docs/gdb.md).  Three layers, one file each:
 *   packet.c      framing ($data#cs, escapes, run-length, checksums, the
 *                 size limit) as pure functions: the fuzz target's entry;
 *   stub.c        one row per packet, over the monitor's own pieces
 *                 (break.c, run.c, reverse.c) and mon_exec for qRcmd;
 *   net.c         the socket, the accept loop, Ctrl-C while running. */
#ifndef PVLAB_GDB_H
#define PVLAB_GDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mon.h"

/* The largest packet body we take or send, decoded (qSupported says it). */
#define GDB_PACKET_MAX 4096

/* ---- packet.c: the receiving side, a byte at a time */

typedef enum gdb_rx_event {
  GDB_RX_NONE,         /* nothing complete yet (or garbage, skipped) */
  GDB_RX_PACKET,       /* a packet: rx.data, rx.len (NUL-terminated) */
  GDB_RX_BAD_CHECKSUM, /* answer '-': the client sends it again */
  GDB_RX_TOO_LONG,     /* over GDB_PACKET_MAX, or a bad run-length or
                          escape: acknowledged, answered with an error */
  GDB_RX_INTERRUPT,    /* 0x03 outside a packet: Ctrl-C in gdb */
  GDB_RX_ACK,          /* '+' */
  GDB_RX_NACK,         /* '-': send the last reply again */
} gdb_rx_event;

typedef struct gdb_rx {
  int state;       /* where in a packet we are (gdb/packet.c) */
  uint8_t sum;     /* running checksum of the raw body */
  uint8_t cs;      /* the checksum's first hex digit, then both */
  bool over;       /* the raw body outgrew raw[] */
  size_t raw_len;
  char raw[2 * GDB_PACKET_MAX];  /* the body as sent (escaped, run-length) */
  size_t len;
  char data[GDB_PACKET_MAX + 1]; /* the body decoded, NUL-terminated */
} gdb_rx;

void gdb_rx_init(gdb_rx *r);
gdb_rx_event gdb_rx_byte(gdb_rx *r, uint8_t c);

/* "$" body "#" checksum into out, escaping what must be (# $ } *); the
 * framed length, or 0 when it does not fit in cap. */
size_t gdb_frame(const char *body, size_t len, char *out, size_t cap);

/* Hex helpers: the value of one digit (-1 if not one); n bytes from 2n
 * digits (false on a non-digit); bytes to digits (out gets 2n + 1). */
int gdb_hex_digit(char c);
bool gdb_hex_decode(const char *hex, size_t n, uint8_t *out);
void gdb_hex_encode(const uint8_t *in, size_t n, char *out);
/* A hex number up to the first character not a digit (*end), at most
 * 8 digits, at least one. */
bool gdb_hex_u32(const char *p, uint32_t *value, const char **end);

/* ---- stub.c: one packet in, one reply out */

/* What the connection does after a reply. */
typedef enum gdb_after {
  GDB_REPLY, /* send the reply, read the next packet */
  GDB_CLOSE, /* send it, then drop this client (D): the guest stays stopped */
  GDB_QUIT,  /* send it, then end the server (k, monitor quit) */
} gdb_after;

typedef struct gdb_stub {
  mon *s;
  uint64_t end;   /* a replay: where the recording ends (UINT64_MAX: none) */
  bool no_ack;    /* after QStartNoAckMode */
  /* Sends an O packet (console text for gdb) while a reply is pending. */
  void (*send_o)(void *ctx, const char *text, size_t len);
  void *ctx;
} gdb_stub;

/* Handles one decoded packet; reply gets the body (NUL-terminated, at most
 * GDB_PACKET_MAX).  c and s run the guest: Ctrl-C comes through the
 * monitor's interrupt flag (gdb/net.c sets it). */
gdb_after gdb_stub_handle(gdb_stub *g, const char *pkt, size_t len, char *reply);
/* The stop reply for how the guest stands now (for '?'). */
void gdb_stub_status(gdb_stub *g, char *reply);

/* ---- net.c: the server */

typedef struct gdb_opts {
  unsigned port;      /* 0: any free port (printed) */
  const char *listen; /* the address to listen on; NULL: 127.0.0.1 */
  const char *guest;  /* for the banner: what gdb should load */
  uint64_t end;       /* as gdb_stub.end */
} gdb_opts;

/* Serves gdb clients one after another until one kills the session (k,
 * monitor quit) or pvlab gets SIGINT while no guest runs.  Returns the
 * exit status for the command line: 0, or 125 when the socket could not
 * be set up (with a message on stderr). */
int gdb_serve(mon *s, const gdb_opts *o);

#endif
