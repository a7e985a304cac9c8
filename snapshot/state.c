/* A machine as sections (docs/file-formats.md has each one's layout):
 * CONF, CPU, DEVS, RAM, DISK, ELF, STAT.  Every field is written on its
 * own, little-endian; nothing host-specific goes in (no pointers, no host
 * time, no padding, and file names without their directories), so two
 * machines in the same state give the same bytes on any host.  The
 * decoder is decode.c; the field lists both follow are in snap_int.h.
 * Guest RAM is compressed by zpages.c, the disk here through zstream.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvabi_calls.h"
#include "snap_int.h"

#define DISK_CHUNK 512u /* sectors read from the image at a time */

static void put_conf(snap_buf *b, const machine_config *s) {
  SNAP_CONF_FIELDS(SNAP_PUT_FIELD)
  snap_put_u8(b, s->jitter);
}

/* The registers, then the TLB: user-mode translations it holds are part
 * of what the guest sees (a kernel that forgets mmu_flush keeps using
 * them), so they are kept exactly, as (slot, tag, offset) triples. */
static void put_cpu(snap_buf *b, const cpu *c) {
  const cpu_state *s = &c->s;
  for (int i = 0; i < 32; i++) snap_put_u32(b, s->x[i]);
  SNAP_CPU_FIELDS(SNAP_PUT_FIELD)
  uint32_t n = 0;
  for (unsigned a = 0; a < CPU_ACCESS_COUNT; a++) {
    for (unsigned i = 0; i < CPU_TLB_SIZE; i++) n += c->tlb[a][i].tag != 0;
  }
  snap_put_u32(b, n);
  for (unsigned a = 0; a < CPU_ACCESS_COUNT; a++) {
    for (unsigned i = 0; i < CPU_TLB_SIZE; i++) {
      const cpu_tlb_entry *e = &c->tlb[a][i];
      if (!e->tag) continue;
      snap_put_u32(b, a * CPU_TLB_SIZE + i);
      snap_put_u32(b, e->tag);
      snap_put_u32(b, e->off);
    }
  }
}

static void put_devs(snap_buf *b, const dev_state *s) {
  SNAP_DEVS_FIELDS(SNAP_PUT_FIELD)
  for (unsigned i = 0; i < DEV_INPUT_QUEUE; i++) {
    const dev_input_event *e = &s->input.ev[i];
    snap_put_u16(b, e->type);
    snap_put_u16(b, e->code);
    snap_put_u32(b, (uint32_t)e->x);
    snap_put_u32(b, (uint32_t)e->y);
    snap_put_u32(b, e->mods);
  }
}

static bool all_zero(const uint8_t *p, size_t n) {
  static const uint8_t zero[CPU_PAGE_SIZE];
  for (; n >= sizeof zero; p += sizeof zero, n -= sizeof zero) {
    if (memcmp(p, zero, sizeof zero) != 0) return false;
  }
  return memcmp(p, zero, n) == 0;
}

/* Appends a zeroed bitmap of bits bits; returns where it starts. */
static bool put_bitmap(snap_buf *b, uint64_t bits, size_t *at) {
  size_t n = (size_t)snap_bitmap_bytes(bits);
  if (!snap_buf_reserve(b, n)) return false;
  *at = b->len;
  memset(b->p + b->len, 0, n);
  b->len += n;
  return true;
}

static bool put_ram(snap_buf *b, const machine *m) {
  uint32_t pages = m->cpu.ram_size / CPU_PAGE_SIZE;
  snap_put_u32(b, pages);
  size_t map_at;
  if (!put_bitmap(b, pages, &map_at)) return false;
  /* a page not written since machine_init zeroed RAM is still zero: only
   * written ones need reading, which keeps a small guest's snapshot of a
   * large RAM (a recording's start) from touching all of it */
  for (uint32_t p = 0; p < pages; p++) {
    if (m->cpu.page_gen[p] < m->zero_epoch) continue;
    if (all_zero(m->ram + (size_t)p * CPU_PAGE_SIZE, CPU_PAGE_SIZE)) continue;
    b->p[map_at + p / 8] |= (uint8_t)(1u << (p % 8));
  }
  /* a copy of the bitmap: the stream's room moves b */
  size_t bytes = (size_t)snap_bitmap_bytes(pages);
  uint8_t *map = malloc(bytes);
  if (!map) return false;
  memcpy(map, b->p + map_at, bytes);
  bool ok = snap_zput_pages(b, m->ram, map, pages);
  free(map);
  return ok;
}

/* A name without its directories: a snapshot says which file it was,
 * not where it lay on the host that wrote it.  It is for messages, so a
 * control character (which a reader refuses) becomes '?'. */
