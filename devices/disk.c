/* The block device: a raw image of 512-byte sectors under a copy-on-write
 * overlay.  Requests are synchronous: the data is in guest memory (or in
 * the overlay) when the hypercall returns, and a completed request raises
 * PV_EV_DISK.  The image file is only ever read here; with --disk-write,
 * disk_flush and the end of the run replace it by a new file holding the
 * overlay too (devices/disk_commit.c; the image itself: devices/disk_image.c), so a run without it is repeatable
 * and a run with it never leaves a half-written image.
 *
 * No disk behaves as a disk of zero sectors: disk_info says so, every read
 * and write is out of range, a flush has nothing to do. */
#include <string.h>

#include "devices.h"

int32_t dev_hc_disk_info(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  const dev_disk *d = &b->dev->disk;
  out[0] = d->sectors;
  out[1] = (d->attached ? PV_DISK_ATTACHED : 0) |
           (d->persist ? PV_DISK_PERSIST : 0);
  return PV_OK;
}

/* The common checks of disk_read and disk_write: the host pointer to the
 * guest buffer, or NULL with *status set. */
static uint8_t *request(dev_bus *b, const uint32_t a[6], int32_t *status) {
  uint32_t sector = a[0], count = a[2];
  uint32_t sectors = b->dev->disk.sectors;
  *status = PV_EINVAL;
  if (count == 0 || count > PV_DISK_MAX_COUNT) return NULL;
  if (sector >= sectors || count > sectors - sector) return NULL;
  uint8_t *buf = dev_guest_buf(b, a[1], count * PV_DISK_SECTOR);
  *status = buf ? PV_OK : PV_EFAULT;
  return buf;
}

int32_t dev_hc_disk_read(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  int32_t status;
  uint8_t *buf = request(b, a, &status);
  if (!buf) return status;
  const dev_disk_host *h = b->disk;
  const dev_disk_overlay *ov = &h->overlay;
  uint32_t sector = a[0], end = a[0] + a[2];
  /* runs of unwritten sectors come from the image in one read each */
  for (uint32_t i = dev_disk_overlay_lower(ov, sector);; i++) {
    uint32_t next = i < ov->count && ov->index[i].sector < end
                        ? ov->index[i].sector : end;
    uint8_t *to = buf + (size_t)(sector - a[0]) * PV_DISK_SECTOR;
    if (next > sector && !dev_disk_image_read(h, sector, next - sector, to)) {
      dev_guest_written(b, a[1], a[2] * PV_DISK_SECTOR);
      return PV_EIO; /* the buffer holds what was read before the failure */
    }
    if (next == end) break;
    memcpy(buf + (size_t)(next - a[0]) * PV_DISK_SECTOR,
           dev_disk_overlay_at(ov, i), PV_DISK_SECTOR);
    sector = next + 1;
  }
  dev_guest_written(b, a[1], a[2] * PV_DISK_SECTOR);
  *b->sectors_read += a[2];
  b->dev->events.pending |= PV_EV_DISK;
  out[0] = a[2];
  return PV_OK;
}

int32_t dev_hc_disk_write(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  int32_t status;
  const uint8_t *buf = request(b, a, &status);
  if (!buf) return status;
  dev_disk_host *h = b->disk;
  for (uint32_t k = 0; k < a[2]; k++) {
    /* out of host memory part way: the sectors before k are written, as
     * on a disk that failed in the middle of a request */
    if (!dev_disk_overlay_put(&h->overlay, a[0] + k,
                              buf + (size_t)k * PV_DISK_SECTOR)) {
      h->dirty = true;
      return PV_EIO;
    }
  }
  h->dirty = true;
  *b->sectors_written += a[2];
  b->dev->events.pending |= PV_EV_DISK;
  out[0] = a[2];
  return PV_OK;
}

int32_t dev_hc_disk_flush(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  host_error err;
  if (!dev_disk_commit(b, &err)) return PV_EIO;
  b->dev->events.pending |= PV_EV_DISK;
  return PV_OK;
}
