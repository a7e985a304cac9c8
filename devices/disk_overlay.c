/* The disk's copy-on-write overlay: the sectors the guest has written, in
 * a table sorted by sector number.  Sorted, because everything that looks
 * at the overlay as a whole (the state hash, snapshots, a commit) must see
 * the same sequence however the guest's writes were ordered, and a read
 * finds a sector by binary search.  The sector bytes live in slots that
 * never move; an insert shifts only the 8-byte index entries after it. */
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "pvabi.h"

uint32_t dev_disk_overlay_lower(const dev_disk_overlay *ov, uint32_t sector) {
  uint32_t lo = 0, hi = ov->count;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (ov->index[mid].sector < sector) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const uint8_t *dev_disk_overlay_at(const dev_disk_overlay *ov, uint32_t i) {
  return ov->data + (size_t)ov->index[i].slot * PV_DISK_SECTOR;
}

const uint8_t *dev_disk_overlay_find(const dev_disk_overlay *ov,
                                     uint32_t sector) {
  uint32_t i = dev_disk_overlay_lower(ov, sector);
  if (i == ov->count || ov->index[i].sector != sector) return NULL;
  return dev_disk_overlay_at(ov, i);
}

static bool grow(dev_disk_overlay *ov) {
  if (ov->count < ov->cap) return true;
  if (ov->cap > UINT32_MAX / 2) return false;
  uint32_t cap = ov->cap ? ov->cap * 2 : 64;
  dev_disk_entry *index = realloc(ov->index, (size_t)cap * sizeof *index);
  if (!index) return false;
  ov->index = index;
  uint8_t *data = realloc(ov->data, (size_t)cap * PV_DISK_SECTOR);
  if (!data) return false; /* index is larger than needed; harmless */
  ov->data = data;
  ov->cap = cap;
  return true;
}

bool dev_disk_overlay_put(dev_disk_overlay *ov, uint32_t sector,
                          const uint8_t *bytes) {
  uint32_t i = dev_disk_overlay_lower(ov, sector);
  if (i == ov->count || ov->index[i].sector != sector) {
    if (!grow(ov)) return false;
    memmove(&ov->index[i + 1], &ov->index[i],
            (size_t)(ov->count - i) * sizeof ov->index[0]);
    ov->index[i] = (dev_disk_entry){sector, ov->count};
    ov->count++;
  }
  memcpy(ov->data + (size_t)ov->index[i].slot * PV_DISK_SECTOR, bytes,
         PV_DISK_SECTOR);
  return true;
}

void dev_disk_overlay_free(dev_disk_overlay *ov) {
  free(ov->index);
  free(ov->data);
  memset(ov, 0, sizeof *ov);
}
