/* The timeline (replay/timeline.h): checkpoints with page versions.
 *
 * Why restoring checkpoint k is right: a page whose stamp is older than
 * k's epoch has not been touched since k was taken, so it holds k's bytes
 * already.  Every other page gets the newest version saved at or before
 * k: a checkpoint saves a page exactly when it was touched since the
 * previous checkpoint, so that version holds the page as it was at k.
 * Restored pages are stamped as written now, which keeps the next
 * checkpoint's "written since" (and the fast state hash's cache) honest
 * after the machine has moved back and forth. */
#include "timeline.h"

#include <stdlib.h>
#include <string.h>

struct replay_timeline_ver {
  replay_timeline_ver *older, *newer; /* the page's versions, newest first */
  uint64_t seq;                /* the checkpoint it belongs to */
  uint32_t page;
  bool zero;                   /* all zero: no bytes kept */
  uint8_t data[];              /* CPU_PAGE_SIZE bytes unless zero */
};

static size_t ver_cost(const replay_timeline_ver *v) {
  return sizeof *v + sizeof v + (v->zero ? 0 : CPU_PAGE_SIZE);
}

static bool page_is_zero(const uint8_t *p) {
  uint64_t acc = 0;
  for (size_t i = 0; i < CPU_PAGE_SIZE; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    acc |= w;
  }
  return acc == 0;
}

void replay_timeline_init(replay_timeline *tl, machine *m, replay_tap *t) {
  memset(tl, 0, sizeof *tl);
  tl->m = m;
  tl->tap = t;
  tl->interval = REPLAY_TIMELINE_DEFAULT_INTERVAL;
  tl->budget = REPLAY_TIMELINE_DEFAULT_BUDGET;
}

/* Takes v out of its page's list. */
static void unlink_ver(replay_timeline *tl, replay_timeline_ver *v) {
  if (v->newer) v->newer->older = v->older;
  else tl->page[v->page] = v->older;
  if (v->older) v->older->newer = v->newer;
}

static void free_ver(replay_timeline *tl, replay_timeline_ver *v) {
  unlink_ver(tl, v);
  tl->used -= ver_cost(v);
  free(v);
}

static size_t ckpt_cost(const replay_timeline_ckpt *ck) {
  return sizeof *ck + (size_t)ck->disk.count * (sizeof *ck->disk.index + PV_DISK_SECTOR);
}

static void free_ckpt(replay_timeline *tl, replay_timeline_ckpt *ck) {
  for (size_t i = 0; i < ck->nvers; i++) free_ver(tl, ck->vers[i]);
  free(ck->vers);
  tl->used -= ckpt_cost(ck);
  dev_disk_overlay_free(&ck->disk);
  memset(ck, 0, sizeof *ck);
}

static void drop_all(replay_timeline *tl) {
  while (tl->n) free_ckpt(tl, &tl->ck[--tl->n]);
}

void replay_timeline_free(replay_timeline *tl) {
  drop_all(tl);
  free(tl->ck);
  free(tl->page);
  memset(tl, 0, sizeof *tl);
}

static bool reserve_vers(replay_timeline_ckpt *ck, size_t more) {
  if (ck->nvers + more <= ck->capvers) return true;
  size_t cap = ck->capvers ? ck->capvers : 16;
  while (cap < ck->nvers + more) cap *= 2;
  replay_timeline_ver **v = realloc(ck->vers, cap * sizeof *v);
  if (!v) return false;
  ck->vers = v;
  ck->capvers = cap;
  return true;
}

