/* The interpreter run for real: every RV32IM instruction with its edge
 * cases, faults and exits, exact instruction limits across block and page
 * boundaries, stepping in slices, and self-modifying code.  Programs are
 * built with cpu_encode() into a 64 KiB RAM, so no cross compiler is
 * needed; expected values follow the RISC-V unprivileged spec. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "rv_asm.h"

#define RAM_SIZE (64u * 1024u)
#define BASE CPU_RAM_BASE
#define PAGE CPU_PAGE_SIZE
#define DATA (BASE + 0x8000u) /* scratch data, far from the code */
#define END (BASE + RAM_SIZE)
#define FOREVER UINT64_MAX

static cpu c;
static uint8_t *ram;

static void setup(void) {
  ram = calloc(RAM_SIZE, 1);
  cr_assert(ram);
  cr_assert(cpu_init(&c, ram, RAM_SIZE));
  cpu_reset(&c, BASE);
}

static void teardown(void) {
  cpu_free(&c);
  free(ram);
}

TestSuite(cpu, .init = setup, .fini = teardown);

/* Guest memory. */
static void put32(uint32_t addr, uint32_t v) { rv_put32(&c, addr, v); }
static uint32_t get32(uint32_t addr) { return rv_get32(&c, addr); }
static void poke(uint32_t addr, uint32_t word) { rv_poke(&c, addr, word); }

static cpu_exit run(void) { return cpu_run(&c, FOREVER); }

/* The hart at pc, registers zeroed. */
static void bare(uint32_t pc) { cpu_reset(&c, pc); }

/* ---- arithmetic and logic, one instruction at a time ---------------- */

/* a0 after one word run with a1 = a, a2 = b (all else zero). */
static uint32_t one(uint32_t word, uint32_t a, uint32_t b) {
  poke(BASE, word);
  poke(BASE + 4, NN(EBREAK));
  cpu_reset(&c, BASE);
  c.s.x[A1] = a;
  c.s.x[A2] = b;
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_assert_eq(c.s.pc, BASE + 4);
  cr_assert_eq(c.s.icount, 1);
  cr_assert_eq(c.s.x[A1], a, "the source register changed");
  return c.s.x[A0];
}

typedef struct case_r {
  cpu_op op;
  uint32_t a, b, want;
} case_r;

typedef struct case_i {
  cpu_op op;
  uint32_t a;
  int32_t imm;
  uint32_t want;
} case_i;

static void check_r(const case_r *t, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint32_t got = one(cpu_encode(t[i].op, A0, A1, A2, 0), t[i].a, t[i].b);
    cr_expect_eq(got, t[i].want, "%s 0x%08x, 0x%08x = 0x%08x, want 0x%08x",
                 cpu_insn_table[t[i].op].name, t[i].a, t[i].b, got, t[i].want);
  }
}

static void check_i(const case_i *t, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint32_t got = one(cpu_encode(t[i].op, A0, A1, 0, t[i].imm), t[i].a, 0);
    cr_expect_eq(got, t[i].want, "%s 0x%08x, %d = 0x%08x, want 0x%08x",
                 cpu_insn_table[t[i].op].name, t[i].a, t[i].imm, got, t[i].want);
  }
}

Test(cpu, add_sub_wrap) {
  static const case_r r[] = {
    {CPU_OP_ADD, 0x7fffffff, 1, 0x80000000},
    {CPU_OP_ADD, 0xffffffff, 1, 0},
    {CPU_OP_ADD, 0x80000000, 0x80000000, 0},
    {CPU_OP_ADD, 0x12345678, 0x11111111, 0x23456789},
    {CPU_OP_SUB, 0, 1, 0xffffffff},
    {CPU_OP_SUB, 0x80000000, 1, 0x7fffffff},
    {CPU_OP_SUB, 0x7fffffff, 0xffffffff, 0x80000000},
    {CPU_OP_SUB, 5, 5, 0},
  };
  check_r(r, sizeof r / sizeof r[0]);
  static const case_i i[] = {
    {CPU_OP_ADDI, 0x7fffffff, 1, 0x80000000},
    {CPU_OP_ADDI, 0, -2048, 0xfffff800},
    {CPU_OP_ADDI, 0x80000000, -1, 0x7fffffff},
    {CPU_OP_ADDI, 0xfffff801, 2047, 0},
  };
  check_i(i, sizeof i / sizeof i[0]);
}

Test(cpu, logic) {
  static const case_r r[] = {
    {CPU_OP_XOR, 0xff00ff00, 0x0ff00ff0, 0xf0f0f0f0},
    {CPU_OP_OR, 0xff00ff00, 0x0ff00ff0, 0xfff0fff0},
    {CPU_OP_AND, 0xff00ff00, 0x0ff00ff0, 0x0f000f00},
  };
  check_r(r, sizeof r / sizeof r[0]);
  static const case_i i[] = {
    {CPU_OP_XORI, 0x12345678, -1, 0xedcba987},
    {CPU_OP_XORI, 0x12345678, 0x7ff, 0x12345187},
    {CPU_OP_ORI, 0x80000000, -2048, 0xfffff800},
    {CPU_OP_ORI, 0x00000001, 0x100, 0x00000101},
    {CPU_OP_ANDI, 0xffffffff, -2048, 0xfffff800},
    {CPU_OP_ANDI, 0x12345678, 0x7ff, 0x00000678},
  };
  check_i(i, sizeof i / sizeof i[0]);
}

