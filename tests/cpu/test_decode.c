/* The instruction list's encoder, decoder and disassembler, without running
 * anything: words taken from the GNU assembler decode to the right fields
 * and encode back to the same bits, every row round-trips with extreme
 * field values, words no row matches are invalid, and cpu_disasm prints
 * what riscv64-unknown-elf-objdump prints (in pvlab's spacing: ", " between
 * operands, branch targets as 0x%08x). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cpu.h"

enum { ZERO, RA, SP, GP, TP, T0, T1, T2, S0, S1, A0, A1, A2, A3, A4, A5,
       A6, A7, S2, S3, S4, S5, S6, S7, S8, S9, S10, S11, T3, T4, T5, T6 };

/* Which operand fields a row has: those of its format that its mask leaves
 * free (SFENCE.VMA is R-format with rd fixed at zero). */
enum { F_RD = 1, F_RS1 = 2, F_RS2 = 4, F_IMM = 8 };

static unsigned fields_of(cpu_op op) {
  static const unsigned by_fmt[] = {
    [CPU_FMT_R] = F_RD | F_RS1 | F_RS2, [CPU_FMT_I] = F_RD | F_RS1 | F_IMM,
    [CPU_FMT_S] = F_RS1 | F_RS2 | F_IMM, [CPU_FMT_B] = F_RS1 | F_RS2 | F_IMM,
    [CPU_FMT_U] = F_RD | F_IMM, [CPU_FMT_J] = F_RD | F_IMM,
    [CPU_FMT_SH] = F_RD | F_RS1 | F_IMM, [CPU_FMT_N] = 0,
  };
  const cpu_insn_info *in = &cpu_insn_table[op];
  unsigned f = by_fmt[in->fmt];
  if (in->mask & (31u << 7)) f &= ~(unsigned)F_RD;
  if (in->mask & (31u << 15)) f &= ~(unsigned)F_RS1;
  if (in->mask & (31u << 20)) f &= ~(unsigned)F_RS2;
  return f;
}

static void expect_fields(uint32_t word, cpu_decoded d, cpu_op op,
                          unsigned rd, unsigned rs1, unsigned rs2,
                          uint32_t imm) {
  const char *name = cpu_insn_table[op].name;
  cr_expect_eq(d.op, op, "0x%08x: op %d, want %s", word, d.op, name);
  if (d.op != op) return;
  unsigned f = fields_of(op);
  if (f & F_RD)
    cr_expect_eq(d.rd, rd, "0x%08x %s: rd %u, want %u", word, name, d.rd, rd);
  if (f & F_RS1)
    cr_expect_eq(d.rs1, rs1, "0x%08x %s: rs1 %u, want %u", word, name, d.rs1, rs1);
  if (f & F_RS2)
    cr_expect_eq(d.rs2, rs2, "0x%08x %s: rs2 %u, want %u", word, name, d.rs2, rs2);
  if (f & F_IMM)
    cr_expect_eq(d.imm, imm, "0x%08x %s: imm 0x%08x, want 0x%08x", word, name,
                 d.imm, imm);
}

/* Words assembled by riscv64-unknown-elf-as -march=rv32im_zicsr_zifencei
 * and read back with objdump -M no-aliases; imm is the sign-extended
 * immediate (the branch/jump offset, the CSR number, the shamt). */
typedef struct known {
  uint32_t word;
  cpu_op op;
  uint8_t rd, rs1, rs2;
  int32_t imm;
} known;

