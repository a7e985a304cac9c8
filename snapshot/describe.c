/* pvlab info: what a snapshot (or any pvlab container file) holds, read
 * from its sections without building a machine.  Values come straight
 * from the sections; a section too short to say something leaves that
 * line out, and the last line says whether the file would load. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "snap_int.h"

#define LABEL "  %-14s "

static snap_reader reader(const snap_file *f, const char *tag) {
  const snap_section *s = snap_file_find(f, tag);
  return (snap_reader){s ? s->data : NULL, s ? s->len : 0, 0, s == NULL};
}

/* "12 KiB", "3.5 MiB" */
static void size_text(uint64_t bytes, char *buf, size_t size) {
  static const char *const unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  unsigned u = 0;
  uint64_t whole = bytes, tenths = 0;
  while (whole >= 1024 && u < 4) {
    tenths = (whole % 1024) * 10 / 1024;
    whole /= 1024;
    u++;
  }
  if (tenths) snprintf(buf, size, "%" PRIu64 ".%" PRIu64 " %s", whole, tenths, unit[u]);
  else snprintf(buf, size, "%" PRIu64 " %s", whole, unit[u]);
}

static uint64_t popcount(const uint8_t *p, size_t n) {
  uint64_t c = 0;
  for (size_t i = 0; i < n; i++) c += (uint64_t)__builtin_popcount(p[i]);
  return c;
}

/* A name field, printable or not shown. */
static bool get_name(snap_reader *r, char *out, size_t size) {
  uint32_t n = snap_get_u32(r);
  const uint8_t *p = n < size ? snap_get_bytes(r, n) : NULL;
  if (!p) return false;
  for (uint32_t i = 0; i < n; i++) {
    if (p[i] < 0x20 || p[i] == 0x7f) return false;
  }
  memcpy(out, p, n);
  out[n] = 0;
  return true;
}

static void describe_conf(const snap_file *f, FILE *out) {
  snap_reader rd = reader(f, SNAP_TAG_CONF), *r = &rd;
  machine_config cfg, *s = &cfg;
  SNAP_CONF_FIELDS(SNAP_GET_FIELD)
  uint8_t jitter = snap_get_u8(r);
  if (r->bad) return;
  fprintf(out, LABEL "%u MiB\n", "memory", cfg.mem_mib);
  fprintf(out, LABEL "%" PRIu64 "\n", "seed", cfg.seed);
  fprintf(out, LABEL "%s\n", "timer jitter", jitter ? "on (--jitter)" : "off");
  fprintf(out, LABEL "%ux%u\n", "display", cfg.display_width, cfg.display_height);
}

/* The guest's name and, when its ELF parses, the symbol at pc. */
static void describe_cpu(const snap_file *f, FILE *out) {
  snap_reader er = reader(f, SNAP_TAG_ELF);
  char name[SNAP_MAX_NAME + 1] = "";
  elf_image elf = {0};
  bool have_elf = false;
  if (get_name(&er, name, sizeof name)) {
    uint64_t size = snap_get_u64(&er);
    const uint8_t *z;
    size_t zlen;
    const char *why;
    uint8_t *data = snap_get_stream(&er, &z, &zlen) ? snap_unzip_elf(z, zlen, size, &why) : NULL;
    host_error err;
    have_elf = data && elf_parse(&elf, data, (size_t)size, name, &err);
    free(data);
    char sz[32];
    size_text(size, sz, sizeof sz);
    fprintf(out, LABEL "%s (%s ELF%s)\n", "guest", name, sz,
            !have_elf ? ", damaged" : elf.syms.n ? ", with symbols" : ", stripped");
  } else {
    fprintf(out, LABEL "(no ELF in the file)\n", "guest");
  }
  snap_reader rd = reader(f, SNAP_TAG_CPU), *r = &rd;
  cpu_state st = {0}, *s = &st;
  for (int i = 0; i < 32; i++) s->x[i] = snap_get_u32(r);
  SNAP_CPU_FIELDS(SNAP_GET_FIELD)
  if (!r->bad) {
    char where[200];
    /* a user-mode pc is a virtual address: the kernel's symbols do not
     * describe it */
    bool named = have_elf && st.mode == CPU_MODE_KERNEL &&
                 elf_symtab_format(&elf.syms, st.pc, where, sizeof where);
    fprintf(out, LABEL "%" PRIu64 "\n", "icount", st.icount);
    fprintf(out, LABEL "0x%08x%s%s%s\n", "pc", st.pc, named ? " <" : "",
            named ? where : "", named ? ">" : "");
    fprintf(out, LABEL "%s\n", "mode", st.mode == CPU_MODE_KERNEL ? "kernel"
                                       : st.mode == CPU_MODE_USER ? "user" : "(invalid)");
  }
  elf_free(&elf);
}

