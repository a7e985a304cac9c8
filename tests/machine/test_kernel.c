/* Kernel and user mode through a real machine and machine_run: a "kernel"
 * of hand-encoded instructions registers a trap frame, installs Sv32 page
 * tables and enters user code; every trap cause, the register file on both
 * sides of a trap, events and the timer to the exact instruction, the
 * idle wait and its deadlock, the RNG, and determinism of a small
 * preemptive two-process system.  Expected values are worked out by hand
 * from docs/pvabi.md; instruction counts are noted next to the code. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <string.h>

#include "machine.h"
#include "pvabi_calls.h"
#include "rv_asm.h"

#define MEM_MIB 4u
#define BASE CPU_RAM_BASE
#define END (BASE + (MEM_MIB << 20))

/* Guest physical layout. */
#define KBOOT (BASE + 0x0000u)  /* boot code: register, install, return */
#define KCALL (BASE + 0x0400u)  /* hcall; ebreak */
#define KCODE (BASE + 0x0800u)  /* a test's own kernel code */
#define KENTRY (BASE + 0x1000u) /* the trap entry point */
#define FRAME (BASE + 0x3000u)
#define KDATA (BASE + 0x4000u)  /* kernel data (save areas) */
#define BUF (BASE + 0x6000u)    /* buffers for hypercalls, 0x2000 bytes */
#define ROOT (BASE + 0x10000u)
#define L0A (BASE + 0x11000u)
#define ROOT2 (BASE + 0x12000u)
#define L0B (BASE + 0x13000u)
#define UCODE_PA (BASE + 0x20000u)
#define UDATA_PA (BASE + 0x21000u)
#define URO_PA (BASE + 0x22000u)
#define ALT_PA (BASE + 0x23000u)
#define UCODE2_PA (BASE + 0x24000u)
#define UDATA2_PA (BASE + 0x25000u)

/* User virtual addresses, all under root entry 1. */
#define UCODE 0x00400000u   /* R X U */
#define UDATA 0x00401000u   /* R W U */
#define URO 0x00402000u     /* R U: read only */
#define UNOU 0x00403000u    /* R W X without U: the kernel's */
#define UHOLE 0x00404000u   /* not mapped */
#define UBEYOND 0x00405000u /* mapped to memory the machine lacks */

#define KSP (BASE + 0x9000u)
#define KGP 0x6a09e667u
#define KTP 0xbb67ae85u
#define ASID 5u
#define FILL 0xccu

#define PTE_V 0x01u
#define PTE_R 0x02u
#define PTE_W 0x04u
#define PTE_X 0x08u
#define PTE_U 0x10u

#define HCALL PV_HCALL_WORD
#define ECALL 0x00000073u
#define EBREAK 0x00100073u
#define CSRR_CYCLE 0xc0002573u /* csrrs a0, cycle, zero */
#define NOP 0x00000013u

/* Word index of a frame field, from the header's struct. */
#define FW(field) ((unsigned)(offsetof(struct pv_vcpu, field) / 4))

/* Boot: vcpu_register 6 + mmu_install 6 + user_return 2 instructions. */
#define BOOT_INSNS 14u

static machine m;
static dev_console_mem con;

/* ------------------------------------------------------------ helpers */

static uint8_t *host(uint32_t addr) {
  uint8_t *p = cpu_guest_ptr(&m.cpu, addr, 4);
  cr_assert(p, "0x%08x is outside RAM", addr);
  return p;
}

/* Every host write is announced as code, as a guest kernel's would be. */
static void put32(uint32_t addr, uint32_t v) { rv_poke(&m.cpu, addr, v); }
static uint32_t get32(uint32_t addr) { return rv_get32(&m.cpu, addr); }

static uint32_t pte(uint32_t pa, uint32_t perm) {
  return (pa >> 12) << 10 | perm | PTE_V;
}

/* addi a7, zero, number; hcall: two instructions. */
static void hc(rv_prog *p, uint32_t number) {
  rv_emit(p, RI(ADDI, A7, ZERO, (int32_t)number));
  rv_emit(p, HCALL);
}

/* The frame, word by word. */
static uint32_t fget(unsigned i) { return get32(FRAME + 4 * i); }
static void fset(unsigned i, uint32_t v) { put32(FRAME + 4 * i, v); }

/* A distinct, recognisable value for user register i. */
static uint32_t uval(unsigned i) { return 0x5a000000u ^ (i * 0x00010203u); }

static void build_tables(void) {
  /* address space A: root entry 1 -> L0A */
  put32(ROOT + 4 * 1, pte(L0A, 0));
  put32(L0A + 4 * 0, pte(UCODE_PA, PTE_R | PTE_X | PTE_U));
  put32(L0A + 4 * 1, pte(UDATA_PA, PTE_R | PTE_W | PTE_U));
  put32(L0A + 4 * 2, pte(URO_PA, PTE_R | PTE_U));
  put32(L0A + 4 * 3, pte(ALT_PA, PTE_R | PTE_W | PTE_X));
  put32(L0A + 4 * 5, pte(0x90000000u, PTE_R | PTE_W | PTE_X | PTE_U));
  /* address space B: the same virtual pages, other physical ones */
  put32(ROOT2 + 4 * 1, pte(L0B, 0));
  put32(L0B + 4 * 0, pte(UCODE2_PA, PTE_R | PTE_X | PTE_U));
  put32(L0B + 4 * 1, pte(UDATA2_PA, PTE_R | PTE_W | PTE_U));
}

static void start(uint64_t seed) {
  machine_config cfg = {.mem_mib = MEM_MIB, .seed = seed};
  host_error err = {{0}};
  cr_assert(machine_init(&m, &cfg, &err), "%s", err.msg);
  memset(&con, 0, sizeof con);
  con.in_open = true; /* open and empty: no console event unless a test
                         gives input */
  m.console_io = dev_console_mem_backend(&con);
  build_tables();
  put32(KCALL, HCALL);
  put32(KCALL + 4, EBREAK);
  fset(FW(kernel_sp), KSP);
  fset(FW(kernel_gp), KGP);
  fset(FW(kernel_tp), KTP);
  memset(host(BUF), FILL, 0x2000);
  m.cpu.s.pc = KCODE;
}

static void finish(void) {
  machine_free(&m);
  dev_console_mem_free(&con);
}

static void setup(void) { start(1); }

static machine_stop run_to(uint64_t limit) { return machine_run(&m, limit); }
static machine_stop run_on(void) { return run_to(m.cpu.s.icount + 100000); }

/* Carries out one hypercall from kernel mode at KCALL with the arguments
 * in a0, a1; returns a0.  Keeps the mode, page table and count. */
static int32_t kcall(uint32_t number, uint32_t a0, uint32_t a1) {
  cr_assert_eq(m.cpu.s.mode, CPU_MODE_KERNEL);
  uint64_t before = m.cpu.s.icount;
  m.cpu.s.pc = KCALL;
  m.cpu.s.x[A7] = number;
  m.cpu.s.x[A0] = a0;
  m.cpu.s.x[A1] = a1;
  machine_stop stop = run_to(before + 100);
  cr_assert_eq(stop, MACHINE_STOP_EBREAK, "call 0x%x stopped with %d",
               number, stop);
  cr_assert_eq(m.cpu.s.pc, KCALL + 4);
  cr_assert_eq(m.cpu.s.icount, before + 1);
  return (int32_t)m.cpu.s.x[A0];
}

static uint32_t a1(void) { return m.cpu.s.x[A1]; }

static void expect_status(int32_t got, int32_t want) {
  cr_expect_eq(got, want, "status %s (%d), want %s", pvabi_status_name(got),
               got, pvabi_status_name(want));
}

/* The user registers and pc user_return will load. */
static void set_user(const uint32_t x[32], uint32_t pc) {
  for (unsigned i = 0; i < 32; i++) fset(i, x[i]);
  fset(FW(pc), pc);
}

/* Boot code at KBOOT: register FRAME/KENTRY, install ROOT, user_return. */
static void boot_with(uint32_t root, uint32_t asid) {
  rv_prog p = rv_at(&m.cpu, KBOOT);
  rv_li(&p, A0, FRAME);
  rv_li(&p, A1, KENTRY);
  hc(&p, PV_HC_VCPU_REGISTER);
  rv_li(&p, A0, root);
  rv_li(&p, A1, asid);
  hc(&p, PV_HC_MMU_INSTALL);
  hc(&p, PV_HC_USER_RETURN);
  cr_assert_eq(p.va - KBOOT, 4 * BOOT_INSNS);
  m.cpu.s.pc = KBOOT;
}

static void boot(void) { boot_with(ROOT, ASID); }

/* User code at UCODE (physical UCODE_PA). */
static void user_code(const uint32_t *w, size_t n) {
  for (size_t i = 0; i < n; i++) put32(UCODE_PA + 4 * (uint32_t)i, w[i]);
}

/* Kernel code at KENTRY that returns after the trapping instruction:
 * frame.pc += 4; user_return.  Five instructions. */
static void entry_return_after(uint32_t at) {
  rv_prog p = rv_at(&m.cpu, at);
  rv_emit(&p, LD(LW, T0, 128, A0));
  rv_emit(&p, RI(ADDI, T0, T0, 4));
  rv_emit(&p, ST(SW, T0, 128, A0));
  hc(&p, PV_HC_USER_RETURN);
}

static uint64_t total_traps(void) {
  uint64_t n = 0;
  for (int i = 0; i < PV_CAUSE_COUNT; i++) n += m.stats.traps[i];
  return n;
}

/* The machine stopped at the ebreak at KENTRY: the kernel's register file
 * is all zero except sp/gp/tp from the frame and a0-a2. */
static void expect_kernel_entry(machine_stop stop, uint32_t cause,
                                uint32_t tval) {
  cr_assert_eq(stop, MACHINE_STOP_EBREAK, "stopped with %d", stop);
  cr_assert_eq(m.cpu.s.mode, CPU_MODE_KERNEL);
  cr_assert_eq(m.cpu.s.pc, KENTRY, "pc 0x%08x", m.cpu.s.pc);
  for (unsigned i = 0; i < 32; i++) {
    uint32_t want = 0;
    switch (i) {
    case SP: want = KSP; break;
    case GP: want = KGP; break;
    case TP: want = KTP; break;
    case A0: want = FRAME; break;
    case A1: want = cause; break;
    case A2: want = tval; break;
    }
    cr_expect_eq(m.cpu.s.x[i], want, "kernel %s = 0x%08x, want 0x%08x",
                 cpu_reg_names[i], m.cpu.s.x[i], want);
  }
  cr_expect_eq(fget(FW(cause)), cause, "frame cause %u", fget(FW(cause)));
  cr_expect_eq(fget(FW(tval)), tval, "frame tval 0x%08x, want 0x%08x",
               fget(FW(tval)), tval);
}

