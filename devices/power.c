/* The power device: the guest ends the run with an exit code, and learns
 * how much memory the machine was given. */
#include "devices.h"

int32_t dev_hc_shutdown(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  b->dev->power.off = 1;
  b->dev->power.exit_code = a[0];
  return PV_OK;
}

int32_t dev_hc_mem_info(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  out[0] = CPU_RAM_BASE;
  out[1] = b->cpu->ram_size;
  return PV_OK;
}
