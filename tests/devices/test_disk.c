/* The block device through a real machine: HCALL words in guest RAM, temp
 * image files.  Reads and writes against the image and the overlay, every
 * error path, the event, the state hash over the overlay, and --disk-write
 * commits: their result, their failures, and a process killed at every
 * step of one (and at random moments) never leaving a torn image.  Sparse
 * images: a commit keeps them sparse, a snapshot costs what they hold.
 * One writer per image: a second is refused, also in the middle of the
 * first one's commits, and a killed commit's file is cleaned up. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "machine.h"
#include "pvabi_calls.h"
#include "snapshot.h"

#define BASE CPU_RAM_BASE
#define RAM_BYTES (1u << 20)
#define END (BASE + RAM_BYTES)
#define CODE BASE
#define BUF (BASE + 0x10000u)  /* 128 KiB: a whole PV_DISK_MAX_COUNT request */
#define BUF2 (BASE + 0x40000u) /* a second buffer */
#define SECTOR PV_DISK_SECTOR
#define NSECT 300u /* the test image: more than one maximal request */

#define EBREAK 0x00100073u
#define A0 10
#define A1 11
#define A2 12
#define A7 17

static machine m;
static char dir[64];
static char image[128];

/* The byte the test images hold at (sector, offset); gen picks a pattern. */
static uint8_t pattern(uint32_t sector, uint32_t off, unsigned gen) {
  return (uint8_t)(sector * 31u + off * 7u + gen * 101u + (sector >> 8));
}

static void write_file(const char *path, const uint8_t *p, size_t n) {
  FILE *f = fopen(path, "wb");
  cr_assert(f, "cannot create %s", path);
  cr_assert_eq(fwrite(p, 1, n, f), n);
  cr_assert_eq(fclose(f), 0);
}

static uint8_t *image_bytes(uint32_t sectors, unsigned gen) {
  uint8_t *p = malloc((size_t)sectors * SECTOR);
  cr_assert(p);
  for (uint32_t s = 0; s < sectors; s++) {
    for (uint32_t i = 0; i < SECTOR; i++) p[(size_t)s * SECTOR + i] = pattern(s, i, gen);
  }
  return p;
}

static void make_image(const char *path, uint32_t sectors, unsigned gen) {
  uint8_t *p = image_bytes(sectors, gen);
  write_file(path, p, (size_t)sectors * SECTOR);
  free(p);
}

