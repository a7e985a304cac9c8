/* Host side of the para-API: the hypercall table generated from PV_CALLS,
 * dispatch, and the guest-pointer validation every handler goes through. */
#ifndef PVLAB_PVABI_HCALL_H
#define PVLAB_PVABI_HCALL_H

#include <stdint.h>

#include "pvabi/pvabi.h"

typedef struct machine machine;

/* A handler reads its arguments from a[] (a0..a5) and may set out[0] (a1)
 * and out[1] (a2); it returns the status for a0, or one of these: */
#define PVABI_NO_RESULT INT32_MIN /* it set pc and registers itself */
#define PVABI_STOPPED (INT32_MIN + 1) /* it did not complete: the machine
                                         stops with pc at the HCALL */
typedef int32_t (*pvabi_handler)(machine *m, const uint32_t a[6],
                                 uint32_t out[2]);

typedef struct pvabi_call {
  const char *name;   /* as the monitor and the tracer print it */
  uint32_t number;
  int argc;
  const char *argn[4];
  const char *result; /* what a1/a2 hold, from the list */
  pvabi_handler fn;
} pvabi_call;

extern const pvabi_call pvabi_calls[];
extern const unsigned pvabi_ncalls;

/* The call with this number, or NULL. */
const pvabi_call *pvabi_lookup(uint32_t number);
/* Carries out the HCALL at the CPU's pc: reads a7 and a0-a5, runs the
 * handler (or answers PV_ENOSYS), writes a0-a2 and retires the HCALL. */
void pvabi_dispatch(machine *m);
/* Text for a status code ("PV_EFAULT"), for traces and messages. */
const char *pvabi_status_name(int32_t status);

/* The host pointer for guest [addr, addr+len), or NULL when any byte lies
 * outside guest RAM; handlers return PV_EFAULT for NULL.  A writable
 * buffer must also be passed to pvabi_guest_written() after writing. */
uint8_t *pvabi_guest_buf(machine *m, uint32_t addr, uint32_t len);
void pvabi_guest_written(machine *m, uint32_t addr, uint32_t len);

/* Every handler, named hc_<name> after its row in PV_CALLS. */
#define PVABI_DECLARE(NAME, name, num, args, result) \
  int32_t hc_##name(machine *m, const uint32_t a[6], uint32_t out[2]);
PV_CALLS(PVABI_DECLARE)
#undef PVABI_DECLARE

#endif
