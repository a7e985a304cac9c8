/* The monitor's command line under fire: any bytes as a script, one
 * command a line, given to mon_exec on a live guest (fuzz_live.h) until
 * the input ends, a command says quit or the guest's budget is spent.
 * Every command must answer (its output a string, an error one line
 * that ends in a newline) and leave a machine that still works; anything
 * else aborts, and the sanitizers see every bad access on the way.
 *
 * Built with -Dfuzz=true (clang) it is the libFuzzer target fuzz_monitor
 * (GUESTS must name the sample guests); otherwise, with
 * tests/fuzz/fuzz_driver.c, the test fuzz_monitor_corpus over
 * tests/fuzz/corpus/monitor. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_live.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fuzz_live l;
  static char line[4096], safe[8192];
  fuzz_live_start(&l);
  size_t at = 0;
  for (int lines = 0; at < size && lines < MAX_LINES && !fuzz_live_spent(&l); lines++) {
    const uint8_t *nl = memchr(data + at, '\n', size - at);
    size_t n = (nl ? (size_t)(nl - data) : size) - at;
    if (n >= sizeof line) n = sizeof line - 1;
    memcpy(line, data + at, n);
    line[n] = 0; /* a NUL inside ends the line early, as fgets' would */
    at = nl ? (size_t)(nl - data) + 1 : size;
    if (!fuzz_live_safe_line(&l, line, safe, sizeof safe)) continue;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out) abort();
    mon_status st = mon_exec(l.s, safe, out);
    fclose(out);
    if (st == MON_ERROR && (len == 0 || buf[len - 1] != '\n')) abort(); /* says why */
    free(buf);
    if (st == MON_QUIT) break;
  }
  /* the machine under it is whole: its state hashes, it runs on */
  (void)machine_state_hash(mon_machine(l.s));
  fuzz_live_stop(&l);
  return 0;
}
