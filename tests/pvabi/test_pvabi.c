/* The para-API through a real machine: HCALL words placed in guest RAM,
 * registers set by hand, the memory console and a capturing log backend.
 * Every call in PV_CALLS, every status name, and the calling convention
 * itself (what is preserved, how pc and the count move). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine.h"
#include "pvabi_calls.h"

#define MEM_MIB 1u
#define RAM_BYTES (MEM_MIB << 20)
#define BASE CPU_RAM_BASE
#define END (BASE + RAM_BYTES)
#define CODE BASE
#define BUF (BASE + 0x2000u) /* data, in a page that never holds code */
#define FILL 0xccu

#define NOP 0x00000013u
#define EBREAK 0x00100073u
#define A0 10
#define A1 11
#define A2 12
#define A3 13
#define A7 17

static machine m;
static dev_console_mem con;
static char logged[32768];
static unsigned nlogged;

static void capture_log(void *ctx, const char *text) {
  (void)ctx;
  snprintf(logged, sizeof logged, "%s", text);
  nlogged++;
}

static void setup(void) {
  machine_config cfg = {.mem_mib = MEM_MIB, .seed = 1};
  host_error err = {{0}};
  cr_assert(machine_init(&m, &cfg, &err), "%s", err.msg);
  memset(&con, 0, sizeof con);
  m.console_io = dev_console_mem_backend(&con);
  m.log_io = (dev_log_backend){NULL, capture_log};
  logged[0] = 0;
  nlogged = 0;
  memset(m.ram + (BUF - BASE), FILL, 0x2000);
}

static void teardown(void) {
  machine_free(&m);
  dev_console_mem_free(&con);
}

TestSuite(pvabi, .init = setup, .fini = teardown);

static uint8_t *host(uint32_t addr) { return m.ram + (addr - BASE); }

static void put_words(uint32_t addr, const uint32_t *w, size_t n) {
  memcpy(host(addr), w, 4 * n);
  cpu_code_written(&m.cpu, addr, (uint32_t)(4 * n));
}

static void put_bytes(uint32_t addr, const void *p, size_t n) {
  memcpy(host(addr), p, n);
}

/* Resets the CPU to pc with the call's registers set. */
static void prepare_at(uint32_t pc, uint32_t number, uint32_t a0, uint32_t a1,
                       uint32_t a2) {
  cpu_reset(&m.cpu, pc);
  m.cpu.s.x[A7] = number;
  m.cpu.s.x[A0] = a0;
  m.cpu.s.x[A1] = a1;
  m.cpu.s.x[A2] = a2;
}

static void prepare(uint32_t number, uint32_t a0, uint32_t a1, uint32_t a2) {
  prepare_at(CODE, number, a0, a1, a2);
}

/* Runs "hcall; ebreak" placed at pc and returns the status: the machine
 * must stop at the ebreak, one instruction (the hcall) later. */
static int32_t call_at(uint32_t pc, uint32_t number, uint32_t a0, uint32_t a1,
                       uint32_t a2) {
  static const uint32_t code[] = {PV_HCALL_WORD, EBREAK};
  put_words(pc, code, 2);
  prepare_at(pc, number, a0, a1, a2);
  machine_stop stop = machine_run(&m, 1000);
  cr_assert_eq(stop, MACHINE_STOP_EBREAK, "call 0x%x stopped with %d",
               number, stop);
  cr_assert_eq(m.cpu.s.pc, pc + 4, "pc 0x%08x", m.cpu.s.pc);
  cr_assert_eq(m.cpu.s.icount, 1);
  return (int32_t)m.cpu.s.x[A0];
}

static int32_t call(uint32_t number, uint32_t a0, uint32_t a1, uint32_t a2) {
  return call_at(CODE, number, a0, a1, a2);
}

static uint32_t res1(void) { return m.cpu.s.x[A1]; }
static uint32_t res2(void) { return m.cpu.s.x[A2]; }

static void expect_status(int32_t got, int32_t want) {
  cr_expect_eq(got, want, "status %s (%d), want %s", pvabi_status_name(got),
               got, pvabi_status_name(want));
}

/* The numbers in PV_CALLS, straight from the list. */
static const uint32_t all_calls[] = {
#define NUMBER(NAME, name, num, args, result) num,
  PV_CALLS(NUMBER)
#undef NUMBER
};
#define NCALLS (sizeof all_calls / sizeof all_calls[0])

static bool call_exists(uint32_t number) {
  for (unsigned i = 0; i < NCALLS; i++) {
    if (all_calls[i] == number) return true;
  }
  return false;
}

