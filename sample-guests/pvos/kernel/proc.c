/* Processes: the table, and their life from spawn() to the parent's wait().
 *
 *   UNUSED --spawn--> RUNNABLE <--sched--> RUNNING --exit--> ZOMBIE --wait--> UNUSED
 *                        ^                    |
 *                        +--wakeup-- SLEEPING <+ (read an empty console, wait, sleep)
 *
 * pvos has spawn(path, argv) instead of Unix's fork() + exec(): the new
 * process starts with a fresh address space loaded from the program file,
 * so there is no copying of the parent and no half-replaced process.
 *
 * Sleeping: a process sleeps "on" a channel, any address that stands for
 * what it waits for (the console, a parent waiting for its children, the
 * clock); wakeup(chan) makes every sleeper on chan runnable again.  As
 * system calls that sleep start again from the top when the process wakes
 * (kernel.h), waking a process is always safe, even when what it waits
 * for is not there yet: it just goes back to sleep. */
#include <string.h>

#include "kernel.h"

struct proc procs[NPROC];
static int nextpid = 1;
static const char clock_chan; /* sleep(): processes waiting for a time */

static struct proc *proc_alloc(void) {
  for (int i = 0; i < NPROC; i++) {
    struct proc *p = &procs[i];
    if (p->state != UNUSED) continue;
    memset(p, 0, sizeof *p);
    p->pid = nextpid++;
    p->priority = PRIO_DEFAULT;
    return p;
  }
  return NULL;
}

/* Back to UNUSED; its memory must be gone already (or never was). */
static void proc_free(struct proc *p) {
  sched_forget(p);
  p->state = UNUSED;
}

/* argv's strings at the top of the stack, then the array of pointers to
 * them, as main(argc, argv) expects; returns the new stack pointer.  It all
 * fits in the top page (MAXARG * MAXARGLEN + the pointers < PGSIZE), which
 * is why spawn() limits the arguments. */
static uint32_t push_args(struct proc *p, char *const argv[], int argc) {
  char *top = uvm_pa(p->pagetable, USTACK_TOP - PGSIZE);
  uint32_t sp = USTACK_TOP, uargv[MAXARG + 1];
  for (int i = argc - 1; i >= 0; i--) {
    uint32_t len = (uint32_t)strlen(argv[i]) + 1;
    sp -= len;
    memcpy(top + (sp - (USTACK_TOP - PGSIZE)), argv[i], len);
    uargv[i] = sp;
  }
  uargv[argc] = 0;
  sp = (sp - (uint32_t)(argc + 1) * 4) & ~15u; /* the RISC-V ABI: sp 16-aligned */
  memcpy(top + (sp - (USTACK_TOP - PGSIZE)), uargv, (uint32_t)(argc + 1) * 4);
  return sp;
}

/* A new process running program path with arguments argv (kernel memory,
 * NULL-terminated, at most MAXARG strings of MAXARGLEN); its pid, or -1
 * if there is no such program, it is no program, or memory or process
 * slots ran out. */
int proc_spawn(struct proc *parent, const char *path, char *const argv[]) {
  uint32_t inum = fs_lookup(path), entry;
  struct stat st;
  int argc = 0;
  while (argv[argc]) argc++;
  if (!inum || fs_stat(inum, &st) < 0 || st.type != T_FILE || argc > MAXARG) return -1;
  struct proc *p = proc_alloc();
  if (!p) return -1;
  if (!(p->pagetable = uvm_create()) || elf_load(p, inum, &entry) < 0 ||
      uvm_alloc(p->pagetable, USTACK_TOP - USTACK_SIZE, USTACK_SIZE, PTE_U | PTE_R | PTE_W) < 0) {
    if (p->pagetable) uvm_free(p->pagetable);
    proc_free(p);
    return -1;
  }
  p->regs[2] = push_args(p, argv, argc);   /* sp */
  p->regs[10] = (uint32_t)argc;             /* a0 */
  p->regs[11] = p->regs[2];                 /* a1: argv sits at sp */
  p->pc = entry;
  for (int fd = 0; fd < 3; fd++) /* stdin, stdout, stderr: the console */
    p->ofile[fd] = (struct file){.type = FD_CONSOLE, .readable = fd == 0, .writable = fd != 0};
  const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  strncpy(p->name, name, DIRSIZ);
  p->parent = parent;
  p->state = RUNNABLE;
  return p->pid;
}

