/* usertests: the kernel's own test program.  It makes every system call,
 * the ways that must work and the ways that must fail (bad pointers, bad
 * file descriptors, missing files, wait() with no children, faults), and
 * ends with "usertests: ALL PASSED" and status 0, or names each check that
 * failed and exits with 1.
 *
 * It never reads the console: the shell's next lines must stay where they
 * are.  Checks that need a process to die run in a child (usertests with
 * an argument, see child()), and the parent looks at its exit status. */
#include "user.h"

/* Weak: in exercise "syscall" getppid() does not exist until the student
 * adds it, and usertests must still build (it is then NULL). */
int getppid(void) __attribute__((weak));
int main(int argc, char *argv[]); /* its address: a read-only code page */

static const char *current; /* the test running */
static int failures, failed_tests;

static void failed(int line, const char *what) {
  printf("usertests: %s: FAILED at usertests.c:%d: %s\n", current, line, what);
  failures++;
}

#define CHECK(cond) \
  do { \
    if (!(cond)) failed(__LINE__, #cond); \
  } while (0)

/* Addresses no process may touch: below the program, between the heap
 * and the stack, the kernel's RAM, and the very top. */
#define UNMAPPED ((void *)0x30000000)
#define KERNEL ((void *)0x80000000)
#define TOP ((void *)0xfffffff0)
#define BAD_PTRS {NULL, (void *)0x100, UNMAPPED, KERNEL, TOP}

/* Runs usertests ARG... in a child and returns its exit status (or -1000
 * if it could not be started). */
static int child_status(char *arg1, char *arg2) {
  char *argv[] = {"usertests", arg1, arg2, NULL};
  int status = -1000, pid = spawn("usertests", argv);
  if (pid < 0) return -1000;
  if (wait(&status) != pid) return -1001;
  return status;
}

static void test_write(void) {
  void *bad[] = BAD_PTRS;
  CHECK(write(1, "", 0) == 0);
  CHECK(write(1, "usertests: (write works)\n", 25) == 25);
  CHECK(write(-1, "x", 1) == -1);
  CHECK(write(NOFILE, "x", 1) == -1);
  CHECK(write(99, "x", 1) == -1);
  CHECK(write(0, "x", 1) == -1); /* stdin is read-only */
  CHECK(write(5, "x", 1) == -1); /* not open */
  CHECK(write(1, "x", -1) == -1);
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK(write(1, bad[i], 4) == -1);
  /* the last 2 bytes of the data segment's last page and 2 beyond it */
  char *brk = sbrk(0);
  CHECK(write(1, brk - 2, 4) == -1);
}

static void test_open_read(void) {
  void *bad[] = BAD_PTRS;
  char buf[64];
  struct stat st;
  CHECK(open("nosuchfile", O_RDONLY) == -1);
  CHECK(open("a/b", O_RDONLY) == -1);
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK(open(bad[i], O_RDONLY) == -1);
  int fd = open("README", O_RDONLY);
  CHECK(fd >= 3);
  CHECK(read(fd, buf, 15) == 15 && memcmp(buf, "Welcome to pvos", 15) == 0);
  CHECK(write(fd, "x", 1) == -1); /* opened read-only */
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK(read(fd, bad[i], 4) == -1);
  CHECK(read(fd, (char *)main, 4) == -1); /* code is read-only */
  CHECK(read(fd, buf, -1) == -1);
  CHECK(read(-1, buf, 1) == -1);
  CHECK(read(1, buf, 1) == -1); /* stdout is write-only */
  CHECK(read(0, buf, -1) == -1);
  CHECK(fstat(fd, &st) == 0 && st.type == T_FILE && st.size > 15);
  int total = 15, n;
  while ((n = read(fd, buf, sizeof buf)) > 0) total += n;
  CHECK(n == 0 && total == (int)st.size);
  CHECK(read(fd, buf, sizeof buf) == 0); /* still the end */
  CHECK(fstat(fd, NULL) == -1);
  CHECK(fstat(fd, (struct stat *)main) == -1);
  CHECK(fstat(-1, &st) == -1);
  CHECK(fstat(1, &st) == 0 && st.type == T_DEV);
  CHECK(close(fd) == 0);
  CHECK(close(fd) == -1);
  CHECK(close(-1) == -1);
  CHECK(close(NOFILE) == -1);
}

static void test_dir(void) {
  struct dirent de;
  int fd = open("/", O_RDONLY), found = 0;
  CHECK(fd >= 0);
  while (read(fd, &de, sizeof de) == sizeof de)
    found |= de.inum != 0 && strncmp(de.name, "usertests", DIRSIZ) == 0;
  CHECK(found);
  CHECK(close(fd) == 0);
  CHECK(open("/", O_WRONLY) == -1);
  CHECK(open(".", O_RDWR) == -1);
}

static void test_many_files(void) {
  int fds[NOFILE], n = 0;
  for (; n < NOFILE; n++)
    if ((fds[n] = open("README", O_RDONLY)) < 0) break;
  CHECK(n == NOFILE - 3); /* 0, 1 and 2 are the console */
  for (int i = 0; i < n; i++) CHECK(close(fds[i]) == 0);
  CHECK((fds[0] = open("README", O_RDONLY)) == 3);
  close(fds[0]);
}

static void test_spawn_wait(void) {
  void *bad[] = BAD_PTRS;
  char *echo[] = {"echo", "usertests: (spawn works)", NULL};
  char *nothing[] = {NULL};
  int status = -1;
  CHECK(wait(&status) == -1); /* no children */
  int pid = spawn("echo", echo);
  CHECK(pid > getpid());
  CHECK(wait(&status) == pid && status == 0);
  CHECK(wait(NULL) == -1);
  CHECK(spawn("nosuchprogram", echo) == -1);
  CHECK(spawn("README", echo) == -1); /* not a program */
  CHECK(spawn("/", echo) == -1);
  CHECK(spawn("echo", nothing) > 0 && wait(NULL) > 0);
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK(spawn(bad[i], echo) == -1);
    CHECK(spawn("echo", bad[i]) == -1);
    char *bad_arg[] = {"echo", bad[i], NULL};
    if (bad[i]) CHECK(spawn("echo", bad_arg) == -1); /* NULL ends argv */
  }
  char *many[MAXARG + 2];
  for (int i = 0; i <= MAXARG; i++) many[i] = "x";
  many[MAXARG + 1] = NULL;
  CHECK(spawn("echo", many) == -1);
  CHECK(child_status("exit", "42") == 42);
  CHECK(child_status("args", "second") == 0);
  /* a bad status pointer fails and leaves the child to a later wait */
  pid = spawn("echo", nothing);
  CHECK(pid > 0);
  CHECK(sleep(2) == 0); /* echo is done by then */
  CHECK(wait(KERNEL) == -1);
  CHECK(wait(&status) == pid);
}

