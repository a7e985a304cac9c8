/* User mode: every fetch, load and store through Sv32 page tables that the
 * tests build by hand in guest RAM, as a guest kernel would.  Covers where
 * accesses land, every kind of page fault (and that a fault changes
 * nothing), the A and D bits, the TLB and its flush, accesses that cross
 * into a non-adjacent physical page, self-modifying code through an alias,
 * exact limits and slices, jumps, exits, and kernel and user mode sharing
 * decoded code.  Expected values follow the RISC-V privileged spec (Sv32)
 * and are worked out by hand from the layout below. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "rv_asm.h"

#define RAM_SIZE (6u << 20) /* the megapage at +4 MiB is half in RAM */
#define BASE CPU_RAM_BASE
#define PAGE CPU_PAGE_SIZE
#define END (BASE + RAM_SIZE)
#define FOREVER UINT64_MAX

/* PTE bits as the privileged spec numbers them. */
#define PTE_V 0x01u
#define PTE_R 0x02u
#define PTE_W 0x04u
#define PTE_X 0x08u
#define PTE_U 0x10u
#define PTE_G 0x20u
#define PTE_A 0x40u
#define PTE_D 0x80u
#define PTE_RSW 0x300u
#define URWX (PTE_V | PTE_R | PTE_W | PTE_X | PTE_U)
#define URW (PTE_V | PTE_R | PTE_W | PTE_U)
#define URX (PTE_V | PTE_R | PTE_X | PTE_U)
#define UR (PTE_V | PTE_R | PTE_U)
#define UX (PTE_V | PTE_X | PTE_U)

/* Physical layout.  CODE2 lies below CODE, DATA2 below DATA: the page after
 * a virtual page is never the physical page after it. */
#define ROOT (BASE + 0x1000u)     /* root table */
#define L0 (BASE + 0x2000u)       /* leaf table of root[1]: va 0x004xxxxx */
#define ROOT2 (BASE + 0x3000u)    /* a second address space */
#define L0B (BASE + 0x4000u)
#define CODE2_PA (BASE + 0x7000u)
#define CODE_PA (BASE + 0x10000u)
#define CODE_NEXT_PA (BASE + 0x11000u) /* CODE's physical neighbour */
#define DATA2_PA (BASE + 0x15000u)
#define DATA_PA (BASE + 0x20000u)
#define DATA_NEXT_PA (BASE + 0x21000u) /* DATA's physical neighbour */
#define SPARE_PA (BASE + 0x30000u)
#define MEGA_PA (BASE + 0x400000u) /* root[2]; RAM ends halfway through */

/* Virtual layout. */
#define CODE_VA 0x00400000u  /* CODE_PA, R X */
#define CODE2_VA 0x00401000u /* CODE2_PA, X only */
#define DATA_VA 0x00402000u  /* DATA_PA, R W */
#define DATA2_VA 0x00403000u /* DATA2_PA, R W */
#define ALIAS_VA 0x00406000u /* CODE_PA again, R W */
#define T_VA 0x00410000u     /* left for each test to map */
#define MEGA_VA 0x00800000u

static cpu c;
static uint8_t *ram;
static uint8_t *before; /* a copy of RAM, to prove a fault changed nothing */

/* ---- guest memory and page tables ------------------------------------ */

static void put32(uint32_t addr, uint32_t v) { rv_put32(&c, addr, v); }
static uint32_t get32(uint32_t addr) { return rv_get32(&c, addr); }
static void poke(uint32_t addr, uint32_t word) { rv_poke(&c, addr, word); }
static uint8_t get8(uint32_t addr) { return ram[addr - BASE]; }
static void put8(uint32_t addr, uint8_t v) { ram[addr - BASE] = v; }

#define PTE(pa, flags) ((uint32_t)(pa) >> 12 << 10 | (flags))
/* A PTE whose PPN has bit 20 set: a 34-bit physical address that would be
 * pa if it were cut to 32 bits. */
#define PTE_HIGH(pa, flags) (((uint32_t)(pa) >> 12 | 1u << 20) << 10 | (flags))

/* The physical address of va's level-0 PTE (va in root[1]'s 4 MiB). */
static uint32_t l0_entry(uint32_t va) {
  cr_assert_eq(va >> 22, 1u, "0x%08x is not in L0's range", va);
  return L0 + ((va >> 12) & 0x3ffu) * 4;
}

static uint32_t root_entry(uint32_t va) { return ROOT + (va >> 22) * 4; }

static void map(uint32_t va, uint32_t pa, uint32_t flags) {
  put32(l0_entry(va), PTE(pa, flags));
  cpu_tlb_flush(&c);
}

static uint32_t pte_of(uint32_t va) { return get32(l0_entry(va)); }

static void setup(void) {
  ram = calloc(RAM_SIZE, 1);
  before = malloc(RAM_SIZE);
  cr_assert(ram && before);
  cr_assert(cpu_init(&c, ram, RAM_SIZE));
  put32(ROOT + 1 * 4, PTE(L0, PTE_V));
  put32(ROOT + 2 * 4, PTE(MEGA_PA, URWX));
  map(CODE_VA, CODE_PA, URX);
  map(CODE2_VA, CODE2_PA, UX);
  map(DATA_VA, DATA_PA, URW);
  map(DATA2_VA, DATA2_PA, URW);
  map(ALIAS_VA, CODE_PA, URW);
  /* whatever runs off the end of CODE physically stops at once */
  for (uint32_t a = CODE_NEXT_PA; a < CODE_NEXT_PA + PAGE; a += 4) {
    put32(a, NN(EBREAK));
  }
  cpu_reset(&c, CODE_VA);
}

static void teardown(void) {
  cpu_free(&c);
  free(before);
  free(ram);
}

TestSuite(mmu, .init = setup, .fini = teardown);

/* ---- programs -------------------------------------------------------- */

/* Registers zeroed, user mode on the main tables, a cold TLB. */
static void user(uint32_t pc) {
  cpu_reset(&c, pc);
  c.s.mode = CPU_MODE_USER;
  c.s.pt_root = ROOT;
  cpu_tlb_flush(&c);
}

static void kernel(uint32_t pc) {
  cpu_reset(&c, pc);
  c.s.mode = CPU_MODE_KERNEL;
}

static cpu_exit run(void) { return cpu_run(&c, FOREVER); }

/* a0 after one instruction run in user mode at CODE_VA with a1 = a,
 * a2 = b, a0 = 0 before. */
static uint32_t uone(uint32_t word, uint32_t a, uint32_t b) {
  poke(CODE_PA, word);
  poke(CODE_PA + 4, NN(EBREAK));
  user(CODE_VA);
  c.s.x[A1] = a;
  c.s.x[A2] = b;
  cpu_exit e = run();
  cr_assert_eq(e, CPU_EXIT_EBREAK, "exit %d, fault %s at 0x%08x", e,
               cpu_fault_name(c.fault.kind), c.fault.addr);
  cr_assert_eq(c.s.pc, CODE_VA + 4);
  cr_assert_eq(c.s.icount, 1u);
  return c.s.x[A0];
}

/* A first fetch from CODE marks its PTE, rightly: tests that check a
 * fault changed nothing mark it beforehand. */
static void snapshot_ram(void) {
  put32(l0_entry(CODE_VA), PTE(CODE_PA, URX | PTE_A));
  memcpy(before, ram, RAM_SIZE);
}

/* RAM is byte for byte what snapshot_ram() saw. */
static void expect_ram_unchanged(const char *what) {
  if (memcmp(ram, before, RAM_SIZE) == 0) return;
  for (uint32_t i = 0; i < RAM_SIZE; i++) {
    if (ram[i] != before[i]) {
      cr_expect_fail("%s: RAM at 0x%08x changed from 0x%02x to 0x%02x", what,
                     BASE + i, before[i], ram[i]);
      return;
    }
  }
}

/* ---- where user accesses land ---------------------------------------- */