static const known known_words[] = {
  {0x00000013, CPU_OP_ADDI, ZERO, ZERO, 0, 0},
  {0xfff00513, CPU_OP_ADDI, A0, ZERO, 0, -1},
  {0x7ff00793, CPU_OP_ADDI, A5, ZERO, 0, 2047},
  {0x80058513, CPU_OP_ADDI, A0, A1, 0, -2048},
  {0x12345537, CPU_OP_LUI, A0, 0, 0, 0x12345000},
  {0x80000037, CPU_OP_LUI, ZERO, 0, 0, INT32_MIN},
  {0xfffff297, CPU_OP_AUIPC, T0, 0, 0, -0x1000},
  {0x7ffff517, CPU_OP_AUIPC, A0, 0, 0, 0x7ffff000},
  {0xfe1ff06f, CPU_OP_JAL, ZERO, 0, 0, -0x20},
  {0x1040056f, CPU_OP_JAL, A0, 0, 0, 0x104},
  {0x7ffff0ef, CPU_OP_JAL, RA, 0, 0, 0xffffe},
  {0x8000006f, CPU_OP_JAL, ZERO, 0, 0, -0x100000},
  {0x001004ef, CPU_OP_JAL, S1, 0, 0, 0x800},
  {0x00008067, CPU_OP_JALR, ZERO, RA, 0, 0},
  {0x008500e7, CPU_OP_JALR, RA, A0, 0, 8},
  {0xffc30067, CPU_OP_JALR, ZERO, T1, 0, -4},
  {0x7fff80e7, CPU_OP_JALR, RA, T6, 0, 2047},
  {0x80050567, CPU_OP_JALR, A0, A0, 0, -2048},
  {0xfc0502e3, CPU_OP_BEQ, 0, A0, ZERO, -0x3c},
  {0x0eb50463, CPU_OP_BEQ, 0, A0, A1, 0xe8},
  {0x7eb50fe3, CPU_OP_BEQ, 0, A0, A1, 4094},
  {0x81f01063, CPU_OP_BNE, 0, ZERO, T6, -4096},
  {0x0e62c063, CPU_OP_BLT, 0, T0, T1, 0xe0},
  {0x00b540e3, CPU_OP_BLT, 0, A0, A1, 0x800},
  {0xfad658e3, CPU_OP_BGE, 0, A2, A3, -0x50},
  {0x0cf76c63, CPU_OP_BLTU, 0, A4, A5, 0xd8},
  {0x0d24fa63, CPU_OP_BGEU, 0, S1, S2, 0xd4},
  {0xfe62ffe3, CPU_OP_BGEU, 0, T0, T1, -2},
  {0xfff10503, CPU_OP_LB, A0, SP, 0, -1},
  {0x00251583, CPU_OP_LH, A1, A0, 0, 2},
  {0x00c12083, CPU_OP_LW, RA, SP, 0, 12},
  {0x00034283, CPU_OP_LBU, T0, T1, 0, 0},
  {0x80045383, CPU_OP_LHU, T2, S0, 0, -2048},
  {0xfea10fa3, CPU_OP_SB, 0, SP, A0, -1},
  {0x7eb61fa3, CPU_OP_SH, 0, A2, A1, 2047},
  {0x00112623, CPU_OP_SW, 0, SP, RA, 12},
  {0xfff5a513, CPU_OP_SLTI, A0, A1, 0, -1},
  {0x0015b513, CPU_OP_SLTIU, A0, A1, 0, 1},
  {0xfff5c513, CPU_OP_XORI, A0, A1, 0, -1},
  {0x0ff5e513, CPU_OP_ORI, A0, A1, 0, 255},
  {0x00f5f513, CPU_OP_ANDI, A0, A1, 0, 15},
  {0x01f59513, CPU_OP_SLLI, A0, A1, 0, 31},
  {0x0015d513, CPU_OP_SRLI, A0, A1, 0, 1},
  {0x4005d513, CPU_OP_SRAI, A0, A1, 0, 0},
  {0x00c58533, CPU_OP_ADD, A0, A1, A2, 0},
  {0x407302b3, CPU_OP_SUB, T0, T1, T2, 0},
  {0x01249433, CPU_OP_SLL, S0, S1, S2, 0},
  {0x00c5a533, CPU_OP_SLT, A0, A1, A2, 0},
  {0x00c5b533, CPU_OP_SLTU, A0, A1, A2, 0},
  {0x00c5c533, CPU_OP_XOR, A0, A1, A2, 0},
  {0x00c5d533, CPU_OP_SRL, A0, A1, A2, 0},
  {0x40c5d533, CPU_OP_SRA, A0, A1, A2, 0},
  {0x00c5e533, CPU_OP_OR, A0, A1, A2, 0},
  {0x00c5f533, CPU_OP_AND, A0, A1, A2, 0},
  {0x02c58533, CPU_OP_MUL, A0, A1, A2, 0},
  {0x02c59533, CPU_OP_MULH, A0, A1, A2, 0},
  {0x02c5a533, CPU_OP_MULHSU, A0, A1, A2, 0},
  {0x02c5b533, CPU_OP_MULHU, A0, A1, A2, 0},
  {0x02c5c533, CPU_OP_DIV, A0, A1, A2, 0},
  {0x02c5d533, CPU_OP_DIVU, A0, A1, A2, 0},
  {0x02c5e533, CPU_OP_REM, A0, A1, A2, 0},
  {0x03df7fb3, CPU_OP_REMU, T6, T5, T4, 0},
  {0x0ff0000f, CPU_OP_FENCE, 0, 0, 0, 0},
  {0x0000100f, CPU_OP_FENCE_I, 0, 0, 0, 0},
  {0x00000073, CPU_OP_ECALL, 0, 0, 0, 0},
  {0x00100073, CPU_OP_EBREAK, 0, 0, 0, 0},
  {0x0000000b, CPU_OP_HCALL, 0, 0, 0, 0},
  {0x30059573, CPU_OP_CSRRW, A0, A1, 0, 0x300},
  {0xc0002573, CPU_OP_CSRRS, A0, ZERO, 0, -0x400}, /* CSR 0xc00 */
  {0x7c063073, CPU_OP_CSRRC, ZERO, A2, 0, 0x7c0},
  {0x3052d573, CPU_OP_CSRRWI, A0, 5, 0, 0x305},
  {0x300fe573, CPU_OP_CSRRSI, A0, 31, 0, 0x300},
  {0xfff07573, CPU_OP_CSRRCI, A0, 0, 0, -1}, /* CSR 0xfff */
  {0x30200073, CPU_OP_MRET, 0, 0, 0, 0},
  {0x10200073, CPU_OP_SRET, 0, 0, 0, 0},
  {0x10500073, CPU_OP_WFI, 0, 0, 0, 0},
  {0x12000073, CPU_OP_SFENCE_VMA, 0, ZERO, ZERO, 0},
  {0x12b50073, CPU_OP_SFENCE_VMA, 0, A0, A1, 0},
};

