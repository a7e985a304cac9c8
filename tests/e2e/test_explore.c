/* pvlab explore through the real binary, on the race guest (a lost update
 * that --jitter makes strike on about one seed in 50, sample-guests/race):
 * explore finds it within seeds 0..199 and its bundle replays to the same
 * failure; the failure it names first really is the lowest failing seed
 * (checked seed by seed with `pvlab run`); without --jitter nothing fails;
 * -j 1 and -j 2 say the same and write the same bundle; --all groups the
 * failures so that every seed of a group prints the group's line;
 * --expect, --reject, --input-text and hangs make runs fail; bad ranges and
 * a missing guest are refused with status 125. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "spawn.h"

#define PVLAB(...) spawn_pvlab_run(NULL, 0, __VA_ARGS__, (char *)NULL)

static const char *race(void) { return spawn_guest("race"); }

static char *path_in(const char *dir, const char *name) {
  static char buf[4][512];
  static int next;
  char *p = buf[next++ % 4];
  snprintf(p, sizeof buf[0], "%s/%s", dir, name);
  return p;
}

static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* The number after "key" in text. */
static unsigned long long after(const char *text, const char *key) {
  const char *p = strstr(text, key);
  cr_assert(p, "no \"%s\" in:\n%s", key, text);
  return strtoull(p + strlen(key), NULL, 10);
}

/* The first line `pvlab run --jitter --seed SEED race.elf` prints, and
 * its exit status. */
static int run_seed(unsigned long long seed, char *line, size_t size) {
  char s[32];
  snprintf(s, sizeof s, "%llu", seed);
  spawn_result r = PVLAB("run", "--jitter", "--seed", s, race());
  snprintf(line, size, "%.*s", (int)strcspn(r.out, "\n"), r.out);
  int status = r.status;
  spawn_free(&r);
  return status;
}

Test(explore, finds_the_planted_race_and_its_bundle_replays) {
  const char *dir = spawn_temp_dir();
  char out[256];
  snprintf(out, sizeof out, "%s/b", dir);
  spawn_result r = PVLAB("explore", race(), "--jitter", "--seeds", "0..199", "--out", out);
  cr_assert_eq(r.status, 1, "status %d:\n%s\n%s", r.status, r.out, r.err);
  cr_expect(strstr(r.out, "race.elf, seeds 0..199 with --jitter: 200 runs, "), "%s", r.out);
  unsigned long long failed = after(r.out, "200 runs, ");
  /* about one in 50: 6 of these 200 (by hand); any number near it will do */
  cr_expect(failed >= 1 && failed <= 20, "%llu of 200 failed", failed);
  /* the first failure is the lowest failing seed */
  const char *b = strstr(r.out, "; bundle ");
  cr_assert(b, "%s", r.out);
  unsigned long long first = after(b, "-seed-");
  char line[256];
  for (unsigned long long s = 0; s < first; s++) {
    cr_expect_eq(run_seed(s, line, sizeof line), 0, "seed %llu failed too: %s", s, line);
  }
  cr_expect_eq(run_seed(first, line, sizeof line), 1, "seed %llu: %s", first, line);
  cr_expect(strstr(line, "race: lost update: counter = "), "%s", line);
  char bundle[512];
  snprintf(bundle, sizeof bundle, "%s/race-seed-%llu.pvrec", out, first);
  cr_assert(exists(bundle), "no %s:\n%s", bundle, r.out);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "  pvlab replay --debug --at-end %s\n", bundle);
  cr_expect(strstr(r.out, cmd), "%s", r.out);
  spawn_result rep = PVLAB("replay", bundle);
  cr_expect_eq(rep.status, 1, "%s", rep.err);
  cr_expect(strstr(rep.out, line), "replay:\n%s\nrun:\n%s", rep.out, line);
  cr_expect(strstr(rep.err, "replay matched the recording"), "%s", rep.err);
  spawn_free(&r);
  spawn_free(&rep);
  spawn_remove_dir(dir);
}

