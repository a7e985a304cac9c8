/* Traps: every way into the kernel after boot.
 *
 * pvlab has no trap vector register and no interrupt controller: at boot
 * the kernel registers its frame and one entry point (vcpu_register), and
 * from then on every trap from user mode (a system call, a fault, a
 * pending event) saves the user registers in the frame and calls trap()
 * on a fresh kernel stack, with the cause and its detail as arguments.
 * trap() never returns: it ends in the scheduler, which leaves the kernel
 * with user_return.  No assembly is needed on either side. */
#include "kernel.h"

/* Why a process is killed, by cause (for the message). */
static const char *const fault_names[PV_CAUSE_COUNT] = {
    [PV_CAUSE_ILLEGAL] = "illegal instruction",
    [PV_CAUSE_PAGE_LOAD] = "page fault on a load",
    [PV_CAUSE_PAGE_STORE] = "page fault on a store",
    [PV_CAUSE_PAGE_FETCH] = "page fault on an instruction fetch",
    [PV_CAUSE_MISALIGNED_FETCH] = "jump to a misaligned address",
};

static void on_ecall(struct proc *p, uint32_t tval) {
  (void)p, (void)tval;
  syscall();
}

/* A fault the process cannot survive: it is killed, the kernel goes on. */
static void on_fault(struct proc *p, uint32_t tval) {
  uint32_t cause = kframe.cause;
  kprintf("pvos: pid %d (%s) killed: %s at 0x%08lx, pc 0x%08lx\n", p->pid, p->name,
          fault_names[cause], (unsigned long)tval, (unsigned long)kframe.pc);
  proc_exit(p, -1);
}

/* A page fault may be the first touch of a heap page (vm.c). */
static void on_page_fault(struct proc *p, uint32_t tval) {
  if (vm_lazy_fault(p, tval) < 0) on_fault(p, tval);
}

static void on_event(struct proc *p, uint32_t tval) {
  (void)p;
  sched_events(tval);
}

static void (*const handlers[PV_CAUSE_COUNT])(struct proc *, uint32_t) = {
    [PV_CAUSE_ECALL] = on_ecall,
    [PV_CAUSE_ILLEGAL] = on_fault,
    [PV_CAUSE_PAGE_LOAD] = on_page_fault,
    [PV_CAUSE_PAGE_STORE] = on_page_fault,
    [PV_CAUSE_PAGE_FETCH] = on_page_fault,
    [PV_CAUSE_MISALIGNED_FETCH] = on_fault,
    [PV_CAUSE_EVENT] = on_event,
};

/* The entry point: a0 = the frame, a1 = the cause, a2 = its detail. */
__attribute__((noreturn)) static void trap(struct pv_vcpu *f, uint32_t cause, uint32_t tval) {
  (void)f; /* always &kframe */
  if (cause >= PV_CAUSE_COUNT || !handlers[cause] || !curproc)
    panic("trap with cause %lu from %s", (unsigned long)cause, curproc ? curproc->name : "no process");
  handlers[cause](curproc, tval);
  sched();
}

/* The trap handler starts with every register zero but sp, gp and tp,
 * which the machine takes from the frame: the kernel's stack (reused from
 * its top by each trap, as no trap returns) and the C runtime's pointers. */
void trap_init(uint32_t kernel_sp) {
  uint32_t gp, tp;
  __asm__("mv %0, gp" : "=r"(gp));
  __asm__("mv %0, tp" : "=r"(tp));
  kframe.kernel_sp = kernel_sp;
  kframe.kernel_gp = gp;
  kframe.kernel_tp = tp;
  if (pv_vcpu_register(&kframe, (uint32_t)(uintptr_t)trap).status != PV_OK)
    panic("vcpu_register refused the trap frame at %p", (void *)&kframe);
}
