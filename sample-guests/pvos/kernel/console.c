/* The console: the kernel's own messages, panics, and the console as a
 * file (descriptors 0, 1 and 2 of every process).
 *
 * pvlab's console is two hypercalls, console_write and console_read, and
 * one event, PV_EV_CONSOLE, pending while there is input (or its end) to
 * read.  console_read never blocks: with nothing typed yet it answers
 * PV_EAGAIN.  So a process that reads an empty console goes to sleep on
 * the console, and the scheduler asks for PV_EV_CONSOLE while anyone
 * sleeps there (sched.c); when it comes, console_wake() wakes the readers
 * and each makes its read() again. */
#include <stdarg.h>
#include <stdio.h>

#include "kernel.h"

/* What the readers sleep on: any unique address would do. */
static const char console_chan;

void kprintf(const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof buf - 1) n = (int)sizeof buf - 1;
  if (n > 0) pv_console_write(buf, (uint32_t)n);
}

/* A kernel bug, or a machine the kernel cannot run on: say why and stop
 * the machine.  Never a spin loop: `pvlab run` exits with PANIC_STATUS and
 * the message is the last thing on the console. */
void panic(const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  kprintf("pvos: panic: %s\n", buf);
  for (;;) pv_shutdown(PANIC_STATUS);
}

/* read() on the console: at most one line, as typed, and 0 at the end of
 * input.  Bytes are taken from the machine one at a time, so a read never
 * swallows the next line, which may be meant for another program. */
int console_read(struct proc *p, uint32_t dst, int n) {
  char line[128];
  int got = 0;
  if (n > (int)sizeof line) n = (int)sizeof line;
  while (got < n) {
    pv_ret r = pv_console_read(&line[got], 1);
    if (r.status == PV_EAGAIN) {
      if (got > 0) break;
      sleep_on(p, &console_chan);
      return SYSCALL_RESTART;
    }
    if (r.status != PV_OK || r.value == 0) break; /* the end of input */
    if (line[got++] == '\n') break;
  }
  if (got > 0 && copyout(p, dst, line, (uint32_t)got) < 0) return -1;
  return got;
}

/* write() on the console: through a kernel buffer, a piece at a time,
 * because the user's buffer is only reachable through its page table.  A
 * bad pointer after the first piece ends the write early, as on Unix: the
 * bytes already written count. */
int console_write(struct proc *p, uint32_t src, int n) {
  char buf[512];
  int done = 0;
  while (done < n) {
    uint32_t k = (uint32_t)(n - done) < sizeof buf ? (uint32_t)(n - done) : sizeof buf;
    if (copyin(p, buf, src + (uint32_t)done, k) < 0) return done > 0 ? done : -1;
    pv_console_write(buf, k);
    done += (int)k;
  }
  return done;
}

int console_has_waiters(void) {
  for (int i = 0; i < NPROC; i++)
    if (procs[i].state == SLEEPING && procs[i].chan == &console_chan) return 1;
  return 0;
}

void console_wake(void) { wakeup(&console_chan); }