/* The whole file, and its size in *n. */
static uint8_t *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  cr_assert(f, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *p = malloc((size_t)len + 1);
  cr_assert(p);
  cr_assert_eq(fread(p, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  *n = (size_t)len;
  return p;
}

/* The names in dir besides "." and "..", counted; the first in first. */
static int dir_entries(char *first, size_t size) {
  DIR *d = opendir(dir);
  cr_assert(d);
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (n++ == 0 && first) snprintf(first, size, "%s", e->d_name);
  }
  closedir(d);
  return n;
}

static void remove_dir(void) {
  DIR *d = opendir(dir);
  if (!d) return;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  closedir(d);
  rmdir(dir);
}

static void init_machine(machine *mm) {
  machine_config cfg = {.mem_mib = RAM_BYTES >> 20, .seed = 1};
  host_error err = {{0}};
  cr_assert(machine_init(mm, &cfg, &err), "%s", err.msg);
}

static void setup(void) {
  snprintf(dir, sizeof dir, "/tmp/pvlab-disk-XXXXXX");
  cr_assert(mkdtemp(dir));
  snprintf(image, sizeof image, "%s/disk.img", dir);
  make_image(image, NSECT, 0);
  init_machine(&m);
}

static void teardown(void) {
  machine_free(&m);
  remove_dir();
}

TestSuite(disk, .init = setup, .fini = teardown);

static void attach(machine *mm, bool persist) {
  host_error err = {{0}};
  cr_assert(machine_disk_attach(mm, image, persist, &err), "%s", err.msg);
}

static uint8_t *host(machine *mm, uint32_t addr) { return mm->ram + (addr - BASE); }

/* Runs "hcall; ebreak" with the call's registers; returns the status. */
static int32_t call_on(machine *mm, uint32_t number, uint32_t a0, uint32_t a1,
                       uint32_t a2) {
  static const uint32_t code[] = {PV_HCALL_WORD, EBREAK};
  memcpy(host(mm, CODE), code, sizeof code);
  cpu_code_written(&mm->cpu, CODE, sizeof code);
  cpu_reset(&mm->cpu, CODE);
  mm->cpu.s.x[A7] = number;
  mm->cpu.s.x[A0] = a0;
  mm->cpu.s.x[A1] = a1;
  mm->cpu.s.x[A2] = a2;
  machine_stop stop = machine_run(mm, 100);
  cr_assert_eq(stop, MACHINE_STOP_EBREAK, "call 0x%x stopped with %d", number, stop);
  return (int32_t)mm->cpu.s.x[A0];
}

static int32_t call(uint32_t number, uint32_t a0, uint32_t a1, uint32_t a2) {
  return call_on(&m, number, a0, a1, a2);
}

static int32_t disk_read(uint32_t sector, uint32_t buf, uint32_t count) {
  return call(PV_HC_DISK_READ, sector, buf, count);
}

static int32_t disk_write(uint32_t sector, uint32_t buf, uint32_t count) {
  return call(PV_HC_DISK_WRITE, sector, buf, count);
}

static uint32_t res1(void) { return m.cpu.s.x[A1]; }
static uint32_t res2(void) { return m.cpu.s.x[A2]; }

static void expect_status(int32_t got, int32_t want) {
  cr_expect_eq(got, want, "status %s (%d), want %s", pvabi_status_name(got),
               got, pvabi_status_name(want));
}

/* The sector at addr holds generation gen's bytes of sector s. */
static bool holds(machine *mm, uint32_t addr, uint32_t s, unsigned gen) {
  const uint8_t *p = host(mm, addr);
  for (uint32_t i = 0; i < SECTOR; i++) {
    if (p[i] != pattern(s, i, gen)) return false;
  }
  return true;
}

/* Fills RAM at addr with generation gen's bytes of sectors s.. s+n-1. */
static void fill(machine *mm, uint32_t addr, uint32_t s, uint32_t n, unsigned gen) {
  for (uint32_t k = 0; k < n; k++) {
    for (uint32_t i = 0; i < SECTOR; i++) {
      host(mm, addr)[k * SECTOR + i] = pattern(s + k, i, gen);
    }
  }
}

static void expect_image_is(unsigned gen, uint32_t from, uint32_t to,
                            unsigned else_gen) {
  size_t n;
  uint8_t *p = slurp(image, &n);
  cr_assert_eq(n, (size_t)NSECT * SECTOR, "image is %zu bytes", n);
  for (uint32_t s = 0; s < NSECT; s++) {
    unsigned g = s >= from && s < to ? gen : else_gen;
    for (uint32_t i = 0; i < SECTOR; i++) {
      if (p[(size_t)s * SECTOR + i] != pattern(s, i, g)) {
        free(p);
        cr_assert_fail("image sector %u byte %u is not generation %u", s, i, g);
      }
    }
  }
  free(p);
}

static void expect_image_unchanged(void) { expect_image_is(0, 0, 0, 0); }

/* -------------------------------------------------------------- no disk */

Test(disk, no_disk_is_a_disk_of_zero_sectors) {
  expect_status(call(PV_HC_DISK_INFO, 0, 0, 0), PV_OK);
  cr_expect_eq(res1(), 0);
  cr_expect_eq(res2(), 0);
  memset(host(&m, BUF), 0xcc, SECTOR);
  expect_status(disk_read(0, BUF, 1), PV_EINVAL);
  expect_status(disk_write(0, BUF, 1), PV_EINVAL);
  cr_expect_eq(host(&m, BUF)[0], 0xcc);
  expect_status(call(PV_HC_DISK_FLUSH, 0, 0, 0), PV_OK);
  cr_expect_eq(m.disk_host.overlay.count, 0);
  cr_expect_eq(m.stats.disk_sectors_read + m.stats.disk_sectors_written, 0);
}

/* ------------------------------------------------------ info and reads */

Test(disk, info_reports_size_and_flags) {
  attach(&m, false);
  expect_status(call(PV_HC_DISK_INFO, 0, 0, 0), PV_OK);
  cr_expect_eq(res1(), NSECT);
  cr_expect_eq(res2(), PV_DISK_ATTACHED);
  attach(&m, true); /* replaces the first */
  expect_status(call(PV_HC_DISK_INFO, 0, 0, 0), PV_OK);
  cr_expect_eq(res1(), NSECT);
  cr_expect_eq(res2(), PV_DISK_ATTACHED | PV_DISK_PERSIST);
}

Test(disk, read_returns_the_image_sectors) {
  attach(&m, false);
  expect_status(disk_read(7, BUF, 3), PV_OK);
  cr_expect_eq(res1(), 3);
  for (uint32_t k = 0; k < 3; k++) {
    cr_expect(holds(&m, BUF + k * SECTOR, 7 + k, 0), "sector %u", 7 + k);
  }
  cr_expect_eq(m.stats.disk_sectors_read, 3);
  /* the whole disk: a maximal request and the rest, to the last sector */
  expect_status(disk_read(0, BUF, PV_DISK_MAX_COUNT), PV_OK);
  for (uint32_t s = 0; s < PV_DISK_MAX_COUNT; s++) {
    cr_expect(holds(&m, BUF + s * SECTOR, s, 0), "sector %u", s);
  }
  expect_status(disk_read(PV_DISK_MAX_COUNT, BUF, NSECT - PV_DISK_MAX_COUNT), PV_OK);
  for (uint32_t s = PV_DISK_MAX_COUNT; s < NSECT; s++) {
    cr_expect(holds(&m, BUF + (s - PV_DISK_MAX_COUNT) * SECTOR, s, 0), "sector %u", s);
  }
  cr_expect_eq(m.stats.disk_sectors_read, 3 + NSECT);
}

Test(disk, read_over_code_replaces_the_decoded_code) {
  /* a guest that loads code from the disk must run the new code */
  attach(&m, false);
  const uint32_t fn = BASE + 0x8000u;
  uint32_t old[2] = {cpu_encode(CPU_OP_ADDI, A0, 0, 0, 7), EBREAK};
  memcpy(host(&m, fn), old, sizeof old);
  cpu_code_written(&m.cpu, fn, sizeof old);
  cpu_reset(&m.cpu, fn);
  cr_assert_eq(machine_run(&m, 100), MACHINE_STOP_EBREAK);
  cr_assert_eq(m.cpu.s.x[A0], 7); /* decoded and cached now */
  uint32_t new_code[2] = {cpu_encode(CPU_OP_ADDI, A0, 0, 0, 42), EBREAK};
  memset(host(&m, BUF), 0, SECTOR);
  memcpy(host(&m, BUF), new_code, sizeof new_code);
  expect_status(disk_write(5, BUF, 1), PV_OK);
  expect_status(disk_read(5, fn, 1), PV_OK);
  cpu_reset(&m.cpu, fn);
  cr_assert_eq(machine_run(&m, 100), MACHINE_STOP_EBREAK);
  cr_expect_eq(m.cpu.s.x[A0], 42, "the old decoded code ran");
}

/* ------------------------------------------------------------- writes */

Test(disk, write_then_read_back_from_the_overlay) {
  attach(&m, false);
  fill(&m, BUF, 5, 1, 1);
  expect_status(disk_write(5, BUF, 1), PV_OK);
  cr_expect_eq(res1(), 1);
  fill(&m, BUF, 10, 1, 2);
  expect_status(disk_write(10, BUF, 1), PV_OK);
  fill(&m, BUF, 12, 2, 3);
  expect_status(disk_write(12, BUF, 2), PV_OK);
  cr_expect_eq(m.stats.disk_sectors_written, 4);
  cr_expect_eq(m.disk_host.overlay.count, 4);

  memset(host(&m, BUF2), 0, 16 * SECTOR);
  expect_status(disk_read(4, BUF2, 11), PV_OK); /* sectors 4..14 */
  static const unsigned gen[11] = {0, 1, 0, 0, 0, 0, 2, 0, 3, 3, 0};
  for (uint32_t k = 0; k < 11; k++) {
    cr_expect(holds(&m, BUF2 + k * SECTOR, 4 + k, gen[k]),
              "sector %u is not generation %u", 4 + k, gen[k]);
  }
  /* a read of one overlay sector alone, and of the last sector */
  expect_status(disk_read(10, BUF2, 1), PV_OK);
  cr_expect(holds(&m, BUF2, 10, 2));
  fill(&m, BUF, NSECT - 1, 1, 4);
  expect_status(disk_write(NSECT - 1, BUF, 1), PV_OK);
  expect_status(disk_read(NSECT - 2, BUF2, 2), PV_OK);
  cr_expect(holds(&m, BUF2, NSECT - 2, 0));
  cr_expect(holds(&m, BUF2 + SECTOR, NSECT - 1, 4));
}

Test(disk, rewriting_a_sector_replaces_it) {
  attach(&m, false);
  fill(&m, BUF, 9, 1, 1);
  expect_status(disk_write(9, BUF, 1), PV_OK);
  fill(&m, BUF, 9, 1, 2);
  expect_status(disk_write(9, BUF, 1), PV_OK);
  cr_expect_eq(m.disk_host.overlay.count, 1);
  expect_status(disk_read(9, BUF2, 1), PV_OK);
  cr_expect(holds(&m, BUF2, 9, 2));
}

Test(disk, writes_never_touch_the_image_without_disk_write) {
  struct stat before, after;
  cr_assert_eq(stat(image, &before), 0);
  attach(&m, false);
  fill(&m, BUF, 0, PV_DISK_MAX_COUNT, 1);
  expect_status(disk_write(0, BUF, PV_DISK_MAX_COUNT), PV_OK);
  expect_status(call(PV_HC_DISK_FLUSH, 0, 0, 0), PV_OK);
  host_error err = {{0}};
  cr_expect(machine_disk_commit(&m, &err), "%s", err.msg);
  machine_free(&m);
  init_machine(&m);
  expect_image_unchanged();
  cr_assert_eq(stat(image, &after), 0);
  cr_expect_eq(before.st_ino, after.st_ino, "the image was replaced");
  cr_expect_eq(dir_entries(NULL, 0), 1, "a file appeared beside the image");
}

/* ------------------------------------------------------------- errors */

/* A request that must fail with want and change nothing. */
static void expect_refused(uint32_t number, uint32_t sector, uint32_t buf,
                           uint32_t count, int32_t want) {
  uint32_t overlay = m.disk_host.overlay.count;
  uint64_t moved = m.stats.disk_sectors_read + m.stats.disk_sectors_written;
  m.dev.events.pending = 0;
  memset(host(&m, BUF), 0xcc, 2 * SECTOR);
  int32_t got = call(number, sector, buf, count);
  cr_expect_eq(got, want, "%s(%u, 0x%x, %u): %s, want %s",
               number == PV_HC_DISK_READ ? "disk_read" : "disk_write", sector,
               buf, count, pvabi_status_name(got), pvabi_status_name(want));
  cr_expect_eq(res1(), 0);
  cr_expect_eq(m.dev.events.pending & PV_EV_DISK, 0, "event after an error");
  cr_expect_eq(m.disk_host.overlay.count, overlay);
  cr_expect_eq(m.stats.disk_sectors_read + m.stats.disk_sectors_written, moved);
  cr_expect_eq(host(&m, BUF)[0], 0xcc, "the buffer changed");
}

static void expect_both_refused(uint32_t sector, uint32_t buf, uint32_t count,
                                int32_t want) {
  expect_refused(PV_HC_DISK_READ, sector, buf, count, want);
  expect_refused(PV_HC_DISK_WRITE, sector, buf, count, want);
}

Test(disk, count_zero_and_over_the_cap) {
  attach(&m, false);
  expect_both_refused(0, BUF, 0, PV_EINVAL);
  expect_both_refused(0, BUF, PV_DISK_MAX_COUNT + 1, PV_EINVAL);
  /* count * 512 wraps to 512 in 32 bits: still a count over the cap */
  expect_both_refused(0, BUF, 0x00800001u, PV_EINVAL);
  expect_both_refused(0, BUF, 0xffffffffu, PV_EINVAL);
}

Test(disk, sectors_out_of_range) {
  attach(&m, false);
  expect_both_refused(NSECT, BUF, 1, PV_EINVAL);      /* one past the end */
  expect_both_refused(NSECT - 1, BUF, 2, PV_EINVAL);  /* runs past the end */
  expect_both_refused(NSECT - 10, BUF, 11, PV_EINVAL);
  expect_both_refused(0xffffffffu, BUF, 1, PV_EINVAL);
  /* sector + count wraps around 2^32 to a small number */
  expect_both_refused(0xffffffffu, BUF, 2, PV_EINVAL);
  expect_both_refused(0xffffff80u, BUF, 0x100, PV_EINVAL);
  /* the edges themselves are fine */
  expect_status(disk_read(NSECT - 1, BUF, 1), PV_OK);
  expect_status(disk_read(NSECT - 10, BUF, 10), PV_OK);
}

Test(disk, the_largest_disk_and_sector_numbers_near_2_to_the_32) {
  /* a sparse image of 2^32 - 1 sectors (2 TiB), the most there can be */
  const uint32_t most = 0xffffffffu;
  cr_assert_eq(truncate(image, (off_t)most * SECTOR), 0);
  attach(&m, false);
  expect_status(call(PV_HC_DISK_INFO, 0, 0, 0), PV_OK);
  cr_expect_eq(res1(), most);
  /* sector + count wraps to a small number that is inside the disk */
  expect_both_refused(0xffffff80u, BUF, 0x100, PV_EINVAL);
  expect_both_refused(most - 1, BUF, 2, PV_EINVAL);
  expect_both_refused(most, BUF, 1, PV_EINVAL);
  /* the last sector, with one written sector before it */
  fill(&m, BUF, most - 2, 1, 1);
  expect_status(disk_write(most - 2, BUF, 1), PV_OK);
  memset(host(&m, BUF2), 0xcc, 2 * SECTOR);
  expect_status(disk_read(most - 2, BUF2, 2), PV_OK);
  cr_expect(holds(&m, BUF2, most - 2, 1));
  for (uint32_t i = 0; i < SECTOR; i++) {
    cr_assert_eq(host(&m, BUF2 + SECTOR)[i], 0, "byte %u of the last sector", i);
  }
  fill(&m, BUF, most - 1, 1, 2);
  expect_status(disk_write(most - 1, BUF, 1), PV_OK);
  expect_status(disk_read(most - 1, BUF2, 1), PV_OK);
  cr_expect(holds(&m, BUF2, most - 1, 2));
}

Test(disk, bad_buffers) {
  attach(&m, false);
  expect_both_refused(0, 0x10, 1, PV_EFAULT);             /* below RAM */
  expect_both_refused(0, END - SECTOR + 4, 1, PV_EFAULT); /* runs past its end */
  expect_both_refused(0, END - SECTOR, 2, PV_EFAULT);
  expect_both_refused(0, 0xffffff00u, 1, PV_EFAULT);      /* wraps 2^32 */
  expect_both_refused(0, END, 1, PV_EFAULT);
  /* the last sector of RAM is fine */
  expect_status(disk_read(3, END - SECTOR, 1), PV_OK);
  cr_expect(holds(&m, END - SECTOR, 3, 0));
}

Test(disk, range_is_checked_before_the_buffer) {
  attach(&m, false);
  expect_both_refused(NSECT, 0x10, 1, PV_EINVAL);
  expect_both_refused(0, 0x10, 0, PV_EINVAL);
}

Test(disk, host_read_failure_is_eio) {
  attach(&m, false);
  /* someone shrinks the image under the running machine */
  cr_assert_eq(truncate(image, 100 * SECTOR), 0);
  expect_status(disk_read(10, BUF, 2), PV_OK);
  m.dev.events.pending = 0;
  expect_status(disk_read(99, BUF, 2), PV_EIO);
  cr_expect_eq(m.dev.events.pending & PV_EV_DISK, 0);
  expect_status(disk_read(200, BUF, 1), PV_EIO);
  /* a sector the guest wrote is still there: it is in the overlay */
  fill(&m, BUF, 200, 1, 5);
  expect_status(disk_write(200, BUF, 1), PV_OK);
  expect_status(disk_read(200, BUF2, 1), PV_OK);
  cr_expect(holds(&m, BUF2, 200, 5));
}

/* -------------------------------------------------------------- attach */

static void expect_attach_refused(const char *path, bool persist,
                                  const char *needle) {
  host_error err = {{0}};
  cr_expect(!machine_disk_attach(&m, path, persist, &err), "%s accepted", path);
  cr_expect(strstr(err.msg, path), "message does not name %s: %s", path, err.msg);
  cr_expect(strstr(err.msg, needle), "message lacks \"%s\": %s", needle, err.msg);
  cr_expect_eq(m.dev.disk.attached, 0);
  cr_expect_null(m.disk_host.path);
}

Test(disk, attach_refuses_bad_images) {
  char path[256];
  snprintf(path, sizeof path, "%s/missing.img", dir);
  expect_attach_refused(path, false, "No such file");
  expect_attach_refused(path, false, "--disk");

  snprintf(path, sizeof path, "%s/odd.img", dir);
  uint8_t bytes[1000] = {0};
  write_file(path, bytes, sizeof bytes);
  expect_attach_refused(path, false, "1000 bytes, not a multiple of the 512-byte sector");
  expect_attach_refused(path, false, "truncate -s 1024");

  snprintf(path, sizeof path, "%s/empty.img", dir);
  write_file(path, bytes, 0);
  expect_attach_refused(path, false, "is empty");

  expect_attach_refused(dir, false, "not a regular file");
  /* a FIFO is refused, not waited on until a writer comes */
  snprintf(path, sizeof path, "%s/fifo", dir);
  cr_assert_eq(mkfifo(path, 0600), 0);
  expect_attach_refused(path, false, "not a regular file");
}

Test(disk, disk_write_refuses_a_read_only_image) {
  cr_assert_eq(chmod(image, 0444), 0);
  expect_attach_refused(image, true, "read-only");
  expect_attach_refused(image, true, "--disk-write");
  attach(&m, false); /* without --disk-write it is fine */
  cr_expect_eq(m.dev.disk.attached, 1);
}

Test(disk, a_refused_attach_keeps_the_attached_disk) {
  attach(&m, false);
  host_error err = {{0}};
  cr_expect(!machine_disk_attach(&m, "/nonexistent/x.img", false, &err));
  cr_expect_eq(m.dev.disk.sectors, NSECT);
  expect_status(disk_read(1, BUF, 1), PV_OK);
  cr_expect(holds(&m, BUF, 1, 0));
}

/* -------------------------------------------------------------- events */

Test(disk, completed_requests_raise_the_disk_event) {
  attach(&m, false);
  cr_expect_eq(m.dev.events.pending, 0);
  expect_status(disk_read(0, BUF, 1), PV_OK);
  cr_expect_eq(m.dev.events.pending & PV_EV_DISK, PV_EV_DISK);
  expect_status(call(PV_HC_EVENT_ACK, PV_EV_DISK, 0, 0), PV_OK);
  cr_expect_eq(m.dev.events.pending & PV_EV_DISK, 0);
  expect_status(disk_write(0, BUF, 1), PV_OK);
  cr_expect_eq(m.dev.events.pending & PV_EV_DISK, PV_EV_DISK);
  m.dev.events.pending = 0;
  expect_status(call(PV_HC_DISK_FLUSH, 0, 0, 0), PV_OK);
  cr_expect_eq(m.dev.events.pending & PV_EV_DISK, PV_EV_DISK);
  /* info is no request */
  m.dev.events.pending = 0;
  expect_status(call(PV_HC_DISK_INFO, 0, 0, 0), PV_OK);
  cr_expect_eq(m.dev.events.pending, 0);
}

Test(disk, waiting_for_the_disk_returns_after_a_request) {
  attach(&m, false);
  expect_status(disk_read(0, BUF, 1), PV_OK);
  expect_status(call(PV_HC_EVENT_WAIT, PV_EV_DISK, 0, 0), PV_OK);
  cr_expect_eq(res1(), PV_EV_DISK);
}

Test(disk, waiting_for_the_disk_with_nothing_in_flight_is_a_deadlock) {
  attach(&m, false);
  expect_status(disk_read(0, BUF, 1), PV_OK);
  expect_status(call(PV_HC_EVENT_ACK, PV_EV_DISK, 0, 0), PV_OK);
  /* requests complete within their hypercall: nothing can raise it now */
  static const uint32_t code[] = {PV_HCALL_WORD, EBREAK};
  memcpy(host(&m, CODE), code, sizeof code);
  cpu_code_written(&m.cpu, CODE, sizeof code);
  cpu_reset(&m.cpu, CODE);
  m.cpu.s.x[A7] = PV_HC_EVENT_WAIT;
  m.cpu.s.x[A0] = PV_EV_DISK;
  cr_expect_eq(machine_run(&m, 100), MACHINE_STOP_DEADLOCK);
  cr_expect_eq(m.deadlock_events, PV_EV_DISK);
  cr_expect_eq(m.cpu.s.pc, CODE, "pc is not at the waiting hcall");
}

/* ---------------------------------------------------------- state hash */

static void write_sectors(machine *mm, const uint32_t *sectors, const unsigned *gens,
                          unsigned n) {
  for (unsigned k = 0; k < n; k++) {
    fill(mm, BUF, sectors[k], 1, gens[k]);
    cr_assert_eq(call_on(mm, PV_HC_DISK_WRITE, sectors[k], BUF, 1), PV_OK);
  }
  memset(host(mm, BUF), 0, SECTOR); /* the same RAM in every machine */
  mm->stats = (machine_stats){0};
}

Test(disk, the_hash_covers_the_overlay) {
  attach(&m, false);
  expect_status(disk_read(0, BUF2, 1), PV_OK); /* registers, event as below */
  uint64_t before = machine_state_hash(&m);
  static const uint32_t s[] = {42};
  static const unsigned g[] = {1};
  write_sectors(&m, s, g, 1);
  uint64_t after = machine_state_hash(&m);
  cr_expect_neq(before, after, "a write left the hash as it was");
  /* one byte of one written sector */
  m.disk_host.overlay.data[7] ^= 1;
  cr_expect_neq(machine_state_hash(&m), after);
  m.disk_host.overlay.data[7] ^= 1;
  cr_expect_eq(machine_state_hash(&m), after);
}

Test(disk, equal_overlays_hash_equal_whatever_the_order) {
  machine other;
  init_machine(&other);
  attach(&m, false);
  attach(&other, false);
  static const uint32_t s1[] = {3, 250, 17, 3, 100, 0, 299};
  static const unsigned g1[] = {9, 1, 2, 3, 4, 5, 6}; /* 3 is rewritten */
  static const uint32_t s2[] = {299, 0, 100, 3, 17, 250};
  static const unsigned g2[] = {6, 5, 4, 3, 2, 1};
  write_sectors(&m, s1, g1, 7);
  write_sectors(&other, s2, g2, 6);
  cr_expect_eq(m.disk_host.overlay.count, 6);
  cr_expect_eq(machine_state_hash(&m), machine_state_hash(&other),
               "the same written sectors hash differently");
  /* and a different sector set does not */
  static const uint32_t s3[] = {4};
  static const unsigned g3[] = {1};
  write_sectors(&other, s3, g3, 1);
  write_sectors(&m, s3, g3, 1);
  cr_expect_eq(machine_state_hash(&m), machine_state_hash(&other));
  static const unsigned g4[] = {2};
  write_sectors(&other, s3, g4, 1);
  cr_expect_neq(machine_state_hash(&m), machine_state_hash(&other));
  machine_free(&other);
}

Test(disk, many_writes_in_reverse_keep_the_overlay_sorted) {
  attach(&m, false);
  for (uint32_t s = NSECT; s-- > 0;) {
    fill(&m, BUF, s, 1, 7);
    cr_assert_eq(disk_write(s, BUF, 1), PV_OK);
  }
  const dev_disk_overlay *ov = &m.disk_host.overlay;
  cr_assert_eq(ov->count, NSECT);
  for (uint32_t i = 0; i < NSECT; i++) {
    cr_assert_eq(ov->index[i].sector, i);
    cr_assert_eq(dev_disk_overlay_at(ov, i)[0], pattern(i, 0, 7));
  }
  expect_status(disk_read(0, BUF2, PV_DISK_MAX_COUNT), PV_OK);
  for (uint32_t s = 0; s < PV_DISK_MAX_COUNT; s++) {
    cr_expect(holds(&m, BUF2 + s * SECTOR, s, 7), "sector %u", s);
  }
}

/* ------------------------------------------------- --disk-write commits */

static int32_t flush(void) { return call(PV_HC_DISK_FLUSH, 0, 0, 0); }

Test(disk, flush_commits_to_the_image_and_leaves_no_temp_file) {
  cr_assert_eq(chmod(image, 0640), 0);
  attach(&m, true);
  fill(&m, BUF, 20, 30, 1);
  expect_status(disk_write(20, BUF, 30), PV_OK);
  expect_image_unchanged(); /* not before the flush */
  expect_status(flush(), PV_OK);
  expect_image_is(1, 20, 50, 0);
  char name[256];
  cr_expect_eq(dir_entries(name, sizeof name), 1, "a file was left beside the image");
  cr_expect_str_eq(name, "disk.img");
  struct stat st;
  cr_assert_eq(stat(image, &st), 0);
  cr_expect_eq(st.st_mode & 07777, 0640, "mode 0%o", st.st_mode & 07777);
  cr_expect_eq(m.stats.disk_commits, 1);
  /* nothing new: no commit */
  expect_status(flush(), PV_OK);
  cr_expect_eq(m.stats.disk_commits, 1);
  /* reads now come from the new file, and the overlay still counts */
  expect_status(disk_read(19, BUF2, 3), PV_OK);
  cr_expect(holds(&m, BUF2, 19, 0));
  cr_expect(holds(&m, BUF2 + SECTOR, 20, 1));
  cr_expect(holds(&m, BUF2 + 2 * SECTOR, 21, 1));
  cr_expect_eq(m.disk_host.overlay.count, 30);
  /* a second round of writes and a commit at the end, as `pvlab run` does */
  fill(&m, BUF, 45, 10, 2);
  expect_status(disk_write(45, BUF, 10), PV_OK);
  host_error err = {{0}};
  cr_expect(machine_disk_commit(&m, &err), "%s", err.msg);
  cr_expect_eq(m.stats.disk_commits, 2);
  size_t n;
  uint8_t *p = slurp(image, &n);
  for (uint32_t s = 0; s < NSECT; s++) {
    unsigned g = s >= 45 && s < 55 ? 2 : s >= 20 && s < 45 ? 1 : 0;
    cr_assert(p[(size_t)s * SECTOR + 5] == pattern(s, 5, g), "sector %u", s);
  }
  free(p);
  cr_expect_eq(dir_entries(NULL, 0), 1);
}

Test(disk, the_hash_does_not_depend_on_flushing) {
  machine other;
  init_machine(&other);
  attach(&m, true);
  static const uint32_t s[] = {1, 2};
  static const unsigned g[] = {1, 1};
  write_sectors(&m, s, g, 2);
  cr_assert_eq(call(PV_HC_DISK_FLUSH, 0, 0, 0), PV_OK);
  char copy[256];
  snprintf(copy, sizeof copy, "%s/copy.img", dir);
  make_image(copy, NSECT, 0);
  host_error err = {{0}};
  cr_assert(machine_disk_attach(&other, copy, true, &err), "%s", err.msg);
  write_sectors(&other, s, g, 2);
  cr_assert_eq(call_on(&other, PV_HC_DISK_FLUSH, 0, 0, 0), PV_OK);
  cr_expect_eq(machine_state_hash(&m), machine_state_hash(&other));
  machine_free(&other);
}

Test(disk, commit_through_a_symlink_replaces_the_target) {
  char link[256];
  snprintf(link, sizeof link, "%s/link.img", dir);
  cr_assert_eq(symlink("disk.img", link), 0);
  host_error err = {{0}};
  cr_assert(machine_disk_attach(&m, link, true, &err), "%s", err.msg);
  fill(&m, BUF, 0, 1, 3);
  expect_status(disk_write(0, BUF, 1), PV_OK);
  expect_status(flush(), PV_OK);
  struct stat st;
  cr_assert_eq(lstat(link, &st), 0);
  cr_expect(S_ISLNK(st.st_mode), "the symlink was replaced by a file");
  expect_image_is(3, 0, 1, 0);
}

/* A hook that fails (or kills the process at) the n-th time step s comes. */
typedef struct hook_plan {
  dev_disk_step step;
  int nth;
  bool kill;
  int seen;
} hook_plan;

static bool hook(void *ctx, dev_disk_step s) {
  hook_plan *p = ctx;
  if (s != p->step || ++p->seen != p->nth) return true;
  if (p->kill) raise(SIGKILL);
  return false;
}

static const char *const step_names[] = {"create", "copy", "sync", "rename",
                                         "sync_dir"};

Test(disk, a_failed_commit_leaves_the_old_image_and_no_temp_file) {
  attach(&m, true);
  fill(&m, BUF, 0, 200, 1);
  expect_status(disk_write(0, BUF, 200), PV_OK);
  const dev_disk_step before_rename[] = {DEV_DISK_STEP_CREATE,
      DEV_DISK_STEP_COPY, DEV_DISK_STEP_SYNC, DEV_DISK_STEP_RENAME};
  for (unsigned k = 0; k < 4; k++) {
    hook_plan plan = {before_rename[k], 1, false, 0};
    m.disk_host.commit_hook = hook;
    m.disk_host.commit_hook_ctx = &plan;
    host_error err = {{0}};
    cr_expect(!machine_disk_commit(&m, &err), "%s did not fail", step_names[k]);
    cr_expect(strstr(err.msg, image) && strstr(err.msg, "the image is unchanged"),
              "%s: %s", step_names[k], err.msg);
    expect_image_unchanged();
    cr_expect_eq(dir_entries(NULL, 0), 1, "%s left a file", step_names[k]);
  }
  /* the guest sees the failure as PV_EIO, and the next flush succeeds */
  hook_plan plan = {DEV_DISK_STEP_COPY, 1, false, 0};
  m.disk_host.commit_hook_ctx = &plan;
  expect_status(flush(), PV_EIO);
  m.disk_host.commit_hook = NULL;
  expect_status(flush(), PV_OK);
  expect_image_is(1, 0, 200, 0);
  cr_expect_eq(dir_entries(NULL, 0), 1);
}

Test(disk, a_failed_directory_sync_reports_but_the_image_is_new) {
  attach(&m, true);
  fill(&m, BUF, 0, 1, 1);
  expect_status(disk_write(0, BUF, 1), PV_OK);
  hook_plan plan = {DEV_DISK_STEP_SYNC_DIR, 1, false, 0};
  m.disk_host.commit_hook = hook;
  m.disk_host.commit_hook_ctx = &plan;
  host_error err = {{0}};
  cr_expect(!machine_disk_commit(&m, &err));
  cr_expect(strstr(err.msg, "syncing its directory"), "%s", err.msg);
  expect_image_is(1, 0, 1, 0);
  /* still dirty: the next commit does it all again, and succeeds */
  m.disk_host.commit_hook = NULL;
  cr_expect(machine_disk_commit(&m, &err), "%s", err.msg);
  cr_expect_eq(m.stats.disk_commits, 1);
}

/* In a child: a machine with the image attached as --disk-write does, or
 * the child's end with status 2. */
static void child_writer(machine *c) {
  machine_config cfg = {.mem_mib = 1};
  host_error err;
  if (!machine_init(c, &cfg, &err) || !machine_disk_attach(c, image, true, &err)) {
    _exit(2);
  }
}

/* In a child: attaches the image with --disk-write, rewrites every sector
 * as generation 1 and commits, with plan deciding where it dies. */
static void child_commit(hook_plan *plan) {
  machine c;
  child_writer(&c);
  for (uint32_t s = 0; s < NSECT; s += PV_DISK_MAX_COUNT) {
    uint32_t n = NSECT - s < PV_DISK_MAX_COUNT ? NSECT - s : PV_DISK_MAX_COUNT;
    fill(&c, BUF, s, n, 1);
    if (call_on(&c, PV_HC_DISK_WRITE, s, BUF, n) != PV_OK) _exit(3);
  }
  if (plan) {
    c.disk_host.commit_hook = hook;
    c.disk_host.commit_hook_ctx = plan;
  }
  host_error err;
  _exit(machine_disk_commit(&c, &err) ? 0 : 4);
}

/* The image is wholly generation 0 or wholly generation 1: which one. */
static unsigned whole_generation(void) {
  size_t n;
  uint8_t *p = slurp(image, &n);
  cr_assert_eq(n, (size_t)NSECT * SECTOR, "torn image: %zu bytes", n);
  unsigned gen = p[0] == pattern(0, 0, 0) ? 0 : 1;
  for (uint32_t s = 0; s < NSECT; s++) {
    for (uint32_t i = 0; i < SECTOR; i++) {
      if (p[(size_t)s * SECTOR + i] != pattern(s, i, gen)) {
        free(p);
        cr_assert_fail("torn image: sector %u is not generation %u like sector 0", s, gen);
      }
    }
  }
  free(p);
  return gen;
}

/* A commit killed before its rename leaves its temporary file (documented):
 * checks that is all it left, and removes it. */
static void remove_strays(void) {
  DIR *d = opendir(dir);
  cr_assert(d);
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    const char *name = e->d_name;
    if (!strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, "disk.img")) {
      continue;
    }
    cr_expect(strncmp(name, "disk.img.pvlab-", 15) == 0, "stray file %s", name);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cr_expect_eq(unlink(path), 0);
  }
  closedir(d);
}

