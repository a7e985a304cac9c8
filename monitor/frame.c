/* Unwinding one frame, the way gdb does without debug information: read the
 * prologue of the function holding pc (from its symbol to pc, up to the
 * first branch or call) for "addi sp, sp, -N" and "sw ra, K(sp)"; the
 * caller's sp is sp plus everything the prologue took, and its pc is the
 * saved ra (or, in a function that has not saved ra yet or never does, the
 * ra register).  Two things beyond the plain prologue: gcc's -msave-restore
 * millicode ("jal t0, __riscv_save_N", which picolibc uses), followed to
 * its "jr t0"; and a frame 0 stopped at its final "ret", whose frame is
 * already gone. */
#include "mon_int.h"

#define PROLOGUE_MAX 32  /* instructions scanned from a function's start */
#define MILLICODE_MAX 32 /* instructions followed inside __riscv_save_N */
#define REG_RA 1
#define REG_SP 2
#define REG_T0 5
#define REG_T1 6

static int32_t signed_imm(uint32_t v) {
  return v & 0x80000000u ? (int32_t)(v - 0x80000000u) - INT32_MAX - 1 : (int32_t)v;
}

/* What a prologue did: how far below the caller's sp it moved sp, and
 * where (relative to the caller's sp) it saved ra. */
typedef struct prologue {
  uint32_t depth;
  int32_t ra_at;
  bool ra_saved;
} prologue;

/* One instruction's effect on the frame; false for anything else. */
static bool frame_step(const cpu_decoded *d, prologue *p, int32_t *t1) {
  int32_t imm = signed_imm(d->imm);
  if (d->op == CPU_OP_ADDI && d->rd == REG_SP && d->rs1 == REG_SP) {
    p->depth -= (uint32_t)imm;
  } else if (d->op == CPU_OP_SW && d->rs1 == REG_SP && d->rs2 == REG_RA) {
    p->ra_at = imm - (int32_t)p->depth;
    p->ra_saved = true;
  } else if (d->op == CPU_OP_LW && d->rs1 == REG_SP && d->rd == REG_RA) {
    p->ra_saved = false; /* the epilogue took ra back */
  } else if (d->op == CPU_OP_ADDI && d->rd == REG_T1 && d->rs1 == 0) {
    *t1 = imm;
  } else if (d->op == CPU_OP_SUB && d->rd == REG_SP && d->rs1 == REG_SP && d->rs2 == REG_T1) {
    p->depth += (uint32_t)*t1;
  } else {
    return false;
  }
  return true;
}

/* Follows "jal t0, __riscv_save_N" to its "jr t0". */
static bool millicode(mon *s, uint32_t addr, prologue *p) {
  int32_t t1 = 0;
  for (int i = 0; i < MILLICODE_MAX; i++) {
    uint32_t word;
    if (!mon_read(s, addr, &word, 4)) return false;
    cpu_decoded d = cpu_decode(word);
    if (d.op == CPU_OP_JALR && d.rd == 0 && d.rs1 == REG_T0) return true;
    if (d.op == CPU_OP_JAL && d.rd == 0) {
      addr += d.imm;
      continue;
    }
    if (!frame_step(&d, p, &t1) && d.op != CPU_OP_SW && d.op != CPU_OP_ADDI) return false;
    addr += 4;
  }
  return false;
}

bool mon_caller(mon *s, uint32_t pc, uint32_t sp, uint32_t ra,
                uint32_t *ret_pc, uint32_t *ret_sp) {
  uint32_t word;
  if (ra && mon_read(s, pc, &word, 4)) { /* frame 0 at "ret": sp is the caller's */
    cpu_decoded d = cpu_decode(word);
    if (d.op == CPU_OP_JALR && d.rd == 0 && d.rs1 == REG_RA && d.imm == 0) {
      *ret_pc = ra;
      *ret_sp = sp;
      return true;
    }
  }
  const elf_sym *f = elf_symtab_find(&s->m->elf.syms, pc);
  if (!f || !f->is_func) return false;
  prologue p = {0, 0, false};
  int32_t t1 = 0;
  for (uint32_t a = f->addr; a < pc && a < f->addr + 4 * PROLOGUE_MAX; a += 4) {
    if (!mon_read(s, a, &word, 4)) return false;
    cpu_decoded d = cpu_decode(word);
    if (d.op == CPU_OP_JAL && d.rd == REG_T0) {
      if (!millicode(s, a + d.imm, &p)) return false;
    } else if (!frame_step(&d, &p, &t1)) {
      cpu_kind k = cpu_insn_table[d.op == CPU_OP_INVALID ? CPU_OP_ADDI : d.op].kind;
      if (k == CPU_KIND_BRANCH || k == CPU_KIND_JUMP || k == CPU_KIND_JUMPR) break;
    }
  }
  uint32_t saved;
  if (p.ra_saved) {
    if (!mon_read(s, sp + p.depth + (uint32_t)p.ra_at, &saved, 4)) return false;
  } else {
    if (ra == 0) return false;
    saved = ra;
  }
  *ret_pc = saved;
  *ret_sp = sp + p.depth;
  return saved != 0;
}
