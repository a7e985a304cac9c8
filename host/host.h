/* What every layer needs of the host and nothing of the machine: errors as
 * values and files written whole or not at all.
 *
 * Errors as values: a fallible library function fills a pvl_error with one
 * sentence that names the file or call and what is wrong, and returns
 * false.  Only the front end prints it. */
#ifndef PVLAB_HOST_H
#define PVLAB_HOST_H

typedef struct host_error {
  char msg[512];
} host_error;

/* Sets e->msg (if e is not NULL) and returns false, so a caller can write
 * `return host_fail(err, "%s: truncated", path);`. */
_Bool host_fail(host_error *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Files written whole or not at all (host/atomic.c)
 *
 *   host_atomic a;
 *   ok = host_atomic_open(&a, path) && host_atomic_write(&a, p, n) ...
 *        && host_atomic_commit(&a);   (else host_atomic_abort(&a))
 *   if (!ok) host_atomic_fail(&a, "snapshot", err);
 *
 * What path is decides how it is written (docs/file-formats.md, "Output
 * files"): a new or regular file gets the bytes in a temporary file beside
 * it, which commit syncs, renames over it and follows with a sync of the
 * directory; a symbolic link is followed (a dangling one: the file it
 * names is created), so the link stays; a FIFO or a character device
 * (/dev/stdout, a pipe) is written in place, with no temporary file and
 * no sync; a directory, a block device, a socket or a read-only file is
 * refused by open.  On failure step says what failed ("checking it",
 * "creating its temporary file", "writing", ...), err is the errno (0 for
 * a refusal) and msg says what is wrong and what to do, naming the file
 * or directory at fault.  A regular target is untouched unless step is
 * "syncing its directory" (then the new file is in place but may not
 * survive a power failure); a FIFO or device may have had part of the
 * bytes. */
typedef struct host_atomic {
  const char *path;   /* as the caller named it */
  char target[4096];  /* what is written: path with its symbolic links followed */
  char tmp[4160];     /* the temporary file beside target (unused in place) */
  int fd;
  bool in_place;      /* a FIFO or character device, written straight to */
  int err;
  const char *step;   /* NULL until something failed */
  char msg[1024];     /* once step is set: what is wrong, what to do */
} host_atomic;
bool host_atomic_open(host_atomic *a, const char *path)
    __attribute__((warn_unused_result));
bool host_atomic_write(host_atomic *a, const void *p, size_t n);
bool host_atomic_commit(host_atomic *a) __attribute__((warn_unused_result));
void host_atomic_abort(host_atomic *a);
/* "cannot write WHAT 'PATH': MSG" into err, after a failed open, write or
 * commit; returns false. */
bool host_atomic_fail(const host_atomic *a, const char *what, host_error *err);
/* The checks host_atomic_open makes, and that the directory of a file to
 * be renamed into place is writable, without writing or opening anything
 * (a FIFO would wait for its reader): for an output known before a long
 * run.  On failure err has the reason (msg above). */
bool host_atomic_check(const char *path, host_error *err)
    __attribute__((warn_unused_result));

/* The directory of path, into dir: "." for a bare name, "/" for one in
 * the root. */
void host_dir_of(const char *path, char *dir, size_t size);

#endif
