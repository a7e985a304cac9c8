/* Files that appear whole or not at all (snapshots, recordings,
 * screenshots), and never in place of something that is not a file.
 *
 * What the target is decides how it is written (docs/file-formats.md,
 * "Output files"):
 * - missing, or a regular file: the bytes go to a fresh temporary file
 *   beside it, which is synced and renamed over it, and the directory is
 *   synced so that the rename itself survives a power failure.  A rename
 *   replaces a name atomically, so if pvlab dies at any moment the target
 *   is either the old file or the new one; a death before the rename
 *   leaves a stray TARGET.tmp-PID-N file.
 * - a symbolic link: what it leads to, by these same rules (a dangling
 *   link: the file it names is created), so the link stays a link; a
 *   rename over the link's own name would replace the link.
 * - a FIFO or a character device (/dev/stdout, /dev/null, a pipe): opened
 *   and written in place, as a shell's `>` would; a rename there would
 *   put a regular file where the device was.
 * - anything else (a directory, a block device, a socket): refused.
 * A regular file without its write bit is refused too, even for root, as
 * a --disk-write image is: the bit says "do not change this". */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"

#define MAX_LINKS 40 /* as the kernel's own limit on a path's symbolic links */

static const char sync_dir_step[] = "syncing its directory";

/* Records a failure: errno (if any), the step, and msg as what to say. */
__attribute__((format(printf, 3, 4)))
static bool fail(host_atomic *a, const char *step, const char *fmt, ...) {
  a->err = errno;
  a->step = step;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(a->msg, sizeof a->msg, fmt, ap);
  va_end(ap);
  return false;
}