TestSuite(vcpu, .init = setup, .fini = finish);
TestSuite(mmu, .init = setup, .fini = finish);
TestSuite(user_return, .init = setup, .fini = finish);
TestSuite(trap, .init = setup, .fini = finish);
TestSuite(events, .init = setup, .fini = finish);
TestSuite(wait, .init = setup, .fini = finish);
TestSuite(rng, .init = setup, .fini = finish);
TestSuite(determinism, .init = setup, .fini = finish);

/* ------------------------------------------------------ vcpu_register */

Test(vcpu, frame_layout_matches_the_docs) {
  cr_expect_eq(sizeof(struct pv_vcpu), PV_VCPU_SIZE);
  cr_expect_eq(PV_VCPU_SIZE, 160);
  cr_expect_eq(offsetof(struct pv_vcpu, x), 0);
  cr_expect_eq(offsetof(struct pv_vcpu, pc), 128);
  cr_expect_eq(offsetof(struct pv_vcpu, cause), 132);
  cr_expect_eq(offsetof(struct pv_vcpu, tval), 136);
  cr_expect_eq(offsetof(struct pv_vcpu, pending), 140);
  cr_expect_eq(offsetof(struct pv_vcpu, kernel_sp), 144);
  cr_expect_eq(offsetof(struct pv_vcpu, kernel_gp), 148);
  cr_expect_eq(offsetof(struct pv_vcpu, kernel_tp), 152);
  cr_expect_eq(offsetof(struct pv_vcpu, reserved), 156);
}

Test(vcpu, register_from_guest_code) {
  rv_prog p = rv_at(&m.cpu, KCODE);
  rv_li(&p, A0, FRAME);
  rv_li(&p, A1, KENTRY);
  hc(&p, PV_HC_VCPU_REGISTER);
  rv_emit(&p, EBREAK);
  cr_assert_eq(m.dev.vcpu.registered, 0);
  cr_assert_eq(run_on(), MACHINE_STOP_EBREAK);
  cr_expect_eq(m.cpu.s.x[A0], PV_OK);
  cr_expect_eq(m.cpu.s.icount, 6);
  cr_expect_eq(m.dev.vcpu.registered, 1);
  cr_expect_eq(m.dev.vcpu.frame, FRAME);
  cr_expect_eq(m.dev.vcpu.entry, KENTRY);
  cr_expect_eq(m.cpu.s.mode, CPU_MODE_KERNEL); /* registering is not a trap */
}

Test(vcpu, register_at_the_edges_of_ram) {
  expect_status(kcall(PV_HC_VCPU_REGISTER, END - PV_VCPU_SIZE, END - 4), PV_OK);
  cr_expect_eq(m.dev.vcpu.frame, END - PV_VCPU_SIZE);
  cr_expect_eq(m.dev.vcpu.entry, END - 4);
  expect_status(kcall(PV_HC_VCPU_REGISTER, BASE, BASE), PV_OK);
  cr_expect_eq(m.dev.vcpu.frame, BASE);
  cr_expect_eq(m.dev.vcpu.entry, BASE);
  /* registering again replaces the frame and entry */
  expect_status(kcall(PV_HC_VCPU_REGISTER, FRAME, KENTRY), PV_OK);
  cr_expect_eq(m.dev.vcpu.frame, FRAME);
  cr_expect_eq(m.dev.vcpu.entry, KENTRY);
}

static const struct bad_register {
  uint32_t frame, entry;
  int32_t want;
} bad_registers[] = {
  {FRAME + 8, KENTRY, PV_EINVAL},
  {FRAME + 4, KENTRY, PV_EINVAL},
  {FRAME + 1, KENTRY, PV_EINVAL},
  {FRAME + 15, KENTRY, PV_EINVAL},
  {FRAME, KENTRY + 2, PV_EINVAL},
  {FRAME, KENTRY + 1, PV_EINVAL},
  {FRAME, KENTRY + 3, PV_EINVAL},
  {END - 144, KENTRY, PV_EFAULT}, /* aligned, 16 bytes short */
  {END - 16, KENTRY, PV_EFAULT},
  {END, KENTRY, PV_EFAULT},
  {BASE - 16, KENTRY, PV_EFAULT}, /* the frame's end would be in RAM */
  {0, KENTRY, PV_EFAULT},
  {0xfffffff0u, KENTRY, PV_EFAULT},
  {FRAME, END, PV_EFAULT},
  {FRAME, BASE - 4, PV_EFAULT},
  {FRAME, 0, PV_EFAULT},
  {FRAME, 0xfffffffcu, PV_EFAULT},
};

static void expect_bad_registers_change_nothing(void) {
  dev_vcpu before = m.dev.vcpu;
  for (size_t i = 0; i < sizeof bad_registers / sizeof bad_registers[0]; i++) {
    const struct bad_register *b = &bad_registers[i];
    int32_t got = kcall(PV_HC_VCPU_REGISTER, b->frame, b->entry);
    cr_expect_eq(got, b->want, "frame 0x%08x entry 0x%08x: %s, want %s",
                 b->frame, b->entry, pvabi_status_name(got),
                 pvabi_status_name(b->want));
    cr_expect_eq(m.dev.vcpu.registered, before.registered);
    cr_expect_eq(m.dev.vcpu.frame, before.frame);
    cr_expect_eq(m.dev.vcpu.entry, before.entry);
  }
}

Test(vcpu, bad_arguments_from_the_unregistered_state) {
  expect_bad_registers_change_nothing();
  cr_expect_eq(m.dev.vcpu.registered, 0);
}

Test(vcpu, bad_arguments_keep_the_registered_frame) {
  expect_status(kcall(PV_HC_VCPU_REGISTER, FRAME, KENTRY), PV_OK);
  expect_bad_registers_change_nothing();
  cr_expect_eq(m.dev.vcpu.frame, FRAME);
  cr_expect_eq(m.dev.vcpu.entry, KENTRY);
}

/* -------------------------------------------------------- mmu_install */

Test(mmu, install_sets_root_and_asid) {
  expect_status(kcall(PV_HC_MMU_INSTALL, ROOT, 77), PV_OK);
  cr_expect_eq(m.cpu.s.pt_root, ROOT);
  cr_expect_eq(m.cpu.s.asid, 77);
  cr_expect_eq(m.cpu.s.mode, CPU_MODE_KERNEL); /* installing is no switch */
  expect_status(kcall(PV_HC_MMU_INSTALL, END - CPU_PAGE_SIZE, 0xffffffffu),
                PV_OK);
  cr_expect_eq(m.cpu.s.pt_root, END - CPU_PAGE_SIZE);
  cr_expect_eq(m.cpu.s.asid, 0xffffffffu);
  expect_status(kcall(PV_HC_MMU_INSTALL, 0, 3), PV_OK); /* none */
  cr_expect_eq(m.cpu.s.pt_root, 0);
  cr_expect_eq(m.cpu.s.asid, 3);
}

Test(mmu, bad_roots_change_nothing) {
  expect_status(kcall(PV_HC_MMU_INSTALL, ROOT, 9), PV_OK);
  static const struct { uint32_t root; int32_t want; } bad[] = {
    {ROOT + 4, PV_EINVAL},       {ROOT + 0x800, PV_EINVAL},
    {ROOT + 1, PV_EINVAL},       {ROOT + 0xffc, PV_EINVAL},
    {0x1000, PV_EFAULT},         {END, PV_EFAULT},
    {BASE - 0x1000, PV_EFAULT},  {0xfffff000u, PV_EFAULT},
    {0x7ffff000u, PV_EFAULT},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int32_t got = kcall(PV_HC_MMU_INSTALL, bad[i].root, 1234);
    cr_expect_eq(got, bad[i].want, "root 0x%08x: %s", bad[i].root,
                 pvabi_status_name(got));
    cr_expect_eq(m.cpu.s.pt_root, ROOT);
    cr_expect_eq(m.cpu.s.asid, 9);
  }
}

/* User code "lw s0, 0(s1); ecall" reads UDATA; the test then points UDATA
 * at another page without telling the machine, and the kernel makes the
 * process repeat the load after the hypercall under test. */
static void remap_and_reload(uint32_t number) {
  put32(UDATA_PA, 0x11111111u);
  put32(ALT_PA, 0x22222222u);
  const uint32_t code[] = {LD(LW, S0, 0, S1), ECALL};
  user_code(code, 2);
  uint32_t x[32] = {0};
  x[S1] = UDATA;
  set_user(x, UCODE);
  put32(KENTRY, EBREAK);
  rv_prog p = rv_at(&m.cpu, KENTRY + 4);
  rv_emit(&p, cpu_encode(CPU_OP_LUI, T0, 0, 0, (int32_t)UCODE));
  rv_emit(&p, ST(SW, T0, 128, A0)); /* back to the load */
  rv_li(&p, A0, ROOT);
  rv_li(&p, A1, ASID);
  hc(&p, number);
  hc(&p, PV_HC_USER_RETURN);
  boot();
  expect_kernel_entry(run_on(), PV_CAUSE_ECALL, 0);
  cr_assert_eq(fget(S0), 0x11111111u);
  put32(L0A + 4 * 1, pte(ALT_PA, PTE_R | PTE_W | PTE_U)); /* no flush yet */
  m.cpu.s.pc = KENTRY + 4;
  expect_kernel_entry(run_on(), PV_CAUSE_ECALL, 0);
  cr_expect_eq(fget(S0), 0x22222222u, "the load used 0x%08x", fget(S0));
  cr_expect_eq(fget(FW(pc)), UCODE + 4);
}

Test(mmu, install_flushes_cached_translations) {
  remap_and_reload(PV_HC_MMU_INSTALL);
  cr_expect_eq(m.cpu.s.pt_root, ROOT);
}