Test(mmu, code_and_data_land_on_their_physical_pages) {
  put32(DATA_PA + 8, 0xcafef00d);
  put32(DATA2_PA + 8, 0x0badc0de);
  rv_prog p = {&c, CODE_VA, CODE_PA};
  rv_emit(&p, RI(LW, A0, A1, 8));
  rv_emit(&p, ST(SW, A2, 12, A1));
  rv_emit(&p, RI(LBU, A3, A1, 11));
  rv_emit(&p, RI(LH, A4, A1, 14)); /* the high half of what sw wrote */
  rv_emit(&p, UI(AUIPC, A5, 0));
  rv_emit(&p, NN(EBREAK));
  user(CODE_VA);
  c.s.x[A1] = DATA_VA;
  c.s.x[A2] = 0x89abcdefu;
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.pc, CODE_VA + 20);
  cr_expect_eq(c.s.icount, 5u);
  cr_expect_eq(c.s.x[A0], 0xcafef00du);
  cr_expect_eq(get32(DATA_PA + 12), 0x89abcdefu);
  cr_expect_eq(c.s.x[A3], 0xcau);
  cr_expect_eq(c.s.x[A4], 0xffff89abu);
  cr_expect_eq(c.s.x[A5], CODE_VA + 16, "auipc sees the virtual pc");
  cr_expect_eq(get32(DATA2_PA + 12), 0u);
  cr_expect_eq(get32(DATA_NEXT_PA + 12), 0u);
  /* a misaligned access inside one page */
  put32(DATA2_PA + 0x100, 0x44332211);
  put32(DATA2_PA + 0x104, 0x88776655);
  cr_expect_eq(uone(RI(LW, A0, A1, 0), DATA2_VA + 0x101, 0), 0x55443322u);
  uone(ST(SW, A2, 0, A1), DATA2_VA + 0x103, 0xa1b2c3d4u);
  cr_expect_eq(get32(DATA2_PA + 0x100), 0xd4332211u);
  cr_expect_eq(get32(DATA2_PA + 0x104), 0x88a1b2c3u);
}

Test(mmu, megapage_maps_4_mib_and_ends_where_ram_does) {
  /* code inside the megapage, 4 KiB pages apart from its data */
  const uint32_t code_va = MEGA_VA + 0x12340;
  rv_prog p = {&c, code_va, MEGA_PA + 0x12340};
  rv_emit(&p, RI(LW, A0, A1, 0));
  rv_emit(&p, ST(SW, A2, 0, A3));
  rv_emit(&p, NN(EBREAK));
  put32(MEGA_PA + 0x1ffffc, 0x13579bdf); /* the last word of RAM */
  user(code_va);
  c.s.x[A1] = MEGA_VA + 0x1ffffc;
  c.s.x[A2] = 0x2468ace0;
  c.s.x[A3] = MEGA_VA + 0x3a5a8;
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.pc, code_va + 8);
  cr_expect_eq(c.s.x[A0], 0x13579bdfu);
  cr_expect_eq(get32(MEGA_PA + 0x3a5a8), 0x2468ace0u);
  cr_expect_eq(get32(END - 4), 0x13579bdfu);

  /* the megapage's upper half has no RAM behind it */
  const uint32_t root2 = get32(root_entry(MEGA_VA));
  const struct {
    uint32_t word, va;
    cpu_fault_kind kind;
  } beyond[] = {
    {RI(LW, A0, A1, 0), MEGA_VA + 0x200000, CPU_FAULT_PAGE_LOAD},
    {RI(LBU, A0, A1, 0), MEGA_VA + 0x3fffff, CPU_FAULT_PAGE_LOAD},
    {ST(SB, A2, 0, A1), MEGA_VA + 0x200000, CPU_FAULT_PAGE_STORE},
  };
  for (size_t i = 0; i < sizeof beyond / sizeof beyond[0]; i++) {
    rv_prog q = {&c, code_va, MEGA_PA + 0x12340};
    rv_emit(&q, beyond[i].word);
    rv_emit(&q, NN(EBREAK));
    user(code_va);
    c.s.x[A0] = 0x5555;
    c.s.x[A1] = beyond[i].va;
    c.s.x[A2] = 0x77;
    snapshot_ram();
    cr_assert_eq(run(), CPU_EXIT_FAULT, "case %zu", i);
    cr_expect_eq(c.fault.kind, beyond[i].kind, "case %zu", i);
    cr_expect_eq(c.fault.addr, beyond[i].va, "case %zu", i);
    cr_expect_eq(c.s.pc, code_va);
    cr_expect_eq(c.s.icount, 0u);
    cr_expect_eq(c.s.x[A0], 0x5555u);
    expect_ram_unchanged("access beyond RAM");
  }
  cr_expect_eq(get32(root_entry(MEGA_VA)), root2);
}

Test(mmu, tlb_entries_that_share_a_slot_keep_their_own_pages) {
  /* 256 pages apart: the same slot of a 256-entry direct-mapped TLB */
  const uint32_t far_va = DATA_VA + 256 * PAGE;
  cr_assert_eq(far_va >> 22, 1u);
  map(far_va, SPARE_PA, URW);
  put32(DATA_PA + 4, 0x11111111);
  put32(SPARE_PA + 4, 0x22222222);
  rv_prog p = {&c, CODE_VA, CODE_PA};
  rv_emit(&p, RI(LW, A0, A1, 4));
  rv_emit(&p, RI(LW, A2, A3, 4));
  rv_emit(&p, RI(LW, A4, A1, 4));
  rv_emit(&p, ST(SW, A1, 4, A3));
  rv_emit(&p, ST(SW, A3, 4, A1));
  rv_emit(&p, RI(LW, A5, A3, 4));
  rv_emit(&p, NN(EBREAK));
  user(CODE_VA);
  c.s.x[A1] = DATA_VA;
  c.s.x[A3] = far_va;
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.x[A0], 0x11111111u);
  cr_expect_eq(c.s.x[A2], 0x22222222u);
  cr_expect_eq(c.s.x[A4], 0x11111111u);
  cr_expect_eq(get32(SPARE_PA + 4), DATA_VA);
  cr_expect_eq(get32(DATA_PA + 4), far_va);
  cr_expect_eq(c.s.x[A5], DATA_VA);
}

/* ---- page faults ----------------------------------------------------- */

/* Each case maps the target one wrong way at level 0 (T_VA's PTE) or
 * level 1 (root[3]), then accesses it from the third instruction of a
 * program.  The same access through a right PTE must then work, so
 * the fault is down to the one thing the case got wrong. */
typedef struct fault_case {
  const char *what;
  cpu_access acc;
  int level;
  uint32_t flags; /* of a PTE for the right page; 0: no PTE at all */
} fault_case;

#define LVL0_VA (T_VA + 0x124u)
#define LVL1_VA 0x00c05678u
#define LVL0_GOOD_PA (SPARE_PA + 0x124u)
#define LVL1_GOOD_PA (BASE + 0x5678u) /* megapage at BASE */

static const fault_case fault_cases[] = {
  /* level 0: a 4 KiB leaf */
  {"load, no PTE", CPU_ACCESS_LOAD, 0, 0},
  {"load, V clear", CPU_ACCESS_LOAD, 0, URWX & ~PTE_V},
  {"load, U clear", CPU_ACCESS_LOAD, 0, URWX & ~PTE_U},
  {"load, execute-only", CPU_ACCESS_LOAD, 0, UX},
  {"load, write-only (W without R)", CPU_ACCESS_LOAD, 0, PTE_V | PTE_W | PTE_U},
  {"load, W X without R", CPU_ACCESS_LOAD, 0, PTE_V | PTE_W | PTE_X | PTE_U},
  {"load, pointer at level 0", CPU_ACCESS_LOAD, 0, PTE_V},
  {"load, pointer at level 0 with U A D", CPU_ACCESS_LOAD, 0,
   PTE_V | PTE_U | PTE_A | PTE_D},
  {"store, no PTE", CPU_ACCESS_STORE, 0, 0},
  {"store, V clear", CPU_ACCESS_STORE, 0, URWX & ~PTE_V},
  {"store, U clear", CPU_ACCESS_STORE, 0, URWX & ~PTE_U},
  {"store, read-only", CPU_ACCESS_STORE, 0, UR},
  {"store, read-execute", CPU_ACCESS_STORE, 0, URX},
  {"store, execute-only", CPU_ACCESS_STORE, 0, UX},
  {"store, W without R", CPU_ACCESS_STORE, 0, PTE_V | PTE_W | PTE_U},
  {"store, W X without R", CPU_ACCESS_STORE, 0, PTE_V | PTE_W | PTE_X | PTE_U},
  {"store, pointer at level 0", CPU_ACCESS_STORE, 0, PTE_V},
  {"fetch, no PTE", CPU_ACCESS_FETCH, 0, 0},
  {"fetch, V clear", CPU_ACCESS_FETCH, 0, URWX & ~PTE_V},
  {"fetch, U clear", CPU_ACCESS_FETCH, 0, URWX & ~PTE_U},
  {"fetch, read-only", CPU_ACCESS_FETCH, 0, UR},
  {"fetch, read-write", CPU_ACCESS_FETCH, 0, URW},
  {"fetch, W X without R", CPU_ACCESS_FETCH, 0, PTE_V | PTE_W | PTE_X | PTE_U},
  {"fetch, pointer at level 0", CPU_ACCESS_FETCH, 0, PTE_V},
  /* level 1: the root entry, a megapage or a pointer */
  {"load, no root entry", CPU_ACCESS_LOAD, 1, 0},
  {"load, megapage without U", CPU_ACCESS_LOAD, 1, URWX & ~PTE_U},
  {"load, execute-only megapage", CPU_ACCESS_LOAD, 1, UX},
  {"store, read-execute megapage", CPU_ACCESS_STORE, 1, URX},
  {"store, megapage W without R", CPU_ACCESS_STORE, 1,
   PTE_V | PTE_W | PTE_X | PTE_U},
  {"fetch, read-write megapage", CPU_ACCESS_FETCH, 1, URW},
  {"fetch, megapage without V", CPU_ACCESS_FETCH, 1, URWX & ~PTE_V},
};

