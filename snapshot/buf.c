/* Byte buffers for sections: every integer goes in and out little-endian,
 * one field at a time, so a file means the same on every host and no
 * struct layout, padding byte or host pointer can leak into it.  Errors
 * are sticky (oom, bad) so that a coder checks once after a group of
 * fields instead of after each one. */
#define _DEFAULT_SOURCE /* madvise */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "snapshot.h"

#define HUGE_PAGE (2u << 20)

void snap_hint_huge(void *p, size_t n) {
#ifdef MADV_HUGEPAGE
  uintptr_t start = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
  uintptr_t end = ((uintptr_t)p + n) & ~(uintptr_t)(HUGE_PAGE - 1);
  if (end > start) (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
  (void)p, (void)n;
#endif
}

bool snap_buf_reserve(snap_buf *b, size_t n) {
  if (b->oom) return false;
  if (n <= b->cap - b->len) return true;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len < n) {
    if (cap > SIZE_MAX / 2) {
      b->oom = true;
      return false;
    }
    cap *= 2;
  }
  uint8_t *p = realloc(b->p, cap);
  if (!p) {
    b->oom = true;
    return false;
  }
  b->p = p;
  b->cap = cap;
  if (cap >= 4 * HUGE_PAGE) snap_hint_huge(p, cap);
  return true;
}

void snap_put_bytes(snap_buf *b, const void *p, size_t n) {
  if (n == 0 || !snap_buf_reserve(b, n)) return;
  memcpy(b->p + b->len, p, n);
  b->len += n;
}

/* v's low n bytes, least significant first */
static void put_le(snap_buf *b, uint64_t v, unsigned n) {
  uint8_t bytes[8];
  for (unsigned i = 0; i < n; i++) bytes[i] = (uint8_t)(v >> (8 * i));
  snap_put_bytes(b, bytes, n);
}

void snap_put_u8(snap_buf *b, uint8_t v) { put_le(b, v, 1); }
void snap_put_u16(snap_buf *b, uint16_t v) { put_le(b, v, 2); }
void snap_put_u32(snap_buf *b, uint32_t v) { put_le(b, v, 4); }
void snap_put_u64(snap_buf *b, uint64_t v) { put_le(b, v, 8); }

void snap_buf_free(snap_buf *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

const uint8_t *snap_get_bytes(snap_reader *r, size_t n) {
  if (r->bad || n > r->len - r->pos) {
    r->bad = true;
    return NULL;
  }
  const uint8_t *p = r->p + r->pos;
  r->pos += n;
  return p;
}

static uint64_t get_le(snap_reader *r, unsigned n) {
  const uint8_t *p = snap_get_bytes(r, n);
  uint64_t v = 0;
  for (unsigned i = 0; p && i < n; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

uint8_t snap_get_u8(snap_reader *r) { return (uint8_t)get_le(r, 1); }
uint16_t snap_get_u16(snap_reader *r) { return (uint16_t)get_le(r, 2); }
uint32_t snap_get_u32(snap_reader *r) { return (uint32_t)get_le(r, 4); }
uint64_t snap_get_u64(snap_reader *r) { return get_le(r, 8); }

size_t snap_reader_left(const snap_reader *r) {
  return r->bad ? 0 : r->len - r->pos;
}
