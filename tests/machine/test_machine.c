/* The machine around the CPU: configuration checks, the state hash that
 * determinism rests on, the fault diagnostics a student reads, and the run
 * loop's instruction limit.  Programs are hand-placed instruction words. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "machine.h"
#include "pvabi_calls.h"

#define BASE CPU_RAM_BASE
#define MIB (1u << 20)
#define END (BASE + MIB) /* the test machines have 1 MiB */
#define CODE BASE

#define NOP 0x00000013u
#define EBREAK 0x00100073u
#define ECALL 0x00000073u
#define A0 10
#define A1 11
#define A3 13
#define A7 17
#define T0 5

#define ENC(op, rd, rs1, rs2, imm) cpu_encode(CPU_OP_##op, rd, rs1, rs2, imm)

static void init(machine *m, uint32_t mib) {
  machine_config cfg = {.mem_mib = mib, .seed = 7};
  host_error err = {{0}};
  cr_assert(machine_init(m, &cfg, &err), "%s", err.msg);
}

static void put_words(machine *m, uint32_t addr, const uint32_t *w, size_t n) {
  memcpy(m->ram + (addr - BASE), w, 4 * n);
  cpu_code_written(&m->cpu, addr, (uint32_t)(4 * n));
}

/* ---------------------------------------------------------- machine_init */

static void expect_init_refused(uint32_t mib) {
  machine m;
  machine_config cfg = {.mem_mib = mib};
  host_error err = {{0}};
  cr_assert(!machine_init(&m, &cfg, &err), "%u MiB accepted", mib);
  char want[64];
  snprintf(want, sizeof want, "%u MiB", mib);
  cr_expect(strstr(err.msg, want), "message lacks \"%s\": %s", want, err.msg);
  snprintf(want, sizeof want, "1 to %u", MACHINE_MAX_MEM_MIB);
  cr_expect(strstr(err.msg, want), "message lacks \"%s\": %s", want, err.msg);
  cr_expect_null(m.ram);
  machine_free(&m); /* safe after a refusal */
}

Test(machine_init, rejects_zero_memory) { expect_init_refused(0); }

Test(machine_init, rejects_more_than_the_maximum) {
  expect_init_refused(MACHINE_MAX_MEM_MIB + 1);
  expect_init_refused(4096); /* 4 GiB would wrap a 32-bit byte count */
  expect_init_refused(0xffffffffu);
}

Test(machine_init, one_mib_machine_starts_clean) {
  machine m;
  init(&m, 1);
  cr_expect_eq(m.cpu.ram_size, MIB);
  cr_expect_eq(m.cfg.mem_mib, 1);
  cr_expect_eq(m.cfg.seed, 7);
  for (uint32_t i = 0; i < MIB; i++) {
    if (m.ram[i]) cr_assert_fail("RAM byte 0x%x is 0x%02x", i, m.ram[i]);
  }
  for (int i = 0; i < 32; i++) cr_expect_eq(m.cpu.s.x[i], 0);
  cr_expect_eq(m.cpu.s.icount, 0);
  cr_expect_eq(m.stop, MACHINE_STOP_NONE);
  cr_expect_not_null(m.console_io.write);
  cr_expect_not_null(m.console_io.read);
  machine_free(&m);
  machine_free(&m);
}

/* ------------------------------------------------------------ state hash */

/* Two machines with the same history. */
static machine ha, hb;

static void run_sample(machine *m) {
  /* li a0, 5; li a1, 7; lui t0, 0x80001; sw a1, 8(t0); ebreak */
  const uint32_t code[] = {
    ENC(ADDI, A0, 0, 0, 5),
    ENC(ADDI, A1, 0, 0, 7),
    ENC(LUI, T0, 0, 0, (int32_t)(BASE + 0x1000)),
    ENC(SW, 0, T0, A1, 8),
    EBREAK,
  };
  put_words(m, CODE, code, 5);
  cpu_reset(&m->cpu, CODE);
  cr_assert_eq(machine_run(m, 1000), MACHINE_STOP_EBREAK);
}

static void hash_setup(void) {
  init(&ha, 1);
  init(&hb, 1);
  run_sample(&ha);
  run_sample(&hb);
}

static void hash_teardown(void) {
  machine_free(&ha);
  machine_free(&hb);
}

TestSuite(state_hash, .init = hash_setup, .fini = hash_teardown);