Test(cpu, shifts_mask_the_amount) {
  static const case_r r[] = {
    {CPU_OP_SLL, 0x12345678, 0, 0x12345678},
    {CPU_OP_SLL, 1, 31, 0x80000000},
    {CPU_OP_SLL, 1, 32, 1},          /* only the low 5 bits count */
    {CPU_OP_SLL, 3, 63, 0x80000000},
    {CPU_OP_SLL, 0x12345678, 0xffffffe4, 0x23456780}, /* 0x...e4 & 31 = 4 */
    {CPU_OP_SRL, 0x80000000, 0, 0x80000000},
    {CPU_OP_SRL, 0x80000000, 31, 1},
    {CPU_OP_SRL, 0x80000000, 33, 0x40000000},
    {CPU_OP_SRL, 0xffffffff, 0xffffffff, 1},
    {CPU_OP_SRA, 0x80000000, 0, 0x80000000},
    {CPU_OP_SRA, 0x80000000, 1, 0xc0000000},
    {CPU_OP_SRA, 0x80000000, 31, 0xffffffff},
    {CPU_OP_SRA, 0x80000010, 4, 0xf8000001},
    {CPU_OP_SRA, 0x80000000, 32, 0x80000000},
    {CPU_OP_SRA, 0x80000000, 0xffffffff, 0xffffffff},
    {CPU_OP_SRA, 0x7fffffff, 31, 0},
    {CPU_OP_SRA, 0x7fffffff, 1, 0x3fffffff},
  };
  check_r(r, sizeof r / sizeof r[0]);
  static const case_i i[] = {
    {CPU_OP_SLLI, 0x12345678, 0, 0x12345678},
    {CPU_OP_SLLI, 0xffffffff, 31, 0x80000000},
    {CPU_OP_SLLI, 0x00ff00ff, 8, 0xff00ff00},
    {CPU_OP_SRLI, 0x80000001, 0, 0x80000001},
    {CPU_OP_SRLI, 0xffffffff, 31, 1},
    {CPU_OP_SRLI, 0xff00ff00, 8, 0x00ff00ff},
    {CPU_OP_SRAI, 0x80000001, 0, 0x80000001},
    {CPU_OP_SRAI, 0x80000000, 31, 0xffffffff},
    {CPU_OP_SRAI, 0xfffffff0, 2, 0xfffffffc},
    {CPU_OP_SRAI, 0xff00ff00, 8, 0xffff00ff},
    {CPU_OP_SRAI, 0x40000000, 31, 0},
    {CPU_OP_SRAI, 0x40000000, 30, 1},
  };
  check_i(i, sizeof i / sizeof i[0]);
}

Test(cpu, set_less_than_signed_and_unsigned) {
  static const case_r r[] = {
    {CPU_OP_SLT, 0x80000000, 0x7fffffff, 1},
    {CPU_OP_SLT, 0x7fffffff, 0x80000000, 0},
    {CPU_OP_SLT, 0xffffffff, 0, 1},
    {CPU_OP_SLT, 0, 0xffffffff, 0},
    {CPU_OP_SLT, 0x80000000, 0x80000000, 0},
    {CPU_OP_SLT, 0xfffffffe, 0xffffffff, 1},
    {CPU_OP_SLTU, 0x7fffffff, 0x80000000, 1},
    {CPU_OP_SLTU, 0x80000000, 0x7fffffff, 0},
    {CPU_OP_SLTU, 0xffffffff, 0, 0},
    {CPU_OP_SLTU, 0, 0xffffffff, 1},
    {CPU_OP_SLTU, 0xffffffff, 0xffffffff, 0},
  };
  check_r(r, sizeof r / sizeof r[0]);
  static const case_i i[] = {
    {CPU_OP_SLTI, 0xffffffff, 0, 1},
    {CPU_OP_SLTI, 0, -1, 0},
    {CPU_OP_SLTI, 0x80000000, -2048, 1},
    {CPU_OP_SLTI, 0x7fffffff, 2047, 0},
    {CPU_OP_SLTI, 0xfffff7ff, -2048, 1}, /* -2049 < -2048 */
    {CPU_OP_SLTI, 0xfffff800, -2048, 0},
    /* sltiu compares with the sign-extended immediate as unsigned */
    {CPU_OP_SLTIU, 0, 1, 1},
    {CPU_OP_SLTIU, 5, 1, 0},
    {CPU_OP_SLTIU, 0, -1, 1},
    {CPU_OP_SLTIU, 0xfffffffe, -1, 1},
    {CPU_OP_SLTIU, 0xffffffff, -1, 0},
    {CPU_OP_SLTIU, 0x80000000, 2047, 0},
    {CPU_OP_SLTIU, 0x7fffffff, -2048, 1},
  };
  check_i(i, sizeof i / sizeof i[0]);
}

Test(cpu, multiply) {
  static const case_r r[] = {
    {CPU_OP_MUL, 0xffffffff, 0xffffffff, 1},
    {CPU_OP_MUL, 0x80000000, 0xffffffff, 0x80000000},
    {CPU_OP_MUL, 0x00010000, 0x00010000, 0},
    {CPU_OP_MUL, 7, 0xfffffffd, 0xffffffeb},
    {CPU_OP_MUL, 0x12345678, 0x9abcdef0, 0x242d2080},
    {CPU_OP_MULH, 0x80000000, 0x80000000, 0x40000000},
    {CPU_OP_MULH, 0xffffffff, 0xffffffff, 0},
    {CPU_OP_MULH, 0x80000000, 0x7fffffff, 0xc0000000},
    {CPU_OP_MULH, 0xffffffff, 1, 0xffffffff},
    {CPU_OP_MULH, 0x7fffffff, 0x7fffffff, 0x3fffffff},
    {CPU_OP_MULH, 0x12345678, 0x9abcdef0, 0xf8cc93d6},
    {CPU_OP_MULHSU, 0xffffffff, 0xffffffff, 0xffffffff},
    {CPU_OP_MULHSU, 0x80000000, 0xffffffff, 0x80000000},
    {CPU_OP_MULHSU, 0x7fffffff, 0xffffffff, 0x7ffffffe},
    {CPU_OP_MULHSU, 1, 0xffffffff, 0},
    {CPU_OP_MULHSU, 0xffffffff, 1, 0xffffffff},
    {CPU_OP_MULHSU, 0x80000000, 0x80000000, 0xc0000000},
    {CPU_OP_MULHU, 0xffffffff, 0xffffffff, 0xfffffffe},
    {CPU_OP_MULHU, 0x80000000, 2, 1},
    {CPU_OP_MULHU, 0x80000000, 0x80000000, 0x40000000},
    {CPU_OP_MULHU, 0x12345678, 0x9abcdef0, 0x0b00ea4e},
  };
  check_r(r, sizeof r / sizeof r[0]);
}

