/* The zlib streams inside sections (guest RAM, disk sectors).
 *
 * Writing (the disk's; zpages.c writes guest RAM's on every core, by the
 * same rule): Z_BEST_SPEED, except for pieces that look random
 * (compressed or encrypted data, a PRNG's output): deflate gains nothing
 * on those and costs five times as much as storing them, so they go into
 * the same stream as stored blocks (deflateParams switches the level on
 * the fly; inflate does not care).
 *
 * Reading: inflate into the caller's memory, asking for exactly the bytes
 * the section's bitmap or count promised; a stream that ends early, goes
 * on too long or has bytes after its end is damage. */
#include <string.h>

#include "snap_int.h"

/* Pieces smaller than this keep the level the stream has. */
#define SAMPLE_MIN 16384u
#define SAMPLE_STRIDE 4u
#define ZCHUNK (1u << 30) /* zlib counts in uInt */

/* Whether p[0..n) looks random: its bytes (sampled) spread nearly evenly
 * over all 256 values.  For uniform bytes 256 * sum(count^2) / N^2 is
 * about 1 + 256/N; text and code give several times that. */
bool snap_looks_random(const uint8_t *p, size_t n) {
  uint32_t count[256] = {0};
  uint64_t samples = 0;
  for (size_t i = 0; i < n; i += SAMPLE_STRIDE, samples++) count[p[i]]++;
  uint64_t squares = 0;
  for (int v = 0; v < 256; v++) squares += (uint64_t)count[v] * count[v];
  return 256 * squares * 4 < samples * samples * 5; /* ratio < 1.25 */
}

bool snap_zout_begin(snap_zout *o, snap_buf *b) {
  memset(o, 0, sizeof *o);
  o->b = b;
  o->len_at = b->len;
  snap_put_u64(b, 0); /* the stream's length, filled in at the end */
  o->level = Z_BEST_SPEED;
  o->ok = !b->oom && deflateInit(&o->z, o->level) == Z_OK;
  return o->ok;
}

/* Runs deflate with flush until it has taken all input (and, for
 * Z_FINISH, ended), growing the buffer as it needs. */
static void pump(snap_zout *o, int flush, size_t hint) {
  snap_buf *b = o->b;
  for (;;) {
    if (!snap_buf_reserve(b, hint)) {
      o->ok = false;
      return;
    }
    size_t room = b->cap - b->len;
    o->z.next_out = b->p + b->len;
    o->z.avail_out = room > ZCHUNK ? ZCHUNK : (uInt)room;
    int r = deflate(&o->z, flush);
    b->len = (size_t)(o->z.next_out - b->p);
    if (r == Z_STREAM_END) return;
    if (r != Z_OK && r != Z_BUF_ERROR) {
      o->ok = false;
      return;
    }
    if (flush != Z_FINISH && o->z.avail_in == 0 && o->z.avail_out > 0) return;
    hint = 65536;
  }
}

static void set_level(snap_zout *o, int level) {
  if (level == o->level) return;
  /* deflateParams compresses what it holds with the old level first and
   * needs room for that output */
  for (int tries = 0; tries < 64; tries++) {
    if (!snap_buf_reserve(o->b, 65536)) break;
    size_t room = o->b->cap - o->b->len;
    o->z.next_out = o->b->p + o->b->len;
    o->z.avail_out = room > ZCHUNK ? ZCHUNK : (uInt)room;
    int r = deflateParams(&o->z, level, Z_DEFAULT_STRATEGY);
    o->b->len = (size_t)(o->z.next_out - o->b->p);
    if (r == Z_OK) {
      o->level = level;
      return;
    }
    if (r != Z_BUF_ERROR) break;
  }
  o->ok = false;
}

