/* The tap, in-process on real guests: a run recorded with input that
 * depends on how the host happens to poll (a terminal-like console, a
 * window's events) replays to the same output, instruction count and
 * state hash on a machine that has no input at all; the log survives its
 * encoding; a session replays behind its frontier and goes live beyond;
 * a changed log is caught. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "spawn.h"

/* A console like a terminal: bytes arrive in ones and twos, and only on
 * some polls, as a person types.  Which polls depends on how often the
 * machine asks, so only a recording can give the guest the same bytes at
 * the same instructions again. */
typedef struct typist {
  const char *text;
  size_t pos;
  unsigned calls;
  dev_console_mem out;
  dev_console_backend mem;
} typist;

static bool typist_write(void *ctx, const uint8_t *buf, size_t len) {
  typist *t = ctx;
  return t->mem.write(t->mem.ctx, buf, len);
}

static bool typist_ready(void *ctx, bool wait) {
  typist *t = ctx;
  t->calls++;
  if (t->text[t->pos] == 0) return true; /* end of input */
  return wait || t->calls % 7 == 0;
}

static long typist_read(void *ctx, uint8_t *buf, size_t len) {
  typist *t = ctx;
  if (t->text[t->pos] == 0) return 0;
  if (++t->calls % 3) return DEV_AGAIN;
  size_t n = 1 + t->calls % 2;
  if (n > len) n = len;
  if (n > strlen(t->text + t->pos)) n = strlen(t->text + t->pos);
  memcpy(buf, t->text + t->pos, n);
  t->pos += n;
  return (long)n;
}

static dev_console_backend typist_backend(typist *t, const char *text) {
  memset(t, 0, sizeof *t);
  t->text = text;
  t->mem = dev_console_mem_backend(&t->out);
  return (dev_console_backend){t, typist_write, typist_read, typist_ready};
}

static void start(machine *m, const char *guest) {
  machine_config cfg = {.mem_mib = 4, .seed = 3};
  host_error err;
  cr_assert(machine_init(m, &cfg, &err), "%s", err.msg);
  cr_assert(machine_load_elf(m, spawn_guest(guest), &err), "%s", err.msg);
}

typedef struct outcome {
  uint64_t icount, hash;
  machine_stop stop;
  uint32_t exit_code;
} outcome;

static outcome outcome_of(machine *m, machine_stop st) {
  return (outcome){m->cpu.s.icount, machine_state_hash(m), st, m->dev.power.exit_code};
}

static void expect_same(const outcome *a, const outcome *b) {
  cr_expect_eq(a->icount, b->icount, "icount %llu vs %llu",
               (unsigned long long)a->icount, (unsigned long long)b->icount);
  cr_expect_eq(a->hash, b->hash, "state hash differs");
  cr_expect_eq(a->stop, b->stop, "stop %d vs %d", a->stop, b->stop);
  cr_expect_eq(a->exit_code, b->exit_code);
}

/* Runs in slices of step instructions (the host polls between them, as
 * a window or a debugger makes it do). */
static machine_stop run_sliced(machine *m, uint64_t step) {
  for (;;) {
    machine_stop st = machine_run(m, m->cpu.s.icount + step);
    if (st != MACHINE_STOP_LIMIT) return st;
  }
}

/* A second machine replaying log (encoded and decoded first, as a bundle
 * carries it), with its output in *out. */
static machine_stop replay(machine *m, replay_tap *t, const replay_tap *log, dev_console_mem *out,
                           uint64_t step) {
  snap_buf b = {0};
  cr_assert(replay_tap_encode(log, &b));
  m->console_io = dev_console_mem_backend(out);
  replay_tap_attach(t, m);
  replay_tap_set_wait(t, log->has_wait); /* as the recording had a window or not */
  t->replay_only = true;
  t->echo = true;
  host_error err;
  cr_assert(replay_tap_decode(t, b.p, b.len, &err), "%s", err.msg);
  snap_buf_free(&b);
  return step ? run_sliced(m, step) : machine_run(m, UINT64_MAX);
}

