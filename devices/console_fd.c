/* Console backend on host file descriptors (the command line's console). */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "devices.h"

static bool fd_write(void *ctx, const uint8_t *buf, size_t len) {
  dev_console_fd *fd = ctx;
  while (len > 0) {
    ssize_t n = write(fd->out_fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf += n;
    len -= (size_t)n;
  }
  return true;
}

/* A terminal delivers what has been typed (nondeterministic by nature:
 * recording captures it); anything else is read until the request is full
 * or the input ends, so chunking by the host never shows through. */
static long fd_read(void *ctx, uint8_t *buf, size_t len) {
  dev_console_fd *fd = ctx;
  if (fd->in_is_tty) {
    struct pollfd p = {.fd = fd->in_fd, .events = POLLIN};
    int ready = poll(&p, 1, 0);
    if (ready == 0) return DEV_AGAIN;
    if (ready < 0) return errno == EINTR ? DEV_AGAIN : DEV_ERROR;
    ssize_t n = read(fd->in_fd, buf, len);
    if (n < 0) return errno == EINTR || errno == EAGAIN ? DEV_AGAIN : DEV_ERROR;
    return (long)n;
  }
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(fd->in_fd, buf + got, len - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return got ? (long)got : DEV_ERROR;
    if (n == 0) break;
    got += (size_t)n;
  }
  return (long)got;
}

/* A file or pipe is always ready: its next read returns bytes or the end,
 * however long the host takes to deliver them. */
static bool fd_ready(void *ctx, bool wait) {
  dev_console_fd *fd = ctx;
  if (!fd->in_is_tty) return true;
  struct pollfd p = {.fd = fd->in_fd, .events = POLLIN};
  /* with an interrupt flag, wait in short polls so Ctrl-C is seen */
  int slice = !wait ? 0 : fd->interrupt ? 100 : -1;
  for (;;) {
    if (wait && fd->interrupt && *fd->interrupt) return false;
    int n = poll(&p, 1, slice);
    if (n > 0) return true;
    if (!wait || (n < 0 && errno != EINTR)) return false;
  }
}

dev_console_backend dev_console_fd_backend(dev_console_fd *fd) {
  fd->in_is_tty = isatty(fd->in_fd);
  return (dev_console_backend){fd, fd_write, fd_read, fd_ready};
}
