/* spawn_run: fork/exec with three pipes, driven by poll() so a command that
 * prints a lot while we are still feeding it input cannot deadlock. */
#include "spawn.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct sink {
  char *buf;
  size_t len, cap;
} sink;

static void sink_add(sink *s, const char *p, size_t n) {
  if (s->len + n + 1 > s->cap) {
    s->cap = (s->len + n + 1) * 2;
    s->buf = realloc(s->buf, s->cap);
    if (!s->buf) abort();
  }
  memcpy(s->buf + s->len, p, n);
  s->len += n;
  s->buf[s->len] = 0;
}

static pid_t start(char *const argv[], int in[2], int out[2], int err[2]) {
  if (pipe(in) || pipe(out) || pipe(err)) return -1;
  pid_t pid = fork();
  if (pid != 0) return pid;
  dup2(in[0], 0);
  dup2(out[1], 1);
  dup2(err[1], 2);
  for (int fd = 3; fd < 64; fd++) close(fd);
  execv(argv[0], argv);
  _exit(127);
}

int spawn_run(char *const argv[], const void *input, size_t input_len,
              spawn_result *r) {
  int in[2], out[2], err[2];
  signal(SIGPIPE, SIG_IGN);
  pid_t pid = start(argv, in, out, err);
  if (pid < 0) return -1;
  close(in[0]);
  close(out[1]);
  close(err[1]);
  sink so = {0}, se = {0};
  sink_add(&so, "", 0);
  sink_add(&se, "", 0);
  size_t sent = 0;
  int in_fd = in[1];
  if (!input || input_len == 0) close(in_fd), in_fd = -1;
  int open_outputs = 2;
  while (open_outputs > 0) {
    struct pollfd p[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0},
                          {in_fd, POLLOUT, 0}};
    if (poll(p, in_fd >= 0 ? 3 : 2, -1) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; i++) {
      if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[65536];
      ssize_t n = read(p[i].fd, buf, sizeof buf);
      if (n > 0) {
        sink_add(i == 0 ? &so : &se, buf, (size_t)n);
      } else {
        close(p[i].fd);
        if (i == 0) out[0] = -1; else err[0] = -1;
        open_outputs--;
      }
    }
    if (in_fd >= 0 && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(in_fd, (const char *)input + sent, input_len - sent);
      if (n > 0) sent += (size_t)n;
      if (n <= 0 || sent == input_len) close(in_fd), in_fd = -1;
    }
  }
  if (in_fd >= 0) close(in_fd);
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  r->out = so.buf;
  r->out_len = so.len;
  r->err = se.buf;
  r->err_len = se.len;
  r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return 0;
}

void spawn_free(spawn_result *r) {
  free(r->out);
  free(r->err);
  r->out = r->err = NULL;
}

const char *spawn_pvlab(void) {
  const char *p = getenv("PVLAB");
  cr_assert(p, "PVLAB is not set: run the tests with 'meson test'");
  return p;
}

const char *spawn_guest(const char *name) {
  static char path[4096];
  const char *dir = getenv("GUESTS");
  cr_assert(dir, "GUESTS is not set: run the tests with 'meson test'");
  snprintf(path, sizeof path, "%s/%s.elf", dir, name);
  return path;
}

spawn_result spawn_pvlab_run(const void *input, size_t input_len, ...) {
  char *argv[32];
  int n = 0;
  argv[n++] = (char *)spawn_pvlab();
  va_list ap;
  va_start(ap, input_len);
  for (char *a; n < 31 && (a = va_arg(ap, char *)) != NULL;) argv[n++] = a;
  va_end(ap);
  argv[n] = NULL;
  spawn_result r;
  cr_assert_eq(spawn_run(argv, input, input_len, &r), 0, "cannot start %s", argv[0]);
  return r;
}

const char *spawn_stat(const spawn_result *r, const char *key) {
  static char value[128];
  char pattern[64];
  snprintf(pattern, sizeof pattern, "pvlab: %s ", key);
  const char *p = strstr(r->err, pattern);
  cr_assert(p, "--stats lacks '%s':\n%s", key, r->err);
  p += strlen(pattern);
  while (*p == ' ') p++;
  snprintf(value, sizeof value, "%.*s", (int)strcspn(p, "\n"), p);
  return value;
}

unsigned long long spawn_stat_num(const spawn_result *r, const char *key) {
  return strtoull(spawn_stat(r, key), NULL, 0);
}

const char *spawn_temp_dir(void) {
  static char dir[64];
  snprintf(dir, sizeof dir, "/tmp/pvlab-test-XXXXXX");
  cr_assert(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
  return dir;
}

char *spawn_put_file(const char *dir, const char *name, const char *text) {
  char *path = malloc(strlen(dir) + strlen(name) + 2);
  cr_assert(path);
  sprintf(path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  cr_assert(f, "cannot write %s", path);
  fputs(text, f);
  fclose(f);
  return path;
}

char *spawn_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  cr_assert(f, "cannot open %s", path);
  char *buf = NULL;
  size_t n = 0, cap = 0, got;
  do {
    if (n + 4096 + 1 > cap) buf = realloc(buf, cap = 2 * (n + 4096 + 1));
    cr_assert(buf);
    got = fread(buf + n, 1, 4096, f);
    n += got;
  } while (got > 0);
  fclose(f);
  buf[n] = 0;
  if (len) *len = n;
  return buf;
}

void spawn_remove_dir(const char *dir) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_expect_eq(system(cmd), 0);
}

void spawn_expect_out(const spawn_result *r, const char *needle) {
  cr_expect(strstr(r->out, needle), "stdout lacks \"%s\":\n%s\nstderr:\n%s",
            needle, r->out, r->err);
}

void spawn_expect_err(const spawn_result *r, const char *needle) {
  cr_expect(strstr(r->err, needle), "stderr lacks \"%s\":\n%s", needle, r->err);
}

size_t spawn_text_len(const char *text) { return text ? strlen(text) : 0; }

void spawn_expect_same_run(spawn_result *a, spawn_result *b, const char *what) {
  cr_assert_eq(a->status, 0, "%s: status %d: %s", what, a->status, a->err);
  cr_assert_eq(b->status, 0, "%s: status %d: %s", what, b->status, b->err);
  char insns[64], hash[64];
  snprintf(insns, sizeof insns, "%s", spawn_stat(a, "instructions"));
  snprintf(hash, sizeof hash, "%s", spawn_stat(a, "state hash"));
  cr_expect_str_eq(spawn_stat(b, "instructions"), insns,
                   "%s: instruction counts differ", what);
  cr_expect_str_eq(spawn_stat(b, "state hash"), hash, "%s: state hashes differ", what);
  cr_expect_str_eq(a->out, b->out, "%s: output differs", what);
  spawn_free(a);
  spawn_free(b);
}
