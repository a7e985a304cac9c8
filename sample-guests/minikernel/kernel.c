/* minikernel: the smallest kernel that uses the whole para-API model.
 *
 * Two user processes, each in its own Sv32 address space, preempted by the
 * timer, making system calls with ecall.  Everything a real kernel would do
 * with privileged instructions is a hypercall (docs/pvabi.md):
 *   vcpu_register  where traps save the user registers, where they enter
 *   mmu_install    which page table user mode runs on
 *   timer_set      the end of the current time slice
 *   user_return    "return from trap" into the process in the frame
 * A context switch is copying the current process's registers out of the
 * trap frame and the next one's in, then user_return. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pv.h"
#include "syscalls.h"

#define PAGE 4096u
#define NPROC 2
#define POOL_PAGES 16
#define USER_BASE 0x10000u      /* where user programs are linked */
#define USER_STACK_TOP 0x80000u /* one stack page just below */
#define QUANTUM_NS 20000u       /* 20 us of virtual time: 20000 instructions */

#define PTE_V 0x01u
#define PTE_R 0x02u
#define PTE_W 0x04u
#define PTE_X 0x08u
#define PTE_U 0x10u

extern const char user_image[], user_image_end[]; /* user_blob.S */

struct proc {
  uint32_t x[32], pc; /* saved user registers while not running */
  uint32_t *root;     /* its page table */
  int pid, alive;
};

static struct proc procs[NPROC];
static int current;
static struct pv_vcpu frame __attribute__((aligned(16)));
static uint8_t kstack[8192] __attribute__((aligned(16)));
static uint8_t pool[POOL_PAGES][PAGE] __attribute__((aligned(PAGE)));
static unsigned pool_used, preemptions, syscalls;

__attribute__((noreturn)) static void panic(const char *why) {
  printf("kernel panic: %s\n", why);
  pv_shutdown(99);
  __builtin_unreachable();
}

static void *page_alloc(void) {
  if (pool_used == POOL_PAGES) panic("out of pages");
  return memset(pool[pool_used++], 0, PAGE);
}

/* Kernel mode is physical, so a page's address is also its PPN << 12. */
static uint32_t pte(const void *pa, uint32_t perm) {
  return ((uint32_t)(uintptr_t)pa >> 12) << 10 | perm | PTE_V;
}
static uint32_t *pte_target(uint32_t e) { return (uint32_t *)(uintptr_t)((e >> 10) << 12); }

static void map(uint32_t *root, uint32_t va, void *pa, uint32_t perm) {
  uint32_t *l1 = &root[va >> 22];
  if (!(*l1 & PTE_V)) *l1 = pte(page_alloc(), 0); /* a pointer: no R/W/X */
  pte_target(*l1)[(va >> 12) & 0x3ffu] = pte(pa, perm);
}

/* The kernel's pointer to user address va, if the process may read it. */
static const char *user_ptr(const struct proc *p, uint32_t va) {
  uint32_t l1 = p->root[va >> 22];
  if (!(l1 & PTE_V)) return NULL;
  uint32_t l0 = pte_target(l1)[(va >> 12) & 0x3ffu];
  if ((l0 & (PTE_V | PTE_U | PTE_R)) != (PTE_V | PTE_U | PTE_R)) return NULL;
  return (const char *)pte_target(l0) + (va & (PAGE - 1));
}

static long sys_write(const struct proc *p, uint32_t buf, uint32_t len) {
  for (uint32_t done = 0; done < len;) { /* a page at a time */
    const char *k = user_ptr(p, buf + done);
    if (!k) return -1;
    uint32_t n = PAGE - ((buf + done) & (PAGE - 1));
    if (n > len - done) n = len - done;
    fwrite(k, 1, n, stdout);
    done += n;
  }
  fflush(stdout);
  return (long)len;
}

static void arm_timer(void) {
  pv_ret t = pv_time_now();
  uint64_t at = (t.value | (uint64_t)t.value2 << 32) + QUANTUM_NS;
  pv_timer_set((uint32_t)at, (uint32_t)(at >> 32));
}

