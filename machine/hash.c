/* The state hash: every guest-visible byte, fed field by field in
 * little-endian order so that the value is the same on every host.  Two
 * machines with the same hash are, for all practical purposes, the same
 * machine; determinism tests and replay divergence checks rest on it. */
#include <stdlib.h>
#include <string.h>

#include "machine.h"

#define K1 0x9e3779b185ebca87ull
#define K2 0xc2b2ae3d27d4eb4full

static uint64_t rotl(uint64_t v, unsigned r) { return (v << r) | (v >> (64 - r)); }

static void mix(uint64_t *h, uint64_t v) {
  *h = rotl(*h ^ (v * K2), 31) * K1;
}

static void hash_bytes(uint64_t *h, const uint8_t *p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v; /* the build requires a little-endian host */
    memcpy(&v, p + i, 8);
    mix(h, v);
  }
  uint64_t tail = n;
  for (unsigned b = 0; i < n; i++, b++) tail ^= (uint64_t)p[i] << (8 * b);
  mix(h, tail);
}

static uint64_t page_hash(const uint8_t *page) {
  uint64_t h = K1;
  hash_bytes(&h, page, CPU_PAGE_SIZE);
  return h;
}

/* Everything but RAM, then RAM as one hash per page (page_hashes, or
 * computed here when it is NULL): the same value either way. */
static uint64_t state_hash(const machine *m, const uint64_t *page_hashes) {
  uint64_t h = 0x70766c6162ull;
  const cpu_state *s = &m->cpu.s;
  for (int i = 0; i < 32; i++) mix(&h, s->x[i]);
  mix(&h, s->pc);
  mix(&h, s->icount);
  mix(&h, s->mode);
  mix(&h, s->pt_root);
  mix(&h, s->asid);
  const dev_state *d = &m->dev;
  mix(&h, d->console.input_closed);
  mix(&h, d->console.bytes_in);
  mix(&h, d->console.bytes_out);
  mix(&h, d->power.off);
  mix(&h, d->power.exit_code);
  mix(&h, d->timer.idle_ns);
  mix(&h, d->timer.deadline_ns);
  mix(&h, d->timer.armed);
  if (m->cfg.jitter) { /* left out without it: those hashes stay as they were */
    mix(&h, d->timer.phase_ns);
    mix(&h, d->timer.delay_ns);
    mix(&h, d->timer.jitter_rng);
  }
  mix(&h, d->events.pending);
  mix(&h, d->events.mask);
  mix(&h, d->vcpu.registered);
  mix(&h, d->vcpu.frame);
  mix(&h, d->vcpu.entry);
  for (int i = 0; i < 4; i++) mix(&h, d->rng.s[i]);
  mix(&h, d->debug.break_requested);
  mix(&h, d->debug.log_calls);
  mix(&h, d->disk.attached);
  mix(&h, d->disk.persist);
  mix(&h, d->disk.sectors);
  /* the overlay in sector order: the same for the same written sectors,
   * whatever order the guest wrote them in */
  const dev_disk_overlay *ov = &m->disk_host.overlay;
  mix(&h, ov->count);
  for (uint32_t i = 0; i < ov->count; i++) {
    mix(&h, ov->index[i].sector);
    hash_bytes(&h, dev_disk_overlay_at(ov, i), PV_DISK_SECTOR);
  }
  mix(&h, m->cfg.display_width);
  mix(&h, m->cfg.display_height);
  mix(&h, d->display.fb_set);
  mix(&h, d->display.fb_addr);
  mix(&h, d->display.flushes);
  /* the input queue oldest first: where the ring starts does not matter */
  const dev_input *q = &d->input;
  mix(&h, q->count);
  for (uint32_t i = 0; i < q->count; i++) {
    const dev_input_event *e = &q->ev[(q->head + i) % DEV_INPUT_QUEUE];
    mix(&h, e->type | (uint64_t)e->code << 16 | (uint64_t)(uint32_t)e->x << 32);
    mix(&h, (uint32_t)e->y | (uint64_t)e->mods << 32);
  }
  mix(&h, q->delivered);
  mix(&h, q->dropped);
  mix(&h, q->quit);
  mix(&h, q->quit_deadline_ns);
  mix(&h, m->cpu.ram_size);
  for (uint32_t p = 0; p < m->cpu.ram_size / CPU_PAGE_SIZE; p++) {
    mix(&h, page_hashes ? page_hashes[p] : page_hash(m->ram + (size_t)p * CPU_PAGE_SIZE));
  }
  h ^= h >> 29;
  h *= K2;
  return h ^ (h >> 32);
}

uint64_t machine_state_hash(const machine *m) { return state_hash(m, NULL); }

bool machine_hash_cache_init(machine *m) {
  uint32_t pages = m->cpu.ram_size / CPU_PAGE_SIZE;
  m->page_hash = malloc(pages * sizeof *m->page_hash);
  if (!m->page_hash) return false;
  /* RAM starts zero: only pages written from now on need hashing */
  static const uint8_t zero[CPU_PAGE_SIZE];
  uint64_t z = page_hash(zero);
  for (uint32_t p = 0; p < pages; p++) m->page_hash[p] = z;
  m->hash_epoch = cpu_dirty_epoch(&m->cpu);
  m->zero_epoch = m->hash_epoch;
  return true;
}

uint64_t machine_state_hash_fast(machine *m) {
  uint32_t pages = m->cpu.ram_size / CPU_PAGE_SIZE;
  if (!m->page_hash) return machine_state_hash(m);
  m->hash_rehashed = 0;
  for (uint32_t p = 0; p < pages; p++) {
    if (m->cpu.page_gen[p] >= m->hash_epoch) {
      m->page_hash[p] = page_hash(m->ram + (size_t)p * CPU_PAGE_SIZE);
      m->hash_rehashed++;
    }
  }
  m->hash_epoch = cpu_dirty_epoch(&m->cpu);
  return state_hash(m, m->page_hash);
}
