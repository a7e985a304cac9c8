/* The debug device: a message to the host, and a stop into the debugger. */
#include <stdio.h>

#include "devices.h"

#define DEBUG_LOG_MAX 4096u /* longer messages are refused, not truncated */

int32_t dev_hc_debug_log(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  if (a[1] > DEBUG_LOG_MAX) return PV_EINVAL;
  const uint8_t *msg = dev_guest_buf(b, a[0], a[1]);
  if (!msg) return PV_EFAULT;
  /* the guest's bytes reach a terminal: escape anything not printable */
  char text[DEBUG_LOG_MAX * 4 + 1];
  size_t n = 0;
  for (uint32_t i = 0; i < a[1]; i++) {
    uint8_t ch = msg[i];
    if (ch == '\n' && i + 1 == a[1]) break;
    if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
      text[n++] = (char)ch;
    } else {
      n += (size_t)snprintf(text + n, sizeof text - n, "\\x%02x", ch);
    }
  }
  text[n] = 0;
  b->dev->debug.log_calls++;
  if (b->log->log) b->log->log(b->log->ctx, text);
  return PV_OK;
}

int32_t dev_hc_debug_break(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  b->dev->debug.break_requested = 1;
  return PV_OK;
}
