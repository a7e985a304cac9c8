/* The console device: byte output and non-blocking byte input. */
#include "devices.h"

int32_t dev_hc_console_write(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  const uint8_t *buf = dev_guest_buf(b, a[0], a[1]);
  if (!buf) return PV_EFAULT;
  if (a[1] && !b->console->write(b->console->ctx, buf, a[1])) return PV_EIO;
  b->dev->console.bytes_out += a[1];
  out[0] = a[1];
  return PV_OK;
}

int32_t dev_hc_console_read(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  uint8_t *buf = dev_guest_buf(b, a[0], a[1]);
  if (!buf) return PV_EFAULT;
  dev_console *con = &b->dev->console;
  /* a zero-length read would answer "0 bytes", which means end of input */
  if (a[1] == 0) return PV_EINVAL;
  if (con->input_closed) return PV_OK;
  long n = b->console->read(b->console->ctx, buf, a[1]);
  if (n == DEV_AGAIN) return PV_EAGAIN;
  if (n < 0) return PV_EIO;
  if (n == 0) {
    con->input_closed = 1;
    return PV_OK;
  }
  dev_guest_written(b, a[0], (uint32_t)n);
  con->bytes_in += (uint64_t)n;
  out[0] = (uint32_t)n;
  return PV_OK;
}
