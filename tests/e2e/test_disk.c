/* End to end: the block device through the real pvlab binary, with the
 * diskdemo guest and the pvdisk image the build makes (GUESTS/diskdemo.img).
 * Every run that may write works on a copy of the image in a temp dir. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "spawn.h"

static char dir[64];
static char image[128]; /* dir/disk.img, a copy of diskdemo.img */

static void write_all(const char *path, const char *p, size_t n) {
  FILE *f = fopen(path, "wb");
  cr_assert(f, "cannot create %s", path);
  cr_assert_eq(fwrite(p, 1, n, f), n);
  cr_assert_eq(fclose(f), 0);
}

static const char *built_image(void) {
  static char path[4096];
  const char *guests = getenv("GUESTS");
  cr_assert(guests, "GUESTS is not set: run the tests with 'meson test'");
  snprintf(path, sizeof path, "%s/diskdemo.img", guests);
  return path;
}

/* A text file of sample-guests/diskdemo/files, as it went into the image. */
static char *source_file(const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/sample-guests/diskdemo/files/%s",
           PVLAB_SOURCE_ROOT, name);
  return spawn_read_file(path, NULL);
}

static void setup(void) {
  size_t n;
  char *p = spawn_read_file(built_image(), &n);
  snprintf(dir, sizeof dir, "/tmp/pvlab-e2e-disk-XXXXXX");
  cr_assert(mkdtemp(dir));
  snprintf(image, sizeof image, "%s/disk.img", dir);
  write_all(image, p, n);
  free(p);
}

static void teardown(void) {
  DIR *d = opendir(dir);
  if (!d) return;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.' && (!e->d_name[1] || !strcmp(e->d_name, ".."))) continue;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  closedir(d);
  rmdir(dir);
}

TestSuite(diskdemo, .init = setup, .fini = teardown);
TestSuite(disk_cli, .init = setup, .fini = teardown);

static const char listing[] =
  "disk: 4 sectors of 512 bytes, writes kept in memory\n"
  "3 files:\n"
  "  readme.txt     198 bytes  from sector 1\n"
  "  poem.txt       176 bytes  from sector 2\n"
  "  notes.txt       48 bytes  from sector 3\n"
  "readme.txt:\n";

Test(diskdemo, lists_the_directory_and_prints_the_readme) {
  spawn_result r = SPAWN_RUN(NULL, "run", "--disk", built_image(), spawn_guest("diskdemo"));
  cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
  cr_expect_eq(r.err_len, 0, "stderr: %s", r.err);
  char *readme = source_file("readme.txt");
  char want[4096];
  snprintf(want, sizeof want, "%s%s", listing, readme);
  cr_expect_str_eq(r.out, want);
  free(readme);
  spawn_free(&r);
}

Test(diskdemo, cat_prints_another_file) {
  spawn_result r = SPAWN_RUN("cat poem.txt\n", "run", "--disk", image, spawn_guest("diskdemo"));
  cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
  char *poem = source_file("poem.txt");
  char want[1024];
  snprintf(want, sizeof want, "poem.txt:\n%s", poem);
  cr_expect(strlen(r.out) > strlen(want) &&
            strcmp(r.out + strlen(r.out) - strlen(want), want) == 0,
            "stdout does not end with the poem:\n%s", r.out);
  free(poem);
  spawn_free(&r);
}

Test(diskdemo, without_a_disk_it_says_so) {
  spawn_result r = SPAWN_RUN(NULL, "run", spawn_guest("diskdemo"));
  cr_expect_eq(r.status, 1);
  cr_expect_str_eq(r.out, "diskdemo: no disk attached; run it with --disk diskdemo.img\n");
  spawn_free(&r);
}

static const char write_notes[] = "write notes.txt buy milk\ncat notes.txt\n";

