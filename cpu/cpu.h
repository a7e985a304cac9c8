/* The guest CPU: an RV32IM + HCALL interpreter that knows no device.
 *
 * cpu_run() executes guest code until the instruction count reaches a limit
 * or something the CPU cannot handle alone happens (a hypercall, ECALL,
 * EBREAK, a fault); it returns that as an exit reason and the machine
 * decides what it means.  The guest-visible state is the plain struct
 * cpu_state; everything else in struct cpu is host-side plumbing (RAM
 * pointer, decoded-instruction cache) derived from it.
 *
 * Exits leave pc at the instruction that caused them and do not count it:
 * the machine calls cpu_retire() once it has carried out a hypercall.
 */
#ifndef PVLAB_CPU_H
#define PVLAB_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "insns.h"

#define CPU_RAM_BASE 0x80000000u
#define CPU_PAGE_SHIFT 12
#define CPU_PAGE_SIZE (1u << CPU_PAGE_SHIFT)

#define CPU_MODE_KERNEL 0 /* addresses are physical */
#define CPU_MODE_USER 1   /* addresses go through the Sv32 page tables */

/* Guest-visible CPU state: plain data, no host pointers. */
typedef struct cpu_state {
  uint32_t x[32]; /* x[0] is always 0 */
  uint32_t pc;
  uint64_t icount;  /* instructions retired since reset */
  uint32_t mode;    /* CPU_MODE_KERNEL or CPU_MODE_USER */
  uint32_t pt_root; /* physical address of the Sv32 root table, 0: none */
  uint32_t asid;    /* address-space id the kernel gave with pt_root */
} cpu_state;

/* The kinds of memory access, for translation and faults. */
typedef enum cpu_access {
  CPU_ACCESS_LOAD,
  CPU_ACCESS_STORE,
  CPU_ACCESS_FETCH,
  CPU_ACCESS_COUNT
} cpu_access;

typedef enum cpu_exit {
  CPU_EXIT_LIMIT,  /* icount reached the limit given to cpu_run */
  CPU_EXIT_HCALL,  /* pc is at an HCALL */
  CPU_EXIT_ECALL,  /* pc is at an ECALL */
  CPU_EXIT_EBREAK, /* pc is at an EBREAK */
  CPU_EXIT_FAULT,  /* see cpu.fault */
  CPU_EXIT_NOMEM,  /* the host could not allocate the decode cache */
  CPU_EXIT_BREAKPOINT, /* pc is at a debugger breakpoint, not executed */
  CPU_EXIT_WATCH,      /* pc is at an access to a watched range, not
                          executed; see cpu.watch_hit */
} cpu_exit;

typedef enum cpu_fault_kind {
  CPU_FAULT_NONE,
  CPU_FAULT_ILLEGAL,        /* undefined or privileged instruction */
  CPU_FAULT_FETCH,          /* pc outside RAM */
  CPU_FAULT_FETCH_MISALIGNED, /* pc not a multiple of 4 */
  CPU_FAULT_LOAD,           /* load outside RAM */
  CPU_FAULT_STORE,          /* store outside RAM */
  CPU_FAULT_ECALL,          /* ECALL with no guest kernel to take it (set
                               by the machine, not the CPU) */
  CPU_FAULT_PAGE_LOAD,      /* user mode: no readable user mapping */
  CPU_FAULT_PAGE_STORE,     /* user mode: no writable user mapping */
  CPU_FAULT_PAGE_FETCH,     /* user mode: no executable user mapping */
} cpu_fault_kind;

typedef struct cpu_fault {
  cpu_fault_kind kind;
  uint32_t addr; /* faulting data or fetch address */
  uint32_t insn; /* the instruction word (0 when it could not be fetched) */
  uint32_t from; /* fetch faults: pc of the jump that led there, if known */
  bool from_known;
} cpu_fault;

/* One opcode per row of the instruction list, plus the interpreter's own
 * pseudo-opcodes that never come from a guest word. */
