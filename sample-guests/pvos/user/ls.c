/* ls: lists the files, with their sizes.  The one directory is a file of
 * struct dirent entries: read() gives them like any other file's bytes. */
#include "user.h"

static int show(const char *name) {
  struct stat st;
  int fd = open(name, O_RDONLY);
  if (fd < 0 || fstat(fd, &st) < 0) {
    fprintf(2, "ls: %s: no such file\n", name);
    return 1;
  }
  close(fd);
  printf("%-14s %6u\n", name, (unsigned)st.size);
  return 0;
}

static int list_dir(void) {
  struct dirent de;
  char name[DIRSIZ + 1];
  int fd = open("/", O_RDONLY);
  if (fd < 0) {
    fprintf(2, "ls: cannot open the directory\n");
    return 1;
  }
  while (read(fd, &de, sizeof de) == sizeof de) {
    if (de.inum == 0) continue; /* a free slot */
    memcpy(name, de.name, DIRSIZ);
    name[DIRSIZ] = '\0';
    show(name);
  }
  close(fd);
  return 0;
}

int main(int argc, char *argv[]) {
  if (argc < 2) return list_dir();
  int status = 0;
  for (int i = 1; i < argc; i++) status |= show(argv[i]);
  return status;
}