Test(decode, assembler_words_decode_to_their_fields) {
  for (size_t i = 0; i < sizeof known_words / sizeof known_words[0]; i++) {
    const known *k = &known_words[i];
    expect_fields(k->word, cpu_decode(k->word), k->op, k->rd, k->rs1, k->rs2,
                  (uint32_t)k->imm);
  }
}

Test(decode, encoder_gives_the_assembler_words) {
  for (size_t i = 0; i < sizeof known_words / sizeof known_words[0]; i++) {
    const known *k = &known_words[i];
    if (k->op == CPU_OP_FENCE) continue; /* pred/succ are not operands here */
    uint32_t w = cpu_encode(k->op, k->rd, k->rs1, k->rs2, k->imm);
    cr_expect_eq(w, k->word, "encode %s: 0x%08x, want 0x%08x",
                 cpu_insn_table[k->op].name, w, k->word);
  }
  cr_expect_eq(cpu_encode(CPU_OP_FENCE, 0, 0, 0, 0), 0x0000000fu);
}

/* Immediates valid for each format, the extremes included. */
static const int32_t imm_i[] = {0, 1, -1, 2047, -2048, 0x123, -0x456};
static const int32_t imm_sh[] = {0, 1, 15, 16, 31};
static const int32_t imm_b[] = {0, 2, -2, 4094, -4096, 0x800, -0x800, 0x7fe, 0x556};
static const int32_t imm_u[] = {0, 0x1000, -0x1000, INT32_MIN, 0x7ffff000, 0x12345000};
static const int32_t imm_j[] = {0, 2, -2, 0xffffe, -0x100000, 0x800, 0x7fe, 0x12344,
                                -0x5556};
