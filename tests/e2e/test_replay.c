/* Record and replay through the real binary: `pvlab run --record` makes a
 * bundle, `pvlab replay` runs it again from that file alone (no guest
 * file, no disk image, no input) to the same output, exit status and
 * state hashes; a bundle changed on purpose is caught at the right place;
 * damaged bundles are refused. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "fifo_reader.h"
#include "tap.h"
#include "spawn.h"

static char dir[64];

static void make_dir(void) {
  snprintf(dir, sizeof dir, "/tmp/pvlab-e2e-replay-XXXXXX");
  cr_assert(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
}

static void remove_dir(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_expect_eq(system(cmd), 0);
}

static const char *in_dir(const char *name) {
  static char path[4][256];
  static int next;
  char *p = path[next++ % 4];
  snprintf(p, sizeof path[0], "%s/%s", dir, name);
  return p;
}

static void copy_file(const char *from, const char *to) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
  cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static size_t len_of(const char *s) { return s ? strlen(s) : 0; }

#define PVLAB(input, ...) spawn_pvlab_run(input, len_of(input), __VA_ARGS__, (char *)NULL)

/* The calculator's planted bug: the ninth push overwrites the function
 * pointer p calls through; the crash comes several commands later. */
static const char *const CALC_INPUT =
    "6\n7\n*\np\n1\n2\n3\n4\n5\n6\n7\n8\n9\n+\n+\np\nq\n";

/* The value after "key" in stderr: the replay's own summary line. */
static unsigned long long after(const char *text, const char *key) {
  const char *p = strstr(text, key);
  cr_assert(p, "no \"%s\" in:\n%s", key, text);
  return strtoull(p + strlen(key), NULL, 0);
}

Test(replay, a_crash_recorded_replays_from_the_bundle_alone) {
  make_dir();
  /* the guest from a copy that is gone when the replay runs */
  const char *elf = in_dir("calc.elf"), *bundle = in_dir("crash.pvrec");
  copy_file(spawn_guest("calc"), elf);
  spawn_result rec = PVLAB(CALC_INPUT, "run", "--stats", "--record", bundle, elf);
  cr_assert_eq(rec.status, 123, "status %d: %s", rec.status, rec.err);
  cr_expect(strstr(rec.out, "42\n"), "%s", rec.out);
  cr_expect(strstr(rec.err, "guest fault"), "%s", rec.err);
  cr_expect(strstr(rec.err, bundle), "the run does not say where the recording went:\n%s", rec.err);
  cr_assert_eq(unlink(elf), 0);

  spawn_result rep = PVLAB(NULL, "replay", "--stats", bundle);
  cr_expect_eq(rep.status, 123, "status %d: %s", rep.status, rep.err);
  cr_expect_str_eq(rep.out, rec.out);
  cr_expect(strstr(rep.err, "guest fault"), "%s", rep.err);
  cr_expect(strstr(rep.err, "replay matched the recording"), "%s", rep.err);
  cr_expect_str_eq(spawn_stat(&rep, "state hash"), spawn_stat(&rec, "state hash"));
  cr_expect_eq(spawn_stat_num(&rep, "instructions"), spawn_stat_num(&rec, "instructions"));
  /* console input is the only thing the log needs */
  spawn_result info = PVLAB(NULL, "info", bundle);
  cr_expect_eq(info.status, 0, "%s", info.err);
  /* a fault has no exit code to show */
  cr_expect(strstr(info.out, "recording: ends at icount 6882 with a guest fault, final "
                   "state hash "), "%s", info.out);
  cr_expect_null(strstr(info.out, "exit code"), "%s", info.out);
  /* the crash comes at the last "p": the guest never read "q\n" */
  char bytes[64];
  snprintf(bytes, sizeof bytes, "%zu console bytes", strlen(CALC_INPUT) - 2);
  cr_expect(strstr(info.out, bytes), "no \"%s\" in:\n%s", bytes, info.out);
  spawn_free(&info);
  spawn_free(&rec);
  spawn_free(&rep);
  remove_dir();
}

