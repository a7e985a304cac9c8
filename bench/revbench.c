/* revbench: what reverse execution costs, a billion instructions into a
 * run of a compute kernel under the monitor (checkpoints on, defaults):
 *   - the run itself, against the same run with no monitor (the cost of
 *     taking checkpoints), and the memory the checkpoints take;
 *   - reverse-stepi (the median of ROUNDS), whose target is under 100 ms;
 *   - goto 100 million instructions back (to a checkpoint, and to the
 *     instruction before it: the most re-running there is), and forward
 *     again.
 * Every landing is checked against the plain run's state hash at the same
 * instruction count.
 *
 *   meson test -C build --benchmark reverse     (or build/bench/revbench GUEST.elf [INSNS])
 *
 * Exit status 1 when a landing differed or a command failed. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "mon.h"

#define DEFAULT_INSNS UINT64_C(1000000000)
#define BACK UINT64_C(100000000)
#define ROUNDS 9

static bool start(machine *m, dev_console_mem *con, const char *guest) {
  machine_config cfg = {.mem_mib = MACHINE_DEFAULT_MEM_MIB};
  host_error err;
  if (!machine_init(m, &cfg, &err) || !machine_load_elf(m, guest, &err)) {
    fprintf(stderr, "revbench: %s\n", err.msg);
    return false;
  }
  *con = (dev_console_mem){0};
  m->console_io = dev_console_mem_backend(con);
  return true;
}

/* The plain run: its time to n, and its state hashes at the points the
 * benchmark lands on (want[], increasing). */
static bool plain_run(const char *guest, uint64_t n, const uint64_t *want, uint64_t *hash,
                      size_t k, double *secs) {
  machine m;
  dev_console_mem con;
  if (!start(&m, &con, guest)) return false;
  bool ok = true;
  *secs = 0;
  for (size_t i = 0; i < k && ok; i++) {
    double t0 = bench_now();
    ok = machine_run(&m, want[i]) == MACHINE_STOP_LIMIT;
    *secs += bench_now() - t0;
    hash[i] = machine_state_hash(&m);
  }
  if (!ok) fprintf(stderr, "revbench: the guest stopped before icount %" PRIu64 "\n", n);
  dev_console_mem_free(&con);
  machine_free(&m);
  return ok;
}

/* One monitor command, timed; false when it failed. */
static bool timed(mon *s, const char *line, double *secs) {
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  double t0 = bench_now();
  mon_status st = mon_exec(s, line, out);
  *secs = bench_now() - t0;
  fclose(out);
  if (st != MON_OK) fprintf(stderr, "revbench: `%s` failed: %s", line, text);
  free(text);
  return st == MON_OK;
}

static bool check(machine *m, uint64_t icount, uint64_t hash, const char *what) {
  if (m->cpu.s.icount == icount && machine_state_hash(m) == hash) return true;
  fprintf(stderr, "revbench: after %s the machine is not the plain run's at icount %" PRIu64
          "\n", what, icount);
  return false;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: revbench GUEST.elf [INSNS]\n");
    return 2;
  }
  const char *guest = argv[1];
  uint64_t n = argc == 3 ? strtoull(argv[2], NULL, 0) : DEFAULT_INSNS;
  if (n < 2 * BACK) {
    fprintf(stderr, "revbench: INSNS must be at least %" PRIu64 "\n", 2 * BACK);
    return 2;
  }
  /* the landings: n - BACK - 1 and n - BACK by goto, n - ROUNDS .. n - 1
   * by reverse-stepi, and n */
  enum { BACK1, BACK0, RSI, END = RSI + ROUNDS, POINTS };
  uint64_t want[POINTS], hash[POINTS];
  want[BACK1] = n - BACK - 1;
  want[BACK0] = n - BACK;
  for (int i = 0; i < ROUNDS; i++) want[RSI + i] = n - ROUNDS + (uint64_t)i;
  want[END] = n;
  double plain;
  if (!plain_run(guest, n, want, hash, POINTS, &plain)) return 1;

  machine m;
  dev_console_mem con;
  if (!start(&m, &con, guest)) return 1;
  mon *s = mon_new(&m, guest);
  if (!s) return 1;
  double run, rsi[ROUNDS], back[2], fwd;
  char line[64];
  snprintf(line, sizeof line, "run-until %" PRIu64, n);
  bool ok = timed(s, line, &run) && check(&m, n, hash[END], line);
  for (int i = 0; ok && i < ROUNDS; i++) {
    ok = timed(s, "reverse-stepi", &rsi[i]) && check(&m, n - 1 - i, hash[END - 1 - i], "reverse-stepi");
  }
  for (int i = BACK1; ok && i <= BACK0; i++) {
    snprintf(line, sizeof line, "goto %" PRIu64, want[i]);
    ok = timed(s, line, &back[i]) && check(&m, want[i], hash[i], line);
  }
  snprintf(line, sizeof line, "goto %" PRIu64, n);
  ok = ok && timed(s, line, &fwd) && check(&m, n, hash[END], line);
  char *info = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&info, &len);
  ok = ok && mon_exec(s, "info reverse", out) == MON_OK;
  fclose(out);
  if (ok) {
    double med = bench_median(rsi, ROUNDS);
    printf("revbench: %s, %" PRIu64 " instructions in\n", guest, n);
    printf("  run under the monitor   %8.3f s  (%.0f MIPS; without it %.3f s, "
           "checkpoints cost %+.1f%%)\n", run, n / run / 1e6, plain,
           (run / plain - 1) * 100);
    printf("  reverse-stepi           %8.1f ms median of %d (min %.1f, max %.1f); "
           "target under 100 ms: %s\n", med * 1e3, ROUNDS, rsi[0] * 1e3,
           rsi[ROUNDS - 1] * 1e3, med < 0.1 ? "met" : "MISSED");
    printf("  goto %" PRIu64 " back     %8.1f ms  (to a checkpoint; one more back: %.1f ms)\n",
           BACK, back[BACK0] * 1e3, back[BACK1] * 1e3);
    printf("  goto the end again      %8.1f ms\n", fwd * 1e3);
    printf("%s", info);
  }
  free(info);
  mon_free(s);
  dev_console_mem_free(&con);
  machine_free(&m);
  return ok ? 0 : 1;
}
