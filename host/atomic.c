/* Files that appear whole or not at all (snapshots, screenshots): the bytes
 * go to a fresh temporary file beside the target, which is synced and then
 * renamed over it, and the directory is synced so that the rename itself
 * survives a power failure.  A rename replaces a name atomically, so if
 * pvlab dies at any moment the target is either the old file or the new
 * one; a death before the rename leaves a stray TARGET.tmp-PID-N file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host.h"

static bool fail(host_atomic *a, const char *step) {
  a->err = errno;
  a->step = step;
  return false;
}

bool host_atomic_open(host_atomic *a, const char *path) {
  memset(a, 0, sizeof *a);
  a->path = path;
  a->fd = -1;
  if (strlen(path) + 32 > sizeof a->tmp) {
    errno = ENAMETOOLONG;
    return fail(a, "naming its temporary file");
  }
  for (unsigned n = 0; n < 100; n++) {
    snprintf(a->tmp, sizeof a->tmp, "%s.tmp-%ld-%u", path, (long)getpid(), n);
    a->fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (a->fd >= 0) return true;
    if (errno != EEXIST) break;
  }
  return fail(a, "creating its temporary file");
}

bool host_atomic_write(host_atomic *a, const void *p, size_t n) {
  const uint8_t *b = p;
  while (a->fd >= 0 && !a->step && n > 0) {
    ssize_t w = write(a->fd, b, n);
    if (w < 0 && errno == EINTR) continue;
    if (w == 0) errno = ENOSPC;
    if (w <= 0) return fail(a, "writing");
    b += w;
    n -= (size_t)w;
  }
  return a->fd >= 0 && !a->step;
}

/* The directory of a->path, for its fsync. */
static int open_dir(const host_atomic *a) {
  char dir[sizeof a->tmp];
  snprintf(dir, sizeof dir, "%s", a->path);
  char *slash = strrchr(dir, '/');
  if (!slash) snprintf(dir, sizeof dir, ".");
  else if (slash == dir) dir[1] = 0;
  else *slash = 0;
  return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

bool host_atomic_commit(host_atomic *a) {
  if (a->fd < 0 || a->step) {
    host_atomic_abort(a);
    return false;
  }
  bool ok = fsync(a->fd) == 0 || fail(a, "syncing");
  if (close(a->fd) != 0 && ok) ok = fail(a, "closing");
  a->fd = -1;
  if (ok && rename(a->tmp, a->path) != 0) ok = fail(a, "renaming it into place");
  if (!ok) {
    unlink(a->tmp);
    return false;
  }
  int dfd = open_dir(a);
  if (dfd < 0 || fsync(dfd) != 0) ok = fail(a, "syncing its directory");
  if (dfd >= 0) close(dfd);
  return ok;
}

void host_atomic_abort(host_atomic *a) {
  if (a->fd >= 0) {
    close(a->fd);
    unlink(a->tmp);
  }
  a->fd = -1;
}