static void test_getpid(void) {
  char me[12];
  snprintf(me, sizeof me, "%d", getpid());
  CHECK(getpid() > 1); /* 1 is the shell */
  CHECK(getppid != NULL);
  if (!getppid) return;
  CHECK(child_status("ppid", me) == 0);
  CHECK(getppid() == 1);
}

static void test_sleep(void) {
  int t0 = uptime();
  CHECK(sleep(3) == 0);
  CHECK(uptime() - t0 >= 3);
  CHECK(sleep(0) == 0);
  CHECK(sleep(-1) == -1);
}

static void test_sbrk(void) {
  char *a = sbrk(0);
  CHECK(sbrk(4096) == a);
  CHECK(sbrk(0) == a + 4096);
  memset(a, 0x5a, 4096);
  CHECK(a[0] == 0x5a && a[4095] == 0x5a);
  CHECK(sbrk(-4096) == a + 4096);
  CHECK(sbrk(0) == a);
  CHECK(sbrk(0x7fffffff) == (char *)-1);
  CHECK(sbrk(-0x10000000) == (char *)-1);
  /* a big heap costs nothing until it is touched, and reads fill it */
  char *big = sbrk(8 << 20);
  CHECK(big == a);
  big[0] = 1, big[4 << 20] = 2, big[(8 << 20) - 1] = 3;
  CHECK(big[0] + big[4 << 20] + big[(8 << 20) - 1] == 6 && big[4096] == 0);
  int fd = open("README", O_RDONLY);
  CHECK(read(fd, big + (6 << 20), 7) == 7 && memcmp(big + (6 << 20), "Welcome", 7) == 0);
  close(fd);
  CHECK(sbrk(-(8 << 20)) == big + (8 << 20));
}

static void test_faults(void) {
  printf("usertests: (five processes killed on purpose)\n");
  CHECK(child_status("touchfreed", NULL) == -1);
  CHECK(child_status("fault", "null") == -1);
  CHECK(child_status("fault", "code") == -1);
  CHECK(child_status("fault", "illegal") == -1);
  CHECK(child_status("fault", "hcall") == -1);
  register long a7 __asm__("a7") = 999;
  register long a0 __asm__("a0") = 0;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
  CHECK(a0 == -1); /* no such system call */
}

