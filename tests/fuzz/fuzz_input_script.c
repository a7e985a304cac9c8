/* The --keys input script parser under fire (devices/input_script.c): any
 * bytes, up to the first NUL, as a script.  It is parsed into events of
 * the kinds the para-API has, or refused with a message naming the
 * offending part and nothing kept; a parsed script then feeds an input
 * queue through its backend, 64 events at a time, until every event has
 * gone in order.  Anything else aborts, and the sanitizers see every bad
 * access on the way.
 *
 * Built with -Dfuzz=true (clang) it is the libFuzzer target
 * fuzz_input_script; otherwise, with tests/fuzz/fuzz_driver.c, the test
 * fuzz_input_script_corpus over tests/fuzz/corpus/input_script. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "pvabi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_event(const dev_input_event *e) {
  switch (e->type) {
  case PV_INPUT_KEY_DOWN:
  case PV_INPUT_KEY_UP:
    if (e->code == 0 || e->code > PV_KEY_ALT || e->x || e->y) abort();
    if (e->mods & ~(uint32_t)PV_MOD_SHIFT) abort();
    break;
  case PV_INPUT_MOUSE_MOVE:
  case PV_INPUT_MOUSE_DOWN:
  case PV_INPUT_MOUSE_UP:
    if (e->x < 0 || e->x > 65535 || e->y < 0 || e->y > 65535 || e->mods) abort();
    break;
  case PV_INPUT_QUIT: break;
  default: abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  dev_input_script s;
  char err[512];
  err[0] = 0;
  if (!dev_input_script_parse(&s, text, err, sizeof err)) {
    if (!err[0] || !memchr(err, 0, sizeof err) || s.ev || s.n) abort();
    free(text);
    return 0;
  }
  if (strlen(text) > 0 && s.n == 0) abort(); /* every item is at least one event */
  for (size_t i = 0; i < s.n; i++) check_event(&s.ev[i]);
  /* each poll must push the next events, as many as the queue takes, in
   * order (moves merging as the queue merges them) */
  dev_input_backend b = dev_input_script_backend(&s);
  static dev_input q, want;
  for (size_t before = 0;;) {
    memset(&q, 0, sizeof q);
    memset(&want, 0, sizeof want);
    bool more = b.poll(b.ctx, &q);
    if (s.pos < before || s.pos > s.n || more != (s.pos < s.n)) abort();
    for (size_t i = before; i < s.pos; i++) dev_input_push(&want, &s.ev[i]);
    if (q.count != want.count || q.dropped || memcmp(q.ev, want.ev, sizeof q.ev) != 0) abort();
    if (!more) break;
    if (s.pos == before) abort(); /* more to come, but none came */
    before = s.pos;
  }
  dev_input_script_free(&s);
  free(text);
  return 0;
}
