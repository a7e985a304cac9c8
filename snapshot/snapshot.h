/* Machine state serialization: the state hash, snapshot files and the
 * container format bundles share (docs/file-formats.md).
 *
 * A file is a header and named sections, each with its length and CRC-32;
 * every integer little-endian, written field by field.  Reading checks the
 * whole file (magic, versions, every length and CRC) before anyone looks
 * at a section, and restoring checks every value before touching the
 * running machine: a damaged or hostile file is refused with a message
 * naming what is wrong, and the machine stays as it was. */
#ifndef PVLAB_SNAPSHOT_H
#define PVLAB_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "host.h"

struct machine;
struct machine_config;

/* ---- Byte buffers, for writing and reading sections (snapshot/buf.c) */

/* A growing buffer; after a failed allocation oom is set and further puts
 * do nothing (check once, at the end). */
typedef struct snap_buf {
  uint8_t *p;
  size_t len, cap;
  bool oom;
} snap_buf;
void snap_put_u8(snap_buf *b, uint8_t v);
void snap_put_u16(snap_buf *b, uint16_t v);
void snap_put_u32(snap_buf *b, uint32_t v);
void snap_put_u64(snap_buf *b, uint64_t v);
void snap_put_bytes(snap_buf *b, const void *p, size_t n);
/* Makes room for n more bytes at p + len (len unchanged), for a coder
 * that writes there itself (zlib); false (and oom) when out of memory. */
bool snap_buf_reserve(snap_buf *b, size_t n);
/* Asks the kernel for huge pages under [p, p + n) (a hint, for large
 * buffers about to be filled: far fewer page faults). */
void snap_hint_huge(void *p, size_t n);
void snap_buf_free(snap_buf *b);

/* Reading a section: a get past the end returns 0 (or fails) and sets bad,
 * so a decoder checks bad once after reading a group of fields. */
typedef struct snap_reader {
  const uint8_t *p;
  size_t len, pos;
  bool bad;
} snap_reader;
uint8_t snap_get_u8(snap_reader *r);
uint16_t snap_get_u16(snap_reader *r);
uint32_t snap_get_u32(snap_reader *r);
uint64_t snap_get_u64(snap_reader *r);
/* A pointer to the next n bytes (NULL, bad set, if there are fewer). */
const uint8_t *snap_get_bytes(snap_reader *r, size_t n);
/* The bytes not read yet (0 once bad). */
size_t snap_reader_left(const snap_reader *r);

/* ---- The container (snapshot/file.c) */

/* 2: CONF's jitter flag and the timer's jitter fields in DEVS; 3: DISK
 * keeps the image's non-zero sectors as runs, not a bitmap of them all */
#define SNAP_FORMAT_VERSION 3u
#define SNAP_ISA_VERSION 1u  /* RV32IM + HCALL as docs/isa.md has it */
typedef enum snap_kind {
  SNAP_KIND_SNAPSHOT = 1, /* a machine state */
  SNAP_KIND_BUNDLE = 2,   /* a recording: initial state plus its log */
} snap_kind;

/* A section's tag is up to four printable ASCII characters; in the file
 * a shorter one is padded with spaces ("RAM "), in memory it is not. */
typedef struct snap_section {
  char tag[5];        /* NUL-terminated */
  const uint8_t *data;
  size_t len;
} snap_section;

typedef struct snap_file {
  char *path;          /* for messages */
  uint32_t kind, format, isa, abi;
  uint8_t *blob;       /* the whole file */
  size_t size;
  snap_section *sec;   /* pointing into blob */
  size_t nsec;
} snap_file;

/* Reads path and checks the header and every section's length and CRC.
 * On failure f is empty (snap_file_free-safe) and err says what is wrong
 * ("snapshot 'x.pvsnap' is truncated in section RAM: ..."). */
bool snap_file_read(snap_file *f, const char *path, host_error *err)
    __attribute__((warn_unused_result));
/* The same from bytes in memory (the fuzz target's entry); data is
 * copied.  name is used in messages. */
bool snap_file_parse(snap_file *f, const uint8_t *data, size_t size,
                     const char *name, host_error *err)
    __attribute__((warn_unused_result));
