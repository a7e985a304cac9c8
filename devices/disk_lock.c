/* One writer per disk image.  Two --disk-write runs on one image would
 * each commit "their base + their overlay", and the later commit would
 * throw away sectors the earlier run's guest was told (PV_OK) were saved.
 * So a writing run locks the image for as long as it runs, and a second
 * writer is refused.
 *
 * The lock is an open file description lock (F_OFD_SETLK; flock where the
 * system has none): it belongs to the open file, not to the process, so
 * two machines of one process exclude each other too, and it goes when the
 * file is closed or the process dies, kill -9 included.  A commit replaces
 * the image by renaming a new file over it (disk_commit.c), after which
 * the path names the new file: so the commit locks the new file before
 * the rename, and the path names a locked file at every moment.  A writer
 * that locks a file the path no longer names (it opened the old file just
 * before a rename) opens the path again (disk_image.c).
 *
 * Such a lock does not say who holds it (F_OFD_GETLK answers l_pid -1),
 * so the writer also takes a classic POSIX lock on another byte, which
 * F_GETLK reports with its process id.  It is only for the message:
 * POSIX locks vanish when the process closes any descriptor of the file,
 * so "the system does not say which" is a possible answer.
 *
 * Read-only runs take no lock: the commit never writes the file they
 * read, it replaces the name, and their descriptor keeps the old file. */
#define _GNU_SOURCE /* F_OFD_SETLK */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices.h"

#define WRITER_BYTE 0 /* the one-writer lock */
#define HOLDER_BYTE 1 /* the classic lock that names the writer's process */

/* An open file description lock of type on fd's WRITER_BYTE: 0 or an
 * errno (EAGAIN: held by another; EINVAL: no such locks here). */
static int ofd_lock(int fd, short type) {
#ifdef F_OFD_SETLK
  struct flock fl = {.l_type = type, .l_whence = SEEK_SET,
                     .l_start = WRITER_BYTE, .l_len = 1};
  if (fcntl(fd, F_OFD_SETLK, &fl) == 0) return 0;
  return errno == EACCES ? EAGAIN : errno;
#else
  (void)fd, (void)type;
  return EINVAL;
#endif
}

/* The same lock, taken with flock where there is no OFD lock. */
static int writer_lock(int fd, bool exclusive) {
  int e = ofd_lock(fd, exclusive ? F_WRLCK : F_RDLCK);
  if (e != EINVAL) return e;
  if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0) return 0;
  return errno == EWOULDBLOCK ? EAGAIN : errno;
}

int dev_disk_lock(int fd) {
  int e = writer_lock(fd, true);
  if (e) return e;
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
                     .l_start = HOLDER_BYTE, .l_len = 1};
  if (fcntl(fd, F_SETLK, &fl) != 0) {
    /* best effort: it only names this process in another's message */
  }
  return 0;
}

long dev_disk_lock_holder(int fd) {
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
                     .l_start = HOLDER_BYTE, .l_len = 1};
  if (fcntl(fd, F_GETLK, &fl) != 0 || fl.l_type == F_UNLCK) return 0;
  return fl.l_pid > 0 ? (long)fl.l_pid : 0;
}

/* base.pvlab-XXXXXX, as mkstemp makes it in disk_commit.c */
static bool stray_name(const char *name, const char *base) {
  static const char mark[] = ".pvlab-";
  size_t n = strlen(base), m = sizeof mark - 1;
  if (strncmp(name, base, n) != 0 || strncmp(name + n, mark, m) != 0) {
    return false;
  }
  const char *x = name + n + m;
  for (int i = 0; i < 6; i++) {
    char c = x[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return x[6] == 0;
}

/* Whether the file at fd is certainly a dead commit's: a regular file of
 * this user that no commit holds locked (a live one locks its file as
 * soon as it has made it). */
static bool stray_file(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
    return false;
  }
  return writer_lock(fd, false) == 0; /* closing fd drops it again */
}

void dev_disk_sweep(dev_disk_host *h) {
  DIR *d = opendir(h->dir);
  if (!d) return;
  const char *slash = strrchr(h->target, '/');
  const char *base = slash ? slash + 1 : h->target;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (!stray_name(e->d_name, base)) continue;
    int fd = openat(dirfd(d), e->d_name,
                    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st, now;
    bool stray = stray_file(fd) && fstat(fd, &st) == 0;
    /* a writer (this run) removes it, if the name is still that file */
    if (stray && h->persist &&
        fstatat(dirfd(d), e->d_name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
        now.st_dev == st.st_dev && now.st_ino == st.st_ino &&
        unlinkat(dirfd(d), e->d_name, 0) == 0) {
      h->strays_removed++;
    } else if (stray) {
      h->strays_left++;
    }
    close(fd);
  }
  closedir(d);
}
