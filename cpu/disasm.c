/* Disassembly in the style of objdump and gdb: ABI register names, the
 * common pseudo-instructions (nop, li, mv, j, ret, beqz...), and branch
 * targets printed as an address followed by <symbol+offset>. */
#include <stdio.h>

#include "cpu.h"

#define REG(i) cpu_reg_names[(i) & 31]

/* Writes " <sym+off>" after an address when the symbolizer knows it. */
static void target(char *buf, size_t size, uint32_t addr, cpu_symbolizer sym,
                   void *ctx) {
  char name[128];
  if (sym && sym(ctx, addr, name, sizeof name)) {
    snprintf(buf, size, "0x%08x <%s>", addr, name);
  } else {
    snprintf(buf, size, "0x%08x", addr);
  }
}

/* The sign-extended immediate as a signed value, with no overflow and no
 * implementation-defined conversion on the way. */
static int32_t signed_imm(uint32_t v) {
  return (v & 0x80000000u) ? -(int32_t)~v - 1 : (int32_t)v;
}

/* Pseudo-instructions people read more easily; false if none applies. */
static bool pseudo(const cpu_decoded *d, const char *tgt, char *buf,
                   size_t size) {
  int32_t simm = signed_imm(d->imm);
  switch (d->op) {
  case CPU_OP_ADDI:
    if (d->rd == 0 && d->rs1 == 0 && d->imm == 0) return snprintf(buf, size, "nop"), true;
    if (d->rs1 == 0) return snprintf(buf, size, "li %s, %d", REG(d->rd), simm), true;
    if (d->imm == 0) return snprintf(buf, size, "mv %s, %s", REG(d->rd), REG(d->rs1)), true;
    return false;
  case CPU_OP_JAL:
    if (d->rd == 0) return snprintf(buf, size, "j %s", tgt), true;
    if (d->rd == 1) return snprintf(buf, size, "jal %s", tgt), true;
    return false;
  case CPU_OP_JALR:
    if (d->rd == 0 && d->rs1 == 1 && d->imm == 0) return snprintf(buf, size, "ret"), true;
    if (d->rd == 0 && d->imm == 0) return snprintf(buf, size, "jr %s", REG(d->rs1)), true;
    return false;
  case CPU_OP_BEQ:
  case CPU_OP_BNE:
    if (d->rs2 != 0) return false;
    snprintf(buf, size, "%s %s, %s", d->op == CPU_OP_BEQ ? "beqz" : "bnez",
             REG(d->rs1), tgt);
    return true;
  default: return false;
  }
}

void cpu_disasm(uint32_t word, uint32_t pc, char *buf, size_t size,
                cpu_symbolizer sym, void *sym_ctx) {
  cpu_decoded d = cpu_decode(word);
  if (d.op == CPU_OP_INVALID) {
    snprintf(buf, size, ".word 0x%08x", word);
    return;
  }
  const cpu_insn_info *in = &cpu_insn_table[d.op];
  int32_t simm = signed_imm(d.imm);
  char tgt[160] = "";
  if (in->fmt == CPU_FMT_B || in->fmt == CPU_FMT_J) {
    target(tgt, sizeof tgt, pc + d.imm, sym, sym_ctx);
  }
  if (pseudo(&d, tgt, buf, size)) return;

  const char *n = in->name;
  switch (in->kind) {
  case CPU_KIND_LOAD:
    snprintf(buf, size, "%s %s, %d(%s)", n, REG(d.rd), simm, REG(d.rs1));
    return;
  case CPU_KIND_STORE:
    snprintf(buf, size, "%s %s, %d(%s)", n, REG(d.rs2), simm, REG(d.rs1));
    return;
  case CPU_KIND_JUMPR:
    snprintf(buf, size, "%s %s, %d(%s)", n, REG(d.rd), simm, REG(d.rs1));
    return;
  case CPU_KIND_ILLEGAL:
    if (in->fmt == CPU_FMT_I) { /* CSR access: name the CSR number */
      char src[16];
      if ((word >> 14) & 1u) { /* the immediate forms put a 5-bit value in rs1 */
        snprintf(src, sizeof src, "%u", (unsigned)d.rs1);
      } else {
        snprintf(src, sizeof src, "%s", REG(d.rs1));
      }
      snprintf(buf, size, "%s %s, 0x%03x, %s", n, REG(d.rd), d.imm & 0xfffu, src);
      return;
    }
    if (d.op == CPU_OP_SFENCE_VMA) { /* R-format without rd */
      snprintf(buf, size, "%s %s, %s", n, REG(d.rs1), REG(d.rs2));
      return;
    }
    break;
  default: break;
  }
  switch (in->fmt) {
  case CPU_FMT_R:
    snprintf(buf, size, "%s %s, %s, %s", n, REG(d.rd), REG(d.rs1), REG(d.rs2));
    return;
  case CPU_FMT_I:
    snprintf(buf, size, "%s %s, %s, %d", n, REG(d.rd), REG(d.rs1), simm);
    return;
  case CPU_FMT_SH:
    snprintf(buf, size, "%s %s, %s, %u", n, REG(d.rd), REG(d.rs1), d.imm);
    return;
  case CPU_FMT_B:
    snprintf(buf, size, "%s %s, %s, %s", n, REG(d.rs1), REG(d.rs2), tgt);
    return;
  case CPU_FMT_U:
    snprintf(buf, size, "%s %s, 0x%x", n, REG(d.rd), d.imm >> 12);
    return;
  case CPU_FMT_J:
    snprintf(buf, size, "%s %s, %s", n, REG(d.rd), tgt);
    return;
  case CPU_FMT_S:
  case CPU_FMT_N:
    snprintf(buf, size, "%s", n);
    return;
  }
}
