/* The minikernel's system call numbers, shared by the kernel and its user
 * programs (a7 on ecall). */
#ifndef MINIKERNEL_SYSCALLS_H
#define MINIKERNEL_SYSCALLS_H

#define SYS_WRITE 1  /* (buf, len) -> bytes written or -1 */
#define SYS_EXIT 2   /* (code) -> does not return */
#define SYS_GETPID 3 /* () -> pid */

#endif
