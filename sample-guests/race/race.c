/* race: a kernel with a planted race, for `pvlab explore --jitter`
 * (docs/replay.md, "Finding races").
 *
 * Two user-mode threads share one address space (the kernel's own image,
 * mapped for user mode by 4 MiB megapages) and a counter.  Each adds 1
 * to it ROUNDS times; the kernel preempts them on timer events, round
 * robin, and when both have exited checks that the counter is 2 x ROUNDS.
 *
 * The bug, for teachers: unsafe_increment() is `counter = counter + 1`,
 * which the CPU does as three instructions: load, add, store.  If the
 * timer preempts a thread after its load and before its store, the other
 * thread runs a whole time slice of increments, and then the first one
 * stores its stale value + 1 over all of them: a lost update.  The window
 * is 2 instructions (a preemption before the add or before the store) of
 * a loop iteration of about 400, and a run preempts a thread 4 times while
 * the other is still counting, so about 4 x 2 / 400 = 1 run in 50 fails.
 * (Preemptions after one thread has exited lose nothing.)  The fix is to make
 * the increment atomic with respect to the scheduler: a system call that
 * does it in the kernel (never preempted), or a lock, or (on a CPU with
 * the A extension) an atomic add.
 *
 * Without --jitter, pvlab's timer fires at exactly the deadline, so every
 * run preempts the same instructions and this one always passes: the bug
 * is there but never shows.  With --jitter each timer event comes a
 * seed-chosen 0 to 10 us late, so the preemptions land elsewhere in each
 * seed.  Measured over seeds 0..999 with --jitter: 22 fail (2.2%, about
 * one in 45), the first at seed 9; without --jitter none does.
 *
 * Exit status: 0 when the count is right, 1 on a lost update ("race: lost
 * update: counter = N, expected M"), 2 when a thread faulted. */
#include <stdint.h>
#include <stdio.h>

#include "pv.h"

#define NTHREADS 2
#define ROUNDS 600
#define QUANTUM_NS 100000u /* a 100 us time slice: 100000 instructions */
#define THINK 78           /* work between increments, not shared */
#define MEGAPAGE 0x400000u

#define PTE_V 0x01u
#define PTE_R 0x02u
#define PTE_W 0x04u
#define PTE_X 0x08u
#define PTE_U 0x10u

struct thread {
  uint32_t x[32], pc; /* saved user registers while not running */
  int alive;
};

static volatile uint32_t counter;
static struct thread threads[NTHREADS];
static int current;
static unsigned preemptions;
static struct pv_vcpu frame __attribute__((aligned(16)));
static uint8_t kstack[8192] __attribute__((aligned(16)));
static uint8_t ustack[NTHREADS][4096] __attribute__((aligned(16)));
static uint32_t root[1024] __attribute__((aligned(4096)));

/* ---- user mode: the threads */

/* THE BUG: a read-modify-write that a preemption can split. */
static void unsafe_increment(void) {
  uint32_t v = counter; /* a preemption from after this load ... */
  counter = v + 1;      /* ... until this store loses updates */
}

/* Private work between increments (a real program would compute here). */
static void think(void) {
  for (volatile int i = 0; i < THINK; i++) {
  }
}

__attribute__((noreturn)) static void worker(void) {
  for (int i = 0; i < ROUNDS; i++) {
    unsafe_increment();
    think();
  }
  __asm__ volatile("ecall"); /* the only system call: exit */
  for (;;) {
  }
}

/* ---- kernel mode */

static void arm_timer(void) {
  pv_ret t = pv_time_now();
  uint64_t at = (t.value | (uint64_t)t.value2 << 32) + QUANTUM_NS;
  pv_timer_set((uint32_t)at, (uint32_t)(at >> 32));
}

/* The end: every thread has exited. */
__attribute__((noreturn)) static void report(void) {
  uint32_t expected = NTHREADS * ROUNDS;
  if (counter != expected) {
    printf("race: lost update: counter = %u, expected %u (%u preemptions)\n",
           (unsigned)counter, (unsigned)expected, preemptions);
    pv_shutdown(1);
  } else {
    printf("race: counter = %u, as expected (%u preemptions)\n",
           (unsigned)counter, preemptions);
    pv_shutdown(0);
  }
  __builtin_unreachable();
}

/* Round robin: the next live thread after the current one. */
__attribute__((noreturn)) static void schedule(void) {
  for (int i = 1; i <= NTHREADS; i++) {
    struct thread *t = &threads[(current + i) % NTHREADS];
    if (!t->alive) continue;
    current = (int)(t - threads);
    for (int r = 0; r < 32; r++) frame.x[r] = t->x[r];
    frame.pc = t->pc;
    arm_timer();
    pv_user_return();
    printf("race: user_return failed\n");
    pv_shutdown(2);
  }
  report();
}

/* Every trap enters here, on a fresh kernel stack. */
__attribute__((noreturn)) static void trap(struct pv_vcpu *f, uint32_t cause,
                                           uint32_t tval) {
  struct thread *t = &threads[current];
  for (int r = 0; r < 32; r++) t->x[r] = f->x[r];
  t->pc = f->pc;
  if (cause == PV_CAUSE_EVENT && (tval & PV_EV_TIMER)) {
    preemptions++;
    pv_event_ack(PV_EV_TIMER);
  } else if (cause == PV_CAUSE_ECALL) {
    t->alive = 0;
  } else {
    printf("race: thread %d faulted: cause %u, tval 0x%08x, pc 0x%08x\n",
           current, (unsigned)cause, (unsigned)tval, (unsigned)f->pc);
    pv_shutdown(2);
  }
  schedule();
}

int main(void) {
  uint32_t gp, tp;
  __asm__("mv %0, gp" : "=r"(gp));
  __asm__("mv %0, tp" : "=r"(tp));
  frame.kernel_sp = (uint32_t)(uintptr_t)(kstack + sizeof kstack);
  frame.kernel_gp = gp;
  frame.kernel_tp = tp;
  if (pv_vcpu_register(&frame, (uint32_t)(uintptr_t)trap).status != PV_OK) {
    printf("race: vcpu_register refused the frame\n");
    return 2;
  }
  /* user mode sees the image where it lies: VA = PA, two megapages */
  for (uint32_t va = 0x80000000u; va < 0x80000000u + 2 * MEGAPAGE; va += MEGAPAGE) {
    root[va >> 22] = (va >> 12) << 10 | PTE_V | PTE_R | PTE_W | PTE_X | PTE_U;
  }
  pv_mmu_install((uint32_t)(uintptr_t)root, 1);
  for (int i = 0; i < NTHREADS; i++) {
    threads[i].alive = 1;
    threads[i].pc = (uint32_t)(uintptr_t)worker;
    threads[i].x[2] = (uint32_t)(uintptr_t)(ustack[i] + sizeof ustack[i]); /* sp */
    threads[i].x[3] = gp;
    threads[i].x[4] = tp;
  }
  pv_event_mask(PV_EV_TIMER);
  current = NTHREADS - 1; /* so that schedule() starts with the first */
  schedule();
}