/* Saves page p as the newest version, owned by ck. */
static bool save_page(replay_timeline *tl, replay_timeline_ckpt *ck, uint32_t p) {
  const uint8_t *bytes = tl->m->ram + (size_t)p * CPU_PAGE_SIZE;
  bool zero = page_is_zero(bytes);
  if (!reserve_vers(ck, 1)) return false;
  replay_timeline_ver *v = malloc(sizeof *v + (zero ? 0 : CPU_PAGE_SIZE));
  if (!v) return false;
  *v = (replay_timeline_ver){tl->page[p], NULL, ck->seq, p, zero};
  if (!zero) memcpy(v->data, bytes, CPU_PAGE_SIZE);
  if (v->older) v->older->newer = v;
  tl->page[p] = v;
  ck->vers[ck->nvers++] = v;
  tl->used += ver_cost(v);
  return true;
}

static bool copy_overlay(dev_disk_overlay *dst, const dev_disk_overlay *src) {
  memset(dst, 0, sizeof *dst);
  if (!src->count) return true;
  dst->index = malloc((size_t)src->count * sizeof *dst->index);
  dst->data = malloc((size_t)src->count * PV_DISK_SECTOR);
  if (!dst->index || !dst->data) {
    dev_disk_overlay_free(dst);
    return false;
  }
  memcpy(dst->index, src->index, (size_t)src->count * sizeof *dst->index);
  memcpy(dst->data, src->data, (size_t)src->count * PV_DISK_SECTOR);
  dst->count = dst->cap = src->count;
  return true;
}

/* Drops checkpoint i (neither the first nor the last): its page versions
 * pass to the next checkpoint, except where that one has its own. */
static bool drop_ckpt(replay_timeline *tl, size_t i) {
  replay_timeline_ckpt *ck = &tl->ck[i], *next = &tl->ck[i + 1];
  if (!reserve_vers(next, ck->nvers)) return false;
  for (size_t j = 0; j < ck->nvers; j++) {
    replay_timeline_ver *v = ck->vers[j];
    if (v->newer && v->newer->seq == next->seq) {
      free_ver(tl, v);
    } else {
      v->seq = next->seq;
      next->vers[next->nvers++] = v;
    }
  }
  ck->nvers = 0;
  free_ckpt(tl, ck);
  memmove(ck, ck + 1, (tl->n - i - 1) * sizeof *ck);
  tl->n--;
  tl->thinned++;
  return true;
}

/* Over budget: drop every other checkpoint from the oldest on, pass after
 * pass, until under it or only the first and the newest are left. */
static void thin(replay_timeline *tl) {
  while (tl->used > tl->budget && tl->n > 2) {
    for (size_t i = 1; i + 1 < tl->n && tl->used > tl->budget; i++) {
      if (!drop_ckpt(tl, i)) return;
    }
  }
}

static bool take(replay_timeline *tl) {
  machine *m = tl->m;
  uint32_t npages = m->cpu.ram_size / CPU_PAGE_SIZE;
  if (tl->n && tl->npages != npages) return false; /* RAM replaced: reset first */
  if (!tl->page || tl->npages != npages) { /* the first, or RAM was replaced */
    free(tl->page);
    tl->npages = npages;
    tl->page = calloc(npages, sizeof *tl->page);
    if (!tl->page) return false;
  }
  if (tl->n == tl->cap) {
    size_t cap = tl->cap ? tl->cap * 2 : 64;
    replay_timeline_ckpt *ck = realloc(tl->ck, cap * sizeof *ck);
    if (!ck) return false;
    tl->ck = ck;
    tl->cap = cap;
  }
  replay_timeline_ckpt *ck = &tl->ck[tl->n];
  memset(ck, 0, sizeof *ck);
  ck->seq = tl->next_seq;
  bool first = tl->n == 0;
  uint32_t since = first ? 0 : tl->ck[tl->n - 1].epoch;
  bool ok = copy_overlay(&ck->disk, &m->disk_host.overlay);
  for (uint32_t p = 0; ok && p < tl->npages; p++) {
    if (first ? !page_is_zero(m->ram + (size_t)p * CPU_PAGE_SIZE)
              : m->cpu.page_gen[p] >= since) {
      ok = save_page(tl, ck, p);
    }
  }
  if (!ok) { /* the new versions are the newest of their pages */
    for (size_t j = ck->nvers; j-- > 0;) free_ver(tl, ck->vers[j]);
    free(ck->vers);
    dev_disk_overlay_free(&ck->disk);
    return false;
  }
  ck->epoch = cpu_dirty_epoch(&m->cpu);
  ck->cpu = m->cpu.s;
  ck->dev = m->dev;
  ck->stats = m->stats;
  ck->tlb_misses = m->cpu.tlb_misses;
  memcpy(ck->hlog, m->dbg.hlog, sizeof ck->hlog);
  ck->hlog_count = m->dbg.hlog_count;
  if (tl->tap) ck->tap = replay_tap_tell(tl->tap);
  tl->used += ckpt_cost(ck);
  tl->next_seq++;
  tl->n++;
  thin(tl);
  return true;
}