/* echo on machine a, recorded by rec, with text typed at it; polled in
 * slices of step instructions. */
static outcome record_echo(machine *a, typist *ty, replay_tap *rec, const char *text,
                           uint64_t step) {
  start(a, "echo");
  a->console_io = typist_backend(ty, text);
  replay_tap_attach(rec, a);
  machine_stop st = run_sliced(a, step);
  cr_assert_eq(st, MACHINE_STOP_SHUTDOWN);
  return outcome_of(a, st);
}

Test(tap, typed_console_input_replays_exactly) {
  machine a, b;
  typist ty;
  replay_tap rec, play;
  /* odd slices: polls everywhere */
  outcome want = record_echo(&a, &ty, &rec, "hello, recorded world\nsecond line\n", 997);
  cr_assert_eq(ty.out.out_len, strlen(ty.text), "echo printed %zu bytes", ty.out.out_len);
  cr_expect(rec.n > 4, "only %zu log entries", rec.n);
  uint64_t bytes, queue, waits;
  replay_tap_summary(&rec, &bytes, &queue, &waits);
  cr_expect_eq(bytes, strlen(ty.text));

  /* no input at all but the log, and different slices */
  start(&b, "echo");
  dev_console_mem out = {0};
  machine_stop st = replay(&b, &play, &rec, &out, 0);
  outcome got = outcome_of(&b, st);
  expect_same(&want, &got);
  cr_expect(!play.diverged, "%s", play.why);
  cr_expect_eq(play.pos, play.n, "%zu of %zu entries served", play.pos, play.n);
  cr_assert_eq(out.out_len, ty.out.out_len);
  cr_expect(memcmp(out.out, ty.out.out, out.out_len) == 0);
  replay_tap_detach(&play);
  replay_tap_detach(&rec);
  dev_console_mem_free(&out);
  dev_console_mem_free(&ty.out);
  machine_free(&a);
  machine_free(&b);
}

Test(tap, an_idle_run_logs_nothing) {
  machine a;
  replay_tap rec;
  start(&a, "hello");
  replay_tap_attach(&rec, &a);
  machine_stop st = machine_run(&a, UINT64_MAX);
  cr_assert_eq(st, MACHINE_STOP_SHUTDOWN);
  /* hello never reads: at most the console's one "ready" answer */
  cr_expect_leq(rec.n, 1, "%zu entries", rec.n);
  replay_tap_detach(&rec);
  machine_free(&a);
}

Test(tap, a_changed_byte_is_caught) {
  machine a, b;
  typist ty;
  replay_tap rec, play;
  outcome want = record_echo(&a, &ty, &rec, "abcdefgh\n", 500);
  /* the last console byte the log gives becomes another: it stays in the
   * guest's buffer to the end (earlier ones are overwritten) */
  size_t i = rec.n;
  while (i > 0 && !(rec.e[i - 1].kind == REPLAY_TAP_READ && (int64_t)rec.e[i - 1].val > 0)) i--;
  cr_assert_gt(i, 0);
  replay_tap_entry *last = &rec.e[i - 1];
  rec.data[last->off + last->len - 1] = '*';
  start(&b, "echo");
  dev_console_mem out = {0};
  machine_stop st = replay(&b, &play, &rec, &out, 0);
  outcome got = outcome_of(&b, st);
  cr_expect_neq(got.hash, want.hash, "a different byte left no trace");
  cr_assert_eq(out.out_len, strlen(ty.text));
  cr_expect_eq(out.out[out.out_len - 1], '*', "the replay did not use the changed byte");
  replay_tap_detach(&play);
  replay_tap_detach(&rec);
  dev_console_mem_free(&out);
  dev_console_mem_free(&ty.out);
  machine_free(&a);
  machine_free(&b);
}

/* Replays rec's log of fbdemo on a fresh machine b and checks it ends as
 * a did; b is left for further checks (the caller frees it). */