Test(mmu, flush_forgets_cached_translations) {
  remap_and_reload(PV_HC_MMU_FLUSH);
}

Test(mmu, flush_never_fails) {
  expect_status(kcall(PV_HC_MMU_FLUSH, 0, 0), PV_OK);
  expect_status(kcall(PV_HC_MMU_INSTALL, ROOT, 1), PV_OK);
  expect_status(kcall(PV_HC_MMU_FLUSH, 0xffffffffu, 1), PV_OK);
  cr_expect_eq(m.cpu.s.pt_root, ROOT); /* arguments are ignored */
  cr_expect_eq(m.cpu.s.asid, 1);
}

/* -------------------------------------------------------- user_return */

Test(user_return, without_a_frame_is_einval) {
  expect_status(kcall(PV_HC_MMU_INSTALL, ROOT, 1), PV_OK);
  expect_status(kcall(PV_HC_USER_RETURN, 0, 0), PV_EINVAL);
  cr_expect_eq(m.cpu.s.mode, CPU_MODE_KERNEL);
}

Test(user_return, without_a_page_table_is_einval) {
  expect_status(kcall(PV_HC_VCPU_REGISTER, FRAME, KENTRY), PV_OK);
  expect_status(kcall(PV_HC_USER_RETURN, 0, 0), PV_EINVAL);
  cr_expect_eq(m.cpu.s.mode, CPU_MODE_KERNEL);
  /* a table installed and then removed again */
  expect_status(kcall(PV_HC_MMU_INSTALL, ROOT, 1), PV_OK);
  expect_status(kcall(PV_HC_MMU_INSTALL, 0, 1), PV_OK);
  expect_status(kcall(PV_HC_USER_RETURN, 0, 0), PV_EINVAL);
  cr_expect_eq(m.cpu.s.mode, CPU_MODE_KERNEL);
}

Test(user_return, with_neither_is_einval) {
  expect_status(kcall(PV_HC_USER_RETURN, 0, 0), PV_EINVAL);
  cr_expect_eq(m.cpu.s.mode, CPU_MODE_KERNEL);
}

Test(user_return, loads_every_register_and_pc_and_counts_one) {
  uint32_t x[32];
  x[0] = 0xdeadbeefu; /* ignored */
  for (unsigned i = 1; i < 32; i++) x[i] = uval(i);
  set_user(x, UCODE + 8);
  const uint32_t code[] = {0, 0, EBREAK}; /* only the ebreak may run */
  user_code(code, 3);
  boot();
  /* up to just after user_return: it is the last boot instruction */
  cr_assert_eq(run_to(BOOT_INSNS), MACHINE_STOP_LIMIT);
  cr_expect_eq(m.cpu.s.icount, BOOT_INSNS);
  cr_expect_eq(m.cpu.s.mode, CPU_MODE_USER);
  cr_expect_eq(m.cpu.s.pc, UCODE + 8);
  cr_expect_eq(m.cpu.s.x[0], 0);
  for (unsigned i = 1; i < 32; i++) {
    cr_expect_eq(m.cpu.s.x[i], uval(i), "%s = 0x%08x", cpu_reg_names[i],
                 m.cpu.s.x[i]);
  }
  cr_expect_eq(m.stats.user_insns, 0);
  cr_assert_eq(run_on(), MACHINE_STOP_EBREAK);
  cr_expect_eq(m.cpu.s.mode, CPU_MODE_USER);
  cr_expect_eq(m.cpu.s.pc, UCODE + 8);
  cr_expect_eq(m.cpu.s.icount, BOOT_INSNS);
  for (unsigned i = 1; i < 32; i++) cr_expect_eq(m.cpu.s.x[i], uval(i));
  cr_expect_eq(total_traps(), 0);
}

/* ------------------------------------------------------ trap round trip */

/* 31 instructions that invert every register, then ecall; ebreak. */
static void invert_all_then_ecall(void) {
  for (unsigned i = 1; i < 32; i++) {
    put32(UCODE_PA + 4 * (i - 1), RI(XORI, i, i, -1));
  }
  put32(UCODE_PA + 124, ECALL);
  put32(UCODE_PA + 128, EBREAK);
  uint32_t x[32];
  x[0] = 0xdeadbeefu;
  for (unsigned i = 1; i < 32; i++) x[i] = uval(i);
  set_user(x, UCODE);
}

Test(trap, ecall_saves_every_register_and_enters_the_kernel_clean) {
  invert_all_then_ecall();
  put32(KENTRY, EBREAK);
  fset(FW(cause), 0xeeeeeeeeu);
  fset(FW(tval), 0xeeeeeeeeu);
  fset(FW(pending), 0xeeeeeeeeu);
  boot();
  expect_kernel_entry(run_on(), PV_CAUSE_ECALL, 0);
  cr_expect_eq(fget(0), 0, "x0 is saved as 0");
  for (unsigned i = 1; i < 32; i++) {
    cr_expect_eq(fget(i), ~uval(i), "frame %s = 0x%08x, want 0x%08x",
                 cpu_reg_names[i], fget(i), ~uval(i));
  }
  cr_expect_eq(fget(FW(pc)), UCODE + 124, "at the ecall");
  cr_expect_eq(fget(FW(pending)), 0);
  cr_expect_eq(fget(FW(kernel_sp)), KSP, "the kernel's fields are kept");
  cr_expect_eq(fget(FW(kernel_gp)), KGP);
  cr_expect_eq(fget(FW(kernel_tp)), KTP);
  /* the 31 xori; the ecall does not retire (it traps) */
  cr_expect_eq(m.cpu.s.icount, BOOT_INSNS + 31);
  cr_expect_eq(m.stats.user_insns, 31);
  cr_expect_eq(m.stats.traps[PV_CAUSE_ECALL], 1);
  cr_expect_eq(total_traps(), 1);
}

Test(trap, round_trip_preserves_the_whole_register_file) {
  invert_all_then_ecall();
  put32(KENTRY, EBREAK);
  /* the kernel: frame.pc += 4; frame.a0 = 42 (a system call's result) */
  rv_prog p = rv_at(&m.cpu, KENTRY + 4);
  rv_emit(&p, LD(LW, T0, 128, A0));
  rv_emit(&p, RI(ADDI, T0, T0, 4));
  rv_emit(&p, ST(SW, T0, 128, A0));
  rv_emit(&p, RI(ADDI, T1, ZERO, 42));
  rv_emit(&p, ST(SW, T1, 4 * A0, A0));
  hc(&p, PV_HC_USER_RETURN);
  boot();
  expect_kernel_entry(run_on(), PV_CAUSE_ECALL, 0);
  m.cpu.s.pc = KENTRY + 4;
  cr_assert_eq(run_on(), MACHINE_STOP_EBREAK);
  cr_expect_eq(m.cpu.s.mode, CPU_MODE_USER);
  cr_expect_eq(m.cpu.s.pc, UCODE + 128);
  cr_expect_eq(m.cpu.s.x[0], 0);
  for (unsigned i = 1; i < 32; i++) {
    uint32_t want = i == A0 ? 42u : ~uval(i);
    cr_expect_eq(m.cpu.s.x[i], want, "%s = 0x%08x, want 0x%08x",
                 cpu_reg_names[i], m.cpu.s.x[i], want);
  }
  cr_expect_eq(m.cpu.s.icount, BOOT_INSNS + 31 + 7);
  cr_expect_eq(m.cpu.s.pt_root, ROOT);
  cr_expect_eq(m.cpu.s.asid, ASID);
}

Test(trap, ecall_again_after_returning_to_it) {
  /* frame.pc not advanced: the process makes the same call again */
  const uint32_t code[] = {RI(ADDI, S0, S0, 1), ECALL};
  user_code(code, 2);
  uint32_t x[32] = {0};
  set_user(x, UCODE);
  rv_prog p = rv_at(&m.cpu, KENTRY);
  hc(&p, PV_HC_USER_RETURN);
  boot();
  cr_assert_eq(run_to(BOOT_INSNS + 1 + 2 * 10), MACHINE_STOP_LIMIT);
  cr_expect_eq(m.stats.traps[PV_CAUSE_ECALL], 10);
  cr_expect_eq(m.cpu.s.x[S0], 1, "the addi before the ecall ran once");
  cr_expect_eq(m.cpu.s.mode, CPU_MODE_USER);
  cr_expect_eq(m.cpu.s.pc, UCODE + 4);
}

Test(trap, context_switch_by_editing_the_frame) {
  /* process A: one ecall; process B lives in address space B (ROOT2) at
   * the same virtual addresses */
  invert_all_then_ecall();
  put32(UCODE_PA + 0x100, 0); /* A at B's pc would be an illegal trap */
  put32(UCODE2_PA + 0x100, EBREAK);
  for (unsigned i = 1; i < 32; i++) {
    put32(KDATA + 4 * i, 0xb0000000u + i * 0x10001u);
  }
  put32(KDATA + 128, UCODE + 0x100);
  /* the kernel copies B's registers and pc into the frame, installs B's
   * table and returns */
  rv_prog p = rv_at(&m.cpu, KENTRY);
  rv_li(&p, T1, KDATA);
  for (unsigned off = 4; off <= 128; off += 4) {
    rv_emit(&p, LD(LW, T2, (int32_t)off, T1));
    rv_emit(&p, ST(SW, T2, (int32_t)off, A0));
  }
  rv_li(&p, A0, ROOT2);
  rv_li(&p, A1, 2);
  hc(&p, PV_HC_MMU_INSTALL);
  hc(&p, PV_HC_USER_RETURN);
  boot();
  cr_assert_eq(run_on(), MACHINE_STOP_EBREAK);
  cr_expect_eq(m.cpu.s.mode, CPU_MODE_USER);
  cr_expect_eq(m.cpu.s.pc, UCODE + 0x100);
  cr_expect_eq(m.cpu.s.pt_root, ROOT2);
  cr_expect_eq(m.cpu.s.asid, 2);
  for (unsigned i = 1; i < 32; i++) {
    cr_expect_eq(m.cpu.s.x[i], 0xb0000000u + i * 0x10001u, "%s = 0x%08x",
                 cpu_reg_names[i], m.cpu.s.x[i]);
  }
  cr_expect_eq(total_traps(), 1);
  /* 2 + 64 + 6 + 2 kernel instructions */
  cr_expect_eq(m.cpu.s.icount, BOOT_INSNS + 31 + 74, "icount %llu",
               (unsigned long long)m.cpu.s.icount);
}

