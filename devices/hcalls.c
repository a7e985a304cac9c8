/* The devices' side of the hypercall table: a handler for every row of
 * PV_CALLS, in the same order as pvabi_calls, the guest-buffer checks every
 * handler goes through, and the para-API's own two calls. */
#include "devices.h"
#include "pvabi_calls.h"

const dev_hcall dev_hcalls[] = {
#define DEV_ROW(NAME, name, num, args, result) dev_hc_##name,
  PV_CALLS(DEV_ROW)
#undef DEV_ROW
};

uint8_t *dev_guest_buf(dev_bus *b, uint32_t addr, uint32_t len) {
  return cpu_guest_ptr(b->cpu, addr, len);
}

void dev_guest_written(dev_bus *b, uint32_t addr, uint32_t len) {
  cpu_code_written(b->cpu, addr, len);
}

int32_t dev_hc_version(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  uint32_t highest = 0;
  for (unsigned i = 0; i < pvabi_ncalls; i++) {
    if (pvabi_calls[i].number > highest) highest = pvabi_calls[i].number;
  }
  out[0] = PV_ABI_VERSION;
  out[1] = highest;
  return PV_OK;
}

int32_t dev_hc_probe(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  return pvabi_lookup(a[0]) ? PV_OK : PV_ENOSYS;
}
