/* The disk's host side: attaching a raw image (checked: its size, and with
 * --disk-write that it and its directory are writable), reading its
 * sectors (from the file, or from memory for a restored disk) and closing
 * it.  The hypercalls are in devices/disk.c, the commit of the overlay in
 * devices/disk_commit.c; both read the image through here. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices.h"

void dev_disk_reset(dev_disk *d, const dev_disk_host *h) {
  d->attached = h->path != NULL;
  d->persist = h->path && h->persist;
  d->sectors = h->path ? h->sectors : 0;
}

void dev_disk_close(dev_disk_host *h) {
  if (h->path && !h->in_memory) close(h->fd);
  free(h->path);
  free(h->target);
  free(h->dir);
  dev_disk_overlay_free(&h->overlay);
  dev_disk_overlay_free(&h->mem_image);
  memset(h, 0, sizeof *h);
}

static char *dup_text(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

/* The directory of path, in a new string ("." or "/" at the ends). */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return dup_text(".");
  if (slash == path) return dup_text("/");
  size_t n = (size_t)(slash - path);
  char *dir = malloc(n + 1);
  if (dir) {
    memcpy(dir, path, n);
    dir[n] = 0;
  }
  return dir;
}

/* The checks --disk-write needs up front, so that a commit at the end of a
 * long run is not the first to learn it cannot work.  A file without its
 * write bit is refused even when the user (root) could replace it: the
 * bit says "do not change this image". */
static bool check_writable(const char *path, const dev_disk_host *h,
                           const struct stat *st, host_error *err) {
  if (!(st->st_mode & S_IWUSR) || access(h->target, W_OK) != 0) {
    return host_fail(err, "disk image '%s' is read-only; make it writable "
                    "(chmod u+w) or leave out --disk-write to keep the "
                    "guest's writes in memory", path);
  }
  if (access(h->dir, W_OK | X_OK) != 0) {
    return host_fail(err, "disk image '%s': its directory '%s' is not "
                    "writable (%s); --disk-write saves by writing a new "
                    "image there and renaming it over the old one, so "
                    "make the directory writable or leave out --disk-write",
                    path, h->dir, strerror(errno));
  }
  return true;
}

/* Opens and checks the image; fills h (with h->path still NULL). */
static bool open_image(dev_disk_host *h, const char *path, bool persist,
                       host_error *err) {
  /* O_NONBLOCK: a FIFO given by mistake must be refused, not waited on */
  h->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (h->fd < 0) {
    return host_fail(err, "cannot open disk image '%s': %s; check the path "
                    "given to --disk", path, strerror(errno));
  }
  struct stat st;
  if (fstat(h->fd, &st) != 0) {
    return host_fail(err, "cannot read disk image '%s': %s", path,
                    strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return host_fail(err, "disk image '%s' is not a regular file; give "
                    "--disk a raw image file", path);
  }
  uint64_t size = (uint64_t)st.st_size;
  if (size == 0) {
    return host_fail(err, "disk image '%s' is empty; a disk needs at least "
                    "one %u-byte sector (truncate -s 1M '%s' makes a "
                    "blank one)", path, PV_DISK_SECTOR, path);
  }
  if (size % PV_DISK_SECTOR) {
    uint64_t up = (size / PV_DISK_SECTOR + 1) * PV_DISK_SECTOR;
    return host_fail(err, "disk image '%s' is %llu bytes, not a multiple of "
                    "the %u-byte sector (truncated?); pad it with "
                    "'truncate -s %llu %s' if that is intended", path,
                    (unsigned long long)size, PV_DISK_SECTOR,
                    (unsigned long long)up, path);
  }
  if (size / PV_DISK_SECTOR > UINT32_MAX) {
    return host_fail(err, "disk image '%s' is larger than 2 TiB, the most "
                    "32-bit sector numbers reach", path);
  }
  h->sectors = (uint32_t)(size / PV_DISK_SECTOR);
  h->persist = persist;
  h->target = realpath(path, NULL);
  if (!h->target) {
    return host_fail(err, "cannot resolve disk image '%s': %s", path,
                    strerror(errno));
  }
  if (!(h->dir = dir_of(h->target))) {
    return host_fail(err, "out of memory attaching disk image '%s'", path);
  }
  return !persist || check_writable(path, h, &st, err);
}

bool dev_disk_attach(dev_bus *b, const char *path, bool persist,
                         host_error *err) {
  dev_disk_host h = {.fd = -1};
  bool ok = open_image(&h, path, persist, err);
  if (ok && !(h.path = dup_text(path))) {
    ok = host_fail(err, "out of memory attaching disk image '%s'", path);
  }
  if (!ok) {
    if (h.fd >= 0) close(h.fd);
    free(h.target);
    free(h.dir);
    return false;
  }
  dev_disk_close(b->disk);
  *b->disk = h;
  dev_disk_reset(&b->dev->disk, b->disk);
  return true;
}

/* A restored disk's image: its non-zero sectors, zeros between them. */
static void mem_image_read(const dev_disk_host *h, uint32_t sector, uint32_t n,
                           uint8_t *buf) {
  const dev_disk_overlay *img = &h->mem_image;
  memset(buf, 0, (size_t)n * PV_DISK_SECTOR);
  for (uint32_t i = dev_disk_overlay_lower(img, sector);
       i < img->count && img->index[i].sector - sector < n; i++) {
    memcpy(buf + (size_t)(img->index[i].sector - sector) * PV_DISK_SECTOR,
           dev_disk_overlay_at(img, i), PV_DISK_SECTOR);
  }
}

bool dev_disk_image_read(const dev_disk_host *h, uint32_t sector, uint32_t n,
                         uint8_t *buf) {
  if (h->in_memory) {
    mem_image_read(h, sector, n, buf);
    return true;
  }
  size_t len = (size_t)n * PV_DISK_SECTOR;
  off_t off = (off_t)sector * PV_DISK_SECTOR;
  while (len > 0) {
    ssize_t got = pread(h->fd, buf, len, off);
    if (got < 0 && errno == EINTR) continue;
    if (got == 0) errno = EIO; /* the file shrank under us */
    if (got <= 0) return false;
    buf += got;
    len -= (size_t)got;
    off += got;
  }
  return true;
}
