/* System call dispatch: ecall with the number in a7 and the arguments in
 * a0..a5 lands here (trap.c); the result goes back in a0.
 *
 * The table is generated from the one list in include/syscalls.h, with
 * designated initializers: entry n is sys_NAME for call number n, and a
 * number nobody listed is a NULL slot, answered with -1. */
#include "kernel.h"

#define DECLARE(num, name, rtype, params) int sys_##name(void);
SYSCALLS(DECLARE)
#undef DECLARE

static int (*const syscalls[])(void) = {
#define ENTRY(num, name, rtype, params) [num] = sys_##name,
    SYSCALLS(ENTRY)
#undef ENTRY
};

/* Argument n (0..5) of the system call being handled: the running process
 * owns the frame (sched.c), so its a0..a5 are there. */
uint32_t argraw(int n) { return kframe.x[10 + n]; }

/* The handlers find the caller in curproc and its arguments with argraw(). */
void syscall(void) {
  uint32_t num = kframe.x[17];
  int r = num < NELEM(syscalls) && syscalls[num] ? syscalls[num]() : -1;
  if (r == SYSCALL_RESTART) return; /* pc stays on the ecall */
  /* If the caller has exited (exit, or kill of itself), nobody owns the
   * frame any more and these stores are harmless. */
  kframe.x[10] = (uint32_t)r;
  kframe.pc += 4; /* on to the instruction after the ecall */
}
