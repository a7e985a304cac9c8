/* Restoring a machine from its decoded sections (decode.c checked them):
 * a complete new machine is built and filled (RAM and disk decompressed,
 * which is where a damaged stream is found), and only when all of that has
 * worked is it swapped in for the old one, whose host side it keeps.  So a
 * damaged or hostile file costs a message and nothing else. */
#include <stdlib.h>
#include <string.h>

#include "snap_int.h"

/* The units (RAM's pages) a bitmap marks, from a stream: each is handed
 * to dest(), which says where its bytes go (NULL: out of memory). */
typedef uint8_t *(*unit_dest)(void *arg, uint64_t index);

static bool inflate_units(snap_ctx *c, const uint8_t *map, uint64_t units,
                          uint32_t unit, const uint8_t *z, size_t zlen,
                          unit_dest dest, void *arg) {
  snap_zin in;
  bool ok = snap_zin_begin(&in, z, zlen);
  for (uint64_t i = 0; ok && i < units; i++) {
    if (!map[i / 8]) { /* eight zero units at once */
      i |= 7;
      continue;
    }
    if (!snap_bit(map, i)) continue;
    uint8_t *to = dest(arg, i);
    ok = to && snap_zin_read(&in, to, unit);
    if (!to) in.why = "out of memory";
  }
  ok = ok && snap_zin_end(&in);
  const char *why = in.why;
  snap_zin_free(&in);
  return ok || snap_bad(c, "%s", why ? why : "its compressed data is damaged");
}

static uint8_t *ram_page(void *arg, uint64_t page) {
  return (uint8_t *)arg + page * CPU_PAGE_SIZE;
}

/* The image's non-zero sectors: each run's, in order, from the stream.
 * The runs are increasing (decode.c checked), so each insert is an
 * append. */
static bool fill_image(snap_ctx *c, const snap_decoded *d, dev_disk_overlay *img) {
  snap_reader runs = {d->disk_runs, (size_t)d->nruns * 8, 0, false};
  uint8_t buf[PV_DISK_SECTOR];
  snap_zin in;
  bool ok = snap_zin_begin(&in, d->disk_z, d->disk_zlen);
  for (uint32_t i = 0; ok && i < d->nruns; i++) {
    uint32_t first = snap_get_u32(&runs), count = snap_get_u32(&runs);
    for (uint64_t s = first; ok && s < (uint64_t)first + count; s++) {
      ok = snap_zin_read(&in, buf, sizeof buf);
      if (ok && !dev_disk_overlay_put(img, (uint32_t)s, buf)) {
        snap_zin_free(&in);
        return host_fail(c->err, "out of memory restoring the disk");
      }
    }
  }
  ok = ok && snap_zin_end(&in);
  const char *why = in.why;
  snap_zin_free(&in);
  return ok || snap_bad(c, "the image: %s", why ? why : "its compressed data is damaged");
}

static bool fill_disk(snap_ctx *c, snap_decoded *d, dev_disk_host *h) {
  c->tag = SNAP_TAG_DISK;
  *h = (dev_disk_host){.fd = -1, .sectors = d->sectors, .persist = d->persist,
                       .in_memory = true, .path = strdup(d->disk_name)};
  if (!h->path) return host_fail(c->err, "out of memory restoring the disk");
  if (!fill_image(c, d, &h->mem_image)) return false;
  /* the overlay: its sectors are a list (checked increasing), so each
   * insert is an append */
  snap_reader list = {d->over_sectors, (size_t)d->nover * 4, 0, false};
  uint8_t buf[PV_DISK_SECTOR];
  snap_zin in;
  bool ok = snap_zin_begin(&in, d->over_z, d->over_zlen);
  for (uint32_t i = 0; ok && i < d->nover; i++) {
    ok = snap_zin_read(&in, buf, sizeof buf);
    if (ok && !dev_disk_overlay_put(&h->overlay, snap_get_u32(&list), buf)) {
      snap_zin_free(&in);
      return host_fail(c->err, "out of memory restoring the disk");
    }
  }
  ok = ok && snap_zin_end(&in);
  const char *why = in.why;
  snap_zin_free(&in);
  return ok || snap_bad(c, "the overlay: %s", why ? why : "its compressed data is damaged");
}