Test(replay, the_same_run_records_the_same_bytes) {
  make_dir();
  const char *a = in_dir("a.pvrec"), *b = in_dir("b.pvrec");
  spawn_result ra = PVLAB(CALC_INPUT, "run", "--record", a, spawn_guest("calc"));
  spawn_result rb = PVLAB(CALC_INPUT, "run", "--record", b, spawn_guest("calc"));
  cr_assert_eq(ra.status, 123);
  cr_assert_eq(rb.status, 123);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
  cr_expect_eq(system(cmd), 0, "two recordings of one run differ: host state leaked in");
  spawn_free(&ra);
  spawn_free(&rb);
  remove_dir();
}

Test(replay, timer_preempted_kernel_replays_with_hashes_checked) {
  make_dir();
  const char *bundle = in_dir("k.pvrec");
  spawn_result rec = PVLAB(NULL, "run", "--stats", "--record", bundle,
                           "--hash-interval", "20000", spawn_guest("minikernel/minikernel"));
  cr_assert_eq(rec.status, 0, "%s", rec.err);
  spawn_result rep = PVLAB(NULL, "replay", bundle);
  cr_expect_eq(rep.status, 0, "%s", rep.err);
  cr_expect_str_eq(rep.out, rec.out);
  unsigned long long insns = spawn_stat_num(&rec, "instructions");
  unsigned long long checked = after(rep.err, "instructions, ");
  cr_expect_eq(checked, insns / 20000, "%llu hashes checked for %llu instructions",
               checked, insns);
  spawn_free(&rec);
  spawn_free(&rep);
  remove_dir();
}

Test(replay, keyboard_input_and_the_disk_replay_without_their_sources) {
  make_dir();
  const char *bundle = in_dir("fb.pvrec");
  spawn_result rec = PVLAB(NULL, "run", "--headless", "--stats", "--record", bundle,
                           "--keys", "<right><right><down>x<click:10,20><quit>",
                           spawn_guest("fbdemo"));
  cr_assert_eq(rec.status, 0, "%s", rec.err);
  spawn_result rep = PVLAB(NULL, "replay", "--stats", bundle);
  cr_expect_eq(rep.status, 0, "%s", rep.err);
  cr_expect_str_eq(spawn_stat(&rep, "state hash"), spawn_stat(&rec, "state hash"));
  cr_expect_eq(spawn_stat_num(&rep, "input events"), spawn_stat_num(&rec, "input events"));
  cr_expect_gt(spawn_stat_num(&rep, "input events"), 3);
  spawn_free(&rec);
  spawn_free(&rep);

  const char *img = in_dir("disk.img"), *db = in_dir("disk.pvrec");
  copy_file(spawn_guest("diskdemo"), in_dir("diskdemo.elf"));
  char image[512];
  snprintf(image, sizeof image, "%s", spawn_guest("diskdemo"));
  strcpy(strrchr(image, '.'), ".img");
  copy_file(image, img);
  rec = PVLAB(NULL, "run", "--stats", "--record", db, "--disk", img, spawn_guest("diskdemo"));
  cr_assert_eq(rec.status, 0, "%s", rec.err);
  cr_assert_eq(unlink(img), 0);
  rep = PVLAB(NULL, "replay", "--stats", db);
  cr_expect_eq(rep.status, 0, "%s", rep.err);
  cr_expect_str_eq(rep.out, rec.out);
  cr_expect_str_eq(spawn_stat(&rep, "state hash"), spawn_stat(&rec, "state hash"));
  spawn_free(&rec);
  spawn_free(&rep);
  remove_dir();
}

/* Rewrites a bundle with one byte of a section's payload changed (the
 * CRCs made right again, so that only the replay can notice). */
static void tamper(const char *path, const char *tag, size_t offset, uint8_t value) {
  snap_file f;
  host_error err;
  cr_assert(snap_file_read(&f, path, &err), "%s", err.msg);
  snap_section sec[32];
  uint8_t *copy = NULL;
  cr_assert_leq(f.nsec, 32);
  for (size_t i = 0; i < f.nsec; i++) {
    sec[i] = f.sec[i];
    if (strcmp(sec[i].tag, tag) == 0) {
      cr_assert_lt(offset, sec[i].len);
      copy = malloc(sec[i].len);
      memcpy(copy, sec[i].data, sec[i].len);
      copy[offset] = value;
      sec[i].data = copy;
    }
  }
  cr_assert(copy, "no section %s", tag);
  cr_assert(snap_file_write(path, (snap_kind)f.kind, sec, f.nsec, &err), "%s", err.msg);
  free(copy);
  snap_file_free(&f);
}

