/* End to end: pvos, the teaching kernel (sample-guests/pvos), booted from
 * its disk image by the real pvlab binary: the shell, the user programs,
 * usertests, preemption, determinism, and each exercise's starting kernel
 * failing the exercise's test where the whole kernel passes it. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../sample-guests/pvos/include/syscalls.h"
#include "spawn.h"

static const char *guest_file(const char *name) {
  static char path[4096];
  const char *dir = getenv("GUESTS");
  cr_assert(dir, "GUESTS is not set: run through meson test");
  snprintf(path, sizeof path, "%s/pvos/%s", dir, name);
  return path;
}

/* Runs KERNEL (a file in GUESTS/pvos) on pvos's disk with console input,
 * with more pvlab run options before the guest (NULL-terminated). */
static spawn_result boot(const char *kernel, const char *input, ...) {
  char disk[4096], elf[4096];
  char *argv[32];
  int n = 0;
  snprintf(disk, sizeof disk, "%s", guest_file("fs.img"));
  snprintf(elf, sizeof elf, "%s", guest_file(kernel));
  argv[n++] = (char *)spawn_pvlab();
  argv[n++] = "run";
  argv[n++] = "--max-insns";
  argv[n++] = "500M"; /* a kernel that hangs fails instead of hanging the test */
  va_list ap;
  va_start(ap, input);
  for (char *opt; (opt = va_arg(ap, char *)) && n < 28;) argv[n++] = opt;
  va_end(ap);
  argv[n++] = "--disk";
  argv[n++] = disk;
  argv[n++] = elf;
  argv[n] = NULL;
  spawn_result r;
  cr_assert_eq(spawn_run(argv, input, strlen(input), &r), 0, "cannot start %s", argv[0]);
  return r;
}

/* BOOT(input, options...) on the whole kernel */
#define BOOT(...) boot("kernel.elf", __VA_ARGS__, (char *)NULL)

/* A file of the source tree. */
static char *read_source(const char *rel) {
  char path[8192];
  snprintf(path, sizeof path, "%s/%s", PVLAB_SOURCE_ROOT, rel);
  return spawn_read_file(path, NULL);
}

Test(pvos, echo_prints_and_the_shell_exits_with_zero_at_end_of_input) {
  spawn_result r = BOOT("echo hi\n");
  cr_expect_eq(r.status, 0, "status %d: %s%s", r.status, r.out, r.err);
  spawn_expect_out(&r, "pvos: ");
  spawn_expect_out(&r, "$ hi\n$ \n");
  spawn_expect_out(&r, "pvos: the shell exited with status 0; shutting down\n");
  spawn_free(&r);
}

Test(pvos, echo_joins_its_arguments) {
  spawn_result r = BOOT("echo a b c\n");
  spawn_expect_out(&r, "$ a b c\n");
  cr_expect_eq(r.status, 0);
  spawn_free(&r);
}

Test(pvos, usertests_all_pass) {
  spawn_result r = BOOT("usertests\n");
  cr_expect_eq(r.status, 0, "status %d:\n%s%s", r.status, r.out, r.err);
  spawn_expect_out(&r, "usertests: 12 tests\n");
  spawn_expect_out(&r, "usertests: ALL PASSED\n");
  cr_expect_null(strstr(r.out, "FAILED"), "%s", r.out);
  cr_expect_null(strstr(r.out, "panic"), "%s", r.out);
  /* the faults it provokes kill the process, not the kernel */
  spawn_expect_out(&r, "(usertests) killed: page fault on a load at 0x00000000");
  spawn_expect_out(&r, "(usertests) killed: illegal instruction");
  spawn_free(&r);
}

Test(pvos, ls_lists_every_file_with_its_size) {
  spawn_result r = BOOT("ls\n");
  cr_expect_eq(r.status, 0);
  /* one line per file: the name in 14 columns, the size in 6 */
  const char *names[] = {"$ sh", "\nls", "\ncat", "\necho", "\nspin", "\nusertests", "\nracetest"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char line[64];
    snprintf(line, sizeof line, "%-*s ", names[i][0] == '$' ? 16 : 15, names[i]);
    spawn_expect_out(&r, line);
  }
  char readme[64], *text = read_source("sample-guests/pvos/files/README");
  snprintf(readme, sizeof readme, "\nREADME         %6zu\n", strlen(text));
  spawn_expect_out(&r, readme);
  free(text);
  spawn_free(&r);
}

