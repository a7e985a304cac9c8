/* lazytest: the test of exercise "lazy".  It asks sbrk() for 8 MiB and
 * touches three pages of it (the first, one in the middle and the last
 * byte), then has read() fill a fourth.  A lazy kernel gives it those four
 * pages and no more (the grader reads the kernel's kalloc_pages_peak to
 * check that), and every other byte reads as zero when first touched. */
#include "user.h"

#define HEAP (8 << 20)

int main(void) {
  char *heap = sbrk(HEAP);
  if (heap == (char *)-1) {
    printf("lazytest: FAILED: sbrk(8 MiB) refused\n");
    return 1;
  }
  printf("lazytest: sbrk(8 MiB) gave 0x%x; touching 3 pages\n", (unsigned)(uintptr_t)heap);
  heap[0] = 'a';
  heap[HEAP / 2] = 'b';
  heap[HEAP - 1] = 'c';
  if (heap[0] != 'a' || heap[HEAP / 2] != 'b' || heap[HEAP - 1] != 'c') {
    printf("lazytest: FAILED: the heap did not keep what was written\n");
    return 1;
  }
  if (heap[1] != 0 || heap[HEAP / 2 + 100] != 0 || heap[HEAP - 2] != 0) {
    printf("lazytest: FAILED: a new heap page is not zero\n");
    return 1;
  }
  /* a system call writing into a page never touched must work too */
  int fd = open("README", O_RDONLY);
  if (fd < 0 || read(fd, heap + HEAP / 4, 7) != 7 || memcmp(heap + HEAP / 4, "Welcome", 7) != 0) {
    printf("lazytest: FAILED: read() into an untouched heap page\n");
    return 1;
  }
  close(fd);
  if (sbrk(-HEAP) != heap + HEAP || sbrk(0) != heap) {
    printf("lazytest: FAILED: sbrk(-8 MiB) did not give the heap back\n");
    return 1;
  }
  printf("lazytest: OK\n");
  return 0;
}
