/* Snapshots: save and restore real guests (built by the cross compiler)
 * at many points, and refuse every kind of damaged or hostile file.
 *
 * A round trip at point P: run A goes straight to the end; run B goes to
 * P, is saved, and then goes on to the end too; a fresh machine C (other
 * memory size, other seed, no guest) restores B's snapshot and runs to
 * the end.  A, B and C must agree on every output byte, the instruction
 * count, how the guest stopped and the final state hash, and C must hash
 * like B at P.  Points are spread over each run, plus the awkward ones:
 * right after a trap (the kernel at its entry), before a hypercall, in
 * the middle of a file's disk writes.
 *
 * A refused file must say what is wrong and leave the machine it was to
 * be restored into exactly as it was (same state hash, same output). */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "machine.h"
#include "pvabi_calls.h"
#include "snapshot.h"

#define END_LIMIT 4000000000ull
#define MEM_MIB 8u

static const char *guest_file(const char *name) {
  static char path[4][4096];
  static int n;
  char *p = path[n++ % 4];
  const char *dir = getenv("GUESTS");
  cr_assert(dir, "GUESTS is not set: run the tests with 'meson test'");
  snprintf(p, sizeof path[0], "%s/%s", dir, name);
  return p;
}

/* ------------------------------------------------------------ machines */

typedef struct guest_run {
  machine m;
  dev_console_mem con;
  const char *input;
} guest_run;

typedef struct scenario {
  const char *elf;   /* under GUESTS */
  const char *input; /* console input */
  bool disk;         /* diskdemo.img attached */
} scenario;

static void start(guest_run *g, const scenario *sc) {
  machine_config cfg = {.mem_mib = MEM_MIB, .seed = 5};
  host_error err = {{0}};
  memset(g, 0, sizeof *g);
  cr_assert(machine_init(&g->m, &cfg, &err), "%s", err.msg);
  cr_assert(machine_load_elf(&g->m, guest_file(sc->elf), &err), "%s", err.msg);
  if (sc->disk) {
    cr_assert(machine_disk_attach(&g->m, guest_file("diskdemo.img"), false, &err),
              "%s", err.msg);
  }
  g->input = sc->input;
  g->con = (dev_console_mem){.in = (const uint8_t *)sc->input, .in_len = strlen(sc->input)};
  g->m.console_io = dev_console_mem_backend(&g->con);
}

/* A machine that knows nothing of the guest: everything must come from
 * the snapshot. */
static void blank(guest_run *g) {
  machine_config cfg = {.mem_mib = 1, .seed = 99, .display_width = 32,
                        .display_height = 32};
  host_error err = {{0}};
  memset(g, 0, sizeof *g);
  cr_assert(machine_init(&g->m, &cfg, &err), "%s", err.msg);
}

/* After a restore: the console goes on where the saved machine's was. */
static void attach_console(guest_run *g, const char *input) {
  uint64_t used = g->m.dev.console.bytes_in;
  cr_assert_leq(used, strlen(input));
  g->con = (dev_console_mem){.in = (const uint8_t *)input + used,
                             .in_len = strlen(input) - used};
  g->m.console_io = dev_console_mem_backend(&g->con);
}

static void finish(guest_run *g) {
  dev_console_mem_free(&g->con);
  machine_free(&g->m);
}

typedef struct outcome {
  char out[1 << 15];
  size_t len;
  uint64_t icount, hash;
  machine_stop stop;
  uint32_t exit_code;
} outcome;

/* Runs g to its end; out gets prefix then what g's console received. */
static void run_to_end(guest_run *g, const char *prefix, size_t prefix_len,
                       outcome *o) {
  machine_stop st = machine_run(&g->m, END_LIMIT);
  cr_assert_neq(st, MACHINE_STOP_LIMIT, "the guest did not finish");
  cr_assert_lt(prefix_len + g->con.out_len, sizeof o->out);
  memcpy(o->out, prefix, prefix_len);
  if (g->con.out_len) memcpy(o->out + prefix_len, g->con.out, g->con.out_len);
  o->len = prefix_len + g->con.out_len;
  o->icount = g->m.cpu.s.icount;
  o->hash = machine_state_hash(&g->m);
  o->stop = st;
  o->exit_code = g->m.dev.power.exit_code;
}

static void expect_same(const outcome *a, const outcome *b, const char *what) {
  cr_expect_eq(b->len, a->len, "%s: %zu output bytes, not %zu", what, b->len, a->len);
  cr_expect(b->len == a->len && memcmp(a->out, b->out, a->len) == 0,
            "%s: output differs:\n%.*s\n--- straight run:\n%.*s", what,
            (int)b->len, b->out, (int)a->len, a->out);
  cr_expect_eq(b->icount, a->icount, "%s: icount %llu, not %llu", what,
               (unsigned long long)b->icount, (unsigned long long)a->icount);
  cr_expect_eq(b->stop, a->stop, "%s: stop %d, not %d", what, b->stop, a->stop);
  cr_expect_eq(b->exit_code, a->exit_code, "%s: exit code", what);
  cr_expect_eq(b->hash, a->hash, "%s: final state hash %016llx, not %016llx",
               what, (unsigned long long)b->hash, (unsigned long long)a->hash);
}

/* ---------------------------------------------------------- round trips */

typedef enum point_kind {
  AT_ICOUNT,    /* machine_run to icount n */
  AFTER_TRAP,   /* the n-th trap into the kernel (catch_traps) */
  BEFORE_HCALL, /* before the n-th call of hypercall `call` */
  AFTER_HCALL,  /* one instruction later */
} point_kind;

typedef struct point {
  point_kind kind;
  uint64_t n;
  uint32_t call;
} point;

static unsigned call_index(uint32_t number) {
  const pvabi_call *c = pvabi_lookup(number);
  cr_assert(c);
  return (unsigned)(c - pvabi_calls);
}

/* Brings B to the point; false when the guest ended first. */
static bool reach(guest_run *b, const point *p) {
  machine *m = &b->m;
  machine_stop st;
  switch (p->kind) {
  case AT_ICOUNT:
    st = machine_run(m, p->n);
    return st == MACHINE_STOP_LIMIT && m->cpu.s.icount == p->n;
  case AFTER_TRAP:
    m->dbg.catch_traps = ~0u;
    for (uint64_t k = 0; k < p->n; k++) {
      if (machine_run(m, END_LIMIT) != MACHINE_STOP_CATCH_TRAP) return false;
    }
    m->dbg.catch_traps = 0;
    return true;
  case BEFORE_HCALL:
  case AFTER_HCALL:
    m->dbg.catch_hcall[call_index(p->call)] = 1;
    for (uint64_t k = 0; k < p->n; k++) {
      if (k) m->dbg.catch_skip = true;
      if (machine_run(m, END_LIMIT) != MACHINE_STOP_CATCH_HCALL) return false;
    }
    m->dbg.catch_hcall[call_index(p->call)] = 0;
    m->dbg.catch_skip = true; /* the caught call runs when B goes on */
    if (p->kind == AFTER_HCALL) {
      st = machine_run(m, m->cpu.s.icount + 1);
      return st == MACHINE_STOP_LIMIT;
    }
    return true;
  }
  return false;
}

static char tmpdir[64];

static const char *temp_path(const char *name) {
  static char path[4][128];
  static int n;
  if (!tmpdir[0]) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pvlab-snap-XXXXXX");
    cr_assert(mkdtemp(tmpdir));
  }
  char *p = path[n++ % 4];
  snprintf(p, sizeof path[0], "%s/%s", tmpdir, name);
  return p;
}

