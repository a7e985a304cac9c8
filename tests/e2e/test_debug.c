/* End to end: `pvlab debug` through the real binary on real guests, driven
 * the three ways a user drives it: a -x script, commands piped on stdin,
 * and a person at a terminal (a pseudo-terminal here: prompt, Tab
 * completion, Ctrl-C while the guest runs and at the prompt, Ctrl-D, the
 * history file). */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "mon_cmds.h"
#include "spawn.h"

#define DEBUG(input, ...) \
  SPAWN_RUN(input, "debug", __VA_ARGS__)

/* needle a appears before needle b */
static void expect_order(const spawn_result *r, const char *a, const char *b) {
  const char *pa = strstr(r->out, a), *pb = pa ? strstr(pa, b) : NULL;
  cr_expect(pa && pb, "stdout lacks \"%s\" followed by \"%s\":\n%s", a, b, r->out);
}

Test(debug, script_steps_through_hello) {
  const char *dir = spawn_temp_dir();
  char *script = spawn_put_file(dir, "hello.gdb",
      "# a comment, then the walk through hello\n"
      "break main\n"
      "continue\n"
      "stepi\n"
      "info registers\n"
      "echo -- finishing main --\n"
      "finish\n"
      "continue\n");
  spawn_result r = DEBUG(NULL, spawn_guest("hello"), "-x", script);
  cr_expect_eq(r.status, 0, "status %d; stdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
  cr_expect(strstr(r.out, "pvlab debug: ") == r.out, "banner first:\n%s", r.out);
  expect_order(&r, "is stopped at its entry point", "=> 0x80000000 <_start>:");
  expect_order(&r, "Breakpoint 1 at 0x", "<main>\n");
  expect_order(&r, "Breakpoint 1, 0x", "=> 0x");
  expect_order(&r, "Stopped at icount", "<main+4>");
  spawn_expect_out(&r, "pc ");
  expect_order(&r, "-- finishing main --\n", "Hello from pvlab!\n");
  expect_order(&r, "Hello from pvlab!\n", "Run till exit from main");
  expect_order(&r, "Run till exit from main", "The guest shut down with exit code 0");
  cr_expect_eq(r.err_len, 0, "stderr: %s", r.err);
  spawn_free(&r);
  free(script);
  spawn_remove_dir(dir);
}

Test(debug, commands_piped_on_stdin_without_prompts) {
  spawn_result r = DEBUG("break main\ncontinue\necho at main\ncontinue\n",
                         spawn_guest("hello"));
  cr_expect_eq(r.status, 0, "status %d; stdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
  expect_order(&r, "Breakpoint 1, ", "at main\n");
  expect_order(&r, "at main\n", "Hello from pvlab!");
  spawn_expect_out(&r, "The guest shut down with exit code 0");
  cr_expect_null(strstr(r.out, "(pvlab)"), "a prompt in piped mode:\n%s", r.out);
  spawn_free(&r);
}

Test(debug, end_of_commands_leaves_with_status_0) {
  spawn_result r = DEBUG(NULL, spawn_guest("hello"));
  cr_expect_eq(r.status, 0, "stderr: %s", r.err);
  spawn_expect_out(&r, "=> 0x80000000 <_start>:");
  spawn_free(&r);
}

Test(debug, script_error_stops_with_file_line_and_status_1) {
  const char *dir = spawn_temp_dir();
  char *script = spawn_put_file(dir, "bad.gdb", "break main\nbreak no_such_function\ncontinue\n");
  spawn_result r = DEBUG("echo read after the script\n", spawn_guest("hello"), "-x", script);
  cr_expect_eq(r.status, 1, "status %d; stdout:\n%s", r.status, r.out);
  char where[4200];
  snprintf(where, sizeof where, "%s:2: the error above, in: break no_such_function", script);
  spawn_expect_out(&r, where);
  cr_expect_null(strstr(r.out, "Breakpoint 1, "), "went on after the error:\n%s", r.out);
  cr_expect_null(strstr(r.out, "read after the script"), "read stdin after a failed script:\n%s", r.out);
  spawn_free(&r);

  r = DEBUG(NULL, spawn_guest("hello"), "-x", script, "--keep-going");
  cr_expect_eq(r.status, 0, "--keep-going: status %d; stdout:\n%s", r.status, r.out);
  expect_order(&r, where, "Breakpoint 1, ");
  spawn_free(&r);
  free(script);
  spawn_remove_dir(dir);
}

Test(debug, piped_error_stops_with_status_1_unless_keep_going) {
  const char *cmds = "break main\nfrobnicate\ncontinue\n";
  spawn_result r = DEBUG(cmds, spawn_guest("hello"));
  cr_expect_eq(r.status, 1, "status %d; stdout:\n%s", r.status, r.out);
  spawn_expect_out(&r, "stdin:2: the error above, in: frobnicate");
  cr_expect_null(strstr(r.out, "Breakpoint 1, "), "went on:\n%s", r.out);
  spawn_free(&r);

  r = DEBUG(cmds, spawn_guest("hello"), "--keep-going");
  cr_expect_eq(r.status, 0, "status %d; stdout:\n%s", r.status, r.out);
  expect_order(&r, "stdin:2: the error above", "Breakpoint 1, ");
  spawn_free(&r);
}

Test(debug, quit_in_a_script_ends_the_session) {
  const char *dir = spawn_temp_dir();
  char *script = spawn_put_file(dir, "q.gdb", "echo one\nquit\necho two\n");
  spawn_result r = DEBUG("echo three\n", spawn_guest("hello"), "-x", script);
  cr_expect_eq(r.status, 0);
  spawn_expect_out(&r, "one\n");
  cr_expect_null(strstr(r.out, "two"), "%s", r.out);
  cr_expect_null(strstr(r.out, "three"), "%s", r.out);
  spawn_free(&r);
  free(script);
  spawn_remove_dir(dir);
}

Test(debug, guest_output_unfinished_line_then_report_on_its_own_line) {
  const char *dir = spawn_temp_dir();
  char *input = spawn_put_file(dir, "in.txt", "abc"); /* no newline */
  spawn_result r = DEBUG("catch hcall console_read\ncontinue\ncontinue\n",
                         spawn_guest("echo"), "--console-input", input);
  cr_expect_eq(r.status, 0, "status %d; stdout:\n%s", r.status, r.out);
  spawn_expect_out(&r, "\nabc\nCatchpoint 1 (hcall console_read): ");
  spawn_free(&r);
  free(input);
  spawn_remove_dir(dir);
}

Test(debug, console_input_feeds_the_guest) {
  const char *dir = spawn_temp_dir();
  char *input = spawn_put_file(dir, "in.txt", "csr\n");
  spawn_result r = DEBUG("continue\nbacktrace\nrestart\ncontinue\n",
                         spawn_guest("faults"), "--console-input", input);
  cr_expect_eq(r.status, 0, "status %d; stdout:\n%s", r.status, r.out);
  expect_order(&r, "Guest fault: illegal instruction at read_cycle_csr", "read_cycle_csr");
  /* a restarted guest reads the file from its start again */
  expect_order(&r, "Restarted ", "Guest fault: illegal instruction at read_cycle_csr");
  spawn_free(&r);

  /* with commands on stdin and no --console-input, the guest sees the end */
  r = DEBUG("continue\n", spawn_guest("faults"));
  expect_order(&r, "faults: give a command on the console",
               "The guest shut down with exit code 1");
  spawn_free(&r);
  free(input);
  spawn_remove_dir(dir);
}

Test(debug, help_lists_every_command_of_the_table) {
  spawn_result r = DEBUG("help\nhelp watch\n", spawn_guest("hello"));
  cr_expect_eq(r.status, 0);
#define EXPECT_LISTED(fn, name, aliases, usage, help) spawn_expect_out(&r, usage);
  MON_COMMANDS(EXPECT_LISTED)
#undef EXPECT_LISTED
  spawn_expect_out(&r, "usage: watch ADDRESS [LEN]\n");
  spawn_free(&r);
}

Test(debug, usage_and_host_errors_exit_125) {
  spawn_result r = DEBUG(NULL, "/nonexistent/guest.elf");
  cr_expect_eq(r.status, CLI_EXIT_HOST);
  spawn_free(&r);
  r = DEBUG(NULL, spawn_guest("hello"), "-x", "/nonexistent/script");
  cr_expect_eq(r.status, CLI_EXIT_HOST);
  cr_expect(strstr(r.err, "/nonexistent/script"), "stderr: %s", r.err);
  spawn_free(&r);
  r = DEBUG(NULL, spawn_guest("hello"), "--console-input", "/nonexistent/input");
  cr_expect_eq(r.status, CLI_EXIT_HOST);
  cr_expect(strstr(r.err, "/nonexistent/input"), "stderr: %s", r.err);
  spawn_free(&r);
  r = DEBUG(NULL, spawn_guest("hello"), "--stats");
  cr_expect_eq(r.status, CLI_EXIT_HOST);
  cr_expect(strstr(r.err, "info stats"), "stderr: %s", r.err);
  spawn_free(&r);
  r = DEBUG(NULL, spawn_guest("hello"), "-x");
  cr_expect_eq(r.status, CLI_EXIT_HOST);
  spawn_free(&r);
  /* -x is for debug alone */
  r = spawn_pvlab_run(NULL, 0, "run", spawn_guest("hello"), "-x", "s", (char *)NULL);
  cr_expect_eq(r.status, CLI_EXIT_HOST);
  spawn_free(&r);
}

Test(debug, watchpoint_finds_who_overwrites_a_variable) {
  spawn_result r = DEBUG("watch words_seen\ncontinue\ncontinue\nbacktrace\n",
                         spawn_guest("watchme"));
  cr_expect_eq(r.status, 0, "status %d; stdout:\n%s", r.status, r.out);
  expect_order(&r, "written by 0x", "<main+");
  expect_order(&r, "<main+", "old 0 (0x0), new 1 (0x1)");
  expect_order(&r, "old 0 (0x0), new 1 (0x1)", "<note_length+");
  expect_order(&r, "<note_length+", "old 1 (0x1), new 11 (0xb)");
  expect_order(&r, "new 11 (0xb)", "in main");
  spawn_free(&r);
}

/* ---- a person at a terminal: a pseudo-terminal drives the real binary */

typedef struct tty {
  pid_t pid;
  int fd;
  char buf[1 << 17];
  size_t len, mark; /* what was read; where the next expect looks from */
} tty;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads what is there within timeout_ms; false at end of output. */
static bool tty_read(tty *t, int timeout_ms) {
  struct pollfd p = {.fd = t->fd, .events = POLLIN};
  int n = poll(&p, 1, timeout_ms);
  if (n <= 0) return true;
  if (t->len + 1 >= sizeof t->buf) return false;
  ssize_t got = read(t->fd, t->buf + t->len, sizeof t->buf - 1 - t->len);
  if (got <= 0) return false; /* EIO: the other side closed */
  t->len += (size_t)got;
  t->buf[t->len] = 0;
  return true;
}

/* Waits up to timeout_ms for text after the mark, then moves the mark past
 * it.  Terminal output has escape sequences in it: expect what is printed
 * in one piece (command output), not what the line editor redraws. */
static bool tty_expect(tty *t, const char *text, int timeout_ms) {
  long long end = now_ms() + timeout_ms;
  for (;;) {
    char *at = strstr(t->buf + t->mark, text);
    if (at) {
      t->mark = (size_t)(at - t->buf) + strlen(text);
      return true;
    }
    long long left = end - now_ms();
    if (left <= 0 || !tty_read(t, (int)(left < 100 ? left : 100))) {
      return strstr(t->buf + t->mark, text) != NULL;
    }
  }
}

static void tty_send(tty *t, const char *keys) {
  size_t n = strlen(keys);
  cr_assert_eq(write(t->fd, keys, n), (ssize_t)n);
}

/* The transcript's tail with control characters made visible. */
static const char *visible(const tty *t) {
  static char text[8192];
  size_t from = t->len > 2000 ? t->len - 2000 : 0, n = 0;
  for (size_t i = from; i < t->len && n + 5 < sizeof text; i++) {
    unsigned char c = (unsigned char)t->buf[i];
    if (c == '\n' || (c >= 32 && c < 127)) text[n++] = (char)c;
    else n += (size_t)snprintf(text + n, sizeof text - n, "\\x%02x", c);
  }
  text[n] = 0;
  return text;
}

/* The prompt, and the line editor's raw mode behind it: keys typed before
 * libedit switches the terminal would be echoed twice (by the terminal,
 * then by libedit), as a real terminal's typeahead is. */
static bool tty_prompt(tty *t, int timeout_ms) {
  long long end = now_ms() + timeout_ms;
  if (!tty_expect(t, "(pvlab) ", timeout_ms)) return false;
  for (;;) {
    struct termios tio;
    if (tcgetattr(t->fd, &tio) == 0 && !(tio.c_lflag & ICANON)) return true;
    if (now_ms() >= end || !tty_read(t, 5)) return false;
  }
}

#define EXPECT_PROMPT(t)                                                     \
  cr_assert(tty_prompt(t, 20000), "no prompt ready for typing; the "        \
            "terminal's last output:\n%s", visible(t))

#define EXPECT_TTY(t, text)                                                  \
  cr_assert(tty_expect(t, text, 20000), "the terminal never showed \"%s\" " \
            "after what was matched before; its last output:\n%s", text,     \
            visible(t))

static char *read_text(const char *path) {
  static char text[65536];
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = 0;
  return text;
}

Test(debug_tty, prompt_completion_ctrl_c_ctrl_d_and_history, .timeout = 120) {
  const char *dir = spawn_temp_dir();
  char *input = spawn_put_file(dir, "in.txt", "spin\n");
  char history[4200];
  snprintf(history, sizeof history, "%s/history", dir);
  const char *pvlab = spawn_pvlab(), *guest = spawn_guest("faults");

  static tty t;
  memset(&t, 0, sizeof t);
  struct winsize ws = {.ws_row = 24, .ws_col = 100};
  t.pid = forkpty(&t.fd, NULL, NULL, &ws);
  if (t.pid < 0) {
    cr_skip_test("no pseudo-terminal here (forkpty: %s): the interactive "
                 "test needs one", strerror(errno));
  }
  if (t.pid == 0) {
    setenv("TERM", "xterm", 1);
    setenv("PVLAB_HISTORY", history, 1);
    execl(pvlab, pvlab, "debug", guest, "--console-input", input, (char *)NULL);
    _exit(127);
  }
  EXPECT_TTY(&t, "is stopped at its entry point");
  EXPECT_PROMPT(&t);

  /* Tab: "disa" is disable or disassemble, listed; "disas" is one */
  tty_send(&t, "disa\t");
  EXPECT_TTY(&t, "disable");
  EXPECT_TTY(&t, "disassemble");
  tty_send(&t, "s\t\r");
  EXPECT_TTY(&t, "<_start+4>");
  EXPECT_PROMPT(&t);

  /* a symbol from its prefix: "spin_f" alone is no symbol */
  tty_send(&t, "break spin_f\t\r");
  EXPECT_TTY(&t, "Breakpoint 1 at 0x");
  EXPECT_TTY(&t, "<spin_forever>");
  EXPECT_PROMPT(&t);
  tty_send(&t, "continue\r");
  EXPECT_TTY(&t, "Breakpoint 1, 0x");
  EXPECT_PROMPT(&t);

  /* Enter alone repeats stepi */
  tty_send(&t, "stepi\r");
  EXPECT_TTY(&t, "Stopped at icount");
  EXPECT_PROMPT(&t);
  tty_send(&t, "\r");
  EXPECT_TTY(&t, "Stopped at icount");
  EXPECT_PROMPT(&t);

  /* Ctrl-C while the guest spins: the prompt comes back */
  tty_send(&t, "delete\r");
  EXPECT_PROMPT(&t);
  tty_send(&t, "continue\r");
  EXPECT_TTY(&t, "continue\r\n");
  cr_assert_not(tty_expect(&t, "(pvlab) ", 300), "continue returned on a "
                "spinning guest:\n%s", visible(&t));
  tty_send(&t, "\x03");
  EXPECT_TTY(&t, "\nInterrupted at icount ");
  EXPECT_TTY(&t, "<spin_forever+");
  EXPECT_PROMPT(&t);

  /* Ctrl-C at the prompt drops the line and leaves pvlab running */
  tty_send(&t, "this is dropped");
  EXPECT_TTY(&t, "dropped");
  tty_send(&t, "\x03");
  EXPECT_TTY(&t, "^C");
  EXPECT_PROMPT(&t);
  tty_send(&t, "echo still here\r");
  EXPECT_TTY(&t, "\nstill here\r\n");
  EXPECT_PROMPT(&t);

  /* Ctrl-D leaves with status 0 */
  tty_send(&t, "\x04");
  long long end = now_ms() + 20000;
  while (now_ms() < end && tty_read(&t, 100)) {}
  int st = -1;
  pid_t done;
  while ((done = waitpid(t.pid, &st, WNOHANG)) == 0 && now_ms() < end) {
    struct timespec pause = {0, 10 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  if (done == 0) {
    kill(t.pid, SIGKILL);
    waitpid(t.pid, &st, 0);
    cr_assert_fail("pvlab did not leave at Ctrl-D:\n%s", visible(&t));
  }
  close(t.fd);
  cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x after Ctrl-D", st);

  /* the history file has the lines typed (libedit writes a space as \040) */
  const char *saved = read_text(history);
  cr_assert(saved, "no history file %s", history);
  cr_expect(strstr(saved, "\ndisassemble"), "history lacks the completed "
            "command:\n%s", saved);
  cr_expect(strstr(saved, "break\\040spin_forever"), "history:\n%s", saved);
  cr_expect(strstr(saved, "echo\\040still\\040here"), "history:\n%s", saved);
  cr_expect_null(strstr(saved, "dropped"), "a cancelled line was kept:\n%s", saved);
  free(input);
  spawn_remove_dir(dir);
}
