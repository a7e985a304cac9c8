/* Decoding a machine's sections (state.c writes them) into plain structs,
 * and checking every value against what the machine could really have
 * produced: a mode is 0 or 1, a trap frame lies inside RAM, a queue index
 * inside the queue, a list is sorted...  Nothing is allocated on a
 * value's say-so before it has been checked; restore.c builds the machine
 * only from what passed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvabi_calls.h"
#include "snap_int.h"

bool snap_bad(snap_ctx *c, const char *fmt, ...) {
  char what[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return host_fail(c->err, "%s '%s': section %s: %s; the file is damaged or "
                  "was not written by pvlab", snap_kind_name(c->f->kind),
                  c->f->path ? c->f->path : "(memory)", c->tag, what);
}

/* A reader over section tag; a missing required one is an error, a
 * missing optional one gives an empty reader and false. */
static bool open_section(snap_ctx *c, const char *tag, bool required,
                         snap_reader *r) {
  c->tag = tag;
  const snap_section *s = snap_file_find(c->f, tag);
  *r = (snap_reader){s ? s->data : NULL, s ? s->len : 0, 0, false};
  if (s || !required) return s != NULL;
  return host_fail(c->err, "%s '%s' has no %s section; the file is damaged "
                  "or was not written by pvlab", snap_kind_name(c->f->kind),
                  c->f->path ? c->f->path : "(memory)", tag);
}

/* After a section's fields: it held exactly those. */
static bool at_end(snap_ctx *c, const snap_reader *r) {
  if (r->bad) return snap_bad(c, "%zu bytes are too few for its fields", r->len);
  if (r->pos != r->len) {
    return snap_bad(c, "%zu bytes follow its last field", r->len - r->pos);
  }
  return true;
}

/* [addr, addr + len) inside guest RAM */
static bool in_ram(uint32_t addr, uint64_t len, uint32_t ram_size) {
  uint32_t off = addr - CPU_RAM_BASE;
  return addr >= CPU_RAM_BASE && off <= ram_size && len <= ram_size - off;
}

static uint32_t ram_size(const snap_decoded *d) { return d->cfg.mem_mib << 20; }

static bool decode_conf(snap_ctx *c, machine_config *s) {
  snap_reader rd, *r = &rd;
  if (!open_section(c, SNAP_TAG_CONF, true, r)) return false;
  SNAP_CONF_FIELDS(SNAP_GET_FIELD)
  uint8_t jitter = snap_get_u8(r);
  if (!at_end(c, r)) return false;
  if (jitter > 1) return snap_bad(c, "the jitter flag is %u, not 0 or 1", jitter);
  s->jitter = jitter;
  if (s->mem_mib < 1 || s->mem_mib > MACHINE_MAX_MEM_MIB) {
    return snap_bad(c, "guest memory of %u MiB is out of range (1 to %u)",
               s->mem_mib, MACHINE_MAX_MEM_MIB);
  }
  if (s->display_width < MACHINE_MIN_DISPLAY || s->display_width > MACHINE_MAX_DISPLAY ||
      s->display_height < MACHINE_MIN_DISPLAY || s->display_height > MACHINE_MAX_DISPLAY) {
    return snap_bad(c, "a display of %ux%u pixels is out of range (%u to %u each way)",
               s->display_width, s->display_height, MACHINE_MIN_DISPLAY,
               MACHINE_MAX_DISPLAY);
  }
  return true;
}