Test(state_hash, equal_for_identical_machines) {
  cr_assert_eq(hb.ram[0x1008], 7, "the sample program's store");
  cr_expect_eq(machine_state_hash(&ha), machine_state_hash(&hb));
  /* and stable: hashing does not change anything */
  cr_expect_eq(machine_state_hash(&ha), machine_state_hash(&ha));
}

Test(state_hash, same_state_reached_differently_hashes_the_same) {
  /* hb's state built by hand instead of by running: the decoded-code cache
   * and everything else host-side must not matter */
  machine hc;
  init(&hc, 1);
  memcpy(hc.ram, ha.ram, MIB);
  hc.cpu.s = ha.cpu.s;
  cr_expect_eq(machine_state_hash(&hc), machine_state_hash(&ha));
  machine_free(&hc);
}

Test(state_hash, host_side_fields_do_not_count) {
  uint64_t h = machine_state_hash(&ha);
  ha.stats.hcalls = 99;
  ha.stats.hcalls_unknown = 3;
  ha.stop = MACHINE_STOP_HOST_ERROR;
  snprintf(ha.host_fault.msg, sizeof ha.host_fault.msg, "whatever");
  ha.log_io.ctx = &ha;
  cr_expect(elf_symtab_add(&ha.elf.syms, "main", CODE, 16, true));
  cr_expect(elf_symtab_finish(&ha.elf.syms));
  cr_expect_eq(machine_state_hash(&ha), h);
}

static void expect_changes(const char *what) {
  cr_expect_neq(machine_state_hash(&ha), machine_state_hash(&hb),
                "changing %s did not change the hash", what);
}

static void expect_same(const char *what) {
  cr_expect_eq(machine_state_hash(&ha), machine_state_hash(&hb),
               "restoring %s did not restore the hash", what);
}