Test(cpu, divide_including_by_zero_and_overflow) {
  static const case_r r[] = {
    {CPU_OP_DIV, 7, 0, 0xffffffff},
    {CPU_OP_DIV, 0x80000000, 0, 0xffffffff},
    {CPU_OP_DIV, 0x80000000, 0xffffffff, 0x80000000},
    {CPU_OP_DIV, 0xfffffff9, 2, 0xfffffffd}, /* -7 / 2 = -3 */
    {CPU_OP_DIV, 7, 0xfffffffe, 0xfffffffd},
    {CPU_OP_DIV, 0xfffffff9, 0xfffffffe, 3},
    {CPU_OP_DIV, 0x80000000, 1, 0x80000000},
    {CPU_OP_DIV, 0x80000000, 2, 0xc0000000},
    {CPU_OP_DIVU, 7, 0, 0xffffffff},
    {CPU_OP_DIVU, 0x80000000, 0xffffffff, 0},
    {CPU_OP_DIVU, 0xffffffff, 2, 0x7fffffff},
    {CPU_OP_DIVU, 0xfffffff9, 2, 0x7ffffffc},
    {CPU_OP_REM, 7, 0, 7},
    {CPU_OP_REM, 0xfffffff9, 0, 0xfffffff9},
    {CPU_OP_REM, 0x80000000, 0xffffffff, 0},
    {CPU_OP_REM, 0xfffffff9, 2, 0xffffffff}, /* sign of the dividend */
    {CPU_OP_REM, 7, 0xfffffffe, 1},
    {CPU_OP_REM, 0xfffffff9, 0xfffffffe, 0xffffffff},
    {CPU_OP_REMU, 7, 0, 7},
    {CPU_OP_REMU, 0x80000000, 0xffffffff, 0x80000000},
    {CPU_OP_REMU, 0xffffffff, 2, 1},
    {CPU_OP_REMU, 0xfffffff9, 0x10, 9},
  };
  check_r(r, sizeof r / sizeof r[0]);
}

Test(cpu, lui_and_auipc) {
  cr_expect_eq(one(UI(LUI, A0, 0x12345000), 0, 0), 0x12345000u);
  cr_expect_eq(one(UI(LUI, A0, 0xfffff000), 0, 0), 0xfffff000u);
  cr_expect_eq(one(UI(LUI, A0, 0x80000000), 0, 0), 0x80000000u);
  /* auipc adds to its own address */
  rv_prog p = rv_at(&c, BASE + 0x40);
  rv_emit(&p, UI(AUIPC, A0, 0));
  rv_emit(&p, UI(AUIPC, A1, 0x1000));
  rv_emit(&p, UI(AUIPC, A2, 0xfffff000));
  rv_emit(&p, UI(AUIPC, A3, 0x80000000));
  rv_emit(&p, NN(EBREAK));
  cpu_reset(&c, BASE + 0x40);
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.x[A0], BASE + 0x40);
  cr_expect_eq(c.s.x[A1], BASE + 0x44 + 0x1000);
  cr_expect_eq(c.s.x[A2], BASE + 0x48 - 0x1000);
  cr_expect_eq(c.s.x[A3], 0x4cu); /* 0x8000004c + 0x80000000 wraps */
}

Test(cpu, x0_stays_zero) {
  put32(DATA, 0x12345678);
  rv_prog p = rv_at(&c, BASE);
  /* each write to x0 is followed by a read of it into a fresh register */
  rv_emit(&p, RI(ADDI, ZERO, ZERO, 5));
  rv_emit(&p, RR(ADD, A0, ZERO, ZERO));
  rv_emit(&p, UI(LUI, ZERO, 0x12345000));
  rv_emit(&p, RR(OR, A1, ZERO, ZERO));
  rv_emit(&p, UI(AUIPC, ZERO, 0));
  rv_emit(&p, RR(ADD, A2, ZERO, ZERO));
  rv_emit(&p, RI(LW, ZERO, S0, 0));
  rv_emit(&p, RR(ADD, A3, ZERO, ZERO));
  rv_emit(&p, RR(MUL, ZERO, S0, S0));
  rv_emit(&p, RR(ADD, A4, ZERO, ZERO));
  rv_emit(&p, JAL(ZERO, 4));
  rv_emit(&p, RR(ADD, A5, ZERO, ZERO));
  rv_emit(&p, RI(SLTIU, A6, ZERO, 1)); /* 1 iff x0 == 0 */
  rv_emit(&p, NN(EBREAK));
  cpu_reset(&c, BASE);
  c.s.x[S0] = DATA;
  for (int r = A0; r <= A5; r++) c.s.x[r] = 0xdead;
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.icount, 13);
  cr_expect_eq(c.s.x[ZERO], 0u);
  for (int r = A0; r <= A5; r++) {
    cr_expect_eq(c.s.x[r], 0u, "x0 read as 0x%08x after write %d", c.s.x[r], r - A0);
  }
  cr_expect_eq(c.s.x[A6], 1u);
}

/* ---- loads and stores ----------------------------------------------- */

Test(cpu, loads_extend) {
  static const uint8_t bytes[] = {0x81, 0x80, 0x7f, 0xff};
  memcpy(cpu_guest_ptr(&c, DATA, 4), bytes, 4);
  static const case_i t[] = {
    {CPU_OP_LB, DATA, 0, 0xffffff81},
    {CPU_OP_LBU, DATA, 0, 0x81},
    {CPU_OP_LB, DATA, 2, 0x7f},
    {CPU_OP_LBU, DATA, 3, 0xff},
    {CPU_OP_LB, DATA + 4, -1, 0xffffffff}, /* negative offset */
    {CPU_OP_LH, DATA, 0, 0xffff8081},
    {CPU_OP_LHU, DATA, 0, 0x8081},
    {CPU_OP_LH, DATA, 2, 0xffffff7f},
    {CPU_OP_LHU, DATA, 2, 0xff7f},
    {CPU_OP_LH, DATA + 2048, -2047, 0x7f80}, /* misaligned: bytes 1..2 */
    {CPU_OP_LW, DATA, 0, 0xff7f8081},
    {CPU_OP_LW, DATA - 2047, 2047, 0xff7f8081},
  };
  check_i(t, sizeof t / sizeof t[0]);
}

Test(cpu, stores_write_only_their_bytes) {
  uint8_t *m = cpu_guest_ptr(&c, DATA, 16);
  memset(m, 0xaa, 16);
  one(ST(SB, A2, 0, A1), DATA, 0x12345678);
  one(ST(SH, A2, 2, A1), DATA, 0x12345678);
  one(ST(SW, A2, -4, A1), DATA + 8, 0x9abcdef0);
  one(ST(SB, A2, 2047, A1), DATA + 12 - 2047, 0x55);
  static const uint8_t want[16] = {0x78, 0xaa, 0x78, 0x56, 0xf0, 0xde, 0xbc, 0x9a,
                                   0xaa, 0xaa, 0xaa, 0xaa, 0x55, 0xaa, 0xaa, 0xaa};
  for (int i = 0; i < 16; i++) {
    cr_expect_eq(m[i], want[i], "byte %d: 0x%02x, want 0x%02x", i, m[i], want[i]);
  }
}