/* Saves b and restores it into c, through a file or in memory. */
static void save_restore(guest_run *b, guest_run *c, bool via_file) {
  host_error err = {{0}};
  if (via_file) {
    const char *path = temp_path("point.pvsnap");
    cr_assert(snap_save(&b->m, path, &err), "%s", err.msg);
    cr_assert(snap_load(&c->m, path, &err), "%s", err.msg);
    unlink(path);
    return;
  }
  snap_section sec[SNAP_MACHINE_SECTIONS];
  snap_buf bufs[SNAP_MACHINE_SECTIONS];
  size_t n = 0;
  cr_assert(snap_encode_machine(&b->m, sec, bufs, &n, &err), "%s", err.msg);
  snap_file f = snap_file_view(sec, n, SNAP_KIND_SNAPSHOT, "(memory)");
  cr_assert(snap_restore(&c->m, &f, &err), "%s", err.msg);
  for (size_t i = 0; i < n; i++) snap_buf_free(&bufs[i]);
}

/* The round trip at p against the straight run a. */
static void round_trip(const scenario *sc, const outcome *a, const point *p,
                       bool via_file) {
  char what[128];
  snprintf(what, sizeof what, "%s, point kind %d n %llu", sc->elf, p->kind,
           (unsigned long long)p->n);
  guest_run b, c;
  start(&b, sc);
  cr_assert(reach(&b, p), "%s: the guest ended before the point", what);
  uint64_t at = b.m.cpu.s.icount, hash_at = machine_state_hash(&b.m);
  blank(&c);
  save_restore(&b, &c, via_file);
  cr_assert_eq(machine_state_hash(&c.m), hash_at, "%s: restored hash differs", what);
  cr_assert_eq(c.m.cpu.s.icount, at);
  cr_assert_eq(c.m.stop, MACHINE_STOP_NONE);
  cr_assert_eq(machine_state_hash(&b.m), hash_at, "%s: saving changed B", what);
  attach_console(&c, sc->input);

  outcome *ob = malloc(sizeof *ob), *oc = malloc(sizeof *oc);
  char *prefix = malloc(b.con.out_len + 1);
  size_t prefix_len = b.con.out_len;
  if (prefix_len) memcpy(prefix, b.con.out, prefix_len);
  run_to_end(&b, "", 0, ob);
  run_to_end(&c, prefix, prefix_len, oc);
  snprintf(what + strlen(what), sizeof what - strlen(what), " (icount %llu) B",
           (unsigned long long)at);
  expect_same(a, ob, what);
  what[strlen(what) - 1] = 'C';
  expect_same(a, oc, what);
  free(prefix);
  free(ob);
  free(oc);
  finish(&b);
  finish(&c);
}

static void straight(const scenario *sc, outcome *a) {
  guest_run g;
  start(&g, sc);
  run_to_end(&g, "", 0, a);
  finish(&g);
}

/* Round trips at `spread` points spread evenly over the run and at the
 * given special points, alternating file and memory. */
static void round_trips(const scenario *sc, unsigned spread,
                        const point *special, size_t nspecial) {
  outcome *a = malloc(sizeof *a);
  straight(sc, a);
  cr_assert_gt(a->len, 0, "%s printed nothing", sc->elf);
  for (unsigned i = 0; i <= spread; i++) {
    /* 0, the end minus one and points between, some odd */
    uint64_t at = i == spread ? a->icount - 1 : a->icount * i / spread + (i % 3);
    round_trip(sc, a, &(point){AT_ICOUNT, at, 0}, i % 2);
  }
  for (size_t i = 0; i < nspecial; i++) round_trip(sc, a, &special[i], i % 2);
  free(a);
}

static const scenario HELLO = {"hello.elf", "", false};
static const scenario KERNEL = {"minikernel/minikernel.elf", "", false};
static const scenario ECHO = {"echo.elf", "one\ntwo\nthree and more\n", false};
static const scenario DISK = {"diskdemo.elf",
                              "cat poem.txt\nwrite notes.txt hello from a snapshot\n"
                              "cat notes.txt\nwrite poem.txt short\ncat poem.txt\n",
                              true};

Test(round_trip, hello) {
  const point special[] = {
    {BEFORE_HCALL, 1, PV_HC_CONSOLE_WRITE}, {AFTER_HCALL, 2, PV_HC_CONSOLE_WRITE},
    {BEFORE_HCALL, 1, PV_HC_SHUTDOWN},
  };
  round_trips(&HELLO, 24, special, sizeof special / sizeof special[0]);
}

/* echo reads all its input at once, then sees its end */
Test(round_trip, echo) {
  const point special[] = {
    {AFTER_HCALL, 1, PV_HC_CONSOLE_READ}, {BEFORE_HCALL, 2, PV_HC_CONSOLE_READ},
    {AFTER_HCALL, 1, PV_HC_CONSOLE_WRITE},
  };
  round_trips(&ECHO, 6, special, sizeof special / sizeof special[0]);
}

Test(round_trip, minikernel_traps_and_processes, .timeout = 120) {
  const point special[] = {
    {AFTER_TRAP, 1, 0}, {AFTER_TRAP, 2, 0}, {AFTER_TRAP, 7, 0},
    {AFTER_TRAP, 20, 0}, {AFTER_TRAP, 35, 0},
    {BEFORE_HCALL, 1, PV_HC_USER_RETURN}, {BEFORE_HCALL, 9, PV_HC_USER_RETURN},
    {AFTER_HCALL, 2, PV_HC_TIMER_SET}, {AFTER_HCALL, 4, PV_HC_MMU_INSTALL},
  };
  round_trips(&KERNEL, 30, special, sizeof special / sizeof special[0]);
}

Test(round_trip, diskdemo_mid_write, .timeout = 120) {
  const point special[] = {
    {BEFORE_HCALL, 1, PV_HC_DISK_WRITE}, /* before the first file's data */
    {AFTER_HCALL, 1, PV_HC_DISK_WRITE},  /* data written, directory not */
    {BEFORE_HCALL, 2, PV_HC_DISK_WRITE}, {AFTER_HCALL, 3, PV_HC_DISK_WRITE},
    {BEFORE_HCALL, 1, PV_HC_DISK_FLUSH}, {AFTER_HCALL, 2, PV_HC_DISK_READ},
    /* picolibc reads the commands a few bytes at a time: mid-input */
    {AFTER_HCALL, 5, PV_HC_CONSOLE_READ}, {AFTER_HCALL, 40, PV_HC_CONSOLE_READ},
  };
  round_trips(&DISK, 20, special, sizeof special / sizeof special[0]);
}

/* The point in the middle of the writes really is one: the overlay holds
 * the first file's data and the restored machine has it, without the
 * image file. */
Test(round_trip, restored_disk_needs_no_image) {
  guest_run b, c;
  start(&b, &DISK);
  cr_assert(reach(&b, &(point){AFTER_HCALL, 1, PV_HC_DISK_WRITE}));
  cr_assert_gt(b.m.disk_host.overlay.count, 0, "no sector written yet");
  char img[256];
  snprintf(img, sizeof img, "%s", temp_path("copy.img"));
  host_error err = {{0}};
  const char *path = temp_path("disk.pvsnap");
  cr_assert(snap_save(&b.m, path, &err), "%s", err.msg);
  blank(&c);
  cr_assert(snap_load(&c.m, path, &err), "%s", err.msg);
  cr_expect(c.m.disk_host.in_memory);
  cr_expect_str_eq(c.m.disk_host.path, "diskdemo.img");
  cr_expect_eq(c.m.disk_host.overlay.count, b.m.disk_host.overlay.count);
  /* the whole image reads back the same, sector by sector */
  uint8_t x[PV_DISK_SECTOR], y[PV_DISK_SECTOR];
  for (uint32_t s = 0; s < b.m.disk_host.sectors; s++) {
    cr_assert(dev_disk_image_read(&b.m.disk_host, s, 1, x));
    cr_assert(dev_disk_image_read(&c.m.disk_host, s, 1, y));
    cr_assert(memcmp(x, y, sizeof x) == 0, "image sector %u differs", s);
  }
  /* a commit of the in-memory disk does nothing and succeeds */
  c.m.disk_host.dirty = true;
  cr_expect(machine_disk_commit(&c.m, &err), "%s", err.msg);
  /* and a snapshot of the restored machine is the same snapshot again */
  const char *again = temp_path("again.pvsnap");
  cr_assert(snap_save(&c.m, again, &err), "%s", err.msg);
  snap_file f1, f2;
  cr_assert(snap_file_read(&f1, path, &err), "%s", err.msg);
  cr_assert(snap_file_read(&f2, again, &err), "%s", err.msg);
  cr_expect_eq(f1.size, f2.size);
  cr_expect(f1.size == f2.size && memcmp(f1.blob, f2.blob, f1.size) == 0,
            "saving a restored machine gives other bytes");
  snap_file_free(&f1);
  snap_file_free(&f2);
  unlink(path);
  unlink(again);
  finish(&b);
  finish(&c);
}