/* The offset in a LOG section of the payload of the console read that
 * brought byte number nth of the input, and that read's icount. */
static size_t console_byte(const char *path, size_t nth, uint64_t *icount) {
  snap_file f;
  host_error err;
  cr_assert(snap_file_read(&f, path, &err), "%s", err.msg);
  const snap_section *log = snap_file_find(&f, "LOG");
  cr_assert(log);
  snap_reader r = {log->data, log->len, 0, false};
  uint64_t n = snap_get_u64(&r), seen = 0;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t at = snap_get_u64(&r);
    snap_get_u32(&r);
    uint8_t kind = snap_get_u8(&r);
    snap_get_u8(&r);
    snap_get_u8(&r);
    snap_get_u64(&r);
    uint32_t len = snap_get_u32(&r);
    if (kind == REPLAY_TAP_READ && nth < seen + len) {
      size_t off = r.pos + (nth - seen);
      *icount = at;
      snap_file_free(&f);
      return off;
    }
    if (kind == REPLAY_TAP_READ) seen += len;
    snap_get_bytes(&r, len);
  }
  cr_assert_fail("byte %zu is not in the log", nth);
  return 0;
}

Test(replay, a_changed_input_byte_is_reported_where_it_takes_effect) {
  make_dir();
  const char *bundle = in_dir("t.pvrec");
  spawn_result rec = PVLAB(CALC_INPUT, "run", "--record", bundle, "--hash-interval", "2000",
                           spawn_guest("calc"));
  cr_assert_eq(rec.status, 123);
  /* "7" of "6\n7\n*" becomes "8": 6*8 is no longer 42 */
  uint64_t at;
  size_t off = console_byte(bundle, 2, &at);
  tamper(bundle, "LOG", off, '8');
  spawn_result rep = PVLAB(NULL, "replay", bundle);
  cr_expect_eq(rep.status, CLI_EXIT_DIVERGED, "status %d: %s", rep.status, rep.err);
  cr_expect(strstr(rep.err, "replay diverged"), "%s", rep.err);
  /* "differs from the recording at icount B ... the same at icount A" */
  unsigned long long differs = after(rep.err, "recording at icount ");
  unsigned long long same = after(rep.err, "same at icount ");
  cr_expect_leq(same, at, "the state was reported equal after the change:\n%s", rep.err);
  cr_expect_gt(differs, at, "%s", rep.err);
  cr_expect_leq(differs - same, 2000, "%s", rep.err);
  /* the replay stopped at the first differing hash, before "p" could
   * print 6*8: what came out is the recorded output's start */
  cr_expect_eq(strncmp(rep.out, rec.out, rep.out_len), 0, "%s", rep.out);
  cr_expect(!strstr(rep.out, "42"), "%s", rep.out);
  spawn_free(&rec);
  spawn_free(&rep);
  remove_dir();
}

/* A copy of bundle at cut with one byte changed is refused with why. */
static void expect_tampered_refused(const char *bundle, const char *cut, const char *tag,
                                    size_t offset, uint8_t value, const char *why) {
  copy_file(bundle, cut);
  tamper(cut, tag, offset, value);
  spawn_result rep = PVLAB(NULL, "replay", cut);
  cr_expect_eq(rep.status, 125, "%s+%zu: status %d", tag, offset, rep.status);
  cr_expect(strstr(rep.err, why), "%s+%zu: no \"%s\" in: %s", tag, offset, why, rep.err);
  cr_expect_eq(rep.out_len, 0, "%s+%zu: the guest ran", tag, offset);
  spawn_free(&rep);
}

