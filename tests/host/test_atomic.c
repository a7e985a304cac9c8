/* host_atomic on every kind of target (docs/file-formats.md, "Output
 * files"): a regular file is replaced whole through a temporary file; a
 * symbolic link is followed and stays a link; a FIFO or a character device
 * is written in place and stays what it is; a directory, a socket, a
 * read-only file or a directory that cannot be written is refused with a
 * message naming it, leaving nothing behind.
 *
 * A character device is made in the test's own directory when the test
 * may (root): a broken writer then replaces that node, never /dev/null;
 * without the right to, /dev's own nodes are used, which such a user
 * cannot replace either. */
#define _DEFAULT_SOURCE /* mknod */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fifo_reader.h"
#include "host.h"

static char dir[64];

static void make_dir(void) {
  snprintf(dir, sizeof dir, "/tmp/pvlab-atomic-XXXXXX");
  cr_assert(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
}

static void remove_dir(void) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "chmod -R u+w '%s'; rm -rf '%s'", dir, dir);
  cr_expect_eq(system(cmd), 0);
}

TestSuite(atomic, .init = make_dir, .fini = remove_dir);

static const char *in_dir(const char *name) {
  static char path[4][256];
  static int next;
  char *p = path[next++ % 4];
  snprintf(p, sizeof path[0], "%s/%s", dir, name);
  return p;
}

/* The whole of text to path through host_atomic; err says why not. */
static bool save(const char *path, const void *data, size_t len, host_error *err) {
  host_atomic a;
  bool ok = host_atomic_open(&a, path) && host_atomic_write(&a, data, len);
  if (!ok) host_atomic_abort(&a);
  if (ok && host_atomic_commit(&a)) return true;
  return host_atomic_fail(&a, "test file", err);
}

static void put(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  cr_assert(f, "%s: %s", path, strerror(errno));
  fputs(text, f);
  cr_assert_eq(fclose(f), 0);
}

/* path's contents, NUL-terminated, in a static buffer. */
static const char *contents(const char *path) {
  static char buf[4096];
  FILE *f = fopen(path, "r");
  cr_assert(f, "%s: %s", path, strerror(errno));
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  fclose(f);
  return buf;
}

/* The names in d other than . and .., sorted, joined by spaces. */
static const char *names_in(const char *d) {
  static char out[1024];
  struct dirent **list;
  int n = scandir(d, &list, NULL, alphasort);
  cr_assert(n >= 0, "%s: %s", d, strerror(errno));
  out[0] = 0;
  for (int i = 0; i < n; i++) {
    const char *name = list[i]->d_name;
    if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
      if (out[0]) strncat(out, " ", sizeof out - strlen(out) - 1);
      strncat(out, name, sizeof out - strlen(out) - 1);
    }
    free(list[i]);
  }
  free(list);
  return out;
}

static mode_t type_of(const char *path) {
  struct stat st;
  cr_assert_eq(lstat(path, &st), 0, "%s: %s", path, strerror(errno));
  return st.st_mode & S_IFMT;
}

static void expect_msg(const host_error *err, const char *needle) {
  cr_expect(strstr(err->msg, needle), "no \"%s\" in: %s", needle, err->msg);
}

Test(atomic, a_new_file_and_a_regular_file_replaced_whole) {
  host_error err;
  const char *path = in_dir("out");
  cr_assert(save(path, "first", 5, &err), "%s", err.msg);
  cr_expect_str_eq(contents(path), "first");
  cr_assert(save(path, "second", 6, &err), "%s", err.msg);
  cr_expect_str_eq(contents(path), "second");
  cr_expect_str_eq(names_in(dir), "out", "no temporary file is left");
}

Test(atomic, a_replaced_file_keeps_its_mode) {
  const char *path = in_dir("shared");
  put(path, "old");
  cr_assert_eq(chmod(path, 0640), 0);
  host_error err;
  cr_assert(save(path, "new", 3, &err), "%s", err.msg);
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  cr_expect_eq(st.st_mode & 0777, 0640, "mode %o", (unsigned)(st.st_mode & 0777));
  cr_expect_str_eq(contents(path), "new");
}

/* ---- FIFOs: the reader is opened first so that neither side waits for
 * the other to appear; a thread reads while the writer writes, more than
 * a pipe holds, so the writer has to wait for it. */

