/* The console device: byte output and non-blocking byte input. */
#include "machine/machine.h"
#include "pvabi/hcall.h"

int32_t hc_console_write(machine *m, const uint32_t a[6], uint32_t out[2]) {
  const uint8_t *buf = pvabi_guest_buf(m, a[0], a[1]);
  if (!buf) return PV_EFAULT;
  if (a[1] && !m->console_io.write(m->console_io.ctx, buf, a[1])) return PV_EIO;
  m->dev.console.bytes_out += a[1];
  out[0] = a[1];
  return PV_OK;
}

int32_t hc_console_read(machine *m, const uint32_t a[6], uint32_t out[2]) {
  uint8_t *buf = pvabi_guest_buf(m, a[0], a[1]);
  if (!buf) return PV_EFAULT;
  dev_console *con = &m->dev.console;
  /* a zero-length read would answer "0 bytes", which means end of input */
  if (a[1] == 0) return PV_EINVAL;
  if (con->input_closed) return PV_OK;
  long n = m->console_io.read(m->console_io.ctx, buf, a[1]);
  if (n == DEV_AGAIN) return PV_EAGAIN;
  if (n < 0) return PV_EIO;
  if (n == 0) {
    con->input_closed = 1;
    return PV_OK;
  }
  pvabi_guest_written(m, a[0], (uint32_t)n);
  con->bytes_in += (uint64_t)n;
  out[0] = (uint32_t)n;
  return PV_OK;
}