/* The host side stays: backends, breakpoints, debugger settings. */
Test(round_trip, host_side_is_kept) {
  guest_run b, c;
  start(&b, &HELLO);
  cr_assert(machine_run(&b.m, 1000) == MACHINE_STOP_LIMIT);
  start(&c, &KERNEL);
  volatile sig_atomic_t flag = 0;
  c.m.dbg.interrupt = &flag;
  c.m.dbg.catch_traps = 1u << PV_CAUSE_ECALL;
  uint32_t bp = c.m.elf.entry;
  cpu_set_breakpoints(&c.m.cpu, &bp, 1);
  dev_console_backend con = c.m.console_io;
  uint32_t gen = c.m.cpu.gen = 1000;
  save_restore(&b, &c, false);
  cr_expect_eq(c.m.console_io.ctx, con.ctx);
  cr_expect_eq(c.m.dbg.interrupt, &flag);
  cr_expect_eq(c.m.dbg.catch_traps, 1u << PV_CAUSE_ECALL);
  cr_expect_eq(c.m.cpu.nbp, 1);
  cr_expect_eq(c.m.cpu.bp[0], bp);
  cr_expect_geq(c.m.cpu.gen, gen, "page stamps went back in time");
  cr_expect_eq(c.m.cpu.page_gen[0], c.m.cpu.gen);
  cr_expect_str_eq(c.m.elf.name, "hello.elf");
  finish(&b);
  finish(&c);
}

/* Every device field survives, the input ring and the TLB included. */
Test(round_trip, every_device_field) {
  guest_run b, c;
  start(&b, &HELLO);
  /* every field set on its own, so that padding stays zero for memcmp */
  dev_state *d = &b.m.dev;
  memset(d, 0, sizeof *d);
  d->console.input_closed = 1;
  d->console.bytes_in = 11;
  d->console.bytes_out = 12;
  d->power.off = 1;
  d->power.exit_code = 10;
  d->timer.idle_ns = 13;
  d->timer.deadline_ns = 14;
  d->timer.armed = 1;
  d->debug.break_requested = 1;
  d->debug.log_calls = 15;
  d->events.pending = PV_EV_TIMER | PV_EV_INPUT;
  d->events.mask = PV_EV_ALL;
  d->vcpu.registered = 1;
  d->vcpu.frame = CPU_RAM_BASE + 0x10000;
  d->vcpu.entry = CPU_RAM_BASE + 0x200;
  for (int i = 0; i < 4; i++) d->rng.s[i] = 16u + (uint32_t)i;
  d->disk.attached = 0;
  d->display.fb_set = 1;
  d->display.fb_addr = CPU_RAM_BASE + 0x100000;
  d->display.flushes = 20;
  for (int i = 0; i < 70; i++) { /* the last six are dropped */
    dev_input_event e;
    memset(&e, 0, sizeof e);
    e.type = (uint16_t)(1 + i % 5); /* never two mouse moves in a row */
    e.code = (uint16_t)(i * 7);
    e.x = -i;
    e.y = i * 3;
    e.mods = (uint32_t)i;
    (void)dev_input_push(&d->input, &e);
  }
  cr_assert_eq(d->input.dropped, 6);
  d->input.head = 5; /* as if five had been read: the ring wraps */
  d->input.count -= 5;
  d->input.delivered = 5;
  d->input.quit = 1;
  d->input.quit_deadline_ns = 21;
  b.m.cpu.s.pt_root = CPU_RAM_BASE + 0x20000;
  b.m.cpu.s.asid = 22;
  b.m.cpu.tlb[CPU_ACCESS_STORE][7] = (cpu_tlb_entry){0x40007 + 1, 0x3000};
  b.m.stats.hcalls_by_call[call_index(PV_HC_RNG_FILL)] = 23;
  b.m.stats.traps[PV_CAUSE_EVENT] = 24;
  blank(&c);
  save_restore(&b, &c, true);
  cr_expect(memcmp(&c.m.dev, &b.m.dev, sizeof b.m.dev) == 0, "dev_state differs");
  const cpu_state *x = &b.m.cpu.s, *y = &c.m.cpu.s;
  cr_expect(memcmp(x->x, y->x, sizeof x->x) == 0, "registers differ");
  cr_expect(x->pc == y->pc && x->icount == y->icount && x->mode == y->mode &&
            x->pt_root == y->pt_root && x->asid == y->asid, "cpu_state differs");
  cr_expect(memcmp(c.m.cpu.tlb, b.m.cpu.tlb, sizeof b.m.cpu.tlb) == 0, "TLB differs");
  cr_expect(memcmp(&c.m.stats, &b.m.stats, sizeof b.m.stats) == 0, "stats differ");
  cr_expect_eq(c.m.cpu.tlb_misses, b.m.cpu.tlb_misses);
  cr_expect_eq(machine_state_hash(&c.m), machine_state_hash(&b.m));
  finish(&b);
  finish(&c);
}

/* ------------------------------------------------------- damaged files */

/* A valid snapshot of diskdemo in the middle of its writes: every
 * section there is, the disk's overlay with two sectors or more. */
static snap_buf good;
static guest_run target;
static uint64_t target_hash;

static void damage_setup(void) {
  guest_run g;
  start(&g, &DISK);
  /* after the data and the directory of the first write */
  cr_assert(reach(&g, &(point){AFTER_HCALL, 2, PV_HC_DISK_WRITE}));
  cr_assert_geq(g.m.disk_host.overlay.count, 2);
  snap_section sec[SNAP_MACHINE_SECTIONS];
  snap_buf bufs[SNAP_MACHINE_SECTIONS];
  size_t n = 0;
  host_error err = {{0}};
  cr_assert(snap_encode_machine(&g.m, sec, bufs, &n, &err), "%s", err.msg);
  good = (snap_buf){0};
  cr_assert(snap_file_encode(&good, SNAP_KIND_SNAPSHOT, sec, n));
  for (size_t i = 0; i < n; i++) snap_buf_free(&bufs[i]);
  finish(&g);
  /* the machine a bad file must not touch: hello, part way */
  start(&target, &HELLO);
  cr_assert_eq(machine_run(&target.m, 2000), MACHINE_STOP_LIMIT);
  target_hash = machine_state_hash(&target.m);
}

static void damage_teardown(void) {
  snap_buf_free(&good);
  finish(&target);
}

TestSuite(damaged, .init = damage_setup, .fini = damage_teardown, .timeout = 120);

/* Tries bytes as a snapshot (parse, then restore into the target); the
 * refusal message, or NULL when it was accepted. */
