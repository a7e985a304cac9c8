/* host_fail: the one place an error message is formatted. */
#include "host.h"

#include <stdarg.h>
#include <stdio.h>

_Bool host_fail(host_error *e, const char *fmt, ...) {
  if (e) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
  }
  return 0;
}
