/* The decoded-code cache, private to cpu/: every RAM page that has run code
 * gets a cpu_dpage, one cpu_insn per word.  The interpreter (exec.c) fills
 * and runs it; guest RAM's writers (ram.c, and exec.c's own stores) drop
 * what they overwrite.  Inline, because a store checks it on the fast path. */
#ifndef PVLAB_CPU_DCACHE_H
#define PVLAB_CPU_DCACHE_H
#ifndef PVLAB_CPU_INTERNAL
#error "dcache.h is private to cpu/: include cpu.h"
#endif

#include "cpu.h"

#define WORDS_PER_PAGE (CPU_PAGE_SIZE / 4)

typedef struct cpu_insn {
  uint8_t op, rd, rs1, rs2;
  uint32_t imm;
  uint16_t blen;   /* instructions from here to the end of the block */
  uint16_t target; /* branch/jal target word in this page, or NO_TARGET */
  uint32_t unused; /* keeps the entry 16 bytes: index arithmetic is a shift */
} cpu_insn;

typedef struct cpu_dpage {
  cpu_insn insn[WORDS_PER_PAGE + 1]; /* + the PAGE_END sentinel */
} cpu_dpage;

static inline void cpu_dcache_clear(cpu_dpage *pg) {
  for (unsigned i = 0; i < WORDS_PER_PAGE; i++) {
    pg->insn[i] = (cpu_insn){.op = CPU_OP_UNDECODED};
  }
  pg->insn[WORDS_PER_PAGE] = (cpu_insn){.op = CPU_OP_PAGE_END};
}

static inline void cpu_dcache_drop_page(cpu *c, uint32_t page) {
  cpu_dpage *pg = c->dpages[page];
  if (c->patch && c->patch >= pg->insn && c->patch <= pg->insn + WORDS_PER_PAGE) {
    c->patch = NULL; /* the clear below overwrites the STOP as well */
  }
  cpu_dcache_clear(pg);
}

/* True when the word holding RAM offset off has been decoded. */
static inline bool cpu_dcache_has_word(const cpu *c, uint32_t off) {
  const cpu_dpage *pg = c->dpages[off / CPU_PAGE_SIZE];
  return pg && pg->insn[(off / 4) % WORDS_PER_PAGE].op != CPU_OP_UNDECODED;
}

/* Drops decoded code overlapping RAM [off, off+len); returns true if any. */
static inline bool cpu_dcache_drop(cpu *c, uint32_t off, uint32_t len) {
  bool hit = false;
  for (uint32_t w = off & ~3u; len && w < off + len && w < c->ram_size; w += 4) {
    if (cpu_dcache_has_word(c, w)) {
      cpu_dcache_drop_page(c, w / CPU_PAGE_SIZE);
      hit = true;
      w |= CPU_PAGE_SIZE - 4; /* the page is clear: skip to the next one */
    }
  }
  return hit;
}

#endif