/* The process is gone at once: memory, files, children.  Only its exit
 * status stays (as a ZOMBIE) until its parent asks with wait(). */
void proc_exit(struct proc *p, int status) {
  if (p->pid == 1) { /* the first process, the shell: the machine's life */
    kprintf("pvos: the shell exited with status %d; shutting down\n", status);
    for (;;) pv_shutdown((uint32_t)status);
  }
  sched_forget(p); /* its registers no longer matter */
  uvm_free(p->pagetable);
  p->pagetable = NULL;
  for (int i = 0; i < NPROC; i++) { /* orphans: nobody will wait for them */
    struct proc *c = &procs[i];
    if (c->parent != p || c->state == UNUSED) continue;
    c->parent = NULL;
    if (c->state == ZOMBIE) proc_free(c);
  }
  p->xstatus = status;
  if (!p->parent) {
    proc_free(p);
    return;
  }
  p->state = ZOMBIE;
  wakeup(p->parent); /* a parent in wait() sleeps on itself */
}

/* wait(): a child that has exited, its pid and (if status_va is not 0) its
 * status; -1 with no children.  With children that are all still running,
 * sleep until one exits, then try again. */
int proc_wait(struct proc *p, uint32_t status_va) {
  int children = 0;
  for (int i = 0; i < NPROC; i++) {
    struct proc *c = &procs[i];
    if (c->parent != p || c->state == UNUSED) continue;
    children++;
    if (c->state != ZOMBIE) continue;
    if (status_va && copyout(p, status_va, &c->xstatus, sizeof c->xstatus) < 0) return -1;
    int pid = c->pid;
    proc_free(c);
    return pid;
  }
  if (!children) return -1;
  sleep_on(p, p);
  return SYSCALL_RESTART;
}

/* kill(): the process exits at once with status -1.  It is not running
 * (the caller is), so it is stopped between two of its instructions and
 * holds nothing in the kernel: nothing to wait for, nothing to undo. */
int proc_kill(int pid) {
  struct proc *p = proc_find(pid);
  if (!p || p->state == ZOMBIE) return -1;
  proc_exit(p, -1);
  return 0;
}

struct proc *proc_find(int pid) {
  for (int i = 0; i < NPROC; i++)
    if (procs[i].state != UNUSED && procs[i].pid == pid) return &procs[i];
  return NULL;
}

void sleep_on(struct proc *p, const void *chan) {
  p->chan = chan;
  p->state = SLEEPING;
}

void wakeup(const void *chan) {
  for (int i = 0; i < NPROC; i++) {
    struct proc *p = &procs[i];
    if (p->state == SLEEPING && p->chan == chan) p->state = RUNNABLE;
  }
}

/* sleep(ticks): unlike the others, this call is done once it has started
 * sleeping (the result is already in a0), so it is not started again. */
int proc_sleep_until(struct proc *p, uint64_t wake_ns) {
  p->wake_ns = wake_ns;
  sleep_on(p, &clock_chan);
  return 0;
}

void wake_sleepers(uint64_t now) {
  for (int i = 0; i < NPROC; i++) {
    struct proc *p = &procs[i];
    if (p->state == SLEEPING && p->chan == &clock_chan && p->wake_ns <= now) p->state = RUNNABLE;
  }
}

/* When the earliest sleep() ends, or UINT64_MAX when nobody sleeps. */
uint64_t next_wake_ns(void) {
  uint64_t t = UINT64_MAX;
  for (int i = 0; i < NPROC; i++) {
    struct proc *p = &procs[i];
    if (p->state == SLEEPING && p->chan == &clock_chan && p->wake_ns < t) t = p->wake_ns;
  }
  return t;
}
