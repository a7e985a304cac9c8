/* The gdb stub's packets, one row each, over the monitor's own pieces:
 * breakpoints and watchpoints are the monitor's (break.c, set through
 * mon_exec, so `monitor info breakpoints` shows them), c and s are run.c's
 * engine, bs and bc are reverse.c's reverse-stepi and reverse-continue,
 * and qRcmd is mon_exec with its output sent back to gdb.  Nothing here
 * is a second debugger: it only translates. */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdb.h"
#include "gdb_target.h"

enum { SIG_INT = 2, SIG_ILL = 4, SIG_TRAP = 5, SIG_ABRT = 6, SIG_SEGV = 11 };

static void reply_str(char *reply, const char *text) {
  snprintf(reply, GDB_PACKET_MAX + 1, "%s", text);
}

/* Sends text to gdb's console as O packets. */
static void console(gdb_stub *g, const char *text, size_t len) {
  char hex[GDB_PACKET_MAX];
  size_t chunk = (sizeof hex - 2) / 2;
  for (size_t at = 0; at < len; at += chunk) {
    size_t n = len - at < chunk ? len - at : chunk;
    hex[0] = 'O';
    gdb_hex_encode((const uint8_t *)text + at, n, hex + 1);
    if (g->send_o) g->send_o(g->ctx, hex, 1 + 2 * n);
  }
}

/* Runs a monitor command; its output goes to gdb's console when show,
 * else nowhere. */
static mon_status run_cmd(gdb_stub *g, const char *line, bool show) {
  char *buf = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&buf, &size);
  if (!out) return MON_ERROR;
  mon_status st = mon_exec(g->s, line, out);
  fclose(out);
  if (show || st == MON_ERROR) console(g, buf, size);
  free(buf);
  return st;
}

static int fault_signal(const machine *m) {
  return m->cpu.fault.kind == CPU_FAULT_ILLEGAL ? SIG_ILL : SIG_SEGV;
}

/* The signal gdb is told for a stop that is not a breakpoint's. */
static int stop_signal(const machine *m, machine_stop why) {
  switch (why) {
  case MACHINE_STOP_FAULT: return fault_signal(m);
  case MACHINE_STOP_INTERRUPT: return SIG_INT;
  case MACHINE_STOP_HOST_ERROR:
  case MACHINE_STOP_DEADLOCK:
  case MACHINE_STOP_CLOSED: return SIG_ABRT;
  default: return SIG_TRAP;
  }
}

/* The stop reply for a stop, bp being the monitor breakpoint behind it. */
static void stop_reply(gdb_stub *g, machine_stop why, const mon_point *bp, char *reply) {
  machine *m = mon_machine(g->s);
  static const char *const watch_kind[] = {
      [MON_BP_WATCH] = "watch", [MON_BP_RWATCH] = "rwatch", [MON_BP_AWATCH] = "awatch"};
  if (why == MACHINE_STOP_SHUTDOWN) {
    snprintf(reply, GDB_PACKET_MAX + 1, "W%02x", m->dev.power.exit_code & 0xffu);
  } else if (why == MACHINE_STOP_WATCH && bp->set && bp->kind <= MON_BP_AWATCH &&
             bp->kind != MON_BP_BREAK) {
    snprintf(reply, GDB_PACKET_MAX + 1, "T05%s:%08" PRIx32 ";", watch_kind[bp->kind], bp->addr);
  } else if (why == MACHINE_STOP_BREAKPOINT && bp->set) {
    reply_str(reply, "T05swbreak:;");
  } else {
    snprintf(reply, GDB_PACKET_MAX + 1, "T%02x", stop_signal(m, why));
  }
}

static const mon_point no_point = {.set = false};

void gdb_stub_status(gdb_stub *g, char *reply) {
  machine_stop how = MACHINE_STOP_NONE;
  mon_finished(g->s, &how);
  stop_reply(g, how, &no_point, reply);
}

/* c and s: forwards, stopping at the end of a replay's recording.  A stop
 * gdb has no words for (a fault's diagnostic, a deadlock...) is explained
 * on gdb's console. */