static int run_child(hook_plan *plan) {
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) child_commit(plan);
  int st;
  cr_assert_eq(waitpid(pid, &st, 0), pid);
  return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

Test(disk, killed_at_every_step_of_a_commit_the_image_is_old_or_new) {
  struct { dev_disk_step step; int nth; unsigned gen; } kills[] = {
    {DEV_DISK_STEP_CREATE, 1, 0},
    {DEV_DISK_STEP_COPY, 1, 0},   /* before the first chunk */
    {DEV_DISK_STEP_COPY, 2, 0},   /* half copied (2 chunks of 300 sectors) */
    {DEV_DISK_STEP_SYNC, 1, 0},
    {DEV_DISK_STEP_RENAME, 1, 0}, /* complete, synced, not yet renamed */
    {DEV_DISK_STEP_SYNC_DIR, 1, 1},
  };
  for (size_t k = 0; k < sizeof kills / sizeof kills[0]; k++) {
    make_image(image, NSECT, 0);
    hook_plan plan = {kills[k].step, kills[k].nth, true, 0};
    int status = run_child(&plan);
    cr_expect_eq(status, 128 + SIGKILL, "%s #%d: child ended with %d",
                 step_names[kills[k].step], kills[k].nth, status);
    cr_expect_eq(whole_generation(), kills[k].gen, "killed before %s #%d",
                 step_names[kills[k].step], kills[k].nth);
    remove_strays();
  }
  /* and with no kill the child commits */
  make_image(image, NSECT, 0);
  cr_expect_eq(run_child(NULL), 0);
  cr_expect_eq(whole_generation(), 1);
}