void snap_zout_add(snap_zout *o, const uint8_t *p, size_t n) {
  if (n >= SAMPLE_MIN && o->ok) {
    set_level(o, snap_looks_random(p, n) ? Z_NO_COMPRESSION : Z_BEST_SPEED);
  }
  while (n > 0 && o->ok) {
    uInt chunk = n > ZCHUNK ? ZCHUNK : (uInt)n;
    o->z.next_in = (Bytef *)p;
    o->z.avail_in = chunk;
    pump(o, Z_NO_FLUSH, chunk + chunk / 64 + 64);
    p += chunk;
    n -= chunk;
  }
}

bool snap_zout_end(snap_zout *o) {
  if (o->ok) {
    o->z.avail_in = 0;
    pump(o, Z_FINISH, 4096);
  }
  deflateEnd(&o->z);
  if (!o->ok || o->b->oom) return false;
  uint64_t len = o->b->len - o->len_at - 8;
  for (int i = 0; i < 8; i++) o->b->p[o->len_at + i] = (uint8_t)(len >> (8 * i));
  return true;
}

/* ---- Reading */

bool snap_get_stream(snap_reader *r, const uint8_t **p, size_t *len) {
  uint64_t n = snap_get_u64(r);
  if (n > snap_reader_left(r)) r->bad = true;
  *len = r->bad ? 0 : (size_t)n;
  *p = snap_get_bytes(r, *len);
  return !r->bad;
}

bool snap_zin_begin(snap_zin *in, const uint8_t *p, size_t len) {
  memset(in, 0, sizeof *in);
  in->next = p;
  in->left = len;
  if (inflateInit(&in->z) != Z_OK) {
    in->why = "out of memory for decompression";
    return false;
  }
  in->started = true;
  return true;
}

/* Inflates into out[0..n) as far as the stream goes; returns zlib's code. */
static int inflate_into(snap_zin *in, uint8_t *out, size_t n, size_t *got) {
  *got = 0;
  int r = Z_OK;
  while (*got < n) {
    if (in->z.avail_in == 0 && in->left > 0) {
      uInt chunk = in->left > ZCHUNK ? ZCHUNK : (uInt)in->left;
      in->z.next_in = (Bytef *)in->next;
      in->z.avail_in = chunk;
      in->next += chunk;
      in->left -= chunk;
    }
    size_t want = n - *got;
    in->z.next_out = out + *got;
    in->z.avail_out = want > ZCHUNK ? ZCHUNK : (uInt)want;
    uInt out_before = in->z.avail_out, in_before = in->z.avail_in;
    r = inflate(&in->z, Z_NO_FLUSH);
    *got += out_before - in->z.avail_out;
    if (r == Z_STREAM_END) {
      in->ended = true;
      return r;
    }
    bool stuck = out_before == in->z.avail_out && in_before == in->z.avail_in;
    if (stuck || (r != Z_OK && r != Z_BUF_ERROR)) return r;
  }
  return r;
}

bool snap_zin_read(snap_zin *in, uint8_t *out, size_t n) {
  if (!in->started) return false;
  size_t got;
  int r = inflate_into(in, out, n, &got);
  if (got == n) return true;
  if (r == Z_STREAM_END) in->why = "its compressed data ends before all of it";
  else if (r == Z_BUF_ERROR) in->why = "its compressed data is cut short";
  else in->why = "its compressed data is damaged";
  return false;
}

bool snap_zin_end(snap_zin *in) {
  if (!in->started) return false;
  if (!in->ended) {
    uint8_t extra;
    size_t got;
    int r = inflate_into(in, &extra, 1, &got);
    if (got) {
      in->why = "its compressed data holds more than it should";
      return false;
    }
    if (r != Z_STREAM_END) {
      in->why = r == Z_BUF_ERROR ? "its compressed data is cut short"
                                 : "its compressed data is damaged";
      return false;
    }
  }
  if (in->z.avail_in > 0 || in->left > 0) {
    in->why = "there are bytes after the end of its compressed data";
    return false;
  }
  return true;
}

void snap_zin_free(snap_zin *in) {
  if (in->started) inflateEnd(&in->z);
  in->started = false;
}
