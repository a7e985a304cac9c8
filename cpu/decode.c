/* Instruction words <-> decoded fields, generated from the list in insns.h.
 * Decoding happens once per guest instruction (the interpreter caches the
 * result), so a linear match over the table is fast enough and keeps the
 * list the only description of the encoding. */
#include "cpu.h"

const cpu_insn_info cpu_insn_table[CPU_OP_COUNT_ISA] = {
#define CPU_INFO_ROW(id, name, fmt, kind, mask, match, sem) \
  [CPU_OP_##id] = {name, CPU_FMT_##fmt, CPU_KIND_##kind, mask, match},
  CPU_INSNS(CPU_INFO_ROW)
#undef CPU_INFO_ROW
  [CPU_OP_INVALID] = {"(invalid)", CPU_FMT_N, CPU_KIND_ILLEGAL, 0, 0},
};

const char *const cpu_reg_names[32] = {
  "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
  "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
  "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
  "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

static uint32_t bits(uint32_t w, unsigned hi, unsigned lo) {
  return (w >> lo) & ((1u << (hi - lo + 1)) - 1);
}

/* Sign-extends the low n bits of v. */
static uint32_t sext(uint32_t v, unsigned n) {
  uint32_t m = 1u << (n - 1);
  return (v ^ m) - m;
}

static uint32_t imm_of(cpu_fmt fmt, uint32_t w) {
  switch (fmt) {
  case CPU_FMT_I: return sext(bits(w, 31, 20), 12);
  case CPU_FMT_SH: return bits(w, 24, 20);
  case CPU_FMT_S: return sext(bits(w, 31, 25) << 5 | bits(w, 11, 7), 12);
  case CPU_FMT_B:
    return sext(bits(w, 31, 31) << 12 | bits(w, 7, 7) << 11 |
                bits(w, 30, 25) << 5 | bits(w, 11, 8) << 1, 13);
  case CPU_FMT_U: return w & 0xfffff000u;
  case CPU_FMT_J:
    return sext(bits(w, 31, 31) << 20 | bits(w, 19, 12) << 12 |
                bits(w, 20, 20) << 11 | bits(w, 30, 21) << 1, 21);
  case CPU_FMT_R:
  case CPU_FMT_N: return 0;
  }
  return 0;
}

cpu_decoded cpu_decode(uint32_t w) {
  cpu_decoded d = {CPU_OP_INVALID, 0, 0, 0, 0};
  for (int op = 0; op < CPU_OP_INVALID; op++) {
    const cpu_insn_info *in = &cpu_insn_table[op];
    if ((w & in->mask) != in->match) continue;
    d.op = (cpu_op)op;
    d.rd = (uint8_t)bits(w, 11, 7);
    d.rs1 = (uint8_t)bits(w, 19, 15);
    d.rs2 = (uint8_t)bits(w, 24, 20);
    d.imm = imm_of(in->fmt, w);
    break;
  }
  return d;
}

static uint32_t imm_field(cpu_fmt fmt, uint32_t i) {
  switch (fmt) {
  case CPU_FMT_I: return (i & 0xfffu) << 20;
  case CPU_FMT_SH: return (i & 0x1fu) << 20;
  case CPU_FMT_S: return bits(i, 11, 5) << 25 | bits(i, 4, 0) << 7;
  case CPU_FMT_B:
    return bits(i, 12, 12) << 31 | bits(i, 10, 5) << 25 |
           bits(i, 4, 1) << 8 | bits(i, 11, 11) << 7;
  case CPU_FMT_U: return i & 0xfffff000u;
  case CPU_FMT_J:
    return bits(i, 20, 20) << 31 | bits(i, 10, 1) << 21 |
           bits(i, 11, 11) << 20 | bits(i, 19, 12) << 12;
  case CPU_FMT_R:
  case CPU_FMT_N: return 0;
  }
  return 0;
}

uint32_t cpu_encode(cpu_op op, unsigned rd, unsigned rs1, unsigned rs2,
                    int32_t imm) {
  if ((unsigned)op >= CPU_OP_INVALID) return 0;
  const cpu_insn_info *in = &cpu_insn_table[op];
  uint32_t w = in->match;
  /* only the fields the mask leaves free are filled in */
  uint32_t fields = (rd & 31u) << 7 | (rs1 & 31u) << 15 | (rs2 & 31u) << 20;
  if (in->fmt == CPU_FMT_S || in->fmt == CPU_FMT_B) fields &= ~(31u << 7);
  if (in->fmt != CPU_FMT_R && in->fmt != CPU_FMT_S && in->fmt != CPU_FMT_B)
    fields &= ~(31u << 20);
  if (in->fmt == CPU_FMT_U || in->fmt == CPU_FMT_J) fields &= ~(31u << 15);
  if (in->fmt == CPU_FMT_N) fields = 0; /* FENCE leaves rd, rs1 free */
  w |= (fields | imm_field(in->fmt, (uint32_t)imm)) & ~in->mask;
  return w;
}

const char *cpu_fault_name(cpu_fault_kind kind) {
  static const char *const names[] = {
    [CPU_FAULT_NONE] = "no fault",
    [CPU_FAULT_ILLEGAL] = "illegal instruction",
    [CPU_FAULT_FETCH] = "instruction fetch outside RAM",
    [CPU_FAULT_FETCH_MISALIGNED] = "misaligned instruction fetch",
    [CPU_FAULT_LOAD] = "load outside RAM",
    [CPU_FAULT_STORE] = "store outside RAM",
    [CPU_FAULT_ECALL] = "ecall with no guest kernel",
    [CPU_FAULT_PAGE_LOAD] = "load page fault",
    [CPU_FAULT_PAGE_STORE] = "store page fault",
    [CPU_FAULT_PAGE_FETCH] = "instruction page fault",
  };
  return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind]
                                                         : "unknown fault";
}