static const int32_t imm_none[] = {0};

static const int32_t *imms_of(cpu_fmt fmt, size_t *n) {
#define IMMS(a) (*n = sizeof a / sizeof a[0], a)
  switch (fmt) {
  case CPU_FMT_I:
  case CPU_FMT_S: return IMMS(imm_i);
  case CPU_FMT_SH: return IMMS(imm_sh);
  case CPU_FMT_B: return IMMS(imm_b);
  case CPU_FMT_U: return IMMS(imm_u);
  case CPU_FMT_J: return IMMS(imm_j);
  case CPU_FMT_R:
  case CPU_FMT_N: break;
  }
  return IMMS(imm_none);
#undef IMMS
}

static const uint8_t reg_sets[][3] = {
  {0, 0, 0}, {1, 2, 3}, {31, 31, 31}, {10, 0, 31}, {5, 17, 29}, {16, 8, 4},
};

Test(decode, every_row_round_trips) {
  for (int op = 0; op < CPU_OP_INVALID; op++) {
    const cpu_insn_info *in = &cpu_insn_table[op];
    size_t nimm;
    const int32_t *imms = imms_of(in->fmt, &nimm);
    for (size_t r = 0; r < sizeof reg_sets / sizeof reg_sets[0]; r++) {
      for (size_t i = 0; i < nimm; i++) {
        const uint8_t *rg = reg_sets[r];
        uint32_t w = cpu_encode((cpu_op)op, rg[0], rg[1], rg[2], imms[i]);
        cr_expect_eq(w & in->mask, in->match, "%s: 0x%08x is not the row's pattern",
                     in->name, w);
        expect_fields(w, cpu_decode(w), (cpu_op)op, rg[0], rg[1], rg[2],
                      (uint32_t)imms[i]);
      }
    }
  }
}

Test(decode, encoder_ignores_fields_the_format_lacks) {
  for (int op = 0; op < CPU_OP_INVALID; op++) {
    unsigned f = fields_of((cpu_op)op);
    uint32_t plain = cpu_encode((cpu_op)op, f & F_RD ? 7 : 0, f & F_RS1 ? 9 : 0,
                                f & F_RS2 ? 11 : 0, f & F_IMM ? 4 : 0);
    uint32_t noisy = cpu_encode((cpu_op)op, f & F_RD ? 7 : 21, f & F_RS1 ? 9 : 22,
                                f & F_RS2 ? 11 : 23, f & F_IMM ? 4 : 0x5a5a5);
    cr_expect_eq(plain, noisy, "%s: 0x%08x vs 0x%08x", cpu_insn_table[op].name,
                 plain, noisy);
  }
}

Test(decode, rows_are_consistent_and_disjoint) {
  for (int i = 0; i < CPU_OP_INVALID; i++) {
    const cpu_insn_info *a = &cpu_insn_table[i];
    cr_expect_str_not_empty(a->name);
    cr_expect_eq(a->match & ~a->mask, 0u, "%s: match has bits outside mask", a->name);
    cr_expect_eq(a->match & 3u, 3u, "%s: not a 32-bit encoding", a->name);
    for (int j = i + 1; j < CPU_OP_INVALID; j++) {
      const cpu_insn_info *b = &cpu_insn_table[j];
      cr_expect_neq((a->match ^ b->match) & a->mask & b->mask, 0u,
                    "%s and %s match the same words", a->name, b->name);
    }
  }
}