Test(diskdemo, writes_stay_in_memory_and_the_image_is_unchanged) {
  size_t n0, n1;
  char *before = spawn_read_file(image, &n0);
  struct stat st0, st1;
  cr_assert_eq(stat(image, &st0), 0);
  spawn_result r = SPAWN_RUN(write_notes, "run", "--stats", "--disk", image,
                       spawn_guest("diskdemo"));
  cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
  /* the guest reads back what it wrote (from the overlay) */
  spawn_expect_out(&r, "wrote 9 bytes to notes.txt\nnotes.txt:\nbuy milk\n");
  /* header and notes, one sector each */
  cr_expect_str_eq(spawn_stat(&r, "disk sectors written"), "2");
  /* header, readme, notes */
  cr_expect_str_eq(spawn_stat(&r, "disk sectors read"), "3");
  cr_expect_null(strstr(r.err, "disk commits"), "a commit without --disk-write");
  spawn_free(&r);
  char *after = spawn_read_file(image, &n1);
  cr_expect(n0 == n1 && memcmp(before, after, n0) == 0, "the image changed");
  cr_assert_eq(stat(image, &st1), 0);
  cr_expect_eq(st0.st_ino, st1.st_ino, "the image was replaced");
  free(before);
  free(after);
  /* and a new run sees the old notes */
  r = SPAWN_RUN("cat notes.txt\n", "run", "--disk", image, spawn_guest("diskdemo"));
  char *notes = source_file("notes.txt");
  char want[256];
  snprintf(want, sizeof want, "notes.txt:\n%s", notes);
  spawn_expect_out(&r, want);
  free(notes);
  spawn_free(&r);
}

static int files_in_dir(void) {
  DIR *d = opendir(dir);
  cr_assert(d);
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  }
  closedir(d);
  return n;
}

Test(diskdemo, disk_write_saves_the_writes_and_keeps_the_rest) {
  size_t n0, n1;
  char *before = spawn_read_file(image, &n0);
  spawn_result r = SPAWN_RUN(write_notes, "run", "--stats", "--disk", image,
                       "--disk-write", spawn_guest("diskdemo"));
  cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
  spawn_expect_out(&r, "writes saved to the image");
  spawn_expect_out(&r, "notes.txt:\nbuy milk\n");
  cr_expect_str_eq(spawn_stat(&r, "disk commits"), "1"); /* the flush */
  spawn_free(&r);
  char *after = spawn_read_file(image, &n1);
  cr_expect_eq(n1, n0, "the image's size changed");
  cr_expect(memcmp(before, after, n0) != 0, "the image did not change");
  /* readme and poem (sectors 1 and 2) are untouched */
  cr_expect(memcmp(before + 512, after + 512, 1024) == 0, "other files changed");
  cr_expect(memcmp(after + 3 * 512, "buy milk\n", 9) == 0);
  cr_expect_eq(files_in_dir(), 1, "a temporary file was left");
  free(before);
  free(after);
  /* a later run, without --disk-write, reads the saved notes */
  r = SPAWN_RUN("cat notes.txt\n", "run", "--disk", image, spawn_guest("diskdemo"));
  cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
  spawn_expect_out(&r, "  notes.txt        9 bytes  from sector 3\n");
  spawn_expect_out(&r, "notes.txt:\nbuy milk\n");
  spawn_free(&r);
}

Test(diskdemo, same_run_twice_same_hash) {
  spawn_result a = SPAWN_RUN(write_notes, "run", "--stats", "--disk", image,
                             spawn_guest("diskdemo"));
  spawn_result b = SPAWN_RUN(write_notes, "run", "--stats", "--disk", image,
                             spawn_guest("diskdemo"));
  char hash[64];
  snprintf(hash, sizeof hash, "%s", spawn_stat(&a, "state hash"));
  spawn_expect_same_run(&a, &b, "diskdemo");
  /* with --disk-write the guest sees a different flag: a different hash,
   * but again the same one twice (the image is reset between the runs) */
  char saved[2][64];
  for (int i = 0; i < 2; i++) {
    size_t n;
    char *p = spawn_read_file(built_image(), &n);
    write_all(image, p, n);
    free(p);
    spawn_result r = SPAWN_RUN(write_notes, "run", "--stats", "--disk", image,
                         "--disk-write", spawn_guest("diskdemo"));
    cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
    snprintf(saved[i], sizeof saved[i], "%s", spawn_stat(&r, "state hash"));
    spawn_free(&r);
  }
  cr_expect_str_eq(saved[0], saved[1]);
  cr_expect_str_neq(saved[0], hash);
}