Test(replay, damaged_bundles_are_refused_with_the_reason) {
  make_dir();
  const char *bundle = in_dir("d.pvrec"), *cut = in_dir("cut.pvrec");
  spawn_result rec = PVLAB(CALC_INPUT, "run", "--record", bundle, spawn_guest("calc"));
  cr_assert_eq(rec.status, 123);
  spawn_free(&rec);
  FILE *f = fopen(bundle, "rb");
  cr_assert(f);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fclose(f);
  const long cuts[] = {0, 10, size / 3, size - 20, size - 1};
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    copy_file(bundle, cut);
    cr_assert_eq(truncate(cut, cuts[i]), 0);
    spawn_result rep = PVLAB(NULL, "replay", cut);
    cr_expect_eq(rep.status, 125, "cut at %ld: status %d", cuts[i], rep.status);
    cr_expect(strstr(rep.err, cut), "cut at %ld: the message does not name the file: %s",
              cuts[i], rep.err);
    cr_expect_eq(rep.out_len, 0, "cut at %ld: the guest ran", cuts[i]);
    spawn_free(&rep);
  }
  /* hostile sections, CRCs made right: an entry of an unknown kind in the
   * log, how the recording ended out of range (offset 13), a hash list
   * whose count lies */
  expect_tampered_refused(bundle, cut, "LOG", 8 + 8 + 4, 99, "unknown kind");
  expect_tampered_refused(bundle, cut, "RECI", 13, 99, "out of range");
  /* a summary of a later version, or a stop 0 (a debug session's end) in
   * version 1, which had none; version 1 itself is read as before */
  expect_tampered_refused(bundle, cut, "RECI", 0, 3, "versions 1 to 2: a newer pvlab wrote it");
  copy_file(bundle, cut);
  tamper(cut, "RECI", 0, 1);
  spawn_result v1 = PVLAB(NULL, "replay", cut);
  cr_expect_eq(v1.status, 123, "a version 1 summary: status %d: %s", v1.status, v1.err);
  cr_expect(strstr(v1.err, "replay matched the recording"), "%s", v1.err);
  spawn_free(&v1);
  tamper(cut, "RECI", 13, 0);
  spawn_result v1none = PVLAB(NULL, "replay", cut);
  cr_expect_eq(v1none.status, 125, "stop 0 in version 1: status %d", v1none.status);
  cr_expect(strstr(v1none.err, "out of range"), "%s", v1none.err);
  spawn_free(&v1none);
  expect_tampered_refused(bundle, cut, "HASH", 0, 7, "hash list");
  spawn_result rep;
  /* a recording that could not be written is refused before the run */
  rep = PVLAB(CALC_INPUT, "run", "--record", "/nonexistent-pvlab-dir/x.pvrec", spawn_guest("calc"));
  cr_expect_eq(rep.status, 125);
  cr_expect(strstr(rep.err, "cannot write in directory '/nonexistent-pvlab-dir'"), "%s", rep.err);
  cr_expect_eq(rep.out_len, 0, "the guest ran: %s", rep.out);
  spawn_free(&rep);
  /* an ELF is not a pvlab file; a snapshot is not a recording */
  rep = PVLAB(NULL, "replay", spawn_guest("calc"));
  cr_expect_eq(rep.status, 125);
  cr_expect(strstr(rep.err, "not a pvlab"), "%s", rep.err);
  spawn_free(&rep);
  const char *snap = in_dir("s.pvsnap");
  rep = PVLAB(CALC_INPUT, "run", "--snapshot-at", "1000", snap, spawn_guest("calc"));
  cr_assert_eq(rep.status, 123, "%s", rep.err);
  spawn_free(&rep);
  rep = PVLAB(NULL, "replay", snap);
  cr_expect_eq(rep.status, 125);
  cr_expect(strstr(rep.err, "is a snapshot, not a recording"), "%s", rep.err);
  spawn_free(&rep);
  remove_dir();
}

/* docs/replay.md, step by step: the lines it shows must be what pvlab
 * prints (addresses as Debian 12's cross compiler lays out calc). */