static const char *try_bytes(const uint8_t *p, size_t n) {
  static host_error err;
  snap_file f;
  err.msg[0] = 0;
  bool ok = snap_file_parse(&f, p, n, "bad.pvsnap", &err);
  if (ok) {
    ok = snap_restore(&target.m, &f, &err);
    snap_file_free(&f);
  }
  if (ok) return NULL;
  cr_assert_eq(machine_state_hash(&target.m), target_hash,
               "a refused file changed the machine: %s", err.msg);
  cr_assert_eq(target.m.cpu.s.icount, 2000);
  cr_assert(err.msg[0], "refused without a message");
  cr_assert(strstr(err.msg, "bad.pvsnap"), "the message does not name the file: %s", err.msg);
  return err.msg;
}

static void expect_refused(const uint8_t *p, size_t n, const char *want,
                           const char *what) {
  const char *msg = try_bytes(p, n);
  cr_assert(msg, "%s was accepted", what);
  cr_expect(strstr(msg, want), "%s: the message lacks \"%s\": %s", what, want, msg);
}

Test(damaged, the_good_file_loads) {
  host_error err;
  snap_file f;
  cr_assert(snap_file_parse(&f, good.p, good.len, "good.pvsnap", &err), "%s", err.msg);
  cr_assert_eq(f.nsec, 7, "CONF CPU DEVS RAM DISK ELF STAT");
  guest_run c;
  blank(&c);
  cr_assert(snap_restore(&c.m, &f, &err), "%s", err.msg);
  snap_file_free(&f);
  finish(&c);
}

static uint32_t rd32(const uint8_t *p) {
  return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Where each section starts in the good file (its 20-byte header). */
static size_t section_starts(size_t *at, char (*tags)[5]) {
  size_t n = rd32(good.p + 24), pos = 32;
  for (size_t i = 0; i < n; i++) {
    at[i] = pos;
    memcpy(tags[i], good.p + pos, 4);
    tags[i][4] = 0;
    for (int k = 3; k > 0 && tags[i][k] == ' '; k--) tags[i][k] = 0;
    pos += 20 + rd64(good.p + pos + 8);
  }
  at[n] = pos;
  cr_assert_eq(pos, good.len);
  return n;
}

Test(damaged, truncated_at_every_section_boundary) {
  size_t at[16];
  char tags[16][5];
  size_t n = section_starts(at, tags);
  expect_refused(good.p, 0, "empty", "an empty file");
  for (size_t cut = 1; cut < 32; cut += 5) {
    expect_refused(good.p, cut, "truncated", "a cut header");
  }
  for (size_t i = 0; i < n; i++) {
    char what[160];
    snprintf(what, sizeof what, "the file cut before section %s", tags[i]);
    expect_refused(good.p, at[i], "truncated", what);
    /* inside its header, and right after it */
    expect_refused(good.p, at[i] + 7, "truncated", what);
    snprintf(what, sizeof what, "the file cut inside section %s", tags[i]);
    char want[160];
    snprintf(want, sizeof want, "truncated in section %s", tags[i]);
    expect_refused(good.p, at[i] + 20, want, what);
    expect_refused(good.p, at[i + 1] - 1, want, what);
  }
}

Test(damaged, truncated_at_many_offsets) {
  size_t at[16];
  char tags[16][5];
  size_t n = section_starts(at, tags);
  for (size_t i = 0; i < n; i++) {
    size_t len = at[i + 1] - at[i];
    for (size_t k = 1; k < 400; k++) {
      size_t cut = at[i] + (len * k) / 400;
      if (cut == at[i]) continue;
      const char *msg = try_bytes(good.p, cut);
      cr_assert(msg, "cut at %zu accepted", cut);
      cr_assert(strstr(msg, "truncated"), "cut at %zu: %s", cut, msg);
    }
  }
}

static void expect_flip_refused(uint8_t *copy, size_t pos, int bit) {
  memcpy(copy, good.p, good.len);
  copy[pos] ^= (uint8_t)(1u << bit);
  cr_assert(try_bytes(copy, good.len), "bit %d of byte %zu flipped: accepted", bit, pos);
}

Test(damaged, flipped_bits) {
  uint8_t *copy = malloc(good.len);
  size_t at[16];
  char tags[16][5];
  size_t n = section_starts(at, tags);
  for (size_t pos = 0; pos < 32; pos++) { /* the file's header */
    for (int bit = 0; bit < 8; bit++) expect_flip_refused(copy, pos, bit);
  }
  for (size_t i = 0; i < n; i++) {
    /* the section's header: tag (a renamed ELF or STAT is only missing,
     * which is allowed: see renamed_optional_section), flags, length, CRC */
    bool optional = strcmp(tags[i], "ELF") == 0 || strcmp(tags[i], "STAT") == 0;
    for (size_t pos = at[i] + (optional ? 4 : 0); pos < at[i] + 20; pos++) {
      for (int bit = 0; bit < 8; bit++) expect_flip_refused(copy, pos, bit);
    }
    /* the payload, at about a hundred places */
    size_t len = at[i + 1] - at[i] - 20;
    for (size_t pos = at[i] + 20; pos < at[i + 1]; pos += len / 97 + 1) {
      for (int bit = 0; bit < 8; bit += 3) expect_flip_refused(copy, pos, bit);
    }
    /* and the message names the section */
    memcpy(copy, good.p, good.len);
    copy[at[i] + 20 + len / 2] ^= 0x10;
    char want[160];
    snprintf(want, sizeof want, "section %s is damaged (CRC-32 mismatch)", tags[i]);
    expect_refused(copy, good.len, want, want);
  }
  free(copy);
}

/* The header with a field changed and its CRC made right again. */
static uint8_t *with_header(size_t off, uint32_t value) {
  uint8_t *copy = malloc(good.len);
  memcpy(copy, good.p, good.len);
  wr32(copy + off, value);
  wr32(copy + 28, snap_crc32(copy, 28));
  return copy;
}

Test(damaged, header_fields) {
  uint8_t *copy = malloc(good.len);
  memcpy(copy, good.p, good.len);
  memcpy(copy, "PVLABSNQ", 8);
  expect_refused(copy, good.len, "not a pvlab snapshot", "wrong magic");
  expect_refused((const uint8_t *)"\x7f" "ELF\1\1\1", 7, "not a pvlab snapshot", "an ELF");
  free(copy);
  /* header fields changed, the header's CRC made right */
  static const struct {
    size_t off;
    uint32_t value;
    const char *want;
  } fields[] = {
    {8, 4, "written by a newer pvlab: format version 4, this pvlab reads 3"},
    {8, 2, "made by an older pvlab: format version 2, this pvlab reads 3"},
    {8, 1, "made by an older pvlab: format version 1, this pvlab reads 3"},
    {8, 0, "format version 0"},
    {16, 2, "instruction set version 2"},
    {20, 2u << 16, "para-API 2.0"},
    {20, (1u << 16) | 5, "para-API 1.5"},
    {12, 9, "kind 9"},
    {24, 1000000, "claims 1000000 sections"},
    {24, 3, "after its last section"},
  };
  for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
    copy = with_header(fields[k].off, fields[k].value);
    expect_refused(copy, good.len, fields[k].want, fields[k].want);
    free(copy);
  }
  copy = malloc(good.len);
  memcpy(copy, good.p, good.len);
  copy[28] ^= 1;
  expect_refused(copy, good.len, "damaged header", "a bad header CRC");
  free(copy);
}

Test(damaged, absurd_lengths_and_duplicates) {
  size_t at[16];
  char tags[16][5];
  size_t n = section_starts(at, tags);
  uint8_t *copy = malloc(good.len + 64);
  for (size_t i = 0; i < n; i++) {
    memcpy(copy, good.p, good.len);
    wr32(copy + at[i] + 8, 0);
    wr32(copy + at[i] + 12, 0x10000000); /* 2^60 bytes */
    char want[160];
    snprintf(want, sizeof want, "truncated in section %s", tags[i]);
    expect_refused(copy, good.len, want, "an absurd length");
  }
  /* flags this pvlab does not know */
  memcpy(copy, good.p, good.len);
  wr32(copy + at[0] + 4, 1);
  expect_refused(copy, good.len, "flags 0x1", "unknown flags");
  /* a tag that is not text */
  memcpy(copy, good.p, good.len);
  copy[at[1]] = 0;
  expect_refused(copy, good.len, "no valid name", "a binary tag");
  /* the CPU section renamed CONF: two CONFs */
  memcpy(copy, good.p, good.len);
  memcpy(copy + at[1], "CONF", 4);
  expect_refused(copy, good.len, "two CONF sections", "a duplicate");
  /* trailing bytes */
  memcpy(copy, good.p, good.len);
  memset(copy + good.len, 0, 64);
  expect_refused(copy, good.len + 64, "64 bytes after its last section", "trailing bytes");
  free(copy);
}

