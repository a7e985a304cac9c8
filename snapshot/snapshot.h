/* Machine state serialization.  For now: the state hash that determinism
 * tests compare; snapshots and record/replay build on the same field walk. */
#ifndef PVLAB_SNAPSHOT_H
#define PVLAB_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine/error.h"

void snap_hash_u64(uint64_t *h, uint64_t v);
void snap_hash_bytes(uint64_t *h, const uint8_t *p, size_t n);

/* Saves width x height 0x00RRGGBB pixels (a dev_frame's) as an 8-bit RGB
 * PNG file (snapshot/png.c), atomically: path is replaced whole or left
 * as it was.  The error names the file. */
bool snap_png_write(const char *path, const uint32_t *pixels, uint32_t width,
                    uint32_t height, pvl_error *err)
    __attribute__((warn_unused_result));

#endif
