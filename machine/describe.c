/* Fault diagnostics: one line a student can act on, naming the code by
 * symbol, showing the instruction and saying what usually causes it. */
#include <stdio.h>

#include "machine.h"

static const char *hint(const machine *m, const cpu_fault *f) {
  cpu_decoded d = cpu_decode(f->insn);
  switch (f->kind) {
  case CPU_FAULT_ILLEGAL:
    if (d.op != CPU_OP_INVALID &&
        cpu_insn_table[d.op].kind == CPU_KIND_ILLEGAL) {
      return "pvlab has no CSRs or privileged instructions; ask the machine "
             "with a hypercall instead (docs/pvabi.md)";
    }
    return "not an RV32IM instruction: was the guest built with "
           "-march=rv32im -mabi=ilp32, or did it jump into data?";
  case CPU_FAULT_ECALL:
    if (m->dev.vcpu.registered) {
      return "ECALL in kernel mode has no one above it to call; the kernel "
             "reaches the machine with hcall (docs/pvabi.md)";
    }
    return "ECALL is a system call to a guest kernel; a bare guest reaches "
           "the machine with hcall (docs/pvabi.md)";
  case CPU_FAULT_LOAD:
  case CPU_FAULT_STORE:
    return f->addr < CPU_PAGE_SIZE ? "a NULL pointer?"
                                   : "a stray or uninitialised pointer?";
  case CPU_FAULT_FETCH:
    return f->addr < CPU_PAGE_SIZE
               ? "a call through a NULL function pointer?"
               : "a corrupted return address or function pointer?";
  case CPU_FAULT_FETCH_MISALIGNED:
    return "instructions are 4-byte aligned (no C extension)";
  case CPU_FAULT_PAGE_LOAD:
  case CPU_FAULT_PAGE_STORE:
  case CPU_FAULT_PAGE_FETCH:
    return "user mode reached memory its page table does not map with that "
           "permission; a kernel with a trap handler would be told";
  case CPU_FAULT_NONE: break;
  }
  return "";
}

void machine_describe_fault(const machine *m, char *buf, size_t size) {
  const cpu_fault *f = &m->cpu.fault;
  char where[200], text[120], addr[200];
  uint32_t pc = m->cpu.s.pc;
  machine_format_addr(m, pc, where, sizeof where);
  cpu_disasm(f->insn, pc, text, sizeof text, machine_symbolize, (void *)m);
  uint32_t end = CPU_RAM_BASE + m->cpu.ram_size;
  switch (f->kind) {
  case CPU_FAULT_LOAD:
  case CPU_FAULT_STORE:
    snprintf(buf, size, "%s at %s: %s; address 0x%08x is outside guest RAM "
             "[0x%08x, 0x%08x): %s", cpu_fault_name(f->kind), where, text,
             f->addr, CPU_RAM_BASE, end, hint(m, f));
    return;
  case CPU_FAULT_FETCH:
    if (f->from_known) {
      machine_format_addr(m, f->from, addr, sizeof addr);
      snprintf(buf, size, "%s at 0x%08x, jumped to from %s; guest RAM is "
               "[0x%08x, 0x%08x): %s", cpu_fault_name(f->kind), pc, addr,
               CPU_RAM_BASE, end, hint(m, f));
    } else {
      snprintf(buf, size, "%s at 0x%08x; guest RAM is [0x%08x, 0x%08x): %s",
               cpu_fault_name(f->kind), pc, CPU_RAM_BASE, end, hint(m, f));
    }
    return;
  case CPU_FAULT_FETCH_MISALIGNED:
    machine_format_addr(m, f->addr, addr, sizeof addr);
    snprintf(buf, size, "%s: %s at %s jumps to %s: %s",
             cpu_fault_name(f->kind), text, where, addr, hint(m, f));
    return;
  default:
    snprintf(buf, size, "%s at %s: %s: %s", cpu_fault_name(f->kind), where,
             text, hint(m, f));
    return;
  }
}
