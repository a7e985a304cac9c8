/* The process system calls: arguments from the frame (argraw), checked,
 * and handed to proc.c, vm.c or sched.c, which do the work. */
#include "kernel.h"

int sys_exit(void) {
  proc_exit(curproc, (int)argraw(0));
  return 0; /* nobody gets this: the process is gone */
}

int sys_wait(void) { return proc_wait(curproc, argraw(0)); }

/* spawn(path, argv): the path and every argument string are copied into
 * the kernel first (they live in the caller's address space, which the
 * loader does not see).  The buffers can be static: the kernel runs one
 * system call at a time, start to end. */
int sys_spawn(void) {
  static char path[MAXPATH], args[MAXARG][MAXARGLEN];
  char *argv[MAXARG + 1];
  uint32_t uargv = argraw(1);
  if (copyinstr(curproc, path, argraw(0), sizeof path) < 0) return -1;
  int argc = 0;
  for (;; argc++) {
    uint32_t arg;
    if (copyin(curproc, &arg, uargv + 4 * (uint32_t)argc, sizeof arg) < 0) return -1;
    if (!arg) break;
    if (argc == MAXARG || copyinstr(curproc, args[argc], arg, MAXARGLEN) < 0) return -1;
    argv[argc] = args[argc];
  }
  argv[argc] = NULL;
  return proc_spawn(curproc, path, argv);
}

int sys_getpid(void) { return curproc->pid; }

#ifndef EXERCISE_SYSCALL
int sys_getppid(void) { return curproc->parent ? curproc->parent->pid : 0; }
#else
/* TODO(syscall): sys_getppid(), the parent's pid (0 if the parent has
 * exited), once getppid is in include/syscalls.h.  See README.md. */
#endif

/* sleep(ticks): the process sleeps; the clock (sched.c) wakes it. */
int sys_sleep(void) {
  int n = (int)argraw(0);
  if (n < 0) return -1;
  return proc_sleep_until(curproc, now_ns() + (uint64_t)n * TICK_NS);
}

/* uptime(): ticks since the machine started. */
int sys_uptime(void) { return (int)(now_ns() / TICK_NS); }

int sys_sbrk(void) {
  uint32_t old;
  return vm_sbrk(curproc, (int)argraw(0), &old) < 0 ? -1 : (int)old;
}

int sys_kill(void) { return proc_kill((int)argraw(0)); }

/* setpriority(pid, priority): PRIO_MIN..PRIO_MAX, higher runs first. */
int sys_setpriority(void) {
  struct proc *p = proc_find((int)argraw(0));
  int prio = (int)argraw(1);
  if (!p || p->state == ZOMBIE || prio < PRIO_MIN || prio > PRIO_MAX) return -1;
  p->priority = prio;
  return 0;
}