/* ------------------------------------------------------ each trap cause */

/* Boots into code at UCODE with s1, s2 set; the kernel entry is ebreak. */
static machine_stop user_run(const uint32_t *code, size_t n, uint32_t s1,
                             uint32_t s2) {
  user_code(code, n);
  uint32_t x[32] = {0};
  x[RA] = 0x0badc0deu;
  x[S1] = s1;
  x[S2] = s2;
  set_user(x, UCODE);
  put32(KENTRY, EBREAK);
  boot();
  return run_on();
}

static void expect_only_trap(uint32_t cause) {
  cr_expect_eq(m.stats.traps[cause], 1, "traps[%u] = %llu", cause,
               (unsigned long long)m.stats.traps[cause]);
  cr_expect_eq(total_traps(), 1);
}

static void expect_load_fault(uint32_t base, int32_t off) {
  const uint32_t code[] = {NOP, LD(LW, A0, off, S1), EBREAK};
  expect_kernel_entry(user_run(code, 3, base, 0), PV_CAUSE_PAGE_LOAD,
                      base + (uint32_t)off);
  cr_expect_eq(fget(FW(pc)), UCODE + 4, "at the load");
  cr_expect_eq(fget(S1), base);
  cr_expect_eq(m.cpu.s.icount, BOOT_INSNS + 1, "the load did not retire");
  expect_only_trap(PV_CAUSE_PAGE_LOAD);
}

Test(trap, load_from_an_unmapped_page) { expect_load_fault(UHOLE, 0x10); }
Test(trap, load_from_a_kernel_page) { expect_load_fault(UNOU, 8); }
Test(trap, load_from_memory_the_machine_lacks) {
  expect_load_fault(UBEYOND, 0);
}
Test(trap, load_with_a_negative_offset) { expect_load_fault(UBEYOND, -4); }

static void expect_store_fault(uint32_t base, int32_t off, uint32_t pa) {
  uint32_t before = pa ? get32(pa) : 0;
  const uint32_t code[] = {ST(SW, S1, off, S1), EBREAK};
  expect_kernel_entry(user_run(code, 2, base, 0), PV_CAUSE_PAGE_STORE,
                      base + (uint32_t)off);
  cr_expect_eq(fget(FW(pc)), UCODE, "at the store");
  if (pa) cr_expect_eq(get32(pa), before, "the store wrote");
  expect_only_trap(PV_CAUSE_PAGE_STORE);
}

Test(trap, store_to_a_read_only_page) {
  expect_store_fault(URO, 4, URO_PA + 4);
}
Test(trap, store_to_the_code_page) {
  expect_store_fault(UCODE, 0x100, UCODE_PA + 0x100);
}
Test(trap, store_to_an_unmapped_page) { expect_store_fault(UHOLE, 0, 0); }

Test(trap, fetch_from_an_unmapped_page_through_jalr) {
  const uint32_t code[] = {cpu_encode(CPU_OP_JALR, RA, S1, 0, 8)};
  expect_kernel_entry(user_run(code, 1, UHOLE, 0), PV_CAUSE_PAGE_FETCH,
                      UHOLE + 8);
  cr_expect_eq(fget(FW(pc)), UHOLE + 8, "pc is the target");
  cr_expect_eq(fget(RA), UCODE + 4, "the jump itself completed");
  cr_expect_eq(m.cpu.s.icount, BOOT_INSNS + 1);
  expect_only_trap(PV_CAUSE_PAGE_FETCH);
}

Test(trap, fetch_from_a_page_without_x_through_jal) {
  const uint32_t code[] = {JAL(ZERO, (int32_t)(UDATA + 0x20 - UCODE))};
  expect_kernel_entry(user_run(code, 1, 0, 0), PV_CAUSE_PAGE_FETCH,
                      UDATA + 0x20);
  cr_expect_eq(fget(FW(pc)), UDATA + 0x20);
  expect_only_trap(PV_CAUSE_PAGE_FETCH);
}

Test(trap, fetch_running_off_the_end_of_the_code_page) {
  put32(UCODE_PA + 0xff8, NOP);
  put32(UCODE_PA + 0xffc, NOP);
  const uint32_t code[] = {JAL(ZERO, 0xff8)};
  expect_kernel_entry(user_run(code, 1, 0, 0), PV_CAUSE_PAGE_FETCH, UDATA);
  cr_expect_eq(fget(FW(pc)), UDATA);
  cr_expect_eq(m.cpu.s.icount, BOOT_INSNS + 3);
  expect_only_trap(PV_CAUSE_PAGE_FETCH);
}

static void expect_illegal(uint32_t word) {
  const uint32_t code[] = {NOP, NOP, word, EBREAK};
  expect_kernel_entry(user_run(code, 4, 0, 0), PV_CAUSE_ILLEGAL, word);
  cr_expect_eq(fget(FW(pc)), UCODE + 8, "at the instruction");
  cr_expect_eq(m.cpu.s.icount, BOOT_INSNS + 2);
  expect_only_trap(PV_CAUSE_ILLEGAL);
}

Test(trap, csr_instruction_is_illegal) { expect_illegal(CSRR_CYCLE); }
Test(trap, all_zero_word_is_illegal) { expect_illegal(0); }
Test(trap, all_ones_word_is_illegal) { expect_illegal(0xffffffffu); }
Test(trap, mret_is_illegal) { expect_illegal(0x30200073u); }

Test(trap, hcall_in_user_mode_is_illegal_and_not_carried_out) {
  const uint32_t code[] = {RI(ADDI, A7, ZERO, PV_HC_SHUTDOWN), HCALL, EBREAK};
  expect_kernel_entry(user_run(code, 3, 0, 0), PV_CAUSE_ILLEGAL,
                      PV_HCALL_WORD);
  cr_expect_eq(fget(FW(pc)), UCODE + 4, "at the hcall");
  cr_expect_eq(fget(A7), PV_HC_SHUTDOWN);
  cr_expect_eq(m.dev.power.off, 0);
  cr_expect_eq(m.stats.hcalls, 3, "only the boot's three calls");
  cr_expect_eq(m.cpu.s.icount, BOOT_INSNS + 1);
  expect_only_trap(PV_CAUSE_ILLEGAL);
}

static void expect_misaligned(uint32_t word, uint32_t s1, uint32_t target) {
  const uint32_t code[] = {NOP, word, EBREAK};
  expect_kernel_entry(user_run(code, 3, s1, 0), PV_CAUSE_MISALIGNED_FETCH,
                      target);
  cr_expect_eq(fget(FW(pc)), UCODE + 4, "at the jump");
  cr_expect_eq(fget(RA), 0x0badc0deu, "the link register is not written");
  cr_expect_eq(m.cpu.s.icount, BOOT_INSNS + 1);
  expect_only_trap(PV_CAUSE_MISALIGNED_FETCH);
}

Test(trap, misaligned_jalr) {
  expect_misaligned(cpu_encode(CPU_OP_JALR, RA, S1, 0, 2), UCODE + 0x20,
                    UCODE + 0x22);
}

Test(trap, misaligned_jalr_to_an_unmapped_page) {
  /* misalignment is found before translation */
  expect_misaligned(cpu_encode(CPU_OP_JALR, RA, S1, 0, 0), UHOLE + 6,
                    UHOLE + 6);
}

Test(trap, misaligned_jal) { expect_misaligned(JAL(RA, 6), 0, UCODE + 4 + 6); }

Test(trap, misaligned_branch) {
  expect_misaligned(BR(BEQ, ZERO, ZERO, 10), 0, UCODE + 4 + 10);
}

Test(trap, ebreak_in_user_mode_stops_the_machine) {
  const uint32_t code[] = {NOP, EBREAK, NOP};
  cr_assert_eq(user_run(code, 3, 0, 0), MACHINE_STOP_EBREAK);
  cr_expect_eq(m.stop, MACHINE_STOP_EBREAK);
  cr_expect_eq(m.cpu.s.mode, CPU_MODE_USER);
  cr_expect_eq(m.cpu.s.pc, UCODE + 4);
  cr_expect_eq(m.cpu.s.icount, BOOT_INSNS + 1);
  cr_expect_eq(total_traps(), 0);
  cr_expect_eq(fget(FW(cause)), 0, "the frame is untouched");
}

Test(trap, every_cause_is_counted) {
  const uint32_t code[] = {
    ECALL,                      /* +0 */
    CSRR_CYCLE,                 /* +4 */
    0,                          /* +8 */
    HCALL,                      /* +12 */
    LD(LW, A0, 0, S1),          /* +16: UHOLE */
    ST(SW, A0, 0, S2),          /* +20: URO */
    JAL(ZERO, 6),               /* +24: misaligned */
    EBREAK,                     /* +28 */
  };
  user_code(code, 8);
  uint32_t x[32] = {0};
  x[S1] = UHOLE;
  x[S2] = URO;
  set_user(x, UCODE);
  entry_return_after(KENTRY);
  boot();
  cr_assert_eq(run_on(), MACHINE_STOP_EBREAK);
  cr_expect_eq(m.cpu.s.mode, CPU_MODE_USER);
  cr_expect_eq(m.cpu.s.pc, UCODE + 28);
  cr_expect_eq(m.stats.traps[PV_CAUSE_ECALL], 1);
  cr_expect_eq(m.stats.traps[PV_CAUSE_ILLEGAL], 3);
  cr_expect_eq(m.stats.traps[PV_CAUSE_PAGE_LOAD], 1);
  cr_expect_eq(m.stats.traps[PV_CAUSE_PAGE_STORE], 1);
  cr_expect_eq(m.stats.traps[PV_CAUSE_PAGE_FETCH], 0);
  cr_expect_eq(m.stats.traps[PV_CAUSE_MISALIGNED_FETCH], 1);
  cr_expect_eq(m.stats.traps[PV_CAUSE_EVENT], 0);
  cr_expect_eq(m.stats.traps[0], 0);
  /* no user instruction retired; five kernel instructions per trap */
  cr_expect_eq(m.stats.user_insns, 0);
  cr_expect_eq(m.cpu.s.icount, BOOT_INSNS + 7 * 5);
  cr_expect_eq(fget(FW(cause)), PV_CAUSE_MISALIGNED_FETCH, "the last one");
  cr_expect_eq(fget(FW(tval)), UCODE + 30);
}