Test(state_hash, every_register_counts) {
  for (int i = 1; i < 32; i++) {
    uint32_t saved = hb.cpu.s.x[i];
    hb.cpu.s.x[i] ^= 1;
    expect_changes(cpu_reg_names[i]);
    hb.cpu.s.x[i] = saved;
    expect_same(cpu_reg_names[i]);
  }
  hb.cpu.s.pc += 4;
  expect_changes("pc");
  hb.cpu.s.pc -= 4;
  hb.cpu.s.icount++;
  expect_changes("icount");
  hb.cpu.s.icount--;
  hb.cpu.s.icount ^= 1ull << 40;
  expect_changes("icount's high bits");
  hb.cpu.s.icount ^= 1ull << 40;
  expect_same("icount");
#define CPU_FIELD(field)                  \
  do {                                    \
    hb.cpu.s.field ^= 1;                  \
    expect_changes("cpu." #field);        \
    hb.cpu.s.field ^= 1;                  \
    expect_same("cpu." #field);           \
  } while (0)
  CPU_FIELD(mode);
  CPU_FIELD(pt_root);
  CPU_FIELD(asid);
#undef CPU_FIELD
}

Test(state_hash, one_ram_byte_anywhere_counts) {
  const uint32_t offsets[] = {0, 1, 7, 8, MIB / 2 - 1, MIB / 2, MIB / 2 + 3,
                              MIB - 9, MIB - 8, MIB - 2, MIB - 1};
  for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
    uint32_t off = offsets[i];
    for (unsigned bit = 0; bit < 8; bit += 7) {
      hb.ram[off] ^= (uint8_t)(1u << bit);
      char what[64];
      snprintf(what, sizeof what, "bit %u of RAM byte 0x%x", bit, off);
      expect_changes(what);
      hb.ram[off] ^= (uint8_t)(1u << bit);
      expect_same(what);
    }
  }
}

Test(state_hash, swapped_ram_words_count) {
  /* a hash that only sums the bytes would miss this */
  hb.ram[0x2000] = 1;
  hb.ram[0x2008] = 2;
  ha.ram[0x2000] = 2;
  ha.ram[0x2008] = 1;
  expect_changes("the order of two RAM words");
}

Test(state_hash, every_device_field_counts) {
#define FIELD(expr, delta)                \
  do {                                    \
    hb.dev.expr += (delta);               \
    expect_changes("dev." #expr);         \
    hb.dev.expr -= (delta);               \
    expect_same("dev." #expr);            \
  } while (0)
  FIELD(console.input_closed, 1);
  FIELD(console.bytes_in, 1);
  FIELD(console.bytes_out, 1);
  FIELD(power.off, 1);
  FIELD(power.exit_code, 1);
  FIELD(timer.idle_ns, 1);
  FIELD(timer.deadline_ns, 1);
  FIELD(timer.armed, 1);
  FIELD(events.pending, 1);
  FIELD(events.mask, 1);
  FIELD(vcpu.registered, 1);
  FIELD(vcpu.frame, 4);
  FIELD(vcpu.entry, 4);
  FIELD(rng.s[0], 1);
  FIELD(rng.s[3], 1);
  FIELD(debug.break_requested, 1);
  FIELD(debug.log_calls, 1);
  FIELD(console.bytes_out, 1ull << 33);
#undef FIELD
}

Test(state_hash, memory_size_counts) {
  machine big;
  init(&big, 2);
  machine small;
  init(&small, 1);
  cr_expect_neq(machine_state_hash(&big), machine_state_hash(&small));
  machine_free(&big);
  machine_free(&small);
}

/* ------------------------------------------------------- fault messages */

static machine fm;
static char msg[1024];

static void fault_setup(void) {
  init(&fm, 1);
  msg[0] = 0;
}

static void fault_teardown(void) { machine_free(&fm); }

TestSuite(fault, .init = fault_setup, .fini = fault_teardown);

static void with_symbols(void) {
  cr_assert(elf_symtab_add(&fm.elf.syms, "main", CODE, 0x100, true));
  cr_assert(elf_symtab_add(&fm.elf.syms, "table", CODE + 0x200, 0x10, false));
  cr_assert(elf_symtab_finish(&fm.elf.syms));
}

/* Runs the words from CODE and expects a fault; fills msg. */
static const cpu_fault *run_to_fault(const uint32_t *code, size_t n) {
  put_words(&fm, CODE, code, n);
  cpu_reset(&fm.cpu, CODE);
  machine_stop stop = machine_run(&fm, 1000);
  cr_assert_eq(stop, MACHINE_STOP_FAULT, "stopped with %d", stop);
  machine_describe_fault(&fm, msg, sizeof msg);
  return &fm.cpu.fault;
}

static void expect_in_msg(const char *part) {
  cr_expect(strstr(msg, part), "message lacks \"%s\":\n%s", part, msg);
}

Test(fault, load_outside_ram) {
  with_symbols();
  const uint32_t code[] = {NOP, ENC(LW, A0, 0, 0, 16)};
  const cpu_fault *f = run_to_fault(code, 2);
  cr_expect_eq(f->kind, CPU_FAULT_LOAD);
  cr_expect_eq(f->addr, 16);
  cr_expect_eq(fm.cpu.s.pc, CODE + 4);
  cr_expect_eq(fm.cpu.s.icount, 1, "the faulting load is not counted");
  cr_expect_str_eq(msg, "load outside RAM at main+4 (0x80000004): "
                        "lw a0, 16(zero); address 0x00000010 is outside guest "
                        "RAM [0x80000000, 0x80100000): a NULL pointer?");
}

Test(fault, load_straddling_the_end_of_ram) {
  const uint32_t code[] = {ENC(LUI, T0, 0, 0, (int32_t)END), /* t0 = END */
                           ENC(LH, A0, T0, 0, -1)};
  const cpu_fault *f = run_to_fault(code, 2);
  cr_expect_eq(f->kind, CPU_FAULT_LOAD);
  cr_expect_eq(f->addr, END - 1);
  expect_in_msg("load outside RAM at 0x80000004: lh a0, -1(t0)");
  expect_in_msg("address 0x800fffff is outside guest RAM");
  expect_in_msg("stray or uninitialised pointer");
}

Test(fault, store_outside_ram) {
  with_symbols();
  const uint32_t code[] = {ENC(LUI, T0, 0, 0, (int32_t)0x90000000u),
                           ENC(SW, 0, T0, A0, 4)};
  const cpu_fault *f = run_to_fault(code, 2);
  cr_expect_eq(f->kind, CPU_FAULT_STORE);
  cr_expect_eq(f->addr, 0x90000004u);
  cr_expect_str_eq(msg, "store outside RAM at main+4 (0x80000004): "
                        "sw a0, 4(t0); address 0x90000004 is outside guest "
                        "RAM [0x80000000, 0x80100000): a stray or "
                        "uninitialised pointer?");
}

Test(fault, store_below_ram_changes_nothing) {
  const uint32_t code[] = {ENC(LUI, T0, 0, 0, (int32_t)BASE),
                           ENC(SB, 0, T0, A0, -1)};
  const cpu_fault *f = run_to_fault(code, 2);
  cr_expect_eq(f->kind, CPU_FAULT_STORE);
  cr_expect_eq(f->addr, BASE - 1);
  expect_in_msg("sb a0, -1(t0)");
  expect_in_msg("address 0x7fffffff");
}

Test(fault, illegal_word) {
  with_symbols();
  const uint32_t code[] = {NOP, NOP, 0xffffffffu};
  const cpu_fault *f = run_to_fault(code, 3);
  cr_expect_eq(f->kind, CPU_FAULT_ILLEGAL);
  cr_expect_eq(f->insn, 0xffffffffu);
  cr_expect_eq(fm.cpu.s.pc, CODE + 8);
  cr_expect_str_eq(msg, "illegal instruction at main+8 (0x80000008): "
                        ".word 0xffffffff: not an RV32IM instruction: was the "
                        "guest built with -march=rv32im -mabi=ilp32, or did it "
                        "jump into data?");
}

Test(fault, zero_word_is_illegal) {
  const uint32_t code[] = {0};
  const cpu_fault *f = run_to_fault(code, 1);
  cr_expect_eq(f->kind, CPU_FAULT_ILLEGAL);
  expect_in_msg("illegal instruction at 0x80000000: .word 0x00000000");
  expect_in_msg("-march=rv32im");
}

Test(fault, csr_read_is_illegal_with_a_hint) {
  with_symbols();
  /* rdcycle a0 = csrrs a0, cycle, zero */
  const uint32_t code[] = {NOP, ENC(CSRRS, A0, 0, 0, 0xc00)};
  const cpu_fault *f = run_to_fault(code, 2);
  cr_expect_eq(f->kind, CPU_FAULT_ILLEGAL);
  cr_expect_eq(f->insn, 0xc0002573u);
  cr_expect_str_eq(msg, "illegal instruction at main+4 (0x80000004): "
                        "csrrs a0, 0xc00, zero: pvlab has no CSRs or "
                        "privileged instructions; ask the machine with a "
                        "hypercall instead (docs/pvabi.md)");
}

Test(fault, privileged_instructions_get_the_csr_hint) {
  static const uint32_t words[] = {0x30200073u /* mret */,
                                   0x10500073u /* wfi */,
                                   0x12000073u /* sfence.vma */,
                                   0x34011073u /* csrw mscratch, sp */,
                                   0x3050d073u /* csrwi mtvec, 1 */};
  static const char *const texts[] = {"mret", "wfi", "sfence.vma",
                                      "csrrw zero, 0x340, sp",
                                      "csrrwi zero, 0x305, 1"};
  for (size_t i = 0; i < 5; i++) {
    run_to_fault(&words[i], 1);
    cr_expect_eq(fm.cpu.fault.kind, CPU_FAULT_ILLEGAL, "%s", texts[i]);
    expect_in_msg(texts[i]);
    expect_in_msg("pvlab has no CSRs");
  }
}

Test(fault, fetch_outside_ram_through_a_null_pointer) {
  with_symbols();
  /* jalr ra, 0(zero): a call through a NULL function pointer */
  const uint32_t code[] = {NOP, ENC(JALR, 1, 0, 0, 0)};
  const cpu_fault *f = run_to_fault(code, 2);
  cr_expect_eq(f->kind, CPU_FAULT_FETCH);
  cr_expect_eq(f->addr, 0);
  cr_expect(f->from_known);
  cr_expect_eq(f->from, CODE + 4);
  cr_expect_eq(fm.cpu.s.pc, 0);
  cr_expect_eq(fm.cpu.s.x[1], CODE + 8, "the link register was written");
  cr_expect_str_eq(msg, "instruction fetch outside RAM at 0x00000000, jumped "
                        "to from main+4 (0x80000004); guest RAM is "
                        "[0x80000000, 0x80100000): a call through a NULL "
                        "function pointer?");
}

Test(fault, fetch_below_ram_by_a_jal) {
  const uint32_t code[] = {ENC(JAL, 0, 0, 0, -8)};
  const cpu_fault *f = run_to_fault(code, 1);
  cr_expect_eq(f->kind, CPU_FAULT_FETCH);
  cr_expect_eq(f->addr, BASE - 8);
  expect_in_msg("instruction fetch outside RAM at 0x7ffffff8, jumped to from "
                "0x80000000");
  expect_in_msg("corrupted return address");
}

Test(fault, fetch_running_off_the_end_of_ram) {
  const uint32_t code[] = {NOP, NOP};
  put_words(&fm, END - 8, code, 2);
  cpu_reset(&fm.cpu, END - 8);
  cr_assert_eq(machine_run(&fm, 1000), MACHINE_STOP_FAULT);
  cr_expect_eq(fm.cpu.fault.kind, CPU_FAULT_FETCH);
  cr_expect_eq(fm.cpu.s.pc, END);
  cr_expect_eq(fm.cpu.s.icount, 2);
  machine_describe_fault(&fm, msg, sizeof msg);
  cr_expect_str_eq(msg, "instruction fetch outside RAM at 0x80100000; guest "
                        "RAM is [0x80000000, 0x80100000): a corrupted return "
                        "address or function pointer?");
}

Test(fault, misaligned_jump_through_a_register) {
  with_symbols();
  /* lui t0, 0x80000; jalr zero, 2(t0) */
  const uint32_t code[] = {ENC(LUI, T0, 0, 0, (int32_t)BASE),
                           ENC(JALR, 0, T0, 0, 2)};
  const cpu_fault *f = run_to_fault(code, 2);
  cr_expect_eq(f->kind, CPU_FAULT_FETCH_MISALIGNED);
  cr_expect_eq(f->addr, BASE + 2);
  cr_expect_eq(fm.cpu.s.pc, CODE + 4, "pc stays at the jump");
  cr_expect_eq(fm.cpu.s.icount, 1);
  cr_expect_str_eq(msg, "misaligned instruction fetch: jalr zero, 2(t0) at "
                        "main+4 (0x80000004) jumps to main+2 (0x80000002): "
                        "instructions are 4-byte aligned (no C extension)");
}

Test(fault, misaligned_jump_does_not_write_the_link_register) {
  const uint32_t code[] = {ENC(ADDI, 1, 0, 0, 0x55),
                           ENC(JAL, 1, 0, 0, 6)};
  const cpu_fault *f = run_to_fault(code, 2);
  cr_expect_eq(f->kind, CPU_FAULT_FETCH_MISALIGNED);
  cr_expect_eq(f->addr, CODE + 4 + 6);
  cr_expect_eq(fm.cpu.s.x[1], 0x55);
  expect_in_msg("misaligned instruction fetch");
  expect_in_msg("jumps to 0x8000000a");
}

Test(fault, misaligned_branch) {
  const uint32_t code[] = {NOP, ENC(BEQ, 0, 0, 0, 2)};
  const cpu_fault *f = run_to_fault(code, 2);
  cr_expect_eq(f->kind, CPU_FAULT_FETCH_MISALIGNED);
  cr_expect_eq(f->addr, CODE + 6);
  expect_in_msg("at 0x80000004 jumps to 0x80000006");
}

Test(fault, ecall_without_a_guest_kernel) {
  with_symbols();
  const uint32_t code[] = {NOP, NOP, NOP, ECALL};
  const cpu_fault *f = run_to_fault(code, 4);
  cr_expect_eq(f->kind, CPU_FAULT_ECALL);
  cr_expect_eq(fm.cpu.s.pc, CODE + 12);
  cr_expect_str_eq(msg, "ecall with no guest kernel at main+12 (0x8000000c): "
                        "ecall: ECALL is a system call to a guest kernel; a "
                        "bare guest reaches the machine with hcall "
                        "(docs/pvabi.md)");
}

Test(fault, addresses_in_data_are_named_too) {
  with_symbols();
  /* jump into the data object: fetching is fine, executing zero is not */
  const uint32_t code[] = {ENC(JAL, 0, 0, 0, 0x204)};
  run_to_fault(code, 1);
  cr_expect_eq(fm.cpu.fault.kind, CPU_FAULT_ILLEGAL);
  expect_in_msg("illegal instruction at table+4 (0x80000204)");
}

Test(fault, format_addr) {
  with_symbols();
  char buf[64];
  machine_format_addr(&fm, CODE + 0x10, buf, sizeof buf);
  cr_expect_str_eq(buf, "main+16 (0x80000010)");
  machine_format_addr(&fm, CODE + 0x100, buf, sizeof buf);
  cr_expect_str_eq(buf, "0x80000100");
  machine_format_addr(&fm, 0, buf, sizeof buf);
  cr_expect_str_eq(buf, "0x00000000");
}

/* ------------------------------------------------------------ run limit */

static machine lm;

static void limit_setup(void) { init(&lm, 1); }
static void limit_teardown(void) { machine_free(&lm); }

TestSuite(limit, .init = limit_setup, .fini = limit_teardown);

/* addi a0, a0, 1; j -4: a0 counts the loop's first instruction */
static void load_counter_loop(void) {
  const uint32_t code[] = {ENC(ADDI, A0, A0, 0, 1), ENC(JAL, 0, 0, 0, -4)};
  put_words(&lm, CODE, code, 2);
}

Test(limit, stops_at_exactly_the_limit) {
  load_counter_loop();
  const uint64_t limits[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
                             63, 64, 65, 1000, 1001, 123457};
  for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
    uint64_t n = limits[i];
    cpu_reset(&lm.cpu, CODE);
    cr_assert_eq(machine_run(&lm, n), MACHINE_STOP_LIMIT, "limit %llu",
                 (unsigned long long)n);
    cr_expect_eq(lm.cpu.s.icount, n, "limit %llu: icount %llu",
                 (unsigned long long)n, (unsigned long long)lm.cpu.s.icount);
    cr_expect_eq(lm.cpu.s.x[A0], (uint32_t)((n + 1) / 2), "limit %llu: a0",
                 (unsigned long long)n);
    cr_expect_eq(lm.cpu.s.pc, n % 2 ? CODE + 4 : CODE, "limit %llu: pc",
                 (unsigned long long)n);
  }
}

Test(limit, successive_limits_add_up) {
  load_counter_loop();
  cpu_reset(&lm.cpu, CODE);
  uint64_t n = 0;
  for (uint64_t step = 1; step <= 40; step++) {
    n += step;
    cr_assert_eq(machine_run(&lm, n), MACHINE_STOP_LIMIT);
    cr_assert_eq(lm.cpu.s.icount, n);
  }
  cr_expect_eq(lm.cpu.s.x[A0], (uint32_t)((n + 1) / 2));
}

Test(limit, a_limit_already_reached_runs_nothing) {
  load_counter_loop();
  cpu_reset(&lm.cpu, CODE);
  cr_assert_eq(machine_run(&lm, 10), MACHINE_STOP_LIMIT);
  uint64_t h = machine_state_hash(&lm);
  cr_expect_eq(machine_run(&lm, 10), MACHINE_STOP_LIMIT);
  cr_expect_eq(machine_run(&lm, 3), MACHINE_STOP_LIMIT);
  cr_expect_eq(lm.cpu.s.icount, 10);
  cr_expect_eq(machine_state_hash(&lm), h);
}

Test(limit, hypercalls_count_as_one_instruction) {
  /* hcall time_now; nop; nop; j -12 */
  const uint32_t code[] = {PV_HCALL_WORD, NOP, NOP, ENC(JAL, 0, 0, 0, -12)};
  put_words(&lm, CODE, code, 4);
  for (uint64_t n = 0; n <= 30; n++) {
    cpu_reset(&lm.cpu, CODE);
    lm.stats.hcalls = 0;
    cr_assert_eq(machine_run(&lm, n), MACHINE_STOP_LIMIT);
    cr_expect_eq(lm.cpu.s.icount, n);
    cr_expect_eq(lm.stats.hcalls, (n + 3) / 4, "limit %llu",
                 (unsigned long long)n);
    /* a7 is 0 after reset: version, so a0 is PV_OK once a call ran */
  }
  /* the last call saw the time it ran at */
  lm.cpu.s.x[A7] = PV_HC_TIME_NOW;
  cr_assert_eq(machine_run(&lm, 45), MACHINE_STOP_LIMIT);
  cr_expect_eq(lm.cpu.s.x[A1], 44, "time_now at instruction 44");
}

Test(limit, stop_reasons_other_than_the_limit_come_first) {
  const uint32_t code[] = {NOP, NOP, EBREAK};
  put_words(&lm, CODE, code, 3);
  cpu_reset(&lm.cpu, CODE);
  cr_expect_eq(machine_run(&lm, 2), MACHINE_STOP_LIMIT);
  cr_expect_eq(lm.cpu.s.pc, CODE + 8);
  cr_expect_eq(machine_run(&lm, 3), MACHINE_STOP_EBREAK);
  cr_expect_eq(lm.cpu.s.pc, CODE + 8, "pc at the ebreak");
  cr_expect_eq(lm.cpu.s.icount, 2, "the ebreak is not counted");
  cr_expect_eq(lm.stop, MACHINE_STOP_EBREAK);
}