Test(cpu, misaligned_access_works_bytewise) {
  uint8_t *m = cpu_guest_ptr(&c, DATA, 16);
  for (int i = 0; i < 16; i++) m[i] = (uint8_t)(0x10 + i);
  cr_expect_eq(one(RI(LW, A0, A1, 0), DATA + 1, 0), 0x14131211u);
  cr_expect_eq(one(RI(LW, A0, A1, 0), DATA + 3, 0), 0x16151413u);
  cr_expect_eq(one(RI(LH, A0, A1, 0), DATA + 3, 0), 0x1413u);
  cr_expect_eq(one(RI(LHU, A0, A1, 1), DATA, 0), 0x1211u);
  one(ST(SW, A2, 0, A1), DATA + 5, 0xa1b2c3d4);
  one(ST(SH, A2, 0, A1), DATA + 11, 0xe5f6);
  static const uint8_t want[16] = {0x10, 0x11, 0x12, 0x13, 0x14, 0xd4, 0xc3, 0xb2,
                                   0xa1, 0x19, 0x1a, 0xf6, 0xe5, 0x1d, 0x1e, 0x1f};
  for (int i = 0; i < 16; i++) {
    cr_expect_eq(m[i], want[i], "byte %d: 0x%02x, want 0x%02x", i, m[i], want[i]);
  }
  /* across a page boundary, and at the very end of RAM */
  put32(BASE + 0x2ffc, 0x44332211);
  put32(BASE + 0x3000, 0x88776655);
  cr_expect_eq(one(RI(LW, A0, A1, 0), BASE + 0x2ffe, 0), 0x66554433u);
  one(ST(SW, A2, 0, A1), BASE + 0x2ffd, 0xccbbaa99);
  cr_expect_eq(get32(BASE + 0x2ffc), 0xbbaa9911u);
  cr_expect_eq(get32(BASE + 0x3000), 0x887766ccu);
  put32(END - 4, 0x04030201);
  cr_expect_eq(one(RI(LH, A0, A1, 0), END - 2, 0), 0x0403u);
  cr_expect_eq(one(RI(LBU, A0, A1, 0), END - 1, 0), 0x04u);
  one(ST(SH, A2, 0, A1), END - 2, 0xbeef);
  cr_expect_eq(get32(END - 4), 0xbeef0201u);
}

/* ---- branches and jumps --------------------------------------------- */

typedef struct case_b {
  cpu_op op;
  uint32_t a, b;
  bool taken;
} case_b;

/* Forward: a0 = 2 if taken, 1 if not.  Backward: the branch at +12 goes
 * back to +4 (a0 = 2) or falls through (a0 = 1). */
static void branch(cpu_op op, uint32_t a, uint32_t b, bool backward) {
  rv_prog p = rv_at(&c, BASE);
  if (backward) {
    rv_emit(&p, JAL(ZERO, 12));
    rv_emit(&p, RI(ADDI, A0, ZERO, 2));
    rv_emit(&p, NN(EBREAK));
    rv_emit(&p, cpu_encode(op, 0, A1, A2, -8));
  } else {
    rv_emit(&p, cpu_encode(op, 0, A1, A2, 12));
  }
  rv_emit(&p, RI(ADDI, A0, ZERO, 1));
  rv_emit(&p, NN(EBREAK));
  if (!backward) {
    rv_emit(&p, RI(ADDI, A0, ZERO, 2));
    rv_emit(&p, NN(EBREAK));
  }
  cpu_reset(&c, BASE);
  c.s.x[A1] = a;
  c.s.x[A2] = b;
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
}

Test(cpu, branches_taken_and_not) {
  static const case_b t[] = {
    {CPU_OP_BEQ, 5, 5, true}, {CPU_OP_BEQ, 5, 6, false},
    {CPU_OP_BEQ, 0x80000000, 0, false},
    {CPU_OP_BNE, 5, 6, true}, {CPU_OP_BNE, 5, 5, false},
    {CPU_OP_BNE, 0xffffffff, 0x7fffffff, true},
    {CPU_OP_BLT, 0xffffffff, 0, true}, {CPU_OP_BLT, 0, 0xffffffff, false},
    {CPU_OP_BLT, 0x80000000, 0x7fffffff, true}, {CPU_OP_BLT, 3, 3, false},
    {CPU_OP_BGE, 0, 0xffffffff, true}, {CPU_OP_BGE, 3, 3, true},
    {CPU_OP_BGE, 0x80000000, 0x7fffffff, false},
    {CPU_OP_BGE, 0xfffffffe, 0xffffffff, false},
    {CPU_OP_BLTU, 0, 0xffffffff, true}, {CPU_OP_BLTU, 0xffffffff, 0, false},
    {CPU_OP_BLTU, 0x7fffffff, 0x80000000, true}, {CPU_OP_BLTU, 3, 3, false},
    {CPU_OP_BGEU, 0xffffffff, 0, true}, {CPU_OP_BGEU, 3, 3, true},
    {CPU_OP_BGEU, 0, 1, false}, {CPU_OP_BGEU, 0x7fffffff, 0x80000000, false},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    for (int back = 0; back < 2; back++) {
      branch(t[i].op, t[i].a, t[i].b, back);
      const char *name = cpu_insn_table[t[i].op].name;
      cr_expect_eq(c.s.x[A0], t[i].taken ? 2u : 1u, "%s 0x%08x, 0x%08x %s: %s",
                   name, t[i].a, t[i].b, back ? "backward" : "forward",
                   c.s.x[A0] == 2 ? "taken" : "not taken");
      /* forward: branch, addi; backward: j, branch, addi */
      cr_expect_eq(c.s.icount, back ? 3u : 2u, "%s: icount", name);
    }
  }
}

Test(cpu, branch_extremes_cross_pages) {
  rv_prog p = rv_at(&c, BASE + PAGE);
  rv_emit(&p, BR(BEQ, ZERO, ZERO, -4096)); /* to BASE */
  p = rv_at(&c, BASE);
  rv_emit(&p, RI(ADDI, A0, A0, 1));
  rv_emit(&p, BR(BNE, A0, A1, (int32_t)PAGE - 4)); /* back up to BASE + PAGE */
  rv_emit(&p, NN(EBREAK));
  cpu_reset(&c, BASE + PAGE);
  c.s.x[A1] = 3;
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.x[A0], 3u);
  cr_expect_eq(c.s.pc, BASE + 8);
  cr_expect_eq(c.s.icount, 3 * 3u);
}