static bool decode_tlb(snap_ctx *c, snap_decoded *d, snap_reader *r) {
  uint32_t n = snap_get_u32(r), prev = 0;
  if (n > CPU_ACCESS_COUNT * CPU_TLB_SIZE) {
    return snap_bad(c, "%u TLB entries, more than the %u there are", n,
               CPU_ACCESS_COUNT * CPU_TLB_SIZE);
  }
  for (uint32_t k = 0; k < n && !r->bad; k++) {
    uint32_t slot = snap_get_u32(r), tag = snap_get_u32(r), off = snap_get_u32(r);
    if (r->bad) break;
    if (slot >= CPU_ACCESS_COUNT * CPU_TLB_SIZE || (k && slot <= prev)) {
      return snap_bad(c, "TLB slot %u is out of range or out of order", slot);
    }
    if (tag == 0 || (tag - 1) % CPU_TLB_SIZE != slot % CPU_TLB_SIZE) {
      return snap_bad(c, "TLB slot %u holds tag 0x%x, which belongs elsewhere", slot, tag);
    }
    if (off % CPU_PAGE_SIZE || off >= ram_size(d)) {
      return snap_bad(c, "TLB slot %u maps to RAM offset 0x%x, not a page of "
                 "the %u MiB of RAM", slot, off, d->cfg.mem_mib);
    }
    d->tlb[slot / CPU_TLB_SIZE][slot % CPU_TLB_SIZE] = (cpu_tlb_entry){tag, off};
    prev = slot;
  }
  return true;
}

static bool decode_cpu(snap_ctx *c, snap_decoded *d) {
  snap_reader rd, *r = &rd;
  if (!open_section(c, SNAP_TAG_CPU, true, r)) return false;
  cpu_state *s = &d->cpu;
  for (int i = 0; i < 32; i++) s->x[i] = snap_get_u32(r);
  SNAP_CPU_FIELDS(SNAP_GET_FIELD)
  if (!decode_tlb(c, d, r) || !at_end(c, r)) return false;
  if (s->x[0] != 0) return snap_bad(c, "register x0 holds 0x%x, not 0", s->x[0]);
  if (s->mode != CPU_MODE_KERNEL && s->mode != CPU_MODE_USER) {
    return snap_bad(c, "mode %u is neither 0 (kernel) nor 1 (user)", s->mode);
  }
  if (s->pt_root && (s->pt_root % CPU_PAGE_SIZE ||
                     !in_ram(s->pt_root, CPU_PAGE_SIZE, ram_size(d)))) {
    return snap_bad(c, "pt_root 0x%08x is not a page of the %u MiB of RAM",
               s->pt_root, d->cfg.mem_mib);
  }
  return true;
}

static bool flag(snap_ctx *c, const char *name, uint8_t v) {
  return v <= 1 || snap_bad(c, "%s is %u, not 0 or 1", name, v);
}

static bool check_input(snap_ctx *c, const dev_input *q) {
  if (q->head >= DEV_INPUT_QUEUE || q->count > DEV_INPUT_QUEUE) {
    return snap_bad(c, "input queue head %u, count %u: the queue has %u slots",
               q->head, q->count, DEV_INPUT_QUEUE);
  }
  for (uint32_t i = 0; i < DEV_INPUT_QUEUE; i++) {
    /* slots not in use hold an old event, or zeros if never used */
    bool live = (i + DEV_INPUT_QUEUE - q->head) % DEV_INPUT_QUEUE < q->count;
    uint16_t type = q->ev[i].type;
    if (type > PV_INPUT_QUIT || (live && type == 0)) {
      return snap_bad(c, "input event %u has type %u, not a PV_INPUT_* type", i, type);
    }
  }
  return flag(c, "the input quit flag", q->quit);
}

/* The phase and the delay within their bounds, all three zero without
 * jitter (dev_timer_reset, dev_hc_timer_set). */
static bool check_jitter(snap_ctx *c, const snap_decoded *d) {
  const dev_timer *t = &d->dev.timer;
  if (!d->cfg.jitter && (t->phase_ns | t->delay_ns | t->jitter_rng)) {
    return snap_bad(c, "the timer has jitter state but CONF says jitter is off");
  }
  if (t->phase_ns >= DEV_JITTER_PHASE_NS || t->delay_ns >= DEV_JITTER_DELAY_NS) {
    return snap_bad(c, "timer phase %llu ns, delay %llu ns: jitter keeps them "
                    "below %u and %u ns", (unsigned long long)t->phase_ns,
                    (unsigned long long)t->delay_ns, DEV_JITTER_PHASE_NS,
                    DEV_JITTER_DELAY_NS);
  }
  return true;
}

