/* The interpreter: decoded blocks, threaded dispatch, per-block counting.
 *
 * Every RAM page that has run code gets a cpu_dpage: one cpu_insn per word,
 * filled lazily a block at a time (a block runs to the next instruction that
 * can change control flow or leave the interpreter, or to the page's end).
 * Each entry knows how many instructions remain to its block's end (blen),
 * so entering a block adds blen to the count once and checks the limit
 * once; instructions inside a block cost only their own work and a jump.
 * When the limit falls inside a block, the entry where it falls is turned
 * into a STOP for this call, so stopping is exact at no cost to the fast
 * path.  A store into a word that has been decoded drops the page's
 * decoded code, which keeps self-modifying code and FENCE.I correct.
 *
 * The semantics come from insns.h; this file only supplies the operand
 * names and the control flow around them.
 */
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/ops.h"

#if defined(__GNUC__)
#define CPU_THREADED 1
/* labels as values are the one extension this file relies on */
#pragma GCC diagnostic ignored "-Wpedantic"
#else
#define CPU_THREADED 0
#endif

#define WORDS_PER_PAGE (CPU_PAGE_SIZE / 4)
#define NO_TARGET 0xffffu
#define REG_DISCARD 32 /* writes to x0 land here and are never read */

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

static uint32_t ld1(const uint8_t *p) { return p[0]; }
static uint32_t ld2(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t ld4(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static void st1(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; }
static void st2(uint8_t *p, uint32_t v) { uint16_t h = (uint16_t)v; memcpy(p, &h, 2); }
static void st4(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static void dpage_clear(cpu_dpage *pg) {
  for (unsigned i = 0; i < WORDS_PER_PAGE; i++) {
    pg->insn[i] = (cpu_insn){.op = CPU_OP_UNDECODED};
  }
  pg->insn[WORDS_PER_PAGE] = (cpu_insn){.op = CPU_OP_PAGE_END};
}

bool cpu_init(cpu *c, uint8_t *ram, uint32_t ram_size) {
  memset(c, 0, sizeof *c);
  c->ram = ram;
  c->ram_size = ram_size;
  c->dpages = calloc(ram_size / CPU_PAGE_SIZE, sizeof *c->dpages);
  return c->dpages != NULL;
}

void cpu_free(cpu *c) {
  if (c->dpages) {
    for (uint32_t i = 0; i < c->ram_size / CPU_PAGE_SIZE; i++) free(c->dpages[i]);
  }
  free(c->dpages);
  c->dpages = NULL;
}

void cpu_reset(cpu *c, uint32_t pc) {
  memset(&c->s, 0, sizeof c->s);
  memset(&c->fault, 0, sizeof c->fault);
  c->s.pc = pc;
}

void cpu_retire(cpu *c) {
  c->s.pc += 4;
  c->s.icount++;
}

uint8_t *cpu_guest_ptr(cpu *c, uint32_t addr, uint32_t len) {
  uint32_t off = addr - CPU_RAM_BASE;
  if (off > c->ram_size || len > c->ram_size - off) return NULL;
  return c->ram + off;
}

static void invalidate_page(cpu *c, uint32_t page) {
  cpu_dpage *pg = c->dpages[page];
  if (c->patch && c->patch >= pg->insn && c->patch <= pg->insn + WORDS_PER_PAGE) {
    c->patch = NULL; /* the clear below overwrites the STOP as well */
  }
  dpage_clear(pg);
}

/* True when the word holding RAM offset off has been decoded. */
static bool word_decoded(const cpu *c, uint32_t off) {
  const cpu_dpage *pg = c->dpages[off / CPU_PAGE_SIZE];
  return pg && pg->insn[(off / 4) % WORDS_PER_PAGE].op != CPU_OP_UNDECODED;
}

/* Drops decoded code overlapping RAM [off, off+len); returns true if any. */
static bool drop_code(cpu *c, uint32_t off, uint32_t len) {
  bool hit = false;
  for (uint32_t w = off & ~3u; len && w < off + len && w < c->ram_size; w += 4) {
    if (word_decoded(c, w)) {
      invalidate_page(c, w / CPU_PAGE_SIZE);
      hit = true;
      w |= CPU_PAGE_SIZE - 4; /* the page is clear: skip to the next one */
    }
  }
  return hit;
}

void cpu_code_written(cpu *c, uint32_t addr, uint32_t len) {
  uint32_t off = addr - CPU_RAM_BASE;
  if (off >= c->ram_size) return;
  if (len > c->ram_size - off) len = c->ram_size - off;
  drop_code(c, off, len);
}

void cpu_flush_code(cpu *c) {
  for (uint32_t i = 0; i < c->ram_size / CPU_PAGE_SIZE; i++) {
    if (c->dpages[i]) invalidate_page(c, i);
  }
}

static bool ends_block(cpu_op op) {
  switch (cpu_insn_table[op].kind) {
  case CPU_KIND_ALU:
  case CPU_KIND_LOAD:
  case CPU_KIND_STORE: return false;
  default: return true;
  }
}

/* Decodes the block starting at word i of the page at RAM offset page_off. */
static void decode_block(const cpu *c, cpu_dpage *pg, unsigned i,
                         uint32_t page_off) {
  unsigned j = i;
  unsigned after = 0; /* blen of the decoded block this one runs into */
  for (;;) {
    cpu_insn *in = &pg->insn[j];
    if (in->op != CPU_OP_UNDECODED) {
      after = in->blen;
      break;
    }
    cpu_decoded d = cpu_decode(ld4(c->ram + page_off + j * 4));
    in->op = (uint8_t)d.op;
    in->rd = d.rd ? d.rd : REG_DISCARD;
    in->rs1 = d.rs1;
    in->rs2 = d.rs2;
    in->imm = d.imm;
    in->target = NO_TARGET;
    cpu_kind kind = cpu_insn_table[d.op].kind;
    if (kind == CPU_KIND_BRANCH || kind == CPU_KIND_JUMP) {
      uint32_t t = j * 4 + d.imm; /* offset within the page, if it stays */
      if (t < CPU_PAGE_SIZE && (t & 3) == 0) in->target = (uint16_t)(t / 4);
    }
    j++;
    if (ends_block(d.op) || j == WORDS_PER_PAGE) break;
  }
  for (unsigned k = i; k < j; k++) pg->insn[k].blen = (uint16_t)(j - k + after);
}

/* Puts back the entry turned into a STOP.  Needed before leaving a block
 * early as well as on the way out: re-entering the block would otherwise
 * patch the STOP again and keep STOP as its "real" opcode. */
static void unpatch(cpu *c) {
  if (c->patch) {
    c->patch->op = c->patch_op;
    c->patch = NULL;
  }
}

/* The page holding RAM offset off, allocated on first use. */
static cpu_dpage *dpage_get(cpu *c, uint32_t off) {
  cpu_dpage **slot = &c->dpages[off / CPU_PAGE_SIZE];
  if (!*slot) {
    *slot = malloc(sizeof **slot);
    if (*slot) dpage_clear(*slot);
  }
  return *slot;
}

#define RD r[ins->rd]
#define RS1 r[ins->rs1]
#define RS2 r[ins->rs2]
#define IMM ins->imm
#define PC (page_pc + (uint32_t)(ins - pg->insn) * 4u)
#define LOAD(n) ld##n(ram + off_)
#define STORE(n, v) st##n(ram + off_, v)
#define MEM_SIZE(match) (1u << (((match) >> 12) & 3u))

/* A taken branch or jump: stay in this page's array when we can. */
#define GO_TARGET(t)                                                   \
  do {                                                                 \
    if (ins->target != NO_TARGET) {                                    \
      ins = pg->insn + ins->target;                                    \
      goto block;                                                      \
    }                                                                  \
    from = PC;                                                         \
    from_known = true;                                                 \
    pc = (t);                                                          \
    goto enter;                                                        \
  } while (0)
#define BRANCH(cond)                                                   \
  do {                                                                 \
    if (cond) {                                                        \
      if ((IMM & 3u) != 0) goto misaligned_jump;                       \
      GO_TARGET(PC + IMM);                                             \
    }                                                                  \
    ins++;                                                             \
    goto block;                                                        \
  } while (0)
#define JUMP(t)                                                        \
  do {                                                                 \
    uint32_t t_ = (t), link_ = PC + 4;                                 \
    if ((t_ & 3u) != 0) goto misaligned_jump;                          \
    RD = link_;                                                        \
    if (((t_ ^ page_pc) & ~(CPU_PAGE_SIZE - 1)) == 0) {                \
      ins = pg->insn + (t_ & (CPU_PAGE_SIZE - 1)) / 4;                 \
      goto block;                                                      \
    }                                                                  \
    from = link_ - 4;                                                  \
    from_known = true;                                                 \
    pc = t_;                                                           \
    goto enter;                                                        \
  } while (0)
#define EXIT(reason) do { why = (reason); goto exit_here; } while (0)
#define ILLEGAL() goto illegal
/* Leaves the block after this instruction; the rest was counted on entry. */
#define END_BLOCK_LEFT(left)                                           \
  do {                                                                 \
    icount -= (left) - 1u;                                             \
    pc = PC + 4;                                                       \
    from_known = false;                                                \
    goto enter;                                                        \
  } while (0)
#define END_BLOCK() END_BLOCK_LEFT(ins->blen)

/* What happens around each instruction's semantics, by kind. */
#define PRE_ALU(match)
#define PRE_SYNC(match)
#define PRE_SYSTEM(match)
#define PRE_ILLEGAL(match)
#define PRE_BRANCH(match)
#define PRE_JUMP(match)
#define PRE_JUMPR(match)
#define PRE_LOAD(match)                                                \
  off_ = RS1 + IMM - CPU_RAM_BASE;                                     \
  if (off_ > ram_size - MEM_SIZE(match)) goto load_fault;
#define PRE_STORE(match)                                               \
  off_ = RS1 + IMM - CPU_RAM_BASE;                                     \
  if (off_ > ram_size - MEM_SIZE(match)) goto store_fault;
#define POST_ALU(match) NEXT();
#define POST_LOAD(match) NEXT();
/* A misaligned store can reach into the next page: check both ends. */
#define POST_STORE(match)                                              \
  if (c->dpages[off_ / CPU_PAGE_SIZE] ||                               \
      c->dpages[(off_ + MEM_SIZE(match) - 1) / CPU_PAGE_SIZE]) {       \
    unsigned left_ = ins->blen; /* dropping code clears it */          \
    if (drop_code(c, off_, MEM_SIZE(match))) {                         \
      unpatch(c);                                                      \
      END_BLOCK_LEFT(left_);                                           \
    }                                                                  \
  }                                                                    \
  NEXT();
#define POST_SYNC(match)
#define POST_SYSTEM(match)
#define POST_ILLEGAL(match)
#define POST_BRANCH(match)
#define POST_JUMP(match)
#define POST_JUMPR(match)

#if CPU_THREADED
#define CASE(id) L_##id:
#define DISPATCH() goto *labels[ins->op]
#else
#define CASE(id) case CPU_OP_##id:
#define DISPATCH() goto dispatch
#endif
#define NEXT() do { ins++; DISPATCH(); } while (0)

cpu_exit cpu_run(cpu *c, uint64_t limit) {
  uint32_t r[33];
  memcpy(r, c->s.x, sizeof c->s.x);
  r[REG_DISCARD] = 0;
  uint8_t *const ram = c->ram;
  const uint32_t ram_size = c->ram_size;
  uint64_t icount = c->s.icount;
  uint32_t pc = c->s.pc, page_pc = 0, off_ = 0, from = 0;
  bool from_known = false;
  cpu_dpage *pg = NULL;
  cpu_insn *ins = NULL;
  cpu_exit why = CPU_EXIT_LIMIT;

#if CPU_THREADED
  static const void *const labels[CPU_OP_COUNT] = {
#define CPU_LABEL(id, name, fmt, kind, mask, match, sem) [CPU_OP_##id] = &&L_##id,
    CPU_INSNS(CPU_LABEL)
#undef CPU_LABEL
    [CPU_OP_INVALID] = &&L_INVALID,
    [CPU_OP_UNDECODED] = &&L_UNDECODED,
    [CPU_OP_PAGE_END] = &&L_PAGE_END,
    [CPU_OP_STOP] = &&L_STOP,
  };
#endif

enter: /* pc is the next instruction; icount is exact */
  if (icount >= limit) goto out;
  if ((pc & 3u) != 0) {
    c->fault = (cpu_fault){CPU_FAULT_FETCH_MISALIGNED, pc, 0, from, from_known};
    goto fault_out;
  }
  if (pc - CPU_RAM_BASE >= ram_size) {
    c->fault = (cpu_fault){CPU_FAULT_FETCH, pc, 0, from, from_known};
    goto fault_out;
  }
  pg = dpage_get(c, pc - CPU_RAM_BASE);
  if (!pg) {
    why = CPU_EXIT_NOMEM;
    goto out;
  }
  page_pc = pc & ~(CPU_PAGE_SIZE - 1);
  ins = pg->insn + (pc & (CPU_PAGE_SIZE - 1)) / 4;

block: /* ins starts a block (or is the page-end sentinel) */
  if (ins->op == CPU_OP_UNDECODED) {
    decode_block(c, pg, (unsigned)(ins - pg->insn), page_pc - CPU_RAM_BASE);
  }
  icount += ins->blen;
  if (icount > limit) {
    icount -= ins->blen;
    if (icount == limit) {
      pc = PC;
      goto out;
    }
    c->patch = ins + (limit - icount);
    c->patch_op = c->patch->op;
    c->patch->op = CPU_OP_STOP;
    icount += ins->blen;
  }
  DISPATCH();

#if !CPU_THREADED
dispatch:
  switch (ins->op) {
#endif

#define CPU_BODY(id, name, fmt, kind, mask, match, sem) \
  CASE(id) { PRE_##kind(match) sem; POST_##kind(match) }
  CPU_INSNS(CPU_BODY)
#undef CPU_BODY

  CASE(INVALID) goto illegal;
  CASE(UNDECODED) goto block; /* not reached: blocks are decoded on entry */
  CASE(PAGE_END) {
    pc = page_pc + CPU_PAGE_SIZE;
    from_known = false;
    goto enter;
  }
  CASE(STOP) {
    icount -= ins->blen;
    pc = PC;
    goto out;
  }
#if !CPU_THREADED
  default: goto illegal;
  }
#endif

misaligned_jump:
  icount -= ins->blen;
  pc = PC;
  c->fault = (cpu_fault){CPU_FAULT_FETCH_MISALIGNED, 0, ld4(ram + (pc - CPU_RAM_BASE)), pc, true};
  c->fault.addr = cpu_insn_table[ins->op].kind == CPU_KIND_JUMPR
                      ? (RS1 + IMM) & ~1u
                      : pc + IMM;
  goto fault_out;
load_fault:
  icount -= ins->blen;
  pc = PC;
  c->fault = (cpu_fault){CPU_FAULT_LOAD, RS1 + IMM, ld4(ram + (pc - CPU_RAM_BASE)), 0, false};
  goto fault_out;
store_fault:
  icount -= ins->blen;
  pc = PC;
  c->fault = (cpu_fault){CPU_FAULT_STORE, RS1 + IMM, ld4(ram + (pc - CPU_RAM_BASE)), 0, false};
  goto fault_out;
illegal:
  icount -= ins->blen;
  pc = PC;
  c->fault = (cpu_fault){CPU_FAULT_ILLEGAL, pc, ld4(ram + (pc - CPU_RAM_BASE)), 0, false};
  goto fault_out;
exit_here:
  icount -= ins->blen;
  pc = PC;
  goto out;
fault_out:
  why = CPU_EXIT_FAULT;
out:
  unpatch(c);
  memcpy(c->s.x, r, sizeof c->s.x);
  c->s.pc = pc;
  c->s.icount = icount;
  return why;
}