static void test_kill_preempt(void) {
  char *spin[] = {"spin", NULL}, *echo[] = {"echo", "usertests: (echo ran beside spin)", NULL};
  int status = 0, spinner = spawn("spin", spin);
  CHECK(spinner > 0);
  /* without preemption, spin would never let echo run */
  int echoer = spawn("echo", echo);
  CHECK(echoer > 0 && wait(&status) == echoer && status == 0);
  CHECK(kill(spinner) == 0);
  CHECK(wait(&status) == spinner && status == -1);
  CHECK(kill(spinner) == -1);
  CHECK(kill(99999) == -1);
}

static void test_priority(void) {
  CHECK(setpriority(getpid(), 7) == 0);
  CHECK(setpriority(getpid(), 5) == 0);
  CHECK(setpriority(getpid(), 10) == -1);
  CHECK(setpriority(getpid(), -1) == -1);
  CHECK(setpriority(99999, 5) == -1);
}

static void test_files(void) {
  static char buf[20000], back[20000];
  struct stat st;
  for (int i = 0; i < (int)sizeof buf; i++) buf[i] = (char)(i * 7 + i / 1024);
  int fd = open("ut_file", O_CREATE | O_RDWR);
  CHECK(fd >= 0);
  CHECK(write(fd, buf, 100) == 100);
  CHECK(write(fd, buf + 100, sizeof buf - 100) == sizeof buf - 100); /* to the indirect block */
  CHECK(fstat(fd, &st) == 0 && st.size == sizeof buf);
  CHECK(write(fd, UNMAPPED, 10) == -1);
  CHECK(close(fd) == 0);
  fd = open("ut_file", O_RDONLY);
  CHECK(read(fd, back, sizeof back) == sizeof back && memcmp(buf, back, sizeof buf) == 0);
  close(fd);
  fd = open("ut_file", O_WRONLY | O_TRUNC);
  CHECK(fd >= 0 && fstat(fd, &st) == 0 && st.size == 0);
  CHECK(write(fd, "again", 5) == 5);
  CHECK(read(fd, back, 5) == -1); /* opened write-only */
  close(fd);
  CHECK(open("this-name-is-too-long", O_CREATE | O_RDWR) == -1);
  CHECK(open("no/dirs", O_CREATE | O_RDWR) == -1);
  CHECK(open(UNMAPPED, O_CREATE | O_RDWR) == -1);
}

/* The children: each ends with the status the parent checks. */
static int child(int argc, char *argv[]) {
  const char *what = argv[1], *arg = argc > 2 ? argv[2] : "";
  if (strcmp(what, "exit") == 0) return atoi(arg);
  if (strcmp(what, "ppid") == 0) return getppid && getppid() == atoi(arg) ? 0 : 1;
  if (strcmp(what, "args") == 0)
    return argc == 3 && strcmp(argv[0], "usertests") == 0 && strcmp(arg, "second") == 0 &&
                   argv[3] == NULL
               ? 0
               : 1;
  if (strcmp(what, "touchfreed") == 0) {
    char *a = sbrk(8192);
    a[4096] = 1;
    sbrk(-8192);
    a[4096] = 2; /* freed: must fault */
    return 0;
  }
  if (strcmp(what, "fault") == 0) {
    if (strcmp(arg, "null") == 0) return *(volatile int *)0;
    if (strcmp(arg, "code") == 0) *(volatile int *)(uintptr_t)main = 0;
    if (strcmp(arg, "illegal") == 0) __asm__ volatile(".word 0");
    if (strcmp(arg, "hcall") == 0) __asm__ volatile(".insn i CUSTOM_0, 0, x0, x0, 0");
    return 0; /* survived: the parent sees 0, not -1 */
  }
  return 2;
}

static const struct test {
  const char *name;
  void (*run)(void);
} tests[] = {
    {"write", test_write},       {"open-read", test_open_read}, {"dir", test_dir},
    {"many-files", test_many_files}, {"spawn-wait", test_spawn_wait}, {"getpid", test_getpid},
    {"sleep", test_sleep},       {"sbrk", test_sbrk},           {"faults", test_faults},
    {"kill-preempt", test_kill_preempt}, {"priority", test_priority}, {"files", test_files},
};

int main(int argc, char *argv[]) {
  if (argc > 1) return child(argc, argv);
  unsigned n = sizeof tests / sizeof tests[0];
  printf("usertests: %u tests\n", n);
  for (unsigned i = 0; i < n; i++) {
    int before = failures;
    current = tests[i].name;
    tests[i].run();
    if (failures > before) failed_tests++;
    printf("usertests: %s: %s\n", current, failures > before ? "FAILED" : "ok");
  }
  if (failed_tests == 0) {
    printf("usertests: ALL PASSED\n");
    return 0;
  }
  printf("usertests: %d of %u tests FAILED\n", failed_tests, n);
  return 1;
}
