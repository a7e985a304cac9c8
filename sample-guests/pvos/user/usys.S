/* The system call stubs, one per entry of include/syscalls.h:
 *
 *   NAME:  li a7, NUMBER
 *          ecall
 *          ret
 *
 * The arguments are already in a0..a5, where the C calling convention put
 * them, and the kernel leaves the result in a0, where C expects it. */
#include "syscalls.h"

#define STUB(num, name, rtype, params) \
  .globl name; .type name, @function; name: li a7, num; ecall; ret; .size name, . - name;

  .text
SYSCALLS(STUB)
