/* The disk image opener under fire (devices/disk_image.c), and what a
 * guest and a snapshot then do with the image: any bytes as a disk image
 * file.  It is attached only if it is a whole number of 512-byte sectors
 * (else refused with a message naming the file, and no disk); attached,
 * every sector reads back as the file holds it; then diskdemo.elf (from
 * GUESTS) reads the image as its file system, lists it, prints and
 * rewrites files, committing to the image when it has an odd number of
 * sectors (--disk-write), for a bounded number of instructions; then the machine
 * goes through a snapshot into a second one, which must hash the same
 * and run on the same.  Anything else aborts, and the sanitizers see
 * every bad access on the way.
 *
 * Built with -Dfuzz=true (clang) it is the libFuzzer target fuzz_disk
 * (GUESTS must name the sample guests); otherwise, with
 * tests/fuzz/fuzz_driver.c, the test fuzz_disk_corpus over
 * tests/fuzz/corpus/disk. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine.h"
#include "snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RUN_INSNS 400000u
#define MORE_INSNS 50000u

static char dir[64], image[128], guest[4096];

static void cleanup(void) {
  unlink(image);
  rmdir(dir);
}

static void setup(void) {
  const char *guests = getenv("GUESTS");
  if (!guests) {
    fprintf(stderr, "fuzz_disk: GUESTS is not set: point it at the sample guests "
            "(BUILD/sample-guests), or run it with 'meson test'\n");
    exit(2);
  }
  snprintf(guest, sizeof guest, "%s/diskdemo.elf", guests);
  snprintf(dir, sizeof dir, "/tmp/pvlab-fuzz-disk-XXXXXX");
  if (!mkdtemp(dir)) {
    perror("fuzz_disk: mkdtemp");
    exit(2);
  }
  snprintf(image, sizeof image, "%s/disk.img", dir);
  atexit(cleanup);
}

static void write_image(const uint8_t *data, size_t size) {
  FILE *f = fopen(image, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
    fprintf(stderr, "fuzz_disk: cannot write %s\n", image);
    exit(2);
  }
}

static const char input[] = "cat readme.txt\nwrite notes.txt fuzzed\ncat notes.txt\n"
                            "cat poem.txt\nwrite x y\n";

/* A machine running diskdemo, its console reading from input + from. */
static void start(machine *m, dev_console_mem *con, size_t from) {
  machine_config cfg = {.mem_mib = 1, .seed = 9};
  host_error err;
  if (!machine_init(m, &cfg, &err) || !machine_load_elf(m, guest, &err)) {
    fprintf(stderr, "fuzz_disk: %s\n", err.msg);
    exit(2);
  }
  *con = (dev_console_mem){.in = (const uint8_t *)input + from, .in_len = sizeof input - 1 - from};
  m->console_io = dev_console_mem_backend(con);
}

/* m through a snapshot into a fresh machine: the same hash, and the
 * same after running on (the copy's console has the input m's has not
 * read yet: consoles are not in a snapshot). */
static void roundtrip(machine *m, const dev_console_mem *con_m) {
  snap_section sec[SNAP_MACHINE_SECTIONS];
  snap_buf bufs[SNAP_MACHINE_SECTIONS], file = {0};
  size_t n = 0;
  host_error err;
  if (!snap_encode_machine(m, sec, bufs, &n, &err) ||
      !snap_file_encode(&file, SNAP_KIND_SNAPSHOT, sec, n)) {
    abort();
  }
  snap_file f;
  machine copy;
  dev_console_mem con;
  start(&copy, &con, con_m->in_pos);
  if (!snap_file_parse(&f, file.p, file.len, "fuzz.pvsnap", &err) || !snap_restore(&copy, &f, &err)) {
    fprintf(stderr, "fuzz_disk: a snapshot of the machine does not restore: %s\n", err.msg);
    abort();
  }
  if (machine_state_hash(&copy) != machine_state_hash(m)) abort();
  machine_run(m, m->cpu.s.icount + MORE_INSNS);
  machine_run(&copy, copy.cpu.s.icount + MORE_INSNS);
  if (machine_state_hash(&copy) != machine_state_hash(m)) abort();
  snap_file_free(&f);
  for (size_t i = 0; i < n; i++) snap_buf_free(&bufs[i]);
  snap_buf_free(&file);
  machine_free(&copy);
  dev_console_mem_free(&con);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!dir[0]) setup();
  write_image(data, size);
  machine m;
  dev_console_mem con;
  start(&m, &con, 0);
  bool persist = size / PV_DISK_SECTOR % 2 == 1; /* from the input: a crash reproduces */
  host_error err;
  err.msg[0] = 0;
  bool whole = size > 0 && size % PV_DISK_SECTOR == 0;
  bool ok = machine_disk_attach(&m, image, persist, &err);
  if (ok != whole) abort();
  if (!ok) {
    if (!strstr(err.msg, image) || m.dev.disk.attached) abort();
  } else {
    if (!m.dev.disk.attached || m.dev.disk.sectors != size / PV_DISK_SECTOR) abort();
    static uint8_t sector[PV_DISK_SECTOR];
    for (uint32_t i = 0; i < m.dev.disk.sectors; i++) {
      if (!dev_disk_image_read(&m.disk_host, i, 1, sector) ||
          memcmp(sector, data + (size_t)i * PV_DISK_SECTOR, PV_DISK_SECTOR) != 0) {
        abort();
      }
    }
  }
  machine_stop st = machine_run(&m, RUN_INSNS);
  if (st == MACHINE_STOP_HOST_ERROR && !m.host_fault.msg[0]) abort(); /* says why */
  if (ok && persist) {
    err.msg[0] = 0;
    if (!machine_disk_commit(&m, &err) && !err.msg[0]) abort();
  }
  if (st != MACHINE_STOP_HOST_ERROR) roundtrip(&m, &con);
  machine_free(&m);
  dev_console_mem_free(&con);
  return 0;
}