void host_dir_of(const char *path, char *dir, size_t size) {
  const char *slash = strrchr(path, '/');
  if (!slash) snprintf(dir, size, ".");
  else if (slash == path) snprintf(dir, size, "/");
  else snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

/* "it is" or "it leads to 'TARGET', which is", for the messages. */
static const char *it_is(const host_atomic *a, char *buf, size_t size) {
  if (strcmp(a->path, a->target) == 0) return "it is";
  snprintf(buf, size, "it leads to '%s', which is", a->target);
  return buf;
}

static bool classify(host_atomic *a, const struct stat *st);

static bool loop_fail(host_atomic *a) {
  return fail(a, "following its symbolic link", "its symbolic links lead "
              "too far (more than %d, or a loop); name the file itself",
              MAX_LINKS);
}

/* The file a dangling symbolic link names, into a->target: each link's
 * text is read relative to the link's own directory. */
static bool follow_dangling(host_atomic *a) {
  char cur[sizeof a->target], text[sizeof a->target];
  snprintf(cur, sizeof cur, "%s", a->path);
  for (int hops = 0; hops < MAX_LINKS; hops++) {
    ssize_t n = readlink(cur, text, sizeof text - 1);
    if (n < 0) {
      return fail(a, "following its symbolic link", "cannot read the "
                  "symbolic link '%s': %s", cur, strerror(errno));
    }
    text[n] = 0;
    char next[sizeof a->target], dir[sizeof a->target];
    host_dir_of(cur, dir, sizeof dir);
    int len = text[0] == '/' || !strchr(cur, '/')
                  ? snprintf(next, sizeof next, "%s", text)
                  : snprintf(next, sizeof next, "%s/%s", dir, text);
    if (len < 0 || (size_t)len >= sizeof next) {
      errno = ENAMETOOLONG;
      return fail(a, "following its symbolic link", "it leads to a path "
                  "too long to write; name the file itself");
    }
    memcpy(cur, next, sizeof cur);
    struct stat st;
    if (lstat(cur, &st) != 0) {
      /* missing: the file to create (a directory on the way that is
       * missing too is found out when the temporary file is made) */
      memcpy(a->target, cur, sizeof a->target);
      return true;
    }
    if (!S_ISLNK(st.st_mode)) { /* it appeared meanwhile */
      memcpy(a->target, cur, sizeof a->target);
      return classify(a, &st);
    }
  }
  errno = ELOOP;
  return loop_fail(a);
}

/* The checks on an existing target, which st describes; sets in_place. */
static bool classify(host_atomic *a, const struct stat *st) {
  char buf[sizeof a->target + 32];
  const char *is = it_is(a, buf, sizeof buf);
  errno = 0;
  if (S_ISREG(st->st_mode)) {
    if (!(st->st_mode & S_IWUSR) || access(a->target, W_OK) != 0) {
      return fail(a, "checking it", "%s a read-only file; make it writable "
                  "(chmod u+w) or name another file", is);
    }
    return true;
  }
  if (S_ISFIFO(st->st_mode) || S_ISCHR(st->st_mode)) {
    a->in_place = true;
    if (access(a->path, W_OK) == 0) return true;
    return fail(a, "checking it", "%s a %s that cannot be written (%s); name "
                "another file", is, S_ISFIFO(st->st_mode) ? "FIFO" :
                "character device", strerror(errno));
  }
  if (S_ISDIR(st->st_mode)) {
    return fail(a, "checking it", "%s a directory; name a file inside it", is);
  }
  const char *kind = S_ISBLK(st->st_mode)    ? "a block device"
                     : S_ISSOCK(st->st_mode) ? "a socket"
                                             : "something";
  return fail(a, "checking it", "%s %s, not a file pvlab can write; name a "
              "regular file (or a FIFO, or a character device such as "
              "/dev/stdout)", is, kind);
}

/* Fills a->target and decides how a->path is written. */
static bool resolve(host_atomic *a) {
  struct stat st, lst;
  if (stat(a->path, &st) == 0) {
    snprintf(a->target, sizeof a->target, "%s", a->path);
    bool link = lstat(a->path, &lst) == 0 && S_ISLNK(lst.st_mode);
    if (link) {
      /* a FIFO or a device is opened by its own name (/dev/stdout leads
       * to "pipe:[1234]", which is no path); the name is for messages */
      char *real = realpath(a->path, NULL);
      if (!real && S_ISREG(st.st_mode)) {
        return fail(a, "following its symbolic link", "cannot follow its "
                    "symbolic links: %s; name the file itself",
                    strerror(errno));
      }
      if (real && strlen(real) >= sizeof a->target) {
        free(real);
        errno = ENAMETOOLONG;
        return fail(a, "following its symbolic link", "it leads to a path "
                    "too long to write; name the file itself");
      }
      if (real) snprintf(a->target, sizeof a->target, "%s", real);
      free(real);
    }
    return classify(a, &st);
  }
  if (errno == ELOOP) return loop_fail(a);
  if (errno != ENOENT) {
    return fail(a, "looking it up", "cannot look it up: %s; check the path",
                strerror(errno));
  }
  if (lstat(a->path, &lst) == 0 && S_ISLNK(lst.st_mode)) return follow_dangling(a);
  snprintf(a->target, sizeof a->target, "%s", a->path);
  return true;
}

/* Why a file cannot be made in dir, errno saying why. */
static bool dir_fail(host_atomic *a, const char *step, const char *dir) {
  int e = errno;
  char buf[sizeof a->target + 32] = "";
  if (strcmp(a->path, a->target) != 0) {
    snprintf(buf, sizeof buf, "it leads to '%s'; ", a->target);
  }
  return fail(a, step, "%scannot write in directory '%s' (%s); %s, or name "
              "a file elsewhere", buf, dir, strerror(e),
              e == ENOENT ? "create it" : "make it writable");
}

/* The mode of the file a rename replaces, so that a new copy keeps it. */
static bool keep_mode(host_atomic *a) {
  struct stat st;
  if (stat(a->target, &st) != 0 || !S_ISREG(st.st_mode)) return true;
  if (fchmod(a->fd, st.st_mode & 0777) == 0) return true;
  return fail(a, "creating its temporary file", "cannot give its temporary "
              "file '%s' the mode of the file it replaces: %s", a->tmp,
              strerror(errno));
}

static bool open_in_place(host_atomic *a) {
  /* a FIFO waits here for its reader; no O_TRUNC: a device has no length */
  a->fd = open(a->path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (a->fd >= 0) return true;
  return fail(a, "opening it", "cannot open it for writing: %s",
              strerror(errno));
}

static bool open_temporary(host_atomic *a) {
  if (strlen(a->target) + 32 > sizeof a->tmp) {
    errno = ENAMETOOLONG;
    return fail(a, "naming its temporary file", "its name is too long for "
                "a temporary file beside it; name a shorter path");
  }
  for (unsigned n = 0; n < 100; n++) {
    snprintf(a->tmp, sizeof a->tmp, "%s.tmp-%ld-%u", a->target, (long)getpid(), n);
    a->fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (a->fd >= 0) {
      if (keep_mode(a)) return true;
      host_atomic_abort(a);
      return false;
    }
    if (errno != EEXIST) break;
  }
  char dir[sizeof a->target];
  host_dir_of(a->target, dir, sizeof dir);
  if (errno == EEXIST) {
    return fail(a, "creating its temporary file", "cannot create a temporary "
                "file beside it: 100 names up to '%s' are taken; remove "
                "them", a->tmp);
  }
  return dir_fail(a, "creating its temporary file", dir);
}

static void start(host_atomic *a, const char *path) {
  memset(a, 0, sizeof *a);
  a->path = path;
  a->fd = -1;
}

bool host_atomic_open(host_atomic *a, const char *path) {
  start(a, path);
  if (!resolve(a)) return false;
  return a->in_place ? open_in_place(a) : open_temporary(a);
}

bool host_atomic_check(const char *path, host_error *err) {
  host_atomic a;
  start(&a, path);
  bool ok = resolve(&a);
  if (ok && !a.in_place) {
    char dir[sizeof a.target];
    host_dir_of(a.target, dir, sizeof dir);
    if (access(dir, W_OK | X_OK) != 0) ok = dir_fail(&a, "checking it", dir);
  }
  return ok || host_fail(err, "%s", a.msg);
}

bool host_atomic_write(host_atomic *a, const void *p, size_t n) {
  const uint8_t *b = p;
  while (a->fd >= 0 && !a->step && n > 0) {
    ssize_t w = write(a->fd, b, n);
    if (w < 0 && errno == EINTR) continue;
    if (w == 0) errno = ENOSPC;
    if (w <= 0 && a->in_place) {
      return fail(a, "writing", "writing to it failed: %s%s", strerror(errno),
                  errno == EPIPE ? " (its reader closed it)" : "");
    }
    if (w <= 0) {
      return fail(a, "writing", "writing its temporary file '%s' failed: %s; "
                  "'%s' is as it was (make room on the disk or choose "
                  "another directory)", a->tmp, strerror(errno), a->path);
    }
    b += w;
    n -= (size_t)w;
  }
  return a->fd >= 0 && !a->step;
}

static bool commit_in_place(host_atomic *a) {
  int fd = a->fd;
  a->fd = -1;
  if (close(fd) == 0) return true;
  return fail(a, "closing", "writing to it failed when it was closed: %s",
              strerror(errno));
}

bool host_atomic_commit(host_atomic *a) {
  if (a->fd < 0 || a->step) {
    host_atomic_abort(a);
    return false;
  }
  if (a->in_place) return commit_in_place(a);
  bool ok = fsync(a->fd) == 0 ||
            fail(a, "syncing", "syncing its temporary file '%s' failed: %s; "
                 "'%s' is as it was", a->tmp, strerror(errno), a->path);
  if (close(a->fd) != 0 && ok) {
    ok = fail(a, "closing", "closing its temporary file '%s' failed: %s; "
              "'%s' is as it was", a->tmp, strerror(errno), a->path);
  }
  a->fd = -1;
  if (ok && rename(a->tmp, a->target) != 0) {
    ok = fail(a, "renaming it into place", "renaming its temporary file "
              "'%s' to '%s' failed: %s; '%s' is as it was", a->tmp,
              a->target, strerror(errno), a->path);
  }
  if (!ok) {
    unlink(a->tmp);
    return false;
  }
  char dir[sizeof a->target];
  host_dir_of(a->target, dir, sizeof dir);
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || fsync(dfd) != 0) {
    ok = fail(a, sync_dir_step, "it was written, but syncing its directory "
              "'%s' failed: %s; a power failure now could lose it", dir,
              strerror(errno));
  }
  if (dfd >= 0) close(dfd);
  return ok;
}

void host_atomic_abort(host_atomic *a) {
  if (a->fd >= 0) {
    close(a->fd);
    if (!a->in_place) unlink(a->tmp);
  }
  a->fd = -1;
}

bool host_atomic_fail(const host_atomic *a, const char *what, host_error *err) {
  if (a->step == sync_dir_step) {
    return host_fail(err, "%s '%s': %s", what, a->path, a->msg);
  }
  return host_fail(err, "cannot write %s '%s': %s", what, a->path,
                   a->step ? a->msg : "nothing was written");
}