/* ------------------------------------- hostile values, CRCs made right */

/* The good file with section tag's payload changed by edit (which may
 * resize it), re-encoded with correct CRCs; the refusal is checked. */
typedef void (*edit_fn)(snap_buf *payload, void *arg);

static void expect_hostile(const char *tag, edit_fn edit, void *arg,
                           const char *want) {
  host_error err;
  snap_file f;
  cr_assert(snap_file_parse(&f, good.p, good.len, "x", &err), "%s", err.msg);
  snap_section sec[16];
  snap_buf edited = {0};
  cr_assert_leq(f.nsec, 16);
  bool found = false;
  for (size_t i = 0; i < f.nsec; i++) {
    sec[i] = f.sec[i];
    if (strcmp(f.sec[i].tag, tag) != 0) continue;
    found = true;
    snap_put_bytes(&edited, f.sec[i].data, f.sec[i].len);
    edit(&edited, arg);
    sec[i].data = edited.p;
    sec[i].len = edited.len;
  }
  cr_assert(found, "no section %s", tag);
  snap_buf bytes = {0};
  cr_assert(snap_file_encode(&bytes, SNAP_KIND_SNAPSHOT, sec, f.nsec));
  char what[128];
  snprintf(what, sizeof what, "hostile %s (%s)", tag, want);
  expect_refused(bytes.p, bytes.len, want, what);
  snap_buf_free(&bytes);
  snap_buf_free(&edited);
  snap_file_free(&f);
}

typedef struct poke {
  size_t off;
  uint64_t value;
  unsigned bytes;
} poke;

static void do_poke(snap_buf *b, void *arg) {
  const poke *p = arg;
  cr_assert_leq(p->off + p->bytes, b->len);
  for (unsigned i = 0; i < p->bytes; i++) {
    b->p[p->off + i] = i < 8 ? (uint8_t)(p->value >> (8 * i)) : 0;
  }
}

static void hostile(const char *tag, size_t off, unsigned bytes, uint64_t value,
                    const char *want) {
  poke p = {off, value, bytes};
  expect_hostile(tag, do_poke, &p, want);
}

/* Offsets, from the layouts in docs/file-formats.md. */
#define CPU_MODE (32 * 4 + 4 + 8)
#define CPU_PT_ROOT (CPU_MODE + 4)
#define CPU_TLB (CPU_PT_ROOT + 8)
#define DEVS_INPUT_CLOSED 0
#define DEVS_POWER_OFF 17
#define DEVS_TIMER_DEADLINE 30
#define DEVS_TIMER_ARMED 38
#define DEVS_TIMER_PHASE 39
#define DEVS_TIMER_DELAY 47
#define DEVS_TIMER_JITTER_RNG 55
#define DEVS_EV_PENDING 72
#define DEVS_EV_MASK 76
#define DEVS_VCPU 80
#define DEVS_RNG 89
#define DEVS_DISK 105
#define DEVS_FB 111
#define DEVS_INPUT 124
#define DEVS_RING 157
#define CONF_JITTER 20

Test(damaged, hostile_configuration) {
  hostile("CONF", 0, 4, 0, "guest memory of 0 MiB is out of range");
  hostile("CONF", 0, 4, 100000, "guest memory of 100000 MiB is out of range");
  hostile("CONF", 12, 4, 5, "display of 5x");
  hostile("CONF", 16, 4, 5000, "x5000 pixels is out of range");
  /* RAM's page count follows CONF: 16 MiB would need other pages */
  hostile("CONF", 0, 4, 16, "but section CONF says 16 MiB");
  hostile("CONF", CONF_JITTER, 1, 2, "the jitter flag is 2, not 0 or 1");
}

Test(damaged, hostile_cpu) {
  hostile("CPU", CPU_MODE, 4, 7, "mode 7 is neither");
  hostile("CPU", CPU_PT_ROOT, 4, 0x10000000, "pt_root 0x10000000");
  hostile("CPU", CPU_PT_ROOT, 4, CPU_RAM_BASE + 0x123, "pt_root 0x80000123");
  hostile("CPU", CPU_PT_ROOT, 4, CPU_RAM_BASE + (MEM_MIB << 20), "pt_root");
  hostile("CPU", 0, 4, 5, "register x0 holds 0x5");
  /* user mode, but the saved machine (diskdemo) has no kernel */
  hostile("CPU", CPU_MODE, 4, 1, "user mode without a registered vCPU");
  /* one TLB entry promised, none there */
  hostile("CPU", CPU_TLB, 4, 1, "bytes are too few");
}

/* A TLB entry appended: the count set to 1 and the entry added. */
static void add_tlb(snap_buf *b, void *arg) {
  const uint32_t *e = arg;
  wr32(b->p + CPU_TLB, 1);
  snap_put_u32(b, e[0]);
  snap_put_u32(b, e[1]);
  snap_put_u32(b, e[2]);
}

Test(damaged, hostile_tlb) {
  uint32_t outside[] = {0x41, 0x41 + 1, MEM_MIB << 20};
  expect_hostile("CPU", add_tlb, outside, "maps to RAM offset 0x800000");
  uint32_t unaligned[] = {0x41, 0x41 + 1, 0x123};
  expect_hostile("CPU", add_tlb, unaligned, "maps to RAM offset 0x123");
  uint32_t wrong_slot[] = {0x41, 0x99, 0x1000};
  expect_hostile("CPU", add_tlb, wrong_slot, "which belongs elsewhere");
  uint32_t no_slot[] = {5000, 5000 % 256 + 1, 0x1000};
  expect_hostile("CPU", add_tlb, no_slot, "TLB slot 5000 is out of range");
}

Test(damaged, hostile_devices) {
  hostile("DEVS", DEVS_INPUT + 4, 4, 1000, "input queue head 0, count 1000");
  hostile("DEVS", DEVS_INPUT, 4, 64, "input queue head 64");
  hostile("DEVS", DEVS_RING, 2, 77, "input event 0 has type 77");
  hostile("DEVS", DEVS_VCPU, 1, 1, "vcpu frame 0x00000000"); /* registered, frame 0 */
  hostile("DEVS", DEVS_EV_PENDING, 4, 0x100, "events pending 0x100");
  hostile("DEVS", DEVS_EV_MASK, 4, 0xffffffff, "mask 0xffffffff");
  hostile("DEVS", DEVS_RNG, 16, 0, "the RNG state is all zero");
  hostile("DEVS", DEVS_POWER_OFF, 1, 2, "power off is 2");
  hostile("DEVS", DEVS_INPUT_CLOSED, 1, 9, "console input_closed is 9");
  hostile("DEVS", DEVS_TIMER_ARMED, 1, 1, "armed with deadline 0");
  /* the good file has no jitter: its jitter fields must be zero */
  hostile("DEVS", DEVS_TIMER_PHASE, 8, 5, "jitter state but CONF says jitter is off");
  hostile("DEVS", DEVS_TIMER_DELAY, 8, 5, "jitter state but CONF says jitter is off");
  hostile("DEVS", DEVS_TIMER_JITTER_RNG, 8, 5, "jitter state but CONF says jitter is off");
  hostile("DEVS", DEVS_FB, 1, 1, "the framebuffer at 0x00000000");
  hostile("DEVS", DEVS_DISK + 2, 4, 7, "but section DEVS says 7 sectors");
  hostile("DEVS", DEVS_DISK, 1, 0, "section DEVS says no disk");
}