typedef enum cpu_op {
#define CPU_OP_ENUM(id, name, fmt, kind, mask, match, sem) CPU_OP_##id,
  CPU_INSNS(CPU_OP_ENUM)
#undef CPU_OP_ENUM
  CPU_OP_INVALID,   /* a word no row matches */
  CPU_OP_COUNT_ISA, /* rows above this one are real instructions */
  CPU_OP_UNDECODED = CPU_OP_COUNT_ISA,
  CPU_OP_PAGE_END,  /* sentinel after a page's last word */
  CPU_OP_STOP,      /* temporary: stop here, the limit is reached */
  CPU_OP_BREAKPOINT, /* a debugger breakpoint on this word */
  CPU_OP_COUNT
} cpu_op;

typedef enum cpu_fmt { CPU_FMT_R, CPU_FMT_I, CPU_FMT_S, CPU_FMT_B, CPU_FMT_U,
                       CPU_FMT_J, CPU_FMT_SH, CPU_FMT_N } cpu_fmt;
typedef enum cpu_kind { CPU_KIND_ALU, CPU_KIND_LOAD, CPU_KIND_STORE,
                        CPU_KIND_BRANCH, CPU_KIND_JUMP, CPU_KIND_JUMPR,
                        CPU_KIND_SYNC, CPU_KIND_SYSTEM, CPU_KIND_ILLEGAL } cpu_kind;

/* A decoded instruction: what the decoder extracted from one guest word. */
typedef struct cpu_decoded {
  cpu_op op;
  uint8_t rd, rs1, rs2;
  uint32_t imm; /* sign-extended immediate (shamt for SH) */
} cpu_decoded;

typedef struct cpu_insn_info {
  const char *name; /* mnemonic as printed */
  cpu_fmt fmt;
  cpu_kind kind;
  uint32_t mask, match;
} cpu_insn_info;

/* Static description of every opcode, indexed by cpu_op (real rows only). */
extern const cpu_insn_info cpu_insn_table[CPU_OP_COUNT_ISA];

struct cpu_dpage;

/* One software-TLB entry: guest page (vaddr >> 12) + 1, 0 when empty, and
 * the RAM offset of the page it maps to. */
typedef struct cpu_tlb_entry {
  uint32_t tag;
  uint32_t off;
} cpu_tlb_entry;
#define CPU_TLB_SIZE 256u

/* Debugger support (host side, never guest state).  Breakpoints are
 * addresses as the running code sees them (physical in kernel mode,
 * virtual in user mode); they are decoded into the instruction cache, so
 * they cost nothing until hit.  Watchpoints are checked on every load and
 * store while any exist, by a separate instance of the interpreter loop. */
#define CPU_MAX_BREAKPOINTS 64
#define CPU_MAX_WATCHPOINTS 16
typedef struct cpu_watch {
  uint32_t addr, len;
  uint8_t on_read, on_write;
} cpu_watch;
typedef struct cpu_watch_hit {
  uint32_t addr, size; /* the access that hit */
  uint8_t is_write;
  unsigned index;      /* which watchpoint */
} cpu_watch_hit;

typedef struct cpu {
  cpu_state s;
  cpu_fault fault; /* valid after CPU_EXIT_FAULT */
  /* host side */
  uint8_t *ram;
  uint32_t ram_size;           /* bytes, a multiple of CPU_PAGE_SIZE */
  struct cpu_dpage **dpages;   /* decoded code per RAM page, NULL if none */
  struct cpu_insn *patch;      /* entry temporarily turned into a stop */
  uint8_t patch_op;            /* its real opcode */
  cpu_tlb_entry tlb[CPU_ACCESS_COUNT][CPU_TLB_SIZE]; /* user mode only */
  uint64_t tlb_misses;         /* statistics */
  uint32_t bp[CPU_MAX_BREAKPOINTS]; /* set with cpu_set_breakpoints */
  unsigned nbp;
  cpu_watch watch[CPU_MAX_WATCHPOINTS];
  unsigned nwatch;
  bool watch_skip;             /* run without checking watchpoints */
  cpu_watch_hit watch_hit;     /* valid after CPU_EXIT_WATCH */
  /* Which RAM pages changed when: every store (and every host write told
   * through cpu_code_written) stamps its page with gen.  Snapshots,
   * checkpoints and the state hash use it to look only at pages that
   * changed since they last looked (cpu_dirty_epoch). */
  uint32_t *page_gen;          /* per RAM page */
  uint32_t gen;
} cpu;

