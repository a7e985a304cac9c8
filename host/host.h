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
 *
 * The bytes go to a temporary file beside path, which commit syncs,
 * renames over path and follows with a sync of the directory.  On failure
 * err is the errno and step says what failed ("creating its temporary
 * file", "writing", ...); path is untouched unless step is "syncing its
 * directory" (then the new file is in place but may not survive a power
 * failure). */
typedef struct host_atomic {
  const char *path;
  char tmp[4160];
  int fd;
  int err;
  const char *step; /* NULL until something failed */
} host_atomic;
bool host_atomic_open(host_atomic *a, const char *path)
    __attribute__((warn_unused_result));
bool host_atomic_write(host_atomic *a, const void *p, size_t n);
bool host_atomic_commit(host_atomic *a) __attribute__((warn_unused_result));
void host_atomic_abort(host_atomic *a);

#endif
