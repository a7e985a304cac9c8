/* The disk's host side: attaching a raw image (checked: its size, and with
 * --disk-write that it and its directory are writable and that no other
 * run writes it: devices/disk_lock.c), reading its sectors (from the file,
 * or from memory for a restored disk), finding where it holds data, and
 * closing it.  The hypercalls are in devices/disk.c, the commit of the
 * overlay in devices/disk_commit.c; both read the image through here. */
#define _GNU_SOURCE /* realpath, SEEK_DATA, SEEK_HOLE */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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

/* The directory of path, in a new string. */
static char *dir_of(const char *path) {
  size_t size = strlen(path) + 2; /* "." and its NUL at the least */
  char *dir = malloc(size);
  if (dir) host_dir_of(path, dir, size);
  return dir;
}

static bool read_only(const char *path, host_error *err) {
  return host_fail(err, "disk image '%s' is read-only; make it writable "
                  "(chmod u+w) or leave out --disk-write to keep the "
                  "guest's writes in memory", path);
}

/* The checks --disk-write needs up front, so that a commit at the end of a
 * long run is not the first to learn it cannot work.  A file without its
 * write bit is refused even when the user (root) could replace it: the
 * bit says "do not change this image". */
static bool check_writable(const char *path, const dev_disk_host *h,
                           const struct stat *st, host_error *err) {
  if (!(st->st_mode & S_IWUSR) || access(h->target, W_OK) != 0) {
    return read_only(path, err);
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

/* --disk-write: the writer's lock, or who has it. */
static bool lock_image(const char *path, const dev_disk_host *h,
                       host_error *err) {
  int e = dev_disk_lock(h->fd);
  if (e == 0) return true;
  if (e != EAGAIN) {
    return host_fail(err, "cannot lock disk image '%s' for --disk-write: "
                    "%s; a writing run locks its image so that no other "
                    "can write it at the same time: move the image to a "
                    "file system with file locks, or leave out "
                    "--disk-write", path, strerror(e));
  }
  char who[64] = "the system does not say which process holds it";
  long pid = dev_disk_lock_holder(h->fd);
  if (pid > 0) snprintf(who, sizeof who, "process %ld", pid);
  return host_fail(err, "disk image '%s' is being written by another pvlab "
                  "run with --disk-write (%s); two writers would each "
                  "save their own copy and lose the other's writes: wait "
                  "for that run to end, or leave out --disk-write to run "
                  "on the image as it is, writes kept in memory", path, who);
}

/* Opens and checks the image; fills h (with h->path still NULL). */
static bool open_image(dev_disk_host *h, const char *path, bool persist,
                       host_error *err) {
  /* O_NONBLOCK: a FIFO given by mistake must be refused, not waited on;
   * a writer's lock needs the file open for writing */
  h->fd = open(path, (persist ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NONBLOCK);
  if (h->fd < 0 && persist && (errno == EACCES || errno == EROFS)) {
    return read_only(path, err);
  }
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
  return !persist ||
         (check_writable(path, h, &st, err) && lock_image(path, h, err));
}

static void discard(dev_disk_host *h) {
  if (h->fd >= 0) close(h->fd);
  free(h->target);
  free(h->dir);
  *h = (dev_disk_host){.fd = -1};
}

/* Whether the image's path still names the file h has open (and locked):
 * a commit of the writer that had it may have renamed a new file over it
 * between our open and our lock. */
static bool still_named(const dev_disk_host *h) {
  struct stat open_st, path_st;
  return fstat(h->fd, &open_st) == 0 && stat(h->target, &path_st) == 0 &&
         open_st.st_dev == path_st.st_dev && open_st.st_ino == path_st.st_ino;
}

#define ATTACH_TRIES 100

bool dev_disk_attach(dev_bus *b, const char *path, bool persist,
                         host_error *err) {
  dev_disk_host h = {.fd = -1};
  bool ok;
  for (int tries = 1;; tries++) {
    ok = open_image(&h, path, persist, err);
    if (!ok || !persist || still_named(&h)) break;
    discard(&h);
    if (tries == ATTACH_TRIES) {
      ok = host_fail(err, "disk image '%s' was replaced %d times while "
                    "pvlab tried to lock it for --disk-write; something "
                    "keeps rewriting it: stop that, then try again", path,
                    ATTACH_TRIES);
      break;
    }
  }
  if (ok && !(h.path = dup_text(path))) {
    ok = host_fail(err, "out of memory attaching disk image '%s'", path);
  }
  if (!ok) {
    discard(&h);
    return false;
  }
  dev_disk_sweep(&h);
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

/* A restored disk: the run of consecutive mem_image sectors from the
 * first at or after from. */
static bool mem_image_data(const dev_disk_host *h, uint32_t from,
                           uint32_t *start, uint32_t *end) {
  const dev_disk_overlay *img = &h->mem_image;
  uint32_t i = dev_disk_overlay_lower(img, from);
  if (i == img->count) return false;
  uint32_t s = *start = img->index[i].sector;
  while (i + 1 < img->count && img->index[i + 1].sector == s + 1) {
    i++;
    s++;
  }
  *end = s + 1;
  return true;
}

bool dev_disk_image_data(const dev_disk_host *h, uint32_t from, uint32_t *start,
                         uint32_t *end) {
  if (from >= h->sectors) return false;
  if (h->in_memory) return mem_image_data(h, from, start, end);
  *start = from;
  *end = h->sectors;
#if defined(SEEK_DATA) && defined(SEEK_HOLE)
  /* lseek moves the file offset, which nothing uses: reads are preads */
  off_t size = (off_t)h->sectors * PV_DISK_SECTOR;
  off_t data = lseek(h->fd, (off_t)from * PV_DISK_SECTOR, SEEK_DATA);
  if (data < 0) {
    /* ENXIO: nothing but holes to the end of the file -- unless the file
     * shrank under us, where reading what is missing must fail (EIO)
     * rather than give zeros.  Any other error (EINVAL: the file system
     * cannot say): all of it may be data. */
    struct stat st;
    return !(errno == ENXIO && fstat(h->fd, &st) == 0 && st.st_size >= size);
  }
  if (data >= size) return false;
  off_t hole = lseek(h->fd, data, SEEK_HOLE);
  if (hole < 0 || hole > size) hole = size;
  *start = (uint32_t)(data / PV_DISK_SECTOR);
  *end = (uint32_t)((hole + PV_DISK_SECTOR - 1) / PV_DISK_SECTOR);
#endif
  return true;
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