/* The new machine, complete: RAM, registers, devices, disk, ELF. */
static bool build(snap_ctx *c, snap_decoded *d, machine *n) {
  host_error why;
  if (!machine_init(n, &d->cfg, &why)) {
    return host_fail(c->err, "cannot load %s '%s': %s", snap_kind_name(c->f->kind),
                    c->f->path ? c->f->path : "(memory)", why.msg);
  }
  c->tag = SNAP_TAG_RAM;
  snap_hint_huge(n->ram, n->cpu.ram_size);
  if (!inflate_units(c, d->ram_map, n->cpu.ram_size / CPU_PAGE_SIZE,
                     CPU_PAGE_SIZE, d->ram_z, d->ram_zlen, ram_page, n->ram)) {
    return false;
  }
  if (d->has_disk && !fill_disk(c, d, &n->disk_host)) return false;
  n->cpu.s = d->cpu;
  memcpy(n->cpu.tlb, d->tlb, sizeof d->tlb);
  n->cpu.tlb_misses = d->tlb_misses;
  n->dev = d->dev;
  n->stats = d->stats;
  n->elf = d->elf;
  memset(&d->elf, 0, sizeof d->elf); /* n owns it now */
  return true;
}

/* n takes m's place, with m's host side; m's old guest side is freed. */
static void swap_in(machine *m, machine *n) {
  n->console_io = m->console_io;
  n->log_io = m->log_io;
  n->display_io = m->display_io;
  n->input_io = m->input_io;
  n->dbg = m->dbg;
  n->io_due = m->io_due;
  cpu *c = &n->cpu, *old = &m->cpu;
  memcpy(c->bp, old->bp, sizeof c->bp);
  c->nbp = old->nbp;
  memcpy(c->watch, old->watch, sizeof c->watch);
  c->nwatch = old->nwatch;
  c->watch_skip = old->watch_skip;
  /* epochs handed out by m stay meaningful: every page is newer */
  if (old->gen > c->gen) c->gen = old->gen;
  machine gone = *m;
  *m = *n;
  memset(n, 0, sizeof *n);
  machine_free(&gone);
  cpu_flush_code(&m->cpu);
  cpu_dirty_all(&m->cpu);
  m->stop = MACHINE_STOP_NONE;
}

void snap_show_display(machine *m) {
  const dev_display *d = &m->dev.display;
  if (!d->fb_set) return;
  if (m->display_io.show) m->display_io.show(m->display_io.ctx);
  uint32_t w = m->cfg.display_width, h = m->cfg.display_height;
  const uint8_t *fb = cpu_guest_ptr(&m->cpu, d->fb_addr, w * h * PV_FB_BYTES_PER_PIXEL);
  if (fb && m->display_io.flush) {
    m->display_io.flush(m->display_io.ctx, fb, w * PV_FB_BYTES_PER_PIXEL, 0, 0, w, h);
  }
}


bool snap_restore(machine *m, const snap_file *f, host_error *err) {
  snap_decoded *d = calloc(1, sizeof *d);
  if (!d) return host_fail(err, "out of memory loading '%s'", f->path);
  snap_ctx c = {f, err, ""};
  machine n;
  memset(&n, 0, sizeof n);
  bool ok = snap_decode(&c, d) && build(&c, d, &n);
  elf_free(&d->elf);
  free(d);
  if (!ok) {
    machine_free(&n);
    return false;
  }
  swap_in(m, &n);
  snap_show_display(m);
  return true;
}


bool snap_load(machine *m, const char *path, host_error *err) {
  snap_file f;
  if (!snap_file_read(&f, path, err)) return false;
  bool ok = snap_restore(m, &f, err);
  snap_file_free(&f);
  return ok;
}
