/* The scheduler: which process runs next, for how long, and the context
 * switch.
 *
 * The context switch is pvlab's para-API at work.  There is one trap frame
 * (kframe), registered with vcpu_register at boot: on every trap the
 * machine saves the user registers there, and user_return loads them from
 * there.  So the frame holds the registers of one process, its "owner":
 * switching to another process is saving the owner's registers into its
 * struct proc and loading the next one's into the frame.  That copy is
 * done only when it is needed: a process that makes a system call and goes
 * on, or is preempted with nobody else to run, keeps the frame.
 *
 * Time: pvlab's clock is virtual (1 ns per instruction, time_now) and its
 * timer is one-shot (timer_set).  Before returning to user mode the kernel
 * arms it for the first thing it must do: end the running process's time
 * slice (QUANTUM_NS) or wake a process from sleep().  With nothing to run,
 * it waits for an event (event_wait), and the machine skips the idle time. */
#include <string.h>

#include "kernel.h"

struct pv_vcpu kframe __attribute__((aligned(16)));
struct proc *curproc;
uint32_t sched_switches;    /* context switches: the frame changed owner */
uint32_t sched_preemptions; /* time slices that ended with the process still running */

static struct proc *owner;  /* whose registers are in kframe */
static uint64_t slice_end;  /* when curproc's time slice ends */
static int last;            /* the procs[] slot picked last */
static uint32_t event_mask;

#define NREGS 31 /* x1..x31 (x0 is always zero) */

/* noinline: so that the debugger shows them by name (`break ctx_save`). */
__attribute__((noinline)) static void ctx_save(struct proc *p) {
#ifndef EXERCISE_RACE
  for (int r = 1; r <= NREGS; r++) p->regs[r] = kframe.x[r];
#else
  for (int r = 1; r < NREGS; r++) p->regs[r] = kframe.x[r];
#endif
  p->pc = kframe.pc;
}

__attribute__((noinline)) static void ctx_load(const struct proc *p) {
  for (int r = 1; r <= NREGS; r++) kframe.x[r] = p->regs[r];
  kframe.pc = p->pc;
}

uint64_t now_ns(void) {
  pv_ret t = pv_time_now();
  return t.value | (uint64_t)t.value2 << 32;
}

static void timer_at(uint64_t ns) { pv_timer_set((uint32_t)ns, (uint32_t)(ns >> 32)); }

/* The next process to run: a RUNNABLE one, or NULL. */
static struct proc *pick(void) {
#ifndef EXERCISE_SCHED
  /* The highest priority wins; among equals, the first after the one
   * picked last, so that they take turns (round robin). */
  struct proc *best = NULL;
  for (int i = 1; i <= NPROC; i++) {
    struct proc *p = &procs[(last + i) % NPROC];
    if (p->state == RUNNABLE && (!best || p->priority > best->priority)) best = p;
  }
  if (best) last = (int)(best - procs);
  return best;
#else
  /* TODO(sched): run the RUNNABLE process with the highest priority
   * (p->priority, set by setpriority()); among equal priorities keep the
   * round robin below.  See README.md. */
  for (int i = 1; i <= NPROC; i++) {
    struct proc *p = &procs[(last + i) % NPROC];
    if (p->state != RUNNABLE) continue;
    last = (int)(p - procs);
    return p;
  }
  return NULL;
#endif
}

/* Into user mode as p: its registers into the frame (if they are not
 * there), its page table, the timer, the events that may interrupt it. */
__attribute__((noreturn)) static void run(struct proc *p) {
  uint64_t now = now_ns();
  if (p != curproc || now >= slice_end) slice_end = now + QUANTUM_NS;
  curproc = p;
  p->state = RUNNING;
  if (owner != p) {
    if (owner) ctx_save(owner);
    ctx_load(p);
    owner = p;
    sched_switches++;
    pv_mmu_install((uint32_t)(uintptr_t)p->pagetable, (uint32_t)p->pid);
  }
  uint64_t wake = next_wake_ns();
  timer_at(wake < slice_end ? wake : slice_end);
  uint32_t mask = PV_EV_TIMER | (console_has_waiters() ? PV_EV_CONSOLE : 0);
  if (mask != event_mask) pv_event_mask(event_mask = mask);
  pv_user_return();
  panic("user_return refused to run pid %d", p->pid);
}

/* Nothing to run: wait for the clock (a sleep() ending) or the console (a
 * reader waiting).  The machine jumps straight to the timer's deadline. */
static void idle(void) {
  uint32_t want = console_has_waiters() ? PV_EV_CONSOLE : 0;
  uint64_t wake = next_wake_ns();
  curproc = NULL;
  if (wake != UINT64_MAX) {
    timer_at(wake);
    want |= PV_EV_TIMER;
  }
  if (!want) panic("deadlock: no process can run and none waits for the clock or the console");
  sched_events((uint32_t)pv_event_wait(want).value);
}

/* What the machine told us: the timer fired (sleepers may be due), the
 * console has input (its readers try again). */
void sched_events(uint32_t pending) {
  if (pending & PV_EV_TIMER) {
    pv_event_ack(PV_EV_TIMER);
    wake_sleepers(now_ns());
  }
  if (pending & PV_EV_CONSOLE) console_wake();
}

/* Where every trap ends: the running process goes on if its time slice
 * is not over, else the next one runs (possibly the same again). */
void sched(void) {
  for (;;) {
    struct proc *p = curproc;
    if (p && p->state == RUNNING) {
      if (now_ns() < slice_end) run(p);
      p->state = RUNNABLE; /* preempted: back in line */
      sched_preemptions++;
    }
    if ((p = pick())) run(p);
    idle();
  }
}

/* p is gone, or its registers no longer matter (it exited). */
void sched_forget(struct proc *p) {
  if (owner == p) owner = NULL;
  if (curproc == p) curproc = NULL;
}
