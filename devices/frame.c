/* The host's copy of the frame: the headless display backend, and the
 * pixels a window shows and a screenshot saves. */
#include <stdlib.h>
#include <string.h>

#include "devices.h"

bool dev_frame_init(dev_frame *f, uint32_t width, uint32_t height) {
  memset(f, 0, sizeof *f);
  f->pixels = calloc((size_t)width * height, sizeof *f->pixels);
  if (!f->pixels) return false;
  f->width = width;
  f->height = height;
  return true;
}

void dev_frame_free(dev_frame *f) {
  free(f->pixels);
  memset(f, 0, sizeof *f);
}

/* The guest's bytes are little-endian words, whatever the host; the top
 * byte is not part of the colour and is dropped. */
void dev_frame_copy(dev_frame *f, const uint8_t *src, uint32_t stride,
                    uint32_t x, uint32_t y, uint32_t w, uint32_t h) {
  if (x >= f->width || y >= f->height) return;
  if (w > f->width - x) w = f->width - x; /* only if sizes disagree */
  if (h > f->height - y) h = f->height - y;
  for (uint32_t row = 0; row < h; row++) {
    const uint8_t *p = src + (size_t)row * stride;
    uint32_t *dst = f->pixels + (size_t)(y + row) * f->width + x;
    for (uint32_t col = 0; col < w; col++, p += 4) {
      dst[col] = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
    }
  }
}

static void frame_show(void *ctx) {
  dev_frame *f = ctx;
  f->shown = true;
}

static void frame_flush(void *ctx, const uint8_t *src, uint32_t stride,
                        uint32_t x, uint32_t y, uint32_t w, uint32_t h) {
  dev_frame_copy(ctx, src, stride, x, y, w, h);
}

dev_display_backend dev_frame_backend(dev_frame *f) {
  return (dev_display_backend){f, frame_show, frame_flush};
}
