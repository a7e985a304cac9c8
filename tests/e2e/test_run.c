/* End to end: real guests built by the cross compiler, run through the real
 * pvlab binary, checking what a user sees: output, diagnostics, statuses. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "spawn.h"

Test(run, hello_prints_greeting_and_exits_0) {
  spawn_result r = SPAWN_RUN(NULL, "run", spawn_guest("hello"));
  cr_expect_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
  cr_expect(strstr(r.out, "Hello from pvlab!\n") == r.out, "stdout: %s", r.out);
  cr_expect(strstr(r.out, "2 + 2 = 4"), "printf formatting: %s", r.out);
  cr_expect_eq(r.err_len, 0, "unexpected stderr: %s", r.err);
  spawn_free(&r);
}

Test(run, echo_returns_input_unchanged) {
  const char *text = "first line\nsecond line without newline";
  spawn_result r = SPAWN_RUN(text, "run", spawn_guest("echo"));
  cr_expect_eq(r.status, 0);
  cr_expect_str_eq(r.out, text);
  spawn_free(&r);
}

Test(run, echo_with_empty_input_sees_end_of_input) {
  spawn_result r = SPAWN_RUN(NULL, "run", spawn_guest("echo"));
  cr_expect_eq(r.status, 0);
  cr_expect_eq(r.out_len, 0);
  spawn_free(&r);
}

Test(run, echo_passes_every_byte_value) {
  size_t n = 256 * 300;
  unsigned char *in = malloc(n);
  for (size_t i = 0; i < n; i++) in[i] = (unsigned char)(i * 7 + i / 256);
  spawn_result r = spawn_pvlab_run(in, n, "run", spawn_guest("echo"), (char *)NULL);
  cr_expect_eq(r.status, 0, "stderr: %s", r.err);
  cr_expect_eq(r.out_len, n);
  cr_expect(r.out_len == n && memcmp(r.out, in, n) == 0, "bytes differ");
  spawn_free(&r);
  free(in);
}

static void expect_same_run(const char *guest, const char *input) {
  spawn_result a = SPAWN_RUN(input, "run", "--stats", spawn_guest(guest));
  spawn_result b = SPAWN_RUN(input, "run", "--stats", spawn_guest(guest));
  cr_expect_gt(spawn_stat_num(&a, "instructions"), 100, "%s ran too few instructions", guest);
  spawn_expect_same_run(&a, &b, guest);
}

Test(determinism, hello_twice_same_count_and_hash) { expect_same_run("hello", NULL); }

Test(determinism, echo_from_input_twice_same_count_and_hash) {
  expect_same_run("echo", "some console input\nover two lines\n");
}

Test(determinism, different_input_gives_different_hash) {
  spawn_result a = SPAWN_RUN("abc", "run", "--stats", spawn_guest("echo"));
  char ha[128];
  snprintf(ha, sizeof ha, "%s", spawn_stat(&a, "state hash"));
  spawn_result b = SPAWN_RUN("abd", "run", "--stats", spawn_guest("echo"));
  cr_expect_str_neq(ha, spawn_stat(&b, "state hash"));
  spawn_free(&a);
  spawn_free(&b);
}

Test(stats, prints_every_figure) {
  spawn_result r = SPAWN_RUN(NULL, "run", "--stats", spawn_guest("hello"));
  const char *keys[] = {"instructions", "virtual time", "host seconds",
                        "guest MIPS", "state hash"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) spawn_stat(&r, keys[i]);
  /* virtual time is 1 ns per instruction */
  unsigned long long n = strtoull(spawn_stat(&r, "instructions"), NULL, 10);
  char expect[64];
  snprintf(expect, sizeof expect, "%llu.%09llu s", n / 1000000000ull, n % 1000000000ull);
  cr_expect_str_eq(spawn_stat(&r, "virtual time"), expect);
  cr_expect_eq(strlen(spawn_stat(&r, "state hash")), 16);
  spawn_free(&r);
}

/* The faults guest does the misdeed named on its first input line; the run
 * ends with status and says each of the (NULL-terminated) texts on stderr.
 * Returns the run for more checks; the caller frees it. */
static spawn_result misdeed(const char *what, int status, ...) {
  char line[64];
  snprintf(line, sizeof line, "%s\n", what);
  spawn_result r = SPAWN_RUN(line, "run", spawn_guest("faults"));
  cr_expect_eq(r.status, status, "%s: status %d", what, r.status);
  va_list ap;
  va_start(ap, status);
  for (const char *text; (text = va_arg(ap, const char *));) spawn_expect_err(&r, text);
  va_end(ap);
  return r;
}

