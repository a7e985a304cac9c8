/* echo: copies console input to console output until end of input, in
 * chunks straight through the hypercalls (no stdio), so every byte value
 * passes unchanged. */
#include "pv.h"

int main(void) {
  static char buf[4096];
  for (;;) {
    pv_ret r = pv_console_read(buf, sizeof buf);
    if (r.status == PV_EAGAIN) continue; /* a terminal with nothing typed */
    if (r.status != PV_OK) return 2;
    if (r.value == 0) return 0;          /* end of input */
    if (pv_console_write(buf, (uint32_t)r.value).status != PV_OK) return 3;
  }
}