#define BIG 16384u /* sectors: 8 MiB, so that a commit takes a while */

/* Forks a child that rewrites the whole big image as new and commits;
 * returns when the commit is about to start. */
static pid_t start_big_commit(const uint8_t *new) {
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    machine c;
    child_writer(&c);
    for (uint32_t s = 0; s < BIG; s += PV_DISK_MAX_COUNT) {
      memcpy(host(&c, BUF), new + (size_t)s * SECTOR, PV_DISK_MAX_COUNT * SECTOR);
      if (call_on(&c, PV_HC_DISK_WRITE, s, BUF, PV_DISK_MAX_COUNT) != PV_OK) _exit(3);
    }
    if (write(fds[1], "!", 1) != 1) _exit(5);
    host_error err;
  _exit(machine_disk_commit(&c, &err) ? 0 : 4);
  }
  close(fds[1]);
  char c;
  cr_assert_eq(read(fds[0], &c, 1), 1, "the child died before its commit");
  close(fds[0]);
  return pid;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

Test(disk, killed_at_random_moments_the_image_is_old_or_new, .timeout = 120) {
  snprintf(image, sizeof image, "%s/big.img", dir);
  uint8_t *old = image_bytes(BIG, 0);
  uint8_t *new = image_bytes(BIG, 1);
  size_t size = (size_t)BIG * SECTOR;
  /* one commit undisturbed, to learn how long one takes here */
  write_file(image, old, size);
  pid_t pid = start_big_commit(new);
  double t0 = now_seconds();
  int st;
  cr_assert_eq(waitpid(pid, &st, 0), pid);
  double commit = now_seconds() - t0;
  cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the commit failed");
  /* then kills at moments spread over that time (and a little after) */
  srand((unsigned)time(NULL));
  int olds = 0, news = 0;
  for (int round = 0; round < 16; round++) {
    write_file(image, old, size);
    pid = start_big_commit(new);
    double at = commit * 1.2 * (double)rand() / RAND_MAX;
    struct timespec delay = {(time_t)at, (long)((at - (double)(time_t)at) * 1e9)};
    nanosleep(&delay, NULL);
    kill(pid, SIGKILL);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    size_t n;
    uint8_t *p = slurp(image, &n);
    bool is_old = n == size && memcmp(p, old, n) == 0;
    bool is_new = n == size && memcmp(p, new, n) == 0;
    free(p);
    cr_expect(is_old || is_new, "round %d (killed %.1f ms into a %.1f ms "
              "commit): the image is torn", round, at * 1e3, commit * 1e3);
    olds += is_old;
    news += is_new;
  }
  cr_log_info("a commit takes %.1f ms; killed at random moments in it, %d "
              "left the old image, %d the new", commit * 1e3, olds, news);
  free(old);
  free(new);
}

