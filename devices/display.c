/* The display device: the guest draws its frame in its own memory, names
 * that memory with fb_set and copies rectangles of it to the host with
 * fb_flush.  The pixels are guest RAM, so they are already guest-visible
 * state; what the host shows (*b->display) is host side and never read
 * back.  A rectangle that does not fit the screen is refused, not
 * clipped: a wrong rectangle is a guest bug better seen at once. */
#include "devices.h"

static uint32_t fb_bytes(const dev_bus *b) {
  /* at most 4096 * 4096 * 4 = 64 MiB: no overflow */
  return b->fb_width * b->fb_height * PV_FB_BYTES_PER_PIXEL;
}

int32_t dev_hc_fb_info(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  out[0] = b->fb_width | b->fb_height << 16;
  out[1] = PV_FB_XRGB8888;
  return PV_OK;
}

int32_t dev_hc_fb_set(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  if (a[0] & 3u) return PV_EINVAL;
  if (!dev_guest_buf(b, a[0], fb_bytes(b))) return PV_EFAULT;
  dev_display *d = &b->dev->display;
  d->fb_set = 1;
  d->fb_addr = a[0];
  if (b->display->show) b->display->show(b->display->ctx);
  return PV_OK;
}

int32_t dev_hc_fb_flush(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  dev_display *d = &b->dev->display;
  uint32_t x = a[0], y = a[1], w = a[2], h = a[3];
  uint32_t width = b->fb_width, height = b->fb_height;
  if (!d->fb_set) return PV_EINVAL;
  if (x > width || w > width - x || y > height || h > height - y) {
    return PV_EINVAL;
  }
  const uint8_t *fb = dev_guest_buf(b, d->fb_addr, fb_bytes(b));
  if (!fb) return PV_EFAULT; /* cannot happen: checked by fb_set */
  d->flushes++;
  if (w == 0 || h == 0 || !b->display->flush) return PV_OK;
  uint32_t stride = width * PV_FB_BYTES_PER_PIXEL;
  b->display->flush(b->display->ctx,
                      fb + (size_t)y * stride + (size_t)x * PV_FB_BYTES_PER_PIXEL,
                      stride, x, y, w, h);
  return PV_OK;
}