Test(replay, the_tutorial_walks_back_from_the_crash_to_the_store) {
  make_dir();
  const char *bundle = in_dir("crash.pvrec");
  spawn_result rec = PVLAB(CALC_INPUT, "run", "--record", bundle, spawn_guest("calc"));
  cr_assert_eq(rec.status, 123, "%s", rec.err);
  const char *script = "continue\nbacktrace\nreverse-stepi\nwatch calc+32 4\n"
                       "reverse-continue\nbacktrace\nquit\n";
  spawn_result dbg = PVLAB(script, "replay", "--debug", bundle);
  cr_expect_eq(dbg.status, 0, "%s", dbg.err);
  const char *want[] = {
    "#0  0x00000008 in ?? ()\n#1  0x8000019c in main ()\n",
    "Stopped at icount 6881\n=> 0x80000198 <main+340>:\tjalr ra, 0(a4)\n",
    ("Watchpoint 1 (calc+32): written by 0x8000027c <push+52>: old 2147484196 "
     "(0x80000224), new 8 (0x8)\n=> 0x80000280 <push+56>:\taddi sp, sp, 16\n"),
    "#0  0x80000280 in push ()\n#1  0x80000104 in main ()\n",
  };
  const char *at = dbg.out;
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    const char *p = strstr(at, want[i]);
    cr_expect(p, "no (or out of order) \"%s\" in:\n%s", want[i], dbg.out);
    if (p) at = p;
  }
  spawn_free(&rec);
  spawn_free(&dbg);
  remove_dir();
}

/* Whether process pid has a handler for SIGINT (SigCgt in /proc), waiting
 * up to 20 s for it. */
static bool catches_sigint(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  for (int tries = 0; tries < 2000; tries++) {
    FILE *f = fopen(path, "r");
    unsigned long long caught = 0;
    while (f && fgets(line, sizeof line, f)) {
      if (sscanf(line, "SigCgt: %llx", &caught) == 1) break;
    }
    if (f) fclose(f);
    if (caught & (1ull << (SIGINT - 1))) return true;
    nanosleep(&(struct timespec){0, 10000000}, NULL);
  }
  return false;
}

/* Ctrl-C ends a recorded run with its bundle written: a hang is worth
 * recording.  The guest runs long enough (over a billion instructions)
 * for the signal to come first. */
/* Runs the long guest under --record and sends it Ctrl-C delay_ms after
 * pvlab is ready for it; returns pvlab's exit status. */
static int record_and_interrupt(const char *bundle, long delay_ms) {
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    execl(spawn_pvlab(), "pvlab", "run", "--record", bundle,
          spawn_guest("bench/sha256-long"), (char *)NULL);
    _exit(127);
  }
  cr_assert(catches_sigint(pid), "pvlab never set up its Ctrl-C handler");
  nanosleep(&(struct timespec){delay_ms / 1000, delay_ms % 1000 * 1000000}, NULL);
  cr_assert_eq(kill(pid, SIGINT), 0);
  int status;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFEXITED(status), "pvlab died of signal %d", WTERMSIG(status));
  return WEXITSTATUS(status);
}

/* Ctrl-C ends a recorded run with its bundle written: a hang is worth
 * recording.  The guest runs over a billion instructions, so the signal
 * comes first; on a loaded host pvlab may still be starting then (the
 * run stops at icount 0), and the test waits longer. */
Test(replay, ctrl_c_ends_a_recording_and_keeps_it) {
  make_dir();
  const char *bundle = in_dir("int.pvrec");
  unsigned long long insns = 0;
  for (long delay = 300; delay <= 2400 && insns == 0; delay *= 2) {
    cr_assert_eq(record_and_interrupt(bundle, delay), CLI_EXIT_INTERRUPTED);
    /* the replay ends as the recorded run did: Ctrl-C's status */
    spawn_result rep = PVLAB(NULL, "replay", "--stats", bundle);
    cr_expect_eq(rep.status, CLI_EXIT_INTERRUPTED, "%s", rep.err);
    cr_expect(strstr(rep.err, "replay matched the recording"), "%s", rep.err);
    cr_expect(strstr(rep.err, "where Ctrl-C ended the recorded run (exit status 130, as "
                     "it had)"), "%s", rep.err);
    insns = spawn_stat_num(&rep, "instructions");
    spawn_free(&rep);
  }
  cr_expect_gt(insns, 0, "every run was interrupted before it began");
  spawn_result info = PVLAB(NULL, "info", bundle);
  cr_expect_eq(info.status, 0, "%s", info.err);
  cr_expect(strstr(info.out, " with Ctrl-C ending the run (exit status 130), final state "
                   "hash "), "%s", info.out);
  cr_expect_null(strstr(info.out, "debug session"), "%s", info.out);
  spawn_free(&info);
  remove_dir();
}