/* Faults whose PTE names a physical address rather than just flags. */
typedef struct fault_pa_case {
  const char *what;
  int level;
  uint32_t pte;
} fault_pa_case;

static const fault_pa_case fault_pa_cases[] = {
  {"leaf above RAM", 0, PTE(END, URWX)},
  {"leaf at the top of the address space", 0, PTE(0xfffff000u, URWX)},
  {"leaf below RAM", 0, PTE(SPARE_PA - BASE, URWX)},
  {"leaf PPN beyond 32 bits", 0, PTE_HIGH(SPARE_PA, URWX)},
  {"misaligned megapage", 1, PTE(BASE + 0x5000u, URWX)},
  {"misaligned megapage, PPN[0] 1", 1, PTE(BASE + 0x1000u, URWX)},
  {"megapage above RAM", 1, PTE(BASE + 0x800000u, URWX)},
  {"megapage PPN beyond 32 bits", 1, PTE_HIGH(BASE, URWX)},
  {"pointer W without R", 1, PTE(L0, PTE_V | PTE_W)},
  {"pointer to a table above RAM", 1, PTE(0x90000000u, PTE_V)},
  {"pointer to a table below RAM", 1, PTE(L0 - BASE, PTE_V)},
  {"pointer to a table at the end of RAM", 1, PTE(END, PTE_V)},
  {"pointer PPN beyond 32 bits", 1, PTE_HIGH(L0, PTE_V)},
};

static const cpu_fault_kind kind_of[CPU_ACCESS_COUNT] = {
  [CPU_ACCESS_LOAD] = CPU_FAULT_PAGE_LOAD,
  [CPU_ACCESS_STORE] = CPU_FAULT_PAGE_STORE,
  [CPU_ACCESS_FETCH] = CPU_FAULT_PAGE_FETCH,
};

static const char *const acc_name[CPU_ACCESS_COUNT] = {"load", "store", "fetch"};

/* Runs the access against the PTE bad (expecting the fault, with nothing
 * changed), then against a good one (expecting it to work). */
static void check_fault(const char *what, cpu_access acc, int level,
                        uint32_t bad) {
  const uint32_t va = level ? LVL1_VA : LVL0_VA;
  const uint32_t good_pa = level ? LVL1_GOOD_PA : LVL0_GOOD_PA;
  const uint32_t entry = level ? root_entry(va) : l0_entry(va);
  const uint32_t good = level ? PTE(BASE, URWX) : PTE(SPARE_PA, URWX);
  /* if a pointer's PPN were cut to 32 bits it would reach L0, whose entry
   * 5 maps LVL1_VA's page: the walk would wrongly succeed */
  put32(L0 + 5 * 4, PTE(SPARE_PA, URWX | PTE_A | PTE_D));
  uint32_t insn = acc == CPU_ACCESS_LOAD    ? RI(LW, A0, A1, 0)
                  : acc == CPU_ACCESS_STORE ? ST(SW, A2, 0, A1)
                                            : RI(JALR, RA, A1, 0);
  rv_prog p = {&c, CODE_VA, CODE_PA};
  rv_emit(&p, RI(ADDI, T0, ZERO, 1));
  rv_emit(&p, RI(ADDI, T1, ZERO, 2));
  rv_emit(&p, insn);
  rv_emit(&p, RI(ADDI, T2, ZERO, 3));
  rv_emit(&p, NN(EBREAK));
  if (acc == CPU_ACCESS_FETCH) {
    poke(good_pa, RI(ADDI, A0, ZERO, 77));
    poke(good_pa + 4, NN(EBREAK));
  } else {
    put32(good_pa, 0x5a5a5a5a);
  }

  put32(entry, bad);
  user(CODE_VA);
  c.s.x[A0] = 0xdeadbeef;
  c.s.x[A1] = va;
  c.s.x[A2] = 0x11223344;
  snapshot_ram();
  cpu_exit e = run();
  cr_assert_eq(e, CPU_EXIT_FAULT, "%s (%s): exit %d", what, acc_name[acc], e);
  cr_expect_eq(c.fault.kind, kind_of[acc], "%s: fault %s", what,
               cpu_fault_name(c.fault.kind));
  cr_expect_eq(c.fault.addr, va, "%s: fault address 0x%08x", what, c.fault.addr);
  cr_expect_eq(c.s.x[T0], 1u, "%s", what);
  cr_expect_eq(c.s.x[T1], 2u, "%s", what);
  cr_expect_eq(c.s.x[T2], 0u, "%s", what);
  cr_expect_eq(c.s.x[A0], 0xdeadbeefu, "%s: a0 written", what);
  if (acc == CPU_ACCESS_FETCH) {
    cr_expect_eq(c.s.pc, va, "%s: pc 0x%08x", what, c.s.pc);
    cr_expect_eq(c.s.icount, 3u, "%s: the jump ran", what);
    cr_expect_eq(c.s.x[RA], CODE_VA + 12, "%s: the jump linked", what);
    cr_expect(c.fault.from_known, "%s", what);
    cr_expect_eq(c.fault.from, CODE_VA + 8, "%s", what);
  } else {
    cr_expect_eq(c.s.pc, CODE_VA + 8, "%s: pc 0x%08x", what, c.s.pc);
    cr_expect_eq(c.s.icount, 2u, "%s: icount %llu", what,
                 (unsigned long long)c.s.icount);
    cr_expect_eq(c.fault.insn, insn, "%s", what);
  }
  expect_ram_unchanged(what);

  put32(entry, good);
  user(CODE_VA);
  c.s.x[A1] = va;
  c.s.x[A2] = 0x11223344;
  e = run();
  cr_assert_eq(e, CPU_EXIT_EBREAK, "%s, made right: exit %d, %s at 0x%08x",
               what, e, cpu_fault_name(c.fault.kind), c.fault.addr);
  if (acc == CPU_ACCESS_LOAD) cr_expect_eq(c.s.x[A0], 0x5a5a5a5au, "%s", what);
  if (acc == CPU_ACCESS_STORE) cr_expect_eq(get32(good_pa), 0x11223344u, "%s", what);
  if (acc == CPU_ACCESS_FETCH) cr_expect_eq(c.s.x[A0], 77u, "%s", what);
}

Test(mmu, each_permission_fault_has_its_kind_address_and_pc) {
  for (size_t i = 0; i < sizeof fault_cases / sizeof fault_cases[0]; i++) {
    const fault_case *f = &fault_cases[i];
    const uint32_t pa = f->level ? BASE : SPARE_PA;
    check_fault(f->what, f->acc, f->level, f->flags ? PTE(pa, f->flags) : 0);
  }
}

Test(mmu, mappings_of_memory_that_is_not_there_fault) {
  for (size_t i = 0; i < sizeof fault_pa_cases / sizeof fault_pa_cases[0]; i++) {
    const fault_pa_case *f = &fault_pa_cases[i];
    for (int acc = 0; acc < CPU_ACCESS_COUNT; acc++) {
      check_fault(f->what, (cpu_access)acc, f->level, f->pte);
    }
  }
}

Test(mmu, a_root_table_outside_ram_faults_the_first_fetch) {
  static const uint32_t roots[] = {0, BASE - PAGE, END, END - 4, 0xfffff000u};
  rv_prog p = {&c, CODE_VA, CODE_PA};
  rv_emit(&p, RI(ADDI, A0, ZERO, 1));
  rv_emit(&p, NN(EBREAK));
  for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
    user(CODE_VA);
    c.s.pt_root = roots[i];
    snapshot_ram();
    cr_assert_eq(run(), CPU_EXIT_FAULT, "root 0x%08x", roots[i]);
    cr_expect_eq(c.fault.kind, CPU_FAULT_PAGE_FETCH, "root 0x%08x", roots[i]);
    cr_expect_eq(c.fault.addr, CODE_VA);
    cr_expect_eq(c.s.pc, CODE_VA);
    cr_expect_eq(c.s.icount, 0u);
    cr_expect_not(c.fault.from_known);
    cr_expect_eq(c.s.x[A0], 0u);
    expect_ram_unchanged("root outside RAM");
  }
  /* a root whose entry 1 is the last word of RAM is fine */
  put32(END - 4, PTE(L0, PTE_V));
  user(CODE_VA);
  c.s.pt_root = END - 8;
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.x[A0], 1u);
}