/* A registered vCPU: frame and entry as given. */
static void vcpu_at(snap_buf *b, void *arg) {
  const uint32_t *v = arg;
  b->p[DEVS_VCPU] = 1;
  wr32(b->p + DEVS_VCPU + 1, v[0]);
  wr32(b->p + DEVS_VCPU + 5, v[1]);
}

Test(damaged, hostile_vcpu_frame) {
  /* 16-byte aligned, but running past the end of RAM */
  uint32_t past_end[] = {CPU_RAM_BASE + (MEM_MIB << 20) - 16, CPU_RAM_BASE};
  expect_hostile("DEVS", vcpu_at, past_end, "vcpu frame 0x807ffff0");
  uint32_t below[] = {0x10000000, CPU_RAM_BASE};
  expect_hostile("DEVS", vcpu_at, below, "vcpu frame 0x10000000");
  uint32_t misaligned[] = {CPU_RAM_BASE + 8, CPU_RAM_BASE};
  expect_hostile("DEVS", vcpu_at, misaligned, "vcpu frame 0x80000008");
  uint32_t bad_entry[] = {CPU_RAM_BASE, CPU_RAM_BASE + 2};
  expect_hostile("DEVS", vcpu_at, bad_entry, "entry 0x80000002");
  uint32_t entry_outside[] = {CPU_RAM_BASE, 0x40};
  expect_hostile("DEVS", vcpu_at, entry_outside, "entry 0x00000040");
}

static void cut_end(snap_buf *b, void *arg) { b->len -= *(size_t *)arg; }
static void add_byte(snap_buf *b, void *arg) { snap_put_u8(b, 0); }

Test(damaged, fixed_sections_hold_exactly_their_fields) {
  size_t one = 1;
  expect_hostile("CPU", cut_end, &one, "too few for its fields");
  expect_hostile("DEVS", add_byte, NULL, "1 bytes follow its last field");
  expect_hostile("CONF", add_byte, NULL, "follow its last field");
  expect_hostile("STAT", cut_end, &one, "too few for its fields");
}

/* RAM: offsets of its fields in the good file. */
typedef struct ram_layout {
  size_t map, zlen_at, z;
  uint32_t pages;
} ram_layout;

static ram_layout ram_of(const snap_buf *b) {
  ram_layout l;
  l.pages = rd32(b->p);
  l.map = 4;
  l.zlen_at = l.map + (l.pages + 7) / 8;
  l.z = l.zlen_at + 8;
  return l;
}

/* Marks one more page (a zero one) as non-zero: the stream runs out. */
static void ram_extra_page(snap_buf *b, void *arg) {
  ram_layout l = ram_of(b);
  for (uint32_t p = l.pages - 2; p > 0; p--) { /* not the stack's page */
    if (!(b->p[l.map + p / 8] & (1u << (p % 8)))) {
      b->p[l.map + p / 8] |= (uint8_t)(1u << (p % 8));
      return;
    }
  }
  cr_assert_fail("no zero page");
}

/* Marks one non-zero page as zero: the stream holds more. */
static void ram_one_page_less(snap_buf *b, void *arg) {
  ram_layout l = ram_of(b);
  for (uint32_t p = 0; p < l.pages; p++) {
    if (b->p[l.map + p / 8] & (1u << (p % 8))) {
      b->p[l.map + p / 8] &= (uint8_t)~(1u << (p % 8));
      return;
    }
  }
}

/* The stream cut short by n bytes, its length told truthfully. */
static void ram_short_stream(snap_buf *b, void *arg) {
  ram_layout l = ram_of(b);
  size_t cut = *(size_t *)arg;
  wr32(b->p + l.zlen_at, (uint32_t)(rd64(b->p + l.zlen_at) - cut));
  b->len -= cut;
}

static void ram_bit_past_end(snap_buf *b, void *arg) {
  /* 8 MiB is 2048 pages, a whole number of bytes: claim more pages */
  wr32(b->p, rd32(b->p) + 3);
}

static void ram_garbage_stream(snap_buf *b, void *arg) {
  ram_layout l = ram_of(b);
  for (size_t i = l.z + 2; i < b->len; i += 3) b->p[i] ^= 0x5a;
}

static void ram_trailing(snap_buf *b, void *arg) {
  snap_put_u32(b, 0);
}

Test(damaged, hostile_ram) {
  expect_hostile("RAM", ram_extra_page, NULL, "ends before all of it");
  expect_hostile("RAM", ram_one_page_less, NULL, "holds more than it should");
  size_t cut = 1;
  expect_hostile("RAM", ram_short_stream, &cut, "section RAM: its compressed data");
  cut = 100;
  expect_hostile("RAM", ram_short_stream, &cut, "section RAM: its compressed data");
  expect_hostile("RAM", ram_garbage_stream, NULL, "section RAM: its compressed data is damaged");
  expect_hostile("RAM", ram_bit_past_end, NULL, "2051 pages");
  expect_hostile("RAM", ram_trailing, NULL, "4 bytes follow its last field");
}

/* DISK: sectors, persist, name, image runs, stream, overlay count, list... */
static size_t disk_runs_at(const snap_buf *b) {
  return 5 + 4 + rd32(b->p + 5); /* after sectors, persist and the name */
}

static size_t disk_stream_at(const snap_buf *b) {
  size_t at = disk_runs_at(b);
  return at + 4 + 8 * (size_t)rd32(b->p + at);
}

static size_t disk_overlay_at(const snap_buf *b) {
  size_t pos = disk_stream_at(b);
  return pos + 8 + rd64(b->p + pos);
}

/* The image's runs replaced: arg is n, then n (first, count) pairs. */
static void disk_runs_set(snap_buf *b, void *arg) {
  const uint32_t *runs = arg;
  size_t at = disk_runs_at(b), rest = disk_stream_at(b);
  snap_buf out = {0};
  snap_put_bytes(&out, b->p, at);
  snap_put_u32(&out, runs[0]);
  for (uint32_t i = 0; i < 2 * runs[0]; i++) snap_put_u32(&out, runs[1 + i]);
  snap_put_bytes(&out, b->p + rest, b->len - rest);
  snap_buf_free(b);
  *b = out;
}

/* The image's stream emptied: its length 0, its bytes gone. */
static void disk_stream_empty(snap_buf *b, void *arg) {
  size_t at = disk_stream_at(b), end = at + 8 + rd64(b->p + at);
  memmove(b->p + at + 8, b->p + end, b->len - end);
  b->len -= end - at - 8;
  wr32(b->p + at, 0);
  wr32(b->p + at + 4, 0);
}

static void overlay_unsorted(snap_buf *b, void *arg) {
  size_t at = disk_overlay_at(b);
  cr_assert_geq(rd32(b->p + at), 2);
  uint32_t s0 = rd32(b->p + at + 4), s1 = rd32(b->p + at + 8);
  wr32(b->p + at + 4, s1);
  wr32(b->p + at + 8, s0);
}

static void overlay_out_of_range(snap_buf *b, void *arg) {
  size_t at = disk_overlay_at(b);
  wr32(b->p + at + 4 + 4 * (rd32(b->p + at) - 1), 1000000);
}

static void overlay_count(snap_buf *b, void *arg) {
  wr32(b->p + disk_overlay_at(b), *(uint32_t *)arg);
}

static void disk_name_control(snap_buf *b, void *arg) { b->p[4 + 4 + 1] = '\033'; }