static void resume(gdb_stub *g, bool step, char *reply) {
  mon *s = g->s;
  machine *m = mon_machine(s);
  machine_stop how;
  if (mon_finished(s, &how)) {
    console(g, "pvlab: the guest is not running any more\n", 41);
    stop_reply(g, how, &no_point, reply);
    return;
  }
  uint64_t now = m->cpu.s.icount, limit = step ? now + 1 : UINT64_MAX;
  if (g->end < limit) limit = g->end;
  if (now >= limit) {
    reply_str(reply, "T05replaylog:end;");
    return;
  }
  char *buf = NULL;
  size_t size = 0;
  FILE *report = open_memstream(&buf, &size);
  mon_point at;
  machine_stop st = mon_resume(s, limit, &at, report);
  if (report) {
    fclose(report);
    if (size) console(g, buf, size);
    free(buf);
  }
  if (st == MACHINE_STOP_LIMIT && m->cpu.s.icount >= g->end) {
    reply_str(reply, "T05replaylog:end;");
    return;
  }
  /* gdb takes RISC-V watchpoints as firing before the access (it steps
   * over it itself, then compares the value); mon_resume has carried it
   * out: one instruction back puts the pc at the access again. */
  if (st == MACHINE_STOP_WATCH) run_cmd(g, "reverse-stepi", false);
  stop_reply(g, st, &at, reply);
}

/* bc, when the instruction just run touched a watched location: going
 * back over it is the first watched access on the way, so the stop is
 * here (gdb steps back over it itself, as it steps forwards over one).
 * reverse-continue only looks before here, so this checks that
 * instruction alone: one back, then forwards over it with the watchpoints
 * armed, which lands here again either way. */
static bool watched_just_before(gdb_stub *g, char *reply) {
  mon *s = g->s;
  machine *m = mon_machine(s);
  uint64_t here = m->cpu.s.icount;
  if (!mon_watching(s) || run_cmd(g, "reverse-stepi", false) != MON_OK ||
      m->cpu.s.icount >= here) {
    return false;
  }
  mon_point at;
  machine_stop st = mon_resume(s, here, &at, NULL);
  if (st != MACHINE_STOP_WATCH || !at.set) return false;
  stop_reply(g, st, &at, reply);
  return true;
}

/* bs and bc: reverse.c's commands, their stop turned into a reply; the
 * start of history is replaylog:begin. */
static void reverse(gdb_stub *g, const char *cmd, char *reply) {
  mon *s = g->s;
  mon_take_stop(s, NULL);
  mon_status st = run_cmd(g, cmd, false);
  mon_point at;
  machine_stop why = mon_take_stop(s, &at);
  if (st == MON_ERROR || why == MACHINE_STOP_NONE) {
    reply_str(reply, "T05replaylog:begin;");
    return;
  }
  stop_reply(g, why, &at, reply);
}

/* ---- the rows */

typedef gdb_after (*gdb_handler)(gdb_stub *g, const char *args, size_t len, char *reply);

static gdb_after h_status(gdb_stub *g, const char *a, size_t n, char *reply) {
  (void)a, (void)n;
  gdb_stub_status(g, reply);
  return GDB_REPLY;
}

/* Registers go over the wire in the target's byte order: little-endian. */
static void put_u32(uint32_t v, char *hex) {
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  gdb_hex_encode(b, 4, hex);
}