Test(decode, words_no_row_matches_are_invalid) {
  static const uint32_t words[] = {
    0x00000000, /* all zero: defined illegal by the spec */
    0xffffffff,
    0x00000001, /* compressed c.nop: C is not there (yet) */
    0x0000100b, /* custom-0, but not the one HCALL word */
    0x0010000b,
    0x0000002b, 0x0000005b, 0x0000007b, /* custom-1..3 */
    0x02001013, /* slli with shamt bit 5: RV64 only */
    0x40001013, /* slli with funct7 0x20 */
    0x00005013 | (0x10u << 25), /* srli with a bad funct7 */
    0x00003003, 0x00006003, 0x00007003, /* ld, lwu, funct3 7 */
    0x00003023, 0x00004023, /* sd, store funct3 4 */
    0x00002063, 0x00003063, /* branch funct3 2 and 3 */
    0x00001067, /* jalr with funct3 1 */
    0x40001033, 0x40002033, 0x04000033, 0x00000033 | (1u << 30) | (1u << 25),
    0x0000001b, 0x0000003b, /* addiw, addw: RV64 */
    0x0000202f, /* lr/sc/amo: A is not there (yet) */
    0x00000007, 0x00000053, /* flw, F ops */
    0x00200073, 0x7b200073, 0x00004073, /* uret, dret, SYSTEM funct3 4 */
    0x00100074, /* ebreak with opcode bit flipped */
  };
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    cpu_decoded d = cpu_decode(words[i]);
    cr_expect_eq(d.op, CPU_OP_INVALID, "0x%08x decodes as %s", words[i],
                 cpu_insn_table[d.op].name);
  }
}

Test(decode, encoding_an_invalid_op_gives_zero) {
  cr_expect_eq(cpu_encode(CPU_OP_INVALID, 1, 2, 3, 4), 0u);
  cr_expect_eq(cpu_decode(0).op, CPU_OP_INVALID);
}

/* Disassembly: each expected text is objdump's (normal or -M no-aliases)
 * for the same word, in pvlab's spacing. */
typedef struct dis_case {
  uint32_t word, pc;
  const char *text;
} dis_case;

#define AT(off) (0x80000000u + (off))

