/* The pvos file system on disk: what mkfs.py writes and fs.c reads and
 * writes.  Every number is a little-endian 32- or 16-bit word.
 *
 *   block 0             the superblock
 *   blocks 1..          the inode table, 16 inodes of 64 bytes per block
 *   bmapstart..         the free-block bitmap, one bit per block of the disk
 *   datastart..size-1   data blocks: file contents, directory entries and
 *                       indirect blocks
 *
 * A block is 1024 bytes, two of the disk's 512-byte sectors.  Inode 0 is
 * never used (a directory entry with inum 0 is a free slot) and inode 1 is
 * the root directory, the only directory.  A file's blocks are addrs[0..12]
 * (direct) and then the 256 block numbers in the block addrs[13] names (the
 * indirect block): at most 269 KiB.  Block number 0 in addrs means "no block
 * yet", which is how a file grows: write past its end and the kernel takes a
 * free block from the bitmap (bit set = in use). */
#ifndef PVOS_FS_H
#define PVOS_FS_H

#include <stdint.h>

#define BSIZE 1024u
#define FS_MAGIC "PVOSFS1" /* 8 bytes with the NUL */
#define ROOTINO 1u
#define NDIRECT 13u
#define NINDIRECT (BSIZE / sizeof(uint32_t))
#define MAXFILE (NDIRECT + NINDIRECT) /* blocks */
#define BPB (BSIZE * 8)               /* bitmap bits per block */

struct superblock {
  char magic[8];       /* FS_MAGIC */
  uint32_t size;       /* blocks in the file system (the image's size) */
  uint32_t ninodes;    /* inodes in the table, inode 0 included */
  uint32_t inodestart; /* first block of the inode table */
  uint32_t bmapstart;  /* first block of the bitmap */
  uint32_t datastart;  /* first data block */
};

struct dinode {
  uint16_t type;                 /* 0: free; T_DIR or T_FILE (pvos.h) */
  uint16_t nlink;                /* directory entries naming it */
  uint32_t size;                 /* bytes */
  uint32_t addrs[NDIRECT + 1];   /* data blocks, then the indirect block */
};
#define IPB (BSIZE / sizeof(struct dinode)) /* inodes per block: 16 */

_Static_assert(sizeof(struct dinode) == 64, "mkfs.py writes 64-byte inodes");

#endif