static bool check_devs(snap_ctx *c, const snap_decoded *d) {
  const dev_state *s = &d->dev;
  uint32_t ram = ram_size(d);
  if (!flag(c, "console input_closed", s->console.input_closed) ||
      !flag(c, "power off", s->power.off) ||
      !flag(c, "timer armed", s->timer.armed) ||
      !flag(c, "debug break_requested", s->debug.break_requested) ||
      !flag(c, "vcpu registered", s->vcpu.registered) ||
      !flag(c, "disk attached", s->disk.attached) ||
      !flag(c, "disk persist", s->disk.persist) ||
      !flag(c, "display fb_set", s->display.fb_set) || !check_input(c, &s->input)) {
    return false;
  }
  if (s->timer.armed && s->timer.deadline_ns == 0) {
    return snap_bad(c, "the timer is armed with deadline 0, which disarms it");
  }
  if (!check_jitter(c, d)) return false;
  if ((s->events.pending | s->events.mask) & ~PV_EV_ALL) {
    return snap_bad(c, "events pending 0x%x, mask 0x%x: only bits 0x%x exist",
               s->events.pending, s->events.mask, PV_EV_ALL);
  }
  /* machine_trap writes the frame and jumps to entry unchecked */
  const dev_vcpu *v = &s->vcpu;
  if (v->registered && (v->frame % 16 || !in_ram(v->frame, PV_VCPU_SIZE, ram) ||
                        v->entry % 4 || !in_ram(v->entry, 4, ram))) {
    return snap_bad(c, "vcpu frame 0x%08x, entry 0x%08x: the frame must be a "
               "16-byte aligned %u bytes and the entry an aligned word of "
               "the %u MiB of RAM", v->frame, v->entry, PV_VCPU_SIZE,
               d->cfg.mem_mib);
  }
  if (!(s->rng.s[0] | s->rng.s[1] | s->rng.s[2] | s->rng.s[3])) {
    return snap_bad(c, "the RNG state is all zero, which xoshiro128** never leaves");
  }
  uint64_t fb = (uint64_t)d->cfg.display_width * d->cfg.display_height *
                PV_FB_BYTES_PER_PIXEL;
  const dev_display *disp = &s->display;
  if (disp->fb_set && (disp->fb_addr % 4 || !in_ram(disp->fb_addr, fb, ram))) {
    return snap_bad(c, "the framebuffer at 0x%08x (%llu bytes) is not inside the "
               "%u MiB of RAM", disp->fb_addr, (unsigned long long)fb,
               d->cfg.mem_mib);
  }
  return true;
}

static bool decode_devs(snap_ctx *c, snap_decoded *d) {
  snap_reader rd, *r = &rd;
  if (!open_section(c, SNAP_TAG_DEVS, true, r)) return false;
  dev_state *s = &d->dev;
  SNAP_DEVS_FIELDS(SNAP_GET_FIELD)
  for (unsigned i = 0; i < DEV_INPUT_QUEUE; i++) {
    dev_input_event *e = &s->input.ev[i];
    e->type = snap_get_u16(r);
    e->code = snap_get_u16(r);
    e->x = (int32_t)snap_get_u32(r);
    e->y = (int32_t)snap_get_u32(r);
    e->mods = snap_get_u32(r);
  }
  return at_end(c, r) && check_devs(c, d);
}

/* The user mode a CPU can be in needs what user_return checked. */
static bool check_mode(snap_ctx *c, const snap_decoded *d) {
  c->tag = SNAP_TAG_CPU;
  if (d->cpu.mode == CPU_MODE_USER && (!d->dev.vcpu.registered || !d->cpu.pt_root)) {
    return snap_bad(c, "user mode without a registered vCPU frame and page table");
  }
  return true;
}

