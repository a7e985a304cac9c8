#define _POSIX_C_SOURCE 200809L
#include "fifo_reader.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *drain(void *arg) {
  fifo_reader *r = arg;
  for (;;) {
    if (r->len == r->cap) {
      r->cap = r->cap ? r->cap * 2 : 65536;
      r->buf = realloc(r->buf, r->cap);
      if (!r->buf) return NULL;
    }
    bool done = atomic_load(&r->writer_done);
    ssize_t n = read(r->fd, r->buf + r->len, r->cap - r->len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (n == 0 && done)) return NULL;
    /* no writer yet: a FIFO reads as empty until one opens it */
    if (n == 0) nanosleep(&(struct timespec){0, 1000000}, NULL);
    r->len += (size_t)n;
  }
}

void fifo_reader_start(fifo_reader *r, const char *path) {
  memset(r, 0, sizeof *r);
  atomic_init(&r->writer_done, false);
  r->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  cr_assert(r->fd >= 0, "%s: %s", path, strerror(errno));
  cr_assert_eq(fcntl(r->fd, F_SETFL, 0), 0); /* reads wait from here on */
  cr_assert_eq(pthread_create(&r->thread, NULL, drain, r), 0);
}

void fifo_reader_finish(fifo_reader *r) {
  atomic_store(&r->writer_done, true);
  pthread_join(r->thread, NULL);
  close(r->fd);
}