Test(pvos, cat_prints_the_readme_as_it_is) {
  spawn_result r = BOOT("cat README\n");
  cr_expect_eq(r.status, 0);
  char want[8300], *text = read_source("sample-guests/pvos/files/README");
  snprintf(want, sizeof want, "$ %s$ ", text);
  spawn_expect_out(&r, want);
  free(text);
  spawn_free(&r);
}

Test(pvos, a_missing_program_is_named_and_fails) {
  spawn_result r = BOOT("nosuch arg\n");
  spawn_expect_out(&r, "sh: nosuch: no such program (ls lists them)\n");
  cr_expect_eq(r.status, 1, "the shell ends with the last command's status");
  spawn_free(&r);
  r = BOOT("cat nosuch\n");
  spawn_expect_out(&r, "cat: nosuch: no such file\n");
  cr_expect_eq(r.status, 1);
  spawn_free(&r);
}

Test(pvos, a_program_that_spins_forever_does_not_stop_the_others) {
  spawn_result r = BOOT("spin &\necho still here\nspin 3\n", "--stats");
  cr_assert_eq(r.status, 0, "status %d: %s%s", r.status, r.out, r.err);
  spawn_expect_out(&r, "$ [2]\n$ still here\n$ spin: done\n");
  /* spin never stops: only the timer takes the CPU from it */
  cr_expect_gt(spawn_stat_num(&r, "  event"), 5);
  spawn_free(&r);
}

Test(pvos, without_a_disk_the_kernel_panics_with_a_reason) {
  char *argv[] = {(char *)spawn_pvlab(), "run", (char *)guest_file("kernel.elf"), NULL};
  spawn_result r;
  cr_assert_eq(spawn_run(argv, NULL, 0, &r), 0);
  cr_expect_eq(r.status, 99, "status %d", r.status);
  spawn_expect_out(&r, "pvos: panic: no pvos file system on the disk: run with --disk fs.img");
  spawn_free(&r);
}

Test(pvos, two_runs_give_the_same_instructions_and_state) {
  spawn_result a = BOOT("usertests\nls\n", "--stats");
  spawn_result b = BOOT("usertests\nls\n", "--stats");
  spawn_expect_same_run(&a, &b, "pvos");
}

/* The kernel's page counters, read at the end of a run by the debugger. */
static void pages(const char *input, unsigned *used, unsigned *peak) {
  const char *dir = spawn_temp_dir();
  char *in = spawn_put_file(dir, "input", input);
  char disk[4096];
  snprintf(disk, sizeof disk, "%s", guest_file("fs.img"));
  char *argv[] = {(char *)spawn_pvlab(), "debug", "--console-input", in, "--disk", disk,
                  (char *)guest_file("kernel.elf"), NULL};
  const char *cmds = "continue\nprint kalloc_pages_used\nprint kalloc_pages_peak\n";
  spawn_result r;
  cr_assert_eq(spawn_run(argv, cmds, strlen(cmds), &r), 0);
  const char *p = strstr(r.out, "$1 = "), *q = strstr(r.out, "$2 = ");
  cr_assert(p && q, "%s%s", r.out, r.err);
  *used = (unsigned)strtoul(p + 5, NULL, 10);
  *peak = (unsigned)strtoul(q + 5, NULL, 10);
  spawn_free(&r);
  free(in);
  spawn_remove_dir(dir);
}

Test(pvos, processes_give_back_every_page_and_the_heap_is_lazy) {
  unsigned idle_used, idle_peak, used, peak;
  pages("\n", &idle_used, &idle_peak);
  pages("usertests\nls\n", &used, &peak);
  cr_expect_eq(used, idle_used, "pages leaked: %u in use at the end, %u with no programs run",
               used, idle_used);
  pages("lazytest\n", &used, &peak);
  /* an 8 MiB heap with 4 pages touched: not 2048 pages */
  cr_expect_lt(peak, idle_peak + 40, "peak %u pages (the shell alone: %u)", peak, idle_peak);
}

