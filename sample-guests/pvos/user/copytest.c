/* copytest: the test of exercise "copy": system calls with pointers that
 * are good, bad, and good but awkward (a buffer or a string that crosses
 * from one page to the next).  A bad pointer must give -1, never a kernel
 * panic and never a partial result. */
#include "user.h"

static int failures;

#define CHECK(cond) \
  do { \
    if (!(cond)) { \
      printf("copytest: FAILED at copytest.c:%d: %s\n", __LINE__, #cond); \
      failures++; \
    } \
  } while (0)

int main(void) {
  static const char msg[] = "copytest: this line crosses a page boundary\n";
  void *bad[] = {NULL, (void *)0xfff, (void *)0x30000000, (void *)0x80000000,
                 (void *)0xfffffff0};
  struct stat st;
  char buf[32];
  int fd;
  /* two fresh heap pages: text placed to cross from the first to the second */
  char *heap = sbrk(2 * 4096), *cross = heap + 4096 - 20;
  memcpy(cross, msg, sizeof msg);
  CHECK(write(1, cross, (int)sizeof msg - 1) == (int)sizeof msg - 1);
  memcpy(heap + 4096 - 3, "README", 7); /* a path across the boundary */
  CHECK((fd = open(heap + 4096 - 3, O_RDONLY)) >= 0);
  CHECK(read(fd, heap + 4096 - 4, 15) == 15 && memcmp(heap + 4096 - 4, "Welcome to pvos", 15) == 0);
  CHECK(fstat(fd, (struct stat *)(heap + 4096 - 6)) == 0);
  memcpy(&st, heap + 4096 - 6, sizeof st);
  CHECK(st.type == T_FILE && st.size > 15);
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK(write(1, bad[i], 8) == -1);
    CHECK(read(fd, bad[i], 8) == -1);
    CHECK(open(bad[i], O_RDONLY) == -1);
    CHECK(fstat(fd, bad[i]) == -1);
    char *argv[] = {"echo", bad[i], NULL};
    if (bad[i]) CHECK(spawn("echo", argv) == -1); /* NULL ends argv */
  }
  CHECK(read(fd, (char *)main, 8) == -1);          /* code: no writing */
  CHECK(fstat(fd, (struct stat *)main) == -1);
  CHECK(write(1, heap + 2 * 4096 - 4, 8) == -1);  /* runs off the heap's end */
  CHECK(read(fd, heap + 2 * 4096 - 4, 8) == -1);
  memset(heap + 2 * 4096 - 8, 'x', 8);             /* a string with no NUL */
  CHECK(open(heap + 2 * 4096 - 8, O_RDONLY) == -1);
  memset(heap, 'y', 200);                          /* longer than any path */
  heap[200] = '\0';
  CHECK(open(heap, O_RDONLY) == -1);
  close(fd);
  CHECK(read(0, buf, -1) == -1);
  if (failures) return 1;
  printf("copytest: OK\n");
  return 0;
}
