/* writetest: the test of exercise "fswrite".  It creates two files:
 * "greeting", one line, and "notes", about 20 KB (more than the 13 KiB an
 * inode's direct blocks hold, so it needs the indirect block too), reads
 * them back and compares.  Then `ls` shows them and `cat greeting` prints
 * the line. */
#include "user.h"

static char buf[20000], back[20000];

static int fail(const char *what) {
  printf("writetest: FAILED: %s\n", what);
  return 1;
}

int main(void) {
  static const char hello[] = "written by writetest\n";
  struct stat st;
  int fd = open("greeting", O_CREATE | O_WRONLY | O_TRUNC);
  if (fd < 0) return fail("open(\"greeting\", O_CREATE | O_WRONLY | O_TRUNC) gave -1");
  if (write(fd, hello, sizeof hello - 1) != sizeof hello - 1) return fail("write to greeting");
  close(fd);

  int n = 0;
  for (int line = 1; n + 40 < (int)sizeof buf; line++)
    n += snprintf(buf + n, sizeof buf - (size_t)n, "line %d of the notes\n", line);
  if ((fd = open("notes", O_CREATE | O_RDWR | O_TRUNC)) < 0) return fail("open(\"notes\", O_CREATE ...)");
  for (int done = 0; done < n; done += 1000) { /* in pieces, to grow it step by step */
    int k = n - done < 1000 ? n - done : 1000;
    if (write(fd, buf + done, k) != k) return fail("a write to notes came up short");
  }
  if (fstat(fd, &st) < 0 || st.size != (uint32_t)n) return fail("notes has the wrong size");
  close(fd);

  if ((fd = open("notes", O_RDONLY)) < 0) return fail("notes is not there after close");
  if (read(fd, back, sizeof back) != n || memcmp(buf, back, (size_t)n) != 0)
    return fail("notes does not read back as written");
  close(fd);
  printf("writetest: wrote %d bytes to notes and read them back\n", n);
  printf("writetest: OK\n");
  return 0;
}