Test(mmu, a_fault_after_a_hit_of_another_kind) {
  /* each kind of access needs its own permission even when another kind
   * has the page in the TLB already */
  map(T_VA, SPARE_PA, UR);
  map(T_VA + PAGE, SPARE_PA + PAGE, UX);
  poke(SPARE_PA + PAGE, NN(EBREAK));
  rv_prog p = {&c, CODE_VA, CODE_PA};
  rv_emit(&p, RI(LW, A0, A1, 0));
  rv_emit(&p, ST(SW, A0, 0, A1)); /* read-only */
  user(CODE_VA);
  c.s.x[A1] = T_VA;
  cr_assert_eq(run(), CPU_EXIT_FAULT);
  cr_expect_eq(c.fault.kind, CPU_FAULT_PAGE_STORE);
  cr_expect_eq(c.fault.addr, T_VA);
  cr_expect_eq(c.s.pc, CODE_VA + 4);
  cr_expect_eq(c.s.icount, 1u);

  p = (rv_prog){&c, CODE_VA, CODE_PA};
  rv_emit(&p, RI(LW, A0, A1, 0));
  rv_emit(&p, RI(JALR, RA, A1, 0)); /* readable, not executable */
  user(CODE_VA);
  c.s.x[A1] = T_VA;
  cr_assert_eq(run(), CPU_EXIT_FAULT);
  cr_expect_eq(c.fault.kind, CPU_FAULT_PAGE_FETCH);
  cr_expect_eq(c.s.pc, T_VA);

  p = (rv_prog){&c, CODE_VA, CODE_PA};
  rv_emit(&p, RI(JALR, RA, A1, 0)); /* runs the ebreak: executable */
  user(CODE_VA);
  c.s.x[A1] = T_VA + PAGE;
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.pc, T_VA + PAGE);
  cr_expect_eq(c.s.icount, 1u);
  p = (rv_prog){&c, CODE_VA, CODE_PA};
  rv_emit(&p, RI(LW, A0, A1, 0)); /* the page was fetched from, never readable */
  c.s.pc = CODE_VA;
  c.s.mode = CPU_MODE_USER;
  cr_assert_eq(run(), CPU_EXIT_FAULT);
  cr_expect_eq(c.fault.kind, CPU_FAULT_PAGE_LOAD);
  cr_expect_eq(c.fault.addr, T_VA + PAGE);
}

Test(mmu, fetch_faults_name_the_jump_or_none) {
  /* running off the end of a page into an unmapped one */
  map(T_VA, SPARE_PA, UX);
  const uint32_t start = T_VA + PAGE - 8;
  rv_prog p = {&c, start, SPARE_PA + PAGE - 8};
  rv_emit(&p, RI(ADDI, A0, ZERO, 1));
  rv_emit(&p, RI(ADDI, A1, ZERO, 2));
  cr_assert_eq(pte_of(T_VA + PAGE), 0u);
  user(start);
  cr_assert_eq(run(), CPU_EXIT_FAULT);
  cr_expect_eq(c.fault.kind, CPU_FAULT_PAGE_FETCH);
  cr_expect_eq(c.fault.addr, T_VA + PAGE);
  cr_expect_eq(c.s.pc, T_VA + PAGE);
  cr_expect_eq(c.s.icount, 2u);
  cr_expect_not(c.fault.from_known);
  cr_expect_eq(c.s.x[A1], 2u);

  /* a taken branch into an unmapped page */
  p = (rv_prog){&c, CODE_VA, CODE_PA};
  rv_emit(&p, RI(ADDI, A0, ZERO, 1));
  uint32_t br = rv_emit(&p, BR(BEQ, ZERO, ZERO, rv_to(&p, CODE_VA - 4)));
  user(CODE_VA);
  cr_assert_eq(run(), CPU_EXIT_FAULT);
  cr_expect_eq(c.fault.kind, CPU_FAULT_PAGE_FETCH);
  cr_expect_eq(c.fault.addr, CODE_VA - 4);
  cr_expect_eq(c.s.pc, CODE_VA - 4);
  cr_expect_eq(c.s.icount, 2u);
  cr_expect(c.fault.from_known);
  cr_expect_eq(c.fault.from, br);

  /* user mode does not see physical addresses: the code's own physical
   * address is unmapped */
  p = (rv_prog){&c, CODE_VA, CODE_PA};
  uint32_t j = rv_emit(&p, RI(JALR, RA, A1, 0));
  user(CODE_VA);
  c.s.x[A1] = CODE_PA;
  cr_assert_eq(run(), CPU_EXIT_FAULT);
  cr_expect_eq(c.fault.kind, CPU_FAULT_PAGE_FETCH);
  cr_expect_eq(c.fault.addr, CODE_PA);
  cr_expect_eq(c.fault.from, j);
  cr_expect_eq(c.s.x[RA], CODE_VA + 4);

  /* a misaligned target is still a misaligned fetch, before translation */
  user(CODE_VA);
  c.s.x[A1] = T_VA + 2; /* unmapped as well */
  cr_assert_eq(run(), CPU_EXIT_FAULT);
  cr_expect_eq(c.fault.kind, CPU_FAULT_FETCH_MISALIGNED);
  cr_expect_eq(c.fault.addr, T_VA + 2);
}

/* ---- accessed and dirty ---------------------------------------------- */

Test(mmu, accessed_on_any_access_dirty_on_a_store) {
  const uint32_t code0 = pte_of(CODE_VA), data0 = pte_of(DATA_VA);
  const uint32_t data20 = pte_of(DATA2_VA), root1 = get32(root_entry(CODE_VA));
  cr_assert_eq(code0, PTE(CODE_PA, URX));
  cr_assert_eq(data0, PTE(DATA_PA, URW));
  /* load: A on the data page, A on the code page, nothing else */
  uone(RI(LW, A0, A1, 0), DATA_VA, 0);
  cr_expect_eq(pte_of(DATA_VA), data0 | PTE_A);
  cr_expect_eq(pte_of(CODE_VA), code0 | PTE_A, "fetch sets A, never D");
  cr_expect_eq(pte_of(DATA2_VA), data20);
  cr_expect_eq(get32(root_entry(CODE_VA)), root1, "pointers are not marked");
  /* a store after the load has filled the TLB: D all the same */
  rv_prog p = {&c, CODE_VA, CODE_PA};
  rv_emit(&p, RI(LW, A0, A1, 0));
  rv_emit(&p, ST(SW, A0, 4, A1));
  rv_emit(&p, NN(EBREAK));
  user(CODE_VA);
  c.s.x[A1] = DATA_VA;
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(pte_of(DATA_VA), data0 | PTE_A | PTE_D);
  cr_expect_eq(pte_of(CODE_VA), code0 | PTE_A);
  /* a store to an untouched page sets both */
  uone(ST(SB, A2, 0, A1), DATA2_VA + 7, 0x42);
  cr_expect_eq(pte_of(DATA2_VA), data20 | PTE_A | PTE_D);
  cr_expect_eq(get8(DATA2_PA + 7), 0x42u);
  /* bits the walker does not own stay as they are */
  const uint32_t odd = PTE(SPARE_PA, URW | PTE_G | PTE_RSW);
  map(T_VA, SPARE_PA, URW | PTE_G | PTE_RSW);
  uone(RI(LB, A0, A1, 0), T_VA + 5, 0);
  cr_expect_eq(pte_of(T_VA), odd | PTE_A);
  uone(ST(SH, A2, 0, A1), T_VA + 6, 0x1234);
  cr_expect_eq(pte_of(T_VA), odd | PTE_A | PTE_D);
  /* megapages are marked the same way */
  const uint32_t mega0 = get32(root_entry(MEGA_VA));
  cr_assert_eq(mega0, PTE(MEGA_PA, URWX));
  uone(RI(LW, A0, A1, 0), MEGA_VA + 0x5000, 0);
  cr_expect_eq(get32(root_entry(MEGA_VA)), mega0 | PTE_A);
  uone(ST(SW, A2, 0, A1), MEGA_VA + 0x6000, 1);
  cr_expect_eq(get32(root_entry(MEGA_VA)), mega0 | PTE_A | PTE_D);
  cr_expect_eq(get32(MEGA_PA + 0x6000), 1u);
}

