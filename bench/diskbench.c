/* diskbench: what a large sparse disk image costs.  A 2 TiB image (the
 * largest a disk can be) and an 8 GiB one, each holding 1 MiB of data in
 * 16 pieces spread over it, are attached to a machine; the table gives
 * the median time to save a snapshot of the machine (encode, compress,
 * write, fsync, rename), to load it again (read, check, decompress,
 * restore), and to commit 64 KiB of guest writes to the image as
 * --disk-write does (copy, fsync, rename), with the snapshot's size and
 * the space the image takes on the host after the commit.  The target is
 * well under a second for each, whatever the image's size.
 *
 *   meson test -C build --benchmark disk     (or build/bench/diskbench [DIR])
 *
 * The images and files go to DIR (default $TMPDIR or /tmp), which must
 * allow sparse files of 2 TiB (ext4, xfs, btrfs, tmpfs do).  Each case
 * runs ROUNDS times; the restored machine is checked against the saved one
 * by state hash.  Exit status 1 if anything failed. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "machine.h"
#include "snapshot.h"

#define ROUNDS 5
#define PIECES 16
#define PIECE (64u << 10) /* bytes: 16 of them make 1 MiB */
#define WRITE_SECTORS 128u /* the guest's 64 KiB for the commit */

/* Text-like bytes, so that compression has its usual work to do. */
static void fill_text(uint8_t *p, size_t n, uint64_t seed) {
  static const char *const words[] = {"inode ", "block ", "bitmap ", "dir ",
                                      "file ", "42 ", "superblock\n", "log "};
  uint64_t x = seed | 1;
  for (size_t i = 0; i < n;) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const char *w = words[x % 8];
    size_t len = strlen(w) < n - i ? strlen(w) : n - i;
    memcpy(p + i, w, len);
    i += len;
  }
}

/* A sparse image of size bytes at path with PIECES pieces of data. */
static bool make_image(const char *path, uint64_t size) {
  unlink(path);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
    perror(path);
    if (fd >= 0) close(fd);
    return false;
  }
  uint8_t *buf = malloc(PIECE);
  bool ok = buf != NULL;
  for (int i = 0; ok && i < PIECES; i++) {
    fill_text(buf, PIECE, (uint64_t)i + 1);
    off_t at = (off_t)(size / PIECES * (uint64_t)i / 4096 * 4096);
    ok = pwrite(fd, buf, PIECE, at) == (ssize_t)PIECE;
  }
  free(buf);
  if (!ok) perror(path);
  return close(fd) == 0 && ok;
}

/* The guest's writes, as disk_write would make them. */
static bool guest_writes(machine *m, uint32_t first) {
  uint8_t sector[PV_DISK_SECTOR];
  for (uint32_t s = 0; s < WRITE_SECTORS; s++) {
    fill_text(sector, sizeof sector, first + s);
    if (!dev_disk_overlay_put(&m->disk_host.overlay, first + s, sector)) return false;
  }
  m->disk_host.dirty = true;
  return true;
}

static bool bench(const char *name, uint64_t size, const char *dir) {
  char image[4096], snap[4096];
  snprintf(image, sizeof image, "%s/diskbench-%ld.img", dir, (long)getpid());
  snprintf(snap, sizeof snap, "%s/diskbench-%ld.pvsnap", dir, (long)getpid());
  if (!make_image(image, size)) return false;
  machine m, c;
  machine_config cfg = {.mem_mib = 16, .seed = 1};
  host_error err;
  bool ok = machine_init(&m, &cfg, &err) &&
            machine_init(&c, &(machine_config){.mem_mib = 1}, &err) &&
            machine_disk_attach(&m, image, true, &err);
  double save[ROUNDS], load[ROUNDS], commit[ROUNDS];
  struct stat snap_st = {0}, img_st = {0};
  uint64_t want = ok ? machine_state_hash(&m) : 0;
  for (int r = 0; r < ROUNDS && ok; r++) {
    double t0 = bench_now();
    ok = snap_save(&m, snap, &err);
    double t1 = bench_now();
    ok = ok && snap_load(&c, snap, &err);
    double t2 = bench_now();
    if (ok && machine_state_hash(&c) != want) {
      snprintf(err.msg, sizeof err.msg, "the restored machine differs");
      ok = false;
    }
    save[r] = t1 - t0;
    load[r] = t2 - t1;
  }
  for (int r = 0; r < ROUNDS && ok; r++) {
    uint32_t first = (uint32_t)(size / PV_DISK_SECTOR / 3) + (uint32_t)r * WRITE_SECTORS;
    if (!guest_writes(&m, first)) {
      snprintf(err.msg, sizeof err.msg, "out of memory");
      ok = false;
      break;
    }
    double t0 = bench_now();
    ok = machine_disk_commit(&m, &err);
    commit[r] = bench_now() - t0;
  }
  if (ok && (stat(snap, &snap_st) != 0 || stat(image, &img_st) != 0)) {
    snprintf(err.msg, sizeof err.msg, "cannot stat the files");
    ok = false;
  }
  if (!ok) fprintf(stderr, "diskbench: %s: %s\n", name, err.msg);
  if (ok) {
    printf("%-18s %9.3f s %9.3f s %9.3f s %9.2f MiB %9.2f MiB\n", name,
           bench_median(save, ROUNDS), bench_median(load, ROUNDS), bench_median(commit, ROUNDS),
           (double)snap_st.st_size / (1024.0 * 1024.0),
           (double)img_st.st_blocks * 512 / (1024.0 * 1024.0));
  }
  machine_free(&m);
  machine_free(&c);
  unlink(snap);
  unlink(image);
  return ok;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : getenv("TMPDIR");
  if (!dir || !*dir) dir = "/tmp";
  printf("sparse disk images holding 1 MiB, in %s, median of %d rounds\n", dir, ROUNDS);
  printf("%-18s %11s %11s %11s %13s %13s\n", "image", "snapshot", "load",
         "commit", "snapshot file", "image on disk");
  bool ok = bench("8 GiB sparse", 8ull << 30, dir);
  ok = bench("2 TiB sparse", (uint64_t)UINT32_MAX * PV_DISK_SECTOR, dir) && ok;
  return ok ? 0 : 1;
}
