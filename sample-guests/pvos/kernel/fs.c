/* The file system: files in one directory on the block device, in the
 * layout kernel/fs.h describes (mkfs.py builds the image).
 *
 * Deliberately simple: no cache (each call reads the blocks it needs;
 * pvlab's disk requests are synchronous and cheap), no journal, one
 * directory.  Nothing here is ever in a half-done state that another
 * process could see, because the kernel is never interrupted (kernel.h):
 * each function runs to its end before anything else happens.
 *
 * Files are named by inode number (inum) everywhere else in the kernel;
 * the names exist only in the root directory, as struct dirent entries. */
#include <string.h>

#include "fs.h"
#include "kernel.h"

static struct superblock sb;

/* One buffer per job, so that a function using one never calls a function
 * that reuses it. */
static uint8_t ibuf[BSIZE], dbuf[BSIZE], bmbuf[BSIZE];
static const uint8_t zeros[BSIZE];
static uint32_t indirect[NINDIRECT];

static int bread(uint32_t b, void *buf) {
  if (b >= sb.size) return -1;
  return pv_disk_read(b * 2, buf, BSIZE / PV_DISK_SECTOR).status == PV_OK ? 0 : -1;
}

static int bwrite(uint32_t b, const void *buf) {
  if (b >= sb.size) return -1;
  return pv_disk_write(b * 2, buf, BSIZE / PV_DISK_SECTOR).status == PV_OK ? 0 : -1;
}

int fs_init(void) {
  pv_ret d = pv_disk_info();
  if (!(d.value2 & PV_DISK_ATTACHED)) return -1;
  sb.size = (uint32_t)d.value / 2; /* enough for bread() to read block 0 */
  if (bread(0, dbuf) < 0) return -1;
  memcpy(&sb, dbuf, sizeof sb);
  if (memcmp(sb.magic, FS_MAGIC, sizeof sb.magic) != 0) return -1;
  if (sb.size > d.value / 2 || sb.inodestart != 1 || sb.ninodes < 2 ||
      sb.bmapstart <= sb.inodestart || sb.datastart <= sb.bmapstart ||
      sb.datastart >= sb.size)
    return -1;
  return 0;
}

static int iread(uint32_t inum, struct dinode *di) {
  if (inum == 0 || inum >= sb.ninodes) return -1;
  if (bread(sb.inodestart + inum / IPB, ibuf) < 0) return -1;
  memcpy(di, ibuf + (inum % IPB) * sizeof *di, sizeof *di);
  return 0;
}

static int iwrite(uint32_t inum, const struct dinode *di) {
  uint32_t b = sb.inodestart + inum / IPB;
  if (bread(b, ibuf) < 0) return -1;
  memcpy(ibuf + (inum % IPB) * sizeof *di, di, sizeof *di);
  return bwrite(b, ibuf);
}

/* A free data block, marked used in the bitmap and zeroed on disk; 0 when
 * the disk is full. */
static uint32_t balloc(void) {
#ifndef EXERCISE_FSWRITE
  for (uint32_t base = 0; base < sb.size; base += BPB) {
    if (bread(sb.bmapstart + base / BPB, bmbuf) < 0) return 0;
    for (uint32_t i = 0; i < BPB && base + i < sb.size; i++) {
      uint32_t b = base + i;
      if (b < sb.datastart || (bmbuf[i / 8] & (1u << (i % 8)))) continue;
      bmbuf[i / 8] |= (uint8_t)(1u << (i % 8));
      if (bwrite(sb.bmapstart + base / BPB, bmbuf) < 0 || bwrite(b, zeros) < 0) return 0;
      return b;
    }
  }
  return 0;
#else
  /* TODO(fswrite): find a clear bit in the bitmap for a block at or after
   * sb.datastart, set it, write the bitmap block back, zero the data block
   * on disk and return its number (0 if the disk is full).  bfree() below
   * is the same walk the other way.  See README.md. */
  (void)bmbuf, (void)zeros;
  return 0;
#endif
}