Test(cpu, jal_links_and_jumps) {
  rv_prog p = rv_at(&c, BASE);
  rv_emit(&p, JAL(RA, 12));                 /* BASE: to BASE + 12 */
  rv_emit(&p, NN(EBREAK));                  /* BASE + 4: ends */
  rv_emit(&p, NN(EBREAK));
  rv_emit(&p, JAL(A0, 0x2000 - 12));        /* BASE + 12: to BASE + 0x2000 */
  p = rv_at(&c, BASE + 0x2000);
  rv_emit(&p, JAL(A1, -0x2000 + 4));        /* back to BASE + 4 */
  cpu_reset(&c, BASE);
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.pc, BASE + 4);
  cr_expect_eq(c.s.icount, 3u);
  cr_expect_eq(c.s.x[RA], BASE + 4);
  cr_expect_eq(c.s.x[A0], BASE + 16);
  cr_expect_eq(c.s.x[A1], BASE + 0x2004);
}

Test(cpu, jalr_links_and_clears_bit_0) {
  rv_prog p = rv_at(&c, BASE);
  rv_emit(&p, RI(JALR, RA, A1, 0));      /* a1 = BASE + 0x101: to BASE + 0x100 */
  rv_emit(&p, NN(EBREAK));
  p = rv_at(&c, BASE + 0x100);
  rv_emit(&p, RI(JALR, A2, A2, -16));    /* a2 = BASE + 0x1210: to BASE + 0x1200 */
  p = rv_at(&c, BASE + 0x1200);
  rv_emit(&p, RI(JALR, T0, A3, 2047));   /* a3 + 2047 = BASE + 0x2005 */
  p = rv_at(&c, BASE + 0x2004);
  rv_emit(&p, RI(JALR, ZERO, RA, 0));    /* ret */
  cpu_reset(&c, BASE);
  c.s.x[A1] = BASE + 0x101;
  c.s.x[A2] = BASE + 0x1210;
  c.s.x[A3] = BASE + 0x2004 - 2047 + 1;
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.pc, BASE + 4);
  cr_expect_eq(c.s.icount, 4u);
  cr_expect_eq(c.s.x[RA], BASE + 4);
  cr_expect_eq(c.s.x[A2], BASE + 0x104, "rd == rs1: the target uses the old value");
  cr_expect_eq(c.s.x[T0], BASE + 0x1204);
}

/* Runs word at BASE + 0x10 after an addi, with the registers as the
 * caller set them, expecting a fault at the word. */
static void expect_fault(uint32_t word, cpu_fault_kind kind, uint32_t addr) {
  rv_prog p = rv_at(&c, BASE + 0x0c);
  rv_emit(&p, RI(ADDI, T6, T6, 1));
  uint32_t at = rv_emit(&p, word);
  rv_emit(&p, RI(ADDI, T6, T6, 1));
  c.s.pc = BASE + 0x0c;
  c.s.icount = 0;
  c.s.x[T6] = 0;
  cr_assert_eq(run(), CPU_EXIT_FAULT, "0x%08x did not fault", word);
  cr_expect_eq(c.fault.kind, kind, "0x%08x: %s, want %s", word,
               cpu_fault_name(c.fault.kind), cpu_fault_name(kind));
  cr_expect_eq(c.fault.addr, addr, "0x%08x: fault address 0x%08x, want 0x%08x",
               word, c.fault.addr, addr);
  cr_expect_eq(c.s.pc, at, "0x%08x: pc moved", word);
  cr_expect_eq(c.s.icount, 1u, "0x%08x: the faulting instruction counted", word);
  cr_expect_eq(c.s.x[T6], 1u);
}

Test(cpu, misaligned_jump_targets_fault) {
  cpu_reset(&c, BASE);
  c.s.x[A1] = BASE + 0x102;
  expect_fault(RI(JALR, RA, A1, 0), CPU_FAULT_FETCH_MISALIGNED, BASE + 0x102);
  cr_expect_eq(c.s.x[RA], 0u, "rd written by a faulting jump");
  cr_expect(c.fault.from_known);
  cr_expect_eq(c.fault.from, BASE + 0x10);
  cr_expect_eq(c.fault.insn, RI(JALR, RA, A1, 0));
  c.s.x[A1] = BASE + 0x101; /* (a1 + 1) & ~1 = BASE + 0x102 */
  expect_fault(RI(JALR, RA, A1, 1), CPU_FAULT_FETCH_MISALIGNED, BASE + 0x102);
  c.s.x[A1] = BASE + 0x5000; /* another page */
  expect_fault(RI(JALR, ZERO, A1, -2), CPU_FAULT_FETCH_MISALIGNED, BASE + 0x4ffe);
  expect_fault(JAL(RA, 6), CPU_FAULT_FETCH_MISALIGNED, BASE + 0x16);
  cr_expect_eq(c.s.x[RA], 0u);
  expect_fault(JAL(ZERO, 0x3002), CPU_FAULT_FETCH_MISALIGNED, BASE + 0x3012);
  expect_fault(BR(BEQ, ZERO, ZERO, -6), CPU_FAULT_FETCH_MISALIGNED, BASE + 0x0a);
  expect_fault(BR(BGEU, ZERO, ZERO, 4094), CPU_FAULT_FETCH_MISALIGNED, BASE + 0x100e);
}

Test(cpu, misaligned_branch_not_taken_is_fine) {
  rv_prog p = rv_at(&c, BASE);
  rv_emit(&p, BR(BNE, ZERO, ZERO, 6));
  rv_emit(&p, RI(ADDI, A0, ZERO, 1));
  rv_emit(&p, NN(EBREAK));
  cpu_reset(&c, BASE);
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.x[A0], 1u);
  cr_expect_eq(c.s.icount, 2u);
}

/* ---- faults and exits ----------------------------------------------- */

Test(cpu, loads_and_stores_outside_ram_fault) {
  cpu_reset(&c, BASE);
  c.s.x[A1] = 0x1000;
  expect_fault(RI(LW, A0, A1, 0), CPU_FAULT_LOAD, 0x1000);
  cr_expect_eq(c.fault.insn, RI(LW, A0, A1, 0));
  expect_fault(RI(LB, A0, A1, -1), CPU_FAULT_LOAD, 0xfff);
  c.s.x[A1] = END;
  expect_fault(RI(LW, A0, A1, -2), CPU_FAULT_LOAD, END - 2);
  expect_fault(RI(LH, A0, A1, -1), CPU_FAULT_LOAD, END - 1);
  expect_fault(RI(LBU, ZERO, A1, 0), CPU_FAULT_LOAD, END);
  c.s.x[A1] = BASE;
  expect_fault(RI(LHU, A0, A1, -1), CPU_FAULT_LOAD, BASE - 1);
  c.s.x[A1] = 0xfffffffe; /* the address wraps past 0 */
  c.s.x[A0] = 0x77;
  expect_fault(RI(LW, A0, A1, 0), CPU_FAULT_LOAD, 0xfffffffe);
  cr_expect_eq(c.s.x[A0], 0x77u, "a faulting load wrote rd");

  put32(END - 4, 0x11223344);
  c.s.x[A1] = END;
  c.s.x[A2] = 0xffffffff;
  expect_fault(ST(SW, A2, -3, A1), CPU_FAULT_STORE, END - 3);
  expect_fault(ST(SH, A2, -1, A1), CPU_FAULT_STORE, END - 1);
  expect_fault(ST(SB, A2, 0, A1), CPU_FAULT_STORE, END);
  cr_expect_eq(get32(END - 4), 0x11223344u, "a faulting store wrote");
  c.s.x[A1] = 0;
  expect_fault(ST(SW, A2, 2047, A1), CPU_FAULT_STORE, 2047);
  cr_expect_eq(c.fault.insn, ST(SW, A2, 2047, A1));
}

