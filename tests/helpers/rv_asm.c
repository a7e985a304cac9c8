#include "rv_asm.h"

#include <criterion/criterion.h>
#include <stdlib.h>

void rv_put32(cpu *c, uint32_t addr, uint32_t v) {
  uint8_t *p = cpu_guest_ptr(c, addr, 4);
  cr_assert(p, "0x%08x is outside RAM", addr);
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t rv_get32(cpu *c, uint32_t addr) {
  const uint8_t *p = cpu_guest_ptr(c, addr, 4);
  cr_assert(p, "0x%08x is outside RAM", addr);
  return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void rv_poke(cpu *c, uint32_t addr, uint32_t word) {
  rv_put32(c, addr, word);
  cpu_code_written(c, addr, 4);
}

rv_prog rv_at(cpu *c, uint32_t addr) { return (rv_prog){c, addr, addr}; }

uint32_t rv_emit(rv_prog *p, uint32_t word) {
  rv_poke(p->c, p->pa, word);
  p->va += 4;
  p->pa += 4;
  return p->va - 4;
}

int32_t rv_to(const rv_prog *p, uint32_t va) { return (int32_t)(va - p->va); }

void rv_li(rv_prog *p, unsigned rd, uint32_t v) {
  uint32_t hi = (v + 0x800u) & 0xfffff000u;
  rv_emit(p, cpu_encode(CPU_OP_LUI, rd, 0, 0, (int32_t)hi));
  rv_emit(p, RI(ADDI, rd, rd, (int32_t)(v - hi)));
}

cpu_exit rv_run_to(cpu *c, uint64_t limit) {
  cpu_exit e;
  while ((e = cpu_run(c, limit)) == CPU_EXIT_HCALL) cpu_retire(c);
  return e;
}

void rv_expect_state(const cpu_state *got, const cpu_state *want,
                     const char *what, uint64_t n) {
  cr_expect_eq(got->pc, want->pc, "%s %llu: pc 0x%08x, want 0x%08x", what,
               (unsigned long long)n, got->pc, want->pc);
  cr_expect_eq(got->icount, want->icount, "%s %llu: icount %llu, want %llu",
               what, (unsigned long long)n, (unsigned long long)got->icount,
               (unsigned long long)want->icount);
  for (int i = 0; i < 32; i++) {
    cr_expect_eq(got->x[i], want->x[i], "%s %llu: %s = 0x%08x, want 0x%08x",
                 what, (unsigned long long)n, cpu_reg_names[i], got->x[i],
                 want->x[i]);
  }
}

uint32_t rv_cross_page_loop(rv_prog *p, uint32_t next_pa, uint32_t trace[24]) {
  const uint32_t at = p->va;
  rv_emit(p, RI(ADDI, T1, ZERO, 3));
  uint32_t loop = rv_emit(p, RI(ADDI, A0, A0, 1));
  rv_emit(p, RI(ADDI, A0, A0, 1));
  cr_assert_eq(p->va % CPU_PAGE_SIZE, 0u, "the loop starts 0x%08x, not 3 words "
               "before a page's end", at);
  p->pa = next_pa;
  rv_emit(p, RI(ADDI, A0, A0, 1));
  rv_emit(p, RI(ADDI, A0, A0, 1));
  rv_emit(p, RI(ADDI, A1, A1, 1));
  rv_emit(p, RI(ADDI, T1, T1, -1));
  rv_emit(p, BR(BNE, T1, ZERO, rv_to(p, loop)));
  rv_emit(p, RI(ADDI, A2, ZERO, 7));
  uint32_t done = rv_emit(p, NN(EBREAK));
  trace[0] = at;
  for (int i = 0; i < 3; i++) {
    for (int k = 0; k < 7; k++) trace[1 + 7 * i + k] = loop + 4 * (uint32_t)k;
  }
  trace[22] = done - 4;
  trace[23] = done;
  return done;
}

void rv_expect_loop_limits(cpu *c, rv_start_fn *start, const uint32_t trace[24],
                           uint32_t done) {
  const uint32_t at = trace[0];
  for (int pass = 0; pass < 2; pass++) {
    for (uint64_t n = 0; n <= 23; n++) {
      if (pass == 0) cpu_flush_code(c); /* decode afresh, then cached */
      start(at);
      cr_assert_eq(cpu_run(c, n), CPU_EXIT_LIMIT, "limit %llu: %s at 0x%08x",
                   (unsigned long long)n, cpu_fault_name(c->fault.kind),
                   c->fault.addr);
      cr_expect_eq(c->s.icount, n);
      cr_expect_eq(c->s.pc, trace[n], "limit %llu: pc 0x%08x, want 0x%08x",
                   (unsigned long long)n, c->s.pc, trace[n]);
      uint32_t a0 = 0, a1 = 0;
      for (uint64_t i = 0; i < n; i++) {
        a0 += trace[i] >= at + 4 && trace[i] < at + 20;
        a1 += trace[i] == at + 20;
      }
      cr_expect_eq(c->s.x[A0], a0, "limit %llu", (unsigned long long)n);
      cr_expect_eq(c->s.x[A1], a1, "limit %llu", (unsigned long long)n);
    }
  }
  start(at);
  cr_assert_eq(cpu_run(c, 24), CPU_EXIT_EBREAK);
  cr_expect_eq(c->s.pc, done);
  cr_expect_eq(c->s.icount, 23u);
  cr_expect_eq(c->s.x[A0], 12u);
  cr_expect_eq(c->s.x[A1], 3u);
  cr_expect_eq(c->s.x[A2], 7u);
  cr_expect_eq(c->s.x[T1], 0u);
}

void rv_expect_limits_are_steps(cpu *c, rv_start_fn *start, uint32_t pc,
                                uint64_t count) {
  cpu_state *steps = calloc(count + 1, sizeof *steps);
  cr_assert(steps);
  start(pc);
  steps[0] = c->s;
  for (uint64_t n = 1; n <= count; n++) {
    cr_assert_eq(rv_run_to(c, n), CPU_EXIT_LIMIT, "step %llu", (unsigned long long)n);
    cr_assert_eq(c->s.icount, n);
    steps[n] = c->s;
  }
  for (uint64_t n = 0; n <= count; n++) {
    if (n % 2) cpu_flush_code(c);
    start(pc);
    cr_assert_eq(rv_run_to(c, n), CPU_EXIT_LIMIT);
    rv_expect_state(&c->s, &steps[n], "limit", n);
  }
  free(steps);
}

void rv_expect_slices_are_whole(cpu *c, rv_start_fn *start, uint32_t pc,
                                bool flush_tlb) {
  start(pc);
  cr_assert_eq(rv_run_to(c, UINT64_MAX), CPU_EXIT_EBREAK);
  const cpu_state whole = c->s;
  static const uint64_t slices[] = {1, 2, 3, 5, 7, 11, 13, 64, 1000};
  for (size_t i = 0; i < sizeof slices / sizeof slices[0]; i++) {
    cpu_flush_code(c);
    start(pc);
    cpu_exit e;
    do {
      if (flush_tlb && i % 2) cpu_tlb_flush(c);
      e = rv_run_to(c, c->s.icount + slices[i]);
    } while (e == CPU_EXIT_LIMIT);
    cr_expect_eq(e, CPU_EXIT_EBREAK);
    rv_expect_state(&c->s, &whole, "slice", slices[i]);
  }
}
