/* Console backend on memory buffers: the headless backend for tests. */
#include <stdlib.h>
#include <string.h>

#include "devices.h"

static bool mem_write(void *ctx, const uint8_t *buf, size_t len) {
  dev_console_mem *mem = ctx;
  /* even an empty write needs the buffer, for the terminating NUL below */
  if (!mem->out || len > mem->out_cap - mem->out_len) {
    size_t cap = mem->out_cap ? mem->out_cap : 256;
    while (cap - mem->out_len < len) {
      if (cap > SIZE_MAX / 2) return false;
      cap *= 2;
    }
    uint8_t *grown = realloc(mem->out, cap + 1);
    if (!grown) return false;
    mem->out = grown;
    mem->out_cap = cap;
  }
  memcpy(mem->out + mem->out_len, buf, len);
  mem->out_len += len;
  mem->out[mem->out_len] = 0; /* tests compare it as a string */
  return true;
}

static long mem_read(void *ctx, uint8_t *buf, size_t len) {
  dev_console_mem *mem = ctx;
  size_t left = mem->in_len - mem->in_pos;
  if (left == 0) return mem->in_open ? DEV_AGAIN : 0;
  size_t n = len < left ? len : left;
  memcpy(buf, mem->in + mem->in_pos, n);
  mem->in_pos += n;
  return (long)n;
}

/* Nothing more ever arrives in a memory console: an open, empty one is
 * never ready, even when asked to wait. */
static bool mem_ready(void *ctx, bool wait) {
  (void)wait;
  dev_console_mem *mem = ctx;
  return mem->in_pos < mem->in_len || !mem->in_open;
}

dev_console_backend dev_console_mem_backend(dev_console_mem *mem) {
  return (dev_console_backend){mem, mem_write, mem_read, mem_ready};
}

void dev_console_mem_free(dev_console_mem *mem) {
  free(mem->out);
  mem->out = NULL;
  mem->out_len = mem->out_cap = 0;
}
