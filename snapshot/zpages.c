/* Guest RAM's zlib stream, compressed on every core.
 *
 * Deflate runs at about 100 MB/s a core, so 64 MiB of busy guest memory
 * would take most of a second on one.  The marked pages are cut into
 * pieces of about 1 MiB that are compressed on their own, each as raw
 * deflate data ending in a sync flush (the last one in the final block),
 * so that joined in order they are one deflate stream; a zlib header
 * before them and the Adler-32 of the whole (adler32_combine) after make
 * it the zlib stream a single deflate would have written, in meaning if
 * not in every byte.  The pieces are fixed by the pages, not by the
 * number of threads, so the file is the same on every host. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snap_int.h"

#define PIECE_PAGES 256u /* 1 MiB */
#define RUN_PAGES 64u    /* what looks_random judges at once */
#define MAX_THREADS 8

typedef struct piece {
  uint32_t first, end; /* pages [first, end) of RAM, marked or not */
  uint64_t len;        /* bytes of the marked pages in it */
  size_t at, room;     /* its slot in the output */
  size_t out;          /* bytes it wrote there */
  uLong adler;
  bool ok;
} piece;

typedef struct job {
  const uint8_t *ram, *map;
  uint8_t *dst;        /* the slots */
  piece *pieces;
  size_t n;
  size_t next;         /* the next piece to take */
  pthread_mutex_t lock;
} job;

/* The most a piece of len bytes can take, stored: deflate falls back to
 * stored blocks when it cannot do better. */
static size_t bound(uint64_t len) { return (size_t)(len + len / 64 + 1024); }

/* Runs deflate with flush until its input is taken (and, for Z_FINISH,
 * the stream is ended); false when the slot is full or deflate failed. */
static bool pump(z_stream *z, int flush) {
  for (;;) {
    int r = deflate(z, flush);
    if (r == Z_STREAM_END) return true;
    if (r != Z_OK && r != Z_BUF_ERROR) return false;
    if (z->avail_out == 0) return false;
    if (z->avail_in == 0 && flush != Z_FINISH) return true;
  }
}

static bool set_level(z_stream *z, int *level, int want) {
  if (want == *level) return true;
  if (deflateParams(z, want, Z_DEFAULT_STRATEGY) != Z_OK) return false;
  *level = want;
  return true;
}

static void compress_piece(const job *j, piece *pc, bool last) {
  z_stream z;
  memset(&z, 0, sizeof z);
  int level = Z_BEST_SPEED;
  pc->adler = adler32(0L, Z_NULL, 0);
  pc->ok = deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  if (!pc->ok) return;
  z.next_out = j->dst + pc->at;
  z.avail_out = (uInt)pc->room;
  for (uint32_t p = pc->first; pc->ok && p < pc->end; p++) {
    if (!snap_bit(j->map, p)) continue;
    uint32_t start = p;
    while (p + 1 < pc->end && p + 1 - start < RUN_PAGES && snap_bit(j->map, p + 1)) p++;
    const uint8_t *data = j->ram + (size_t)start * CPU_PAGE_SIZE;
    size_t n = (size_t)(p + 1 - start) * CPU_PAGE_SIZE;
    pc->ok = set_level(&z, &level,
                       snap_looks_random(data, n) ? Z_NO_COMPRESSION : Z_BEST_SPEED);
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)n;
    pc->ok = pc->ok && pump(&z, Z_NO_FLUSH);
    pc->adler = adler32(pc->adler, data, (uInt)n);
  }
  z.avail_in = 0;
  pc->ok = pc->ok && pump(&z, last ? Z_FINISH : Z_SYNC_FLUSH);
  pc->out = pc->room - z.avail_out;
  deflateEnd(&z);
}

static void *worker(void *arg) {
  job *j = arg;
  for (;;) {
    pthread_mutex_lock(&j->lock);
    size_t i = j->next++;
    pthread_mutex_unlock(&j->lock);
    if (i >= j->n) return NULL;
    compress_piece(j, &j->pieces[i], i + 1 == j->n);
  }
}

