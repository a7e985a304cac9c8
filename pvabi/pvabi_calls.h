/* Host side of the para-API's list: the table of hypercalls generated from
 * PV_CALLS (names, numbers, arguments) and the status names, for the
 * devices that carry the calls out, the tracer and the docs test.  It
 * knows nothing of how a call is carried out (devices/hcalls.c). */
#ifndef PVLAB_PVABI_CALLS_H
#define PVLAB_PVABI_CALLS_H

#include <stdint.h>

#include "pvabi.h"

typedef struct pvabi_call {
  const char *name;   /* as the monitor and the tracer print it */
  uint32_t number;
  int argc;
  const char *argn[4];
  const char *result; /* what a1/a2 hold, from the list */
} pvabi_call;

extern const pvabi_call pvabi_calls[];
extern const unsigned pvabi_ncalls;

/* The call with this number, or NULL. */
const pvabi_call *pvabi_lookup(uint32_t number);
/* Text for a status code ("PV_EFAULT"), for traces and messages. */
const char *pvabi_status_name(int32_t status);

#endif
