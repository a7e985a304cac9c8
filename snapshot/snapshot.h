/* Machine state serialization.  For now: the state hash that determinism
 * tests compare; snapshots and record/replay build on the same field walk. */
#ifndef PVLAB_SNAPSHOT_H
#define PVLAB_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

void snap_hash_u64(uint64_t *h, uint64_t v);
void snap_hash_bytes(uint64_t *h, const uint8_t *p, size_t n);

#endif
