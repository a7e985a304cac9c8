/* The insides of snapshot/, shared by its files: the machine sections'
 * field lists (one list drives the encoder, state.c, and the decoder,
 * restore.c, so the two cannot disagree on an order or a width), and the
 * zlib helpers (zstream.c). */
#ifndef PVLAB_SNAPSHOT_SNAP_INT_H
#define PVLAB_SNAPSHOT_SNAP_INT_H
#ifndef PVLAB_SNAPSHOT_INTERNAL
#error "snap_int.h is private to snapshot/: include snapshot.h"
#endif

#include <zlib.h>

#include "machine.h"
#include "snapshot.h"

/* Section tags, four characters each. */
#define SNAP_TAG_CONF "CONF"
#define SNAP_TAG_CPU "CPU"
#define SNAP_TAG_DEVS "DEVS"
#define SNAP_TAG_RAM "RAM"
#define SNAP_TAG_DISK "DISK"
#define SNAP_TAG_ELF "ELF"
#define SNAP_TAG_STAT "STAT"

/* The longest file name a snapshot keeps (the ELF's, the disk image's). */
#define SNAP_MAX_NAME 4096u
#define SNAP_MAX_ELF (256u << 20) /* bytes of the guest ELF in a file */

/* X(field, bits): the fixed fields of a section in file order, as
 * members of the struct the section describes.  (CONF's jitter flag, a
 * bool in machine_config, follows them: put_conf, decode_conf.) */
#define SNAP_CONF_FIELDS(X) \
  X(mem_mib, 32) X(seed, 64) X(display_width, 32) X(display_height, 32)

/* cpu_state after x[0..31] */
#define SNAP_CPU_FIELDS(X) \
  X(pc, 32) X(icount, 64) X(mode, 32) X(pt_root, 32) X(asid, 32)

/* dev_state, every field but the input queue's ring (which follows them:
 * DEV_INPUT_QUEUE events of type, code, x, y, mods) */
#define SNAP_DEVS_FIELDS(X)                                              \
  X(console.input_closed, 8) X(console.bytes_in, 64)                     \
  X(console.bytes_out, 64)                                               \
  X(power.off, 8) X(power.exit_code, 32)                                 \
  X(timer.idle_ns, 64) X(timer.deadline_ns, 64) X(timer.armed, 8)        \
  X(timer.phase_ns, 64) X(timer.delay_ns, 64) X(timer.jitter_rng, 64)    \
  X(debug.break_requested, 8) X(debug.log_calls, 64)                     \
  X(events.pending, 32) X(events.mask, 32)                               \
  X(vcpu.registered, 8) X(vcpu.frame, 32) X(vcpu.entry, 32)              \
  X(rng.s[0], 32) X(rng.s[1], 32) X(rng.s[2], 32) X(rng.s[3], 32)        \
  X(disk.attached, 8) X(disk.persist, 8) X(disk.sectors, 32)             \
  X(display.fb_set, 8) X(display.fb_addr, 32) X(display.flushes, 64)     \
  X(input.head, 32) X(input.count, 32) X(input.delivered, 64)            \
  X(input.dropped, 64) X(input.quit, 8) X(input.quit_deadline_ns, 64)

/* machine_stats after the per-call and per-cause counts */
#define SNAP_STAT_FIELDS(X)                                              \
  X(user_insns, 64) X(events_delivered, 64) X(disk_sectors_read, 64)     \
  X(disk_sectors_written, 64) X(disk_commits, 64)

#define SNAP_PUT_FIELD(field, bits) snap_put_u##bits(b, s->field);
#define SNAP_GET_FIELD(field, bits) s->field = snap_get_u##bits(r);

/* What a file's machine sections say, decoded and checked (decode.c),
 * before a machine exists; the compressed parts are still in the file. */
typedef struct snap_decoded {
  machine_config cfg;
  cpu_state cpu;
  cpu_tlb_entry tlb[CPU_ACCESS_COUNT][CPU_TLB_SIZE];
  dev_state dev;
  machine_stats stats;
  uint64_t tlb_misses;
  const uint8_t *ram_map, *ram_z;
  size_t ram_zlen;
  bool has_disk;
  uint32_t sectors;
  uint8_t persist;
  char disk_name[SNAP_MAX_NAME + 1];
  const uint8_t *disk_runs, *disk_z, *over_sectors, *over_z;
  size_t disk_zlen, over_zlen;
  uint32_t nruns, nover;
  uint64_t image_sectors; /* the runs' sectors, together */
  elf_image elf;
} snap_decoded;

typedef struct snap_ctx {
  const snap_file *f;
  host_error *err;
  const char *tag; /* the section being decoded */
} snap_ctx;

/* "snapshot 'x': section TAG: <what>; the file is damaged or was not
 * written by pvlab" into c->err; returns false. */
bool snap_bad(snap_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Decodes and checks every machine section of c->f into d. */
bool snap_decode(snap_ctx *c, snap_decoded *d);
/* The same for pvlab info: every field checked, short of decompressing
 * RAM and disk. */
bool snap_check(const snap_file *f, host_error *err);

/* Whether p[0..n) looks random (sampled), so that deflate would only
 * waste time on it: it is stored instead. */
bool snap_looks_random(const uint8_t *p, size_t n);

/* Guest RAM's stream (zpages.c): the u64 length, then one zlib stream of
 * the pages map marks, compressed by all cores.  False when out of
 * memory. */
bool snap_zput_pages(snap_buf *b, const uint8_t *ram, const uint8_t *map,
                     uint32_t pages);

/* One zlib stream being written into a buffer: the u64 length of the
 * stream, then the stream (Z_BEST_SPEED, or stored blocks for data that
 * looks random, which deflate would only slow down on). */
typedef struct snap_zout {
  z_stream z;
  snap_buf *b;
  size_t len_at; /* where the u64 length goes */
  int level;
  bool ok;
} snap_zout;
bool snap_zout_begin(snap_zout *o, snap_buf *b);
void snap_zout_add(snap_zout *o, const uint8_t *p, size_t n);
/* Finishes the stream; false when anything failed (out of memory). */
bool snap_zout_end(snap_zout *o);

/* Reading one such stream back: exactly the bytes asked for, then an
 * exact end.  why says what was wrong, for a message. */
typedef struct snap_zin {
  z_stream z;
  const uint8_t *next; /* input not yet handed to zlib */
  size_t left;
  bool ended, started;
  const char *why;
} snap_zin;
/* A stream as a section holds it: its u64 length, then its bytes (false,
 * r->bad, when the section is shorter). */
bool snap_get_stream(snap_reader *r, const uint8_t **p, size_t *len);
bool snap_zin_begin(snap_zin *in, const uint8_t *p, size_t len);
bool snap_zin_read(snap_zin *in, uint8_t *out, size_t n);
/* True when the stream ends here, with no byte after it. */
bool snap_zin_end(snap_zin *in);
/* The ELF section's file, size bytes from its stream (malloc'd), or NULL
 * and why. */
uint8_t *snap_unzip_elf(const uint8_t *z, size_t zlen, uint64_t size, const char **why);
void snap_zin_free(snap_zin *in);

/* Bitmaps of non-zero pages or sectors: bit i is bit i % 8 of byte i / 8. */
static inline bool snap_bit(const uint8_t *map, uint64_t i) {
  return map[i / 8] >> (i % 8) & 1;
}
static inline uint64_t snap_bitmap_bytes(uint64_t bits) { return (bits + 7) / 8; }

#endif