static void expect_fbdemo_replays(machine *a, const replay_tap *rec, const outcome *want,
                                  machine *b) {
  replay_tap play;
  start(b, "fbdemo");
  dev_console_mem out = {0};
  machine_stop st = replay(b, &play, rec, &out, 0);
  outcome got = outcome_of(b, st);
  expect_same(want, &got);
  cr_expect(!play.diverged, "%s", play.why);
  cr_expect_eq(b->dev.input.delivered, a->dev.input.delivered);
  cr_expect_eq(b->dev.timer.idle_ns, a->dev.timer.idle_ns);
  replay_tap_detach(&play);
  dev_console_mem_free(&out);
}

Test(tap, input_events_replay_exactly) {
  machine a, b;
  replay_tap rec;
  dev_input_script script;
  char why[256];
  start(&a, "fbdemo");
  cr_assert(dev_input_script_parse(&script, "<right><right><down>x<click:10,20><quit>",
                                   why, sizeof why), "%s", why);
  a.input_io = dev_input_script_backend(&script);
  replay_tap_attach(&rec, &a);
  machine_stop st = run_sliced(&a, 100000);
  outcome want = outcome_of(&a, st);
  uint64_t bytes, queue, waits;
  replay_tap_summary(&rec, &bytes, &queue, &waits);
  cr_expect_gt(queue, 0, "no queue change was logged");
  cr_expect_gt(a.dev.input.delivered, 3, "fbdemo read %llu events",
               (unsigned long long)a.dev.input.delivered);

  expect_fbdemo_replays(&a, &rec, &want, &b);
  replay_tap_detach(&rec);
  dev_input_script_free(&script);
  machine_free(&a);
  machine_free(&b);
}

/* A debug session re-runs its past: behind the frontier the log answers
 * and the guest's output is not shown again; past it, the live console
 * is asked again. */
Test(tap, a_session_replays_behind_its_frontier_and_goes_live_beyond) {
  machine a, b;
  typist ty;
  replay_tap t;
  start(&a, "echo");
  a.console_io = typist_backend(&ty, "first\nsecond\n");
  replay_tap_attach(&t, &a);
  /* live up to the middle of the input */
  while (ty.pos < 6) cr_assert_eq(machine_run(&a, a.cpu.s.icount + 300), MACHINE_STOP_LIMIT);
  replay_tap_advance(&t);
  uint64_t middle = a.cpu.s.icount;
  size_t shown = ty.out.out_len;
  cr_assert_eq(t.frontier, middle);

  /* the same session on a fresh machine from the start: its past */
  start(&b, "echo");
  b.console_io = a.console_io; /* the very same live console */
  replay_tap moved = t;
  moved.m = &b;
  b.console_io = (dev_console_backend){&moved, a.console_io.write, a.console_io.read,
                                       a.console_io.ready};
  b.input_io = a.input_io;
  b.input_io.ctx = &moved;
  replay_tap_mark zero = {0, 0};
  replay_tap_seek(&moved, &zero);
  cr_assert(replay_tap_replaying(&moved));
  cr_assert_eq(machine_run(&b, middle), MACHINE_STOP_LIMIT);
  cr_expect_eq(b.cpu.s.icount, middle);
  cr_expect_eq(machine_state_hash(&b), machine_state_hash(&a), "the past differs");
  cr_expect_eq(ty.out.out_len, shown, "output was shown again");
  cr_expect(!moved.diverged, "%s", moved.why);
  /* beyond the frontier: live, the rest of the input arrives */
  cr_assert(!replay_tap_replaying(&moved));
  cr_assert_eq(machine_run(&b, UINT64_MAX), MACHINE_STOP_SHUTDOWN);
  cr_expect_eq(ty.out.out_len, strlen(ty.text), "%.*s", (int)ty.out.out_len, ty.out.out);
  cr_expect(memcmp(ty.out.out, ty.text, strlen(ty.text)) == 0);
  b.console_io = moved.live_con;
  b.input_io = moved.live_in;
  free(moved.e);
  free(moved.data);
  a.console_io = t.live_con;
  a.input_io = t.live_in;
  dev_console_mem_free(&ty.out);
  machine_free(&a);
  machine_free(&b);
}