/* Each exercise's tests.grade, through the real grader: every point on
 * the whole kernel; on the exercise's starting kernel, none but those of
 * the regression tests that must keep passing (sched's and race's
 * usertests).  The disk is the whole kernel's (tests.grade's `disk` is
 * found beside --guest); its programs are the same but for syscall's,
 * whose getppid() stub the starting kernel answers with -1. */
static const struct exercise {
  const char *name, *full, *start;
} exercises[] = {
    {"syscall", "score: 6/6 points", "score: 0/6 points"},
    {"sched", "score: 7/7 points", "score: 1/7 points"},
    {"lazy", "score: 9/9 points", "score: 0/9 points"},
    {"copy", "score: 8/8 points", "score: 0/8 points"},
    {"fswrite", "score: 8/8 points", "score: 0/8 points"},
    {"race", "score: 6/6 points", NULL}, /* the planted race test runs the start kernel */
};

static spawn_result grade(const char *exercise, const char *kernel) {
  char dir[4096], elf[4096];
  snprintf(dir, sizeof dir, "%s/sample-guests/exercises/%s", PVLAB_SOURCE_ROOT, exercise);
  snprintf(elf, sizeof elf, "%s", guest_file(kernel));
  char *argv[] = {(char *)spawn_pvlab(), "grade", dir, "--guest", elf, "--no-bundles",
                  "--quiet", NULL};
  spawn_result r;
  cr_assert_eq(spawn_run(argv, NULL, 0, &r), 0);
  return r;
}

Test(pvos, each_exercise_scores_nothing_on_its_starting_kernel_and_all_on_the_whole_one) {
  for (size_t i = 0; i < sizeof exercises / sizeof exercises[0]; i++) {
    const struct exercise *e = &exercises[i];
    char start[64];
    snprintf(start, sizeof start, "kernel-start-%s.elf", e->name);
    spawn_result r = grade(e->name, "kernel.elf");
    cr_expect_eq(r.status, 0, "%s, whole kernel: status %d\n%s%s", e->name, r.status, r.out, r.err);
    spawn_expect_out(&r, e->full);
    spawn_free(&r);
    if (!e->start) continue;
    r = grade(e->name, start);
    cr_expect_eq(r.status, 1, "%s, starting kernel: status %d\n%s%s", e->name, r.status, r.out, r.err);
    spawn_expect_out(&r, e->start);
    spawn_free(&r);
  }
}

