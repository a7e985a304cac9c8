/* The hypercall table.  It is generated from PV_CALLS, as is the devices'
 * table of handlers (devices/hcalls.c), so a call cannot exist in the
 * header without a handler, a name for the tracer and an entry here (the
 * link fails), and docs/pvabi.md is checked against the same list by a
 * test. */
#include "pvabi_calls.h"

#include <stddef.h>

const pvabi_call pvabi_calls[] = {
#define PVABI_ROW(NAME, name, num, args, result) \
  {#name, num, PV_ARGC_##args, PV_ARGN_##args, result},
  PV_CALLS(PVABI_ROW)
#undef PVABI_ROW
};
const unsigned pvabi_ncalls = sizeof pvabi_calls / sizeof pvabi_calls[0];

const pvabi_call *pvabi_lookup(uint32_t number) {
  for (unsigned i = 0; i < pvabi_ncalls; i++) {
    if (pvabi_calls[i].number == number) return &pvabi_calls[i];
  }
  return NULL;
}

const char *pvabi_status_name(int32_t status) {
#define PVABI_STATUS(name, num, text) if (status == (num)) return #name;
  PV_ERRORS(PVABI_STATUS)
#undef PVABI_STATUS
  return "PV_E?";
}