/* A misdeed whose run needs no more checks. */
#define MISDEED(...) \
  do { \
    spawn_result r_ = misdeed(__VA_ARGS__, (char *)NULL); \
    spawn_free(&r_); \
  } while (0)

Test(faults, load_outside_ram_names_the_function) {
  MISDEED("load", CLI_EXIT_FAULT,
          "guest fault: load outside RAM at load_outside_ram+",
          "address 0x00000010",
          "NULL pointer");
}

Test(faults, store_outside_ram) {
  MISDEED("store", CLI_EXIT_FAULT,
          "store outside RAM at store_outside_ram+",
          "address 0xf0000000");
}

Test(faults, csr_read_is_illegal) {
  MISDEED("csr", CLI_EXIT_FAULT,
          "illegal instruction at read_cycle_csr+",
          "csrrs",
          "hypercall");
}

Test(faults, jump_outside_ram_names_the_caller) {
  MISDEED("jump", CLI_EXIT_FAULT,
          "instruction fetch outside RAM at 0x00000000, jumped to from jump_to_null+");
}

Test(faults, misaligned_jump) {
  MISDEED("misaligned", CLI_EXIT_FAULT,
          "misaligned instruction fetch",
          "jump_misaligned+",
          "jump_to_null+2");
}

Test(faults, ecall_without_kernel) {
  MISDEED("ecall", CLI_EXIT_FAULT,
          "ecall with no guest kernel at system_call");
}

Test(faults, ebreak_and_debug_break_end_the_run) {
  MISDEED("ebreak", CLI_EXIT_BREAK, "guest hit ebreak at breakpoint+");
  spawn_result r = misdeed("break", CLI_EXIT_BREAK,
                           "guest called debug_break at debug_break+", (char *)NULL);
  cr_expect_null(strstr(r.out, "continued"), "the run went on: %s", r.out);
  spawn_free(&r);
}

Test(faults, instruction_limit) {
  spawn_result r = SPAWN_RUN("spin\n", "run", "--max-insns", "200K", spawn_guest("faults"));
  cr_expect_eq(r.status, CLI_EXIT_LIMIT);
  spawn_expect_err(&r, "instruction limit reached: 200000 instructions");
  spawn_expect_err(&r, "spin_forever");
  spawn_free(&r);
}

Test(faults, unknown_hcall_is_an_error_code_not_a_crash) {
  spawn_result r = misdeed("hcall", 0, (char *)NULL);
  cr_expect_str_eq(r.out, "hcall 0x7ff: status -1\n");
  spawn_free(&r);
}

Test(faults, debug_log_reaches_stderr_escaped) {
  MISDEED("log", 0, "pvlab: guest log: log from the guest\\x01\n");
}

Test(exit_codes, guest_code_passes_through) {
  MISDEED("exit 7", 7);
  MISDEED("exit 119", 119);
}

Test(exit_codes, guest_code_above_119_is_reported) {
  MISDEED("exit 200", CLI_EXIT_CODE_RANGE, "guest exited with code 200");
}

Test(cli, missing_file_is_a_clear_host_error) {
  spawn_result r = SPAWN_RUN(NULL, "run", "/nonexistent/guest.elf");
  cr_expect_eq(r.status, CLI_EXIT_HOST);
  spawn_expect_err(&r, "/nonexistent/guest.elf");
  spawn_free(&r);
}

Test(cli, not_an_elf_is_refused) {
  char path[] = "/tmp/pvlab-e2e-XXXXXX";
  int fd = mkstemp(path);
  cr_assert(fd >= 0);
  cr_assert_eq(write(fd, "#!/bin/sh\necho hi\n", 18), 18);
  close(fd);
  spawn_result r = SPAWN_RUN(NULL, "run", path);
  cr_expect_eq(r.status, CLI_EXIT_HOST);
  spawn_expect_err(&r, "not an ELF file");
  spawn_free(&r);
  unlink(path);
}

/* hello.elf with its e_flags (offset 36) set to flags, in dir. */
static const char *hello_with_flags(const char *dir, const char *name, uint8_t flags) {
  size_t len;
  char *elf = spawn_read_file(spawn_guest("hello"), &len);
  cr_assert_gt(len, 36);
  cr_assert_eq(elf[36], 0, "hello.elf already has flags 0x%x", (unsigned)(uint8_t)elf[36]);
  elf[36] = (char)flags;
  static char path[4][4200];
  static int n;
  char *p = path[n++ % 4];
  snprintf(p, sizeof path[0], "%s/%s", dir, name);
  FILE *f = fopen(p, "wb");
  cr_assert(f, "%s", p);
  cr_assert_eq(fwrite(elf, 1, len, f), len);
  fclose(f);
  free(elf);
  return p;
}