Test(cpu, fetch_outside_ram_faults) {
  /* a jump that leaves RAM: the jump itself completes */
  rv_prog p = rv_at(&c, BASE);
  uint32_t jump = rv_emit(&p, RI(JALR, RA, A1, 0));
  cpu_reset(&c, BASE);
  c.s.x[A1] = END;
  cr_assert_eq(run(), CPU_EXIT_FAULT);
  cr_expect_eq(c.fault.kind, CPU_FAULT_FETCH);
  cr_expect_eq(c.fault.addr, END);
  cr_expect_eq(c.fault.insn, 0u);
  cr_expect(c.fault.from_known);
  cr_expect_eq(c.fault.from, jump);
  cr_expect_eq(c.s.pc, END);
  cr_expect_eq(c.s.icount, 1u);
  cr_expect_eq(c.s.x[RA], BASE + 4);

  /* falling off the end of RAM */
  poke(END - 4, RI(ADDI, A0, ZERO, 9));
  cpu_reset(&c, END - 4);
  cr_assert_eq(run(), CPU_EXIT_FAULT);
  cr_expect_eq(c.fault.kind, CPU_FAULT_FETCH);
  cr_expect_eq(c.fault.addr, END);
  cr_expect_not(c.fault.from_known);
  cr_expect_eq(c.s.pc, END);
  cr_expect_eq(c.s.icount, 1u);
  cr_expect_eq(c.s.x[A0], 9u);

  /* starting outside RAM, or misaligned */
  cpu_reset(&c, 0x1000);
  cr_assert_eq(run(), CPU_EXIT_FAULT);
  cr_expect_eq(c.fault.kind, CPU_FAULT_FETCH);
  cr_expect_eq(c.fault.addr, 0x1000u);
  cr_expect_eq(c.s.icount, 0u);
  cpu_reset(&c, BASE + 2);
  cr_assert_eq(run(), CPU_EXIT_FAULT);
  cr_expect_eq(c.fault.kind, CPU_FAULT_FETCH_MISALIGNED);
  cr_expect_eq(c.fault.addr, BASE + 2);
  cr_expect_eq(c.s.pc, BASE + 2);
}

Test(cpu, exits_stay_at_the_instruction_until_retired) {
  rv_prog p = rv_at(&c, BASE);
  rv_emit(&p, RI(ADDI, A7, ZERO, 3));
  uint32_t hcall = rv_emit(&p, NN(HCALL));
  rv_emit(&p, RI(ADDI, A0, ZERO, 9));
  uint32_t ecall = rv_emit(&p, NN(ECALL));
  rv_emit(&p, RI(ADDI, A1, ZERO, 1));
  uint32_t ebreak = rv_emit(&p, NN(EBREAK));
  rv_emit(&p, RI(ADDI, A2, ZERO, 1));
  cpu_reset(&c, BASE);
  cr_assert_eq(run(), CPU_EXIT_HCALL);
  cr_expect_eq(c.s.pc, hcall);
  cr_expect_eq(c.s.icount, 1u);
  cr_expect_eq(c.s.x[A7], 3u);
  cr_assert_eq(run(), CPU_EXIT_HCALL, "not retired: the same exit again");
  cr_expect_eq(c.s.pc, hcall);
  cr_expect_eq(c.s.icount, 1u);
  cr_expect_eq(cpu_run(&c, 1), CPU_EXIT_LIMIT, "the limit comes first");
  cpu_retire(&c);
  cr_expect_eq(c.s.pc, hcall + 4);
  cr_expect_eq(c.s.icount, 2u);
  cr_assert_eq(run(), CPU_EXIT_ECALL);
  cr_expect_eq(c.s.pc, ecall);
  cr_expect_eq(c.s.icount, 3u);
  cr_expect_eq(c.s.x[A0], 9u);
  cpu_retire(&c);
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.pc, ebreak);
  cr_expect_eq(c.s.icount, 5u);
  cr_expect_eq(c.s.x[A1], 1u);
  cpu_retire(&c);
  cr_assert_eq(cpu_run(&c, 7), CPU_EXIT_LIMIT);
  cr_expect_eq(c.s.x[A2], 1u);
  cr_expect_eq(c.s.pc, ebreak + 8);
}

Test(cpu, privileged_and_garbage_words_are_illegal) {
  const uint32_t words[] = {
    cpu_encode(CPU_OP_CSRRW, A0, A1, 0, 0x300),
    cpu_encode(CPU_OP_CSRRS, A0, ZERO, 0, 0xc00),
    cpu_encode(CPU_OP_CSRRC, A0, A1, 0, 0x7c0),
    cpu_encode(CPU_OP_CSRRWI, A0, 5, 0, 0x305),
    cpu_encode(CPU_OP_CSRRSI, A0, 31, 0, 0x300),
    cpu_encode(CPU_OP_CSRRCI, A0, 0, 0, 0xfff),
    NN(MRET), NN(SRET), NN(WFI),
    cpu_encode(CPU_OP_SFENCE_VMA, 0, A0, A1, 0),
    0x00000000, 0xffffffff, 0x0000100b, 0x00003003, 0x02001013,
  };
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    cpu_reset(&c, BASE);
    c.s.x[A0] = 0x5555;
    expect_fault(words[i], CPU_FAULT_ILLEGAL, BASE + 0x10);
    cr_expect_eq(c.fault.insn, words[i]);
    cr_expect_eq(c.s.x[A0], 0x5555u, "0x%08x wrote a0", words[i]);
  }
}

