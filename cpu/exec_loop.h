/* The interpreter loop, included four times by exec.c: for kernel mode
 * (LOOP_USER 0: addresses are physical) and user mode (LOOP_USER 1: every
 * fetch, load and store goes through the Sv32 TLB), each without and with
 * watchpoint checks before every load and store (LOOP_WATCH).  Only the memory
 * access macros and the fetch differ; the instruction bodies come from
 * insns.h in both, so the two modes cannot disagree on semantics.
 * Expects LOOP_NAME, LOOP_USER and LOOP_WATCH; undefines them. */

#if LOOP_WATCH
#define WATCH_CHECK(addr, match, is_write) \
  if (watch_match(c, addr, MEM_SIZE(match), is_write)) goto watch_exit;
#else
#define WATCH_CHECK(addr, match, is_write)
#endif

#if LOOP_USER
#define LOAD(n) ld##n(mp_)
#define STORE(n, v) st##n(mp_, v)
/* A TLB hit that stays inside the page is the fast path; anything else
 * (miss, page crossing, fault) goes to user_access().  The walk may set A
 * or D in a PTE that shares this page with decoded code, which drops the
 * page's decoded code under this very instruction (its fields included):
 * nothing has been accessed yet, so the instruction starts over, and finds
 * its translation in the TLB this time. */
#define USER_ACCESS(acc, match)                                         \
  do {                                                                  \
    va_ = RS1 + IMM;                                                    \
    const cpu_tlb_entry *e_ =                                           \
        &c->tlb[acc][(va_ >> CPU_PAGE_SHIFT) % CPU_TLB_SIZE];           \
    if (e_->tag == (va_ >> CPU_PAGE_SHIFT) + 1 &&                       \
        (va_ & (CPU_PAGE_SIZE - 1)) <= CPU_PAGE_SIZE - MEM_SIZE(match)) { \
      mp_ = ram + e_->off + (va_ & (CPU_PAGE_SIZE - 1));                \
    } else {                                                            \
      unsigned left_ = ins->blen;                                       \
      if (!user_access(c, va_, MEM_SIZE(match), acc, split_, &mp_)) {   \
        goto mmu_fault;                                                 \
      }                                                                 \
      if (ins->op == CPU_OP_UNDECODED) {                                \
        unpatch(c);                                                     \
        icount -= left_;                                                \
        pc = PC;                                                        \
        from_known = false;                                             \
        goto enter;                                                     \
      }                                                                 \
    }                                                                   \
  } while (0);
#define PRE_LOAD(match)                                                 \
  WATCH_CHECK(RS1 + IMM, match, false) USER_ACCESS(CPU_ACCESS_LOAD, match)
#define PRE_STORE(match)                                                \
  WATCH_CHECK(RS1 + IMM, match, true) USER_ACCESS(CPU_ACCESS_STORE, match)
/* A store split across two pages went to split_: scatter it, and leave the
 * block in case it landed on decoded code. */
#define POST_STORE(match)                                               \
  if (mp_ == split_) {                                                  \
    unsigned left_ = ins->blen;                                         \
    user_scatter(c, va_, MEM_SIZE(match), split_);                      \
    unpatch(c);                                                         \
    END_BLOCK_LEFT(left_);                                              \
  }                                                                     \
  off_ = (uint32_t)(mp_ - ram);                                         \
  STORE_DROP_CODE(match)
#else
#define LOAD(n) ld##n(ram + off_)
#define STORE(n, v) st##n(ram + off_, v)
#define PRE_LOAD(match)                                                 \
  WATCH_CHECK(RS1 + IMM, match, false)                                  \
  off_ = RS1 + IMM - CPU_RAM_BASE;                                      \
  if (off_ > ram_size - MEM_SIZE(match)) goto load_fault;
#define PRE_STORE(match)                                                \
  WATCH_CHECK(RS1 + IMM, match, true)                                   \
  off_ = RS1 + IMM - CPU_RAM_BASE;                                      \
  if (off_ > ram_size - MEM_SIZE(match)) goto store_fault;
#define POST_STORE(match) STORE_DROP_CODE(match)
#endif

