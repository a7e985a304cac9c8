/* Timer jitter through the real binary: `run --jitter` is deterministic
 * for a seed and varies with it; a `--jitter --record` bundle replays
 * exactly and `pvlab info` says jitter is on; `--load` refuses --jitter
 * (the snapshot decides); `debug --jitter` shows it in `info devices`. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

#define PVLAB(...) spawn_pvlab_run(NULL, 0, __VA_ARGS__, (char *)NULL)

static const char *kernel(void) { return spawn_guest("minikernel/minikernel"); }

Test(jitter, a_seed_gives_one_run_and_seeds_differ) {
  spawn_result a = PVLAB("run", "--jitter", "--seed", "5", "--stats", kernel());
  spawn_result b = PVLAB("run", "--jitter", "--seed", "5", "--stats", kernel());
  cr_assert_eq(a.status, 0, "%s", a.err);
  cr_assert_eq(b.status, 0, "%s", b.err);
  char hash_a[64];
  snprintf(hash_a, sizeof hash_a, "%s", spawn_stat(&a, "state hash"));
  cr_expect_str_eq(hash_a, spawn_stat(&b, "state hash"));
  cr_expect_str_eq(a.out, b.out);
  /* the clock's phase alone makes another seed's state differ */
  spawn_result c = PVLAB("run", "--jitter", "--seed", "6", "--stats", kernel());
  cr_assert_eq(c.status, 0, "%s", c.err);
  cr_expect_str_neq(hash_a, spawn_stat(&c, "state hash"));
  /* and without --jitter the seed leaves the timer alone */
  spawn_result d = PVLAB("run", "--seed", "5", "--stats", kernel());
  cr_assert_eq(d.status, 0, "%s", d.err);
  cr_expect_eq(spawn_stat_num(&d, "instructions"), 406719);
  cr_expect_str_eq(spawn_stat(&d, "virtual time"), "0.000406719 s"); /* no phase */
  spawn_free(&a);
  spawn_free(&b);
  spawn_free(&c);
  spawn_free(&d);
}

Test(jitter, a_recording_replays_exactly) {
  const char *dir = spawn_temp_dir();
  char bundle[256];
  snprintf(bundle, sizeof bundle, "%s/k.pvrec", dir);
  spawn_result rec = PVLAB("run", "--jitter", "--seed", "9", "--stats", "--record",
                           bundle, kernel());
  cr_assert_eq(rec.status, 0, "%s", rec.err);
  spawn_result rep = PVLAB("replay", "--stats", bundle);
  cr_expect_eq(rep.status, 0, "%s", rep.err);
  cr_expect_str_eq(rep.out, rec.out);
  cr_expect(strstr(rep.err, "replay matched the recording"), "%s", rep.err);
  char hash[64];
  snprintf(hash, sizeof hash, "%s", spawn_stat(&rec, "state hash"));
  cr_expect_str_eq(spawn_stat(&rep, "state hash"), hash);
  spawn_result info = PVLAB("info", bundle);
  cr_expect_eq(info.status, 0, "%s", info.err);
  cr_expect(strstr(info.out, "timer jitter   on (--jitter)\n"), "%s", info.out);
  cr_expect(strstr(info.out, "seed           9\n"), "%s", info.out);
  spawn_free(&rec);
  spawn_free(&rep);
  spawn_free(&info);
  spawn_remove_dir(dir);
}

Test(jitter, load_refuses_jitter) {
  const char *dir = spawn_temp_dir();
  char snap[256];
  snprintf(snap, sizeof snap, "%s/k.pvsnap", dir);
  spawn_result s = PVLAB("run", "--jitter", "--snapshot-at", "1000", snap, kernel());
  cr_assert_eq(s.status, 0, "%s", s.err);
  spawn_result l = PVLAB("run", "--load", snap, "--jitter");
  cr_expect_eq(l.status, 125);
  cr_expect(strstr(l.err, "--jitter cannot go with --load"), "%s", l.err);
  /* the snapshot brings its jitter: the rest of the run is the same */
  spawn_result a = PVLAB("run", "--load", snap, "--stats");
  spawn_result b = PVLAB("run", "--jitter", "--stats", kernel());
  cr_expect_eq(a.status, 0, "%s", a.err);
  char hash[64];
  snprintf(hash, sizeof hash, "%s", spawn_stat(&b, "state hash"));
  cr_expect_str_eq(spawn_stat(&a, "state hash"), hash);
  spawn_free(&s);
  spawn_free(&l);
  spawn_free(&a);
  spawn_free(&b);
  spawn_remove_dir(dir);
}

Test(jitter, debug_shows_it) {
  const char *cmds = "info devices\n";
  spawn_result r = spawn_pvlab_run(cmds, strlen(cmds), "debug", "--jitter", "--seed",
                                   "3", kernel(), (char *)NULL);
  cr_expect_eq(r.status, 0, "%s", r.err);
  cr_expect(strstr(r.out, "  jitter        on: the clock started at "), "%s", r.out);
  spawn_free(&r);
}