/* Writes len bytes of a pattern into path while a thread reads the FIFO
 * at fifo; expects the reader to get exactly them. */
static void write_to_reader(const char *path, const char *fifo, size_t len) {
  char *data = malloc(len);
  cr_assert(data);
  for (size_t i = 0; i < len; i++) data[i] = (char)(i * 7 + i / 251);
  fifo_reader r;
  fifo_reader_start(&r, fifo);
  host_error err;
  bool ok = save(path, data, len, &err);
  fifo_reader_finish(&r);
  cr_expect(ok, "%s", err.msg);
  cr_expect_eq(r.len, len, "the reader got %zu bytes of %zu", r.len, len);
  cr_expect(r.len == len && r.buf && memcmp(r.buf, data, len) == 0,
            "the reader got other bytes");
  free(r.buf);
  free(data);
}

Test(atomic, a_fifo_is_written_in_place_and_stays_a_fifo) {
  const char *fifo = in_dir("fifo");
  cr_assert_eq(mkfifo(fifo, 0600), 0, "mkfifo: %s", strerror(errno));
  write_to_reader(fifo, fifo, 1 << 20);
  cr_expect_eq(type_of(fifo), S_IFIFO, "the FIFO was replaced");
  cr_expect_str_eq(names_in(dir), "fifo", "no temporary file is left");
}

Test(atomic, a_link_to_a_fifo_reaches_it) {
  const char *fifo = in_dir("fifo"), *link = in_dir("link");
  cr_assert_eq(mkfifo(fifo, 0600), 0, "mkfifo: %s", strerror(errno));
  cr_assert_eq(symlink("fifo", link), 0);
  write_to_reader(link, fifo, 1000);
  cr_expect_eq(type_of(link), S_IFLNK, "the link was replaced");
  cr_expect_eq(type_of(fifo), S_IFIFO, "the FIFO was replaced");
}

/* ---- Character devices */

/* A character device major:minor for the test: one of its own when it
 * may make one, else /dev's (name), which it then cannot replace. */
static const char *char_device(const char *name, unsigned major, unsigned minor) {
  const char *node = in_dir(name);
  if (mknod(node, S_IFCHR | 0666, makedev(major, minor)) == 0) return node;
  static char dev[64];
  snprintf(dev, sizeof dev, "/dev/%s", name);
  return dev;
}

static void expect_same_device(const char *path, dev_t rdev) {
  struct stat st;
  cr_assert_eq(lstat(path, &st), 0, "%s: %s", path, strerror(errno));
  cr_expect(S_ISCHR(st.st_mode), "%s is no longer a character device", path);
  cr_expect_eq(st.st_rdev, rdev, "%s is another device", path);
}

Test(atomic, dev_null_is_written_in_place_and_stays_a_device) {
  const char *null = char_device("null", 1, 3);
  struct stat before;
  cr_assert_eq(stat(null, &before), 0);
  host_error err;
  cr_expect(save(null, "gone", 4, &err), "%s", err.msg);
  expect_same_device(null, before.st_rdev);
  const char *n = names_in(dir);
  cr_expect(!strstr(n, ".tmp-"), "a temporary file is left: %s", n);
}

Test(atomic, a_device_that_fails_a_write_says_so_and_stays) {
  const char *full = char_device("full", 1, 7);
  struct stat before;
  cr_assert_eq(stat(full, &before), 0);
  host_error err;
  cr_expect(!save(full, "x", 1, &err), "writing to %s succeeded", full);
  expect_msg(&err, "writing to it failed");
  expect_msg(&err, strerror(ENOSPC));
  expect_msg(&err, full);
  expect_same_device(full, before.st_rdev);
}

/* ---- Symbolic links */

Test(atomic, a_link_stays_a_link_and_its_file_gets_the_bytes) {
  const char *target = in_dir("real"), *link = in_dir("link");
  put(target, "old");
  cr_assert_eq(symlink("real", link), 0);
  host_error err;
  cr_assert(save(link, "new", 3, &err), "%s", err.msg);
  cr_expect_eq(type_of(link), S_IFLNK, "the link was replaced by a file");
  char text[64] = "";
  cr_expect_gt(readlink(link, text, sizeof text - 1), 0);
  cr_expect_str_eq(text, "real");
  cr_expect_str_eq(contents(target), "new");
  cr_expect_str_eq(names_in(dir), "link real", "no temporary file is left");
}