Test(mmu, an_execute_only_page_is_marked_accessed_by_a_fetch) {
  const uint32_t code20 = pte_of(CODE2_VA);
  rv_prog p = {&c, CODE_VA, CODE_PA};
  rv_emit(&p, JAL(ZERO, rv_to(&p, CODE2_VA)));
  p = (rv_prog){&c, CODE2_VA, CODE2_PA};
  rv_emit(&p, NN(EBREAK));
  user(CODE_VA);
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.pc, CODE2_VA);
  cr_expect_eq(pte_of(CODE2_VA), code20 | PTE_A);
}

/* ---- the TLB --------------------------------------------------------- */

Test(mmu, a_changed_pte_takes_effect_after_a_flush) {
  put32(DATA_PA + 0x10, 0xaaaa0001);
  put32(DATA2_PA + 0x10, 0xbbbb0002);
  put32(SPARE_PA + 0x10, 0xcccc0003);
  rv_prog p = {&c, CODE_VA, CODE_PA};
  rv_emit(&p, RI(LW, A0, A1, 0x10));
  rv_emit(&p, NN(EBREAK));
  user(CODE_VA);
  c.s.x[A1] = DATA_VA;
  uint64_t m0 = c.tlb_misses;
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.x[A0], 0xaaaa0001u);
  cr_expect_geq(c.tlb_misses, m0 + 2, "a cold fetch and a cold load miss");
  /* again, warm: nothing misses */
  m0 = c.tlb_misses;
  c.s.pc = CODE_VA;
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.tlb_misses, m0, "warm run: %llu misses",
               (unsigned long long)(c.tlb_misses - m0));

  /* remap, flush */
  put32(l0_entry(DATA_VA), PTE(DATA2_PA, URW));
  cpu_tlb_flush(&c);
  m0 = c.tlb_misses;
  c.s.pc = CODE_VA;
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.x[A0], 0xbbbb0002u);
  cr_expect_gt(c.tlb_misses, m0);

  /* unmap, flush */
  put32(l0_entry(DATA_VA), 0);
  cpu_tlb_flush(&c);
  c.s.pc = CODE_VA;
  cr_assert_eq(run(), CPU_EXIT_FAULT);
  cr_expect_eq(c.fault.kind, CPU_FAULT_PAGE_LOAD);
  cr_expect_eq(c.fault.addr, DATA_VA + 0x10);

  /* another address space: a new root, flush */
  put32(ROOT2 + 1 * 4, PTE(L0B, PTE_V));
  put32(L0B + 0 * 4, PTE(CODE_PA, UX));
  put32(L0B + 2 * 4, PTE(SPARE_PA, UR));
  c.s.pt_root = ROOT2;
  cpu_tlb_flush(&c);
  c.s.pc = CODE_VA;
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.x[A0], 0xcccc0003u);
  cr_expect_eq(get32(L0B + 2 * 4), PTE(SPARE_PA, UR | PTE_A));
  /* and back */
  c.s.pt_root = ROOT;
  put32(l0_entry(DATA_VA), PTE(DATA_PA, URW));
  cpu_tlb_flush(&c);
  c.s.pc = CODE_VA;
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.x[A0], 0xaaaa0001u);
}

Test(mmu, a_hit_does_not_walk_the_tables) {
  /* a loop of loads and stores on one page misses once per kind */
  rv_prog p = {&c, CODE_VA, CODE_PA};
  rv_emit(&p, RI(ADDI, T0, ZERO, 100));
  uint32_t loop = rv_emit(&p, RI(LW, A0, A1, 0));
  rv_emit(&p, RI(ADDI, A0, A0, 1));
  rv_emit(&p, ST(SW, A0, 0, A1));
  rv_emit(&p, RI(ADDI, T0, T0, -1));
  rv_emit(&p, BR(BNE, T0, ZERO, rv_to(&p, loop)));
  rv_emit(&p, NN(EBREAK));
  user(CODE_VA);
  c.s.x[A1] = DATA_VA + 0x40;
  const uint64_t m0 = c.tlb_misses;
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(get32(DATA_PA + 0x40), 100u);
  cr_expect_eq(c.s.icount, 1u + 100u * 5u);
  cr_expect_geq(c.tlb_misses, m0 + 3);
  cr_expect_leq(c.tlb_misses, m0 + 6, "%llu misses for 3 pages and kinds",
                (unsigned long long)(c.tlb_misses - m0));
}

/* ---- accesses across a page boundary --------------------------------- */

/* DATA's last bytes are a0..af from 0xff0; DATA2's first bytes b0..bf;
 * DATA's physical neighbour holds ee: a read of it would show. */
static void fill_boundary(void) {
  for (uint32_t i = 0; i < 16; i++) {
    put8(DATA_PA + 0xff0 + i, (uint8_t)(0xa0 + i));
    put8(DATA2_PA + i, (uint8_t)(0xb0 + i));
    put8(DATA_NEXT_PA + i, 0xee);
  }
}

Test(mmu, loads_across_a_page_boundary_read_both_physical_pages) {
  fill_boundary();
  const uint32_t edge = DATA2_VA; /* == DATA_VA + PAGE */
  cr_expect_eq(uone(RI(LW, A0, A1, 0), edge - 1, 0), 0xb2b1b0afu);
  cr_expect_eq(uone(RI(LW, A0, A1, 0), edge - 2, 0), 0xb1b0afaeu);
  cr_expect_eq(uone(RI(LW, A0, A1, 0), edge - 3, 0), 0xb0afaeadu);
  cr_expect_eq(uone(RI(LW, A0, A1, -4), edge + 1, 0), 0xb0afaeadu);
  cr_expect_eq(uone(RI(LH, A0, A1, 0), edge - 1, 0), 0xffffb0afu);
  cr_expect_eq(uone(RI(LHU, A0, A1, 0), edge - 1, 0), 0xb0afu);
  cr_expect_eq(uone(RI(LW, A0, A1, 0), edge - 4, 0), 0xafaeadacu);
  cr_expect_eq(uone(RI(LW, A0, A1, 0), edge, 0), 0xb3b2b1b0u);
  /* into a megapage and back out of it is just as fine */
  map(MEGA_VA - PAGE, SPARE_PA, URW);
  put32(SPARE_PA + PAGE - 4, 0x44332211);
  put32(MEGA_PA, 0x88776655);
  cr_expect_eq(uone(RI(LW, A0, A1, 0), MEGA_VA - 2, 0), 0x66554433u);
}

Test(mmu, stores_across_a_page_boundary_write_both_physical_pages) {
  fill_boundary();
  const uint32_t edge = DATA2_VA;
  uone(ST(SW, A2, 0, A1), edge - 3, 0x44332211);
  cr_expect_eq(get32(DATA_PA + 0xffc), 0x332211acu);
  cr_expect_eq(get32(DATA2_PA), 0xb3b2b144u);
  uone(ST(SH, A2, 0, A1), edge - 1, 0x6655);
  cr_expect_eq(get32(DATA_PA + 0xffc), 0x552211acu);
  cr_expect_eq(get32(DATA2_PA), 0xb3b2b166u);
  uone(ST(SW, A2, 0, A1), edge - 1, 0xddccbbaa);
  cr_expect_eq(get32(DATA_PA + 0xffc), 0xaa2211acu);
  cr_expect_eq(get32(DATA2_PA), 0xb3ddccbbu);
  for (uint32_t i = 0; i < 16; i++) {
    cr_expect_eq(get8(DATA_NEXT_PA + i), 0xeeu, "physical neighbour written");
  }
  cr_expect_eq(pte_of(DATA_VA), PTE(DATA_PA, URW | PTE_A | PTE_D));
  cr_expect_eq(pte_of(DATA2_VA), PTE(DATA2_PA, URW | PTE_A | PTE_D));
}