/* ---- Output files (docs/file-formats.md): what --record or --snapshot-at
 * names decides how it is written, and nothing that is not a file is
 * replaced by one. */

static bool contains(const char *p, size_t len, const char *needle) {
  size_t n = strlen(needle);
  for (size_t i = 0; i + n <= len; i++) {
    if (memcmp(p + i, needle, n) == 0) return true;
  }
  return false;
}

Test(replay, a_recording_into_a_fifo_replays_and_the_fifo_stays) {
  make_dir();
  const char *fifo = in_dir("fifo"), *copy = in_dir("copy.pvrec");
  cr_assert_eq(mkfifo(fifo, 0600), 0, "mkfifo: %s", strerror(errno));
  /* the reader first, so that pvlab's open does not wait for it */
  fifo_reader r;
  fifo_reader_start(&r, fifo);
  spawn_result rec = PVLAB(CALC_INPUT, "run", "--record", fifo, spawn_guest("calc"));
  fifo_reader_finish(&r);
  cr_expect_eq(rec.status, 123, "status %d: %s", rec.status, rec.err);
  struct stat st;
  cr_assert_eq(lstat(fifo, &st), 0);
  cr_expect(S_ISFIFO(st.st_mode), "the FIFO was replaced by a file");
  /* a FIFO is no file to replay: no hint that says so */
  cr_expect(strstr(rec.err, "recorded") && !strstr(rec.err, "runs it again"), "%s", rec.err);
  cr_assert_gt(r.len, 0, "nothing came through the FIFO: %s", rec.err);
  FILE *f = fopen(copy, "wb");
  cr_assert(f);
  cr_assert_eq(fwrite(r.buf, 1, r.len, f), r.len);
  cr_assert_eq(fclose(f), 0);
  free(r.buf);
  spawn_result rep = PVLAB(NULL, "replay", copy);
  cr_expect_eq(rep.status, 123, "status %d: %s", rep.status, rep.err);
  cr_expect(strstr(rep.err, "replay matched the recording"), "%s", rep.err);
  cr_expect_str_eq(rep.out, rec.out);
  spawn_free(&rec);
  spawn_free(&rep);
  remove_dir();
}

Test(replay, a_recording_into_a_directory_is_refused_before_the_run) {
  make_dir();
  spawn_result rec = PVLAB(CALC_INPUT, "run", "--record", dir, spawn_guest("calc"));
  cr_expect_eq(rec.status, 125, "status %d: %s", rec.status, rec.err);
  char want[256];
  snprintf(want, sizeof want, "pvlab run: --record %s: it is a directory; name a "
           "file inside it\n", dir);
  cr_expect(strstr(rec.err, want), "no \"%s\" in:\n%s", want, rec.err);
  cr_expect_eq(rec.out_len, 0, "the guest ran: %s", rec.out);
  struct stat st;
  cr_expect(stat(dir, &st) == 0 && S_ISDIR(st.st_mode), "the directory is gone");
  spawn_free(&rec);
  remove_dir();
}

Test(replay, a_snapshot_through_a_link_to_dev_stdout_reaches_the_pipe) {
  make_dir();
  const char *link = in_dir("out");
  cr_assert_eq(symlink("/dev/stdout", link), 0);
  spawn_result run = PVLAB(NULL, "run", "--snapshot-at", "1000", link, spawn_guest("hello"));
  cr_expect_eq(run.status, 0, "status %d: %s", run.status, run.err);
  cr_expect(contains(run.out, run.out_len, "PVLABSNP"), "no snapshot on stdout: %s",
            run.err);
  cr_expect(contains(run.out, run.out_len, "Hello from pvlab!"), "the guest's output is lost");
  struct stat st;
  cr_assert_eq(lstat(link, &st), 0);
  cr_expect(S_ISLNK(st.st_mode), "the link was replaced by a file");
  spawn_free(&run);
  remove_dir();
}
