/* --disk-write: committing the overlay to the image without ever leaving a
 * torn one.  The new image (the old one's sectors with the overlay on top)
 * is written to a temporary file beside the image, synced, and renamed over
 * it; then the directory is synced so the rename itself is durable.  A
 * rename replaces a name atomically, so whenever the process dies the image
 * is either all old or all new; a death before the rename leaves only a
 * stray IMAGE.pvlab-XXXXXX file, which the next --disk-write run on the
 * image removes (devices/disk_lock.c).  The new file is locked as the
 * image's writer before the rename, so that the name never stands for an
 * unlocked file while this run writes it.
 *
 * The copy costs what the image holds, not its size: only the old image's
 * data (SEEK_DATA) and the overlay's sectors are read and written, in
 * chunks; holes, and chunks that come out all zero, are left as holes and
 * the size is set at the end, so a sparse image stays sparse.  A commit
 * only happens when something was written since the last one.  The overlay
 * stays after a commit: it is guest-visible state and the state hash must
 * not depend on when the guest flushed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices.h"

#define CHUNK_SECTORS 256u /* sectors copied per read and write */

static bool step(dev_disk_host *h, dev_disk_step s) {
  if (!h->commit_hook || h->commit_hook(h->commit_hook_ctx, s)) return true;
  errno = EIO;
  return false;
}

static bool pwrite_all(int fd, const uint8_t *p, size_t len, off_t off) {
  while (len > 0) {
    ssize_t n = pwrite(fd, p, len, off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= (size_t)n;
    off += n;
  }
  return true;
}

static bool all_zero(const uint8_t *p, size_t n) {
  return p[0] == 0 && memcmp(p, p + 1, n - 1) == 0; /* n > 0 */
}

/* The first sector at or after s (a chunk boundary) that may hold
 * anything: in the old image's data extent [*data, *data_end), which is
 * looked up again once s is past it, or in the overlay (from entry *i). */
static uint64_t next_used(const dev_disk_host *h, uint64_t s, uint32_t *data,
                          uint32_t *data_end, uint32_t *i) {
  const dev_disk_overlay *ov = &h->overlay;
  if (s >= *data_end && s < h->sectors &&
      !dev_disk_image_data(h, (uint32_t)s, data, data_end)) {
    *data = *data_end = h->sectors; /* only holes from s on */
  }
  uint64_t next = s > *data ? s : *data;
  while (*i < ov->count && ov->index[*i].sector < s) (*i)++;
  if (*i < ov->count && ov->index[*i].sector < next) next = ov->index[*i].sector;
  return next;
}

/* Writes the new image to fd: the old sectors, the overlay on top. */
static bool copy_image(dev_disk_host *h, int fd, uint8_t *chunk) {
  const dev_disk_overlay *ov = &h->overlay;
  uint32_t i = 0, data = 0, data_end = 0;
  for (uint64_t s = 0;;) {
    uint64_t next = next_used(h, s, &data, &data_end, &i);
    if (next >= h->sectors) break;
    s = next / CHUNK_SECTORS * CHUNK_SECTORS;
    uint32_t n = h->sectors - s < CHUNK_SECTORS ? (uint32_t)(h->sectors - s)
                                                : CHUNK_SECTORS;
    size_t len = (size_t)n * PV_DISK_SECTOR;
    if (!dev_disk_image_read(h, (uint32_t)s, n, chunk)) return false;
    for (uint32_t k = i; k < ov->count && ov->index[k].sector < s + n; k++) {
      memcpy(chunk + (size_t)(ov->index[k].sector - s) * PV_DISK_SECTOR,
             dev_disk_overlay_at(ov, k), PV_DISK_SECTOR);
    }
    if (!step(h, DEV_DISK_STEP_COPY) ||
        (!all_zero(chunk, len) &&
         !pwrite_all(fd, chunk, len, (off_t)s * PV_DISK_SECTOR))) {
      return false;
    }
    s += n;
  }
  return ftruncate(fd, (off_t)h->sectors * PV_DISK_SECTOR) == 0;
}

/* The new file as the image's writer, like the old one (disk_lock.c). */
static bool lock_new(int fd) {
  int e = dev_disk_lock(fd);
  if (e) errno = e;
  return e == 0;
}

/* Gives the new file the old one's permissions (and, best effort, owner). */
static bool keep_mode(const dev_disk_host *h, int fd) {
  struct stat st;
  if (fstat(h->fd, &st) != 0 || fchmod(fd, st.st_mode & 07777) != 0) {
    return false;
  }
  if (st.st_uid != geteuid() || st.st_gid != getegid()) {
    if (fchown(fd, st.st_uid, st.st_gid) != 0) {
      /* not allowed: the new image is ours; its mode still matches */
    }
  }
  return true;
}

static bool sync_dir(dev_disk_host *h) {
  if (!step(h, DEV_DISK_STEP_SYNC_DIR)) return false;
  int dfd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return false;
  bool ok = fsync(dfd) == 0;
  int saved = errno;
  close(dfd);
  errno = saved;
  return ok;
}

bool dev_disk_commit(dev_bus *b, host_error *err) {
  dev_disk_host *h = b->disk;
  /* a disk restored from a snapshot has no file to commit to */
  if (!h->path || !h->persist || !h->dirty || h->in_memory) return true;
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.pvlab-XXXXXX", h->target) >=
      (int)sizeof tmp) {
    return host_fail(err, "disk image '%s': path too long", h->path);
  }
  uint8_t *chunk = malloc((size_t)CHUNK_SECTORS * PV_DISK_SECTOR);
  if (!chunk) {
    return host_fail(err, "out of memory saving disk image '%s'", h->path);
  }
  int fd = step(h, DEV_DISK_STEP_CREATE) ? mkstemp(tmp) : -1;
  bool ok = fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 && lock_new(fd) &&
            copy_image(h, fd, chunk) && keep_mode(h, fd) &&
            step(h, DEV_DISK_STEP_SYNC) && fsync(fd) == 0 &&
            step(h, DEV_DISK_STEP_RENAME) && rename(tmp, h->target) == 0;
  int saved = errno;
  free(chunk);
  if (!ok) {
    if (fd >= 0) {
      unlink(tmp);
      close(fd);
    }
    return host_fail(err, "cannot save the guest's writes to disk image "
                    "'%s': %s '%s': %s; the image is unchanged (saving "
                    "needs free space for a copy of the data it holds)",
                    h->path, fd >= 0 ? "writing" : "creating", tmp,
                    strerror(saved));
  }
  /* the new file is the image now: read the sectors from it from here on */
  close(h->fd);
  h->fd = fd;
  if (!sync_dir(h)) {
    return host_fail(err, "disk image '%s' was saved, but syncing its "
                    "directory '%s' failed: %s; a power failure now could "
                    "bring back the old image", h->path, h->dir,
                    strerror(errno));
  }
  h->dirty = false;
  (*b->disk_commits)++;
  return true;
}