/* ------------------------------------------------ faults in kernel mode */

Test(trap, kernel_fault_with_a_frame_stops_the_machine) {
  expect_status(kcall(PV_HC_VCPU_REGISTER, FRAME, KENTRY), PV_OK);
  expect_status(kcall(PV_HC_MMU_INSTALL, ROOT, 1), PV_OK);
  put32(KCODE, LD(LW, A0, 0, ZERO));
  m.cpu.s.pc = KCODE;
  cr_assert_eq(run_on(), MACHINE_STOP_FAULT);
  cr_expect_eq(m.cpu.fault.kind, CPU_FAULT_LOAD);
  cr_expect_eq(m.cpu.fault.addr, 0);
  cr_expect_eq(m.cpu.s.pc, KCODE);
  cr_expect_eq(m.cpu.s.mode, CPU_MODE_KERNEL);
  cr_expect_eq(total_traps(), 0);
  cr_expect_eq(fget(FW(cause)), 0, "the frame is untouched");
}

Test(trap, kernel_ecall_and_illegal_with_a_frame_stop_the_machine) {
  expect_status(kcall(PV_HC_VCPU_REGISTER, FRAME, KENTRY), PV_OK);
  put32(KCODE, ECALL);
  m.cpu.s.pc = KCODE;
  cr_assert_eq(run_on(), MACHINE_STOP_FAULT);
  cr_expect_eq(m.cpu.fault.kind, CPU_FAULT_ECALL);
  put32(KCODE, CSRR_CYCLE);
  m.cpu.s.pc = KCODE;
  cr_assert_eq(run_on(), MACHINE_STOP_FAULT);
  cr_expect_eq(m.cpu.fault.kind, CPU_FAULT_ILLEGAL);
  cr_expect_eq(m.cpu.s.pc, KCODE);
  cr_expect_eq(m.cpu.s.mode, CPU_MODE_KERNEL);
  cr_expect_eq(total_traps(), 0);
}

Test(trap, fault_in_the_trap_handler_is_a_kernel_panic) {
  const uint32_t code[] = {ECALL};
  put32(KENTRY, 0); /* the handler's first word is illegal */
  user_code(code, 1);
  uint32_t x[32] = {0};
  set_user(x, UCODE);
  boot();
  cr_assert_eq(run_on(), MACHINE_STOP_FAULT);
  cr_expect_eq(m.cpu.fault.kind, CPU_FAULT_ILLEGAL);
  cr_expect_eq(m.cpu.s.pc, KENTRY);
  cr_expect_eq(m.cpu.s.mode, CPU_MODE_KERNEL);
  expect_only_trap(PV_CAUSE_ECALL);
}

/* ------------------------------------------------------------- events */

Test(events, mask_returns_the_previous_and_refuses_unknown_bits) {
  cr_assert_eq(m.dev.events.mask, 0);
  expect_status(kcall(PV_HC_EVENT_MASK, PV_EV_TIMER, 0), PV_OK);
  cr_expect_eq(a1(), 0);
  cr_expect_eq(m.dev.events.mask, PV_EV_TIMER);
  expect_status(kcall(PV_HC_EVENT_MASK, PV_EV_ALL, 0), PV_OK);
  cr_expect_eq(a1(), PV_EV_TIMER);
  cr_expect_eq(m.dev.events.mask, 0xfu);
  static const uint32_t bad[] = {0x10, 0x1f, 0x80000000u, 0xffffffffu, 0x20};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    expect_status(kcall(PV_HC_EVENT_MASK, bad[i], 0), PV_EINVAL);
    cr_expect_eq(m.dev.events.mask, 0xfu, "mask 0x%x changed it", bad[i]);
  }
  expect_status(kcall(PV_HC_EVENT_MASK, 0, 0), PV_OK);
  cr_expect_eq(a1(), 0xfu);
  cr_expect_eq(m.dev.events.mask, 0);
}

/* A kernel-mode loop: one instruction per iteration, forever. */
static void spin(void) {
  put32(KCODE, JAL(ZERO, 0));
  m.cpu.s.pc = KCODE;
}

Test(events, timer_pending_exactly_at_the_deadline) {
  expect_status(kcall(PV_HC_TIMER_SET, 50, 0), PV_OK); /* at icount 0 */
  cr_expect_eq(m.dev.timer.armed, 1);
  cr_expect_eq(m.dev.timer.deadline_ns, 50);
  spin();
  cr_assert_eq(run_to(49), MACHINE_STOP_LIMIT);
  cr_expect_eq(m.dev.events.pending, 0, "at time 49");
  cr_expect_eq(m.dev.timer.armed, 1);
  cr_assert_eq(run_to(50), MACHINE_STOP_LIMIT);
  cr_expect_eq(m.dev.events.pending, PV_EV_TIMER, "at time 50");
  cr_expect_eq(m.dev.timer.armed, 0, "one-shot");
  cr_assert_eq(run_to(500), MACHINE_STOP_LIMIT);
  cr_expect_eq(m.dev.events.pending, PV_EV_TIMER, "until acknowledged");
}

/* The guest's own view: a loop polling event_pending records nothing
 * before the deadline; the poll made at icount == deadline sees it. */
static uint64_t poll_until_timer(uint32_t deadline) {
  expect_status(kcall(PV_HC_TIMER_SET, deadline, 0), PV_OK); /* icount 0 */
  rv_prog p = rv_at(&m.cpu, KCODE);
  rv_emit(&p, RI(ADDI, A7, ZERO, PV_HC_EVENT_PENDING)); /* loop */
  rv_emit(&p, HCALL);
  rv_emit(&p, RI(ANDI, T0, A1, PV_EV_TIMER));
  rv_emit(&p, BR(BEQ, T0, ZERO, -12));
  rv_emit(&p, EBREAK);
  m.cpu.s.pc = KCODE;
  cr_assert_eq(run_on(), MACHINE_STOP_EBREAK);
  return m.cpu.s.icount;
}

Test(events, timer_seen_by_the_poll_at_the_deadline) {
  /* the k-th poll (k = 0, 1, ...) runs at icount 2 + 4k; the loop leaves
   * four instructions later */
  cr_expect_eq(poll_until_timer(50), 53, "poll at 50 sees it");
}

Test(events, timer_not_seen_by_the_poll_just_before) {
  cr_expect_eq(poll_until_timer(51), 57, "poll at 50 misses, at 54 sees");
}

Test(events, timer_in_the_past_fires_at_once) {
  spin();
  cr_assert_eq(run_to(100), MACHINE_STOP_LIMIT);
  expect_status(kcall(PV_HC_TIMER_SET, 1, 0), PV_OK);
  cr_expect_eq(m.dev.events.pending, PV_EV_TIMER);
  cr_expect_eq(m.dev.timer.armed, 0);
  expect_status(kcall(PV_HC_EVENT_ACK, PV_EV_TIMER, 0), PV_OK);
  /* a deadline equal to the time the call is made at (icount 102) */
  expect_status(kcall(PV_HC_TIMER_SET, 102, 0), PV_OK);
  cr_expect_eq(m.dev.events.pending, PV_EV_TIMER);
  cr_expect_eq(m.dev.timer.armed, 0);
}

Test(events, timer_zero_disarms) {
  expect_status(kcall(PV_HC_TIMER_SET, 30, 0), PV_OK);
  expect_status(kcall(PV_HC_TIMER_SET, 0, 0), PV_OK);
  cr_expect_eq(m.dev.timer.armed, 0);
  spin();
  cr_assert_eq(run_to(1000), MACHINE_STOP_LIMIT);
  cr_expect_eq(m.dev.events.pending, 0);
}

Test(events, timer_high_word_counts_and_zero_is_only_all_zero) {
  /* lo 0, hi 1: 2^32 ns, armed (not the "0 disarms" case) */
  expect_status(kcall(PV_HC_TIMER_SET, 0, 1), PV_OK);
  cr_expect_eq(m.dev.timer.armed, 1);
  cr_expect_eq(m.dev.timer.deadline_ns, 1ull << 32);
  spin();
  cr_assert_eq(run_to(100000), MACHINE_STOP_LIMIT);
  cr_expect_eq(m.dev.events.pending, 0);
}

Test(events, a_new_deadline_replaces_the_old) {
  expect_status(kcall(PV_HC_TIMER_SET, 30, 0), PV_OK);
  expect_status(kcall(PV_HC_TIMER_SET, 60, 0), PV_OK);
  spin();
  cr_assert_eq(run_to(59), MACHINE_STOP_LIMIT);
  cr_expect_eq(m.dev.events.pending, 0);
  cr_assert_eq(run_to(60), MACHINE_STOP_LIMIT);
  cr_expect_eq(m.dev.events.pending, PV_EV_TIMER);
}

/* docs/pvabi.md, timer_set: re-arming (or disarming) leaves a timer event
 * that is already pending pending, until event_ack. */
Test(events, rearming_leaves_a_pending_timer_pending) {
  expect_status(kcall(PV_HC_TIMER_SET, 1, 0), PV_OK); /* passed: fires at once */
  cr_assert_eq(m.dev.events.pending, PV_EV_TIMER);
  expect_status(kcall(PV_HC_TIMER_SET, 1000000, 0), PV_OK);
  cr_expect_eq(m.dev.timer.armed, 1);
  cr_expect_eq(m.dev.events.pending, PV_EV_TIMER, "re-arming cleared the event");
  expect_status(kcall(PV_HC_TIMER_SET, 0, 0), PV_OK);
  cr_expect_eq(m.dev.events.pending, PV_EV_TIMER, "disarming cleared the event");
  expect_status(kcall(PV_HC_EVENT_ACK, PV_EV_TIMER, 0), PV_OK);
  cr_expect_eq(m.dev.events.pending, 0);
}

/* User code: 100 x "addi s0, s0, 1", then ebreak.  With the two calls
 * below (icount 0 and 1) and the boot, user instruction k runs at icount
 * 16 + k. */
