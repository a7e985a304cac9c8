/* The guest instruction set, listed once.
 *
 * Each row: X(ID, "mnemonic", format, kind, mask, match, semantics).
 * A word w is the instruction when (w & mask) == match.  The list generates
 * the opcode enum, the decoder, the disassembler's names, the test encoder
 * and both execution loops, so an instruction's meaning is written here and
 * nowhere else.  Semantics use the names defined by the including file:
 * RD, RS1, RS2 (register values), IMM (sign-extended immediate as uint32_t),
 * PC, LOAD(n), STORE(n, v), BRANCH(cond), JUMP(target) (which also writes
 * PC + 4 to RD, once the target is known to be aligned), EXIT(reason),
 * ILLEGAL() and END_BLOCK().  Loads and stores get their size from funct3.
 *
 * Formats: R, I, S, B, U, J as in the RISC-V spec; SH is I with a 5-bit
 * shamt; N has no operands.  Kinds tell the decoder which instructions end
 * a decoded block (anything that can change control flow or leave the
 * interpreter) and the disassembler how to print operands.
 *
 * The rows of kind ILLEGAL are privileged or CSR instructions that real
 * RISC-V has and pvlab deliberately does not: they decode (so diagnostics
 * and the disassembler can name them) and execute as illegal instructions.
 */
#ifndef PVLAB_CPU_INSNS_H
#define PVLAB_CPU_INSNS_H