static uint32_t get_u32(const uint8_t *b) {
  return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static gdb_after h_read_regs(gdb_stub *g, const char *a, size_t n, char *reply) {
  (void)a, (void)n;
  for (int i = 0; i < GDB_NREGS; i++) put_u32(mon_reg_value(g->s, i), reply + 8 * i);
  return GDB_REPLY;
}

static void set_reg(gdb_stub *g, int i, uint32_t v) {
  cpu_state *st = &mon_machine(g->s)->cpu.s;
  if (i == MON_REG_PC) st->pc = v;
  else if (i > 0) st->x[i] = v;
}

/* A register or memory write is the state changed by hand: history
 * starts again, as after the monitor's set. */
static void changed(gdb_stub *g) { mon_changed(g->s); }

static gdb_after h_write_regs(gdb_stub *g, const char *a, size_t n, char *reply) {
  uint8_t b[4 * GDB_NREGS];
  if (n < 8 * GDB_NREGS || !gdb_hex_decode(a, sizeof b, b)) {
    reply_str(reply, "E01");
    return GDB_REPLY;
  }
  for (int i = 0; i < GDB_NREGS; i++) {
    set_reg(g, i, get_u32(b + 4 * i));
  }
  changed(g);
  reply_str(reply, "OK");
  return GDB_REPLY;
}

static gdb_after h_read_reg(gdb_stub *g, const char *a, size_t n, char *reply) {
  (void)n;
  uint32_t i;
  const char *end;
  if (!gdb_hex_u32(a, &i, &end) || *end || i >= GDB_NREGS) {
    reply_str(reply, "E01");
    return GDB_REPLY;
  }
  put_u32(mon_reg_value(g->s, (int)i), reply);
  return GDB_REPLY;
}

static gdb_after h_write_reg(gdb_stub *g, const char *a, size_t n, char *reply) {
  (void)n;
  uint32_t i;
  const char *end;
  uint8_t b[4];
  if (!gdb_hex_u32(a, &i, &end) || *end != '=' || i >= GDB_NREGS ||
      strlen(end + 1) != 8 || !gdb_hex_decode(end + 1, 4, b)) {
    reply_str(reply, "E01");
    return GDB_REPLY;
  }
  set_reg(g, (int)i, get_u32(b));
  changed(g);
  reply_str(reply, "OK");
  return GDB_REPLY;
}

/* "ADDR,LEN" then *end; false when malformed. */
static bool addr_len(const char *a, uint32_t *addr, uint32_t *len, const char **end) {
  const char *p;
  return gdb_hex_u32(a, addr, &p) && *p == ',' && gdb_hex_u32(p + 1, len, end);
}

static gdb_after h_read_mem(gdb_stub *g, const char *a, size_t n, char *reply) {
  (void)n;
  uint32_t addr, len;
  const char *end;
  uint8_t buf[GDB_PACKET_MAX / 2];
  if (!addr_len(a, &addr, &len, &end) || *end) {
    reply_str(reply, "E01");
    return GDB_REPLY;
  }
  if (len > sizeof buf) len = sizeof buf; /* gdb asks again for the rest */
  if (!mon_read(g->s, addr, buf, len)) {
    reply_str(reply, "E14"); /* EFAULT: not mapped */
    return GDB_REPLY;
  }
  gdb_hex_encode(buf, len, reply);
  return GDB_REPLY;
}

/* Writes len bytes at addr through mon_write, which takes 8 at a time. */
static bool write_mem(gdb_stub *g, uint32_t addr, const uint8_t *b, uint32_t len) {
  for (uint32_t at = 0; at < len; at += 8) {
    uint32_t k = len - at < 8 ? len - at : 8;
    if (!mon_write(g->s, addr + at, b + at, k)) return false;
  }
  if (len) changed(g);
  return true;
}

static gdb_after h_write_mem_hex(gdb_stub *g, const char *a, size_t n, char *reply) {
  uint32_t addr, len;
  const char *end;
  uint8_t buf[GDB_PACKET_MAX / 2];
  bool ok = addr_len(a, &addr, &len, &end) && *end == ':' && len <= sizeof buf &&
            (size_t)(end + 1 - a) + 2 * (size_t)len == n && gdb_hex_decode(end + 1, len, buf);
  reply_str(reply, ok && write_mem(g, addr, buf, len) ? "OK" : "E01");
  return GDB_REPLY;
}

static gdb_after h_write_mem_bin(gdb_stub *g, const char *a, size_t n, char *reply) {
  uint32_t addr, len;
  const char *end;
  bool ok = addr_len(a, &addr, &len, &end) && *end == ':' &&
            (size_t)(end + 1 - a) + (size_t)len == n;
  reply_str(reply, ok && write_mem(g, addr, (const uint8_t *)end + 1, len) ? "OK" : "E01");
  return GDB_REPLY;
}

static gdb_after h_continue(gdb_stub *g, const char *a, size_t n, char *reply) {
  (void)a, (void)n;
  resume(g, false, reply);
  return GDB_REPLY;
}

static gdb_after h_step(gdb_stub *g, const char *a, size_t n, char *reply) {
  (void)a, (void)n;
  resume(g, true, reply);
  return GDB_REPLY;
}

static gdb_after h_vcont_query(gdb_stub *g, const char *a, size_t n, char *reply) {
  (void)g, (void)a, (void)n;
  reply_str(reply, "vCont;c;C;s;S");
  return GDB_REPLY;
}

/* vCont;ACTION[:thread]...: one thread, so the first action is it. */
static gdb_after h_vcont(gdb_stub *g, const char *a, size_t n, char *reply) {
  (void)n;
  if (*a == 'c' || *a == 'C') resume(g, false, reply);
  else if (*a == 's' || *a == 'S') resume(g, true, reply);
  else reply_str(reply, "E01");
  return GDB_REPLY;
}

/* Z and z: TYPE,ADDR,KIND; types 0 and 1 are breakpoints, 2 to 4 the
 * watchpoints (write, read, access) over KIND bytes. */
static gdb_after point(gdb_stub *g, const char *a, bool insert, char *reply) {
  static const char *const cmds[] = {"break", "break", "watch", "rwatch", "awatch"};
  static const mon_bp_kind kinds[] = {MON_BP_BREAK, MON_BP_BREAK, MON_BP_WATCH,
                                      MON_BP_RWATCH, MON_BP_AWATCH};
  uint32_t type, addr, len;
  const char *end;
  /* a TYPE that is no hex number is an error; a number above 4 is a kind
   * of point pvlab does not have: the empty reply says unsupported */
  if (!gdb_hex_u32(a, &type, &end) || *end != ',') {
    reply_str(reply, "E01");
    return GDB_REPLY;
  }
  if (type > 4) return GDB_REPLY;
  if (!addr_len(end + 1, &addr, &len, &end) || (*end && *end != ';')) {
    reply_str(reply, "E01");
    return GDB_REPLY;
  }
  mon *s = g->s;
  mon_bp_kind kind = kinds[type];
  bool is_break = kind == MON_BP_BREAK;
  if (!insert) {
    mon_delete_point(s, kind, addr, len);
    reply_str(reply, "OK");
    return GDB_REPLY;
  }
  char line[64];
  if (is_break) snprintf(line, sizeof line, "break *0x%08" PRIx32, addr);
  else snprintf(line, sizeof line, "%s *0x%08" PRIx32 " %" PRIu32, cmds[type], addr, len);
  reply_str(reply, run_cmd(g, line, false) == MON_OK ? "OK" : "E01");
  return GDB_REPLY;
}

static gdb_after h_insert(gdb_stub *g, const char *a, size_t n, char *reply) {
  (void)n;
  return point(g, a, true, reply);
}

static gdb_after h_remove(gdb_stub *g, const char *a, size_t n, char *reply) {
  (void)n;
  return point(g, a, false, reply);
}

static gdb_after h_rstep(gdb_stub *g, const char *a, size_t n, char *reply) {
  (void)a, (void)n;
  reverse(g, "reverse-stepi", reply);
  return GDB_REPLY;
}

static gdb_after h_rcont(gdb_stub *g, const char *a, size_t n, char *reply) {
  (void)a, (void)n;
  if (!watched_just_before(g, reply)) reverse(g, "reverse-continue", reply);
  return GDB_REPLY;
}

/* qRcmd,HEX: a monitor command; its output is gdb's to show. */
static gdb_after h_rcmd(gdb_stub *g, const char *a, size_t n, char *reply) {
  char line[GDB_PACKET_MAX / 2 + 1];
  if (n % 2 || n / 2 >= sizeof line || !gdb_hex_decode(a, n / 2, (uint8_t *)line)) {
    reply_str(reply, "E01");
    return GDB_REPLY;
  }
  line[n / 2] = 0;
  mon_status st = run_cmd(g, line, true);
  reply_str(reply, "OK");
  return st == MON_QUIT ? GDB_QUIT : GDB_REPLY;
}

/* qXfer:features:read:target.xml:OFFSET,LENGTH */
static gdb_after h_features(gdb_stub *g, const char *a, size_t n, char *reply) {
  (void)g, (void)n;
  uint32_t off, len;
  const char *end;
  size_t total = strlen(gdb_target_xml);
  if (!addr_len(a, &off, &len, &end) || *end) {
    reply_str(reply, "E01");
    return GDB_REPLY;
  }
  if (len > GDB_PACKET_MAX - 1) len = GDB_PACKET_MAX - 1;
  if (off >= total) {
    reply_str(reply, "l");
    return GDB_REPLY;
  }
  size_t k = total - off < len ? total - off : len;
  reply[0] = off + k < total ? 'm' : 'l';
  memcpy(reply + 1, gdb_target_xml + off, k);
  reply[1 + k] = 0;
  return GDB_REPLY;
}

static gdb_after h_no_ack(gdb_stub *g, const char *a, size_t n, char *reply) {
  (void)a, (void)n;
  g->no_ack = true;
  reply_str(reply, "OK");
  return GDB_REPLY;
}

static gdb_after h_detach(gdb_stub *g, const char *a, size_t n, char *reply) {
  (void)g, (void)a, (void)n;
  reply_str(reply, "OK");
  return GDB_CLOSE;
}

static gdb_after h_kill(gdb_stub *g, const char *a, size_t n, char *reply) {
  (void)g, (void)a, (void)n;
  reply_str(reply, "OK");
  return GDB_QUIT;
}

/* Rows whose reply is fixed text. */
typedef struct gdb_fixed {
  const char *packet, *reply;
} gdb_fixed;

static const gdb_fixed fixed[] = {
    {"qSupported", "PacketSize=1000;qXfer:features:read+;ReverseStep+;"
                   "ReverseContinue+;swbreak+;hwbreak+;QStartNoAckMode+"},
    {"qAttached", "1"},
    {"qC", "QC1"},
    {"qfThreadInfo", "m1"},
    {"qsThreadInfo", "l"},
    {"qSymbol", "OK"},
    {"H", "OK"},
    {"T", "OK"},
};

typedef struct gdb_row {
  const char *prefix; /* the packet starts with it; the rest is args */
  gdb_handler fn;
} gdb_row;

/* Longer prefixes before the shorter ones they start with. */
static const gdb_row rows[] = {
    {"qXfer:features:read:target.xml:", h_features},
    {"qRcmd,", h_rcmd},
    {"QStartNoAckMode", h_no_ack},
    {"vCont?", h_vcont_query},
    {"vCont;", h_vcont},
    {"?", h_status},
    {"g", h_read_regs},
    {"G", h_write_regs},
    {"p", h_read_reg},
    {"P", h_write_reg},
    {"m", h_read_mem},
    {"M", h_write_mem_hex},
    {"X", h_write_mem_bin},
    {"c", h_continue},
    {"s", h_step},
    {"Z", h_insert},
    {"z", h_remove},
    {"bs", h_rstep},
    {"bc", h_rcont},
    {"D", h_detach},
    {"k", h_kill},
};

gdb_after gdb_stub_handle(gdb_stub *g, const char *pkt, size_t len, char *reply) {
  reply[0] = 0;
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    size_t k = strlen(rows[i].prefix);
    if (len >= k && memcmp(pkt, rows[i].prefix, k) == 0) {
      return rows[i].fn(g, pkt + k, len - k, reply);
    }
  }
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
    size_t k = strlen(fixed[i].packet);
    if (len >= k && memcmp(pkt, fixed[i].packet, k) == 0) {
      reply_str(reply, fixed[i].reply);
      break;
    }
  }
  return GDB_REPLY; /* unknown packets get the empty reply: unsupported */
}