Test(mmu, an_access_with_either_page_unmapped_faults_whole) {
  fill_boundary();
  /* second page missing: DATA2 then an unmapped page */
  const uint32_t edge = DATA2_VA + PAGE;
  cr_assert_eq(pte_of(edge), 0u);
  put32(DATA2_PA + PAGE - 4, 0x44332211);
  const struct {
    uint32_t word, off;
    cpu_fault_kind kind;
  } cases[] = {
    {RI(LW, A0, A1, 0), 1, CPU_FAULT_PAGE_LOAD},
    {RI(LW, A0, A1, 0), 3, CPU_FAULT_PAGE_LOAD},
    {RI(LH, A0, A1, 0), 1, CPU_FAULT_PAGE_LOAD},
    {ST(SW, A2, 0, A1), 1, CPU_FAULT_PAGE_STORE},
    {ST(SW, A2, 0, A1), 2, CPU_FAULT_PAGE_STORE},
    {ST(SH, A2, 0, A1), 1, CPU_FAULT_PAGE_STORE},
  };
  for (int second_ro = 0; second_ro < 2; second_ro++) {
    /* unmapped, then mapped read-only (fine for a load) */
    if (second_ro) map(edge, SPARE_PA, UR);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      if (second_ro && cases[i].kind == CPU_FAULT_PAGE_LOAD) continue;
      const uint32_t va = edge - cases[i].off;
      put32(l0_entry(DATA2_VA), PTE(DATA2_PA, URW)); /* no A, no D */
      poke(CODE_PA, cases[i].word);
      poke(CODE_PA + 4, NN(EBREAK));
      user(CODE_VA);
      c.s.x[A0] = 0x5555;
      c.s.x[A1] = va;
      c.s.x[A2] = 0xa1b2c3d4;
      snapshot_ram();
      cr_assert_eq(run(), CPU_EXIT_FAULT, "case %zu", i);
      cr_expect_eq(c.fault.kind, cases[i].kind, "case %zu", i);
      /* the address is in the page that faulted, inside the access */
      cr_expect_eq(c.fault.addr & ~(PAGE - 1), edge, "case %zu: 0x%08x", i,
                   c.fault.addr);
      cr_expect(c.fault.addr >= va && c.fault.addr - va < 4, "case %zu", i);
      cr_expect_eq(c.s.pc, CODE_VA);
      cr_expect_eq(c.s.icount, 0u);
      cr_expect_eq(c.s.x[A0], 0x5555u);
      /* not one byte written, not even A or D on the first page */
      expect_ram_unchanged(second_ro ? "second page read-only"
                                     : "second page unmapped");
    }
  }
  /* first page missing: an unmapped page then DATA */
  const uint32_t edge2 = DATA_VA;
  cr_assert_eq(pte_of(DATA_VA - PAGE), PTE(CODE2_PA, UX)); /* not readable */
  put32(l0_entry(DATA_VA), PTE(DATA_PA, URW));
  map(T_VA, SPARE_PA, URW);
  map(T_VA - PAGE, 0, 0);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (int k = 0; k < 2; k++) {
      const uint32_t va = (k ? T_VA : edge2) - cases[i].off;
      poke(CODE_PA, cases[i].word);
      user(CODE_VA);
      c.s.x[A1] = va;
      snapshot_ram();
      cr_assert_eq(run(), CPU_EXIT_FAULT, "case %zu", i);
      cr_expect_eq(c.fault.kind, cases[i].kind, "case %zu", i);
      cr_expect_eq(c.fault.addr, va, "case %zu: 0x%08x", i, c.fault.addr);
      expect_ram_unchanged("first page not accessible");
    }
  }
  /* mapped at last, the same store completes whole */
  map(edge, SPARE_PA, URW);
  uone(ST(SW, A2, 0, A1), edge - 2, 0xa1b2c3d4);
  cr_expect_eq(get32(DATA2_PA + PAGE - 4), 0xc3d42211u);
  cr_expect_eq(get32(SPARE_PA), 0x0000a1b2u);
}

/* ---- code ------------------------------------------------------------ */

Test(mmu, self_modifying_code_through_a_writable_alias) {
  /* the loop's first instruction is rewritten through ALIAS between two
   * passes, and the instruction right after a store is rewritten by it */
  rv_prog p = {&c, CODE_VA, CODE_PA};
  rv_emit(&p, RI(ADDI, S1, ZERO, 2));
  uint32_t loop = rv_emit(&p, RI(ADDI, A0, ZERO, 1));
  rv_emit(&p, RR(ADD, A2, A2, A0));
  rv_emit(&p, RI(ADDI, S1, S1, -1));
  rv_emit(&p, BR(BEQ, S1, ZERO, 20));
  rv_emit(&p, ST(SW, T0, (int32_t)(loop - CODE_VA), S2));
  rv_emit(&p, ST(SW, T1, 28, S2)); /* the next word */
  rv_emit(&p, RI(ADDI, A3, ZERO, 1));
  rv_emit(&p, JAL(ZERO, rv_to(&p, loop)));
  rv_emit(&p, NN(EBREAK));
  user(CODE_VA);
  c.s.x[T0] = RI(ADDI, A0, ZERO, 2);
  c.s.x[T1] = RI(ADDI, A3, ZERO, 5);
  c.s.x[S2] = ALIAS_VA;
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  /* pass 1: a0 = 1, a2 = 1, store, store, a3 = 5, jump; pass 2: a0 = 2,
   * a2 = 3, done */
  cr_expect_eq(c.s.x[A0], 2u, "the rewritten instruction did not run");
  cr_expect_eq(c.s.x[A2], 3u);
  cr_expect_eq(c.s.x[A3], 5u, "the instruction after the store was stale");
  cr_expect_eq(c.s.pc, CODE_VA + 36);
  cr_expect_eq(c.s.icount, 1u + 4u + 4u + 4u);
  cr_expect_eq(get32(CODE_PA + 4), RI(ADDI, A0, ZERO, 2));
  cr_expect_eq(pte_of(ALIAS_VA), PTE(CODE_PA, URW | PTE_A | PTE_D));
}

Test(mmu, a_store_across_pages_into_code_in_user_mode) {
  /* the straddling store's second half lands on CODE2's first word,
   * which has run before: its new version must run */
  rv_prog p = {&c, CODE2_VA, CODE2_PA};
  rv_emit(&p, RI(ADDI, A0, ZERO, 1)); /* low half 0x0513; a1 would be 0x0593 */
  rv_emit(&p, RI(JALR, ZERO, RA, 0));
  map(T_VA, CODE_PA, URW);               /* T_VA: CODE, writable */
  map(T_VA + PAGE, CODE2_PA, URW);       /* then CODE2, writable */
  p = (rv_prog){&c, CODE_VA, CODE_PA};
  rv_emit(&p, RI(JALR, RA, S0, 0));
  rv_emit(&p, UI(LUI, T0, 0x05930000));
  rv_emit(&p, ST(SW, T0, -2, S1));
  rv_emit(&p, RI(JALR, RA, S0, 0));
  rv_emit(&p, NN(EBREAK));
  user(CODE_VA);
  c.s.x[S0] = CODE2_VA;
  c.s.x[S1] = T_VA + PAGE;
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(get32(CODE2_PA), RI(ADDI, A1, ZERO, 1));
  cr_expect_eq(get32(CODE_PA + PAGE - 4) >> 16, 0u);
  cr_expect_eq(c.s.x[A0], 1u);
  cr_expect_eq(c.s.x[A1], 1u, "the old instruction ran after the store");
  /* jalr, addi, jalr, lui, sw, jalr, addi, jalr */
  cr_expect_eq(c.s.icount, 8u);
  cr_expect_eq(c.s.pc, CODE_VA + 16);
}

/* The loop's body crosses from CODE's last words into CODE2. */
Test(mmu, exact_limits_across_non_adjacent_pages) {
  uint32_t trace[24];
  rv_prog p = {&c, CODE_VA + PAGE - 12, CODE_PA + PAGE - 12};
  uint32_t done = rv_cross_page_loop(&p, CODE2_PA, trace);
  cr_assert_eq(trace[3], CODE2_VA);
  rv_expect_loop_limits(&c, user, trace, done);
}

/* main calls f 10 times with a hypercall after each call; f loops across
 * CODE -> CODE2 and stores its sum across DATA -> DATA2; main reads it back
 * across the same boundary. */
static uint32_t mixed_program(void) {
  const uint32_t f = CODE_VA + PAGE - 8;
  rv_prog p = {&c, CODE_VA, CODE_PA};
  rv_emit(&p, UI(LUI, SP, DATA2_VA));
  rv_emit(&p, RI(ADDI, S0, ZERO, 10));
  uint32_t outer = rv_emit(&p, JAL(RA, rv_to(&p, f)));
  rv_emit(&p, NN(HCALL));
  rv_emit(&p, RI(ADDI, S0, S0, -1));
  rv_emit(&p, BR(BNE, S0, ZERO, rv_to(&p, outer)));
  rv_emit(&p, RI(LW, A1, SP, -2));
  uint32_t done = rv_emit(&p, NN(EBREAK));
  p = (rv_prog){&c, f, CODE_PA + PAGE - 8};
  rv_emit(&p, RI(ADDI, T0, ZERO, 5));
  uint32_t inner = rv_emit(&p, RR(ADD, A0, A0, T0));
  p.pa = CODE2_PA;
  rv_emit(&p, RI(ADDI, T0, T0, -1));
  rv_emit(&p, BR(BNE, T0, ZERO, rv_to(&p, inner)));
  rv_emit(&p, ST(SW, A0, -2, SP));
  rv_emit(&p, RI(JALR, ZERO, RA, 0));
  return done;
}

/* main: 2 + 10 * (jal, hcall, addi, bne) + lw; f: 1 + 5 * 3 + 2 */
#define MIXED_COUNT (2 + 10 * (4 + 1 + 5 * 3 + 2) + 1)
#define MIXED_SUM (10u * 15u)