/* ------------------------------------------------------ sparse images */

/* Writes generation gen's bytes of sectors [s, s + n) into the file at fd. */
static void put_sectors(int fd, uint32_t s, uint32_t n, unsigned gen) {
  uint8_t *p = malloc((size_t)n * SECTOR);
  cr_assert(p);
  for (uint32_t k = 0; k < n; k++) {
    for (uint32_t i = 0; i < SECTOR; i++) p[(size_t)k * SECTOR + i] = pattern(s + k, i, gen);
  }
  cr_assert_eq(pwrite(fd, p, (size_t)n * SECTOR, (off_t)s * SECTOR), (ssize_t)n * SECTOR);
  free(p);
}

/* A new image at path of sectors sectors, all hole, with runs[] of
 * (first, count, gen) written as data. */
static void make_sparse(const char *path, uint32_t sectors, const uint32_t (*runs)[3],
                        size_t n) {
  unlink(path);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  cr_assert(fd >= 0, "cannot create %s", path);
  cr_assert_eq(ftruncate(fd, (off_t)sectors * SECTOR), 0);
  for (size_t k = 0; k < n; k++) put_sectors(fd, runs[k][0], runs[k][1], runs[k][2]);
  cr_assert_eq(close(fd), 0);
}

/* Whether sector s of the file at fd is generation gen's (gen ~0u: zeros). */
static bool file_holds(int fd, uint32_t s, unsigned gen) {
  uint8_t p[SECTOR];
  cr_assert_eq(pread(fd, p, SECTOR, (off_t)s * SECTOR), SECTOR);
  for (uint32_t i = 0; i < SECTOR; i++) {
    if (p[i] != (gen == ~0u ? 0 : pattern(s, i, gen))) return false;
  }
  return true;
}