#define CPU_INSNS(X) \
  X(LUI,    "lui",    U,  ALU,    0x0000007fu, 0x00000037u, RD = IMM) \
  X(AUIPC,  "auipc",  U,  ALU,    0x0000007fu, 0x00000017u, RD = PC + IMM) \
  X(JAL,    "jal",    J,  JUMP,   0x0000007fu, 0x0000006fu, JUMP(PC + IMM)) \
  X(JALR,   "jalr",   I,  JUMPR,  0x0000707fu, 0x00000067u, JUMP((RS1 + IMM) & ~1u)) \
  X(BEQ,    "beq",    B,  BRANCH, 0x0000707fu, 0x00000063u, BRANCH(RS1 == RS2)) \
  X(BNE,    "bne",    B,  BRANCH, 0x0000707fu, 0x00001063u, BRANCH(RS1 != RS2)) \
  X(BLT,    "blt",    B,  BRANCH, 0x0000707fu, 0x00004063u, BRANCH(cpu_slt(RS1, RS2))) \
  X(BGE,    "bge",    B,  BRANCH, 0x0000707fu, 0x00005063u, BRANCH(!cpu_slt(RS1, RS2))) \
  X(BLTU,   "bltu",   B,  BRANCH, 0x0000707fu, 0x00006063u, BRANCH(RS1 < RS2)) \
  X(BGEU,   "bgeu",   B,  BRANCH, 0x0000707fu, 0x00007063u, BRANCH(RS1 >= RS2)) \
  X(LB,     "lb",     I,  LOAD,   0x0000707fu, 0x00000003u, RD = cpu_sx8(LOAD(1))) \
  X(LH,     "lh",     I,  LOAD,   0x0000707fu, 0x00001003u, RD = cpu_sx16(LOAD(2))) \
  X(LW,     "lw",     I,  LOAD,   0x0000707fu, 0x00002003u, RD = LOAD(4)) \
  X(LBU,    "lbu",    I,  LOAD,   0x0000707fu, 0x00004003u, RD = LOAD(1)) \
  X(LHU,    "lhu",    I,  LOAD,   0x0000707fu, 0x00005003u, RD = LOAD(2)) \
  X(SB,     "sb",     S,  STORE,  0x0000707fu, 0x00000023u, STORE(1, RS2)) \
  X(SH,     "sh",     S,  STORE,  0x0000707fu, 0x00001023u, STORE(2, RS2)) \
  X(SW,     "sw",     S,  STORE,  0x0000707fu, 0x00002023u, STORE(4, RS2)) \
  X(ADDI,   "addi",   I,  ALU,    0x0000707fu, 0x00000013u, RD = RS1 + IMM) \
  X(SLTI,   "slti",   I,  ALU,    0x0000707fu, 0x00002013u, RD = cpu_slt(RS1, IMM)) \
  X(SLTIU,  "sltiu",  I,  ALU,    0x0000707fu, 0x00003013u, RD = RS1 < IMM) \
  X(XORI,   "xori",   I,  ALU,    0x0000707fu, 0x00004013u, RD = RS1 ^ IMM) \
  X(ORI,    "ori",    I,  ALU,    0x0000707fu, 0x00006013u, RD = RS1 | IMM) \
  X(ANDI,   "andi",   I,  ALU,    0x0000707fu, 0x00007013u, RD = RS1 & IMM) \
  X(SLLI,   "slli",   SH, ALU,    0xfe00707fu, 0x00001013u, RD = RS1 << (IMM & 31)) \
  X(SRLI,   "srli",   SH, ALU,    0xfe00707fu, 0x00005013u, RD = RS1 >> (IMM & 31)) \
  X(SRAI,   "srai",   SH, ALU,    0xfe00707fu, 0x40005013u, RD = cpu_sra(RS1, IMM & 31)) \
  X(ADD,    "add",    R,  ALU,    0xfe00707fu, 0x00000033u, RD = RS1 + RS2) \
  X(SUB,    "sub",    R,  ALU,    0xfe00707fu, 0x40000033u, RD = RS1 - RS2) \
  X(SLL,    "sll",    R,  ALU,    0xfe00707fu, 0x00001033u, RD = RS1 << (RS2 & 31)) \
  X(SLT,    "slt",    R,  ALU,    0xfe00707fu, 0x00002033u, RD = cpu_slt(RS1, RS2)) \
  X(SLTU,   "sltu",   R,  ALU,    0xfe00707fu, 0x00003033u, RD = RS1 < RS2) \
  X(XOR,    "xor",    R,  ALU,    0xfe00707fu, 0x00004033u, RD = RS1 ^ RS2) \
  X(SRL,    "srl",    R,  ALU,    0xfe00707fu, 0x00005033u, RD = RS1 >> (RS2 & 31)) \
  X(SRA,    "sra",    R,  ALU,    0xfe00707fu, 0x40005033u, RD = cpu_sra(RS1, RS2 & 31)) \
  X(OR,     "or",     R,  ALU,    0xfe00707fu, 0x00006033u, RD = RS1 | RS2) \
  X(AND,    "and",    R,  ALU,    0xfe00707fu, 0x00007033u, RD = RS1 & RS2) \
  X(MUL,    "mul",    R,  ALU,    0xfe00707fu, 0x02000033u, RD = RS1 * RS2) \
  X(MULH,   "mulh",   R,  ALU,    0xfe00707fu, 0x02001033u, RD = cpu_mulh(RS1, RS2)) \
  X(MULHSU, "mulhsu", R,  ALU,    0xfe00707fu, 0x02002033u, RD = cpu_mulhsu(RS1, RS2)) \
  X(MULHU,  "mulhu",  R,  ALU,    0xfe00707fu, 0x02003033u, RD = cpu_mulhu(RS1, RS2)) \
  X(DIV,    "div",    R,  ALU,    0xfe00707fu, 0x02004033u, RD = cpu_div(RS1, RS2)) \
  X(DIVU,   "divu",   R,  ALU,    0xfe00707fu, 0x02005033u, RD = cpu_divu(RS1, RS2)) \
  X(REM,    "rem",    R,  ALU,    0xfe00707fu, 0x02006033u, RD = cpu_rem(RS1, RS2)) \
  X(REMU,   "remu",   R,  ALU,    0xfe00707fu, 0x02007033u, RD = cpu_remu(RS1, RS2)) \
  X(FENCE,  "fence",  N,  ALU,    0x0000707fu, 0x0000000fu, (void)0) \
  X(FENCE_I,"fence.i",N,  SYNC,   0x0000707fu, 0x0000100fu, END_BLOCK()) \
  X(ECALL,  "ecall",  N,  SYSTEM, 0xffffffffu, 0x00000073u, EXIT(CPU_EXIT_ECALL)) \
  X(EBREAK, "ebreak", N,  SYSTEM, 0xffffffffu, 0x00100073u, EXIT(CPU_EXIT_EBREAK)) \
  X(HCALL,  "hcall",  N,  SYSTEM, 0xffffffffu, 0x0000000bu, EXIT(CPU_EXIT_HCALL)) \
  X(CSRRW,  "csrrw",  I,  ILLEGAL,0x0000707fu, 0x00001073u, ILLEGAL()) \
  X(CSRRS,  "csrrs",  I,  ILLEGAL,0x0000707fu, 0x00002073u, ILLEGAL()) \
  X(CSRRC,  "csrrc",  I,  ILLEGAL,0x0000707fu, 0x00003073u, ILLEGAL()) \
  X(CSRRWI, "csrrwi", I,  ILLEGAL,0x0000707fu, 0x00005073u, ILLEGAL()) \
  X(CSRRSI, "csrrsi", I,  ILLEGAL,0x0000707fu, 0x00006073u, ILLEGAL()) \
  X(CSRRCI, "csrrci", I,  ILLEGAL,0x0000707fu, 0x00007073u, ILLEGAL()) \
  X(MRET,   "mret",   N,  ILLEGAL,0xffffffffu, 0x30200073u, ILLEGAL()) \
  X(SRET,   "sret",   N,  ILLEGAL,0xffffffffu, 0x10200073u, ILLEGAL()) \
  X(WFI,    "wfi",    N,  ILLEGAL,0xffffffffu, 0x10500073u, ILLEGAL()) \
  X(SFENCE_VMA, "sfence.vma", R, ILLEGAL, 0xfe007fffu, 0x12000073u, ILLEGAL())

#endif
