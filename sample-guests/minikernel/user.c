/* A user program of the minikernel.  It runs in user mode in its own address
 * space; the only way out is ecall, the kernel's system calls:
 *   a7 = number, a0..a2 = arguments, result in a0.
 * The kernel starts it with a0 = its instance number and sp at its stack.
 * Each instance counts in its own copy of `counter` (separate address spaces:
 * same virtual address, different physical page) and computes long enough
 * between prints that the timer preempts it. */
#include <stdint.h>

#include "syscalls.h"

static long sys(long n, long a0, long a1, long a2) {
  register long r0 __asm__("a0") = a0;
  register long r1 __asm__("a1") = a1;
  register long r2 __asm__("a2") = a2;
  register long r7 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r7) : "memory");
  return r0;
}

static unsigned long len(const char *s) {
  unsigned long n = 0;
  while (s[n]) n++;
  return n;
}

static void say(const char *s) { sys(SYS_WRITE, (long)s, (long)len(s), 0); }

static char *utoa(unsigned v, char *end) {
  *--end = 0;
  do *--end = (char)('0' + v % 10);
  while (v /= 10);
  return end;
}

static volatile unsigned counter; /* one per address space */

__attribute__((section(".text.entry"))) void _start(long id) {
  char line[64], num[12];
  const char *name = id == 0 ? "ping" : "pong";
  for (unsigned round = 1; round <= 5; round++) {
    uint32_t h = 2166136261u; /* busy work: about 40000 instructions */
    for (unsigned i = 0; i < 4000; i++) h = (h ^ i) * 16777619u;
    counter++;
    char *p = line;
    for (const char *s = name; *s;) *p++ = *s++;
    for (const char *s = " (pid "; *s;) *p++ = *s++;
    for (const char *s = utoa((unsigned)sys(SYS_GETPID, 0, 0, 0), num + sizeof num); *s;) *p++ = *s++;
    for (const char *s = "): round "; *s;) *p++ = *s++;
    for (const char *s = utoa(counter, num + sizeof num); *s;) *p++ = *s++;
    *p++ = h == 0 ? '!' : '\n'; /* use h so the loop is not optimised away */
    *p = 0;
    say(line);
  }
  /* a bad pointer is refused by the kernel, not fatal */
  if (sys(SYS_WRITE, 0x7ff00000, 16, 0) >= 0) say("kernel accepted a bad pointer!\n");
  sys(SYS_EXIT, id + 10, 0, 0);
  for (;;) {
  }
}