static bool decode_stats(snap_ctx *c, snap_decoded *d) {
  snap_reader rd, *r = &rd;
  if (!open_section(c, SNAP_TAG_STAT, false, r)) return true;
  machine_stats *s = &d->stats;
  s->hcalls = snap_get_u64(r);
  s->hcalls_unknown = snap_get_u64(r);
  uint32_t n = snap_get_u32(r);
  for (uint32_t i = 0; i < n && !r->bad; i++) {
    uint32_t number = snap_get_u32(r);
    uint64_t count = snap_get_u64(r);
    const pvabi_call *call = pvabi_lookup(number);
    if (r->bad) break;
    if (!call || call - pvabi_calls >= MACHINE_MAX_CALLS ||
        s->hcalls_by_call[call - pvabi_calls]) {
      return snap_bad(c, "hypercall 0x%x is unknown or counted twice", number);
    }
    s->hcalls_by_call[call - pvabi_calls] = count;
  }
  uint32_t causes = snap_get_u32(r);
  if (causes > PV_CAUSE_COUNT) {
    return snap_bad(c, "%u trap causes, more than the %u there are", causes, PV_CAUSE_COUNT);
  }
  for (uint32_t i = 0; i < causes; i++) s->traps[i] = snap_get_u64(r);
  SNAP_STAT_FIELDS(SNAP_GET_FIELD)
  d->tlb_misses = snap_get_u64(r);
  return at_end(c, r);
}

/* A bitmap of bits bits: there, and nothing set past the last bit. */
static bool get_bitmap(snap_ctx *c, snap_reader *r, uint64_t bits, const uint8_t **map) {
  uint64_t n = snap_bitmap_bytes(bits);
  if (n > snap_reader_left(r)) {
    return snap_bad(c, "its bitmap of %llu bits is cut short", (unsigned long long)bits);
  }
  *map = snap_get_bytes(r, (size_t)n);
  if (bits % 8 && (*map)[n - 1] >> (bits % 8)) {
    return snap_bad(c, "its bitmap marks units past the last of %llu", (unsigned long long)bits);
  }
  return true;
}

static bool decode_ram(snap_ctx *c, snap_decoded *d) {
  snap_reader rd, *r = &rd;
  if (!open_section(c, SNAP_TAG_RAM, true, r)) return false;
  uint32_t pages = snap_get_u32(r), want = ram_size(d) / CPU_PAGE_SIZE;
  if (r->bad) return at_end(c, r);
  if (pages != want) {
    return snap_bad(c, "%u pages, but section CONF says %u MiB (%u pages)", pages,
               d->cfg.mem_mib, want);
  }
  if (!get_bitmap(c, r, pages, &d->ram_map)) return false;
  snap_get_stream(r, &d->ram_z, &d->ram_zlen);
  return at_end(c, r);
}

/* A file name as the file keeps it: printable, no directories needed. */
static bool get_name(snap_ctx *c, snap_reader *r, char *out) {
  uint32_t n = snap_get_u32(r);
  if (n > SNAP_MAX_NAME) return snap_bad(c, "a file name of %u bytes", n);
  const uint8_t *p = snap_get_bytes(r, n);
  if (!p) return at_end(c, r);
  for (uint32_t i = 0; i < n; i++) {
    if (p[i] < 0x20 || p[i] == 0x7f) {
      return snap_bad(c, "the file name holds control character 0x%02x", p[i]);
    }
  }
  memcpy(out, p, n);
  out[n] = 0;
  return true;
}

/* The image's runs of non-zero sectors: increasing, apart (a run ends
 * where a zero sector is, so two never touch), inside the disk. */