#define USER_START (2 + BOOT_INSNS)
static void counting_user(uint32_t mask, uint32_t deadline) {
  for (uint32_t k = 0; k < 100; k++) {
    put32(UCODE_PA + 4 * k, RI(ADDI, S0, S0, 1));
  }
  put32(UCODE_PA + 400, EBREAK);
  uint32_t x[32] = {0};
  x[S0] = 1000;
  set_user(x, UCODE);
  put32(KENTRY, EBREAK);
  expect_status(kcall(PV_HC_EVENT_MASK, mask, 0), PV_OK);
  expect_status(kcall(PV_HC_TIMER_SET, deadline, 0), PV_OK);
  boot();
}

Test(events, timer_traps_user_mode_before_the_deadline_instruction) {
  counting_user(PV_EV_TIMER, USER_START + 40);
  expect_kernel_entry(run_on(), PV_CAUSE_EVENT, PV_EV_TIMER);
  cr_expect_eq(m.cpu.s.icount, USER_START + 40);
  cr_expect_eq(fget(FW(pc)), UCODE + 4 * 40, "the next instruction to run");
  cr_expect_eq(fget(S0), 1000 + 40);
  cr_expect_eq(fget(FW(pending)), PV_EV_TIMER);
  cr_expect_eq(m.stats.user_insns, 40);
  expect_only_trap(PV_CAUSE_EVENT);
}

Test(events, timer_right_after_user_return_traps_before_any_user_insn) {
  counting_user(PV_EV_TIMER, USER_START);
  expect_kernel_entry(run_on(), PV_CAUSE_EVENT, PV_EV_TIMER);
  cr_expect_eq(m.cpu.s.icount, USER_START);
  cr_expect_eq(fget(FW(pc)), UCODE);
  cr_expect_eq(fget(S0), 1000);
  cr_expect_eq(m.stats.user_insns, 0);
}

Test(events, masked_timer_only_pends) {
  counting_user(PV_EV_CONSOLE | PV_EV_DISK, USER_START + 40);
  cr_assert_eq(run_on(), MACHINE_STOP_EBREAK);
  cr_expect_eq(m.cpu.s.mode, CPU_MODE_USER);
  cr_expect_eq(m.cpu.s.pc, UCODE + 400);
  cr_expect_eq(m.cpu.s.x[S0], 1100);
  cr_expect_eq(m.cpu.s.icount, USER_START + 100);
  cr_expect_eq(m.dev.events.pending, PV_EV_TIMER);
  cr_expect_eq(total_traps(), 0);
}

Test(events, a_trap_for_another_cause_reports_the_pending_events) {
  /* masked timer pending, then an ecall: the frame shows it */
  const uint32_t code[] = {NOP, NOP, NOP, ECALL};
  user_code(code, 4);
  uint32_t x[32] = {0};
  set_user(x, UCODE);
  put32(KENTRY, EBREAK);
  expect_status(kcall(PV_HC_EVENT_MASK, 0, 0), PV_OK);
  expect_status(kcall(PV_HC_TIMER_SET, USER_START + 1, 0), PV_OK);
  boot();
  expect_kernel_entry(run_on(), PV_CAUSE_ECALL, 0);
  cr_expect_eq(fget(FW(pending)), PV_EV_TIMER);
}

Test(events, ack_clears_the_timer_and_returns_what_stays) {
  expect_status(kcall(PV_HC_TIMER_SET, 1, 0), PV_OK); /* due by the ebreak */
  cr_assert_eq(m.dev.events.pending, PV_EV_TIMER);
  expect_status(kcall(PV_HC_EVENT_ACK, 0x10, 0), PV_EINVAL);
  expect_status(kcall(PV_HC_EVENT_ACK, 0xffffffffu, 0), PV_EINVAL);
  cr_expect_eq(m.dev.events.pending, PV_EV_TIMER, "EINVAL clears nothing");
  expect_status(kcall(PV_HC_EVENT_ACK, PV_EV_CONSOLE, 0), PV_OK);
  cr_expect_eq(a1(), PV_EV_TIMER);
  expect_status(kcall(PV_HC_EVENT_ACK, PV_EV_TIMER, 0), PV_OK);
  cr_expect_eq(a1(), 0);
  cr_expect_eq(m.dev.events.pending, 0);
  expect_status(kcall(PV_HC_EVENT_PENDING, 0, 0), PV_OK);
  cr_expect_eq(a1(), 0);
  expect_status(kcall(PV_HC_EVENT_ACK, PV_EV_ALL, 0), PV_OK);
  cr_expect_eq(a1(), 0);
}

Test(events, ack_of_the_timer_keeps_the_console_pending) {
  static const uint8_t input[] = "in";
  con.in = input;
  con.in_len = 2;
  expect_status(kcall(PV_HC_TIMER_SET, 1, 0), PV_OK);
  expect_status(kcall(PV_HC_EVENT_ACK, PV_EV_TIMER, 0), PV_OK);
  cr_expect_eq(a1(), PV_EV_CONSOLE);
  /* a level event cannot be acknowledged away while input waits */
  expect_status(kcall(PV_HC_EVENT_ACK, PV_EV_CONSOLE, 0), PV_OK);
  cr_expect_eq(a1(), PV_EV_CONSOLE);
}

Test(events, console_is_level_triggered_until_the_end_of_input) {
  static const uint8_t input[] = "ab";
  con.in = input;
  con.in_len = 2;
  con.in_open = false; /* a file: the end of input follows the bytes */
  expect_status(kcall(PV_HC_EVENT_PENDING, 0, 0), PV_OK);
  cr_expect_eq(a1(), PV_EV_CONSOLE);
  for (int i = 0; i < 2; i++) {
    expect_status(kcall(PV_HC_CONSOLE_READ, BUF, 1), PV_OK);
    cr_expect_eq(a1(), 1);
    expect_status(kcall(PV_HC_EVENT_PENDING, 0, 0), PV_OK);
    cr_expect_eq(a1(), PV_EV_CONSOLE, "after byte %d: the end is unread", i);
  }
  cr_expect_eq(memcmp(host(BUF), "b", 1), 0);
  expect_status(kcall(PV_HC_CONSOLE_READ, BUF, 1), PV_OK);
  cr_expect_eq(a1(), 0, "end of input");
  expect_status(kcall(PV_HC_EVENT_PENDING, 0, 0), PV_OK);
  cr_expect_eq(a1(), 0);
  expect_status(kcall(PV_HC_EVENT_ACK, 0, 0), PV_OK);
  cr_expect_eq(a1(), 0);
  expect_status(kcall(PV_HC_CONSOLE_READ, BUF, 1), PV_OK);
  cr_expect_eq(a1(), 0, "end of input is final");
  expect_status(kcall(PV_HC_EVENT_PENDING, 0, 0), PV_OK);
  cr_expect_eq(a1(), 0);
}

Test(events, open_console_is_pending_only_while_bytes_wait) {
  static const uint8_t input[] = "x";
  con.in = input;
  con.in_len = 1;
  expect_status(kcall(PV_HC_EVENT_PENDING, 0, 0), PV_OK);
  cr_expect_eq(a1(), PV_EV_CONSOLE);
  expect_status(kcall(PV_HC_CONSOLE_READ, BUF, 4), PV_OK);
  cr_expect_eq(a1(), 1);
  expect_status(kcall(PV_HC_EVENT_PENDING, 0, 0), PV_OK);
  cr_expect_eq(a1(), 0);
  cr_expect_eq(kcall(PV_HC_CONSOLE_READ, BUF, 4), PV_EAGAIN);
}

Test(events, console_input_traps_user_mode_at_once) {
  static const uint8_t input[] = "x";
  con.in = input;
  con.in_len = 1;
  const uint32_t code[] = {NOP, EBREAK};
  user_code(code, 2);
  uint32_t x[32] = {0};
  set_user(x, UCODE);
  put32(KENTRY, EBREAK);
  expect_status(kcall(PV_HC_EVENT_MASK, PV_EV_CONSOLE, 0), PV_OK);
  boot();
  expect_kernel_entry(run_on(), PV_CAUSE_EVENT, PV_EV_CONSOLE);
  cr_expect_eq(fget(FW(pc)), UCODE, "before the first user instruction");
  cr_expect_eq(fget(FW(pending)), PV_EV_CONSOLE);
  cr_expect_eq(m.cpu.s.icount, 1 + BOOT_INSNS);
  expect_only_trap(PV_CAUSE_EVENT);
}

Test(events, tval_is_only_the_masked_events) {
  static const uint8_t input[] = "x";
  con.in = input;
  con.in_len = 1; /* console pending but not in the mask */
  counting_user(PV_EV_TIMER, USER_START + 3);
  expect_kernel_entry(run_on(), PV_CAUSE_EVENT, PV_EV_TIMER);
  cr_expect_eq(fget(FW(pending)), PV_EV_TIMER | PV_EV_CONSOLE);
  cr_expect_eq(fget(FW(pc)), UCODE + 12);
}

/* --------------------------------------------------------- event_wait */

Test(wait, returns_at_once_with_the_pending_among_those_waited_for) {
  static const uint8_t input[] = "q";
  con.in = input;
  con.in_len = 1;
  expect_status(kcall(PV_HC_TIMER_SET, 1, 0), PV_OK); /* due by the ebreak */
  expect_status(kcall(PV_HC_EVENT_WAIT, PV_EV_TIMER | PV_EV_DISK, 0), PV_OK);
  cr_expect_eq(a1(), PV_EV_TIMER);
  expect_status(kcall(PV_HC_EVENT_WAIT, PV_EV_CONSOLE, 0), PV_OK);
  cr_expect_eq(a1(), PV_EV_CONSOLE);
  expect_status(kcall(PV_HC_EVENT_WAIT, PV_EV_ALL, 0), PV_OK);
  cr_expect_eq(a1(), PV_EV_TIMER | PV_EV_CONSOLE);
  cr_expect_eq(m.dev.timer.idle_ns, 0);
  cr_expect_eq(m.cpu.s.icount, 4);
  cr_expect_eq(m.dev.events.pending, PV_EV_TIMER | PV_EV_CONSOLE,
               "waiting acknowledges nothing");
}

