/* The power device: the guest ends the run with an exit code, and learns
 * how much memory the machine was given. */
#include "machine/machine.h"
#include "pvabi/hcall.h"

int32_t hc_shutdown(machine *m, const uint32_t a[6], uint32_t out[2]) {
  m->dev.power.off = 1;
  m->dev.power.exit_code = a[0];
  return PV_OK;
}

int32_t hc_mem_info(machine *m, const uint32_t a[6], uint32_t out[2]) {
  out[0] = CPU_RAM_BASE;
  out[1] = m->cpu.ram_size;
  return PV_OK;
}