Test(tap, damaged_logs_are_refused) {
  machine a;
  typist ty;
  replay_tap rec, other;
  record_echo(&a, &ty, &rec, "xyz\n", 300);
  snap_buf b = {0};
  cr_assert(replay_tap_encode(&rec, &b));
  replay_tap_attach(&other, &a);
  host_error err;
  /* cut short anywhere */
  for (size_t len = 0; len < b.len; len += 1 + len / 8) {
    cr_expect(!replay_tap_decode(&other, b.p, len, &err), "a log of %zu of %zu bytes was accepted",
              len, b.len);
  }
  /* a count that lies */
  uint8_t *copy = malloc(b.len);
  memcpy(copy, b.p, b.len);
  copy[7] = 0x7f;
  cr_expect(!replay_tap_decode(&other, copy, b.len, &err));
  cr_expect(strstr(err.msg, "entries"), "%s", err.msg);
  /* an unknown kind in the first entry (after count and icount, pc) */
  memcpy(copy, b.p, b.len);
  copy[8 + 8 + 4] = 99;
  cr_expect(!replay_tap_decode(&other, copy, b.len, &err));
  cr_expect(strstr(err.msg, "unknown kind"), "%s", err.msg);
  /* trailing bytes */
  uint8_t *longer = malloc(b.len + 1);
  memcpy(longer, b.p, b.len);
  longer[b.len] = 0;
  cr_expect(!replay_tap_decode(&other, longer, b.len + 1, &err));
  cr_expect(strstr(err.msg, "after its last entry"), "%s", err.msg);
  /* the real one still decodes, and the refusals left the log empty */
  cr_expect_eq(other.n, 0);
  cr_expect(replay_tap_decode(&other, b.p, b.len, &err), "%s", err.msg);
  cr_expect_eq(other.n, rec.n);
  free(copy);
  free(longer);
  snap_buf_free(&b);
  replay_tap_detach(&other);
  replay_tap_detach(&rec);
  dev_console_mem_free(&ty.out);
  machine_free(&a);
}

/* A window as the host sees it: a wait takes some host time (which moves
 * virtual time by an amount no instruction count predicts), and a key
 * arrives after every few waits, on some polls only; then the window
 * closes. */
typedef struct window {
  unsigned polls, waits, sent;
} window;

static bool window_poll(void *ctx, dev_input *q) {
  window *w = ctx;
  if (++w->polls % 3 || w->sent > 6 || w->waits < 3 * (w->sent + 1)) return w->sent <= 6;
  dev_input_event e = {w->sent < 6 ? PV_INPUT_KEY_DOWN : PV_INPUT_QUIT, 'a', 0, 0, 0};
  dev_input_push(q, &e);
  w->sent++;
  return true;
}

static bool window_wait(void *ctx, uint64_t *now_ns, uint64_t until_ns, uint32_t max_ms) {
  window *w = ctx;
  uint64_t step = 1000000u + 7919u * (++w->waits % 13); /* "host time" */
  *now_ns = until_ns - *now_ns < step ? until_ns : *now_ns + step;
  return w->sent <= 6;
}

Test(tap, a_window_s_waits_and_events_replay_exactly) {
  machine a, b;
  window w = {0};
  replay_tap rec;
  start(&a, "fbdemo");
  a.input_io = (dev_input_backend){&w, window_poll, window_wait};
  replay_tap_attach(&rec, &a);
  machine_stop st = run_sliced(&a, 5003);
  outcome want = outcome_of(&a, st);
  uint64_t bytes, queue, waits;
  replay_tap_summary(&rec, &bytes, &queue, &waits);
  cr_expect_gt(waits, 0, "no idle wait was logged (%u waits, %u polls, %u sent, stop %d)", w.waits, w.polls, w.sent, st);
  cr_expect_gt(queue, 5, "%llu queue changes", (unsigned long long)queue);
  cr_expect_gt(a.dev.timer.idle_ns, 0, "the waits moved no virtual time");

  expect_fbdemo_replays(&a, &rec, &want, &b);
  replay_tap_detach(&rec);
  machine_free(&a);
  machine_free(&b);
}
