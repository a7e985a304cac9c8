/* Snapshots on the command line: `pvlab run --snapshot-at ICOUNT FILE`
 * (the run stops at exactly that count, saves, and goes on as if nothing
 * had happened), the counts --load makes meaningful, and `pvlab info`. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "bundle.h"
#include "snapshot.h"

bool cli_check_counts(const machine *m, const cli_machine_opts *opts, const char *cmd) {
  uint64_t now = m->cpu.s.icount;
  if (opts->max_insns && opts->max_insns <= now) {
    fprintf(stderr, "pvlab %s: --max-insns %" PRIu64 " is not ahead of the "
            "snapshot's instruction count %" PRIu64 " (the limit counts from "
            "the guest's start)\n", cmd, opts->max_insns, now);
    return false;
  }
  for (unsigned i = 0; i < opts->nsnapshot_at; i++) {
    if (opts->snapshot_at[i].icount <= now && opts->load) {
      fprintf(stderr, "pvlab %s: --snapshot-at %" PRIu64 " is not ahead of the "
              "snapshot's instruction count %" PRIu64 "\n", cmd,
              opts->snapshot_at[i].icount, now);
      return false;
    }
  }
  return true;
}

static int by_icount(const void *a, const void *b) {
  const cli_snapshot_at *x = a, *y = b;
  if (x->icount != y->icount) return x->icount < y->icount ? -1 : 1;
  return x < y ? -1 : x > y; /* same count: in the order given */
}

/* Saves m at point p, which it has reached; false after a message. */
static bool save_at(machine *m, const cli_snapshot_at *p) {
  host_error err;
  if (!snap_save(m, p->path, &err)) {
    fprintf(stderr, "pvlab run: --snapshot-at %" PRIu64 " %s: %s\n", p->icount,
            p->path, err.msg);
    return false;
  }
  fprintf(stderr, "pvlab: saved snapshot %s at icount %" PRIu64 "\n", p->path, p->icount);
  return true;
}

/* --record takes its state hashes on the way. */
static machine_stop run_to(machine *m, replay_recorder *rec, uint64_t limit) {
  return rec ? replay_record_run(rec, limit) : machine_run(m, limit);
}

machine_stop cli_run_snapshots(machine *m, const cli_machine_opts *opts,
                               replay_recorder *rec, uint64_t limit, bool *saved) {
  cli_snapshot_at at[CLI_MAX_SNAPSHOTS];
  unsigned n = opts->nsnapshot_at, i = 0;
  for (unsigned k = 0; k < n; k++) at[k] = opts->snapshot_at[k];
  qsort(at, n, sizeof at[0], by_icount);
  *saved = true;
  machine_stop st = MACHINE_STOP_LIMIT;
  for (; i < n && at[i].icount <= limit; i++) {
    if (m->cpu.s.icount < at[i].icount) st = run_to(m, rec, at[i].icount);
    if (st != MACHINE_STOP_LIMIT || m->cpu.s.icount != at[i].icount) break;
    if (!save_at(m, &at[i])) *saved = false;
  }
  if (i == n || at[i].icount > limit) st = run_to(m, rec, limit);
  for (; i < n; i++) {
    fprintf(stderr, "pvlab: the run ended at icount %" PRIu64 ", before "
            "--snapshot-at %" PRIu64 ": %s was not written\n", m->cpu.s.icount,
            at[i].icount, at[i].path);
    *saved = false;
  }
  return st;
}

int cli_info(int argc, char **argv) {
  if (argc != 1 || argv[0][0] == '-') {
    fprintf(stderr, "pvlab info: usage: pvlab info FILE (a snapshot or a "
            "recording)\n");
    return CLI_EXIT_HOST;
  }
  snap_file f;
  host_error err;
  if (!snap_file_read(&f, argv[0], &err)) {
    fprintf(stderr, "pvlab info: %s\n", err.msg);
    return CLI_EXIT_HOST;
  }
  snap_describe(&f, stdout);
  if (f.kind == SNAP_KIND_BUNDLE) replay_bundle_describe(&f, stdout);
  snap_file_free(&f);
  return 0;
}