/* Numbers a call might one day take; the tests use those that are free
 * today, so the list need not change when the ABI grows. */
static const uint32_t maybe_unused[] = {0x08, 0x0f, 0x12, 0x26, 0x5a, 0x6f,
                                        0x72, 0x100, 0x5a5a, 0x80000000u,
                                        0xffffffffu};
#define NMAYBE (sizeof maybe_unused / sizeof maybe_unused[0])

/* ------------------------------------------------------------ table */

Test(pvabi, table_matches_the_list) {
  static const char *const names[] = {
#define NAME_OF(NAME, name, num, args, result) #name,
    PV_CALLS(NAME_OF)
#undef NAME_OF
  };
  cr_assert_eq(pvabi_ncalls, NCALLS);
  for (unsigned i = 0; i < NCALLS; i++) {
    const pvabi_call *c = pvabi_lookup(all_calls[i]);
    cr_assert_not_null(c, "no entry for 0x%x", all_calls[i]);
    cr_expect_str_eq(c->name, names[i]);
    cr_expect_eq(c->number, all_calls[i]);
    cr_expect_not_null(dev_hcalls[c - pvabi_calls]);
    cr_expect(c->argc >= 0 && c->argc <= 4);
    for (int k = 0; k < c->argc; k++) cr_expect_not_null(c->argn[k]);
    cr_expect_not_null(c->result);
    for (unsigned j = 0; j < i; j++) {
      cr_expect_neq(all_calls[i], all_calls[j], "number 0x%x twice",
                    all_calls[i]);
    }
  }
  for (size_t i = 0; i < NMAYBE; i++) {
    if (!call_exists(maybe_unused[i])) {
      cr_expect_null(pvabi_lookup(maybe_unused[i]), "0x%x", maybe_unused[i]);
    }
  }
}

