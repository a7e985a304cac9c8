/* End to end: snapshots through the real pvlab binary.  A run that saves
 * itself along the way (--snapshot-at) must be the run that does not; a
 * run from one of those files (--load) must go on exactly as the straight
 * run went on: the same remaining output and the same final state hash.
 * pvlab info describes a file; a damaged one is refused with status 125
 * and a message saying what is wrong; the monitor saves and loads. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spawn.h"

static char dir[64];

static const char *temp(const char *name) {
  static char path[8][128];
  static int n;
  if (!dir[0]) {
    snprintf(dir, sizeof dir, "/tmp/pvlab-e2e-snap-XXXXXX");
    cr_assert(mkdtemp(dir));
  }
  char *p = path[n++ % 8];
  snprintf(p, sizeof path[0], "%s/%s", dir, name);
  return p;
}

static const char *disk_image(void) {
  static char path[4096];
  snprintf(path, sizeof path, "%s/diskdemo.img", getenv("GUESTS"));
  return path;
}

/* The number after "LABEL" in pvlab info's output. */
static unsigned long long info_num(const char *text, const char *label) {
  const char *p = strstr(text, label);
  cr_assert(p, "info lacks \"%s\":\n%s", label, text);
  return strtoull(p + strlen(label), NULL, 10);
}

/* Straight, saving at `at`, then from the file: the same run. */
static void expect_resumable(const char *guest, const char *disk, const char *input,
                             const char *at) {
  const char *snap = temp("resume.pvsnap");
  const char *g = spawn_guest(guest);
  spawn_result a = disk ? SPAWN_RUN(input, "run", "--stats", "--disk", disk, g)
                        : SPAWN_RUN(input, "run", "--stats", g);
  spawn_result b = disk ? SPAWN_RUN(input, "run", "--stats", "--snapshot-at", at, snap, "--disk", disk, g)
                        : SPAWN_RUN(input, "run", "--stats", "--snapshot-at", at, snap, g);
  cr_assert_eq(b.status, a.status, "stderr: %s", b.err);
  cr_expect_str_eq(b.out, a.out, "saving changed the run's output");
  char want[256];
  snprintf(want, sizeof want, "pvlab: saved snapshot %s at icount %s\n", snap, at);
  cr_expect(strstr(b.err, want), "stderr lacks \"%s\":\n%s", want, b.err);
  char hash[64];
  snprintf(hash, sizeof hash, "%s", spawn_stat(&a, "state hash"));
  cr_expect_str_eq(spawn_stat(&b, "state hash"), hash);

  /* what the guest had read of its input by then: pvlab info says */
  spawn_result info = SPAWN_RUN(NULL, "info", snap);
  cr_assert_eq(info.status, 0, "%s", info.err);
  unsigned long long used = info_num(info.out, "bytes written, ");
  cr_assert_leq(used, spawn_text_len(input));
  unsigned long long written = info_num(info.out, "console        ");
  spawn_result c = SPAWN_RUN(input ? input + used : NULL, "run", "--stats", "--load", snap);
  cr_assert_eq(c.status, a.status, "stderr: %s", c.err);
  cr_assert_leq(written, a.out_len);
  cr_expect_str_eq(c.out, a.out + written, "the rest of the output differs");
  cr_expect_str_eq(spawn_stat(&c, "state hash"), hash);
  cr_expect_eq(spawn_stat_num(&c, "instructions"), spawn_stat_num(&a, "instructions"));
  cr_expect_eq(spawn_stat_num(&c, "hypercalls"), spawn_stat_num(&a, "hypercalls"),
               "the counts go on from the snapshot's");
  spawn_free(&a);
  spawn_free(&b);
  spawn_free(&c);
  spawn_free(&info);
  unlink(snap);
}

Test(snapshot, minikernel_resumes_mid_run) {
  expect_resumable("minikernel/minikernel", NULL, NULL, "200000");
  expect_resumable("minikernel/minikernel", NULL, NULL, "12345");
}

Test(snapshot, diskdemo_resumes_mid_input_and_mid_disk) {
  const char *input = "cat poem.txt\nwrite notes.txt saved and restored\ncat notes.txt\n";
  expect_resumable("diskdemo", disk_image(), input, "20000");
  expect_resumable("diskdemo", disk_image(), input, "31000");
}