/* wait; mv s0, a0; mv s1, a1; li a7, time_now; time_now; ebreak */
static void wait_then_time(uint32_t events) {
  rv_prog p = rv_at(&m.cpu, KCODE);
  rv_emit(&p, HCALL);
  rv_emit(&p, RI(ADDI, S0, A0, 0));
  rv_emit(&p, RI(ADDI, S1, A1, 0));
  hc(&p, PV_HC_TIME_NOW);
  rv_emit(&p, EBREAK);
  m.cpu.s.pc = KCODE;
  m.cpu.s.x[A7] = PV_HC_EVENT_WAIT;
  m.cpu.s.x[A0] = events;
}

Test(wait, skips_virtual_time_to_the_deadline) {
  expect_status(kcall(PV_HC_TIMER_SET, 1000000, 0), PV_OK); /* icount 0 */
  wait_then_time(PV_EV_TIMER);
  /* the wait alone: one instruction, and time is the deadline + 1 */
  cr_assert_eq(run_to(2), MACHINE_STOP_LIMIT);
  cr_expect_eq(m.cpu.s.icount, 2);
  cr_expect_eq(m.cpu.s.pc, KCODE + 4);
  cr_expect_eq(m.dev.timer.idle_ns, 1000000 - 1);
  cr_expect_eq(dev_timer_now(&m.dev.timer, m.cpu.s.icount), 1000000 + 1);
  cr_assert_eq(run_on(), MACHINE_STOP_EBREAK);
  cr_expect_eq(m.cpu.s.x[S0], PV_OK);
  cr_expect_eq(m.cpu.s.x[S1], PV_EV_TIMER);
  /* time_now ran at icount 5: 5 + 999999 */
  cr_expect_eq(m.cpu.s.x[A1], 1000004);
  cr_expect_eq(m.cpu.s.x[A2], 0);
  cr_expect_eq(m.cpu.s.icount, 6);
  cr_expect_eq(m.dev.timer.armed, 0);
  cr_expect_eq(m.dev.events.pending, PV_EV_TIMER);
}

Test(wait, skip_across_the_high_word) {
  expect_status(kcall(PV_HC_TIMER_SET, 0x10, 3), PV_OK);
  wait_then_time(PV_EV_TIMER | PV_EV_CONSOLE); /* console open, empty */
  cr_assert_eq(run_on(), MACHINE_STOP_EBREAK);
  cr_expect_eq(m.cpu.s.x[S1], PV_EV_TIMER);
  cr_expect_eq(m.cpu.s.x[A1], 0x10 + 4);
  cr_expect_eq(m.cpu.s.x[A2], 3);
  cr_expect_eq(m.dev.timer.idle_ns, (3ull << 32) + 0x10 - 1);
  cr_expect_eq(m.cpu.s.icount, 6);
}

/* hcall at KCALL: the run must stop with a deadlock at it. */
static void expect_deadlock(uint32_t events) {
  uint64_t before = m.cpu.s.icount;
  m.cpu.s.pc = KCALL;
  m.cpu.s.x[A7] = PV_HC_EVENT_WAIT;
  m.cpu.s.x[A0] = events;
  cr_assert_eq(run_on(), MACHINE_STOP_DEADLOCK, "waiting for 0x%x", events);
  cr_expect_eq(m.stop, MACHINE_STOP_DEADLOCK);
  cr_expect_eq(m.deadlock_events, events);
  cr_expect_eq(m.cpu.s.pc, KCALL, "at the hcall");
  cr_expect_eq(m.cpu.s.icount, before, "the wait did not retire");
  cr_expect_eq(m.cpu.s.x[A0], events, "no status written");
}

Test(wait, console_only_on_an_open_empty_console_deadlocks) {
  expect_deadlock(PV_EV_CONSOLE);
  cr_expect_eq(m.dev.timer.idle_ns, 0);
  /* input arrives: the same hcall now completes */
  static const uint8_t input[] = "z";
  con.in = input;
  con.in_len = 1;
  cr_assert_eq(run_on(), MACHINE_STOP_EBREAK);
  cr_expect_eq(m.cpu.s.x[A0], PV_OK);
  cr_expect_eq(m.cpu.s.x[A1], PV_EV_CONSOLE);
  cr_expect_eq(m.deadlock_events, 0, "cleared by the new run");
}

Test(wait, timer_not_armed_deadlocks) {
  expect_deadlock(PV_EV_TIMER);
  expect_deadlock(PV_EV_TIMER | PV_EV_DISK | PV_EV_INPUT);
}

Test(wait, timer_armed_but_not_waited_for_deadlocks) {
  expect_status(kcall(PV_HC_TIMER_SET, 5000, 0), PV_OK);
  expect_deadlock(PV_EV_CONSOLE);
  cr_expect_eq(m.dev.timer.idle_ns, 0);
  cr_expect_eq(m.dev.timer.armed, 1);
}

Test(wait, console_after_its_end_deadlocks) {
  con.in_open = false; /* empty file: only the end of input */
  expect_status(kcall(PV_HC_EVENT_WAIT, PV_EV_CONSOLE, 0), PV_OK);
  cr_expect_eq(a1(), PV_EV_CONSOLE);
  expect_status(kcall(PV_HC_CONSOLE_READ, BUF, 1), PV_OK);
  cr_expect_eq(a1(), 0);
  expect_deadlock(PV_EV_CONSOLE);
}

Test(wait, bad_event_sets_are_einval) {
  static const uint32_t bad[] = {0, 0x10, 0x11, 0x80000000u, 0xffffffffu};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    expect_status(kcall(PV_HC_EVENT_WAIT, bad[i], 0), PV_EINVAL);
  }
  cr_expect_eq(m.dev.timer.idle_ns, 0);
  cr_expect_eq(m.deadlock_events, 0);
}

/* ------------------------------------------------------------ rng_fill */

static void fill(uint32_t buf, uint32_t len, int32_t want) {
  expect_status(kcall(PV_HC_RNG_FILL, buf, len), want);
  if (want == PV_OK) cr_expect_eq(a1(), len);
}

Test(rng, known_answer_for_a_known_state) {
  /* xoshiro128** from {1, 2, 3, 4}: result = rotl(s1 * 5, 7) * 9, then
   * the state update.  By hand: 1280 * 9 = 11520; the state becomes
   * {7, 0, 1026, 12288}, giving 0; then {12295, 1029, 1029, 25165824},
   * giving rotl(5145, 7) * 9 = 658560 * 9 = 5927040. */
  m.dev.rng = (dev_rng){{1, 2, 3, 4}};
  fill(BUF, 12, PV_OK);
  cr_expect_eq(get32(BUF), 11520);
  cr_expect_eq(get32(BUF + 4), 0);
  cr_expect_eq(get32(BUF + 8), 5927040);
  cr_expect_eq(host(BUF)[12], FILL);
}

Test(rng, fresh_machines_follow_their_seed) {
  uint8_t a[64], b[64], c[64];
  finish();
  start(1234);
  fill(BUF, 64, PV_OK);
  memcpy(a, host(BUF), 64);
  finish();
  start(1234);
  fill(BUF, 64, PV_OK);
  memcpy(b, host(BUF), 64);
  finish();
  start(1235);
  fill(BUF, 64, PV_OK);
  memcpy(c, host(BUF), 64);
  cr_expect_eq(memcmp(a, b, 64), 0, "same seed, same bytes");
  cr_expect_neq(memcmp(a, c, 64), 0, "another seed, other bytes");
  int zeros = 0;
  for (int i = 0; i < 64; i++) zeros += a[i] == 0;
  cr_expect_lt(zeros, 8, "%d zero bytes of 64", zeros);
  /* and the bytes are the seeded generator's words, little-endian */
  dev_rng r;
  dev_rng_seed(&r, 1234);
  for (int w = 0; w < 16; w++) {
    uint32_t v = dev_rng_next(&r);
    uint32_t got = a[4 * w] | (uint32_t)a[4 * w + 1] << 8 |
                   (uint32_t)a[4 * w + 2] << 16 | (uint32_t)a[4 * w + 3] << 24;
    cr_expect_eq(got, v, "word %d", w);
  }
}

Test(rng, odd_lengths_fill_exactly_len_bytes) {
  static const uint32_t lens[] = {1, 3, 5, 7, 0};
  for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
    uint32_t buf = BUF + 0x100 * (uint32_t)i + 1; /* unaligned too */
    dev_rng ref = m.dev.rng;
    fill(buf, lens[i], PV_OK);
    uint32_t v = 0;
    for (uint32_t k = 0; k < lens[i]; k++) {
      if (k % 4 == 0) v = dev_rng_next(&ref);
      cr_expect_eq(host(buf)[k], (uint8_t)(v >> (8 * (k % 4))),
                   "len %u byte %u", lens[i], k);
    }
    cr_expect_eq(host(buf)[lens[i]], FILL, "len %u wrote beyond", lens[i]);
    cr_expect_eq(host(buf)[-1], FILL, "len %u wrote before", lens[i]);
  }
}

Test(rng, a_sequence_repeats_across_machines) {
  uint8_t first[16];
  for (int run = 0; run < 2; run++) {
    if (run) {
      finish();
      start(1);
    }
    fill(BUF, 3, PV_OK);
    fill(BUF + 3, 5, PV_OK);
    fill(BUF + 8, 8, PV_OK);
    if (!run) memcpy(first, host(BUF), 16);
  }
  cr_expect_eq(memcmp(first, host(BUF), 16), 0);
}

Test(rng, over_one_mib_is_einval_and_one_mib_is_fine) {
  dev_rng before = m.dev.rng;
  fill(BASE + 0x100000, (1u << 20) + 1, PV_EINVAL);
  fill(BUF, 0xffffffffu, PV_EINVAL);
  cr_expect_eq(memcmp(&m.dev.rng, &before, sizeof before), 0);
  cr_expect_eq(host(BASE + 0x100000)[0], 0, "nothing written");
  fill(BASE + 0x100000, 1u << 20, PV_OK);
  cr_expect_eq(host(BASE + 0x200000)[0], 0, "nothing beyond");
  cr_expect_neq(memcmp(&m.dev.rng, &before, sizeof before), 0);
}

