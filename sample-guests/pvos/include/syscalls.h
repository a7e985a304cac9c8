/* The pvos system calls, listed once.
 *
 *   X(number, name, return type, (parameters))
 *
 * This one list generates the kernel's dispatch table (kernel/syscall.c),
 * the user-side stubs (user/usys.S: `li a7, number; ecall; ret`) and their
 * C prototypes (user/user.h), so the kernel and the programs can never
 * disagree on a number.  Adding a system call is one line here, one
 * handler sys_NAME() in the kernel, and nothing else.
 *
 * The calling convention is RISC-V's for a function call: arguments in
 * a0..a5, the number in a7, the result in a0.  Every call returns -1 on
 * any error: a bad file descriptor, a missing file, or a pointer the
 * process may not use.  A bad pointer never crashes the kernel.
 *
 * This file is included from C and from assembly, so it holds nothing but
 * macros. */
#ifndef PVOS_SYSCALLS_H
#define PVOS_SYSCALLS_H

#define SYSCALLS(X) \
  X(1,  exit,        void, (int status)) \
  X(2,  write,       int,  (int fd, const void *buf, int n)) \
  X(3,  read,        int,  (int fd, void *buf, int n)) \
  X(4,  wait,        int,  (int *status)) \
  X(5,  spawn,       int,  (const char *path, char *const argv[])) \
  X(6,  getpid,      int,  (void)) \
  X(7,  sleep,       int,  (int ticks)) \
  X(8,  sbrk,        char *, (int n)) \
  X(9,  open,        int,  (const char *path, int flags)) \
  X(10, close,       int,  (int fd)) \
  X(11, fstat,       int,  (int fd, struct stat *st)) \
  X(12, kill,        int,  (int pid)) \
  X(13, uptime,      int,  (void)) \
  X(14, setpriority, int,  (int pid, int priority)) \
  SYSCALLS_GETPPID(X)

/* Exercise "syscall" (sample-guests/exercises/syscall/README.md) adds this
 * entry; the starting code does not have it. */
#ifndef EXERCISE_SYSCALL
#define SYSCALLS_GETPPID(X) X(15, getppid, int, (void))
#else
/* TODO(syscall): list getppid here, number 15: X(15, getppid, int, (void)) */
#define SYSCALLS_GETPPID(X)
#endif

#endif