static void bfree(uint32_t b) {
  uint32_t i = b % BPB;
  if (bread(sb.bmapstart + b / BPB, bmbuf) < 0) return;
  bmbuf[i / 8] &= (uint8_t)~(1u << (i % 8));
  bwrite(sb.bmapstart + b / BPB, bmbuf);
}

/* The disk block that holds block bn of the file, or 0 if there is none
 * (with alloc: if there is none and no free block to give it). */
static uint32_t bmap(struct dinode *di, uint32_t bn, int alloc) {
  if (bn < NDIRECT) {
    if (!di->addrs[bn] && alloc) di->addrs[bn] = balloc();
    return di->addrs[bn];
  }
  bn -= NDIRECT;
  if (bn >= NINDIRECT) return 0;
  if (!di->addrs[NDIRECT]) {
    if (!alloc || !(di->addrs[NDIRECT] = balloc())) return 0;
  }
  if (bread(di->addrs[NDIRECT], indirect) < 0) return 0;
  if (!indirect[bn] && alloc) {
    if (!(indirect[bn] = balloc()) || bwrite(di->addrs[NDIRECT], indirect) < 0) return 0;
  }
  return indirect[bn];
}

/* Reads up to n bytes at offset off of file inum into kernel memory dst;
 * the bytes read (0 at or past the end) or -1. */
int fs_read(uint32_t inum, uint32_t off, void *dst, uint32_t n) {
  struct dinode di;
  if (iread(inum, &di) < 0 || di.type == 0) return -1;
  if (off >= di.size) return 0;
  if (n > di.size - off) n = di.size - off;
  for (uint32_t done = 0; done < n;) {
    uint32_t b = bmap(&di, off / BSIZE, 0), at = off % BSIZE;
    uint32_t k = BSIZE - at < n - done ? BSIZE - at : n - done;
    if (!b) memset(dbuf, 0, BSIZE); /* a block never written reads as zeros */
    else if (bread(b, dbuf) < 0) return -1;
    memcpy((char *)dst + done, dbuf + at, k);
    done += k, off += k;
  }
  return (int)n;
}

/* Writes n bytes from kernel memory src at offset off of file inum,
 * growing it (off may be at most its size: no holes); the bytes written,
 * fewer if the disk fills up or the file reaches its largest size, or -1. */
int fs_write(uint32_t inum, uint32_t off, const void *src, uint32_t n) {
#ifndef EXERCISE_FSWRITE
  struct dinode di;
  if (iread(inum, &di) < 0 || di.type == 0 || off > di.size) return -1;
  if (off > MAXFILE * BSIZE) return -1;
  if (n > MAXFILE * BSIZE - off) n = MAXFILE * BSIZE - off;
  uint32_t done = 0;
  while (done < n) {
    uint32_t b = bmap(&di, off / BSIZE, 1), at = off % BSIZE;
    uint32_t k = BSIZE - at < n - done ? BSIZE - at : n - done;
    if (!b) break; /* the disk is full */
    if (k < BSIZE && bread(b, dbuf) < 0) break; /* keep the rest of the block */
    memcpy(dbuf + at, (const char *)src + done, k);
    if (bwrite(b, dbuf) < 0) break;
    done += k, off += k;
  }
  if (off > di.size) di.size = off;
  /* bmap() may have added blocks even if no byte made it: save them */
  if (iwrite(inum, &di) < 0) return -1;
  return done > 0 || n == 0 ? (int)done : -1;
#else
  /* TODO(fswrite): write n bytes at off, a block at a time: bmap(&di, bn, 1)
   * finds or allocates each block; read it first when only part of it
   * changes; then update di.size and write the inode back (iwrite).
   * See README.md. */
  (void)inum, (void)off, (void)src, (void)n;
  return -1;
#endif
}

/* "name", "/name", "/", "." or "": the name in the root directory, or ""
 * for the root itself; NULL for a path with a directory in it. */
static const char *fs_name(const char *path) {
  while (*path == '/') path++;
  if (strcmp(path, ".") == 0) return "";
  return strchr(path, '/') ? NULL : path;
}