Test(mmu, mixed_program_by_hand) {
  uint32_t done = mixed_program();
  user(CODE_VA);
  cr_assert_eq(rv_run_to(&c, FOREVER), CPU_EXIT_EBREAK, "%s at 0x%08x",
               cpu_fault_name(c.fault.kind), c.fault.addr);
  cr_expect_eq(c.s.pc, done);
  cr_expect_eq(c.s.icount, MIXED_COUNT);
  cr_expect_eq(c.s.x[A0], MIXED_SUM);
  cr_expect_eq(c.s.x[A1], MIXED_SUM);
  cr_expect_eq(get8(DATA_PA + PAGE - 2), MIXED_SUM);
  cr_expect_eq(get8(DATA_PA + PAGE - 1), 0u);
  cr_expect_eq(get8(DATA2_PA), 0u);
}

Test(mmu, every_limit_equals_single_steps) {
  mixed_program();
  rv_expect_limits_are_steps(&c, user, CODE_VA, MIXED_COUNT);
}

Test(mmu, small_slices_give_the_same_run) {
  mixed_program();
  rv_expect_slices_are_whole(&c, user, CODE_VA, true);
}

Test(mmu, jumps_within_and_across_virtual_pages) {
  const uint32_t last = CODE_VA + PAGE - 4;
  rv_prog p = {&c, CODE_VA, CODE_PA};
  rv_emit(&p, JAL(RA, 12));                       /* 0: to 12, in the page */
  rv_emit(&p, NN(EBREAK));                        /* 4 */
  rv_emit(&p, NN(EBREAK));                        /* 8 */
  rv_emit(&p, UI(AUIPC, A0, 0));                  /* 12 */
  rv_emit(&p, JAL(S1, rv_to(&p, CODE2_VA + 8)));     /* 16: to CODE2 + 8 */
  uint32_t back = rv_emit(&p, UI(AUIPC, A3, 0));  /* 20 */
  rv_emit(&p, RI(ADDI, T0, T0, 1));               /* 24: backward loop */
  rv_emit(&p, RI(ADDI, T1, ZERO, 3));             /* 28 */
  rv_emit(&p, BR(BLT, T0, T1, -8));               /* 32: to 24 */
  rv_emit(&p, NN(EBREAK));                        /* 36 */
  p = (rv_prog){&c, last, CODE_PA + PAGE - 4};
  rv_emit(&p, UI(AUIPC, A2, 0));                  /* falls into CODE2 */
  p = (rv_prog){&c, CODE2_VA, CODE2_PA};
  rv_emit(&p, RI(JALR, S2, S0, 0));               /* CODE2 + 0: to `back` */
  rv_emit(&p, NN(EBREAK));
  rv_emit(&p, UI(AUIPC, A1, 0));                  /* CODE2 + 8 */
  rv_emit(&p, BR(BEQ, ZERO, ZERO, rv_to(&p, last))); /* CODE2 + 12: back a page */
  user(CODE_VA);
  c.s.x[S0] = back;
  cr_assert_eq(run(), CPU_EXIT_EBREAK, "%s at 0x%08x",
               cpu_fault_name(c.fault.kind), c.fault.addr);
  cr_expect_eq(c.s.pc, CODE_VA + 36);
  cr_expect_eq(c.s.x[RA], CODE_VA + 4);
  cr_expect_eq(c.s.x[A0], CODE_VA + 12);
  cr_expect_eq(c.s.x[S1], CODE_VA + 20);
  cr_expect_eq(c.s.x[A1], CODE2_VA + 8);
  cr_expect_eq(c.s.x[A2], last);
  cr_expect_eq(c.s.x[S2], CODE2_VA + 4);
  cr_expect_eq(c.s.x[A3], back);
  cr_expect_eq(c.s.x[T0], 3u);
  /* jal, auipc, jal, auipc, beq, auipc, jalr, auipc, 3 * (addi, addi, blt) */
  cr_expect_eq(c.s.icount, 8u + 9u);
}

Test(mmu, exits_in_user_mode_stay_at_the_instruction) {
  rv_prog p = {&c, CODE_VA + PAGE - 8, CODE_PA + PAGE - 8};
  rv_emit(&p, RI(ADDI, A0, ZERO, 1));
  rv_emit(&p, NN(HCALL));
  p = (rv_prog){&c, CODE2_VA, CODE2_PA};
  rv_emit(&p, NN(HCALL)); /* the first word of a page */
  rv_emit(&p, RI(ADDI, A0, A0, 1));
  rv_emit(&p, NN(ECALL));
  rv_emit(&p, RI(ADDI, A0, A0, 1));
  rv_emit(&p, NN(EBREAK));
  user(CODE_VA + PAGE - 8);
  cr_assert_eq(run(), CPU_EXIT_HCALL);
  cr_expect_eq(c.s.pc, CODE_VA + PAGE - 4);
  cr_expect_eq(c.s.icount, 1u);
  cr_assert_eq(run(), CPU_EXIT_HCALL, "not retired: the same exit again");
  cr_expect_eq(c.s.pc, CODE_VA + PAGE - 4);
  cr_expect_eq(c.s.icount, 1u);
  cpu_retire(&c);
  cr_assert_eq(run(), CPU_EXIT_HCALL);
  cr_expect_eq(c.s.pc, CODE2_VA);
  cr_expect_eq(c.s.icount, 2u);
  cpu_retire(&c);
  cr_assert_eq(run(), CPU_EXIT_ECALL);
  cr_expect_eq(c.s.pc, CODE2_VA + 8);
  cr_expect_eq(c.s.icount, 4u);
  cr_expect_eq(c.s.x[A0], 2u);
  cpu_retire(&c);
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.pc, CODE2_VA + 16);
  cr_expect_eq(c.s.icount, 6u);
  cr_expect_eq(c.s.x[A0], 3u);
  cr_expect_eq(c.s.mode, (uint32_t)CPU_MODE_USER);
}

/* ---- kernel and user mode -------------------------------------------- */

Test(mmu, kernel_mode_ignores_the_tables) {
  put32(DATA_PA, 0x600df00d);
  rv_prog p = {&c, CODE_PA, CODE_PA};
  rv_emit(&p, RI(LW, A0, A1, 0));
  rv_emit(&p, ST(SW, A0, 4, A1));
  rv_emit(&p, NN(EBREAK));
  kernel(CODE_PA);
  c.s.pt_root = ROOT;
  c.s.x[A1] = DATA_PA;
  const uint64_t m0 = c.tlb_misses;
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_expect_eq(c.s.x[A0], 0x600df00du);
  cr_expect_eq(get32(DATA_PA + 4), 0x600df00du);
  cr_expect_eq(c.tlb_misses, m0);
  cr_expect_eq(pte_of(DATA_VA), PTE(DATA_PA, URW), "kernel access marked a PTE");
  /* a user virtual address is nothing to the kernel */
  kernel(CODE_PA);
  c.s.pt_root = ROOT;
  c.s.x[A1] = DATA_VA;
  cr_assert_eq(run(), CPU_EXIT_FAULT);
  cr_expect_eq(c.fault.kind, CPU_FAULT_LOAD);
  cr_expect_eq(c.fault.addr, DATA_VA);
}

