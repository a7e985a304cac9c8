/* The display device: the guest draws its frame in its own memory, names
 * that memory with fb_set and copies rectangles of it to the host with
 * fb_flush.  The pixels are guest RAM, so they are already guest-visible
 * state; what the host shows (m->display_io) is host side and never read
 * back.  A rectangle that does not fit the screen is refused, not
 * clipped: a wrong rectangle is a guest bug better seen at once. */
#include "machine/machine.h"
#include "pvabi/hcall.h"

static uint32_t fb_bytes(const machine *m) {
  /* at most 4096 * 4096 * 4 = 64 MiB: no overflow */
  return m->cfg.display_width * m->cfg.display_height * PV_FB_BYTES_PER_PIXEL;
}

int32_t hc_fb_info(machine *m, const uint32_t a[6], uint32_t out[2]) {
  out[0] = m->cfg.display_width | m->cfg.display_height << 16;
  out[1] = PV_FB_XRGB8888;
  return PV_OK;
}

int32_t hc_fb_set(machine *m, const uint32_t a[6], uint32_t out[2]) {
  if (a[0] & 3u) return PV_EINVAL;
  if (!pvabi_guest_buf(m, a[0], fb_bytes(m))) return PV_EFAULT;
  dev_display *d = &m->dev.display;
  d->fb_set = 1;
  d->fb_addr = a[0];
  if (m->display_io.show) m->display_io.show(m->display_io.ctx);
  return PV_OK;
}

int32_t hc_fb_flush(machine *m, const uint32_t a[6], uint32_t out[2]) {
  dev_display *d = &m->dev.display;
  uint32_t x = a[0], y = a[1], w = a[2], h = a[3];
  uint32_t width = m->cfg.display_width, height = m->cfg.display_height;
  if (!d->fb_set) return PV_EINVAL;
  if (x > width || w > width - x || y > height || h > height - y) {
    return PV_EINVAL;
  }
  const uint8_t *fb = pvabi_guest_buf(m, d->fb_addr, fb_bytes(m));
  if (!fb) return PV_EFAULT; /* cannot happen: checked by fb_set */
  d->flushes++;
  if (w == 0 || h == 0 || !m->display_io.flush) return PV_OK;
  uint32_t stride = width * PV_FB_BYTES_PER_PIXEL;
  m->display_io.flush(m->display_io.ctx,
                      fb + (size_t)y * stride + (size_t)x * PV_FB_BYTES_PER_PIXEL,
                      stride, x, y, w, h);
  return PV_OK;
}