#define SPARSE (1u << 17) /* sectors: a 64 MiB image */

Test(disk, a_commit_keeps_a_sparse_image_sparse) {
  static const uint32_t data[][3] = {{1000, 10, 0}, {100000, 4, 0}};
  make_sparse(image, SPARSE, data, 2);
  attach(&m, true);
  fill(&m, BUF, 5, 3, 1); /* into a hole */
  expect_status(disk_write(5, BUF, 3), PV_OK);
  fill(&m, BUF, 1002, 1, 2); /* over data */
  expect_status(disk_write(1002, BUF, 1), PV_OK);
  memset(host(&m, BUF), 0, 4 * SECTOR); /* data zeroed: may become a hole */
  expect_status(disk_write(100000, BUF, 4), PV_OK);
  expect_status(flush(), PV_OK);
  struct stat st;
  cr_assert_eq(stat(image, &st), 0);
  cr_expect_eq(st.st_size, (off_t)SPARSE * SECTOR, "the size changed");
  /* two 128 KiB chunks hold data now; a dense copy would be 64 MiB */
  cr_expect_leq((uint64_t)st.st_blocks * 512, 512u << 10,
                "the committed image takes %llu KiB of a 64 MiB image",
                (unsigned long long)st.st_blocks / 2);
  int fd = open(image, O_RDONLY);
  cr_assert(fd >= 0);
  for (uint32_t s = 5; s < 8; s++) cr_expect(file_holds(fd, s, 1), "sector %u", s);
  for (uint32_t s = 1000; s < 1010; s++) {
    cr_expect(file_holds(fd, s, s == 1002 ? 2 : 0), "sector %u", s);
  }
  static const uint32_t zero[] = {0, 4, 8, 999, 1010, 50000, 100000, 100003, SPARSE - 1};
  for (size_t k = 0; k < sizeof zero / sizeof zero[0]; k++) {
    cr_expect(file_holds(fd, zero[k], ~0u), "sector %u is not zero", zero[k]);
  }
  close(fd);
  cr_expect_eq(dir_entries(NULL, 0), 1, "a temporary file was left");
}