/* Piece count: pages [first, end) holding marked marked pages, its slot
 * right after the last one's. */
static void add_piece(piece *pcs, size_t *count, size_t *total, uint32_t first,
                      uint32_t end, uint32_t marked) {
  uint64_t len = (uint64_t)marked * CPU_PAGE_SIZE;
  pcs[(*count)++] = (piece){.first = first, .end = end, .len = len,
                            .at = *total, .room = bound(len)};
  *total += bound(len);
}

/* The pieces, PIECE_PAGES marked pages each (the last one fewer), and
 * their slots one after the other; *total is the room they need. */
static piece *cut(const uint8_t *map, uint32_t pages, size_t *n, size_t *total) {
  piece *pcs = calloc(pages / PIECE_PAGES + 1, sizeof *pcs);
  if (!pcs) return NULL;
  uint32_t first = 0, marked = 0;
  *n = *total = 0;
  for (uint32_t p = 0; p < pages; p++) {
    if (!snap_bit(map, p)) continue;
    if (marked == 0) first = p;
    if (++marked == PIECE_PAGES) {
      add_piece(pcs, n, total, first, p + 1, marked);
      marked = 0;
    }
  }
  if (marked) add_piece(pcs, n, total, first, pages, marked);
  return pcs;
}

static void run_threads(job *j) {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  size_t helpers = cpus > 1 ? (size_t)cpus - 1 : 0;
  if (helpers > MAX_THREADS - 1) helpers = MAX_THREADS - 1;
  if (helpers > j->n) helpers = j->n;
  pthread_t t[MAX_THREADS];
  size_t started = 0;
  while (started < helpers && pthread_create(&t[started], NULL, worker, j) == 0) started++;
  worker(j); /* this thread works too, and alone if none started */
  for (size_t i = 0; i < started; i++) pthread_join(t[i], NULL);
}

/* The pieces moved together behind the header (the slots start at
 * b->len + 10), then the Adler-32 and the stream's length. */
static void join(snap_buf *b, const piece *pcs, size_t n) {
  size_t len_at = b->len;
  uint8_t *p = b->p + len_at + 10, *to = p;
  uLong adler = adler32(0L, Z_NULL, 0);
  for (size_t i = 0; i < n; i++) {
    memmove(to, p + pcs[i].at, pcs[i].out);
    to += pcs[i].out;
    adler = adler32_combine(adler, pcs[i].adler, (z_off_t)pcs[i].len);
  }
  b->p[len_at + 8] = 0x78; /* deflate, 32 KiB window */
  b->p[len_at + 9] = 0x01; /* fastest; (0x78 << 8 | 0x01) % 31 == 0 */
  for (int k = 3; k >= 0; k--) *to++ = (uint8_t)(adler >> (8 * k));
  uint64_t z = (uint64_t)(to - (b->p + len_at + 8));
  for (int k = 0; k < 8; k++) b->p[len_at + k] = (uint8_t)(z >> (8 * k));
  b->len = (size_t)(to - b->p);
}

bool snap_zput_pages(snap_buf *b, const uint8_t *ram, const uint8_t *map,
                     uint32_t pages) {
  size_t n, total;
  piece *pcs = cut(map, pages, &n, &total);
  if (!pcs) return false;
  bool ok = true;
  if (n == 0) { /* nothing marked: an empty stream, the ordinary way */
    snap_zout o;
    ok = snap_zout_begin(&o, b) && snap_zout_end(&o);
  } else if ((ok = snap_buf_reserve(b, 8 + 2 + total + 4))) {
    /* the slots are room never written until a piece needs it: pages
     * not touched cost nothing */
    job j = {ram, map, b->p + b->len + 10, pcs, n, 0, PTHREAD_MUTEX_INITIALIZER};
    run_threads(&j);
    pthread_mutex_destroy(&j.lock);
    for (size_t i = 0; i < n; i++) ok = ok && pcs[i].ok;
    if (ok) join(b, pcs, n);
  }
  free(pcs);
  return ok;
}
