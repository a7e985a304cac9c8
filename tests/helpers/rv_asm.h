/* What the unit suites that build guest programs by hand share: register
 * names and instruction words in assembler order, host access to guest
 * memory, a tiny assembler that knows where each virtual address really
 * lives, and the checks that every instruction limit and every slicing of
 * a run give the same machine as one whole run.  Expected values stay in
 * each suite. */
#ifndef PVLAB_TESTS_RV_ASM_H
#define PVLAB_TESTS_RV_ASM_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"

enum { ZERO, RA, SP, GP, TP, T0, T1, T2, S0, S1, A0, A1, A2, A3, A4, A5,
       A6, A7, S2, S3, S4, S5, S6, S7, S8, S9, S10, S11, T3, T4, T5, T6 };

/* Instruction words, operands in assembler order. */
#define RR(op, rd, rs1, rs2) cpu_encode(CPU_OP_##op, rd, rs1, rs2, 0)
#define RI(op, rd, rs1, imm) cpu_encode(CPU_OP_##op, rd, rs1, 0, imm)
#define LD(op, rd, imm, rs1) cpu_encode(CPU_OP_##op, rd, rs1, 0, imm)
#define ST(op, rs2, imm, rs1) cpu_encode(CPU_OP_##op, 0, rs1, rs2, imm)
#define BR(op, rs1, rs2, off) cpu_encode(CPU_OP_##op, 0, rs1, rs2, off)
#define UI(op, rd, imm) cpu_encode(CPU_OP_##op, rd, 0, 0, (int32_t)(imm))
#define JAL(rd, off) cpu_encode(CPU_OP_JAL, rd, 0, 0, off)
#define NN(op) cpu_encode(CPU_OP_##op, 0, 0, 0, 0)

/* Guest memory, little-endian whatever the host; each asserts the word is
 * in RAM.  rv_poke is a host write of code, announced as the CPU contract
 * requires. */
void rv_put32(cpu *c, uint32_t addr, uint32_t v);
uint32_t rv_get32(cpu *c, uint32_t addr);
void rv_poke(cpu *c, uint32_t addr, uint32_t word);

/* Where the next word goes: its virtual address, and the physical address
 * that really holds it (the same without paging: rv_at). */
typedef struct rv_prog {
  cpu *c;
  uint32_t va, pa;
} rv_prog;

rv_prog rv_at(cpu *c, uint32_t addr);
/* Appends a word and returns its virtual address. */
uint32_t rv_emit(rv_prog *p, uint32_t word);
/* Offset from the next word to emit to va, for branches and jumps. */
int32_t rv_to(const rv_prog *p, uint32_t va);
/* Always two instructions (lui, addi), so counts are easy to work out. */
void rv_li(rv_prog *p, unsigned rd, uint32_t v);

/* Runs like the machine: hypercalls are carried out (as nothing) and
 * retired, anything else ends the run. */
cpu_exit rv_run_to(cpu *c, uint64_t limit);

/* pc, icount and every register of got equal want's. */
void rv_expect_state(const cpu_state *got, const cpu_state *want,
                     const char *what, uint64_t n);

/* Puts the hart at pc the way a suite starts its programs (bare, or in
 * user mode on its page tables). */
typedef void rv_start_fn(uint32_t pc);

/* A loop of 1 + 3 * 7 + 1 instructions, then EBREAK, whose body crosses
 * from the 3 words left on p's page into next_pa (p's next physical page,
 * or any other).  Fills trace[n] with the pc after n instructions and
 * returns the EBREAK's address. */
uint32_t rv_cross_page_loop(rv_prog *p, uint32_t next_pa, uint32_t trace[24]);
/* Runs that loop to every limit from 0 to 23, with code decoded afresh and
 * then cached, and checks pc, icount and counters at each; then whole. */
void rv_expect_loop_limits(cpu *c, rv_start_fn *start, const uint32_t trace[24],
                           uint32_t done);

/* The program at pc (count instructions, ending in EBREAK) run to every
 * limit gives the state that single steps give. */
void rv_expect_limits_are_steps(cpu *c, rv_start_fn *start, uint32_t pc,
                                uint64_t count);
/* The program at pc run in slices of many sizes ends as one whole run
 * does; with flush_tlb the TLB is emptied before every other slicing's
 * slices (it is only a cache). */
void rv_expect_slices_are_whole(cpu *c, rv_start_fn *start, uint32_t pc,
                                bool flush_tlb);

#endif