Test(mmu, kernel_and_user_mode_share_decoded_code) {
  /* one physical page run at CODE_PA by the kernel and at CODE_VA by the
   * user, alternately, never flushing decoded code */
  rv_prog p = {&c, CODE_VA + PAGE - 24, CODE_PA + PAGE - 24};
  const uint32_t off = PAGE - 24;
  rv_emit(&p, UI(AUIPC, A0, 0));          /* -24 */
  rv_emit(&p, JAL(RA, 8));                /* -20: to -12 */
  rv_emit(&p, NN(EBREAK));                /* -16 */
  rv_emit(&p, RI(ADDI, A2, A2, 1));       /* -12 */
  rv_emit(&p, NN(HCALL));                 /* -8 */
  rv_emit(&p, RI(ADDI, A4, ZERO, 1));     /* -4: then on into the next page */
  poke(CODE_NEXT_PA, UI(AUIPC, A3, 0)); /* the kernel's next page */
  poke(CODE_NEXT_PA + 4, NN(EBREAK));
  poke(CODE2_PA, RI(ADDI, A3, ZERO, 2)); /* the user's next page */
  poke(CODE2_PA + 4, NN(EBREAK));
  for (int round = 0; round < 3; round++) {
    for (int mode = 0; mode < 2; mode++) {
      const uint32_t b = mode ? CODE_VA : CODE_PA;
      if (mode) {
        user(b + off);
      } else {
        kernel(b + off);
      }
      /* a limit inside the first block, then the rest */
      cr_assert_eq(cpu_run(&c, 1), CPU_EXIT_LIMIT);
      cr_expect_eq(c.s.pc, b + off + 4, "mode %d", mode);
      cr_assert_eq(run(), CPU_EXIT_HCALL, "mode %d: %s at 0x%08x", mode,
                   cpu_fault_name(c.fault.kind), c.fault.addr);
      cr_expect_eq(c.s.pc, b + off + 16, "mode %d: pc 0x%08x", mode, c.s.pc);
      cr_expect_eq(c.s.icount, 3u);
      cr_expect_eq(c.s.x[A0], b + off, "mode %d", mode);
      cr_expect_eq(c.s.x[RA], b + off + 8, "mode %d", mode);
      cpu_retire(&c);
      cr_assert_eq(run(), CPU_EXIT_EBREAK, "mode %d: %s at 0x%08x", mode,
                   cpu_fault_name(c.fault.kind), c.fault.addr);
      cr_expect_eq(c.s.pc, b + PAGE + 4, "mode %d: pc 0x%08x", mode, c.s.pc);
      cr_expect_eq(c.s.icount, 6u);
      cr_expect_eq(c.s.x[A3], mode ? 2u : CODE_NEXT_PA, "mode %d", mode);
      cr_expect_eq(c.s.x[A4], 1u);
    }
  }
  /* switching mode between runs of one program, mid-block */
  kernel(CODE_PA + off);
  cr_assert_eq(cpu_run(&c, 2), CPU_EXIT_LIMIT);
  cr_expect_eq(c.s.pc, CODE_PA + off + 12);
  c.s.mode = CPU_MODE_USER;
  c.s.pt_root = ROOT;
  c.s.pc = CODE_VA + off + 12;
  cr_assert_eq(run(), CPU_EXIT_HCALL);
  cr_expect_eq(c.s.pc, CODE_VA + off + 16);
  cr_expect_eq(c.s.icount, 3u);
  cr_expect_eq(c.s.x[RA], CODE_PA + off + 8);
}

/* ---- the page tables share a page with running code ------------------ */

/* A guest may put a leaf table and code in one page.  When a walk sets A
 * or D in a PTE word that has been decoded as code, that code is dropped,
 * in the middle of the block that made the access. */
#define PTC_PA (BASE + 0x41000u)  /* leaf table of root[4], and code */
#define PTC_DATA_PA (BASE + 0x40000u)
#define PTC_CODE_VA 0x013ff000u   /* entry 1023 of PTC: PTC itself */
#define PTC_LOAD_VA 0x01002000u   /* entry 2: PTC_DATA, read-only */
#define PTC_STORE_VA 0x01003000u  /* entry 3: PTC_DATA, read-write */
#define PTC_LOAD_AT (PTC_CODE_VA + 5 * 4)
#define PTC_STORE_AT (PTC_CODE_VA + 8 * 4)

static void ptc_setup(void) {
  put32(ROOT + 4 * 4, PTE(PTC_PA, PTE_V));
  put32(PTC_PA + 1023 * 4, PTE(PTC_PA, URX | PTE_A));
  put32(PTC_DATA_PA + 0x20, 0x76543210);
  cpu_tlb_flush(&c);
  /* unmarked, entry 2 is addi x0, sp, 512 and entry 3 auipc x0, 0x40000:
   * both run as no-ops */
  cpu_decoded d = cpu_decode(PTE(PTC_DATA_PA, UR));
  cr_assert(d.op == CPU_OP_ADDI && d.rd == 0);
  d = cpu_decode(PTE(PTC_DATA_PA, URW));
  cr_assert(d.op == CPU_OP_AUIPC && d.rd == 0);
  rv_prog p = {&c, PTC_CODE_VA, PTC_PA};
  rv_emit(&p, RI(ADDI, A0, ZERO, 5));
  rv_emit(&p, RI(ADDI, A1, ZERO, 6));
  rv_emit(&p, PTE(PTC_DATA_PA, UR));  /* entry 2 */
  rv_emit(&p, PTE(PTC_DATA_PA, URW)); /* entry 3 */
  rv_emit(&p, NN(EBREAK));
  cr_assert_eq(rv_emit(&p, RI(LW, A2, S0, 0x20)), PTC_LOAD_AT);
  rv_emit(&p, RI(ADDI, A3, ZERO, 7));
  rv_emit(&p, NN(EBREAK));
  cr_assert_eq(rv_emit(&p, RI(ADDI, A4, ZERO, 9)), PTC_STORE_AT);
  rv_emit(&p, ST(SW, A4, 0x24, S1));
  rv_emit(&p, RI(ADDI, A5, ZERO, 11));
  rv_emit(&p, NN(EBREAK));
  /* run words 0-4 so that entries 2 and 3 are decoded */
  user(PTC_CODE_VA);
  cr_assert_eq(run(), CPU_EXIT_EBREAK);
  cr_assert_eq(c.s.pc, PTC_CODE_VA + 16);
  cr_assert_eq(c.s.icount, 4u);
}

static void ptc_user(uint32_t pc) {
  user(pc);
  c.s.x[S0] = PTC_LOAD_VA;
  c.s.x[S1] = PTC_STORE_VA;
}

Test(mmu, a_walk_that_marks_a_pte_in_the_running_page) {
  ptc_setup();
  ptc_user(PTC_LOAD_AT);
  cpu_exit e = run();
  cr_assert_eq(e, CPU_EXIT_EBREAK, "exit %d: %s at 0x%08x", e,
               cpu_fault_name(c.fault.kind), c.fault.addr);
  cr_expect_eq(c.s.pc, PTC_LOAD_AT + 8);
  cr_expect_eq(c.s.icount, 2u, "icount %llu", (unsigned long long)c.s.icount);
  cr_expect_eq(c.s.x[ZERO], 0u, "x0 = 0x%08x", c.s.x[ZERO]);
  cr_expect_eq(c.s.x[A2], 0x76543210u);
  cr_expect_eq(c.s.x[A3], 7u);
  cr_expect_eq(get32(PTC_PA + 2 * 4), PTE(PTC_DATA_PA, UR | PTE_A));

  ptc_setup(); /* entries 2 and 3 unmarked and decoded again */
  ptc_user(PTC_STORE_AT);
  e = run();
  cr_assert_eq(e, CPU_EXIT_EBREAK, "exit %d: %s at 0x%08x", e,
               cpu_fault_name(c.fault.kind), c.fault.addr);
  cr_expect_eq(c.s.pc, PTC_STORE_AT + 12);
  cr_expect_eq(c.s.icount, 3u, "icount %llu", (unsigned long long)c.s.icount);
  cr_expect_eq(c.s.x[ZERO], 0u, "x0 = 0x%08x", c.s.x[ZERO]);
  cr_expect_eq(get32(PTC_DATA_PA + 0x24), 9u);
  cr_expect_eq(c.s.x[A5], 11u);
  cr_expect_eq(get32(PTC_PA + 3 * 4), PTE(PTC_DATA_PA, URW | PTE_A | PTE_D));

  /* entry 3 is now an illegal word, and runs as one */
  ptc_user(PTC_CODE_VA);
  cr_assert_eq(run(), CPU_EXIT_FAULT);
  cr_expect_eq(c.fault.kind, CPU_FAULT_ILLEGAL);
  cr_expect_eq(c.s.pc, PTC_CODE_VA + 12);
  cr_expect_eq(c.s.icount, 3u);
}

Test(mmu, a_limit_in_a_block_whose_page_a_walk_marks) {
  for (int store = 0; store < 2; store++) {
    ptc_setup();
    const uint32_t at = store ? PTC_STORE_AT : PTC_LOAD_AT;
    const uint64_t n = store ? 2 : 1; /* stop right after the access */
    ptc_user(at);
    cpu_exit e = cpu_run(&c, n);
    cr_assert_eq(e, CPU_EXIT_LIMIT, "exit %d, icount %llu, pc 0x%08x", e,
                 (unsigned long long)c.s.icount, c.s.pc);
    cr_expect_eq(c.s.icount, n);
    cr_expect_eq(c.s.pc, at + 4 * (uint32_t)n);
    cr_expect_eq(c.s.x[ZERO], 0u);
    cr_expect_eq(c.s.x[A3] | c.s.x[A5], 0u, "ran past the limit");
    cr_assert_eq(run(), CPU_EXIT_EBREAK);
    cr_expect_eq(c.s.icount, n + 1);
  }
  cr_expect_eq(c.s.x[A2], 0u);
  cr_expect_eq(get32(PTC_DATA_PA + 0x24), 9u);
  cr_expect_eq(c.s.x[A5], 11u);
}