static const dis_case dis_plain[] = {
  {0x00000013, AT(0x00), "nop"},
  {0xfff00513, AT(0x04), "li a0, -1"},
  {0x7ff00793, AT(0x08), "li a5, 2047"},
  {0x80058513, AT(0x0c), "addi a0, a1, -2048"},
  {0x00010413, AT(0x10), "mv s0, sp"},
  {0x01010113, AT(0x14), "addi sp, sp, 16"},
  {0x12345537, AT(0x18), "lui a0, 0x12345"},
  {0xfffff297, AT(0x1c), "auipc t0, 0xfffff"},
  {0xfe1ff06f, AT(0x20), "j 0x80000000"},
  {0xfddff0ef, AT(0x24), "jal 0x80000000"},
  {0x1040056f, AT(0x28), "jal a0, 0x8000012c"},
  {0x00008067, AT(0x2c), "ret"},
  {0x00078067, AT(0x30), "jr a5"},
  {0x008500e7, AT(0x34), "jalr ra, 8(a0)"},
  {0x000500e7, AT(0x34), "jalr ra, 0(a0)"}, /* objdump: jalr a0 */
  {0xffc30067, AT(0x38), "jalr zero, -4(t1)"},
  {0xfc0502e3, AT(0x3c), "beqz a0, 0x80000000"},
  {0x0e059663, AT(0x40), "bnez a1, 0x8000012c"},
  {0x0eb50463, AT(0x44), "beq a0, a1, 0x8000012c"},
  {0xfa041ce3, AT(0x48), "bnez s0, 0x80000000"},
  {0x0e62c063, AT(0x4c), "blt t0, t1, 0x8000012c"},
  {0xfad658e3, AT(0x50), "bge a2, a3, 0x80000000"},
  {0x0cf76c63, AT(0x54), "bltu a4, a5, 0x8000012c"},
  {0x0d24fa63, AT(0x58), "bgeu s1, s2, 0x8000012c"},
  {0xfff10503, AT(0x5c), "lb a0, -1(sp)"},
  {0x00251583, AT(0x60), "lh a1, 2(a0)"},
  {0x00c12083, AT(0x64), "lw ra, 12(sp)"},
  {0x00034283, AT(0x68), "lbu t0, 0(t1)"},
  {0x80045383, AT(0x6c), "lhu t2, -2048(s0)"},
  {0xfea10fa3, AT(0x70), "sb a0, -1(sp)"},
  {0x7eb61fa3, AT(0x74), "sh a1, 2047(a2)"},
  {0x00112623, AT(0x78), "sw ra, 12(sp)"},
  {0xfff5a513, AT(0x7c), "slti a0, a1, -1"},
  {0x0015b513, AT(0x80), "sltiu a0, a1, 1"},
  {0xfff5c513, AT(0x84), "xori a0, a1, -1"},
  {0x0ff5e513, AT(0x88), "ori a0, a1, 255"},
  {0x00f5f513, AT(0x8c), "andi a0, a1, 15"},
  {0x01f59513, AT(0x90), "slli a0, a1, 31"},
  {0x0015d513, AT(0x94), "srli a0, a1, 1"},
  {0x4005d513, AT(0x98), "srai a0, a1, 0"},
  {0x00c58533, AT(0x9c), "add a0, a1, a2"},
  {0x407302b3, AT(0xa0), "sub t0, t1, t2"},
  {0x01249433, AT(0xa4), "sll s0, s1, s2"},
  {0x00c5a533, AT(0xa8), "slt a0, a1, a2"},
  {0x00c5b533, AT(0xac), "sltu a0, a1, a2"},
  {0x00c5c533, AT(0xb0), "xor a0, a1, a2"},
  {0x00c5d533, AT(0xb4), "srl a0, a1, a2"},
  {0x40c5d533, AT(0xb8), "sra a0, a1, a2"},
  {0x00c5e533, AT(0xbc), "or a0, a1, a2"},
  {0x00c5f533, AT(0xc0), "and a0, a1, a2"},
  {0x02c58533, AT(0xc4), "mul a0, a1, a2"},
  {0x02c59533, AT(0xc8), "mulh a0, a1, a2"},
  {0x02c5a533, AT(0xcc), "mulhsu a0, a1, a2"},
  {0x02c5b533, AT(0xd0), "mulhu a0, a1, a2"},
  {0x02c5c533, AT(0xd4), "div a0, a1, a2"},
  {0x02c5d533, AT(0xd8), "divu a0, a1, a2"},
  {0x02c5e533, AT(0xdc), "rem a0, a1, a2"},
  {0x03df7fb3, AT(0xe0), "remu t6, t5, t4"},
  {0x0ff0000f, AT(0xe4), "fence"},
  {0x0000100f, AT(0xe8), "fence.i"},
  {0x00000073, AT(0xec), "ecall"},
  {0x00100073, AT(0xf0), "ebreak"},
  {0x0000000b, AT(0xf4), "hcall"},
  {0x30059573, AT(0xf8), "csrrw a0, 0x300, a1"},
  {0xc0002573, AT(0xfc), "csrrs a0, 0xc00, zero"},
  {0x7c063073, AT(0x100), "csrrc zero, 0x7c0, a2"},
  {0x3052d573, AT(0x104), "csrrwi a0, 0x305, 5"},
  {0x300fe573, AT(0x108), "csrrsi a0, 0x300, 31"},
  {0xfff07573, AT(0x10c), "csrrci a0, 0xfff, 0"},
  {0x30200073, AT(0x110), "mret"},
  {0x10200073, AT(0x114), "sret"},
  {0x10500073, AT(0x118), "wfi"},
  {0x12000073, AT(0x11c), "sfence.vma zero, zero"},
  {0x12b50073, AT(0x120), "sfence.vma a0, a1"},
  {0x00000000, AT(0x124), ".word 0x00000000"},
  {0xffffffff, AT(0x128), ".word 0xffffffff"},
  {0x0000100b, AT(0x12c), ".word 0x0000100b"},
  {0x00500013, AT(0x130), "li zero, 5"},
  {0x00050013, AT(0x134), "mv zero, a0"},
  {0x00000033, AT(0x138), "add zero, zero, zero"},
  /* extreme offsets; objdump shows the same targets */
  {0x7eb50fe3, AT(0), "beq a0, a1, 0x80000ffe"},
  {0x81f01063, AT(4), "bne zero, t6, 0x7ffff004"},
  {0x7ffff0ef, AT(8), "jal 0x80100006"},
  {0x8000006f, AT(0xc), "j 0x7ff0000c"},
  {0x001004ef, AT(0x10), "jal s1, 0x80000810"},
  {0xfe62ffe3, AT(0x18), "bgeu t0, t1, 0x80000016"},
  {0x7fff80e7, AT(0x1c), "jalr ra, 2047(t6)"},
  {0x80000037, AT(0x24), "lui zero, 0x80000"},
  {0xfe1ff06f, 0x00000010, "j 0xfffffff0"}, /* the target wraps around */
};