Test(snapshot, several_points_in_one_run) {
  const char *s1 = temp("one.pvsnap"), *s2 = temp("two.pvsnap");
  spawn_result r = SPAWN_RUN(NULL, "run", "--snapshot-at", "3000", s2, "--snapshot-at", "100", s1,
                       spawn_guest("hello"));
  cr_assert_eq(r.status, 0, "%s", r.err);
  cr_expect(strstr(r.err, "at icount 100\n") < strstr(r.err, "at icount 3000\n"),
            "in count order:\n%s", r.err);
  spawn_result i1 = SPAWN_RUN(NULL, "info", s1), i2 = SPAWN_RUN(NULL, "info", s2);
  cr_expect_eq(info_num(i1.out, "icount "), 100);
  cr_expect_eq(info_num(i2.out, "icount "), 3000);
  /* a count the guest never reaches: the run says so, status 125 */
  spawn_result late = SPAWN_RUN(NULL, "run", "--snapshot-at", "9999999", temp("late.pvsnap"),
                          spawn_guest("hello"));
  cr_expect_eq(late.status, 125);
  cr_expect(strstr(late.err, "before --snapshot-at 9999999"), "%s", late.err);
  cr_expect_neq(access(temp("late.pvsnap"), F_OK), 0);
  spawn_free(&r);
  spawn_free(&i1);
  spawn_free(&i2);
  spawn_free(&late);
}

/* A snapshot the run could not write is refused before the guest runs. */
Test(snapshot, a_snapshot_into_a_directory_is_refused_before_the_run) {
  const char *d = temp("a-directory");
  cr_assert_eq(mkdir(d, 0700), 0);
  spawn_result r = SPAWN_RUN(NULL, "run", "--snapshot-at", "1000", d, spawn_guest("hello"));
  cr_expect_eq(r.status, 125, "status %d: %s", r.status, r.err);
  char want[256];
  snprintf(want, sizeof want, "pvlab run: --snapshot-at 1000 %s: it is a directory; name "
           "a file inside it\n", d);
  cr_expect(strstr(r.err, want), "no \"%s\" in:\n%s", want, r.err);
  cr_expect_eq(r.out_len, 0, "the guest ran: %s", r.out);
  spawn_free(&r);
}

Test(snapshot, info_names_guest_icount_and_sections) {
  const char *snap = temp("info.pvsnap");
  spawn_result r = SPAWN_RUN("cat poem.txt\n", "run", "--snapshot-at", "15000", snap, "--disk",
                       disk_image(), spawn_guest("diskdemo"));
  cr_assert_eq(r.status, 0, "%s", r.err);
  spawn_result i = SPAWN_RUN(NULL, "info", snap);
  cr_assert_eq(i.status, 0, "%s", i.err);
  const char *want[] = {
    ": pvlab snapshot\n", "versions       format 3, instruction set 1, para-API 1.0\n",
    "guest          diskdemo.elf (", ", with symbols)\n", "icount         15000\n",
    "mode           kernel\n", "memory         32 MiB\n", "seed           0\n", "timer jitter   off\n",
    "display        640x480\n", "disk           diskdemo.img: 4 sectors (2 KiB)",
    "sections       7\n", "\n    CONF ", "\n    CPU  ", "\n    DEVS ", "\n    RAM  ",
    "\n    DISK ", "\n    ELF  ", "\n    STAT ", "check          every field is valid\n",
  };
  for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
    cr_expect(strstr(i.out, want[k]), "info lacks \"%s\":\n%s", want[k], i.out);
  }
  cr_expect(strstr(i.out, "pc             0x8"), "%s", i.out);
  cr_expect(strstr(i.out, " <"), "the pc's symbol:\n%s", i.out);
  spawn_free(&r);
  spawn_free(&i);
}

/* A file cut short: status 125 and a message naming the file and what is
 * wrong, from run, debug and info alike. */
Test(snapshot, damaged_files_are_refused_with_125) {
  const char *snap = temp("whole.pvsnap"), *cut = temp("cut.pvsnap");
  spawn_result r = SPAWN_RUN(NULL, "run", "--snapshot-at", "1000", snap, spawn_guest("hello"));
  cr_assert_eq(r.status, 0, "%s", r.err);
  FILE *in = fopen(snap, "rb"), *out = fopen(cut, "wb");
  cr_assert(in && out);
  char buf[300];
  cr_assert_eq(fread(buf, 1, sizeof buf, in), sizeof buf);
  cr_assert_eq(fwrite(buf, 1, sizeof buf, out), sizeof buf);
  fclose(in);
  fclose(out);
  spawn_result run = SPAWN_RUN(NULL, "run", "--load", cut);
  spawn_result dbg = SPAWN_RUN("quit\n", "debug", "--load", cut);
  spawn_result info = SPAWN_RUN(NULL, "info", cut);
  spawn_result *all[] = {&run, &dbg, &info};
  for (int k = 0; k < 3; k++) {
    cr_expect_eq(all[k]->status, 125, "status %d: %s", all[k]->status, all[k]->err);
    cr_expect(strstr(all[k]->err, "cut.pvsnap' is truncated in section "), "%s", all[k]->err);
    cr_expect_eq(all[k]->out_len, 0, "%s", all[k]->out);
  }
  spawn_result elf = SPAWN_RUN(NULL, "run", "--load", spawn_guest("hello"));
  cr_expect_eq(elf.status, 125);
  cr_expect(strstr(elf.err, "is not a pvlab snapshot"), "%s", elf.err);
  spawn_free(&r);
  spawn_free(&run);
  spawn_free(&dbg);
  spawn_free(&info);
  spawn_free(&elf);
}