/* The messages a student sees first, in each exercise's README. */
Test(pvos, each_starting_kernel_says_what_is_missing) {
  static const struct {
    const char *kernel, *input, *says;
  } cases[] = {
      {"kernel-start-syscall.elf", "ppidtest\n", "ppidtest: FAILED: my parent is the shell, pid 1, but getppid() gave -1"},
      {"kernel-start-sched.elf", "schedtest\n", "schedtest: finished in the order: low mid high\n"},
      {"kernel-start-lazy.elf", "lazytest\n", "(lazytest) killed: page fault on a store at 0x00011000"},
      {"kernel-start-copy.elf", "ls\n", "pvos: copyin(), copyout() and copyinstr() are not written yet"},
      {"kernel-start-fswrite.elf", "writetest\n", "writetest: FAILED: open(\"greeting\", O_CREATE | O_WRONLY | O_TRUNC) gave -1"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    spawn_result r = boot(cases[i].kernel, cases[i].input, (char *)NULL);
    cr_expect_neq(r.status, 0, "%s: %s", cases[i].kernel, r.out);
    spawn_expect_out(&r, cases[i].says);
    spawn_free(&r);
  }
}

/* The race: with timer jitter, some seeds lose a register on the starting
 * kernel (about 1 in 7: racetest stops the machine with ebreak where it
 * notices); the whole kernel never does. */
Test(pvos, the_planted_race_shows_on_some_seeds_only_on_the_starting_kernel) {
  int start_failures = 0, seed;
  for (seed = 0; seed < 40 && start_failures < 2; seed++) {
    char s[16];
    snprintf(s, sizeof s, "%d", seed);
    spawn_result r = boot("kernel-start-race.elf", "racetest\n", "--jitter", "--seed", s, (char *)NULL);
    if (r.status != 0) {
      cr_expect_eq(r.status, 122, "seed %d: %s%s", seed, r.out, r.err); /* ebreak */
      spawn_expect_out(&r, "racetest: FAILED: worker ");
      start_failures++;
    }
    spawn_free(&r);
  }
  cr_expect_eq(start_failures, 2, "the race showed on %d of seeds 0..39", start_failures);
  cr_expect_gt(seed, 4, "the race showed on 2 of the first %d seeds: too often", seed);
  /* without jitter every run is the same, and that one passes */
  spawn_result r = boot("kernel-start-race.elf", "racetest\n", (char *)NULL);
  cr_expect_eq(r.status, 0, "%s", r.out);
  spawn_free(&r);
}

/* docs/pvos.md's table of system calls against the list the kernel and
 * the user stubs are generated from. */
Test(pvos, the_docs_list_every_system_call) {
  char *doc = read_source("docs/pvos.md");
#define ROW(num, name, rtype, params) \
  cr_expect(strstr(doc, "\n| " #num " | `" #name "("), \
            "docs/pvos.md lacks the row of system call %d, %s", num, #name);
  SYSCALLS(ROW)
#undef ROW
  free(doc);
}

/* ---- hand-outs (sample-guests/exercises/handout.py) ---- */

static int run_handout(const char *name, const char *dest, spawn_result *r) {
  char script[4096];
  snprintf(script, sizeof script, "%s/sample-guests/exercises/handout.py", PVLAB_SOURCE_ROOT);
  char *argv[] = {"/usr/bin/env", "python3", script, (char *)name, (char *)dest, NULL};
  return spawn_run(argv, NULL, 0, r);
}

/* The lines of NAME's solutions in one source file (the #ifndef side of
 * its `#ifndef EXERCISE_NAME` blocks) that appear nowhere else in it: a
 * hand-out for NAME must not have them. */
static int solution_lines; /* checked so far */

static void expect_no_solution(const char *rel, const char *name, const char *handout) {
  char *orig = read_source(rel), *given = spawn_read_file(handout, NULL), marker[64];
  snprintf(marker, sizeof marker, "#ifndef EXERCISE_%s", name);
  for (char *m = marker + 17; *m; m++) *m = (char)(*m - 'a' + 'A'); /* EXERCISE_NAME */
  int in_solution = 0, checked = 0;
  for (char *line = orig; *line;) {
    char *end = strchr(line, '\n'), text[512];
    size_t len = end ? (size_t)(end - line) : strlen(line);
    while (len && (*line == ' ' || *line == '\t')) line++, len--;
    snprintf(text, sizeof text, "%.*s", (int)len, line);
    if (strncmp(text, "#ifndef EXERCISE_", 17) == 0) in_solution = strcmp(text, marker) == 0;
    else if (strncmp(text, "#else", 5) == 0 || strncmp(text, "#endif", 6) == 0) in_solution = 0;
    else if (in_solution && strlen(text) >= 12) {
      const char *first = strstr(orig, text);
      if (first && !strstr(first + 1, text)) { /* only in the solution */
        cr_expect_null(strstr(given, text), "%s of the %s hand-out has solution code: %s", rel,
                       name, text);
        checked++;
      }
    }
    line = end ? end + 1 : line + len;
  }
  free(orig);
  free(given);
  solution_lines += checked;
}

/* Every .c, .h and .S file under dir: no EXERCISE_ marker left; and for
 * those the repository has in sample-guests/pvos, no solution of name. */
static int check_tree(const char *root, const char *sub, const char *name) {
  char dir[2048];
  snprintf(dir, sizeof dir, "%s/%s", root, sub);
  DIR *d = opendir(dir);
  cr_assert(d, "the hand-out has no %s/", sub);
  int files = 0;
  for (struct dirent *e; (e = readdir(d));) {
    size_t n = strlen(e->d_name);
    if (n < 3 || !(strcmp(e->d_name + n - 2, ".c") == 0 || strcmp(e->d_name + n - 2, ".h") == 0 ||
                   strcmp(e->d_name + n - 2, ".S") == 0))
      continue;
    char path[8192], rel[2048];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    snprintf(rel, sizeof rel, "sample-guests/pvos/%s/%s", sub, e->d_name);
    char *text = spawn_read_file(path, NULL);
    cr_expect_null(strstr(text, "EXERCISE_"), "%s: an EXERCISE_ marker is left in it", path);
    free(text);
    expect_no_solution(rel, name, path);
    files++;
  }
  closedir(d);
  return files;
}

Test(pvos, handouts_have_no_markers_and_no_solution) {
  const char *tmp = spawn_temp_dir();
  char dir[1024];
  snprintf(dir, sizeof dir, "%s", tmp);
  for (size_t i = 0; i < sizeof exercises / sizeof exercises[0]; i++) {
    char dest[1536];
    snprintf(dest, sizeof dest, "%s/%s", dir, exercises[i].name);
    spawn_result r;
    cr_assert_eq(run_handout(exercises[i].name, dest, &r), 0);
    cr_expect_eq(r.status, 0, "handout.py %s: %s", exercises[i].name, r.err);
    spawn_free(&r);
    solution_lines = 0;
    cr_expect_gt(check_tree(dest, "kernel", exercises[i].name), 10);
    cr_expect_eq(check_tree(dest, "include", exercises[i].name), 2);
    cr_expect_gt(check_tree(dest, "user", exercises[i].name), 10);
    cr_expect_gt(solution_lines, 0, "no solution lines of %s found to check", exercises[i].name);
    char path[8192];
    snprintf(path, sizeof path, "%s/tests.grade", dest);
    char *grade_text = spawn_read_file(path, NULL);
    cr_expect(strstr(grade_text, "\nbuild    \"python3 build.py --out build\"\n"), "%s", grade_text);
    free(grade_text);
    snprintf(path, sizeof path, "%s/README.md", dest);
    char *readme = spawn_read_file(path, NULL);
    cr_expect_null(strstr(readme, "repository-only"), "%s", path);
    free(readme);
  }
  /* an existing directory is never touched */
  char dest[1536], path[8192];
  snprintf(dest, sizeof dest, "%s/lazy", dir);
  snprintf(path, sizeof path, "%s/README.md", dest);
  FILE *f = fopen(path, "w");
  cr_assert(f);
  fputs("mine\n", f);
  fclose(f);
  spawn_result r;
  cr_assert_eq(run_handout("lazy", dest, &r), 0);
  cr_expect_eq(r.status, 1);
  cr_expect(strstr(r.err, "already exists: name a new directory (nothing was changed)"), "%s", r.err);
  spawn_free(&r);
  char *kept = spawn_read_file(path, NULL);
  cr_expect_str_eq(kept, "mine\n");
  free(kept);
  spawn_remove_dir(dir);
}

/* A hand-out is all a student needs: in it, `pvlab grade . --build`
 * builds the starting code and grades it. */
Test(pvos, a_handout_builds_and_grades_on_its_own) {
  const char *tmp = spawn_temp_dir();
  char dir[1024], dest[1536];
  snprintf(dir, sizeof dir, "%s", tmp);
  snprintf(dest, sizeof dest, "%s/lazy", dir);
  spawn_result r;
  cr_assert_eq(run_handout("lazy", dest, &r), 0);
  cr_assert_eq(r.status, 0, "%s", r.err);
  spawn_free(&r);
  char *argv[] = {(char *)spawn_pvlab(), "grade", dest, "--build", "--no-bundles", "--quiet", NULL};
  cr_assert_eq(spawn_run(argv, NULL, 0, &r), 0);
  cr_expect_eq(r.status, 1, "%s%s", r.out, r.err);
  spawn_expect_out(&r, "score: 0/9 points, 0 of 4 tests passed");
  spawn_expect_out(&r, "(lazytest) killed: page fault on a store");
  spawn_free(&r);
  spawn_remove_dir(dir);
}