Test(cpu, fence_is_a_no_op) {
  rv_prog p = rv_at(&c, BASE);
  rv_emit(&p, RI(ADDI, A0, ZERO, 1));
  rv_emit(&p, 0x0ff0000f); /* fence iorw, iorw */
  rv_emit(&p, NN(FENCE));
  rv_emit(&p, RI(ADDI, A0, A0, 1));
  rv_emit(&p, NN(FENCE_I));
  rv_emit(&p, RI(ADDI, A0, A0, 1));
  rv_emit(&p, NN(EBREAK));
  cpu_reset(&c, BASE);
  cpu_state before = c.s;
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.icount, 6u);
  cr_expect_eq(c.s.x[A0], 3u);
  for (int r = 0; r < 32; r++) {
    if (r != A0) cr_expect_eq(c.s.x[r], before.x[r], "%s changed", cpu_reg_names[r]);
  }
}

/* ---- self-modifying code -------------------------------------------- */

/* X: addi a0, a0, 1 runs twice in a loop; then the guest stores
 * addi a0, a0, 100 over it, runs FENCE.I and runs X once more. */
Test(cpu, guest_store_and_fence_i_replace_code) {
  put32(BASE + 0x400, RI(ADDI, A0, A0, 100));
  rv_prog p = rv_at(&c, BASE);
  rv_emit(&p, UI(LUI, S0, BASE));
  rv_emit(&p, RI(LW, T2, S0, 0x400));
  rv_emit(&p, RI(ADDI, T1, ZERO, 2));
  uint32_t x = rv_emit(&p, RI(ADDI, A0, A0, 1));
  rv_emit(&p, RI(ADDI, T1, T1, -1));
  rv_emit(&p, BR(BNE, T1, ZERO, rv_to(&p, x)));
  rv_emit(&p, BR(BNE, S1, ZERO, 24));
  rv_emit(&p, RI(ADDI, S1, ZERO, 1));
  rv_emit(&p, ST(SW, T2, (int32_t)(x - BASE), S0));
  rv_emit(&p, NN(FENCE_I));
  rv_emit(&p, RI(ADDI, T1, ZERO, 1));
  rv_emit(&p, JAL(ZERO, rv_to(&p, x)));
  uint32_t done = rv_emit(&p, NN(EBREAK));
  cpu_reset(&c, BASE);
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.pc, done);
  cr_expect_eq(c.s.x[A0], 102u, "a0 = %u: the old instruction ran", c.s.x[A0]);
  cr_expect_eq(get32(x), RI(ADDI, A0, A0, 100));
  cr_expect_eq(c.s.icount, 3 + 2 * 3 + 1 + 5 + 3 + 1u);
}

/* pvlab goes further than the spec asks: a store over an instruction
 * that is about to run in the same block takes effect without FENCE.I
 * (exec.c drops the decoded page), which keeps the machine deterministic
 * whatever the guest does. */
Test(cpu, store_over_the_next_instruction_takes_effect) {
  rv_prog p = rv_at(&c, BASE);
  rv_emit(&p, RI(ADDI, A0, ZERO, 1));
  rv_emit(&p, ST(SW, A1, 12, S0));       /* over the addi below */
  rv_emit(&p, RI(ADDI, A2, ZERO, 5));
  rv_emit(&p, RI(ADDI, A0, A0, 1));      /* becomes addi a0, a0, 100 */
  rv_emit(&p, NN(EBREAK));
  cpu_reset(&c, BASE);
  c.s.x[S0] = BASE;
  c.s.x[A1] = RI(ADDI, A0, A0, 100);
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.x[A0], 101u);
  cr_expect_eq(c.s.x[A2], 5u);
  cr_expect_eq(c.s.icount, 4u);
}

Test(cpu, host_writes_with_code_written_replace_code) {
  rv_prog p = rv_at(&c, BASE);
  rv_emit(&p, RI(ADDI, T1, ZERO, 10));
  uint32_t x = rv_emit(&p, RI(ADDI, A0, A0, 1));
  rv_emit(&p, RI(ADDI, T1, T1, -1));
  rv_emit(&p, BR(BNE, T1, ZERO, rv_to(&p, x)));
  rv_emit(&p, NN(EBREAK));
  cpu_reset(&c, BASE);
  /* stop in the middle of the loop, with the loop decoded */
  cr_assert_eq(cpu_run(&c, 1 + 3 * 4 + 1), CPU_EXIT_LIMIT);
  cr_expect_eq(c.s.pc, x + 4);
  cr_expect_eq(c.s.x[A0], 5u);
  put32(x, RI(ADDI, A0, A0, 100));
  cpu_code_written(&c, x, 4);
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.x[A0], 5 + 5 * 100u);
  cr_expect_eq(c.s.icount, 1 + 3 * 10u);

  /* replacing RAM wholesale needs cpu_flush_code */
  put32(x, RI(ADDI, A0, A0, 2));
  cpu_flush_code(&c);
  cpu_reset(&c, BASE);
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.x[A0], 20u);
}

/* A store that drops decoded code in another page while the instruction
 * limit falls later in the storing block: the run must stop exactly there
 * and the next run must go on normally. */
Test(cpu, store_into_other_code_page_during_a_limited_run) {
  rv_prog p = rv_at(&c, BASE + PAGE);
  rv_emit(&p, RI(ADDI, A0, A0, 1));
  rv_emit(&p, RI(JALR, ZERO, RA, 0));
  p = rv_at(&c, BASE);
  rv_emit(&p, UI(LUI, S0, BASE + PAGE));
  rv_emit(&p, JAL(RA, (int32_t)PAGE - 4));
  rv_emit(&p, RI(LW, T0, S0, 0));
  rv_emit(&p, ST(SW, T0, 0, S0)); /* the same word back over decoded code */
  for (int i = 0; i < 4; i++) rv_emit(&p, RI(ADDI, A1, A1, 1));
  uint32_t done = rv_emit(&p, NN(EBREAK));
  for (uint64_t n = 0; n <= 10; n++) {
    cpu_reset(&c, BASE);
    cr_assert_eq(cpu_run(&c, n), CPU_EXIT_LIMIT);
    cr_expect_eq(c.s.icount, n);
    cr_assert_eq(run(), CPU_EXIT_EBREAK, "after a stop at %llu", (unsigned long long)n);
    cr_expect_eq(c.s.pc, done);
    cr_expect_eq(c.s.icount, 10u, "after a stop at %llu", (unsigned long long)n);
    cr_expect_eq(c.s.x[A0], 1u);
    cr_expect_eq(c.s.x[A1], 4u);
  }
}