static void put_name(snap_buf *b, const char *path) {
  const char *slash = path ? strrchr(path, '/') : NULL;
  const char *base = slash ? slash + 1 : path ? path : "";
  size_t n = strlen(base);
  if (n > SNAP_MAX_NAME) n = SNAP_MAX_NAME;
  snap_put_u32(b, (uint32_t)n);
  for (size_t i = 0; i < n; i++) {
    uint8_t ch = (uint8_t)base[i];
    snap_put_u8(b, ch < 0x20 || ch == 0x7f ? '?' : ch);
  }
}

/* The image's non-zero sectors as runs: (first, count) pairs, each run
 * as long as it goes, so that the list depends on the contents alone. */
typedef struct disk_runs {
  snap_buf list;
  uint32_t n;
  uint64_t first, end; /* the run still growing; first == end: none */
} disk_runs;

static void runs_flush(disk_runs *r) {
  if (r->first == r->end) return;
  snap_put_u32(&r->list, (uint32_t)r->first);
  snap_put_u32(&r->list, (uint32_t)(r->end - r->first));
  r->n++;
  r->first = r->end = 0;
}

static void runs_add(disk_runs *r, uint64_t first, uint64_t end) {
  if (r->first == r->end || r->end != first) {
    runs_flush(r);
    r->first = first;
  }
  r->end = end;
}

/* Sectors [s, s + n) of the image, read into chunk: their runs of
 * non-zero sectors join the list, and their bytes the stream, a piece
 * each.  Chunks are aligned to multiples of DISK_CHUNK, so the pieces, and
 * with them the stream's bytes, do not depend on where the file system
 * keeps the image's data. */
static void add_chunk(disk_runs *r, snap_zout *o, const uint8_t *chunk,
                      uint64_t s, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    if (all_zero(chunk + (size_t)i * PV_DISK_SECTOR, PV_DISK_SECTOR)) continue;
    uint32_t start = i;
    while (i + 1 < n &&
           !all_zero(chunk + (size_t)(i + 1) * PV_DISK_SECTOR, PV_DISK_SECTOR)) {
      i++;
    }
    runs_add(r, s + start, s + i + 1);
    snap_zout_add(o, chunk + (size_t)start * PV_DISK_SECTOR,
                  (size_t)(i + 1 - start) * PV_DISK_SECTOR);
  }
}

/* Reads the image where it holds data (dev_disk_image_data: a sparse
 * image costs what it holds, not its size) into r and o. */
static bool scan_image(const dev_disk_host *h, disk_runs *r, snap_zout *o,
                       uint8_t *chunk) {
  uint32_t a, e;
  for (uint64_t s = 0; s < h->sectors && dev_disk_image_data(h, (uint32_t)s, &a, &e);
       s = e) {
    for (uint64_t c = a; c < e;) {
      uint64_t end = (c / DISK_CHUNK + 1) * DISK_CHUNK;
      if (end > e) end = e;
      if (!dev_disk_image_read(h, (uint32_t)c, (uint32_t)(end - c), chunk)) {
        return false;
      }
      add_chunk(r, o, chunk, c, (uint32_t)(end - c));
      c = end;
    }
  }
  runs_flush(r);
  return true;
}

/* The image's own sectors: the runs, then the stream. */
static bool put_disk_image(snap_buf *b, const dev_disk_host *h, host_error *err) {
  disk_runs r = {0};
  snap_buf z = {0};
  snap_zout o;
  uint8_t *chunk = malloc((size_t)DISK_CHUNK * PV_DISK_SECTOR);
  if (!chunk || !snap_zout_begin(&o, &z)) {
    free(chunk);
    snap_buf_free(&z);
    return host_fail(err, "out of memory saving disk image '%s'", h->path);
  }
  bool read = scan_image(h, &r, &o, chunk);
  int saved = errno;
  free(chunk);
  bool ok = snap_zout_end(&o) && read && !r.list.oom;
  if (ok) {
    snap_put_u32(b, r.n);
    snap_put_bytes(b, r.list.p, r.list.len);
    snap_put_bytes(b, z.p, z.len);
  }
  snap_buf_free(&r.list);
  snap_buf_free(&z);
  if (!read) {
    return host_fail(err, "cannot read disk image '%s' to save it: %s; "
                    "the snapshot needs the image as the guest sees it",
                    h->path, strerror(saved ? saved : EIO));
  }
  return ok || host_fail(err, "out of memory saving disk image '%s'", h->path);
}

/* sectors, persist, name, the image, then the overlay: its sector numbers
 * (sorted) and a stream of their bytes */
