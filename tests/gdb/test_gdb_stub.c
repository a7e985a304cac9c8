/* The gdb stub's command handler (gdb/stub.c) in-process, on a machine
 * with no guest loaded: the packets whose fields it must parse strictly. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "gdb.h"

static machine M;
static mon *S;
static gdb_stub G;
static char console[4096]; /* what the stub sent to gdb's console */
static size_t console_len;

static void send_o(void *ctx, const char *text, size_t len) {
  cr_assert(len % 2 == 1 && text[0] == 'O');
  size_t n = len / 2;
  cr_assert(console_len + n < sizeof console);
  cr_assert(gdb_hex_decode(text + 1, n, (uint8_t *)console + console_len));
  console_len += n;
  console[console_len] = 0;
}

static void start(void) {
  machine_config cfg = {.mem_mib = 1, .seed = 1};
  host_error err;
  cr_assert(machine_init(&M, &cfg, &err), "%s", err.msg);
  S = mon_new(&M, NULL);
  cr_assert(S);
  G = (gdb_stub){.s = S, .end = UINT64_MAX, .send_o = send_o};
  console_len = 0;
  console[0] = 0;
}

static void finish(void) {
  mon_free(S);
  machine_free(&M);
}

/* Leaves garbage where the handler's locals will be, so that one read
 * before it is written shows (an unwritten TYPE of 0xffffffff reads as a
 * type above 4). */
__attribute__((noinline)) static void dirty_stack(void) {
  volatile uint8_t junk[8192];
  for (size_t i = 0; i < sizeof junk; i++) junk[i] = 0xff;
}

static void handle(const char *pkt, const char *want) {
  static char reply[GDB_PACKET_MAX + 1];
  dirty_stack();
  cr_expect_eq(gdb_stub_handle(&G, pkt, strlen(pkt), reply), GDB_REPLY);
  cr_expect_str_eq(reply, want, "%s: replied \"%s\", not \"%s\"", pkt, reply, want);
}

/* Each packet after one with a type above 4, so that a TYPE read before
 * it is written finds one there (the stack dirtied, or the register the
 * last call left it in). */
static void expect_reply(const char *pkt, const char *want) {
  handle("Zffff,80000000,4", "");
  handle(pkt, want);
}

Test(gdb_stub, breakpoint_packets_are_parsed_strictly, .init = start, .fini = finish) {
  expect_reply("Z0,80000000,4", "OK");
  expect_reply("z0,80000000,4", "OK");
  expect_reply("Z2,80000100,4", "OK");
  expect_reply("z2,80000100,4", "OK");
  /* TYPE is no hex number: an error, whatever the stack held */
  expect_reply("Zx,80000000,4", "E01");
  expect_reply("zx,80000000,4", "E01");
  expect_reply("Z,80000000,4", "E01");
  expect_reply("Z", "E01");
  expect_reply("Z123456789,80000000,4", "E01"); /* over 8 digits */
  expect_reply("Z0;80000000,4", "E01");
  /* ADDR or KIND malformed */
  expect_reply("Z0,x,4", "E01");
  expect_reply("Z0,80000000", "E01");
  expect_reply("Z0,80000000,4junk", "E01");
  /* a type pvlab has no such point for: unsupported, the empty reply */
  expect_reply("Z5,80000000,4", "");
  expect_reply("z7,80000000,4", "");
}

/* qRcmd runs a monitor command with an output stream of its own, which
 * the stub closes after it: a trace to "the monitor's output" set up
 * that way must reach gdb's console while c runs the guest, not the
 * stream that is gone (a use after free, before). */
Test(gdb_stub, a_trace_to_the_monitor_output_reaches_gdb, .init = start, .fini = finish) {
  /* li a7, 0x123; hcall; ebreak */
  handle("M80000000,c:930830120b00000073001000", "OK");
  handle("P20=00000080", "OK"); /* pc = 0x80000000 */
  static const char cmd[] = "trace hcall on";
  char pkt[64] = "qRcmd,";
  gdb_hex_encode((const uint8_t *)cmd, sizeof cmd - 1, pkt + 6);
  handle(pkt, "OK");
  cr_expect(strstr(console, "Tracing hcall to the monitor's output"), "console: %s", console);
  /* the closed stream's memory taken, so that the one c opens is not
   * where it was (malloc would give it back, hiding a stale pointer) */
  void *hold[16];
  for (int i = 0; i < 16; i++) hold[i] = malloc(400 + 16 * (size_t)i);
  handle("c", "T05");
  for (int i = 0; i < 16; i++) free(hold[i]);
  cr_expect(strstr(console, "hcall 0x123(unknown)"), "the trace did not reach gdb: %s", console);
}
