/* The gdb stub through the real binary: gdb-multiarch in batch mode on a
 * sample guest (source-level break, next, print, watch, reverse-continue,
 * detach), and raw sockets for what gdb never sends: bad checksums,
 * oversized packets, noise, Ctrl-C and a client that vanishes mid-run. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"

typedef struct server {
  pid_t pid;
  FILE *out;     /* pvlab's stdout */
  unsigned port;
} server;

/* pvlab CMD --gdb 0 FILE (debug a guest, replay a bundle), up to its
 * "waiting for gdb" line. */
static server start_cmd(const char *cmd, const char *file) {
  int fds[2];
  cr_assert(pipe(fds) == 0);
  server s = {0};
  s.pid = fork();
  cr_assert(s.pid >= 0);
  if (s.pid == 0) {
    /* dies with the test (a failed assertion must not leave it holding
     * Criterion's pipes open) */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(fds[1], STDOUT_FILENO);
    for (int fd = 3; fd < 1024; fd++) close(fd);
    execl(spawn_pvlab(), "pvlab", cmd, "--gdb", "0", file, (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  s.out = fdopen(fds[0], "r");
  char line[512];
  while (fgets(line, sizeof line, s.out)) {
    const char *p = strstr(line, "waiting for gdb on 127.0.0.1:");
    if (p && sscanf(p, "waiting for gdb on 127.0.0.1:%u", &s.port) == 1) return s;
  }
  cr_assert_fail("pvlab never said which port it listens on");
  return s;
}

static server start(const char *guest) { return start_cmd("debug", guest); }

/* pvlab's next stdout line containing needle. */
static void expect_line(server *s, const char *needle) {
  char line[512];
  while (fgets(line, sizeof line, s->out)) {
    if (strstr(line, needle)) return;
  }
  cr_assert_fail("pvlab's output ended without \"%s\"", needle);
}

static int stop(server *s) {
  kill(s->pid, SIGTERM);
  int st;
  waitpid(s->pid, &st, 0);
  fclose(s->out);
  return st;
}

static int connect_to(unsigned port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "connect to pvlab");
  struct timeval tv = {.tv_sec = 60}; /* a hang fails the test, not CI */
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

static void put(int fd, const char *raw) {
  cr_assert(send(fd, raw, strlen(raw), MSG_NOSIGNAL) == (ssize_t)strlen(raw));
}

static void send_packet(int fd, const char *body) {
  char buf[8192];
  unsigned sum = 0;
  for (const char *p = body; *p; p++) sum += (unsigned char)*p;
  snprintf(buf, sizeof buf, "$%s#%02x", body, sum & 0xffu);
  put(fd, buf);
}

static int get_byte(int fd) {
  unsigned char c;
  cr_assert(recv(fd, &c, 1, 0) == 1, "pvlab did not answer");
  return c;
}

/* The next reply's body, past acks and O (console) packets. */
static char *reply(int fd) {
  static char body[8192];
  for (;;) {
    int c;
    while ((c = get_byte(fd)) != '$') cr_assert(c == '+', "unexpected byte 0x%02x", c);
    size_t n = 0;
    while ((c = get_byte(fd)) != '#') {
      cr_assert(n < sizeof body - 1);
      body[n++] = (char)c;
    }
    body[n] = 0;
    get_byte(fd);
    get_byte(fd);
    put(fd, "+");
    if (body[0] != 'O' || strcmp(body, "OK") == 0) return body;
  }
}

static char *ask(int fd, const char *body) {
  send_packet(fd, body);
  return reply(fd);
}

/* pc (register 32) as "80000000"-style hex, byte-swapped to a number. */
static unsigned pc_of(int fd) {
  const char *r = ask(fd, "p20");
  unsigned b[4];
  cr_assert(sscanf(r, "%2x%2x%2x%2x", &b[0], &b[1], &b[2], &b[3]) == 4, "p20: %s", r);
  return b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24;
}

/* Makes the guest spin at its pc forever (j . is 0x0000006f). */
static unsigned spin_here(int fd) {
  unsigned pc = pc_of(fd);
  char m[64];
  snprintf(m, sizeof m, "M%x,4:6f000000", pc);
  cr_assert_str_eq(ask(fd, m), "OK");
  return pc;
}

/* gdb-multiarch from PATH (spawn_run takes a path, not a name). */
/* A source file as gdb names it: the path the build gave the compiler,
 * relative to the build directory (GUESTS's parent), so the test holds
 * wherever the build directory is.  In a static buffer of its own. */
static const char *src(const char *rel) {
  static char out[4][4096];
  static int next;
  char root[4096], build[4096], guests[4096];
  cr_assert(realpath(PVLAB_SOURCE_ROOT, root), "%s", PVLAB_SOURCE_ROOT);
  snprintf(guests, sizeof guests, "%s/..", getenv("GUESTS") ? getenv("GUESTS") : ".");
  cr_assert(realpath(guests, build), "%s", guests);
  /* the common leading directories, then one ".." per directory left */
  size_t common = 0;
  for (size_t i = 0;; i++) {
    bool end_r = root[i] == 0 || root[i] == '/', end_b = build[i] == 0 || build[i] == '/';
    if (end_r && end_b) common = i;
    if (root[i] != build[i] || root[i] == 0) break;
  }
  char *o = out[next++ % 4];
  o[0] = 0;
  for (const char *b = build + common; *b; b++) {
    if (*b == '/') strncat(o, "../", 4096 - strlen(o) - 1);
  }
  if (root[common] == '/') {
    strncat(o, root + common + 1, 4096 - strlen(o) - 1);
    strncat(o, "/", 4096 - strlen(o) - 1);
  }
  strncat(o, rel, 4096 - strlen(o) - 1);
  return o;
}

/* Expects "BEFORE<src(rel)>AFTER" in r's stdout. */
static void expect_at(const spawn_result *r, const char *before, const char *rel,
                      const char *after) {
  char needle[8192];
  snprintf(needle, sizeof needle, "%s%s%s", before, src(rel), after);
  spawn_expect_out(r, needle);
}

static const char *gdb_path(void) {
  static char path[4096];
  const char *env = getenv("PATH");
  char dirs[4096];
  snprintf(dirs, sizeof dirs, "%s", env ? env : "/usr/bin");
  for (char *d = strtok(dirs, ":"); d; d = strtok(NULL, ":")) {
    snprintf(path, sizeof path, "%s/gdb-multiarch", d);
    if (access(path, X_OK) == 0) return path;
  }
  cr_assert_fail("gdb-multiarch is not installed (quickstart.sh installs it)");
  return NULL;
}

Test(gdb, source_level_forwards_and_backwards, .timeout = 120) {
  server s = start(spawn_guest("watchme"));
  char target[64];
  snprintf(target, sizeof target, "target remote :%u", s.port);
  char *const argv[] = {
      (char *)gdb_path(), "-batch", "-nx", "-ex", "set architecture riscv:rv32",
      "-ex", target, "-ex", "info registers ra sp",
      "-ex", "break main", "-ex", "continue", "-ex", "next", "-ex", "next",
      "-ex", "print words_seen", "-ex", "watch words_seen", "-ex", "continue",
      "-ex", "reverse-continue", "-ex", "monitor info reverse",
      "-ex", "detach", (char *)spawn_guest("watchme"), NULL};
  spawn_result r;
  int rc = spawn_run(argv, NULL, 0, &r);
  cr_assert(rc == 0, "gdb-multiarch could not be started (quickstart.sh installs it)");
  cr_log_info("%s", r.out);
  /* registers by name, from the target description */
  spawn_expect_out(&r, "ra             0x0");
  expect_at(&r, "Breakpoint 1, main () at ", "sample-guests/watchme/watchme.c", ":21");
  spawn_expect_out(&r, "23\t    note_length(words[i], &words_seen);");
  spawn_expect_out(&r, "$1 = 1\n");
  spawn_expect_out(&r, "Hardware watchpoint 2: words_seen");
  /* forwards: the bad write in note_length, stopped just after it */
  spawn_expect_out(&r, "Old value = 1\nNew value = 11\n");
  spawn_expect_out(&r, "0x800000ec in note_length (");
  /* backwards: the same write, seen the other way, stopped at the store */
  spawn_expect_out(&r, "Old value = 11\nNew value = 1\n0x800000e8 in note_length (");
  /* monitor: a pvlab command's output (gdb -batch shows it on stderr) */
  cr_expect(strstr(r.err, "History     icount 0 to"), "monitor output: %s", r.err);
  spawn_expect_out(&r, "[Inferior 1 (Remote target) detached]");
  expect_line(&s, "gdb detached; the guest is stopped at icount");
  spawn_free(&r);
  stop(&s);
}

Test(gdb, bad_checksum_oversized_and_noise) {
  server s = start(spawn_guest("watchme"));
  int fd = connect_to(s.port);
  put(fd, "$g#00");
  cr_assert_eq(get_byte(fd), '-', "a bad checksum gets '-'");
  put(fd, "garbage\x7f+");
  char big[6000];
  memset(big, 'm', sizeof big - 1);
  big[sizeof big - 1] = 0;
  send_packet(fd, big);
  cr_assert_str_eq(reply(fd), "E01", "an oversized packet gets an error");
  put(fd, "$m0,4*#00"); /* bad checksum and a broken run-length */
  cr_assert_eq(get_byte(fd), '-');
  /* still answering properly */
  cr_assert_str_eq(ask(fd, "?"), "T05");
  cr_assert_eq(pc_of(fd), 0x80000000u);
  cr_assert_str_eq(ask(fd, "vMustReplyEmpty"), "");
  cr_assert_str_eq(ask(fd, "m80000000,zz"), "E01");
  cr_assert_str_eq(ask(fd, "P99=00000000"), "E01");
  close(fd);
  stop(&s);
}

Test(gdb, ctrl_c_interrupts_a_spinning_guest) {
  server s = start(spawn_guest("watchme"));
  int fd = connect_to(s.port);
  unsigned pc = spin_here(fd);
  send_packet(fd, "c");
  cr_assert_eq(get_byte(fd), '+');
  put(fd, "\x03");
  cr_assert_str_eq(reply(fd), "T02");
  cr_assert_eq(pc_of(fd), pc);
  close(fd);
  stop(&s);
}

Test(gdb, disconnect_mid_run_then_a_new_client) {
  server s = start(spawn_guest("watchme"));
  int fd = connect_to(s.port);
  unsigned pc = spin_here(fd);
  send_packet(fd, "c");
  cr_assert_eq(get_byte(fd), '+');
  close(fd);
  expect_line(&s, "gdb detached; the guest is stopped at icount");
  fd = connect_to(s.port);
  cr_assert_str_eq(ask(fd, "?"), "T05");
  cr_assert_eq(pc_of(fd), pc);
  close(fd);
  stop(&s);
}

Test(gdb, exit_is_a_W_reply_and_k_ends_pvlab) {
  server s = start(spawn_guest("watchme"));
  int fd = connect_to(s.port);
  cr_assert_str_eq(ask(fd, "c"), "W00");
  cr_assert_str_eq(ask(fd, "qRcmd,696e666f2072657665727365"), "OK"); /* info reverse */
  send_packet(fd, "k");
  reply(fd);
  close(fd);
  int st;
  waitpid(s.pid, &st, 0);
  cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "k ends pvlab with status 0");
  fclose(s.out);
}

/* docs/replay.md's calc crash, recorded, then debugged from its bundle in
 * gdb: the fault is a SIGSEGV stop with pvlab's diagnostic, and gdb goes
 * back from it (reverse-stepi, a watchpoint and reverse-continue to the
 * store that broke the function pointer, reverse-finish to its caller). */
Test(gdb, replay_a_crash_backwards, .timeout = 120) {
  const char *dir = spawn_temp_dir();
  const char *in = "6\n7\n*\np\n1\n2\n3\n4\n5\n6\n7\n8\n9\n+\n+\np\nq\n";
  char bundle[4096];
  snprintf(bundle, sizeof bundle, "%s/crash.pvrec", dir);
  spawn_result rec = spawn_pvlab_run(in, strlen(in), "run", "--record", bundle,
                                     spawn_guest("calc"), NULL);
  cr_assert_eq(rec.status, 123, "calc crashes: %s", rec.err);
  spawn_free(&rec);
  server s = start_cmd("replay", bundle);
  char target[64];
  snprintf(target, sizeof target, "target remote :%u", s.port);
  char *const argv[] = {
      (char *)gdb_path(), "-batch", "-nx", "-ex", "set architecture riscv:rv32",
      "-ex", target, "-ex", "continue", "-ex", "reverse-stepi",
      "-ex", "watch -l calc.show", "-ex", "reverse-continue", "-ex", "print calc.top",
      "-ex", "reverse-finish", "-ex", "detach", (char *)spawn_guest("calc"), NULL};
  spawn_result r;
  cr_assert(spawn_run(argv, NULL, 0, &r) == 0, "gdb-multiarch could not be started");
  cr_log_info("%s", r.out);
  /* pvlab's diagnostic (an O packet: gdb -batch shows it on stderr) */
  cr_expect(strstr(r.err, "Guest fault: instruction fetch outside RAM at 0x00000008"), "%s",
            r.err);
  spawn_expect_out(&r, "Program received signal SIGSEGV, Segmentation fault.\n0x00000008 in ?? ()");
  /* one instruction back: the call in main */
  expect_at(&r, "in main () at ", "sample-guests/calc/calc.c",
            ":51\n51\t      if (calc.top > 0) calc.show");
  /* the write that overwrote the pointer, seen backwards */
  spawn_expect_out(&r, "Old value = (void (*)(int)) 0x8\nNew value = (void (*)(int)) 0x");
  spawn_expect_out(&r, " <show_decimal>\n0x");
  expect_at(&r, " in push (value=8) at ", "sample-guests/calc/calc.c",
            ":33\n33\t  calc.items[calc.top++] = value;");
  spawn_expect_out(&r, "$1 = 9\n");
  expect_at(&r, "in main () at ", "sample-guests/calc/calc.c", ":57\n57\t      push(atoi(line));");
  spawn_expect_out(&r, "[Inferior 1 (Remote target) detached]");
  spawn_free(&r);
  stop(&s);
  spawn_remove_dir(dir);
}

/* Z3 and Z4 (rwatch, awatch) on watchme's counter, and reverse-continue
 * with nothing to stop at: back to the start of history (replaylog:begin,
 * which gdb reports as the end of its reverse-execution history). */
Test(gdb, read_and_access_watchpoints_and_history_start, .timeout = 120) {
  server s = start(spawn_guest("watchme"));
  char target[64];
  snprintf(target, sizeof target, "target remote :%u", s.port);
  char *const argv[] = {
      (char *)gdb_path(), "-batch", "-nx", "-ex", "set architecture riscv:rv32",
      "-ex", target, "-ex", "break main", "-ex", "continue",
      "-ex", "rwatch words_seen", "-ex", "continue", "-ex", "delete",
      "-ex", "awatch words_seen", "-ex", "continue", "-ex", "continue", "-ex", "delete",
      "-ex", "reverse-continue", "-ex", "print $pc", "-ex", "detach",
      (char *)spawn_guest("watchme"), NULL};
  spawn_result r;
  cr_assert(spawn_run(argv, NULL, 0, &r) == 0, "gdb-multiarch could not be started");
  cr_log_info("%s", r.out);
  /* words_seen++ reads the counter first */
  spawn_expect_out(&r, "Hardware read watchpoint 2: words_seen\n\nValue = 0\n");
  /* then writes it, then note_length reads it through its pointer */
  spawn_expect_out(&r, "Hardware access (read/write) watchpoint 3: words_seen\n\nOld value = 0\n"
                       "New value = 1\n");
  spawn_expect_out(&r, "Hardware access (read/write) watchpoint 3: words_seen\n\nValue = 1\n"
                       "note_length (");
  expect_at(&r, "No more reverse-execution history.\n_start () at ", "sample-guests/sdk/entry.S",
            ":11");
  spawn_expect_out(&r, "$1 = (void (*)()) 0x80000000 <_start>");
  spawn_free(&r);
  stop(&s);
}