bool replay_timeline_reset(replay_timeline *tl) {
  drop_all(tl);
  return take(tl);
}

bool replay_timeline_take(replay_timeline *tl) {
  if (tl->n && tl->m->cpu.s.icount <= tl->ck[tl->n - 1].cpu.icount) return false;
  return take(tl);
}

uint64_t replay_timeline_due(const replay_timeline *tl) {
  if (!tl->n) return UINT64_MAX;
  uint64_t last = tl->ck[tl->n - 1].cpu.icount;
  return last + tl->interval > last ? last + tl->interval : UINT64_MAX;
}

uint64_t replay_timeline_start(const replay_timeline *tl) { return tl->n ? tl->ck[0].cpu.icount : 0; }

size_t replay_timeline_find(const replay_timeline *tl, uint64_t icount) {
  size_t lo = 0, hi = tl->n; /* the first checkpoint after icount */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (tl->ck[mid].cpu.icount <= icount) lo = mid + 1;
    else hi = mid;
  }
  return lo ? lo - 1 : SIZE_MAX;
}

bool replay_timeline_restore(replay_timeline *tl, size_t k) {
  machine *m = tl->m;
  const replay_timeline_ckpt *ck = &tl->ck[k];
  dev_disk_overlay disk;
  if (!copy_overlay(&disk, &ck->disk)) return false;
  dev_disk_overlay_free(&m->disk_host.overlay);
  m->disk_host.overlay = disk;
  if (m->disk_host.persist) m->disk_host.dirty = true;
  for (uint32_t p = 0; p < tl->npages; p++) {
    if (m->cpu.page_gen[p] < ck->epoch) continue; /* untouched since */
    const replay_timeline_ver *v = tl->page[p];
    while (v && v->seq > ck->seq) v = v->older;
    uint8_t *dst = m->ram + (size_t)p * CPU_PAGE_SIZE;
    if (v && !v->zero) memcpy(dst, v->data, CPU_PAGE_SIZE);
    else memset(dst, 0, CPU_PAGE_SIZE);
    cpu_code_written(&m->cpu, CPU_RAM_BASE + p * CPU_PAGE_SIZE, CPU_PAGE_SIZE);
  }
  m->cpu.s = ck->cpu;
  m->cpu.fault = (cpu_fault){0};
  m->cpu.watch_skip = false;
  m->cpu.tlb_misses = ck->tlb_misses;
  cpu_tlb_flush(&m->cpu);
  m->dev = ck->dev;
  m->stats = ck->stats;
  memcpy(m->dbg.hlog, ck->hlog, sizeof ck->hlog);
  m->dbg.hlog_count = ck->hlog_count;
  m->dbg.catch_skip = false;
  m->dbg.trap_caught = false;
  m->stop = MACHINE_STOP_NONE;
  m->deadlock_events = 0;
  m->in_hcall = false;
  if (tl->tap) replay_tap_seek(tl->tap, &ck->tap);
  return true;
}

void replay_timeline_set_budget(replay_timeline *tl, size_t bytes) {
  tl->budget = bytes;
  thin(tl);
}

void replay_timeline_set_interval(replay_timeline *tl, uint64_t insns) { tl->interval = insns; }
