/* A PNG writer for screenshots: 8-bit RGB, one IDAT chunk compressed by
 * zlib, no filtering (a screen of flat colours compresses well as it is).
 * The file appears whole or not at all, or goes to a FIFO or device as it
 * is (host_atomic). */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "devices.h"

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* length, type, data, CRC over type and data */
static bool write_chunk(host_atomic *a, const char type[4], const uint8_t *data,
                        uint32_t len) {
  uint8_t head[8], tail[4];
  put_be32(head, len);
  memcpy(head + 4, type, 4);
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, head + 4, 4);
  if (len) crc = crc32(crc, data, len);
  put_be32(tail, (uint32_t)crc);
  return host_atomic_write(a, head, 8) && host_atomic_write(a, data, len) &&
         host_atomic_write(a, tail, 4);
}

/* The zlib stream of the image: each row is a filter byte 0 and R, G, B. */
static uint8_t *deflate_rows(const uint32_t *px, uint32_t w, uint32_t h,
                             uLongf *out_len) {
  size_t row = 1 + (size_t)w * 3, raw_len = row * h;
  uint8_t *raw = malloc(raw_len);
  if (!raw) return NULL;
  for (uint32_t y = 0; y < h; y++) {
    uint8_t *r = raw + y * row;
    *r++ = 0;
    for (uint32_t x = 0; x < w; x++) {
      uint32_t v = px[(size_t)y * w + x];
      *r++ = (uint8_t)(v >> 16);
      *r++ = (uint8_t)(v >> 8);
      *r++ = (uint8_t)v;
    }
  }
  *out_len = compressBound((uLong)raw_len);
  uint8_t *z = malloc(*out_len);
  if (z && compress2(z, out_len, raw, (uLong)raw_len, 6) != Z_OK) {
    free(z);
    z = NULL;
  }
  free(raw);
  return z;
}

bool dev_png_write(const char *path, const uint32_t *pixels, uint32_t width,
                    uint32_t height, host_error *err) {
  if (width == 0 || height == 0 || width > 0x7fffffffu || height > 0x7fffffffu) {
    return host_fail(err, "%s: cannot save a %ux%u image as PNG", path, width,
                    height);
  }
  uLongf zlen;
  uint8_t *z = deflate_rows(pixels, width, height, &zlen);
  if (!z) {
    return host_fail(err, "%s: out of memory compressing a %ux%u screenshot",
                    path, width, height);
  }
  host_atomic a;
  if (!host_atomic_open(&a, path)) {
    free(z);
    return host_atomic_fail(&a, "screenshot", err);
  }
  static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  uint8_t ihdr[13];
  put_be32(ihdr, width);
  put_be32(ihdr + 4, height);
  ihdr[8] = 8;  /* bits per channel */
  ihdr[9] = 2;  /* colour type: RGB */
  ihdr[10] = 0; /* deflate */
  ihdr[11] = 0; /* adaptive filtering (every row uses filter 0) */
  ihdr[12] = 0; /* not interlaced */
  bool ok = zlen <= 0x7fffffffu && host_atomic_write(&a, signature, 8) &&
            write_chunk(&a, "IHDR", ihdr, 13) &&
            write_chunk(&a, "IDAT", z, (uint32_t)zlen) &&
            write_chunk(&a, "IEND", NULL, 0);
  free(z);
  if (!ok) host_atomic_abort(&a);
  if (ok && host_atomic_commit(&a)) return true;
  if (!a.step) {
    return host_fail(err, "cannot write screenshot '%s': the image is too "
                     "large", path);
  }
  return host_atomic_fail(&a, "screenshot", err);
}