Test(damaged, hostile_disk) {
  expect_hostile("DISK", overlay_unsorted, NULL, "the list must be increasing");
  expect_hostile("DISK", overlay_out_of_range, NULL, "overlay sector 1000000");
  uint32_t n = 100000;
  expect_hostile("DISK", overlay_count, &n, "100000 overlay sectors");
  n = 1; /* fewer sectors listed than the stream holds */
  expect_hostile("DISK", overlay_count, &n, "section DISK");
  expect_hostile("DISK", disk_name_control, NULL, "control character 0x1b");
  hostile("DISK", 0, 4, 5, "a disk of 5 sectors");
  hostile("DISK", 4, 1, 1, "(persist 1)");
}

/* diskdemo's image: 4 sectors, none zero, so one run (0, 4). */
Test(damaged, hostile_disk_image_runs) {
  snap_file f;
  host_error err;
  cr_assert(snap_file_parse(&f, good.p, good.len, "x", &err), "%s", err.msg);
  const snap_section *d = snap_file_find(&f, "DISK");
  cr_assert(d);
  size_t at = 5 + 4 + rd32(d->data + 5); /* disk_runs_at */
  cr_assert_eq(rd32(d->data + at), 1, "the image is one run");
  cr_assert_eq(rd32(d->data + at + 4), 0);
  cr_assert_eq(rd32(d->data + at + 8), 4);
  snap_file_free(&f);
  uint32_t past_end[] = {1, 1, 4};
  expect_hostile("DISK", disk_runs_set, past_end, "ends past the disk's 4 sectors");
  uint32_t empty[] = {1, 0, 0};
  expect_hostile("DISK", disk_runs_set, empty, "image run 0 (0 sectors from sector 0)");
  uint32_t touching[] = {2, 0, 2, 2, 2};
  expect_hostile("DISK", disk_runs_set, touching, "image run 1 (2 sectors from sector 2)");
  uint32_t overlapping[] = {2, 0, 3, 2, 2};
  expect_hostile("DISK", disk_runs_set, overlapping, "runs must be increasing, apart");
  uint32_t backwards[] = {2, 2, 2, 0, 1};
  expect_hostile("DISK", disk_runs_set, backwards, "image run 1 (1 sectors from sector 0)");
  /* well formed, but fewer or more sectors than the stream holds */
  uint32_t fewer[] = {2, 0, 2, 3, 1};
  expect_hostile("DISK", disk_runs_set, fewer, "section DISK: the image: its "
                 "compressed data holds more than it should");
  uint32_t none[] = {0};
  expect_hostile("DISK", disk_runs_set, none, "holds more than it should");
  poke many = {at, 1000000, 4};
  expect_hostile("DISK", do_poke, &many, "1000000 runs of image sectors, but "
                 "the section is cut short");
  /* runs that promise more than any stream that size can hold */
  expect_hostile("DISK", disk_stream_empty, NULL, "its runs hold 4 non-zero "
                 "sectors, more than its 0 bytes of compressed data can");
}

static void elf_garbage(snap_buf *b, void *arg) {
  size_t at = 4 + rd32(b->p) + 8 + 8; /* name, size, stream length */
  cr_assert_eq(b->p[at], 0x78, "not a zlib stream");
  b->p[at] = 'X'; /* the stream's header */
}

static void stat_unknown_call(snap_buf *b, void *arg) {
  cr_assert_gt(rd32(b->p + 16), 0);
  wr32(b->p + 20, 0xabc);
}

Test(damaged, hostile_elf_and_stats) {
  expect_hostile("ELF", elf_garbage, NULL, "the guest ELF: its compressed data is damaged");
  expect_hostile("STAT", stat_unknown_call, NULL, "hypercall 0xabc is unknown");
}

/* The sections a machine can do without (the ELF: no symbols; STAT: no
 * counts) may be missing, renamed included; the guest's state is whole. */
Test(damaged, renamed_optional_section) {
  size_t at[16];
  char tags[16][5];
  size_t n = section_starts(at, tags);
  uint8_t *copy = malloc(good.len);
  guest_run c;
  blank(&c);
  host_error err;
  snap_file f;
  cr_assert(snap_file_parse(&f, good.p, good.len, "x", &err), "%s", err.msg);
  cr_assert(snap_restore(&c.m, &f, &err), "%s", err.msg);
  snap_file_free(&f);
  uint64_t want = machine_state_hash(&c.m);
  for (size_t i = 0; i < n; i++) {
    if (strcmp(tags[i], "ELF") != 0 && strcmp(tags[i], "STAT") != 0) continue;
    memcpy(copy, good.p, good.len);
    copy[at[i]] ^= 1;
    cr_assert(snap_file_parse(&f, copy, good.len, "x", &err), "%s", err.msg);
    cr_assert(snap_restore(&c.m, &f, &err), "%s", err.msg);
    cr_expect_eq(machine_state_hash(&c.m), want);
    if (strcmp(tags[i], "ELF") == 0) cr_expect_null(c.m.elf.data, "an ELF from nowhere");
    else cr_expect_eq(c.m.stats.hcalls, 0);
    snap_file_free(&f);
  }
  finish(&c);
  free(copy);
}

/* A section missing, or one this pvlab does not know (kept, ignored). */
Test(damaged, missing_and_unknown_sections) {
  host_error err;
  snap_file f;
  cr_assert(snap_file_parse(&f, good.p, good.len, "x", &err), "%s", err.msg);
  const char *required[] = {"CONF", "CPU", "DEVS", "RAM", "DISK"};
  for (size_t r = 0; r < 5; r++) {
    snap_section sec[16];
    size_t n = 0;
    for (size_t i = 0; i < f.nsec; i++) {
      if (strcmp(f.sec[i].tag, required[r]) != 0) sec[n++] = f.sec[i];
    }
    snap_buf bytes = {0};
    cr_assert(snap_file_encode(&bytes, SNAP_KIND_SNAPSHOT, sec, n));
    char want[160];
    if (r < 4) snprintf(want, sizeof want, "has no %s section", required[r]);
    else snprintf(want, sizeof want, "no DISK section");
    expect_refused(bytes.p, bytes.len, want, want);
    snap_buf_free(&bytes);
  }
  /* an unknown section is fine */
  snap_section sec[16];
  memcpy(sec, f.sec, f.nsec * sizeof sec[0]);
  sec[f.nsec] = (snap_section){"XTRA", (const uint8_t *)"hello", 5};
  snap_buf bytes = {0};
  cr_assert(snap_file_encode(&bytes, SNAP_KIND_SNAPSHOT, sec, f.nsec + 1));
  snap_file g;
  cr_assert(snap_file_parse(&g, bytes.p, bytes.len, "x", &err), "%s", err.msg);
  guest_run c;
  blank(&c);
  cr_expect(snap_restore(&c.m, &g, &err), "%s", err.msg);
  finish(&c);
  snap_file_free(&g);
  snap_buf_free(&bytes);
  snap_file_free(&f);
}

/* -------------------------------------------------------- files on disk */

