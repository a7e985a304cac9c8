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
 * names and the control flow around them.  The loop itself is in
 * exec_loop.h, compiled once per mode: decoded code is kept per physical
 * page, so kernel and user mode share it.
 */
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "dcache.h"
#include "ops.h"

#define NO_TARGET 0xffffu
#define REG_DISCARD 32 /* writes to x0 land here and are never read */

#if defined(__GNUC__)
#define CPU_THREADED 1
/* labels as values are the one extension this file relies on */
#pragma GCC diagnostic ignored "-Wpedantic"
#else
#define CPU_THREADED 0
#endif

/* Where the instruction at guest address a (in the current page) is. */
#define INSN_WORD(a) ld4(ram + page_off + ((a) & (CPU_PAGE_SIZE - 1)))

static uint32_t ld1(const uint8_t *p) { return p[0]; }
static uint32_t ld2(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t ld4(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static void st1(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; }
static void st2(uint8_t *p, uint32_t v) { uint16_t h = (uint16_t)v; memcpy(p, &h, 2); }
static void st4(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

bool cpu_init(cpu *c, uint8_t *ram, uint32_t ram_size) {
  memset(c, 0, sizeof *c);
  c->ram = ram;
  c->ram_size = ram_size;
  c->dpages = calloc(ram_size / CPU_PAGE_SIZE, sizeof *c->dpages);
  c->page_gen = calloc(ram_size / CPU_PAGE_SIZE, sizeof *c->page_gen);
  c->gen = 1; /* every page counts as written at the start */
  cpu_dirty_all(c);
  return c->dpages != NULL && c->page_gen != NULL;
}

void cpu_free(cpu *c) {
  if (c->dpages) {
    for (uint32_t i = 0; i < c->ram_size / CPU_PAGE_SIZE; i++) free(c->dpages[i]);
  }
  free(c->dpages);
  c->dpages = NULL;
  free(c->page_gen);
  c->page_gen = NULL;
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

static bool ends_block(cpu_op op) {
  switch (cpu_insn_table[op].kind) {
  case CPU_KIND_ALU:
  case CPU_KIND_LOAD:
  case CPU_KIND_STORE: return false;
  default: return true;
  }
}

static bool is_breakpoint(const cpu *c, uint32_t addr) {
  for (unsigned k = 0; k < c->nbp; k++) {
    if (c->bp[k] == addr) return true;
  }
  return false;
}

void cpu_set_breakpoints(cpu *c, const uint32_t *addrs, unsigned n) {
  if (n > CPU_MAX_BREAKPOINTS) n = CPU_MAX_BREAKPOINTS;
  if (n) memcpy(c->bp, addrs, n * sizeof *addrs); /* addrs may be NULL */
  c->nbp = n;
  cpu_flush_code(c);
}

/* Decodes the block starting at word i of the page at RAM offset page_off,
 * which the running code sees at address page_pc. */
static void decode_block(const cpu *c, cpu_dpage *pg, unsigned i,
                         uint32_t page_off, uint32_t page_pc) {
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
    if (c->nbp && is_breakpoint(c, page_pc + j * 4)) in->op = CPU_OP_BREAKPOINT;
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
    if (*slot) cpu_dcache_clear(*slot);
  }
  return *slot;
}

#define RD r[ins->rd]
#define RS1 r[ins->rs1]
#define RS2 r[ins->rs2]
#define IMM ins->imm
#define PC (page_pc + (uint32_t)(ins - pg->insn) * 4u)
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
#define POST_ALU(match) NEXT();
#define POST_LOAD(match) NEXT();
/* After a store: drop decoded code it overwrote.  A misaligned store can
 * reach into the next page, so both ends are checked. */
#define STORE_DROP_CODE(match)                                         \
  page_gen[off_ / CPU_PAGE_SIZE] = gen;                                \
  page_gen[(off_ + MEM_SIZE(match) - 1) / CPU_PAGE_SIZE] = gen;        \
  if (c->dpages[off_ / CPU_PAGE_SIZE] ||                               \
      c->dpages[(off_ + MEM_SIZE(match) - 1) / CPU_PAGE_SIZE]) {       \
    unsigned left_ = ins->blen; /* dropping code clears it */          \
    if (cpu_dcache_drop(c, off_, MEM_SIZE(match))) {                         \
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


/* User-mode access that missed the TLB fast path: translates (filling the
 * TLB) and points *mp at the bytes.  An access that crosses a page boundary
 * is checked on both sides before either PTE gets its A or D bit, so it
 * either faults whole, changing nothing, or completes whole; its bytes go
 * through split (gathered for a load here, scattered for a store by
 * user_scatter afterwards). */
static bool user_access(cpu *c, uint32_t va, uint32_t size, cpu_access acc,
                        uint8_t split[4], uint8_t **mp) {
  uint32_t off, off_last;
  if ((va & (CPU_PAGE_SIZE - 1)) <= CPU_PAGE_SIZE - size) {
    if (!cpu_translate(c, va, acc, &off)) return false;
    *mp = c->ram + off;
    return true;
  }
  if (!cpu_translate_check(c, va, acc) ||
      !cpu_translate_check(c, va + size - 1, acc) ||
      !cpu_translate(c, va, acc, &off) ||
      !cpu_translate(c, va + size - 1, acc, &off_last)) {
    return false;
  }
  if (acc == CPU_ACCESS_LOAD) {
    for (uint32_t i = 0; i < size; i++) {
      uint32_t o;
      if (!cpu_translate(c, va + i, acc, &o)) return false;
      split[i] = c->ram[o];
    }
  }
  *mp = split;
  return true;
}

static void user_scatter(cpu *c, uint32_t va, uint32_t size,
                         const uint8_t split[4]) {
  for (uint32_t i = 0; i < size; i++) {
    uint32_t o;
    if (!cpu_translate(c, va + i, CPU_ACCESS_STORE, &o)) continue; /* checked */
    c->ram[o] = split[i];
    c->page_gen[o / CPU_PAGE_SIZE] = c->gen;
    cpu_dcache_drop(c, o, 1);
  }
}

#if CPU_THREADED
#define CASE(id) L_##id:
#define DISPATCH() goto *labels[ins->op]
#else
#define CASE(id) case CPU_OP_##id:
#define DISPATCH() goto dispatch
#endif
#define NEXT() do { ins++; DISPATCH(); } while (0)

/* True when an access of size bytes at addr touches a watched range. */
static bool watch_match(cpu *c, uint32_t addr, uint32_t size, bool is_write) {
  for (unsigned k = 0; k < c->nwatch; k++) {
    const cpu_watch *w = &c->watch[k];
    if (!(is_write ? w->on_write : w->on_read)) continue;
    if (addr - w->addr < w->len || w->addr - addr < size) {
      c->watch_hit = (cpu_watch_hit){addr, size, is_write, k};
      return true;
    }
  }
  return false;
}

#define LOOP_NAME run_kernel
#define LOOP_USER 0
#define LOOP_WATCH 0
#include "exec_loop.h"

#define LOOP_NAME run_user
#define LOOP_USER 1
#define LOOP_WATCH 0
#include "exec_loop.h"

#define LOOP_NAME run_kernel_watched
#define LOOP_USER 0
#define LOOP_WATCH 1
#include "exec_loop.h"

#define LOOP_NAME run_user_watched
#define LOOP_USER 1
#define LOOP_WATCH 1
#include "exec_loop.h"

cpu_exit cpu_run(cpu *c, uint64_t limit) {
  bool user = c->s.mode == CPU_MODE_USER;
  if (c->nwatch && !c->watch_skip) {
    return user ? run_user_watched(c, limit) : run_kernel_watched(c, limit);
  }
  return user ? run_user(c, limit) : run_kernel(c, limit);
}
