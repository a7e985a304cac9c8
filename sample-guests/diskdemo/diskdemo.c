/* diskdemo: reads a file system from the virtual disk.  The image is a
 * pvdisk (layout in sample-guests/mkdisk.py, which builds diskdemo.img):
 * sector 0 is a directory of up to 15 files, each file's data follows in
 * whole sectors.  The guest lists the directory, prints readme.txt, then
 * obeys commands from the console, one a line:
 *
 *   cat NAME          print a file
 *   write NAME TEXT   replace a file's contents with TEXT (it must fit the
 *                     sectors the file has) and flush the disk
 *   wait              wait for a disk event with no request in flight:
 *                     a deadlock, on purpose, to see pvlab report it
 *
 *   pvlab run --disk build/sample-guests/diskdemo.img diskdemo.elf
 *
 * Without --disk-write the writes stay in pvlab's memory and the image
 * file is unchanged; with it they are saved to the image. */
#include <stdio.h>
#include <string.h>

#include "pv.h"

#define SECTOR PV_DISK_SECTOR
#define MAX_FILES 15
#define NAME_LEN 20
#define MAX_FILE_SECTORS 64 /* the buffer below: 32 KiB */

struct entry {
  char name[NAME_LEN];
  uint32_t start, capacity, length;
};

static unsigned char header[SECTOR];
static struct entry files[MAX_FILES];
static uint32_t nfiles;
static unsigned char data[MAX_FILE_SECTORS * SECTOR];

static uint32_t le32(const unsigned char *p) {
  return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* One request, then the event it raises: requests are synchronous, so the
 * event is already pending and the wait returns at once. */
static int disk_io(int write, uint32_t sector, void *buf, uint32_t count) {
  pv_ret r = write ? pv_disk_write(sector, buf, count)
                   : pv_disk_read(sector, buf, count);
  if (r.status != PV_OK) {
    printf("diskdemo: disk_%s(%lu, %lu sectors) failed with status %ld\n",
           write ? "write" : "read", (unsigned long)sector,
           (unsigned long)count, r.status);
    return -1;
  }
  pv_event_wait(PV_EV_DISK);
  pv_event_ack(PV_EV_DISK);
  return 0;
}

static int load_directory(void) {
  pv_ret info = pv_disk_info();
  if (!(info.value2 & PV_DISK_ATTACHED)) {
    printf("diskdemo: no disk attached; run it with --disk diskdemo.img\n");
    return -1;
  }
  uint32_t sectors = (uint32_t)info.value;
  printf("disk: %lu sectors of %u bytes, writes %s\n", (unsigned long)sectors,
         SECTOR, (info.value2 & PV_DISK_PERSIST) ? "saved to the image"
                                                 : "kept in memory");
  if (disk_io(0, 0, header, 1) != 0) return -1;
  if (memcmp(header, "PVDISK01", 8) != 0) {
    printf("diskdemo: not a pvdisk image (no PVDISK01 in sector 0)\n");
    return -1;
  }
  nfiles = le32(header + 8);
  if (nfiles > MAX_FILES) nfiles = MAX_FILES;
  for (uint32_t i = 0; i < nfiles; i++) {
    const unsigned char *e = header + 16 + 32 * i;
    memcpy(files[i].name, e, NAME_LEN - 1);
    files[i].name[NAME_LEN - 1] = 0;
    files[i].start = le32(e + 20);
    files[i].capacity = le32(e + 24);
    files[i].length = le32(e + 28);
  }
  return 0;
}

static void list(void) {
  printf("%lu files:\n", (unsigned long)nfiles);
  for (uint32_t i = 0; i < nfiles; i++) {
    printf("  %-12s %5lu bytes  from sector %lu\n", files[i].name,
           (unsigned long)files[i].length, (unsigned long)files[i].start);
  }
}

static struct entry *find(const char *name) {
  for (uint32_t i = 0; i < nfiles; i++) {
    if (strcmp(files[i].name, name) == 0) return &files[i];
  }
  printf("diskdemo: no file '%s'\n", name);
  return NULL;
}

static void cat(const char *name) {
  struct entry *f = find(name);
  if (!f) return;
  if (f->capacity > MAX_FILE_SECTORS || f->length > f->capacity * SECTOR) {
    printf("diskdemo: %s is too large for this demo\n", name);
    return;
  }
  if (disk_io(0, f->start, data, f->capacity) != 0) return;
  printf("%s:\n", name);
  fwrite(data, 1, f->length, stdout);
}

/* Rewrites the file's sectors, then its directory entry, then flushes. */
static void write_file(const char *name, const char *text) {
  struct entry *f = find(name);
  if (!f) return;
  uint32_t len = (uint32_t)strlen(text);
  if (len > f->capacity * SECTOR || f->capacity > MAX_FILE_SECTORS) {
    printf("diskdemo: %lu bytes do not fit the %lu sectors of %s\n",
           (unsigned long)len, (unsigned long)f->capacity, name);
    return;
  }
  memset(data, 0, f->capacity * SECTOR);
  memcpy(data, text, len);
  if (disk_io(1, f->start, data, f->capacity) != 0) return;
  f->length = len;
  put_le32(header + 16 + 32 * (uint32_t)(f - files) + 28, len);
  if (disk_io(1, 0, header, 1) != 0) return;
  pv_ret r = pv_disk_flush();
  printf("wrote %lu bytes to %s%s\n", (unsigned long)len, name,
         r.status == PV_OK ? "" : " (the flush failed)");
}

int main(void) {
  if (load_directory() != 0) return 1;
  list();
  cat("readme.txt");
  char line[600];
  while (fgets(line, sizeof line - 1, stdin)) { /* room for the "\n" */
    line[strcspn(line, "\n")] = 0;
    if (strncmp(line, "cat ", 4) == 0) {
      cat(line + 4);
    } else if (strncmp(line, "write ", 6) == 0) {
      char *name = line + 6, *text = strchr(name, ' ');
      if (!text) {
        printf("diskdemo: usage: write NAME TEXT\n");
        continue;
      }
      *text++ = 0;
      size_t n = strlen(text);
      text[n] = '\n'; /* the file gets a line */
      text[n + 1] = 0;
      write_file(name, text);
    } else if (strcmp(line, "wait") == 0) {
      pv_event_ack(PV_EV_DISK);
      pv_event_wait(PV_EV_DISK); /* nothing in flight: pvlab stops here */
      printf("diskdemo: the wait returned\n");
    } else if (line[0]) {
      printf("diskdemo: commands are cat NAME, write NAME TEXT, wait\n");
    }
  }
  return 0;
}