static cpu_exit LOOP_NAME(cpu *c, uint64_t limit) {
  uint32_t r[33];
  memcpy(r, c->s.x, sizeof c->s.x);
  r[REG_DISCARD] = 0;
  uint8_t *const ram = c->ram;
  uint32_t *const page_gen = c->page_gen;
  const uint32_t gen = c->gen;
  uint64_t icount = c->s.icount;
  uint32_t pc = c->s.pc, page_pc = 0, page_off = 0, off_ = 0, from = 0;
  bool from_known = false;
  cpu_dpage *pg = NULL;
  cpu_insn *ins = NULL;
  cpu_exit why = CPU_EXIT_LIMIT;
#if LOOP_USER
  uint32_t va_ = 0;
  uint8_t *mp_ = NULL;
  uint8_t split_[4];
#endif

#if CPU_THREADED
  static const void *const labels[CPU_OP_COUNT] = {
#define CPU_LABEL(id, name, fmt, kind, mask, match, sem) [CPU_OP_##id] = &&L_##id,
    CPU_INSNS(CPU_LABEL)
#undef CPU_LABEL
    [CPU_OP_INVALID] = &&L_INVALID,
    [CPU_OP_UNDECODED] = &&L_UNDECODED,
    [CPU_OP_PAGE_END] = &&L_PAGE_END,
    [CPU_OP_STOP] = &&L_STOP,
    [CPU_OP_BREAKPOINT] = &&L_BREAKPOINT,
  };
#endif

enter: /* pc is the next instruction; icount is exact */
  if (icount >= limit) goto out;
  if ((pc & 3u) != 0) {
    c->fault = (cpu_fault){CPU_FAULT_FETCH_MISALIGNED, pc, 0, from, from_known};
    goto fault_out;
  }
#if LOOP_USER
  if (!cpu_translate(c, pc, CPU_ACCESS_FETCH, &page_off)) {
    c->fault.from = from;
    c->fault.from_known = from_known;
    goto fault_out;
  }
  page_off &= ~(CPU_PAGE_SIZE - 1);
#else
  const uint32_t ram_size = c->ram_size;
  if (pc - CPU_RAM_BASE >= ram_size) {
    c->fault = (cpu_fault){CPU_FAULT_FETCH, pc, 0, from, from_known};
    goto fault_out;
  }
  page_off = (pc - CPU_RAM_BASE) & ~(CPU_PAGE_SIZE - 1);
#endif
  pg = dpage_get(c, page_off);
  if (!pg) {
    why = CPU_EXIT_NOMEM;
    goto out;
  }
  page_pc = pc & ~(CPU_PAGE_SIZE - 1);
  ins = pg->insn + (pc & (CPU_PAGE_SIZE - 1)) / 4;

block: /* ins starts a block (or is the page-end sentinel) */
  if (ins->op == CPU_OP_UNDECODED) {
    decode_block(c, pg, (unsigned)(ins - pg->insn), page_off, page_pc);
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
  CASE(BREAKPOINT) {
    why = CPU_EXIT_BREAKPOINT;
    goto exit_here;
  }
#if !CPU_THREADED
  default: goto illegal;
  }
#endif

misaligned_jump:
  icount -= ins->blen;
  pc = PC;
  c->fault = (cpu_fault){CPU_FAULT_FETCH_MISALIGNED, 0, INSN_WORD(pc), pc, true};
  c->fault.addr = cpu_insn_table[ins->op].kind == CPU_KIND_JUMPR
                      ? (RS1 + IMM) & ~1u
                      : pc + IMM;
  goto fault_out;
#if LOOP_USER
mmu_fault: /* cpu_translate set the kind and the address */
  icount -= ins->blen;
  pc = PC;
  c->fault.insn = INSN_WORD(pc);
  goto fault_out;
#else
load_fault:
  icount -= ins->blen;
  pc = PC;
  c->fault = (cpu_fault){CPU_FAULT_LOAD, RS1 + IMM, INSN_WORD(pc), 0, false};
  goto fault_out;
store_fault:
  icount -= ins->blen;
  pc = PC;
  c->fault = (cpu_fault){CPU_FAULT_STORE, RS1 + IMM, INSN_WORD(pc), 0, false};
  goto fault_out;
#endif
illegal:
  icount -= ins->blen;
  pc = PC;
  c->fault = (cpu_fault){CPU_FAULT_ILLEGAL, pc, INSN_WORD(pc), 0, false};
  goto fault_out;
#if LOOP_WATCH
watch_exit:
  why = CPU_EXIT_WATCH;
  goto exit_here;
#endif
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

#undef LOAD
#undef STORE
#undef PRE_LOAD
#undef PRE_STORE
#undef POST_STORE
#undef USER_ACCESS
#undef WATCH_CHECK
#undef LOOP_NAME
#undef LOOP_USER
#undef LOOP_WATCH