Test(atomic, a_chain_of_links_from_another_directory) {
  /* sub/a -> b (that is, sub/b) -> ../real: each link read from its own
   * directory */
  char sub[256];
  snprintf(sub, sizeof sub, "%s/sub", dir);
  cr_assert_eq(mkdir(sub, 0700), 0);
  put(in_dir("real"), "old");
  cr_assert_eq(symlink("b", in_dir("sub/a")), 0);
  cr_assert_eq(symlink("../real", in_dir("sub/b")), 0);
  host_error err;
  cr_assert(save(in_dir("sub/a"), "new", 3, &err), "%s", err.msg);
  cr_expect_str_eq(contents(in_dir("real")), "new");
  cr_expect_eq(type_of(in_dir("sub/a")), S_IFLNK);
  cr_expect_eq(type_of(in_dir("sub/b")), S_IFLNK);
  cr_expect_str_eq(names_in(sub), "a b");
}

Test(atomic, a_dangling_link_creates_the_file_it_names) {
  char sub[256];
  snprintf(sub, sizeof sub, "%s/sub", dir);
  cr_assert_eq(mkdir(sub, 0700), 0);
  /* relative to the link's directory, through a second dangling link */
  cr_assert_eq(symlink("next", in_dir("sub/link")), 0);
  cr_assert_eq(symlink("../made", in_dir("sub/next")), 0);
  host_error err;
  cr_assert(save(in_dir("sub/link"), "fresh", 5, &err), "%s", err.msg);
  cr_expect_eq(type_of(in_dir("sub/link")), S_IFLNK, "the link was replaced");
  cr_expect_eq(type_of(in_dir("sub/next")), S_IFLNK, "the link was replaced");
  cr_expect_str_eq(contents(in_dir("made")), "fresh");
  cr_expect_str_eq(names_in(dir), "made sub");
}

Test(atomic, a_dangling_link_into_a_missing_directory_is_refused) {
  cr_assert_eq(symlink("nowhere/x", in_dir("link")), 0);
  host_error err;
  cr_assert(!save(in_dir("link"), "x", 1, &err));
  expect_msg(&err, "nowhere/x");
  expect_msg(&err, "cannot write in directory");
  expect_msg(&err, "create it");
  cr_expect_eq(type_of(in_dir("link")), S_IFLNK);
  cr_expect_str_eq(names_in(dir), "link");
}

Test(atomic, a_loop_of_links_is_refused) {
  cr_assert_eq(symlink("b", in_dir("a")), 0);
  cr_assert_eq(symlink("a", in_dir("b")), 0);
  host_error err;
  cr_assert(!save(in_dir("a"), "x", 1, &err));
  expect_msg(&err, in_dir("a"));
  expect_msg(&err, "name the file itself");
  cr_expect_str_eq(names_in(dir), "a b");
}

/* ---- Refused */

Test(atomic, a_directory_is_refused_and_left_as_it_was) {
  char sub[256];
  snprintf(sub, sizeof sub, "%s/d", dir);
  cr_assert_eq(mkdir(sub, 0700), 0);
  put(in_dir("d/inside"), "kept");
  host_error err;
  cr_assert(!save(sub, "x", 1, &err), "a directory was written");
  expect_msg(&err, "cannot write test file '");
  expect_msg(&err, sub);
  expect_msg(&err, "it is a directory; name a file inside it");
  cr_expect_eq(type_of(sub), S_IFDIR);
  cr_expect_str_eq(names_in(sub), "inside");
  cr_expect_str_eq(contents(in_dir("d/inside")), "kept");
  cr_expect_str_eq(names_in(dir), "d", "a temporary file is left");
  /* through a link: the message says where it leads */
  cr_assert_eq(symlink("d", in_dir("link")), 0);
  cr_assert(!save(in_dir("link"), "x", 1, &err));
  expect_msg(&err, "which is a directory");
  cr_expect_eq(type_of(in_dir("link")), S_IFLNK);
  /* and the check made before a long run says the same */
  cr_expect(!host_atomic_check(sub, &err));
  expect_msg(&err, "it is a directory; name a file inside it");
}