static bool decode_image_runs(snap_ctx *c, snap_decoded *d, snap_reader *r) {
  d->nruns = snap_get_u32(r);
  if (r->bad) return at_end(c, r);
  if ((uint64_t)d->nruns * 8 > snap_reader_left(r)) {
    return snap_bad(c, "%u runs of image sectors, but the section is cut "
                    "short", d->nruns);
  }
  d->disk_runs = snap_get_bytes(r, (size_t)d->nruns * 8);
  snap_reader list = {d->disk_runs, (size_t)d->nruns * 8, 0, false};
  uint64_t end = 0;
  d->image_sectors = 0;
  for (uint32_t i = 0; i < d->nruns; i++) {
    uint32_t first = snap_get_u32(&list), count = snap_get_u32(&list);
    if (count == 0 || (i && first <= end) ||
        (uint64_t)first + count > d->sectors) {
      return snap_bad(c, "image run %u (%u sectors from sector %u) is empty, "
                      "touches or overlaps the run before it, or ends past "
                      "the disk's %u sectors: runs must be increasing, apart "
                      "and inside the disk", i, count, first, d->sectors);
    }
    end = (uint64_t)first + count;
    d->image_sectors += count;
  }
  return true;
}

static bool decode_overlay(snap_ctx *c, snap_decoded *d, snap_reader *r) {
  d->nover = snap_get_u32(r);
  if (d->nover > d->sectors || (uint64_t)d->nover * 4 > snap_reader_left(r)) {
    return snap_bad(c, "%u overlay sectors on a disk of %u, or cut short", d->nover,
               d->sectors);
  }
  d->over_sectors = snap_get_bytes(r, (size_t)d->nover * 4);
  snap_reader list = {d->over_sectors, (size_t)d->nover * 4, 0, false};
  for (uint32_t i = 0, prev = 0; i < d->nover; i++) {
    uint32_t s = snap_get_u32(&list);
    if (s >= d->sectors || (i && s <= prev)) {
      return snap_bad(c, "overlay sector %u comes after %u or lies past the last "
                 "sector %u: the list must be increasing", s, prev, d->sectors - 1);
    }
    prev = s;
  }
  return true;
}

static bool decode_disk(snap_ctx *c, snap_decoded *d) {
  snap_reader rd, *r = &rd;
  d->has_disk = open_section(c, SNAP_TAG_DISK, false, r);
  const dev_disk *reg = &d->dev.disk;
  if (!d->has_disk) {
    c->tag = SNAP_TAG_DEVS;
    if (reg->attached || reg->sectors || reg->persist) {
      return snap_bad(c, "the disk is attached but there is no DISK section");
    }
    return true;
  }
  d->sectors = snap_get_u32(r);
  d->persist = snap_get_u8(r);
  if (r->bad) return at_end(c, r);
  if (!reg->attached || d->sectors == 0 || d->sectors != reg->sectors ||
      d->persist != reg->persist) {
    return snap_bad(c, "a disk of %u sectors (persist %u), but section DEVS says "
               "%s%u sectors (persist %u)", d->sectors, d->persist,
               reg->attached ? "" : "no disk, ", reg->sectors, reg->persist);
  }
  if (!get_name(c, r, d->disk_name) || !decode_image_runs(c, d, r)) return false;
  snap_get_stream(r, &d->disk_z, &d->disk_zlen);
  if (r->bad) return at_end(c, r);
  /* deflate shrinks at most about 1000 to 1: more is a lie, refused
   * before a restore allocates for it */
  if (d->image_sectors * PV_DISK_SECTOR / 1032 > d->disk_zlen) {
    return snap_bad(c, "its runs hold %llu non-zero sectors, more than its "
                    "%zu bytes of compressed data can",
                    (unsigned long long)d->image_sectors, d->disk_zlen);
  }
  if (!decode_overlay(c, d, r)) return false;
  snap_get_stream(r, &d->over_z, &d->over_zlen);
  return at_end(c, r);
}

