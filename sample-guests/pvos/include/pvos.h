/* What pvos's kernel and its user programs agree on besides the system
 * call numbers (syscalls.h): open()'s flags, fstat()'s answer, the
 * directory entries read() returns for a directory, and the limits a
 * program can run into. */
#ifndef PVOS_PVOS_H
#define PVOS_PVOS_H

#include <stdint.h>

/* open() flags: read-only is 0, as on Unix. */
#define O_RDONLY 0x000
#define O_WRONLY 0x001
#define O_RDWR   0x002
#define O_CREATE 0x200 /* create the file if it does not exist */
#define O_TRUNC  0x400 /* cut an existing file to length 0 */

/* Inode types (stat.type, and on disk: kernel/fs.h). */
#define T_DIR  1
#define T_FILE 2
#define T_DEV  3 /* the console */

struct stat {
  uint16_t type;  /* T_DIR, T_FILE or T_DEV */
  uint16_t nlink;
  uint32_t ino;   /* inode number (0 for the console) */
  uint32_t size;  /* in bytes */
};

/* The file system has one directory, "/", which holds every file.  Reading
 * it with read() gives these entries, 16 bytes each; inum 0 is a free slot. */
#define DIRSIZ 14
struct dirent {
  uint16_t inum;
  char name[DIRSIZ]; /* NUL-padded; not terminated when DIRSIZ long */
};

#define MAXARG    16  /* spawn(): at most this many arguments */
#define MAXARGLEN 128 /* each at most this long, with its NUL */
#define MAXPATH   64  /* a path, with its NUL ("/name" or "name") */
#define NOFILE    8   /* open files per process, the console's 0-2 included */

#endif