static bool put_disk(snap_buf *b, const machine *m, host_error *err) {
  const dev_disk_host *h = &m->disk_host;
  snap_put_u32(b, h->sectors);
  snap_put_u8(b, h->persist);
  put_name(b, h->path);
  if (!put_disk_image(b, h, err)) return false;
  const dev_disk_overlay *ov = &h->overlay;
  snap_put_u32(b, ov->count);
  for (uint32_t i = 0; i < ov->count; i++) snap_put_u32(b, ov->index[i].sector);
  snap_zout o;
  if (!snap_zout_begin(&o, b)) return host_fail(err, "out of memory saving the disk");
  for (uint32_t i = 0; i < ov->count; i++) {
    snap_zout_add(&o, dev_disk_overlay_at(ov, i), PV_DISK_SECTOR);
  }
  return snap_zout_end(&o) || host_fail(err, "out of memory saving the disk");
}

/* Compressed: debug information makes an ELF several times larger than
 * its code, and it is most of a console run's bundle. */
static bool put_elf(snap_buf *b, const elf_image *e) {
  put_name(b, e->name);
  snap_put_u64(b, e->size);
  snap_zout o;
  if (!snap_zout_begin(&o, b)) return false;
  snap_zout_add(&o, e->data, e->size);
  return snap_zout_end(&o);
}

/* The run's counters, so that --stats after a restore counts the whole
 * run; hypercalls by number (the table's order may change). */
static void put_stats(snap_buf *b, const machine *m) {
  const machine_stats *s = &m->stats;
  snap_put_u64(b, s->hcalls);
  snap_put_u64(b, s->hcalls_unknown);
  uint32_t n = 0;
  for (unsigned i = 0; i < pvabi_ncalls && i < MACHINE_MAX_CALLS; i++) {
    n += s->hcalls_by_call[i] != 0;
  }
  snap_put_u32(b, n);
  for (unsigned i = 0; i < pvabi_ncalls && i < MACHINE_MAX_CALLS; i++) {
    if (!s->hcalls_by_call[i]) continue;
    snap_put_u32(b, pvabi_calls[i].number);
    snap_put_u64(b, s->hcalls_by_call[i]);
  }
  snap_put_u32(b, PV_CAUSE_COUNT);
  for (unsigned i = 0; i < PV_CAUSE_COUNT; i++) snap_put_u64(b, s->traps[i]);
  SNAP_STAT_FIELDS(SNAP_PUT_FIELD)
  snap_put_u64(b, m->cpu.tlb_misses);
}

/* The next section's buffer, empty. */
static snap_buf *next(snap_section *sec, snap_buf *bufs, size_t *n,
                      const char *tag) {
  snap_section *s = &sec[*n];
  memset(s, 0, sizeof *s);
  snprintf(s->tag, sizeof s->tag, "%s", tag);
  bufs[*n] = (snap_buf){0};
  return &bufs[(*n)++];
}

bool snap_encode_machine(machine *m, snap_section *sec, snap_buf *bufs,
                         size_t *nsec, host_error *err) {
  size_t first = *nsec, n = first;
  put_conf(next(sec, bufs, &n, SNAP_TAG_CONF), &m->cfg);
  put_cpu(next(sec, bufs, &n, SNAP_TAG_CPU), &m->cpu);
  put_devs(next(sec, bufs, &n, SNAP_TAG_DEVS), &m->dev);
  bool ok = put_ram(next(sec, bufs, &n, SNAP_TAG_RAM), m) ||
            host_fail(err, "out of memory saving %u MiB of guest memory",
                     m->cfg.mem_mib);
  if (ok && m->disk_host.path) ok = put_disk(next(sec, bufs, &n, SNAP_TAG_DISK), m, err);
  if (ok && m->elf.data && !put_elf(next(sec, bufs, &n, SNAP_TAG_ELF), &m->elf)) {
    ok = host_fail(err, "out of memory saving the guest's ELF");
  }
  if (ok) put_stats(next(sec, bufs, &n, SNAP_TAG_STAT), m);
  for (size_t i = first; ok && i < n; i++) {
    if (bufs[i].oom) ok = host_fail(err, "out of memory saving the machine");
    sec[i].data = bufs[i].p;
    sec[i].len = bufs[i].len;
  }
  if (!ok) {
    for (size_t i = first; i < n; i++) snap_buf_free(&bufs[i]);
    return false;
  }
  *nsec = n;
  return true;
}

bool snap_save(machine *m, const char *path, host_error *err) {
  snap_section sec[SNAP_MACHINE_SECTIONS];
  snap_buf bufs[SNAP_MACHINE_SECTIONS];
  size_t n = 0;
  if (!snap_encode_machine(m, sec, bufs, &n, err)) return false;
  bool ok = snap_file_write(path, SNAP_KIND_SNAPSHOT, sec, n, err);
  for (size_t i = 0; i < n; i++) snap_buf_free(&bufs[i]);
  return ok;
}