/* The DISK section's payload of a snapshot of mm (a copy: free it). */
static uint8_t *disk_section(machine *mm, size_t *len) {
  snap_section sec[SNAP_MACHINE_SECTIONS];
  snap_buf bufs[SNAP_MACHINE_SECTIONS];
  size_t n = 0;
  host_error err = {{0}};
  cr_assert(snap_encode_machine(mm, sec, bufs, &n, &err), "%s", err.msg);
  uint8_t *copy = NULL;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(sec[i].tag, "DISK") == 0) {
      copy = malloc(sec[i].len);
      cr_assert(copy);
      memcpy(copy, sec[i].data, sec[i].len);
      *len = sec[i].len;
    }
  }
  for (size_t i = 0; i < n; i++) snap_buf_free(&bufs[i]);
  cr_assert(copy, "no DISK section");
  return copy;
}

#define HUGE (1u << 23) /* sectors: a 4 GiB image */

Test(disk, a_snapshot_of_a_big_sparse_image_costs_what_it_holds, .timeout = 60) {
  /* 64 KiB of text-like data across a chunk boundary, and the last sector */
  static const uint32_t data[][3] = {{3000000, 128, 0}, {HUGE - 1, 1, 0}};
  make_sparse(image, HUGE, data, 2);
  attach(&m, false);
  fill(&m, BUF, 7, 2, 1);
  expect_status(disk_write(7, BUF, 2), PV_OK);
  cpu_dirty_all(&m.cpu); /* the test wrote RAM behind the CPU's back */
  size_t len;
  uint8_t *disk = disk_section(&m, &len);
  /* the data and a little; a bitmap of every sector alone is 1 MiB */
  cr_expect_lt(len, 80u << 10, "the DISK section of a 4 GiB image holding "
               "64 KiB is %zu bytes", len);
  /* the whole machine round-trips */
  char snap[256];
  snprintf(snap, sizeof snap, "%s/big.pvsnap", dir);
  host_error err = {{0}};
  cr_assert(snap_save(&m, snap, &err), "%s", err.msg);
  machine r;
  init_machine(&r);
  cr_assert(snap_load(&r, snap, &err), "%s", err.msg);
  cr_expect_eq(machine_state_hash(&r), machine_state_hash(&m));
  cr_expect_eq(r.dev.disk.sectors, HUGE);
  static const struct { uint32_t s; unsigned gen; } want[] = {
    {3000000, 0}, {3000063, 0}, {3000127, 0}, {HUGE - 1, 0}, {7, 1}, {8, 1},
    {6, ~0u}, {2999999, ~0u}, {3000128, ~0u}, {HUGE - 2, ~0u},
  };
  for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
    memset(host(&r, BUF2), 0xcc, SECTOR);
    cr_assert_eq(call_on(&r, PV_HC_DISK_READ, want[k].s, BUF2, 1), PV_OK);
    bool ok = true;
    for (uint32_t i = 0; i < SECTOR; i++) {
      uint8_t b = want[k].gen == ~0u ? 0 : pattern(want[k].s, i, want[k].gen);
      ok = ok && host(&r, BUF2)[i] == b;
    }
    cr_expect(ok, "restored sector %u is wrong", want[k].s);
  }
  /* and saving the restored machine (its disk in memory) gives the same
   * section again */
  size_t len2;
  uint8_t *again = disk_section(&r, &len2);
  cr_expect(len2 == len && memcmp(again, disk, len) == 0,
            "the restored disk saves differently");
  free(again);
  free(disk);
  machine_free(&r);
}

/* Random bytes (which a snapshot stores rather than compresses) in
 * sectors [s, s + n) of the file at fd. */
static void put_random(int fd, uint32_t s, uint32_t n) {
  uint8_t *p = malloc((size_t)n * SECTOR);
  cr_assert(p);
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < (size_t)n * SECTOR; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    p[i] = (uint8_t)x;
  }
  cr_assert_eq(pwrite(fd, p, (size_t)n * SECTOR, (off_t)s * SECTOR), (ssize_t)n * SECTOR);
  free(p);
}

Test(disk, a_sparse_and_a_dense_image_save_the_same_bytes) {
  /* a snapshot depends on the image's contents, not on where the file
   * system keeps holes: the same contents, once with holes and once
   * written out in full, give the same section */
  const uint32_t sectors = 16384;
  size_t len[2];
  uint8_t *disk[2];
  for (int dense = 0; dense < 2; dense++) {
    unlink(image);
    int fd = open(image, O_WRONLY | O_CREAT | O_EXCL, 0644);
    cr_assert(fd >= 0);
    if (dense) {
      uint8_t *zeros = calloc(sectors, SECTOR);
      cr_assert(zeros);
      cr_assert_eq(write(fd, zeros, (size_t)sectors * SECTOR), (ssize_t)sectors * SECTOR);
      free(zeros);
    } else {
      cr_assert_eq(ftruncate(fd, (off_t)sectors * SECTOR), 0);
    }
    put_random(fd, 1000, 128); /* across the boundary of sector 1024 */
    put_sectors(fd, 9000, 40, 3);
    cr_assert_eq(close(fd), 0);
    attach(&m, false);
    disk[dense] = disk_section(&m, &len[dense]);
  }
  cr_expect(len[0] == len[1] && memcmp(disk[0], disk[1], len[0]) == 0,
            "sparse and dense images of the same contents save differently "
            "(%zu and %zu bytes)", len[0], len[1]);
  free(disk[0]);
  free(disk[1]);
}

/* ------------------------------------------- one writer, stray files */

/* A file in dir. */
static void touch(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  write_file(path, (const uint8_t *)"x", 1);
}

static bool exists(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return access(path, F_OK) == 0;
}

Test(disk, a_killed_commit_leaves_a_file_the_next_writer_removes) {
  hook_plan plan = {DEV_DISK_STEP_RENAME, 1, true, 0};
  cr_assert_eq(run_child(&plan), 128 + SIGKILL);
  char stray[256] = "";
  cr_assert_eq(dir_entries(NULL, 0), 2, "the killed commit left no file");
  DIR *d = opendir(dir);
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (strncmp(e->d_name, "disk.img.pvlab-", 15) == 0) {
      snprintf(stray, sizeof stray, "%s", e->d_name);
    }
  }
  closedir(d);
  cr_assert(stray[0], "no disk.img.pvlab-XXXXXX file");
  /* not ours: other names, another image's, a directory */
  touch("disk.img.pvlab-abc");
  touch("disk.img.pvlab-abcdefg");
  touch("other.img.pvlab-ABC123");
  touch("xdisk.img.pvlab-ABC123");
  char sub[256];
  snprintf(sub, sizeof sub, "%s/disk.img.pvlab-DIR123", dir);
  cr_assert_eq(mkdir(sub, 0700), 0);
  /* a live commit's (in this test, a file this process holds locked) */
  touch("disk.img.pvlab-LIVE12");
  char live[256];
  snprintf(live, sizeof live, "%s/disk.img.pvlab-LIVE12", dir);
  int live_fd = open(live, O_RDWR);
  cr_assert(live_fd >= 0);
  cr_assert_eq(dev_disk_lock(live_fd), 0);
  /* a read-only run only counts it */
  attach(&m, false);
  cr_expect_eq(m.disk_host.strays_left, 1);
  cr_expect_eq(m.disk_host.strays_removed, 0);
  cr_expect(exists(stray), "a read-only run removed %s", stray);
  /* a writer removes it, and only it */
  attach(&m, true);
  cr_expect_eq(m.disk_host.strays_removed, 1);
  cr_expect(!exists(stray), "%s is still there", stray);
  cr_expect(exists("disk.img.pvlab-abc") && exists("disk.img.pvlab-abcdefg") &&
            exists("other.img.pvlab-ABC123") && exists("xdisk.img.pvlab-ABC123") &&
            exists("disk.img.pvlab-DIR123"), "a file that is not a stray went");
  cr_expect(exists("disk.img.pvlab-LIVE12"), "a live commit's file was removed");
  close(live_fd);
  rmdir(sub);
  expect_image_unchanged();
}

