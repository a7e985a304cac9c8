/* --disk-write: committing the overlay to the image without ever leaving a
 * torn one.  The new image (the old one's sectors with the overlay on top)
 * is written to a temporary file beside the image, synced, and renamed over
 * it; then the directory is synced so the rename itself is durable.  A
 * rename replaces a name atomically, so whenever the process dies the image
 * is either all old or all new; a death before the rename leaves only a
 * stray IMAGE.pvlab-XXXXXX file, which can be deleted.
 *
 * The cost is a full copy of the image per commit (and that much free space
 * while it runs), so a commit only happens when something was written since
 * the last one.  The overlay stays after a commit: it is guest-visible state
 * and the state hash must not depend on when the guest flushed. */
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

static bool write_all(int fd, const uint8_t *p, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= (size_t)n;
  }
  return true;
}

/* Writes the whole new image to fd: the old sectors, the overlay on top. */
static bool copy_image(dev_disk_host *h, int fd, uint8_t *chunk) {
  const dev_disk_overlay *ov = &h->overlay;
  uint32_t i = 0;
  for (uint64_t s = 0; s < h->sectors; s += CHUNK_SECTORS) {
    uint32_t n = h->sectors - s < CHUNK_SECTORS ? (uint32_t)(h->sectors - s)
                                                : CHUNK_SECTORS;
    if (!dev_disk_image_read(h, (uint32_t)s, n, chunk)) return false;
    for (; i < ov->count && ov->index[i].sector < s + n; i++) {
      memcpy(chunk + (size_t)(ov->index[i].sector - s) * PV_DISK_SECTOR,
             dev_disk_overlay_at(ov, i), PV_DISK_SECTOR);
    }
    if (!step(h, DEV_DISK_STEP_COPY) ||
        !write_all(fd, chunk, (size_t)n * PV_DISK_SECTOR)) {
      return false;
    }
  }
  return true;
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
  bool ok = fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 &&
            copy_image(h, fd, chunk) && keep_mode(h, fd) &&
            step(h, DEV_DISK_STEP_SYNC) && fsync(fd) == 0 &&
            step(h, DEV_DISK_STEP_RENAME) && rename(tmp, h->target) == 0;
  int saved = errno;
  free(chunk);
  if (!ok) {
    if (fd >= 0) {
      close(fd);
      unlink(tmp);
    }
    return host_fail(err, "cannot save the guest's writes to disk image "
                    "'%s': %s '%s': %s; the image is unchanged (saving "
                    "needs free space for a whole copy of it)", h->path,
                    fd >= 0 ? "writing" : "creating", tmp, strerror(saved));
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