Test(pvabi, status_names) {
#define CHECK_NAME(name, num, text) \
  cr_expect_str_eq(pvabi_status_name(num), #name); \
  cr_expect_eq(name, num);
  PV_ERRORS(CHECK_NAME)
#undef CHECK_NAME
  cr_expect_str_eq(pvabi_status_name(PV_EFAULT), "PV_EFAULT");
  cr_expect_str_eq(pvabi_status_name(-7), "PV_E?");
  cr_expect_str_eq(pvabi_status_name(1), "PV_E?");
  cr_expect_str_eq(pvabi_status_name(INT32_MIN), "PV_E?");
  cr_expect_str_eq(pvabi_status_name(INT32_MAX), "PV_E?");
}

/* ---------------------------------------------------- the convention */

Test(pvabi, only_a0_to_a2_change_and_pc_and_count_advance) {
  /* every call, and one that does not exist, through machine_hcall */
  put_bytes(BUF, "abcd", 4);
  for (unsigned k = 0; k <= NCALLS; k++) {
    uint32_t number = k < NCALLS ? all_calls[k] : 0xffffffffu;
    static const uint32_t code[] = {PV_HCALL_WORD};
    put_words(CODE + 0x100, code, 1);
    cpu_reset(&m.cpu, CODE + 0x100);
    m.cpu.s.icount = 1000;
    uint32_t before[32];
    for (int i = 1; i < 32; i++) m.cpu.s.x[i] = 0x01010101u * (uint32_t)i;
    m.cpu.s.x[A7] = number;
    m.cpu.s.x[A0] = BUF; /* a valid buffer for the calls that take one */
    m.cpu.s.x[A1] = 4;
    memcpy(before, m.cpu.s.x, sizeof before);
    machine_hcall(&m);
    for (int i = 0; i < 32; i++) {
      if (i == A0 || i == A1 || i == A2) continue;
      cr_expect_eq(m.cpu.s.x[i], before[i], "call 0x%x changed %s", number,
                   cpu_reg_names[i]);
    }
    cr_expect_eq(m.cpu.s.pc, CODE + 0x104, "call 0x%x: pc", number);
    cr_expect_eq(m.cpu.s.icount, 1001, "call 0x%x: icount", number);
    m.dev.power.off = 0;
    m.dev.debug.break_requested = 0;
  }
  cr_expect_eq(m.stats.hcalls, NCALLS + 1);
  cr_expect_eq(m.stats.hcalls_unknown, 1);
}

Test(pvabi, registers_survive_a_run_through_the_loop) {
  static const uint32_t code[] = {PV_HCALL_WORD, EBREAK};
  put_words(CODE, code, 2);
  cpu_reset(&m.cpu, CODE);
  for (int i = 1; i < 32; i++) m.cpu.s.x[i] = 0xa0000000u + (uint32_t)i;
  m.cpu.s.x[A7] = PV_HC_TIME_NOW;
  cr_assert_eq(machine_run(&m, 100), MACHINE_STOP_EBREAK);
  for (int i = 1; i < 32; i++) {
    if (i == A0 || i == A1 || i == A2) continue;
    uint32_t want = i == A7 ? PV_HC_TIME_NOW : 0xa0000000u + (uint32_t)i;
    cr_expect_eq(m.cpu.s.x[i], want, "%s changed", cpu_reg_names[i]);
  }
  cr_expect_eq(m.cpu.s.x[0], 0);
}

Test(pvabi, results_not_set_by_a_call_are_zero) {
  expect_status(call(PV_HC_PROBE, PV_HC_VERSION, 0x11111111u, 0x22222222u),
                PV_OK);
  cr_expect_eq(res1(), 0);
  cr_expect_eq(res2(), 0);
}

/* ---------------------------------------------------------- the calls */

Test(pvabi, version) {
  uint32_t highest = 0;
  for (unsigned i = 0; i < NCALLS; i++) {
    if (all_calls[i] > highest) highest = all_calls[i];
  }
  expect_status(call(PV_HC_VERSION, 0, 0, 0), PV_OK);
  cr_expect_eq(res1(), PV_ABI_VERSION);
  cr_expect_eq(res1() >> 16, PV_ABI_MAJOR);
  cr_expect_eq(res1() & 0xffff, PV_ABI_MINOR);
  cr_expect_eq(res2(), highest);
}

Test(pvabi, probe_existing_and_missing) {
  for (unsigned i = 0; i < NCALLS; i++) {
    expect_status(call(PV_HC_PROBE, all_calls[i], 0, 0), PV_OK);
  }
  unsigned checked = 0;
  for (size_t i = 0; i < NMAYBE; i++) {
    if (call_exists(maybe_unused[i])) continue;
    expect_status(call(PV_HC_PROBE, maybe_unused[i], 0, 0), PV_ENOSYS);
    checked++;
  }
  cr_expect_geq(checked, 4);
}

Test(pvabi, shutdown_stops_the_machine_with_the_code) {
  static const uint32_t code[] = {PV_HCALL_WORD, EBREAK};
  put_words(CODE, code, 2);
  prepare(PV_HC_SHUTDOWN, 42, 0, 0);
  cr_expect_eq(machine_run(&m, 1000), MACHINE_STOP_SHUTDOWN);
  cr_expect_eq(m.stop, MACHINE_STOP_SHUTDOWN);
  cr_expect_eq(m.dev.power.off, 1);
  cr_expect_eq(m.dev.power.exit_code, 42);
  cr_expect_eq(m.cpu.s.icount, 1);
  cr_expect_eq(m.cpu.s.x[A0], (uint32_t)PV_OK);
}

Test(pvabi, shutdown_keeps_every_code_value) {
  static const uint32_t code[] = {PV_HCALL_WORD, EBREAK};
  put_words(CODE, code, 2);
  prepare(PV_HC_SHUTDOWN, 0xffffffffu, 0, 0);
  cr_expect_eq(machine_run(&m, 1000), MACHINE_STOP_SHUTDOWN);
  cr_expect_eq(m.dev.power.exit_code, 0xffffffffu);
}

Test(pvabi, shutdown_after_running_code) {
  /* li a0, 7; li a7, 2; hcall; ebreak */
  const uint32_t code[] = {
    cpu_encode(CPU_OP_ADDI, A0, 0, 0, 7),
    cpu_encode(CPU_OP_ADDI, A7, 0, 0, PV_HC_SHUTDOWN),
    PV_HCALL_WORD, EBREAK,
  };
  put_words(CODE, code, 4);
  cpu_reset(&m.cpu, CODE);
  cr_expect_eq(machine_run(&m, 1000), MACHINE_STOP_SHUTDOWN);
  cr_expect_eq(m.dev.power.exit_code, 7);
  cr_expect_eq(m.cpu.s.icount, 3);
}

Test(pvabi, mem_info) {
  expect_status(call(PV_HC_MEM_INFO, 0, 0, 0), PV_OK);
  cr_expect_eq(res1(), CPU_RAM_BASE);
  cr_expect_eq(res2(), RAM_BYTES);
}

Test(pvabi, mem_info_follows_the_configuration) {
  machine big;
  machine_config cfg = {.mem_mib = 3};
  host_error err = {{0}};
  cr_assert(machine_init(&big, &cfg, &err), "%s", err.msg);
  big.cpu.s.x[A7] = PV_HC_MEM_INFO;
  big.cpu.s.pc = CODE;
  machine_hcall(&big);
  cr_expect_eq(big.cpu.s.x[A0], (uint32_t)PV_OK);
  cr_expect_eq(big.cpu.s.x[A1], CPU_RAM_BASE);
  cr_expect_eq(big.cpu.s.x[A2], 3u << 20);
  machine_free(&big);
}

/* ------------------------------------------------------ console_write */

Test(pvabi, console_write_bytes_arrive) {
  put_bytes(BUF, "hello, world\n", 13);
  expect_status(call(PV_HC_CONSOLE_WRITE, BUF, 13, 0), PV_OK);
  cr_expect_eq(res1(), 13);
  cr_expect_eq(con.out_len, 13);
  cr_expect_str_eq((char *)con.out, "hello, world\n");
  expect_status(call(PV_HC_CONSOLE_WRITE, BUF, 5, 0), PV_OK);
  cr_expect_str_eq((char *)con.out, "hello, world\nhello");
  cr_expect_eq(m.dev.console.bytes_out, 18);
}

Test(pvabi, console_write_passes_every_byte_value) {
  uint8_t all[256];
  for (int i = 0; i < 256; i++) all[i] = (uint8_t)i;
  put_bytes(BUF, all, sizeof all);
  expect_status(call(PV_HC_CONSOLE_WRITE, BUF, 256, 0), PV_OK);
  cr_assert_eq(con.out_len, 256);
  cr_expect_arr_eq(con.out, all, 256);
}

Test(pvabi, console_write_len_zero_is_ok) {
  expect_status(call(PV_HC_CONSOLE_WRITE, BUF, 0, 0), PV_OK);
  cr_expect_eq(res1(), 0);
  cr_expect_eq(con.out_len, 0);
  cr_expect_eq(m.dev.console.bytes_out, 0);
}

Test(pvabi, console_write_at_the_edges_of_ram) {
  /* the code sits away from both edges so the buffers can use them */
  const uint32_t at = BASE + 0x1000;
  host(BASE)[0] = 'A';
  host(END - 1)[0] = 'Z';
  expect_status(call_at(at, PV_HC_CONSOLE_WRITE, BASE, 1, 0), PV_OK);
  expect_status(call_at(at, PV_HC_CONSOLE_WRITE, END - 1, 1, 0), PV_OK);
  cr_expect_str_eq((char *)con.out, "AZ");
  /* the whole of RAM in one call */
  expect_status(call_at(at, PV_HC_CONSOLE_WRITE, BASE, RAM_BYTES, 0), PV_OK);
  cr_expect_eq(res1(), RAM_BYTES);
  cr_assert_eq(con.out_len, 2 + RAM_BYTES);
  cr_expect_arr_eq(con.out + 2, m.ram, RAM_BYTES);
}

/* Buffers that are not wholly inside RAM. */
static const struct bad {
  uint32_t addr, len;
  const char *what;
} bad_bufs[] = {
  {BASE - 4, 4, "below RAM"},
  {BASE - 1, 2, "straddling the start of RAM"},
  {0, 16, "at NULL"},
  {0x10, 1, "low memory"},
  {END, 1, "just past the end"},
  {END + 0x1000, 4, "well past the end"},
  {END - 4, 8, "running past the end"},
  {END - 1, 2, "one byte past the end"},
  {BASE, RAM_BYTES + 1, "one byte more than RAM"},
  {BASE, 0xffffffffu, "len 0xffffffff"},
  {BUF, 0xffffffffu, "len 0xffffffff inside RAM"},
  {BASE + 0x100, 0x7fffff10u, "addr + len wrapping to 0x10"},
  {BUF, 0x80000000u, "addr + len wrapping to addr"},
  {0xfffffff0u, 0x20, "at the top of the address space, wrapping"},
  {0xffffffffu, 1, "the last address"},
};
#define NBAD (sizeof bad_bufs / sizeof bad_bufs[0])

Test(pvabi, console_write_bad_buffers_are_efault_and_write_nothing) {
  for (size_t i = 0; i < NBAD; i++) {
    int32_t st =
        call(PV_HC_CONSOLE_WRITE, bad_bufs[i].addr, bad_bufs[i].len, 0);
    cr_expect_eq(st, PV_EFAULT, "%s: %s", bad_bufs[i].what,
                 pvabi_status_name(st));
    cr_expect_eq(res1(), 0, "%s: a1 = %u", bad_bufs[i].what, res1());
  }
  cr_expect_eq(con.out_len, 0);
  cr_expect_eq(m.dev.console.bytes_out, 0);
}

static bool failing_write(void *ctx, const uint8_t *buf, size_t len) {
  (void)ctx, (void)buf, (void)len;
  return false;
}

static long failing_read(void *ctx, uint8_t *buf, size_t len) {
  (void)ctx, (void)buf, (void)len;
  return DEV_ERROR;
}

static bool always_ready(void *ctx, bool wait) {
  (void)ctx, (void)wait;
  return true;
}

Test(pvabi, console_host_failure_is_eio) {
  m.console_io = (dev_console_backend){.write = failing_write,
                                       .read = failing_read,
                                       .ready = always_ready};
  expect_status(call(PV_HC_CONSOLE_WRITE, BUF, 4, 0), PV_EIO);
  cr_expect_eq(m.dev.console.bytes_out, 0);
  expect_status(call(PV_HC_CONSOLE_READ, BUF, 4, 0), PV_EIO);
  cr_expect_eq(m.dev.console.bytes_in, 0);
  cr_expect_eq(m.dev.console.input_closed, 0);
}

/* ------------------------------------------------------- console_read */

static void give_input(const char *text, bool open) {
  con.in = (const uint8_t *)text;
  con.in_len = strlen(text);
  con.in_pos = 0;
  con.in_open = open;
}

Test(pvabi, console_read_bytes_land_in_guest_memory) {
  give_input("abc", false);
  expect_status(call(PV_HC_CONSOLE_READ, BUF, 16, 0), PV_OK);
  cr_expect_eq(res1(), 3);
  cr_expect_arr_eq(host(BUF), "abc", 3);
  for (uint32_t i = 3; i < 16; i++) {
    cr_expect_eq(host(BUF)[i], FILL, "byte %u past the input written", i);
  }
  cr_expect_eq(m.dev.console.bytes_in, 3);
}

Test(pvabi, console_read_in_pieces) {
  give_input("xyz", false);
  expect_status(call(PV_HC_CONSOLE_READ, BUF, 2, 0), PV_OK);
  cr_expect_eq(res1(), 2);
  cr_expect_arr_eq(host(BUF), "xy", 2);
  cr_expect_eq(host(BUF)[2], FILL, "wrote past len");
  expect_status(call(PV_HC_CONSOLE_READ, BUF + 2, 2, 0), PV_OK);
  cr_expect_eq(res1(), 1);
  cr_expect_arr_eq(host(BUF), "xyz", 3);
  cr_expect_eq(m.dev.console.bytes_in, 3);
}

Test(pvabi, console_read_open_and_empty_is_eagain) {
  give_input("", true);
  expect_status(call(PV_HC_CONSOLE_READ, BUF, 8, 0), PV_EAGAIN);
  cr_expect_eq(res1(), 0);
  cr_expect_eq(m.dev.console.input_closed, 0, "EAGAIN must not end input");
  cr_expect_eq(host(BUF)[0], FILL);
  /* input arrives later and is read */
  give_input("k", true);
  expect_status(call(PV_HC_CONSOLE_READ, BUF, 8, 0), PV_OK);
  cr_expect_eq(res1(), 1);
  cr_expect_eq(host(BUF)[0], 'k');
  expect_status(call(PV_HC_CONSOLE_READ, BUF, 8, 0), PV_EAGAIN);
}

Test(pvabi, console_read_end_of_input_stays_closed) {
  give_input("q", false);
  expect_status(call(PV_HC_CONSOLE_READ, BUF, 8, 0), PV_OK);
  cr_expect_eq(res1(), 1);
  expect_status(call(PV_HC_CONSOLE_READ, BUF, 8, 0), PV_OK);
  cr_expect_eq(res1(), 0, "end of input");
  cr_expect_eq(m.dev.console.input_closed, 1);
  /* more bytes appearing on the host side are not seen: end is final */
  give_input("late", true);
  host(BUF)[0] = FILL;
  for (int i = 0; i < 3; i++) {
    expect_status(call(PV_HC_CONSOLE_READ, BUF, 8, 0), PV_OK);
    cr_expect_eq(res1(), 0);
  }
  cr_expect_eq(con.in_pos, 0, "closed input was still read from the host");
  cr_expect_eq(host(BUF)[0], FILL);
  cr_expect_eq(m.dev.console.bytes_in, 1);
}

Test(pvabi, console_read_default_console_is_end_of_input) {
  machine fresh;
  machine_config cfg = {.mem_mib = 1};
  host_error err = {{0}};
  cr_assert(machine_init(&fresh, &cfg, &err), "%s", err.msg);
  fresh.cpu.s.pc = CODE;
  fresh.cpu.s.x[A7] = PV_HC_CONSOLE_READ;
  fresh.cpu.s.x[A0] = BUF;
  fresh.cpu.s.x[A1] = 4;
  machine_hcall(&fresh);
  cr_expect_eq(fresh.cpu.s.x[A0], (uint32_t)PV_OK);
  cr_expect_eq(fresh.cpu.s.x[A1], 0);
  cr_expect_eq(fresh.dev.console.input_closed, 1);
  machine_free(&fresh);
}

Test(pvabi, console_read_len_zero_is_einval) {
  give_input("abc", false);
  expect_status(call(PV_HC_CONSOLE_READ, BUF, 0, 0), PV_EINVAL);
  cr_expect_eq(res1(), 0);
  cr_expect_eq(con.in_pos, 0);
  cr_expect_eq(m.dev.console.input_closed, 0, "len 0 must not end input");
}

Test(pvabi, console_read_bad_buffers_are_efault_and_read_nothing) {
  give_input("secret", false);
  uint8_t before[64];
  memcpy(before, host(END - sizeof before), sizeof before);
  for (size_t i = 0; i < NBAD; i++) {
    int32_t st =
        call(PV_HC_CONSOLE_READ, bad_bufs[i].addr, bad_bufs[i].len, 0);
    cr_expect_eq(st, PV_EFAULT, "%s: %s", bad_bufs[i].what,
                 pvabi_status_name(st));
    cr_expect_eq(res1(), 0);
  }
  cr_expect_eq(con.in_pos, 0, "input was consumed by a refused read");
  cr_expect_eq(m.dev.console.bytes_in, 0);
  cr_expect_eq(m.dev.console.input_closed, 0);
  cr_expect_arr_eq(host(END - sizeof before), before, sizeof before);
  /* and after all that, the input is still there */
  expect_status(call(PV_HC_CONSOLE_READ, BUF, 6, 0), PV_OK);
  cr_expect_arr_eq(host(BUF), "secret", 6);
}

Test(pvabi, console_read_into_code_replaces_decoded_instructions) {
  /* CODE:   hcall console_read(CODE+4, 4)
   * CODE+4: li a3, 1       <- the input overwrites it with ebreak
   * CODE+8: ebreak */
  const uint32_t code[] = {PV_HCALL_WORD, cpu_encode(CPU_OP_ADDI, A3, 0, 0, 1),
                           EBREAK};
  put_words(CODE, code, 3);
  /* run CODE+4 once so that it is decoded and cached */
  cpu_reset(&m.cpu, CODE + 4);
  cr_assert_eq(machine_run(&m, 100), MACHINE_STOP_EBREAK);
  cr_assert_eq(m.cpu.s.x[A3], 1);
  cr_assert_eq(m.cpu.s.pc, CODE + 8);

  static const uint8_t ebreak_bytes[4] = {0x73, 0x00, 0x10, 0x00};
  con.in = ebreak_bytes;
  con.in_len = 4;
  con.in_pos = 0;
  prepare(PV_HC_CONSOLE_READ, CODE + 4, 4, 0);
  cr_assert_eq(machine_run(&m, 100), MACHINE_STOP_EBREAK);
  cr_expect_eq(m.cpu.s.x[A0], (uint32_t)PV_OK);
  cr_expect_eq(m.cpu.s.x[A1], 4);
  cr_expect_eq(m.cpu.s.pc, CODE + 4, "ran the stale decoded instruction");
  cr_expect_eq(m.cpu.s.x[A3], 0);
}

/* ----------------------------------------------------------- time_now */

Test(pvabi, time_now_is_one_ns_per_instruction) {
  expect_status(call(PV_HC_TIME_NOW, 0, 0, 0), PV_OK);
  cr_expect_eq(res1(), 0, "the first instruction runs at time 0");
  cr_expect_eq(res2(), 0);

  const uint32_t code[] = {NOP, NOP, NOP, NOP, NOP, PV_HCALL_WORD, EBREAK};
  put_words(CODE, code, 7);
  prepare(PV_HC_TIME_NOW, 0, 0, 0);
  cr_assert_eq(machine_run(&m, 1000), MACHINE_STOP_EBREAK);
  cr_expect_eq(m.cpu.s.x[A0], (uint32_t)PV_OK);
  cr_expect_eq(res1(), 5 * DEV_NS_PER_INSN);
  cr_expect_eq(res2(), 0);
  cr_expect_eq(DEV_NS_PER_INSN, 1);
}

Test(pvabi, time_now_carries_into_the_high_word) {
  const uint32_t code[] = {NOP, NOP, NOP, NOP, NOP, PV_HCALL_WORD, EBREAK};
  put_words(CODE, code, 7);
  prepare(PV_HC_TIME_NOW, 0, 0, 0);
  m.cpu.s.icount = 0x2fffffffeull;
  cr_assert_eq(machine_run(&m, UINT64_MAX), MACHINE_STOP_EBREAK);
  cr_expect_eq(res1(), 3);
  cr_expect_eq(res2(), 3);
}

Test(pvabi, time_now_includes_idle_time) {
  m.dev.timer.idle_ns = 1000;
  expect_status(call(PV_HC_TIME_NOW, 0, 0, 0), PV_OK);
  cr_expect_eq(res1(), 1000);
}

/* ---------------------------------------------------------- debug_log */

Test(pvabi, debug_log_reaches_the_backend) {
  put_bytes(BUF, "checkpoint 1", 12);
  expect_status(call(PV_HC_DEBUG_LOG, BUF, 12, 0), PV_OK);
  cr_expect_eq(nlogged, 1);
  cr_expect_str_eq(logged, "checkpoint 1");
  cr_expect_eq(m.dev.debug.log_calls, 1);
  cr_expect_eq(con.out_len, 0, "the log went to the console");
}

Test(pvabi, debug_log_escapes_what_is_not_printable) {
  static const uint8_t msg[] = {'a', 0x01, 'b', 0x7f, 0xff, 0x1b, '[', '2',
                                'J', '\n', 'c', 0, '\n'};
  put_bytes(BUF, msg, sizeof msg);
  expect_status(call(PV_HC_DEBUG_LOG, BUF, sizeof msg, 0), PV_OK);
  /* one trailing newline is dropped; the one inside is escaped */
  cr_expect_str_eq(logged, "a\\x01b\\x7f\\xff\\x1b[2J\\x0ac\\x00");
}

Test(pvabi, debug_log_of_4096_bytes_is_accepted_and_fully_escaped) {
  memset(host(BUF), 0xff, 4096);
  expect_status(call(PV_HC_DEBUG_LOG, BUF, 4096, 0), PV_OK);
  cr_assert_eq(strlen(logged), 4 * 4096);
  cr_expect(strncmp(logged + 4 * 4095, "\\xff", 4) == 0);
}

Test(pvabi, debug_log_over_4096_bytes_is_einval) {
  memset(host(BUF), 'x', 4097);
  expect_status(call(PV_HC_DEBUG_LOG, BUF, 4097, 0), PV_EINVAL);
  expect_status(call(PV_HC_DEBUG_LOG, BUF, 0xffffffffu, 0), PV_EINVAL);
  cr_expect_eq(nlogged, 0);
  cr_expect_eq(m.dev.debug.log_calls, 0);
}

Test(pvabi, debug_log_bad_pointer_is_efault) {
  for (size_t i = 0; i < NBAD; i++) {
    if (bad_bufs[i].len > 4096) continue; /* those are EINVAL first */
    int32_t st = call(PV_HC_DEBUG_LOG, bad_bufs[i].addr, bad_bufs[i].len, 0);
    cr_expect_eq(st, PV_EFAULT, "%s: %s", bad_bufs[i].what,
                 pvabi_status_name(st));
  }
  cr_expect_eq(nlogged, 0);
  cr_expect_eq(m.dev.debug.log_calls, 0);
}

Test(pvabi, debug_log_without_a_backend_is_fine) {
  m.log_io = (dev_log_backend){NULL, NULL};
  put_bytes(BUF, "x", 1);
  expect_status(call(PV_HC_DEBUG_LOG, BUF, 1, 0), PV_OK);
  cr_expect_eq(m.dev.debug.log_calls, 1);
}

/* -------------------------------------------------------- debug_break */

Test(pvabi, debug_break_stops_after_the_call) {
  const uint32_t code[] = {PV_HCALL_WORD, NOP, EBREAK};
  put_words(CODE, code, 3);
  prepare(PV_HC_DEBUG_BREAK, 0, 0, 0);
  cr_assert_eq(machine_run(&m, 1000), MACHINE_STOP_BREAK);
  cr_expect_eq(m.stop, MACHINE_STOP_BREAK);
  cr_expect_eq(m.cpu.s.pc, CODE + 4, "pc must be past the hcall");
  cr_expect_eq(m.cpu.s.icount, 1);
  cr_expect_eq(m.cpu.s.x[A0], (uint32_t)PV_OK);
  cr_expect_eq(m.dev.debug.break_requested, 0, "request not cleared");
  /* continuing goes on with the next instruction */
  cr_assert_eq(machine_run(&m, 1000), MACHINE_STOP_EBREAK);
  cr_expect_eq(m.cpu.s.pc, CODE + 8);
  cr_expect_eq(m.cpu.s.icount, 2);
}

/* ------------------------------------------------------- unknown call */

Test(pvabi, unknown_call_is_enosys_and_the_guest_goes_on) {
  unsigned tried = 0;
  for (size_t i = 0; i < NMAYBE; i++) {
    if (call_exists(maybe_unused[i])) continue;
    const uint32_t code[] = {PV_HCALL_WORD,
                             cpu_encode(CPU_OP_ADDI, A3, 0, 0, 42), EBREAK};
    put_words(CODE, code, 3);
    prepare(maybe_unused[i], 1, 2, 3);
    cr_assert_eq(machine_run(&m, 1000), MACHINE_STOP_EBREAK);
    cr_expect_eq((int32_t)m.cpu.s.x[A0], PV_ENOSYS);
    cr_expect_eq(m.cpu.s.x[A1], 0);
    cr_expect_eq(m.cpu.s.x[A2], 0);
    cr_expect_eq(m.cpu.s.x[A3], 42, "the guest did not go on");
    cr_expect_eq(m.cpu.s.pc, CODE + 8);
    cr_expect_eq(m.cpu.s.icount, 2);
    tried++;
  }
  cr_expect_geq(tried, 4);
  cr_expect_eq(m.stats.hcalls, tried);
  cr_expect_eq(m.stats.hcalls_unknown, tried);
  cr_expect_eq(m.dev.power.off, 0);
}

/* ------------------------------------------- the memory console itself */

Test(console_mem, write_appends_and_keeps_a_terminating_nul) {
  dev_console_mem mem = {0};
  dev_console_backend io = dev_console_mem_backend(&mem);
  cr_expect_eq(io.ctx, &mem);
  cr_assert(io.write(io.ctx, (const uint8_t *)"ab", 2));
  cr_assert(io.write(io.ctx, (const uint8_t *)"cd", 2));
  cr_expect_eq(mem.out_len, 4);
  cr_expect_str_eq((char *)mem.out, "abcd");
  /* growing past the first allocation keeps what was there */
  uint8_t big[1000];
  memset(big, 'z', sizeof big);
  cr_assert(io.write(io.ctx, big, sizeof big));
  cr_expect_eq(mem.out_len, 1004);
  cr_expect_arr_eq(mem.out, "abcd", 4);
  cr_expect_eq(mem.out[1004], 0);
  dev_console_mem_free(&mem);
  cr_expect_null(mem.out);
  cr_expect_eq(mem.out_len, 0);
  dev_console_mem_free(&mem);
}

Test(console_mem, empty_write_on_a_fresh_console) {
  dev_console_mem mem = {0};
  dev_console_backend io = dev_console_mem_backend(&mem);
  cr_expect(io.write(io.ctx, (const uint8_t *)"", 0));
  cr_expect_eq(mem.out_len, 0);
  cr_assert_not_null(mem.out, "out is a string after any write");
  cr_expect_str_eq((char *)mem.out, "");
  dev_console_mem_free(&mem);
}

Test(console_mem, read_gives_input_then_end_or_again) {
  dev_console_mem mem = {0};
  dev_console_backend io = dev_console_mem_backend(&mem);
  mem.in = (const uint8_t *)"hello";
  mem.in_len = 5;
  uint8_t buf[8] = {0};
  cr_expect_eq(io.read(io.ctx, buf, 3), 3);
  cr_expect_arr_eq(buf, "hel", 3);
  cr_expect_eq(io.read(io.ctx, buf, 8), 2);
  cr_expect_arr_eq(buf, "lo", 2);
  cr_expect_eq(io.read(io.ctx, buf, 8), 0, "end of input");
  mem.in_open = true;
  cr_expect_eq(io.read(io.ctx, buf, 8), DEV_AGAIN);
}