Test(files, errors_name_the_file_and_keep_the_old_one) {
  guest_run g;
  start(&g, &HELLO);
  host_error err = {{0}};
  cr_assert(!snap_save(&g.m, "/nonexistent-dir/x.pvsnap", &err));
  cr_expect(strstr(err.msg, "cannot write snapshot '/nonexistent-dir/x.pvsnap'"), "%s", err.msg);
  cr_assert(!snap_load(&g.m, "/nonexistent-dir/x.pvsnap", &err));
  cr_expect(strstr(err.msg, "cannot open '/nonexistent-dir/x.pvsnap'"), "%s", err.msg);
  cr_assert(!snap_load(&g.m, "/tmp", &err));
  cr_expect(strstr(err.msg, "not a regular file"), "%s", err.msg);
  /* a good file stays whole when a save over it fails */
  const char *path = temp_path("keep.pvsnap");
  cr_assert(snap_save(&g.m, path, &err), "%s", err.msg);
  struct stat before;
  cr_assert_eq(stat(path, &before), 0);
  if (geteuid() != 0) { /* root writes into read-only directories anyway */
    cr_assert_eq(chmod(tmpdir, 0500), 0);
    cr_expect(!snap_save(&g.m, path, &err));
    cr_expect(strstr(err.msg, "is as it was"), "%s", err.msg);
    chmod(tmpdir, 0700);
  }
  cr_assert(machine_run(&g.m, 500) == MACHINE_STOP_LIMIT);
  cr_assert(snap_save(&g.m, path, &err), "%s", err.msg); /* replaces it */
  guest_run c;
  blank(&c);
  cr_assert(snap_load(&c.m, path, &err), "%s", err.msg);
  cr_expect_eq(c.m.cpu.s.icount, 500);
  /* no temporary file is left behind */
  char tmp[256];
  snprintf(tmp, sizeof tmp, "%s.tmp-%ld-0", path, (long)getpid());
  cr_expect_neq(access(tmp, F_OK), 0, "%s is left", tmp);
  unlink(path);
  finish(&c);
  finish(&g);
}

/* Zero pages cost nothing: a guest's 8 MiB and 512 MiB of RAM save to
 * files of nearly the same size, the ELF (100 KiB with its debugging
 * information) being most of either. */
Test(files, zero_pages_cost_nothing) {
  scenario big = HELLO;
  guest_run g;
  start(&g, &big);
  cr_assert(machine_run(&g.m, 1000) == MACHINE_STOP_LIMIT);
  host_error err;
  const char *path = temp_path("small.pvsnap");
  cr_assert(snap_save(&g.m, path, &err), "%s", err.msg);
  struct stat small;
  cr_assert_eq(stat(path, &small), 0);
  finish(&g);
  machine_config cfg = {.mem_mib = 512, .seed = 5};
  memset(&g, 0, sizeof g);
  cr_assert(machine_init(&g.m, &cfg, &err), "%s", err.msg);
  cr_assert(machine_load_elf(&g.m, guest_file("hello.elf"), &err), "%s", err.msg);
  cr_assert(machine_run(&g.m, 1000) == MACHINE_STOP_LIMIT);
  cr_assert(snap_save(&g.m, path, &err), "%s", err.msg);
  struct stat large;
  cr_assert_eq(stat(path, &large), 0);
  /* 512 MiB needs a 16 KiB bitmap where 8 MiB needs 256 bytes */
  cr_expect_lt(large.st_size, small.st_size + 16384 + 1024, "%lld vs %lld",
               (long long)large.st_size, (long long)small.st_size);
  struct stat elf;
  cr_assert_eq(stat(guest_file("hello.elf"), &elf), 0);
  cr_expect_lt(small.st_size, elf.st_size + 16 * 1024, "%lld bytes for hello",
               (long long)small.st_size);
  unlink(path);
  machine_free(&g.m);
}

Test(files, describe_names_guest_icount_and_sections) {
  guest_run g;
  start(&g, &DISK);
  cr_assert(reach(&g, &(point){AFTER_HCALL, 2, PV_HC_DISK_WRITE}));
  host_error err;
  const char *path = temp_path("info.pvsnap");
  cr_assert(snap_save(&g.m, path, &err), "%s", err.msg);
  snap_file f;
  cr_assert(snap_file_read(&f, path, &err), "%s", err.msg);
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  snap_describe(&f, out);
  fclose(out);
  char want[128];
  snprintf(want, sizeof want, "icount         %llu\n", (unsigned long long)g.m.cpu.s.icount);
  cr_expect(strstr(text, want), "lacks \"%s\":\n%s", want, text);
  cr_expect(strstr(text, "guest          diskdemo.elf ("), "%s", text);
  cr_expect(strstr(text, ", with symbols)"), "%s", text);
  cr_expect(strstr(text, " <disk_io+"), "the pc's symbol: %s", text);
  cr_expect(strstr(text, "memory         8 MiB\n"), "%s", text);
  cr_expect(strstr(text, "disk           diskdemo.img: 4 sectors (2 KiB)"), "%s", text);
  cr_expect(strstr(text, "written by the guest"), "%s", text);
  cr_expect(strstr(text, "check          every field is valid"), "%s", text);
  const char *tags[] = {"CONF", "CPU ", "DEVS", "RAM ", "DISK", "ELF ", "STAT"};
  for (int i = 0; i < 7; i++) {
    snprintf(want, sizeof want, "\n    %s ", tags[i]);
    cr_expect(strstr(text, want), "no section line \"%s\":\n%s", want + 1, text);
  }
  free(text);
  snap_file_free(&f);
  unlink(path);
  finish(&g);
}

/* Memory of every kind in one machine: runs of random pages (stored),
 * text (deflated), zero pages between them, across the pieces that are
 * compressed on separate cores; back byte for byte. */
Test(files, mixed_memory_comes_back_byte_for_byte) {
  machine m;
  machine_config cfg = {.mem_mib = 8, .seed = 1};
  host_error err;
  cr_assert(machine_init(&m, &cfg, &err), "%s", err.msg);
  uint64_t x = 12345;
  for (uint32_t p = 0; p < m.cpu.ram_size / CPU_PAGE_SIZE; p++) {
    uint8_t *page = m.ram + (size_t)p * CPU_PAGE_SIZE;
    unsigned kind = (p / 37) % 4; /* runs of 37 pages of one kind */
    for (uint32_t i = 0; kind && i < CPU_PAGE_SIZE; i++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      page[i] = kind == 1 ? (uint8_t)x : kind == 2 ? (uint8_t)("pvlab page "[i % 11]) : (uint8_t)(i & p);
    }
  }
  cpu_dirty_all(&m.cpu);
  const char *path = temp_path("mixed.pvsnap");
  cr_assert(snap_save(&m, path, &err), "%s", err.msg);
  guest_run c;
  blank(&c);
  cr_assert(snap_load(&c.m, path, &err), "%s", err.msg);
  cr_assert_eq(c.m.cpu.ram_size, m.cpu.ram_size);
  cr_expect(memcmp(c.m.ram, m.ram, m.cpu.ram_size) == 0, "RAM differs");
  cr_expect_eq(machine_state_hash(&c.m), machine_state_hash(&m));
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  /* a quarter random, a quarter zero: the rest compresses */
  cr_expect_lt(st.st_size, 8 << 20, "%lld bytes", (long long)st.st_size);
  cr_expect_gt(st.st_size, 2 << 20, "%lld bytes: random data compressed?", (long long)st.st_size);
  unlink(path);
  finish(&c);
  machine_free(&m);
}

/* A guest whose file name has a control character still saves a file
 * that loads: the name is for messages, and keeps a '?' there. */
Test(files, odd_guest_names_still_load) {
  char odd[256];
  snprintf(odd, sizeof odd, "%s", temp_path("he\nllo.elf"));
  FILE *in = fopen(guest_file("hello.elf"), "rb"), *out = fopen(odd, "wb");
  cr_assert(in && out);
  char buf[65536];
  for (size_t n; (n = fread(buf, 1, sizeof buf, in)) > 0;) cr_assert_eq(fwrite(buf, 1, n, out), n);
  fclose(in);
  fclose(out);
  machine m;
  machine_config cfg = {.mem_mib = 2};
  host_error err;
  cr_assert(machine_init(&m, &cfg, &err), "%s", err.msg);
  cr_assert(machine_load_elf(&m, odd, &err), "%s", err.msg);
  const char *path = temp_path("odd.pvsnap");
  cr_assert(snap_save(&m, path, &err), "%s", err.msg);
  guest_run c;
  blank(&c);
  cr_assert(snap_load(&c.m, path, &err), "%s", err.msg);
  cr_expect_str_eq(c.m.elf.name, "he?llo.elf");
  unlink(path);
  unlink(odd);
  finish(&c);
  machine_free(&m);
}