Test(diskdemo, waiting_for_a_disk_event_that_cannot_come_is_a_deadlock) {
  spawn_result r = SPAWN_RUN("wait\n", "run", "--disk", image, spawn_guest("diskdemo"));
  cr_expect_eq(r.status, CLI_EXIT_DEADLOCK, "status %d: %s", r.status, r.err);
  spawn_expect_err(&r, "pvlab: deadlock: the guest waits at main+");
  spawn_expect_err(&r, "(mask 0x4)");
  spawn_expect_err(&r, "disk requests complete within their hypercall");
  cr_expect_null(strstr(r.out, "the wait returned"));
  spawn_free(&r);
}

/* ------------------------------------------------------ refused images */

Test(disk_cli, a_missing_image_is_refused) {
  char path[256];
  snprintf(path, sizeof path, "%s/missing.img", dir);
  spawn_result r = SPAWN_RUN(NULL, "run", "--disk", path, spawn_guest("diskdemo"));
  cr_expect_eq(r.status, CLI_EXIT_HOST);
  spawn_expect_err(&r, "cannot open disk image '");
  spawn_expect_err(&r, path);
  spawn_expect_err(&r, "No such file or directory; check the path given to --disk");
  cr_expect_eq(r.out_len, 0, "the guest ran: %s", r.out);
  spawn_free(&r);
}

Test(disk_cli, a_truncated_image_is_refused) {
  cr_assert_eq(truncate(image, 1000), 0);
  spawn_result r = SPAWN_RUN(NULL, "run", "--disk", image, spawn_guest("diskdemo"));
  cr_expect_eq(r.status, CLI_EXIT_HOST);
  spawn_expect_err(&r, image);
  spawn_expect_err(&r, "is 1000 bytes, not a multiple of the 512-byte sector");
  spawn_expect_err(&r, "truncate -s 1024");
  cr_expect_eq(r.out_len, 0, "the guest ran: %s", r.out);
  spawn_free(&r);
  cr_assert_eq(truncate(image, 0), 0);
  r = SPAWN_RUN(NULL, "run", "--disk", image, spawn_guest("diskdemo"));
  cr_expect_eq(r.status, CLI_EXIT_HOST);
  spawn_expect_err(&r, "is empty");
  spawn_free(&r);
}

Test(disk_cli, a_read_only_image_is_refused_for_disk_write) {
  cr_assert_eq(chmod(image, 0444), 0);
  spawn_result r = SPAWN_RUN(NULL, "run", "--disk", image, "--disk-write",
                       spawn_guest("diskdemo"));
  cr_expect_eq(r.status, CLI_EXIT_HOST);
  spawn_expect_err(&r, image);
  spawn_expect_err(&r, "is read-only");
  spawn_free(&r);
  r = SPAWN_RUN(NULL, "run", "--disk", image, spawn_guest("diskdemo"));
  cr_expect_eq(r.status, 0, "read-only is fine without --disk-write: %s", r.err);
  spawn_free(&r);
}

/* A pvlab run in the background, its stdin and stdout pipes of ours:
 * for a test that needs one running while another starts. */
typedef struct bg_run {
  pid_t pid;
  int in, out;
  char seen[8192];
  size_t len;
} bg_run;