/* A misaligned store whose first bytes land in a page with no code and
 * whose last bytes land on decoded code in the next page. */
Test(cpu, store_straddling_into_a_code_page) {
  rv_prog p = rv_at(&c, BASE + 2 * PAGE);
  rv_emit(&p, RI(ADDI, A0, ZERO, 1)); /* low half 0x0513; a1 would be 0x0593 */
  rv_emit(&p, RI(JALR, ZERO, RA, 0));
  p = rv_at(&c, BASE);
  rv_emit(&p, UI(LUI, S0, BASE + 2 * PAGE));
  rv_emit(&p, RI(JALR, RA, S0, 0));
  rv_emit(&p, UI(LUI, T0, 0x05930000));
  rv_emit(&p, ST(SW, T0, -2, S0));
  rv_emit(&p, RI(JALR, RA, S0, 0));
  rv_emit(&p, NN(EBREAK));
  cpu_reset(&c, BASE);
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(get32(BASE + 2 * PAGE), RI(ADDI, A1, ZERO, 1));
  cr_expect_eq(c.s.x[A0], 1u);
  cr_expect_eq(c.s.x[A1], 1u, "the old instruction ran after the store");
}

/* ---- exact limits, slices, long runs --------------------------------- */

Test(cpu, exact_limits_across_blocks_and_pages) {
  uint32_t trace[24];
  rv_prog p = rv_at(&c, BASE + PAGE - 12); /* the page ends after 3 words */
  uint32_t done = rv_cross_page_loop(&p, BASE + PAGE, trace);
  rv_expect_loop_limits(&c, bare, trace, done);
}

/* main calls f 50 times with a hypercall after each call; f loops across
 * a page boundary and stores; 3353 instructions in all (see below). */
static uint32_t mixed_program(void) {
  const uint32_t f = BASE + PAGE - 8;
  rv_prog p = rv_at(&c, BASE);
  rv_emit(&p, UI(LUI, SP, END));           /* sp = 0x80010000 */
  rv_emit(&p, RI(ADDI, S0, ZERO, 50));
  uint32_t outer = rv_emit(&p, JAL(RA, rv_to(&p, f)));
  rv_emit(&p, NN(HCALL));
  rv_emit(&p, RI(ADDI, S0, S0, -1));
  rv_emit(&p, BR(BNE, S0, ZERO, rv_to(&p, outer)));
  rv_emit(&p, RI(LW, A1, SP, -4));
  uint32_t done = rv_emit(&p, NN(EBREAK));
  p = rv_at(&c, f);
  rv_emit(&p, RI(ADDI, T0, ZERO, 20));
  uint32_t inner = rv_emit(&p, RR(ADD, A0, A0, T0));
  rv_emit(&p, RI(ADDI, T0, T0, -1));      /* first word of the next page */
  rv_emit(&p, BR(BNE, T0, ZERO, rv_to(&p, inner)));
  rv_emit(&p, ST(SW, A0, -4, SP));
  rv_emit(&p, RI(JALR, ZERO, RA, 0));
  return done;
}

/* main: 2 + 50 * (jal, hcall, addi, bne) + lw; f: 1 + 20 * 3 + 2 */
#define MIXED_COUNT (2 + 50 * (4 + 1 + 20 * 3 + 2) + 1)
#define MIXED_SUM (50u * 210u)

Test(cpu, mixed_program_by_hand) {
  uint32_t done = mixed_program();
  cpu_reset(&c, BASE);
  cr_assert_eq(rv_run_to(&c, FOREVER), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.pc, done);
  cr_expect_eq(c.s.icount, MIXED_COUNT);
  cr_expect_eq(c.s.x[A0], MIXED_SUM);
  cr_expect_eq(c.s.x[A1], MIXED_SUM);
  cr_expect_eq(get32(END - 4), MIXED_SUM);
}

Test(cpu, every_limit_equals_single_steps) {
  mixed_program();
  rv_expect_limits_are_steps(&c, bare, BASE, MIXED_COUNT);
}

Test(cpu, small_slices_give_the_same_run) {
  mixed_program();
  rv_expect_slices_are_whole(&c, bare, BASE, false);
}

Test(cpu, limit_already_reached_runs_nothing) {
  poke(BASE, RI(ADDI, A0, ZERO, 1));
  cpu_reset(&c, BASE);
  cr_expect_eq(cpu_run(&c, 0), CPU_EXIT_LIMIT);
  cr_expect_eq(c.s.pc, BASE);
  cr_expect_eq(c.s.x[A0], 0u);
  c.s.icount = 100;
  cr_expect_eq(cpu_run(&c, 50), CPU_EXIT_LIMIT);
  cr_expect_eq(c.s.icount, 100u);
  cr_expect_eq(c.s.pc, BASE);
}

Test(cpu, sum_to_100000) {
  rv_prog p = rv_at(&c, BASE);
  rv_emit(&p, RI(ADDI, A0, ZERO, 0));
  rv_emit(&p, RI(ADDI, T0, ZERO, 1));
  rv_emit(&p, UI(LUI, T1, 0x18000));
  rv_emit(&p, RI(ADDI, T1, T1, 0x6a1)); /* t1 = 100001 */
  uint32_t loop = rv_emit(&p, RR(ADD, A0, A0, T0));
  rv_emit(&p, RI(ADDI, T0, T0, 1));
  rv_emit(&p, BR(BNE, T0, T1, rv_to(&p, loop)));
  uint32_t done = rv_emit(&p, NN(EBREAK));
  cpu_reset(&c, BASE);
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.pc, done);
  cr_expect_eq(c.s.icount, 4 + 3 * 100000u);
  /* 100000 * 100001 / 2 = 5000050000, mod 2^32 */
  cr_expect_eq(c.s.x[A0], (uint32_t)(5000050000u - 4294967296u));
  cr_expect_eq(c.s.x[T0], 100001u);
}

Test(cpu, guest_ptr_bounds) {
  cr_expect_eq(cpu_guest_ptr(&c, BASE, 4), ram);
  cr_expect_eq(cpu_guest_ptr(&c, END - 4, 4), ram + RAM_SIZE - 4);
  cr_expect_null(cpu_guest_ptr(&c, END - 3, 4));
  cr_expect_null(cpu_guest_ptr(&c, BASE - 1, 1));
  cr_expect_null(cpu_guest_ptr(&c, 0, 4));
  cr_expect_null(cpu_guest_ptr(&c, BASE, RAM_SIZE + 1));
  cr_expect_null(cpu_guest_ptr(&c, END - 4, 0xfffffffc)); /* no wrap */
}
