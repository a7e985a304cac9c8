/* cat: copies each file named (or the console, with none) to the console. */
#include "user.h"

static int copy(int fd) {
  char buf[512];
  int n;
  while ((n = read(fd, buf, sizeof buf)) > 0)
    if (write(1, buf, n) != n) return -1;
  return n;
}

int main(int argc, char *argv[]) {
  if (argc < 2) return copy(0) < 0;
  int status = 0;
  for (int i = 1; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(2, "cat: %s: no such file\n", argv[i]);
      status = 1;
      continue;
    }
    if (copy(fd) < 0) {
      fprintf(2, "cat: %s: read error\n", argv[i]);
      status = 1;
    }
    close(fd);
  }
  return status;
}
