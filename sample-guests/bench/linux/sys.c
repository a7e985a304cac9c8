/* picolibc glue for Linux user mode, the counterpart of sdk/stdio.c: stdout
 * through the write system call (buffered by line, as on pvlab), _exit
 * through exit_group, sbrk from a static heap.  This is the only place the
 * benchmark uses ECALL; pvlab builds never link it (ECALL faults there). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define SYS_WRITE 64       /* RISC-V Linux system call numbers */
#define SYS_EXIT_GROUP 94
#define OUT_BUF 256
#define HEAP_SIZE (256u * 1024u)

static long syscall3(long num, long a0, long a1, long a2) {
  register long r0 __asm__("a0") = a0;
  register long r1 __asm__("a1") = a1;
  register long r2 __asm__("a2") = a2;
  register long r7 __asm__("a7") = num;
  __asm__ volatile("ecall" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r7) : "memory");
  return r0;
}

static char out_buf[OUT_BUF];
static unsigned out_len;

static void out_flush(void) {
  const char *p = out_buf;
  while (out_len) {
    long n = syscall3(SYS_WRITE, 1, (long)p, (long)out_len);
    if (n <= 0) break; /* nowhere to report it: drop the rest */
    p += n;
    out_len -= (unsigned)n;
  }
  out_len = 0;
}

static int con_put(char c, FILE *f) {
  (void)f;
  out_buf[out_len++] = c;
  if (c == '\n' || out_len == OUT_BUF) out_flush();
  return (unsigned char)c;
}

static int con_flush(FILE *f) {
  (void)f;
  out_flush();
  return 0;
}

static FILE con = FDEV_SETUP_STREAM(con_put, NULL, con_flush, _FDEV_SETUP_WRITE);
FILE *const stdin = &con;
FILE *const stdout = &con;
FILE *const stderr = &con;

void *sbrk(ptrdiff_t incr) {
  static char heap[HEAP_SIZE];
  static size_t used;
  if ((incr > 0 && (size_t)incr > HEAP_SIZE - used) ||
      (incr < 0 && (size_t)-incr > used)) {
    errno = ENOMEM;
    return (void *)-1;
  }
  char *old = heap + used;
  used += (size_t)incr;
  return old;
}

void _exit(int code) {
  out_flush();
  for (;;) syscall3(SYS_EXIT_GROUP, code, 0, 0);
}