/* A pipe's read end gets one line from a child. */
static void send_line(int fd, const char *text) {
  size_t n = strlen(text) + 1;
  cr_assert_eq(write(fd, text, n), (ssize_t)n);
}

static char *recv_line(int fd) {
  static char buf[1024];
  size_t n = 0;
  while (n < sizeof buf - 1 && read(fd, buf + n, 1) == 1 && buf[n]) n++;
  buf[n] = 0;
  return buf;
}

Test(disk, a_second_writer_is_refused_and_told_who_writes) {
  attach(&m, true);
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    machine c;
    machine_config cfg = {.mem_mib = 1};
    host_error err = {{0}};
    if (!machine_init(&c, &cfg, &err)) _exit(2);
    bool attached = machine_disk_attach(&c, image, true, &err);
    send_line(fds[1], attached ? "attached" : err.msg);
    /* read-only is fine beside a writer */
    send_line(fds[1], machine_disk_attach(&c, image, false, &err) ? "ok" : err.msg);
    _exit(0);
  }
  close(fds[1]);
  char *msg = recv_line(fds[0]);
  char who[64];
  snprintf(who, sizeof who, "(process %ld)", (long)getpid());
  cr_expect(strstr(msg, image), "the message does not name the image: %s", msg);
  cr_expect(strstr(msg, "is being written by another pvlab run with "
                   "--disk-write"), "%s", msg);
  cr_expect(strstr(msg, who), "the message does not name %s: %s", who, msg);
  cr_expect(strstr(msg, "wait for that run to end, or leave out --disk-write"), "%s", msg);
  cr_expect_str_eq(recv_line(fds[0]), "ok");
  close(fds[0]);
  int st;
  cr_assert_eq(waitpid(pid, &st, 0), pid);
  /* the writer's commits go on, and its lock with them */
  fill(&m, BUF, 3, 1, 1);
  expect_status(disk_write(3, BUF, 1), PV_OK);
  expect_status(flush(), PV_OK);
  machine other;
  init_machine(&other);
  host_error err = {{0}};
  cr_expect(!machine_disk_attach(&other, image, true, &err),
            "a second writer got the committed image");
  cr_expect(strstr(err.msg, "is being written by another pvlab run"), "%s", err.msg);
  /* and when the writer is done, the next one may start */
  machine_free(&m);
  init_machine(&m);
  cr_expect(machine_disk_attach(&other, image, true, &err), "%s", err.msg);
  machine_free(&other);
}

/* What taking the writer's lock on path gives: EAGAIN while one holds it. */
static int lock_of(const char *path) {
  int fd = open(path, O_RDWR);
  cr_assert(fd >= 0, "cannot open %s", path);
  int e = dev_disk_lock(fd);
  close(fd);
  return e;
}

typedef struct lock_probe {
  int before_rename, after_rename;
} lock_probe;

/* Just before the rename, the new file must be locked already (else the
 * name would stand for an unlocked file for a moment); after it, the
 * image is that file. */
static bool probe_hook(void *ctx, dev_disk_step s) {
  lock_probe *p = ctx;
  if (s == DEV_DISK_STEP_RENAME) {
    DIR *d = opendir(dir);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
      if (strncmp(e->d_name, "disk.img.pvlab-", 15) != 0) continue;
      char path[512];
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      p->before_rename = lock_of(path);
    }
    closedir(d);
  }
  if (s == DEV_DISK_STEP_SYNC_DIR) p->after_rename = lock_of(image);
  return true;
}

Test(disk, the_new_image_is_locked_before_it_takes_the_name) {
  attach(&m, true);
  cr_expect_eq(lock_of(image), EAGAIN, "the attached image is not locked");
  lock_probe probe = {-1, -1};
  m.disk_host.commit_hook = probe_hook;
  m.disk_host.commit_hook_ctx = &probe;
  fill(&m, BUF, 0, 1, 1);
  expect_status(disk_write(0, BUF, 1), PV_OK);
  expect_status(flush(), PV_OK);
  cr_expect_eq(probe.before_rename, EAGAIN, "the new file was not locked "
               "before the rename (%d)", probe.before_rename);
  cr_expect_eq(probe.after_rename, EAGAIN, "the image was not locked after "
               "the rename (%d)", probe.after_rename);
  machine_free(&m);
  init_machine(&m);
  cr_expect_eq(lock_of(image), 0, "the lock outlived the machine");
}

#define WRITER_ROUNDS 200u

/* In a child: tries to attach the image as a second writer until stop is
 * closed.  Should it ever get in, it writes every sector as generation 2
 * and commits once stop is closed, as a run that ends after the other
 * would; it reports "refused N, in 0|1" on res. */
static void second_writer(int stop, int res) {
  machine c;
  machine_config cfg = {.mem_mib = 1};
  host_error err = {{0}};
  if (!machine_init(&c, &cfg, &err)) _exit(2);
  fcntl(stop, F_SETFL, O_NONBLOCK);
  long refused = 0;
  bool in = false;
  char ch;
  while (read(stop, &ch, 1) != 0) {
    if (machine_disk_attach(&c, image, true, &err)) {
      in = true;
      break;
    }
    if (!strstr(err.msg, "is being written by another pvlab run")) {
      send_line(res, err.msg);
      _exit(3);
    }
    refused++;
  }
  if (in) {
    for (uint32_t s = 0; s < NSECT; s += PV_DISK_MAX_COUNT) {
      uint32_t n = NSECT - s < PV_DISK_MAX_COUNT ? NSECT - s : PV_DISK_MAX_COUNT;
      fill(&c, BUF, s, n, 2);
      if (call_on(&c, PV_HC_DISK_WRITE, s, BUF, n) != PV_OK) _exit(4);
    }
    fcntl(stop, F_SETFL, 0);
    while (read(stop, &ch, 1) > 0) {}
    if (!machine_disk_commit(&c, &err)) _exit(5);
  }
  char line[64];
  snprintf(line, sizeof line, "refused %ld, in %d", refused, in);
  send_line(res, line);
  _exit(0);
}

Test(disk, two_writers_at_once_lose_no_acknowledged_sector, .timeout = 120) {
  attach(&m, true);
  int stop[2], res[2];
  cr_assert_eq(pipe(stop), 0);
  cr_assert_eq(pipe(res), 0);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    close(stop[1]);
    close(res[0]);
    second_writer(stop[0], res[1]);
  }
  close(stop[0]);
  close(res[1]);
  /* the first writer: a sector at a time, each flushed and acknowledged,
   * while the second keeps trying, commits and renames included */
  for (uint32_t s = 0; s < WRITER_ROUNDS; s++) {
    fill(&m, BUF, s, 1, 1);
    cr_assert_eq(disk_write(s, BUF, 1), PV_OK);
    cr_assert_eq(flush(), PV_OK, "flush %u", s);
  }
  cr_expect_eq(m.stats.disk_commits, WRITER_ROUNDS);
  close(stop[1]);
  char *line = recv_line(res[0]);
  long refused = -1;
  int in = -1;
  cr_expect_eq(sscanf(line, "refused %ld, in %d", &refused, &in), 2,
               "the second writer says: %s", line);
  close(res[0]);
  int st;
  cr_assert_eq(waitpid(pid, &st, 0), pid);
  cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the second writer failed");
  cr_expect_eq(in, 0, "a second writer got in after %ld refusals", refused);
  cr_expect_gt(refused, 0);
  cr_log_info("the second writer was refused %ld times during %u commits",
              refused, WRITER_ROUNDS);
  expect_image_is(1, 0, WRITER_ROUNDS, 0);
}