/* Round robin: the next live process after the current one, into the
 * frame and onto the CPU.  Never returns. */
__attribute__((noreturn)) static void schedule(void) {
  for (int i = 1; i <= NPROC; i++) {
    struct proc *p = &procs[(current + i) % NPROC];
    if (!p->alive) continue;
    current = (int)(p - procs);
    memcpy(frame.x, p->x, sizeof frame.x);
    frame.pc = p->pc;
    pv_mmu_install((uint32_t)(uintptr_t)p->root, (uint32_t)p->pid);
    arm_timer();
    pv_user_return();
    panic("user_return failed");
  }
  printf("kernel: all processes exited; %u preemptions, %u system calls\n",
         preemptions, syscalls);
  pv_shutdown(0);
  __builtin_unreachable();
}

/* Every trap enters here, on a fresh kernel stack (docs/pvabi.md). */
__attribute__((noreturn)) static void trap(struct pv_vcpu *f, uint32_t cause,
                                           uint32_t tval) {
  struct proc *p = &procs[current];
  memcpy(p->x, f->x, sizeof p->x);
  p->pc = f->pc;
  switch (cause) {
  case PV_CAUSE_ECALL:
    syscalls++;
    p->pc += 4; /* return after the ecall, not to it */
    switch (p->x[17]) {
    case SYS_WRITE: p->x[10] = (uint32_t)sys_write(p, p->x[10], p->x[11]); break;
    case SYS_GETPID: p->x[10] = (uint32_t)p->pid; break;
    case SYS_EXIT:
      printf("kernel: pid %d exited with %u\n", p->pid, (unsigned)p->x[10]);
      p->alive = 0;
      schedule();
    default: p->x[10] = (uint32_t)-1; break;
    }
    /* the same process goes on, in the rest of its time slice */
    memcpy(f->x, p->x, sizeof f->x);
    f->pc = p->pc;
    pv_user_return();
    panic("user_return failed");
  case PV_CAUSE_EVENT:
    if (tval & PV_EV_TIMER) {
      preemptions++;
      pv_event_ack(PV_EV_TIMER);
    }
    schedule();
  default:
    printf("kernel: pid %d killed: cause %u, tval 0x%08x, pc 0x%08x\n", p->pid,
           (unsigned)cause, (unsigned)tval, (unsigned)p->pc);
    p->alive = 0;
    schedule();
  }
}

static void spawn(struct proc *p, int pid) {
  p->pid = pid;
  p->alive = 1;
  p->root = page_alloc();
  uint32_t size = (uint32_t)(user_image_end - user_image);
  for (uint32_t off = 0; off < size; off += PAGE) { /* a private copy */
    uint8_t *pg = page_alloc();
    memcpy(pg, user_image + off, size - off < PAGE ? size - off : PAGE);
    map(p->root, USER_BASE + off, pg, PTE_R | PTE_W | PTE_X | PTE_U);
  }
  map(p->root, USER_STACK_TOP - PAGE, page_alloc(), PTE_R | PTE_W | PTE_U);
  p->x[2] = USER_STACK_TOP;     /* sp */
  p->x[10] = (uint32_t)pid - 1; /* a0: which instance */
  p->pc = USER_BASE;
}

int main(void) {
  printf("kernel: starting %d processes\n", NPROC);
  uint32_t gp, tp;
  __asm__("mv %0, gp" : "=r"(gp));
  __asm__("mv %0, tp" : "=r"(tp));
  frame.kernel_sp = (uint32_t)(uintptr_t)(kstack + sizeof kstack);
  frame.kernel_gp = gp;
  frame.kernel_tp = tp;
  if (pv_vcpu_register(&frame, (uint32_t)(uintptr_t)trap).status != PV_OK) {
    panic("vcpu_register refused the frame");
  }
  for (int i = 0; i < NPROC; i++) spawn(&procs[i], i + 1);
  pv_event_mask(PV_EV_TIMER);
  current = NPROC - 1; /* so that schedule() starts with the first */
  schedule();
}