/* What the console had done: what a run going on from here must give it
 * (the input after what it read). */
static void describe_console(const snap_file *f, FILE *out) {
  snap_reader rd = reader(f, SNAP_TAG_DEVS), *r = &rd;
  dev_state devs, *s = &devs;
  SNAP_DEVS_FIELDS(SNAP_GET_FIELD)
  if (r->bad) return;
  fprintf(out, LABEL "%" PRIu64 " bytes written, %" PRIu64 " read%s\n", "console",
          devs.console.bytes_out, devs.console.bytes_in,
          devs.console.input_closed ? ", then the end of input" : "");
}

static void describe_ram(const snap_file *f, FILE *out) {
  snap_reader r = reader(f, SNAP_TAG_RAM);
  uint32_t pages = snap_get_u32(&r);
  const uint8_t *map = snap_get_bytes(&r, (size_t)snap_bitmap_bytes(pages));
  if (!map) return;
  uint64_t used = popcount(map, (size_t)snap_bitmap_bytes(pages));
  char sz[32], zs[32];
  size_text(used * CPU_PAGE_SIZE, sz, sizeof sz);
  size_text(snap_get_u64(&r), zs, sizeof zs);
  fprintf(out, LABEL "%" PRIu64 " of %u pages in use (%s, %s compressed)\n",
          "RAM", used, pages, sz, zs);
}

static void describe_disk(const snap_file *f, FILE *out) {
  snap_reader r = reader(f, SNAP_TAG_DISK);
  if (r.bad) {
    fprintf(out, LABEL "none\n", "disk");
    return;
  }
  uint32_t sectors = snap_get_u32(&r);
  uint8_t persist = snap_get_u8(&r);
  char name[SNAP_MAX_NAME + 1];
  if (!get_name(&r, name, sizeof name)) return;
  uint32_t runs = snap_get_u32(&r);
  uint64_t nonzero = 0;
  for (uint32_t i = 0; i < runs && !r.bad; i++) {
    snap_get_u32(&r); /* the run's first sector */
    nonzero += snap_get_u32(&r);
  }
  const uint8_t *z;
  size_t zlen;
  if (!snap_get_stream(&r, &z, &zlen)) return;
  uint32_t written = snap_get_u32(&r);
  if (r.bad) return;
  char sz[32];
  size_text((uint64_t)sectors * PV_DISK_SECTOR, sz, sizeof sz);
  fprintf(out, LABEL "%s: %u sectors (%s), %" PRIu64 " non-zero; %u written "
          "by the guest%s\n", "disk", name, sectors, sz, nonzero, written,
          persist ? "; was --disk-write" : "");
}

static void describe_sections(const snap_file *f, FILE *out) {
  fprintf(out, LABEL "%zu\n", "sections", f->nsec);
  for (size_t i = 0; i < f->nsec; i++) {
    char sz[32];
    size_text(f->sec[i].len, sz, sizeof sz);
    fprintf(out, "    %-4s %12zu bytes%s%s%s\n", f->sec[i].tag, f->sec[i].len,
            f->sec[i].len >= 1024 ? " (" : "", f->sec[i].len >= 1024 ? sz : "",
            f->sec[i].len >= 1024 ? ")" : "");
  }
}

void snap_describe(const snap_file *f, FILE *out) {
  fprintf(out, "%s: pvlab %s\n", f->path ? f->path : "(memory)",
          snap_kind_name(f->kind));
  fprintf(out, LABEL "format %u, instruction set %u, para-API %u.%u\n",
          "versions", f->format, f->isa, f->abi >> 16, f->abi & 0xffffu);
  if (snap_file_find(f, SNAP_TAG_CONF)) { /* a machine */
    describe_cpu(f, out);
    describe_conf(f, out);
    describe_console(f, out);
    describe_ram(f, out);
    describe_disk(f, out);
  }
  describe_sections(f, out);
  host_error err;
  if (f->kind == SNAP_KIND_SNAPSHOT || f->kind == SNAP_KIND_BUNDLE) {
    bool ok = snap_check(f, &err);
    fprintf(out, LABEL "%s\n", "check", ok ? "every field is valid" : err.msg);
  }
}
