/* A PNG writer for screenshots: 8-bit RGB, one IDAT chunk compressed by
 * zlib, no filtering (a screen of flat colours compresses well as it is).
 * The file appears whole or not at all: it is written beside the target
 * under a temporary name, synced, then renamed over it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "snapshot/snapshot.h"

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static bool write_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

/* length, type, data, CRC over type and data */
static bool write_chunk(int fd, const char type[4], const uint8_t *data,
                        uint32_t len) {
  uint8_t head[8], tail[4];
  put_be32(head, len);
  memcpy(head + 4, type, 4);
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, head + 4, 4);
  if (len) crc = crc32(crc, data, len);
  put_be32(tail, (uint32_t)crc);
  return write_all(fd, head, 8) && (len == 0 || write_all(fd, data, len)) &&
         write_all(fd, tail, 4);
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

/* Creates a fresh temporary file beside path; its name goes to tmp. */
static int open_temp(const char *path, char *tmp, size_t size) {
  for (unsigned n = 0; n < 100; n++) {
    snprintf(tmp, size, "%s.tmp-%ld-%u", path, (long)getpid(), n);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return -1;
}

bool snap_png_write(const char *path, const uint32_t *pixels, uint32_t width,
                    uint32_t height, pvl_error *err) {
  if (width == 0 || height == 0 || width > 0x7fffffffu || height > 0x7fffffffu) {
    return pvl_fail(err, "%s: cannot save a %ux%u image as PNG", path, width,
                    height);
  }
  uLongf zlen;
  uint8_t *z = deflate_rows(pixels, width, height, &zlen);
  if (!z) {
    return pvl_fail(err, "%s: out of memory compressing a %ux%u screenshot",
                    path, width, height);
  }
  char tmp[4096 + 64];
  if (strlen(path) > 4096) {
    free(z);
    return pvl_fail(err, "%s: path too long", path);
  }
  int fd = open_temp(path, tmp, sizeof tmp);
  if (fd < 0) {
    int e = errno;
    free(z);
    return pvl_fail(err, "cannot write screenshot %s: %s; check that its "
                    "directory exists and is writable", path, strerror(e));
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
  bool ok = zlen <= 0x7fffffffu && write_all(fd, signature, 8) &&
            write_chunk(fd, "IHDR", ihdr, 13) &&
            write_chunk(fd, "IDAT", z, (uint32_t)zlen) &&
            write_chunk(fd, "IEND", NULL, 0) && fsync(fd) == 0;
  int e = errno;
  free(z);
  if (close(fd) != 0 && ok) ok = false, e = errno;
  if (ok && rename(tmp, path) != 0) ok = false, e = errno;
  if (!ok) {
    unlink(tmp);
    return pvl_fail(err, "cannot write screenshot %s: %s", path, strerror(e));
  }
  return true;
}
