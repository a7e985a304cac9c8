/* The file system calls: open, close, read, write, fstat.
 *
 * A file descriptor is an index into the process's ofile[] table.  Each
 * entry says what the descriptor is (the console, or a file by inode
 * number), where in the file the next read or write goes, and whether it
 * was opened for reading or writing.  spawn() gives every process 0, 1 and
 * 2 on the console; there is no fork() and no dup(), so an entry is never
 * shared and needs no reference count. */
#include "fs.h"
#include "kernel.h"

static struct file *fd_file(int fd) {
  if (fd < 0 || fd >= NOFILE) return NULL;
  struct file *f = &curproc->ofile[fd];
  return f->type == FD_NONE ? NULL : f;
}

/* Reads and writes go through this kernel buffer, a block at a time: the
 * user's buffer is reachable only through copyin and copyout (vm.c). */
static char iobuf[BSIZE];

int sys_read(void) {
  struct file *f = fd_file((int)argraw(0));
  uint32_t dst = argraw(1);
  int n = (int)argraw(2), total = 0;
  if (!f || !f->readable || n < 0) return -1;
  if (f->type == FD_CONSOLE) return console_read(curproc, dst, n);
  while (total < n) {
    uint32_t want = (uint32_t)(n - total) < BSIZE ? (uint32_t)(n - total) : BSIZE;
    int got = fs_read(f->inum, f->off, iobuf, want);
    if (got < 0) return -1;
    if (got == 0) break; /* the end of the file */
    if (copyout(curproc, dst + (uint32_t)total, iobuf, (uint32_t)got) < 0) return -1;
    f->off += (uint32_t)got;
    total += got;
  }
  return total;
}

int sys_write(void) {
  struct file *f = fd_file((int)argraw(0));
  uint32_t src = argraw(1);
  int n = (int)argraw(2), total = 0;
  if (!f || !f->writable || n < 0) return -1;
  if (f->type == FD_CONSOLE) return console_write(curproc, src, n);
  while (total < n) {
    uint32_t want = (uint32_t)(n - total) < BSIZE ? (uint32_t)(n - total) : BSIZE;
    if (copyin(curproc, iobuf, src + (uint32_t)total, want) < 0) return -1;
    int put = fs_write(f->inum, f->off, iobuf, want);
    if (put < 0) return total > 0 ? total : -1;
    f->off += (uint32_t)put;
    total += put;
    if ((uint32_t)put < want) break; /* the disk or the file is full */
  }
  return total;
}

int sys_open(void) {
  char path[MAXPATH];
  int flags = (int)argraw(1), fd;
  struct stat st;
  if (copyinstr(curproc, path, argraw(0), sizeof path) < 0) return -1;
  uint32_t inum = flags & O_CREATE ? fs_create(path) : fs_lookup(path);
  int writing = (flags & (O_WRONLY | O_RDWR)) != 0;
  if (!inum || fs_stat(inum, &st) < 0 || (st.type == T_DIR && writing)) return -1;
  for (fd = 0; fd < NOFILE && curproc->ofile[fd].type != FD_NONE; fd++) {
  }
  if (fd == NOFILE) return -1;
  if ((flags & O_TRUNC) && writing && fs_truncate(inum) < 0) return -1;
  curproc->ofile[fd] = (struct file){
      .type = FD_INODE, .inum = inum, .readable = !(flags & O_WRONLY), .writable = writing};
  return fd;
}

int sys_close(void) {
  struct file *f = fd_file((int)argraw(0));
  if (!f) return -1;
  f->type = FD_NONE;
  return 0;
}

int sys_fstat(void) {
  struct file *f = fd_file((int)argraw(0));
  struct stat st = {.type = T_DEV, .nlink = 1};
  if (!f || (f->type == FD_INODE && fs_stat(f->inum, &st) < 0)) return -1;
  return copyout(curproc, argraw(1), &st, sizeof st);
}