Test(snapshot, load_refuses_what_the_snapshot_decides) {
  const char *snap = temp("conflict.pvsnap");
  spawn_result r = SPAWN_RUN(NULL, "run", "--snapshot-at", "500", snap, spawn_guest("hello"));
  cr_assert_eq(r.status, 0, "%s", r.err);
  const char *opts[][2] = {{"--mem", "4"}, {"--seed", "3"}, {"--display", "320x200"},
                           {"--disk", "x.img"}};
  for (int k = 0; k < 4; k++) {
    spawn_result c = SPAWN_RUN(NULL, "run", "--load", snap, opts[k][0], opts[k][1]);
    cr_expect_eq(c.status, 125);
    char want[128];
    snprintf(want, sizeof want, "pvlab run: %s cannot go with --load", opts[k][0]);
    cr_expect(strstr(c.err, want), "%s", c.err);
    spawn_free(&c);
  }
  spawn_result both = SPAWN_RUN(NULL, "run", "--load", snap, spawn_guest("hello"));
  cr_expect_eq(both.status, 125);
  cr_expect(strstr(both.err, "brings its own guest"), "%s", both.err);
  spawn_result behind = SPAWN_RUN(NULL, "run", "--load", snap, "--max-insns", "400");
  cr_expect_eq(behind.status, 125);
  cr_expect(strstr(behind.err, "--max-insns 400 is not ahead of the snapshot's "
                   "instruction count 500"), "%s", behind.err);
  spawn_result limit = SPAWN_RUN(NULL, "run", "--load", snap, "--max-insns", "600");
  cr_expect_eq(limit.status, 124, "%s", limit.err);
  spawn_free(&r);
  spawn_free(&both);
  spawn_free(&behind);
  spawn_free(&limit);
}

/* savevm and loadvm through pvlab debug with piped commands; a failing
 * loadvm leaves the guest where it was. */
Test(snapshot, monitor_savevm_and_loadvm) {
  const char *snap = temp("mon.pvsnap");
  char script[1024];
  snprintf(script, sizeof script,
           "run-until 2000\nsavevm %s\ncontinue\nloadvm %s\ninfo registers pc\n"
           "loadvm %s\nprint $icount\ncontinue\n",
           snap, snap, temp("missing.pvsnap"));
  spawn_result r = SPAWN_RUN(script, "debug", "--keep-going", spawn_guest("hello"));
  cr_assert_eq(r.status, 0, "%s", r.err);
  char want[512];
  snprintf(want, sizeof want, "Stopped at icount 2000\n=> 0x80001240 <__d_vfprintf+2908>:\t"
           "slli a5, a5, 2\nSaved snapshot %s at icount 2000 (", snap);
  cr_expect(strstr(r.out, want), "lacks:\n%s\nin:\n%s", want, r.out);
  snprintf(want, sizeof want, "Loaded snapshot %s: hello.elf at icount 2000\n"
           "=> 0x80001240 <__d_vfprintf+2908>:\tslli a5, a5, 2\n"
           "pc        0x80001240 <__d_vfprintf+2908>\n", snap);
  cr_expect(strstr(r.out, want), "lacks:\n%s\nin:\n%s", want, r.out);
  snprintf(want, sizeof want, "cannot open '%s': No such file or directory; check the "
           "file name; the machine is as it was\n", temp("missing.pvsnap"));
  cr_expect(strstr(r.out, want), "lacks:\n%s\nin:\n%s", want, r.out);
  cr_expect(strstr(r.out, "$1 = 2000 (0x7d0)\n"), "the failed load moved the guest:\n%s", r.out);
  /* the rest of hello twice: after the save and after the load */
  const char *tail = "para-API 1.0, 32768 KiB of RAM\nThe guest shut down with exit code 0 "
                     "after 3696 instructions\n";
  const char *first = strstr(r.out, tail);
  cr_expect(first && strstr(first + 1, tail), "hello did not finish twice:\n%s", r.out);
  spawn_free(&r);

  /* and the same file opens a session of its own; restart goes back to it */
  spawn_result d = SPAWN_RUN("continue\nrestart\nprint $icount\n", "debug", "--load", snap);
  cr_assert_eq(d.status, 0, "%s", d.err);
  snprintf(want, sizeof want, "pvlab debug: hello.elf from snapshot %s is stopped at icount "
           "2000; 'help' lists the commands\n", snap);
  cr_expect(strstr(d.out, want) == d.out, "banner:\n%s", d.out);
  cr_expect(strstr(d.out, tail), "%s", d.out);
  snprintf(want, sizeof want, "Restarted %s\n", snap);
  cr_expect(strstr(d.out, want), "%s", d.out);
  cr_expect(strstr(d.out, "$1 = 2000 (0x7d0)\n"), "%s", d.out);
  spawn_free(&d);
}