/* The slot of name in the root directory, or -1; *free_slot (if not NULL)
 * gets the first free slot, or the end of the directory. */
static int dir_find(const char *name, struct dirent *found, uint32_t *free_slot) {
  struct dirent de;
  uint32_t off = 0;
  if (free_slot) *free_slot = UINT32_MAX;
  for (;; off += sizeof de) {
    if (fs_read(ROOTINO, off, &de, sizeof de) != (int)sizeof de) break;
    if (de.inum == 0) {
      if (free_slot && *free_slot == UINT32_MAX) *free_slot = off;
      continue;
    }
    if (strncmp(de.name, name, DIRSIZ) == 0) {
      if (found) *found = de;
      return (int)off;
    }
  }
  if (free_slot && *free_slot == UINT32_MAX) *free_slot = off;
  return -1;
}

uint32_t fs_lookup(const char *path) {
  const char *name = fs_name(path);
  struct dirent de;
  if (!name) return 0;
  if (!*name) return ROOTINO;
  return dir_find(name, &de, NULL) >= 0 ? de.inum : 0;
}

/* Creates an empty file named by path in the root directory (or finds the
 * one that is there); its inum, or 0. */
uint32_t fs_create(const char *path) {
  const char *name = fs_name(path);
  if (!name || !*name || strlen(name) > DIRSIZ) return 0;
  uint32_t inum = fs_lookup(path);
  if (inum) return inum;
#ifndef EXERCISE_FSWRITE
  struct dinode di;
  for (inum = ROOTINO + 1; inum < sb.ninodes; inum++) { /* a free inode */
    if (iread(inum, &di) < 0) return 0;
    if (di.type == 0) break;
  }
  if (inum >= sb.ninodes) return 0;
  memset(&di, 0, sizeof di);
  di.type = T_FILE;
  di.nlink = 1;
  uint32_t slot;
  struct dirent de = {.inum = (uint16_t)inum};
  memcpy(de.name, name, strlen(name)); /* NUL-padded, not terminated at DIRSIZ */
  dir_find(name, NULL, &slot);
  /* the inode first: a crash in between leaves an unnamed inode, never a
   * name for a free one */
  if (iwrite(inum, &di) < 0) return 0;
  if (fs_write(ROOTINO, slot, &de, sizeof de) != (int)sizeof de) {
    di.type = 0;
    iwrite(inum, &di);
    return 0;
  }
  return inum;
#else
  /* TODO(fswrite): find a free inode (type 0) after ROOTINO, make it an
   * empty T_FILE with nlink 1 (iwrite), then add a struct dirent naming it
   * to the root directory: in the first free slot dir_find() reports, with
   * fs_write(ROOTINO, ...).  Return its inum, or 0.  See README.md. */
  return 0;
#endif
}

/* Cuts a file to length 0 and gives its blocks back (O_TRUNC). */
int fs_truncate(uint32_t inum) {
  struct dinode di;
  if (iread(inum, &di) < 0 || di.type != T_FILE) return -1;
  for (uint32_t i = 0; i < NDIRECT; i++)
    if (di.addrs[i]) bfree(di.addrs[i]);
  if (di.addrs[NDIRECT] && bread(di.addrs[NDIRECT], indirect) == 0) {
    for (uint32_t i = 0; i < NINDIRECT; i++)
      if (indirect[i]) bfree(indirect[i]);
    bfree(di.addrs[NDIRECT]);
  }
  memset(di.addrs, 0, sizeof di.addrs);
  di.size = 0;
  return iwrite(inum, &di);
}

int fs_stat(uint32_t inum, struct stat *st) {
  struct dinode di;
  if (iread(inum, &di) < 0 || di.type == 0) return -1;
  *st = (struct stat){.type = di.type, .nlink = di.nlink, .ino = inum, .size = di.size};
  return 0;
}

uint32_t fs_nfiles(void) {
  struct dirent de;
  uint32_t n = 0;
  for (uint32_t off = 0; fs_read(ROOTINO, off, &de, sizeof de) == (int)sizeof de; off += sizeof de)
    n += de.inum != 0;
  return n;
}
