/* The container every pvlab state file uses (snapshots, bundles): a
 * header, then named sections with their lengths and CRC-32s; the layout
 * is in docs/file-formats.md.  Reading checks the whole structure before
 * anyone looks inside a section, and never trusts a length it has not
 * checked against the bytes that are really there: a truncated, damaged
 * or hostile file gets one message naming the file and what is wrong. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "snapshot.h"
#include "pvabi.h" /* after stdint.h: it is the guests' header too */

#define MAGIC "PVLABSNP"
#define HEADER_SIZE 32u  /* magic, 5 u32 fields, the header's CRC */
#define SECTION_HEAD 20u /* tag, flags, u64 length, CRC */
/* More sections than any pvlab writes by far; a larger count is damage. */
#define MAX_SECTIONS 4096u

uint32_t snap_crc32(const void *p, size_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const uint8_t *b = p;
  while (n > 0) { /* zlib takes lengths as uInt */
    uInt chunk = n > (1u << 30) ? 1u << 30 : (uInt)n;
    crc = crc32(crc, b, chunk);
    b += chunk;
    n -= chunk;
  }
  return (uint32_t)crc;
}

const char *snap_kind_name(uint32_t kind) {
  switch (kind) {
  case SNAP_KIND_SNAPSHOT: return "snapshot";
  case SNAP_KIND_BUNDLE: return "bundle";
  default: return "pvlab file";
  }
}

static void put_header(snap_buf *b, snap_kind kind, size_t nsec) {
  snap_put_bytes(b, MAGIC, 8);
  snap_put_u32(b, SNAP_FORMAT_VERSION);
  snap_put_u32(b, kind);
  snap_put_u32(b, SNAP_ISA_VERSION);
  snap_put_u32(b, PV_ABI_VERSION);
  snap_put_u32(b, (uint32_t)nsec);
  if (!b->oom) snap_put_u32(b, snap_crc32(b->p + b->len - 28, 28));
}

/* Tags shorter than four characters ("RAM") are padded with spaces. */
static void put_section_head(snap_buf *b, const snap_section *s) {
  char tag[4];
  size_t n = strnlen(s->tag, 4);
  for (size_t i = 0; i < 4; i++) tag[i] = i < n ? s->tag[i] : ' ';
  snap_put_bytes(b, tag, 4);
  snap_put_u32(b, 0); /* flags: none defined */
  snap_put_u64(b, s->len);
  snap_put_u32(b, snap_crc32(s->data, s->len));
}

bool snap_file_encode(snap_buf *out, snap_kind kind, const snap_section *sec,
                      size_t nsec) {
  put_header(out, kind, nsec);
  for (size_t i = 0; i < nsec; i++) {
    put_section_head(out, &sec[i]);
    snap_put_bytes(out, sec[i].data, sec[i].len);
  }
  return !out->oom;
}

bool snap_file_write(const char *path, snap_kind kind, const snap_section *sec,
                     size_t nsec, host_error *err) {
  const char *what = snap_kind_name(kind);
  host_atomic a;
  if (!host_atomic_open(&a, path)) return host_atomic_fail(&a, what, err);
  snap_buf head = {0};
  put_header(&head, kind, nsec);
  bool ok = !head.oom && host_atomic_write(&a, head.p, head.len);
  for (size_t i = 0; ok && i < nsec; i++) {
    head.len = 0;
    put_section_head(&head, &sec[i]);
    ok = !head.oom && host_atomic_write(&a, head.p, head.len) &&
         host_atomic_write(&a, sec[i].data, sec[i].len);
  }
  bool oom = head.oom;
  snap_buf_free(&head);
  if (!ok) host_atomic_abort(&a);
  if (ok && host_atomic_commit(&a)) return true;
  if (oom) return host_fail(err, "out of memory writing %s '%s'", what, path);
  return host_atomic_fail(&a, what, err);
}

/* ---- Reading */

static const char *name_of(const snap_file *f) {
  return f->path ? f->path : "(memory)";
}

/* The tag as text for messages: "RAM" for "RAM ". */
static void tag_text(const uint8_t *tag, char out[5]) {
  memcpy(out, tag, 4);
  out[4] = 0;
  for (int i = 3; i > 0 && out[i] == ' '; i--) out[i] = 0;
}

static bool valid_tag(const uint8_t *t) {
  if (t[0] <= ' ' || t[0] > '~') return false;
  for (int i = 1; i < 4; i++) {
    if (t[i] < ' ' || t[i] > '~') return false;
  }
  return true;
}