Test(atomic, a_socket_is_refused) {
  const char *path = in_dir("sock");
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  cr_assert(s >= 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
  cr_assert_eq(bind(s, (struct sockaddr *)&addr, sizeof addr), 0, "%s", strerror(errno));
  host_error err;
  cr_assert(!save(path, "x", 1, &err), "a socket was written");
  expect_msg(&err, "it is a socket");
  expect_msg(&err, "name a regular file");
  cr_expect_eq(type_of(path), S_IFSOCK, "the socket was replaced");
  cr_expect_str_eq(names_in(dir), "sock");
  close(s);
}

Test(atomic, a_read_only_file_is_refused_even_for_root) {
  const char *path = in_dir("keep");
  put(path, "precious");
  cr_assert_eq(chmod(path, 0444), 0);
  host_error err;
  cr_assert(!save(path, "x", 1, &err), "a read-only file was replaced");
  expect_msg(&err, "it is a read-only file; make it writable (chmod u+w)");
  cr_expect_str_eq(contents(path), "precious");
  cr_expect_str_eq(names_in(dir), "keep");
}

/* What save and host_atomic_check say about ro/x, in a child that is
 * not root when the test is (root writes into a read-only directory),
 * through a pipe; 77 from the child: it could not stop being root. */
static int refused_in_read_only_dir(char *msg, size_t size) {
  int p[2];
  cr_assert_eq(pipe(p), 0);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    close(p[0]);
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(77);
    host_error err, check;
    bool saved = save(in_dir("ro/x"), "x", 1, &err);
    bool checked = host_atomic_check(in_dir("ro/x"), &check);
    dprintf(p[1], "%s\n%s", saved ? "saved" : err.msg, checked ? "passed" : check.msg);
    _exit(saved || checked);
  }
  close(p[1]);
  size_t n = 0;
  ssize_t r;
  while (n + 1 < size && (r = read(p[0], msg + n, size - 1 - n)) > 0) n += (size_t)r;
  msg[n] = 0;
  close(p[0]);
  int status;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

Test(atomic, a_read_only_directory_is_refused_and_left_empty) {
  char ro[256];
  snprintf(ro, sizeof ro, "%s/ro", dir);
  cr_assert_eq(mkdir(ro, 0555), 0);
  cr_assert_eq(chmod(ro, 0555), 0);
  cr_assert_eq(chmod(dir, 0755), 0); /* the child that is not root goes in */
  char msg[2048];
  int status = refused_in_read_only_dir(msg, sizeof msg);
  if (status == 77) {
    cr_skip("running as root, which writes into read-only directories, and "
            "setuid to nobody failed, so there is no way to try one");
  }
  cr_expect_eq(status, 0, "not refused: %s", msg);
  char want[400];
  snprintf(want, sizeof want, "cannot write in directory '%s' (%s); make it "
           "writable", ro, strerror(EACCES));
  char *second = strchr(msg, '\n');
  cr_assert(second, "%s", msg);
  *second++ = 0;
  cr_expect(strstr(msg, want), "no \"%s\" in: %s", want, msg);
  cr_expect(strstr(second, want), "the check: no \"%s\" in: %s", want, second);
  cr_expect_str_eq(names_in(ro), "", "something was left behind");
}

Test(atomic, a_missing_directory_is_refused) {
  host_error err;
  cr_assert(!save(in_dir("none/x"), "x", 1, &err));
  expect_msg(&err, "cannot write in directory");
  expect_msg(&err, "none' (");
  expect_msg(&err, "create it, or name a file elsewhere");
  cr_expect(!host_atomic_check(in_dir("none/x"), &err));
  expect_msg(&err, "create it");
  cr_expect_str_eq(names_in(dir), "");
}

/* ---- The check made before a long run */

Test(atomic, the_check_passes_files_fifos_and_devices_without_opening_them) {
  host_error err;
  const char *fifo = in_dir("fifo");
  cr_assert_eq(mkfifo(fifo, 0600), 0);
  /* a FIFO without a reader: opening it would wait for one */
  cr_expect(host_atomic_check(fifo, &err), "%s", err.msg);
  cr_expect(host_atomic_check(in_dir("new"), &err), "%s", err.msg);
  put(in_dir("old"), "kept");
  cr_expect(host_atomic_check(in_dir("old"), &err), "%s", err.msg);
  cr_expect(host_atomic_check("/dev/null", &err), "%s", err.msg);
  cr_expect_str_eq(contents(in_dir("old")), "kept");
  cr_expect_str_eq(names_in(dir), "fifo old", "the check wrote something");
}