const snap_section *snap_file_find(const snap_file *f, const char *tag);
void snap_file_free(snap_file *f);
/* A snap_file over sections in memory, for restoring what
 * snap_encode_machine made without going through bytes: nothing is
 * copied, and it must not be given to snap_file_free.  name is for
 * messages. */
snap_file snap_file_view(const snap_section *sec, size_t nsec, snap_kind kind,
                         char *name);
/* "snapshot", "bundle", or "pvlab file" for another kind. */
const char *snap_kind_name(uint32_t kind);
/* zlib's CRC-32 of p[0..n), the one every section carries. */
uint32_t snap_crc32(const void *p, size_t n);

/* Writes the header and sections to path by host_atomic's rules: a file
 * is replaced whole or not at all (a temporary file beside it, fsync,
 * rename), a FIFO or device (/dev/stdout) is written in place, a
 * directory or block device is refused. */
bool snap_file_write(const char *path, snap_kind kind,
                     const snap_section *sec, size_t nsec, host_error *err)
    __attribute__((warn_unused_result));
/* The same bytes appended to out (tests, the fuzz corpus); false when out
 * of memory. */
bool snap_file_encode(snap_buf *out, snap_kind kind, const snap_section *sec,
                      size_t nsec) __attribute__((warn_unused_result));

/* ---- Machine state (snapshot/state.c, decode.c, restore.c, describe.c) */

/* The sections describing m: configuration, CPU (with its TLB), devices,
 * RAM (zlib, zero pages cost nothing), the disk (the image's non-zero
 * sectors, read only where the file holds data, and the overlay), the guest ELF (for symbols) and the run's counters.  They are
 * appended at sec[*nsec] and bufs[*nsec] onwards (room for
 * SNAP_MACHINE_SECTIONS more) and *nsec grows by their count; section i's
 * data is bufs[i], which the caller frees with snap_buf_free.  On failure
 * nothing is appended. */
#define SNAP_MACHINE_SECTIONS 8
bool snap_encode_machine(struct machine *m, snap_section *sec, snap_buf *bufs,
                         size_t *nsec, host_error *err)
    __attribute__((warn_unused_result));
/* Saves m as a snapshot file. */
bool snap_save(struct machine *m, const char *path, host_error *err)
    __attribute__((warn_unused_result));
/* Replaces m's guest state (configuration, CPU, devices, RAM, disk and the
 * ELF for symbols) and its statistics by the file's, after checking all
 * of it: a complete new machine is built and only then swapped in.  m's
 * host side (console, log, display and input backends, debugger settings,
 * breakpoints and watchpoints) is kept; the display backend is shown the
 * framebuffer as it stands.  A restored disk lives in memory: it needs no
 * image file, and nothing is committed to one.  The page stamps of
 * cpu_dirty_epoch go on from m's (every page counts as written).  f may
 * be a snapshot or a bundle (its initial state).  On failure m is
 * untouched and err names the file, the section and what is wrong. */
bool snap_restore(struct machine *m, const snap_file *f, host_error *err)
    __attribute__((warn_unused_result));
/* snap_file_read + snap_restore. */
bool snap_load(struct machine *m, const char *path, host_error *err)
    __attribute__((warn_unused_result));
/* The configuration f's machine was saved with (its CONF section,
 * checked as snap_restore checks it). */
bool snap_file_config(const snap_file *f, struct machine_config *cfg,
                      host_error *err) __attribute__((warn_unused_result));
/* Shows m's display backend the guest's framebuffer as it stands (when
 * the guest has named one): what snap_restore does after a restore, for
 * a backend attached after it. */
void snap_show_display(struct machine *m);
/* Whether path starts as a pvlab file does (PVLABSNP), for commands that
 * take either an ELF or a snapshot; false when it cannot be read. */
bool snap_file_sniff(const char *path);
/* Describes a snapshot or bundle without restoring it (pvlab info): kind,
 * versions, configuration, the guest, icount and pc, RAM and disk use,
 * and each section's tag and size; bundles add what their log holds. */
void snap_describe(const snap_file *f, FILE *out);

#endif