static uint32_t le32(const uint8_t *p) {
  return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool check_header(snap_file *f, host_error *err) {
  const char *name = name_of(f);
  const uint8_t *p = f->blob;
  size_t n = f->size < 8 ? f->size : 8;
  if (f->size == 0) {
    return host_fail(err, "'%s' is empty, not a pvlab snapshot", name);
  }
  if (memcmp(p, MAGIC, n) != 0) {
    return host_fail(err, "'%s' is not a pvlab snapshot (it does not start "
                    "with %s)", name, MAGIC);
  }
  if (f->size < HEADER_SIZE) {
    return host_fail(err, "'%s' is truncated: %zu bytes, less than the "
                    "%u-byte header", name, f->size, HEADER_SIZE);
  }
  f->format = le32(p + 8);
  f->kind = le32(p + 12);
  f->isa = le32(p + 16);
  f->abi = le32(p + 20);
  uint32_t nsec = le32(p + 24);
  const char *what = snap_kind_name(f->kind);
  if (f->format > SNAP_FORMAT_VERSION) {
    return host_fail(err, "%s '%s' was written by a newer pvlab: format "
                    "version %u, this pvlab reads %u; upgrade pvlab to "
                    "load it", what, name, f->format, SNAP_FORMAT_VERSION);
  }
  if (le32(p + 28) != snap_crc32(p, 28)) {
    return host_fail(err, "%s '%s' has a damaged header (CRC-32 mismatch)",
                    what, name);
  }
  if (f->format == 0 || f->kind == 0) {
    return host_fail(err, "'%s' has format version %u and kind %u, which no "
                    "pvlab writes: the file is damaged", name, f->format,
                    f->kind);
  }
  /* an older layout would be misread field by field: refuse it whole */
  if (f->format < SNAP_FORMAT_VERSION) {
    return host_fail(err, "%s '%s' was made by an older pvlab: format version "
                    "%u, this pvlab reads %u; make it again with this pvlab "
                    "(run the guest again, with --record for a bundle)",
                    what, name, f->format, SNAP_FORMAT_VERSION);
  }
  if (nsec > MAX_SECTIONS) { /* a short file is found out section by section */
    return host_fail(err, "%s '%s' claims %u sections, more than the %u a "
                    "pvlab file may have: the file is damaged", what, name,
                    nsec, MAX_SECTIONS);
  }
  f->nsec = nsec;
  return true;
}

/* Section i's header and payload at *pos, checked. */
static bool read_section(snap_file *f, size_t i, size_t *pos, host_error *err) {
  const char *name = name_of(f), *what = snap_kind_name(f->kind);
  char prev[5] = "";
  if (i > 0) memcpy(prev, f->sec[i - 1].tag, 5);
  if (f->size - *pos < SECTION_HEAD) {
    return host_fail(err, "%s '%s' is truncated in the header of section %zu "
                    "of %zu%s%s", what, name, i + 1, f->nsec,
                    i ? ", after section " : "", prev);
  }
  const uint8_t *h = f->blob + *pos;
  snap_section *s = &f->sec[i];
  if (!valid_tag(h)) {
    return host_fail(err, "%s '%s': section %zu of %zu has no valid name "
                    "(bytes %02x %02x %02x %02x): the file is damaged", what,
                    name, i + 1, f->nsec, h[0], h[1], h[2], h[3]);
  }
  tag_text(h, s->tag);
  uint32_t flags = le32(h + 4);
  uint64_t len = le32(h + 8) | (uint64_t)le32(h + 12) << 32;
  uint32_t crc = le32(h + 16);
  *pos += SECTION_HEAD;
  if (flags != 0) {
    return host_fail(err, "%s '%s': section %s has flags 0x%x, which this "
                    "pvlab does not know (written by a newer pvlab?)", what,
                    name, s->tag, flags);
  }
  if (len > f->size - *pos) {
    return host_fail(err, "%s '%s' is truncated in section %s: it needs "
                    "%llu bytes, %zu are left", what, name, s->tag,
                    (unsigned long long)len, f->size - *pos);
  }
  s->data = f->blob + *pos;
  s->len = (size_t)len;
  if (snap_crc32(s->data, s->len) != crc) {
    return host_fail(err, "%s '%s': section %s is damaged (CRC-32 mismatch)",
                    what, name, s->tag);
  }
  for (size_t k = 0; k < i; k++) {
    if (strcmp(f->sec[k].tag, s->tag) == 0) {
      return host_fail(err, "%s '%s' has two %s sections: the file is damaged",
                      what, name, s->tag);
    }
  }
  *pos += s->len;
  return true;
}

static bool parse_blob(snap_file *f, host_error *err) {
  if (!check_header(f, err)) return false;
  f->sec = calloc(f->nsec ? f->nsec : 1, sizeof *f->sec);
  if (!f->sec) {
    return host_fail(err, "out of memory reading '%s'", name_of(f));
  }
  size_t pos = HEADER_SIZE;
  for (size_t i = 0; i < f->nsec; i++) {
    if (!read_section(f, i, &pos, err)) return false;
  }
  if (pos != f->size) {
    return host_fail(err, "%s '%s' has %zu bytes after its last section: the "
                    "file is damaged", snap_kind_name(f->kind), name_of(f),
                    f->size - pos);
  }
  return true;
}

/* Takes blob (malloc'd, size bytes) and parses it; frees all on failure. */
static bool take_blob(snap_file *f, uint8_t *blob, size_t size,
                      const char *name, host_error *err) {
  memset(f, 0, sizeof *f);
  f->blob = blob;
  f->size = size;
  f->path = strdup(name);
  if (!f->path) {
    snap_file_free(f);
    return host_fail(err, "out of memory reading '%s'", name);
  }
  if (!parse_blob(f, err)) {
    snap_file_free(f);
    return false;
  }
  return true;
}

bool snap_file_parse(snap_file *f, const uint8_t *data, size_t size,
                     const char *name, host_error *err) {
  memset(f, 0, sizeof *f);
  uint8_t *blob = malloc(size ? size : 1);
  if (!blob) return host_fail(err, "out of memory reading '%s'", name);
  if (size) memcpy(blob, data, size);
  return take_blob(f, blob, size, name, err);
}

/* The whole of fd into a new buffer. */
static bool read_all(int fd, uint8_t **out, size_t *size) {
  struct stat st;
  if (fstat(fd, &st) != 0) return false;
  if (!S_ISREG(st.st_mode)) {
    errno = EINVAL;
    return false;
  }
  size_t cap = (size_t)st.st_size + 1, len = 0; /* + 1: sees the end */
  uint8_t *buf = malloc(cap);
  if (buf) snap_hint_huge(buf, cap);
  for (;;) {
    if (!buf) {
      errno = ENOMEM;
      return false;
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      free(buf);
      return false;
    }
    if (n == 0) break;
    len += (size_t)n;
    if (len == cap) { /* the file grew meanwhile */
      uint8_t *grown = cap < SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
      if (!grown) free(buf);
      buf = grown;
      cap *= 2;
    }
  }
  *out = buf;
  *size = len;
  return true;
}

bool snap_file_read(snap_file *f, const char *path, host_error *err) {
  memset(f, 0, sizeof *f);
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return host_fail(err, "cannot open '%s': %s; check the file name", path,
                    strerror(errno));
  }
  uint8_t *blob;
  size_t size;
  bool ok = read_all(fd, &blob, &size);
  int saved = errno;
  close(fd);
  if (!ok) {
    return host_fail(err, "cannot read '%s': %s", path,
                    saved == EINVAL ? "not a regular file" : strerror(saved));
  }
  return take_blob(f, blob, size, path, err);
}

bool snap_file_sniff(const char *path) {
  char magic[8];
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  bool yes = read(fd, magic, 8) == 8 && memcmp(magic, MAGIC, 8) == 0;
  close(fd);
  return yes;
}

const snap_section *snap_file_find(const snap_file *f, const char *tag) {
  for (size_t i = 0; i < f->nsec; i++) {
    if (strcmp(f->sec[i].tag, tag) == 0) return &f->sec[i];
  }
  return NULL;
}

snap_file snap_file_view(const snap_section *sec, size_t nsec, snap_kind kind,
                         char *name) {
  return (snap_file){.path = name, .kind = kind, .format = SNAP_FORMAT_VERSION,
                     .isa = SNAP_ISA_VERSION, .abi = PV_ABI_VERSION,
                     .sec = (snap_section *)sec, .nsec = nsec};
}

void snap_file_free(snap_file *f) {
  free(f->path);
  free(f->blob);
  free(f->sec);
  memset(f, 0, sizeof *f);
}