Test(rng, bad_buffers_are_efault_and_change_nothing) {
  dev_rng before = m.dev.rng;
  static const struct { uint32_t buf, len; } bad[] = {
    {END - 3, 4}, {END, 1}, {0, 4}, {BASE - 1, 2}, {0xffffffffu, 2},
    {END - 0x1000, 0x1001},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    fill(bad[i].buf, bad[i].len, PV_EFAULT);
  }
  cr_expect_eq(memcmp(&m.dev.rng, &before, sizeof before), 0);
  const uint8_t *last_page = host(END - 0x1000);
  for (uint32_t i = 0; i < 0x1000; i++) {
    if (last_page[i]) cr_assert_fail("byte 0x%x of the last page written", i);
  }
  fill(END - 4, 4, PV_OK); /* the last word of RAM is fine */
  cr_expect_neq(get32(END - 4), 0);
}

/* --------------------------------------------------------- determinism */

/* Two processes in their own address spaces share one program:
 *   loop: addi s3, s3, 1; sw s3, 0(s4); andi t0, s3, 63; bnez t0, loop
 *         ecall; j loop
 * The kernel switches process on every trap (timer or ecall): it saves
 * the frame into the current process's area, loads the other's, installs
 * its table, acknowledges the timer and arms the next tick QUANTUM ns
 * later. */
#define QUANTUM 150u
#define CUR KDATA                /* the running process, 0 or 1 */
#define SAVE(i) (KDATA + 0x100u * ((i) + 1))

static void preemptive_system(uint32_t quantum) {
  const uint32_t code[] = {
    RI(ADDI, S3, S3, 1), ST(SW, S3, 0, S4), RI(ANDI, T0, S3, 63),
    BR(BNE, T0, ZERO, -12), ECALL, JAL(ZERO, -20),
  };
  for (size_t i = 0; i < 6; i++) {
    put32(UCODE_PA + 4 * (uint32_t)i, code[i]);
    put32(UCODE2_PA + 4 * (uint32_t)i, code[i]);
  }
  uint32_t x[32] = {0};
  x[S4] = UDATA;
  set_user(x, UCODE);
  put32(SAVE(1) + 4 * S3, 1000);
  put32(SAVE(1) + 4 * S4, UDATA);
  put32(SAVE(1) + 128, UCODE);

  rv_prog p = rv_at(&m.cpu, KENTRY);
  rv_emit(&p, RI(ADDI, S0, A0, 0));
  rv_emit(&p, RI(ADDI, T3, ZERO, PV_CAUSE_ECALL));
  rv_emit(&p, BR(BNE, A1, T3, 16));
  rv_emit(&p, LD(LW, T2, 128, S0));
  rv_emit(&p, RI(ADDI, T2, T2, 4));
  rv_emit(&p, ST(SW, T2, 128, S0));
  rv_li(&p, S1, KDATA);
  rv_emit(&p, LD(LW, T0, 0, S1));
  rv_emit(&p, RI(SLLI, T1, T0, 8));
  rv_emit(&p, RR(ADD, S2, S1, T1));
  rv_emit(&p, RI(ADDI, S2, S2, 0x100));
  for (int32_t off = 4; off <= 128; off += 4) {
    rv_emit(&p, LD(LW, T2, off, S0));
    rv_emit(&p, ST(SW, T2, off, S2));
  }
  rv_emit(&p, RI(XORI, T0, T0, 1));
  rv_emit(&p, ST(SW, T0, 0, S1));
  rv_emit(&p, RI(SLLI, T1, T0, 8));
  rv_emit(&p, RR(ADD, S2, S1, T1));
  rv_emit(&p, RI(ADDI, S2, S2, 0x100));
  for (int32_t off = 4; off <= 128; off += 4) {
    rv_emit(&p, LD(LW, T2, off, S2));
    rv_emit(&p, ST(SW, T2, off, S0));
  }
  rv_li(&p, A0, ROOT); /* ROOT2 = ROOT + 0x2000 */
  rv_emit(&p, RI(SLLI, T1, T0, 13));
  rv_emit(&p, RR(ADD, A0, A0, T1));
  rv_emit(&p, RI(ADDI, A1, T0, 1));
  hc(&p, PV_HC_MMU_INSTALL);
  rv_emit(&p, RI(ADDI, A0, ZERO, PV_EV_TIMER));
  hc(&p, PV_HC_EVENT_ACK);
  hc(&p, PV_HC_TIME_NOW);
  rv_emit(&p, RI(ADDI, A0, A1, (int32_t)quantum));
  rv_emit(&p, RR(SLTU, T1, A0, A1));
  rv_emit(&p, RR(ADD, A1, A2, T1));
  hc(&p, PV_HC_TIMER_SET);
  hc(&p, PV_HC_USER_RETURN);
  cr_assert_lt(p.va, KENTRY + CPU_PAGE_SIZE);

  expect_status(kcall(PV_HC_EVENT_MASK, PV_EV_TIMER, 0), PV_OK);
  expect_status(kcall(PV_HC_TIMER_SET, 2 + BOOT_INSNS + quantum, 0), PV_OK);
  boot_with(ROOT, 1);
}

#define SYSTEM_INSNS 40000u

static void expect_system_progressed(void) {
  cr_expect_eq(m.cpu.s.icount, SYSTEM_INSNS);
  uint32_t c0 = get32(UDATA_PA), c1 = get32(UDATA2_PA);
  cr_expect_gt(c0, 100, "process 0 counted to %u", c0);
  cr_expect_gt(c1, 1100, "process 1 counted to %u", c1);
  cr_expect_lt(c1, 1000 + SYSTEM_INSNS / 4);
  cr_expect_gt(m.stats.traps[PV_CAUSE_EVENT], 20);
  cr_expect_gt(m.stats.traps[PV_CAUSE_ECALL], 5);
  cr_expect_eq(total_traps(), m.stats.traps[PV_CAUSE_EVENT] +
                                  m.stats.traps[PV_CAUSE_ECALL]);
}

Test(determinism, two_runs_of_a_preemptive_system_are_identical) {
  preemptive_system(QUANTUM);
  cr_assert_eq(run_to(SYSTEM_INSNS), MACHINE_STOP_LIMIT);
  expect_system_progressed();
  uint64_t hash = machine_state_hash(&m);
  uint64_t events = m.stats.traps[PV_CAUSE_EVENT];
  uint32_t c0 = get32(UDATA_PA), c1 = get32(UDATA2_PA);
  finish();
  start(1);
  preemptive_system(QUANTUM);
  cr_assert_eq(run_to(SYSTEM_INSNS), MACHINE_STOP_LIMIT);
  cr_expect_eq(machine_state_hash(&m), hash);
  cr_expect_eq(m.stats.traps[PV_CAUSE_EVENT], events);
  cr_expect_eq(get32(UDATA_PA), c0);
  cr_expect_eq(get32(UDATA2_PA), c1);
}

Test(determinism, running_in_slices_changes_nothing) {
  preemptive_system(QUANTUM);
  cr_assert_eq(run_to(SYSTEM_INSNS), MACHINE_STOP_LIMIT);
  uint64_t hash = machine_state_hash(&m);
  uint64_t events = m.stats.traps[PV_CAUSE_EVENT];
  finish();
  start(1);
  preemptive_system(QUANTUM);
  /* one instruction at a time through several ticks, then odd slices */
  for (uint64_t n = 1; n <= 3000; n++) {
    cr_assert_eq(run_to(n), MACHINE_STOP_LIMIT);
  }
  for (uint64_t n = 3000; n < SYSTEM_INSNS;) {
    n = n + 97 < SYSTEM_INSNS ? n + 97 : SYSTEM_INSNS;
    cr_assert_eq(run_to(n), MACHINE_STOP_LIMIT);
  }
  expect_system_progressed();
  cr_expect_eq(m.stats.traps[PV_CAUSE_EVENT], events);
  cr_expect_eq(machine_state_hash(&m), hash);
}

Test(determinism, another_quantum_gives_another_state) {
  preemptive_system(QUANTUM);
  cr_assert_eq(run_to(SYSTEM_INSNS), MACHINE_STOP_LIMIT);
  uint64_t hash = machine_state_hash(&m);
  finish();
  start(1);
  preemptive_system(QUANTUM + 1);
  cr_assert_eq(run_to(SYSTEM_INSNS), MACHINE_STOP_LIMIT);
  cr_expect_eq(m.cpu.s.icount, SYSTEM_INSNS);
  cr_expect_neq(machine_state_hash(&m), hash);
}

Test(determinism, the_hash_covers_the_kernel_state) {
  preemptive_system(QUANTUM);
  cr_assert_eq(run_to(SYSTEM_INSNS), MACHINE_STOP_LIMIT);
  uint64_t h = machine_state_hash(&m);
#define FLIP(lvalue, bits)                                               \
  do {                                                                   \
    (lvalue) ^= (bits);                                                  \
    cr_expect_neq(machine_state_hash(&m), h, #lvalue " is not hashed");  \
    (lvalue) ^= (bits);                                                  \
    cr_expect_eq(machine_state_hash(&m), h, #lvalue);                    \
  } while (0)
  FLIP(m.cpu.s.mode, 1u);
  FLIP(m.cpu.s.pt_root, 0x2000u);
  FLIP(m.cpu.s.asid, 1u);
  FLIP(m.dev.events.pending, PV_EV_TIMER);
  FLIP(m.dev.events.pending, PV_EV_DISK);
  FLIP(m.dev.events.mask, PV_EV_CONSOLE);
  FLIP(m.dev.timer.armed, 1u);
  FLIP(m.dev.timer.deadline_ns, 1ull);
  FLIP(m.dev.timer.deadline_ns, 1ull << 40);
  FLIP(m.dev.timer.idle_ns, 1ull);
  FLIP(m.dev.timer.idle_ns, 1ull << 50);
  FLIP(m.dev.vcpu.registered, 1u);
  FLIP(m.dev.vcpu.frame, 0x10u);
  FLIP(m.dev.vcpu.entry, 4u);
  for (int i = 0; i < 4; i++) FLIP(m.dev.rng.s[i], 1u << (7 * i));
  /* and the frame itself, in RAM */
  FLIP(m.ram[FRAME - BASE + 4 * FW(pc)], 4u);
  FLIP(m.ram[FRAME - BASE + 4 * FW(pending)], 1u);
#undef FLIP
}