static void bg_start(bg_run *r, char *const argv[]) {
  int in[2], out[2];
  cr_assert_eq(pipe(in), 0);
  cr_assert_eq(pipe(out), 0);
  r->pid = fork();
  cr_assert(r->pid >= 0);
  if (r->pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    for (int fd = 3; fd < 64; fd++) close(fd);
    execv(argv[0], argv);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  r->in = in[1];
  r->out = out[0];
  r->len = 0;
  r->seen[0] = 0;
}

/* Reads its stdout until text has appeared (or 30 s have gone). */
static void bg_wait_for(bg_run *r, const char *text) {
  while (!strstr(r->seen, text)) {
    struct pollfd p = {r->out, POLLIN, 0};
    cr_assert_gt(poll(&p, 1, 30000), 0, "no \"%s\" in: %s", text, r->seen);
    ssize_t n = read(r->out, r->seen + r->len, sizeof r->seen - 1 - r->len);
    cr_assert_gt(n, 0, "the run ended without \"%s\": %s", text, r->seen);
    r->len += (size_t)n;
    r->seen[r->len] = 0;
  }
}

/* Ends its input and waits for it: its exit status. */
static int bg_finish(bg_run *r) {
  close(r->in);
  char buf[4096];
  while (read(r->out, buf, sizeof buf) > 0) {}
  close(r->out);
  int st;
  cr_assert_eq(waitpid(r->pid, &st, 0), r->pid);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

Test(disk_cli, a_second_disk_write_run_on_the_image_is_refused) {
  char *argv[] = {(char *)spawn_pvlab(), "run", "--disk", image, "--disk-write",
                  (char *)spawn_guest("diskdemo"), NULL};
  bg_run first;
  bg_start(&first, argv);
  const char cmd[] = "write notes.txt from the first run\n";
  cr_assert_eq(write(first.in, cmd, sizeof cmd - 1), (ssize_t)sizeof cmd - 1);
  bg_wait_for(&first, "wrote 19 bytes to notes.txt\n"); /* flushed: saved */
  /* a second writer, while the first runs */
  spawn_result r = SPAWN_RUN("write notes.txt from the second run\n", "run",
                             "--disk", image, "--disk-write", spawn_guest("diskdemo"));
  cr_expect_eq(r.status, CLI_EXIT_HOST, "status %d: %s", r.status, r.err);
  char who[64];
  snprintf(who, sizeof who, "(process %ld)", (long)first.pid);
  spawn_expect_err(&r, image);
  spawn_expect_err(&r, "is being written by another pvlab run with --disk-write");
  spawn_expect_err(&r, who);
  spawn_expect_err(&r, "wait for that run to end, or leave out --disk-write");
  cr_expect_eq(r.out_len, 0, "the second writer's guest ran: %s", r.out);
  spawn_free(&r);
  /* a reader beside the writer sees what the writer saved */
  r = SPAWN_RUN("cat notes.txt\n", "run", "--disk", image, spawn_guest("diskdemo"));
  cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
  spawn_expect_out(&r, "notes.txt:\nfrom the first run\n");
  spawn_free(&r);
  cr_expect_eq(bg_finish(&first), 0, "the first run failed: %s", first.seen);
  size_t n;
  char *after = spawn_read_file(image, &n);
  cr_expect(n > 3 * 512 && memcmp(after + 3 * 512, "from the first run\n", 19) == 0,
            "the first run's saved notes are gone");
  free(after);
  cr_expect_eq(files_in_dir(), 1, "a temporary file was left");
  /* once it has ended, the next writer may start */
  r = SPAWN_RUN("cat notes.txt\n", "run", "--disk", image, "--disk-write",
                spawn_guest("diskdemo"));
  cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
  spawn_free(&r);
}

Test(disk_cli, a_killed_save_is_cleaned_up_by_the_next_writer) {
  char stray[256];
  snprintf(stray, sizeof stray, "%s.pvlab-Ab12Cd", image);
  write_all(stray, "half an image", 13);
  /* a read-only run leaves it, and says so */
  spawn_result r = SPAWN_RUN(NULL, "run", "--disk", image, spawn_guest("diskdemo"));
  cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
  spawn_expect_err(&r, "interrupted --disk-write save");
  spawn_expect_err(&r, "the next --disk-write run on it removes");
  spawn_free(&r);
  cr_expect_eq(access(stray, F_OK), 0, "a read-only run removed %s", stray);
  /* a writer removes it, and says so */
  r = SPAWN_RUN(NULL, "run", "--disk", image, "--disk-write", spawn_guest("diskdemo"));
  cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
  spawn_expect_err(&r, "removed 1 temporary file");
  spawn_free(&r);
  cr_expect_neq(access(stray, F_OK), 0, "%s is still there", stray);
  cr_expect_eq(files_in_dir(), 1);
}

Test(disk_cli, disk_write_needs_a_disk) {
  spawn_result r = SPAWN_RUN(NULL, "run", "--disk-write", spawn_guest("diskdemo"));
  cr_expect_eq(r.status, CLI_EXIT_HOST);
  spawn_expect_err(&r, "--disk-write");
  spawn_expect_err(&r, "no --disk IMAGE was given");
  spawn_free(&r);
}

Test(disk_cli, help_lists_the_options) {
  spawn_result r = SPAWN_RUN(NULL, "help", "run");
  cr_expect_eq(r.status, 0);
  spawn_expect_out(&r, "--disk IMAGE");
  spawn_expect_out(&r, "--disk-write");
  spawn_free(&r);
}