/* Sets up a CPU over ram_size bytes of host memory at guest CPU_RAM_BASE.
 * The CPU does not own ram.  Returns false when out of host memory. */
bool cpu_init(cpu *c, uint8_t *ram, uint32_t ram_size)
    __attribute__((warn_unused_result));
void cpu_free(cpu *c);
/* Zeroes the registers and the count, sets pc; keeps RAM. */
void cpu_reset(cpu *c, uint32_t pc);

/* Runs until s.icount == limit or an exit; see the header comment. */
cpu_exit cpu_run(cpu *c, uint64_t limit);
/* Completes the instruction at pc after the machine has carried it out. */
void cpu_retire(cpu *c);

/* Host view of guest physical memory [addr, addr+len), or NULL if any of
 * it lies outside RAM.  len 0 is valid inside RAM. */
uint8_t *cpu_guest_ptr(cpu *c, uint32_t addr, uint32_t len);
/* Must follow every host write into guest memory that may hold code. */
void cpu_code_written(cpu *c, uint32_t addr, uint32_t len);
/* Drops every decoded instruction (after RAM was replaced wholesale). */
void cpu_flush_code(cpu *c);

/* Starts a new write epoch and returns its number e: from now on a page
 * has been written since this call exactly when page_gen[page] >= e. */
uint32_t cpu_dirty_epoch(cpu *c);
/* Stamps every page as written now (after RAM was replaced wholesale). */
void cpu_dirty_all(cpu *c);

/* User-mode address translation (mmu.c).  cpu_translate() gives the RAM
 * offset for a user access to va, filling the TLB, or sets c->fault to the
 * page fault and returns false.  cpu_tlb_flush() must follow any change to
 * s.pt_root or to the page tables the TLB may have cached. */
bool cpu_translate(cpu *c, uint32_t va, cpu_access acc, uint32_t *off)
    __attribute__((warn_unused_result));
/* Whether cpu_translate() would succeed, changing nothing but c->fault
 * (set as cpu_translate sets it): no A or D bit, no TLB entry.  An access
 * that spans two pages checks both before translating either. */
bool cpu_translate_check(cpu *c, uint32_t va, cpu_access acc)
    __attribute__((warn_unused_result));
void cpu_tlb_flush(cpu *c);
/* What cpu_translate would answer, for a debugger: reads the tables but
 * changes nothing at all (no A/D bits, no TLB entry, no fault). */
bool cpu_peek_translate(const cpu *c, uint32_t va, cpu_access acc,
                        uint32_t *off) __attribute__((warn_unused_result));

/* Replaces the breakpoint set (at most CPU_MAX_BREAKPOINTS; extra ones are
 * ignored) and drops decoded code so that it takes effect. */
void cpu_set_breakpoints(cpu *c, const uint32_t *addrs, unsigned n);

/* Decoding, encoding and disassembly of single words. */
cpu_decoded cpu_decode(uint32_t word);
/* Builds the word for op with the given fields; fields a format does not
 * have are ignored.  Used by tests and the monitor's assembler. */
uint32_t cpu_encode(cpu_op op, unsigned rd, unsigned rs1, unsigned rs2,
                    int32_t imm);

/* Resolves an address to "symbol+offset" for the disassembler; returns
 * false when nothing is known. */
typedef bool (*cpu_symbolizer)(void *ctx, uint32_t addr, char *buf,
                               size_t size);
/* Writes the disassembly of word at pc into buf (always NUL-terminated). */
void cpu_disasm(uint32_t word, uint32_t pc, char *buf, size_t size,
                cpu_symbolizer sym, void *sym_ctx);

extern const char *const cpu_reg_names[32]; /* ABI names: zero, ra, sp ... */
const char *cpu_fault_name(cpu_fault_kind kind);

#endif