Test(explore, without_jitter_nothing_fails) {
  const char *dir = spawn_temp_dir();
  const char *out = path_in(dir, "b");
  spawn_result r = PVLAB("explore", race(), "--seeds", "0..199", "--out", out);
  cr_expect_eq(r.status, 0, "%s\n%s", r.out, r.err);
  cr_expect(strstr(r.out, "200 runs, none failed\n"), "%s", r.out);
  cr_expect(!exists(out), "a bundle directory with nothing to keep");
  spawn_free(&r);
  spawn_remove_dir(dir);
}

Test(explore, the_thread_count_changes_nothing) {
  const char *dir = spawn_temp_dir();
  const char *out = path_in(dir, "b");
  spawn_result one = PVLAB("explore", race(), "--jitter", "--seeds", "0..99", "-j", "1",
                           "--out", out);
  cr_assert_eq(one.status, 1, "%s", one.err);
  const char *b = strstr(one.out, "; bundle ");
  cr_assert(b, "%s", one.out);
  char bundle[512];
  snprintf(bundle, sizeof bundle, "%.*s", (int)strcspn(b + 9, "\n"), b + 9);
  size_t n1, n2;
  char *first = spawn_read_file(bundle, &n1);
  spawn_result two = PVLAB("explore", race(), "--jitter", "--seeds", "0..99", "-j", "2",
                           "--out", out);
  cr_expect_eq(two.status, 1, "%s", two.err);
  cr_expect_str_eq(two.out, one.out);
  char *second = spawn_read_file(bundle, &n2);
  cr_expect(n1 == n2 && memcmp(first, second, n1) == 0, "the bundles differ");
  free(first);
  free(second);
  spawn_free(&one);
  spawn_free(&two);
  spawn_remove_dir(dir);
}

/* Whether a and b are the same line but for their numbers (a run of
 * digits matches any other), as explore groups failures. */
static bool same_but_numbers(const char *a, const char *b) {
  while (*a && *b) {
    bool da = *a >= '0' && *a <= '9', db = *b >= '0' && *b <= '9';
    if (da != db) return false;
    if (da) {
      a += strspn(a, "0123456789");
      b += strspn(b, "0123456789");
    } else if (*a++ != *b++) {
      return false;
    }
  }
  return *a == *b;
}

/* Each group's line: "  K seeds (a, b): ...; output \"LINE\"; bundle P". */
Test(explore, all_groups_the_failures) {
  const char *dir = spawn_temp_dir();
  const char *out = path_in(dir, "b");
  spawn_result r = PVLAB("explore", race(), "--jitter", "--seeds", "0..199", "--all",
                         "--out", out);
  cr_assert_eq(r.status, 1, "%s", r.err);
  unsigned long long failed = after(r.out, "200 runs, ");
  unsigned long long groups = after(r.out, "%), ");
  unsigned long long seen = 0, bundles = 0, largest = 0;
  for (const char *p = strstr(r.out, "\n  "); p && strstr(p, " seed"); p = strstr(p + 1, "\n  ")) {
    if (strncmp(p, "\n  pvlab", 8) == 0) break;
    unsigned long long count = strtoull(p + 3, NULL, 10);
    seen += count;
    if (count > largest) largest = count;
    const char *q = strstr(p, "output \"");
    cr_assert(q, "%s", p);
    char want[256];
    snprintf(want, sizeof want, "%.*s", (int)strcspn(q + 8, "\""), q + 8);
    /* every seed of the group prints that line */
    const char *s = strchr(p, '(') + 1;
    for (unsigned long long k = 0; k < count; k++) {
      unsigned long long seed = strtoull(s, (char **)&s, 10);
      s += 2; /* ", " */
      char line[256];
      cr_expect_eq(run_seed(seed, line, sizeof line), 1, "seed %llu", seed);
      cr_expect(same_but_numbers(line, want), "seed %llu: \"%s\" is not \"%s\"", seed,
                line, want);
    }
    const char *bp = strstr(p, "; bundle ");
    cr_assert(bp && bp < strstr(p + 1, "\n"), "a group without a bundle: %s", p);
    char bundle[512];
    snprintf(bundle, sizeof bundle, "%.*s", (int)strcspn(bp + 9, "\n"), bp + 9);
    cr_expect(exists(bundle), "%s", bundle);
    bundles++;
  }
  cr_expect_eq(seen, failed, "the groups hold %llu seeds of %llu:\n%s", seen, failed, r.out);
  cr_expect_eq(bundles, groups, "%s", r.out);
  /* the six failing seeds are one lost update, counters aside (by hand) */
  cr_expect_gt(largest, 1, "no two failures grouped:\n%s", r.out);
  spawn_free(&r);
  spawn_remove_dir(dir);
}

