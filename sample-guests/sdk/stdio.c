/* picolibc glue: stdin/stdout/stderr on the console hypercalls, sbrk for
 * malloc, _exit for exit().
 *
 * Output is buffered by line (and flushed before any read, so a prompt shows
 * before the guest waits for an answer): one hypercall per line, not per
 * character.  Input is read a byte at a time, so a guest that reads one line
 * never consumes bytes meant for a later read. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "pv.h"
#define OUT_BUF 256
#define STACK_RESERVE (256u * 1024u) /* sbrk never grows closer to sp */



static char out_buf[OUT_BUF];
static unsigned out_len;

static void out_flush(void) {
  if (out_len) pv_console_write(out_buf, out_len);
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

static int con_get(FILE *f) {
  (void)f;
  out_flush();
  for (;;) {
    unsigned char c;
    pv_ret r = pv_console_read(&c, 1);
    if (r.status == PV_OK) return r.value ? c : _FDEV_EOF;
    if (r.status != PV_EAGAIN) return _FDEV_ERR;
    /* nothing typed yet: ask again (a kernel would wait for an event) */
  }
}

static FILE con = FDEV_SETUP_STREAM(con_put, con_get, con_flush, _FDEV_SETUP_RW);
FILE *const stdin = &con;
FILE *const stdout = &con;
FILE *const stderr = &con;

void *sbrk(ptrdiff_t incr) {
  extern char _end[];
  static char *brk = _end;
  char *limit = (char *)(__pv_ram_end - STACK_RESERVE);
  if (incr > 0 && (limit < brk || (size_t)incr > (size_t)(limit - brk))) {
    errno = ENOMEM;
    return (void *)-1;
  }
  if (incr < 0 && (size_t)-incr > (size_t)(brk - _end)) {
    errno = EINVAL;
    return (void *)-1;
  }
  char *old = brk;
  brk += incr;
  return old;
}

void _exit(int code) {
  out_flush();
  for (;;) pv_shutdown((uint32_t)code);
}