/* Compressed instructions, float ABIs and RV32E are refused before the
 * guest runs, naming the ELF flag and the compiler options to use; the
 * same file with its flags cleared runs. */
Test(cli, elf_flags_pvlab_cannot_run_are_refused) {
  const char *dir = spawn_temp_dir();
  static const struct { uint8_t flags; const char *what; } bad[] = {
    {0x1, "built for compressed instructions (EF_RISCV_RVC); pvlab runs RV32IM: "
          "build with -march=rv32im -mabi=ilp32"},
    {0x4, "built for the double-float ABI (EF_RISCV_FLOAT_ABI_DOUBLE); pvlab runs "
          "RV32IM with no floating-point registers: build with -march=rv32im -mabi=ilp32"},
    {0x8, "built for RV32E, 16 registers (EF_RISCV_RVE); pvlab runs RV32IM: build "
          "with -march=rv32im -mabi=ilp32"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    const char *elf = hello_with_flags(dir, "guest.elf", bad[i].flags);
    spawn_result r = SPAWN_RUN(NULL, "run", elf);
    cr_expect_eq(r.status, CLI_EXIT_HOST, "flags 0x%x: status %d", bad[i].flags, r.status);
    char want[512];
    snprintf(want, sizeof want, "pvlab: %s: %s\n", elf, bad[i].what);
    cr_expect_str_eq(r.err, want);
    cr_expect_eq(r.out_len, 0, "flags 0x%x: the guest ran: %s", bad[i].flags, r.out);
    spawn_free(&r);
  }
  spawn_result r = SPAWN_RUN(NULL, "run", hello_with_flags(dir, "clear.elf", 0));
  cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
  spawn_free(&r);
  spawn_remove_dir(dir);
}

Test(cli, bad_options_are_named) {
  spawn_result r = SPAWN_RUN(NULL, "run", "--mem", "0", spawn_guest("hello"));
  cr_expect_eq(r.status, CLI_EXIT_HOST);
  spawn_expect_err(&r, "--mem '0' is not a number from 1 to 2048");
  spawn_free(&r);
  r = SPAWN_RUN(NULL, "run", "--bogus", spawn_guest("hello"));
  cr_expect_eq(r.status, CLI_EXIT_HOST);
  spawn_expect_err(&r, "unknown option '--bogus'");
  spawn_free(&r);
  r = SPAWN_RUN(NULL, "frobnicate");
  cr_expect_eq(r.status, CLI_EXIT_HOST);
  spawn_expect_err(&r, "no command 'frobnicate'");
  spawn_free(&r);
}

Test(cli, one_mib_is_enough_for_hello) {
  /* the SDK finds the top of RAM at run time: one binary fits any --mem */
  spawn_result r = SPAWN_RUN(NULL, "run", "--mem", "1", spawn_guest("hello"));
  cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
  cr_expect(strstr(r.out, "1024 KiB of RAM"), "stdout: %s", r.out);
  spawn_free(&r);
}

Test(cli, guest_larger_than_memory_is_refused) {
  /* the sort benchmark has a 4 MiB array in .bss */
  spawn_result r = SPAWN_RUN(NULL, "run", "--mem", "1", spawn_guest("bench/sort"));
  cr_expect_eq(r.status, CLI_EXIT_HOST, "status %d: %s", r.status, r.err);
  spawn_expect_err(&r, "lies outside guest RAM [0x80000000, 0x80100000)");
  spawn_expect_err(&r, "--mem");
  spawn_free(&r);
}

Test(diagnostics, stack_and_heap_addresses_are_not_named_after_the_last_label) {
  /* _end and __global_pointer$ have no size: they must not claim the stack
   * at the top of RAM, which no section covers */
  machine m;
  host_error err;
  machine_config cfg = {.mem_mib = 32};
  cr_assert(machine_init(&m, &cfg, &err), "%s", err.msg);
  cr_assert(machine_load_elf(&m, spawn_guest("hello"), &err), "%s", err.msg);
  char text[200];
  machine_format_addr(&m, 0x81fffff0u, text, sizeof text);
  cr_expect_str_eq(text, "0x81fffff0");
  uint32_t main_addr;
  cr_assert(elf_symtab_lookup(&m.elf.syms, "main", &main_addr));
  machine_format_addr(&m, main_addr + 4, text, sizeof text);
  char want[64];
  snprintf(want, sizeof want, "main+4 (0x%08x)", main_addr + 4);
  cr_expect_str_eq(text, want);
  machine_free(&m);
}