Test(explore, checks_on_the_output_and_hangs) {
  const char *dir = spawn_temp_dir();
  const char *out = path_in(dir, "b");
  spawn_result e = PVLAB("explore", spawn_guest("echo"), "--seeds", "0..3",
                         "--input-text", "abc", "--expect", "abc", "--out", out);
  cr_expect_eq(e.status, 0, "%s\n%s", e.out, e.err);
  spawn_result rj = PVLAB("explore", spawn_guest("echo"), "--seeds", "0..3",
                          "--input-text", "abc", "--reject", "b", "--out", out);
  cr_expect_eq(rj.status, 1, "%s", rj.err);
  cr_expect(strstr(rj.out, "4 seeds (0, 1, 2, 3): \"b\" in the output (--reject)"), "%s", rj.out);
  char *input = spawn_put_file(dir, "in.txt", "xyz\n");
  spawn_result ex = PVLAB("explore", spawn_guest("echo"), "--seeds", "0..1", "--input",
                          input, "--expect", "abc", "--out", out);
  cr_expect_eq(ex.status, 1, "%s", ex.err);
  cr_expect(strstr(ex.out, "no \"abc\" in the output (--expect)"), "%s", ex.out);
  spawn_result h = PVLAB("explore", race(), "--jitter", "--seeds", "0..3", "--max-insns",
                         "5000", "--out", out);
  cr_expect_eq(h.status, 1, "%s", h.err);
  cr_expect(strstr(h.out, "4 failed (100.0%), 1 distinct failure\n"), "%s", h.out);
  cr_expect(strstr(h.out, "instruction limit reached"), "%s", h.out);
  free(input);
  spawn_free(&e);
  spawn_free(&rj);
  spawn_free(&ex);
  spawn_free(&h);
  spawn_remove_dir(dir);
}

Test(explore, usage_errors) {
  static const struct {
    const char *seeds, *want;
  } bad[] = {
    {"5..2", "--seeds '5..2' is empty"},
    {"7", "--seeds '7' is not a range: give A..B"},
    {"a..9", "--seeds 'a..9' is not a range"},
    {"0..", "--seeds '0..' is not a range"},
    {"0..100000000", "too many seeds"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    spawn_result r = PVLAB("explore", race(), "--seeds", bad[k].seeds);
    cr_expect_eq(r.status, 125, "%s", bad[k].seeds);
    cr_expect(strstr(r.err, bad[k].want), "%s", r.err);
    cr_expect_eq(r.out_len, 0, "%s", r.out);
    spawn_free(&r);
  }
  spawn_result m = PVLAB("explore", "/nonexistent/guest.elf");
  cr_expect_eq(m.status, 125);
  cr_expect(strstr(m.err, "pvlab explore: /nonexistent/guest.elf: cannot open"), "%s", m.err);
  spawn_result n = PVLAB("explore");
  cr_expect_eq(n.status, 125);
  cr_expect(strstr(n.err, "which guest?"), "%s", n.err);
  spawn_result o = PVLAB("explore", race(), "--input-text", "a", "--input", "f");
  cr_expect_eq(o.status, 125);
  cr_expect(strstr(o.err, "one of --input FILE and --input-text TEXT"), "%s", o.err);
  spawn_result h = PVLAB("help", "explore");
  cr_expect_eq(h.status, 0);
  cr_expect(strstr(h.out, "usage: pvlab explore GUEST.elf [--seeds A..B] [--jitter]"), "%s", h.out);
  spawn_free(&m);
  spawn_free(&n);
  spawn_free(&o);
  spawn_free(&h);
}