Test(disasm, matches_objdump) {
  for (size_t i = 0; i < sizeof dis_plain / sizeof dis_plain[0]; i++) {
    const dis_case *t = &dis_plain[i];
    char buf[96];
    memset(buf, 'x', sizeof buf);
    cpu_disasm(t->word, t->pc, buf, sizeof buf, NULL, NULL);
    cr_expect_str_eq(buf, t->text, "0x%08x at 0x%08x: \"%s\", want \"%s\"",
                     t->word, t->pc, buf, t->text);
  }
}

/* Knows two symbols, like a symbol table for the listing above:
 * _start at 0x80000000 and fwd at 0x8000012c. */
typedef struct sym_ctx {
  unsigned calls;
} sym_ctx;

static bool symbolize(void *ctx, uint32_t addr, char *buf, size_t size) {
  ((sym_ctx *)ctx)->calls++;
  if (addr < AT(0) || addr >= AT(0x1000)) return false;
  const char *name = addr >= AT(0x12c) ? "fwd" : "_start";
  uint32_t off = addr - (addr >= AT(0x12c) ? AT(0x12c) : AT(0));
  if (off) snprintf(buf, size, "%s+0x%x", name, off);
  else snprintf(buf, size, "%s", name);
  return true;
}

Test(disasm, branch_targets_get_symbols) {
  static const dis_case cases[] = {
    {0xfc0502e3, AT(0x3c), "beqz a0, 0x80000000 <_start>"},
    {0x0e059663, AT(0x40), "bnez a1, 0x8000012c <fwd>"},
    {0x1040056f, AT(0x28), "jal a0, 0x8000012c <fwd>"},
    {0xfe1ff06f, AT(0x20), "j 0x80000000 <_start>"},
    {0x7eb50fe3, AT(0), "beq a0, a1, 0x80000ffe <fwd+0xed2>"},
    {0xfe62ffe3, AT(0x18), "bgeu t0, t1, 0x80000016 <_start+0x16>"},
    {0x81f01063, AT(4), "bne zero, t6, 0x7ffff004"}, /* symbolizer says no */
    {0x00c58533, AT(0x9c), "add a0, a1, a2"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const dis_case *t = &cases[i];
    char buf[96];
    sym_ctx ctx = {0};
    cpu_disasm(t->word, t->pc, buf, sizeof buf, symbolize, &ctx);
    cr_expect_str_eq(buf, t->text, "0x%08x at 0x%08x: \"%s\", want \"%s\"",
                     t->word, t->pc, buf, t->text);
  }
}

Test(disasm, truncates_to_the_buffer) {
  char buf[10];
  memset(buf, 'x', sizeof buf);
  cpu_disasm(0x0eb50463, AT(0x44), buf, sizeof buf, NULL, NULL);
  cr_expect_str_eq(buf, "beq a0, a");
  char one[1] = {'x'};
  cpu_disasm(0x00000013, 0, one, sizeof one, NULL, NULL);
  cr_expect_eq(one[0], '\0');
}

Test(disasm, register_names_are_the_abi_names) {
  cr_expect_str_eq(cpu_reg_names[0], "zero");
  cr_expect_str_eq(cpu_reg_names[2], "sp");
  cr_expect_str_eq(cpu_reg_names[8], "s0");
  cr_expect_str_eq(cpu_reg_names[17], "a7");
  cr_expect_str_eq(cpu_reg_names[18], "s2");
  cr_expect_str_eq(cpu_reg_names[31], "t6");
}