uint8_t *snap_unzip_elf(const uint8_t *z, size_t zlen, uint64_t size, const char **why) {
  /* deflate shrinks at most about 1000 to 1: a bigger claim is a lie,
   * refused before anything that large is allocated */
  if (size == 0 || size > SNAP_MAX_ELF || size / 1032 > zlen) {
    *why = "its size does not fit its compressed data";
    return NULL;
  }
  uint8_t *data = malloc((size_t)size);
  if (!data) {
    *why = "out of memory";
    return NULL;
  }
  snap_zin in;
  bool ok = snap_zin_begin(&in, z, zlen) && snap_zin_read(&in, data, (size_t)size) &&
            snap_zin_end(&in);
  *why = in.why ? in.why : "its compressed data is damaged";
  snap_zin_free(&in);
  if (!ok) {
    free(data);
    return NULL;
  }
  return data;
}

static bool decode_elf(snap_ctx *c, snap_decoded *d) {
  snap_reader rd, *r = &rd;
  if (!open_section(c, SNAP_TAG_ELF, false, r)) return true;
  char name[SNAP_MAX_NAME + 1];
  if (!get_name(c, r, name)) return false;
  uint64_t size = snap_get_u64(r);
  const uint8_t *z;
  size_t zlen;
  snap_get_stream(r, &z, &zlen);
  if (!at_end(c, r)) return false;
  const char *zwhy = NULL;
  uint8_t *data = snap_unzip_elf(z, zlen, size, &zwhy);
  if (!data) return snap_bad(c, "the guest ELF: %s", zwhy);
  host_error why;
  bool ok;
  ok = elf_parse(&d->elf, data, (size_t)size, name, &why);
  free(data);
  if (!ok) return snap_bad(c, "the guest ELF does not parse: %s", why.msg);
  return true;
}

/* Checks the versions the header gives against this pvlab's. */
static bool check_versions(snap_ctx *c) {
  const snap_file *f = c->f;
  const char *what = snap_kind_name(f->kind), *name = f->path ? f->path : "(memory)";
  if (f->kind != SNAP_KIND_SNAPSHOT && f->kind != SNAP_KIND_BUNDLE) {
    return host_fail(c->err, "'%s' is a pvlab file of kind %u, which holds no "
                    "machine this pvlab can load", name, f->kind);
  }
  if (f->isa != SNAP_ISA_VERSION) {
    return host_fail(c->err, "%s '%s' is for instruction set version %u; this "
                    "pvlab runs version %u", what, name, f->isa, SNAP_ISA_VERSION);
  }
  uint32_t major = f->abi >> 16, minor = f->abi & 0xffffu;
  if (major != PV_ABI_MAJOR || minor > PV_ABI_MINOR) {
    return host_fail(c->err, "%s '%s' is for para-API %u.%u; this pvlab "
                    "implements %d.%d", what, name, major, minor,
                    PV_ABI_MAJOR, PV_ABI_MINOR);
  }
  return true;
}

bool snap_decode(snap_ctx *c, snap_decoded *d) {
  return check_versions(c) && decode_conf(c, &d->cfg) && decode_cpu(c, d) &&
         decode_devs(c, d) && check_mode(c, d) && decode_stats(c, d) &&
         decode_ram(c, d) && decode_disk(c, d) && decode_elf(c, d);
}

bool snap_check(const snap_file *f, host_error *err) {
  snap_decoded *d = calloc(1, sizeof *d);
  if (!d) return host_fail(err, "out of memory checking '%s'", f->path);
  snap_ctx c = {f, err, ""};
  bool ok = snap_decode(&c, d);
  elf_free(&d->elf);
  free(d);
  return ok;
}

bool snap_file_config(const snap_file *f, machine_config *cfg, host_error *err) {
  snap_ctx c = {f, err, ""};
  memset(cfg, 0, sizeof *cfg);
  return check_versions(&c) && decode_conf(&c, cfg);
}
