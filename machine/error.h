/* Errors as values: a fallible library function fills a pvl_error with one
 * sentence that names the file or call and what is wrong, and returns
 * false.  Only the front end prints it. */
#ifndef PVLAB_MACHINE_ERROR_H
#define PVLAB_MACHINE_ERROR_H

typedef struct pvl_error {
  char msg[512];
} pvl_error;

/* Sets e->msg (if e is not NULL) and returns false, so a caller can write
 * `return pvl_fail(err, "%s: truncated", path);`. */
_Bool pvl_fail(pvl_error *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
