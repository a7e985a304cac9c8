/* Reverse execution through the monitor library (mon_exec), on real
 * guests: going back lands on exactly the machine that was there (state
 * hash, icount, registers), equal to a fresh run to that point; the
 * reverse searches land where the forward commands would have stopped;
 * input is served again and output is not repeated; the memory budget
 * thins checkpoints without changing any answer; a change by hand starts
 * a new history. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "montest.h"
#include "bundle.h"
#include "spawn.h"

/* small enough that hashing all of RAM at every step is cheap */
#define MEM_MIB 4u

static const char *INPUT; /* the guest's console input */
static char DISK[4096];   /* its disk image, if not empty */

static void quietly(const char *line) { montest_quietly(line); }

static void start(const char *name, const char *input) {
  INPUT = input;
  DISK[0] = 0;
  montest_start(name, input, MEM_MIB);
}

/* The image as the guest's disk, from its start (a new history). */
static void attach_disk(const char *image) {
  snprintf(DISK, sizeof DISK, "%s/%s", getenv("GUESTS"), image);
  host_error err;
  cr_assert(machine_disk_attach(&M, DISK, false, &err), "%s", err.msg);
  quietly("restart");
}

/* Runs a command that must work; returns what it printed (owned). */
static char *ok(const char *line) {
  mon_status st;
  char *out = montest_run(line, &st);
  cr_assert_eq(st, MON_OK, "`%s` failed: %s", line, out);
  return out;
}

static void expect_out(const char *line, const char *golden) {
  char *got = ok(line);
  cr_expect_str_eq(got, golden, "`%s` printed:\n%s--- instead of:\n%s", line, got, golden);
  free(got);
}

/* A refused command: its message contains needle, the machine is as it was. */
static void refused(const char *line, const char *needle) {
  uint64_t before = machine_state_hash(&M);
  mon_status st;
  char *got = montest_run(line, &st);
  cr_expect_eq(st, MON_ERROR, "`%s` was not refused: %s", line, got);
  cr_expect(strstr(got, needle), "`%s` printed:\n%s--- without \"%s\"", line, got, needle);
  cr_expect_eq(machine_state_hash(&M), before, "`%s` changed the machine", line);
  free(got);
}

static uint64_t icount(void) { return M.cpu.s.icount; }

/* The machine a fresh run of the guest (same input) has at icount n; with
 * latest, just past a trap from user mode taken there (which counts no
 * instruction), if one is: where reverse-stepi lands, just before the
 * instruction that takes the count past n. */
static uint64_t fresh_hash_at(const char *name, uint64_t n, bool latest) {
  machine m;
  machine_config cfg = {.mem_mib = MEM_MIB, .seed = 0};
  host_error err;
  cr_assert(machine_init(&m, &cfg, &err), "%s", err.msg);
  cr_assert(machine_load_elf(&m, spawn_guest(name), &err), "%s", err.msg);
  cr_assert(!DISK[0] || machine_disk_attach(&m, DISK, false, &err), "%s", err.msg);
  dev_console_mem con = {.in = (const uint8_t *)INPUT, .in_len = strlen(INPUT)};
  m.console_io = dev_console_mem_backend(&con);
  while (m.cpu.s.icount < n) {
    machine_stop st = machine_run(&m, n);
    if (st == MACHINE_STOP_EBREAK) cpu_retire(&m.cpu);
    else cr_assert(st == MACHINE_STOP_LIMIT || st == MACHINE_STOP_BREAK,
                   "the fresh run stopped (%d) at %" PRIu64, st, m.cpu.s.icount);
  }
  uint64_t h = machine_state_hash(&m);
  if (latest) {
    m.dbg.catch_traps = ~(1u << PV_CAUSE_EVENT);
    if (machine_run(&m, n + 1) == MACHINE_STOP_CATCH_TRAP && m.cpu.s.icount == n) {
      h = machine_state_hash(&m);
    }
  }
  dev_console_mem_free(&con);
  machine_free(&m);
  return h;
}

static uint64_t fresh_hash(const char *name, uint64_t n) { return fresh_hash_at(name, n, true); }

/* reverse-stepi then stepi at the current point gives back the same
 * machine; the point before it is a fresh run's.  Just past a trap from
 * user mode (which counts no instruction) the step back is to before the
 * trapping instruction, at the same icount: trapped says that is expected
 * (the stepi comes back past the trap when a catchpoint stops it there). */
static void back_and_forth_at(const char *name, bool check_fresh, bool trapped) {
  uint64_t n = icount(), h = machine_state_hash(&M);
  cpu_state regs = M.cpu.s;
  quietly("reverse-stepi");
  uint64_t back = trapped ? n : n - 1;
  cr_assert_eq(icount(), back);
  if (trapped) cr_assert_eq(M.cpu.s.mode, CPU_MODE_USER, "not back before the trap");
  if (check_fresh) {
    cr_expect_eq(machine_state_hash(&M), fresh_hash_at(name, back, !trapped),
                 "icount %" PRIu64 ": back one is not the fresh run's machine", back);
  }
  quietly("stepi");
  cr_assert_eq(icount(), n);
  cr_expect_eq(memcmp(&regs, &M.cpu.s, sizeof regs), 0, "registers differ at %" PRIu64, n);
  cr_expect_eq(machine_state_hash(&M), h, "icount %" PRIu64 ": back and forth changed "
               "the machine", n);
}

static void back_and_forth(const char *name, bool check_fresh) {
  back_and_forth_at(name, check_fresh, false);
}

/* ---- reverse-stepi */

Test(reverse, stepi_back_and_forth_at_every_instruction) {
  start("hello", "");
  quietly("set reverse-interval 500"); /* several checkpoints */
  while (!M.dev.power.off && icount() < 3600) {
    quietly("stepi");
    back_and_forth("hello", icount() % 97 == 0);
  }
  char *out = ok("info reverse");
  cr_expect(strstr(out, "Checkpoints 8, one every 500 instructions"), "%s", out);
  free(out);
  montest_finish();
}

Test(reverse, stepi_n_is_a_fresh_run) {
  start("hello", "");
  quietly("set reverse-interval 1000");
  quietly("continue");
  cr_assert(M.dev.power.off);
  uint64_t end = icount();
  for (uint64_t n = 1; n < end; n = n * 3 + 1) {
    quietly(montest_fmt("goto %" PRIu64, end));
    quietly(montest_fmt("reverse-stepi %" PRIu64, n));
    cr_assert_eq(icount(), end - n);
    cr_expect_eq(machine_state_hash(&M), fresh_hash("hello", end - n),
                 "reverse-stepi %" PRIu64 " from %" PRIu64, n, end);
  }
  montest_finish();
}

Test(reverse, stepi_reports_like_stepi) {
  start("hello", "");
  quietly("break main");
  quietly("continue");
  quietly("stepi 2");
  expect_out("reverse-stepi", "Stopped at icount 51\n=> 0x80000048 <main+4>:\tsw ra, 12(sp)\n");
  expect_out("rsi 1", "Stopped at icount 50\n=> 0x80000044 <main>:\taddi sp, sp, -16\n");
  expect_out("stepi", "Stopped at icount 51\n=> 0x80000048 <main+4>:\tsw ra, 12(sp)\n");
  refused("reverse-stepi 52", "cannot go back 52 instructions from icount 51: history "
          "starts at icount 0, where the guest started");
  refused("reverse-stepi 0", "a count of 0 does nothing");
  montest_finish();
}

/* Timer interrupts and traps in user mode: back and forth right after a
 * trap, across a timer event, and in user code. */
Test(reverse, minikernel_traps_and_timer) {
  start("minikernel/minikernel", "");
  quietly("set reverse-interval 20000");
  quietly("catch trap event");
  quietly("continue"); /* a timer event, the kernel at its trap entry */
  uint64_t trap_at = icount();
  back_and_forth("minikernel/minikernel", true);
  /* across it: from before the event to after it */
  quietly(montest_fmt("goto %" PRIu64, trap_at - 3));
  cr_expect_eq(machine_state_hash(&M), fresh_hash("minikernel/minikernel", trap_at - 3));
  quietly("delete");
  quietly("stepi 6");
  cr_expect_eq(machine_state_hash(&M), fresh_hash("minikernel/minikernel", trap_at + 3));
  for (int i = 0; i < 8; i++) back_and_forth("minikernel/minikernel", false);
  /* ecalls and more timer events, further on */
  quietly("catch trap ecall");
  for (int i = 0; i < 5; i++) {
    quietly("continue"); /* just past the trap: the step back is to the ecall */
    back_and_forth_at("minikernel/minikernel", true, true);
    quietly("stepi");
    if (i == 0) { /* back from the handler's first instruction: its entry */
      char *out = ok("reverse-stepi");
      cr_expect(strstr(out, "\n=> 0x80000464 <trap>:\taddi sp, sp, -80\n"), "%s", out);
      free(out);
      quietly("stepi");
    }
    back_and_forth("minikernel/minikernel", true);
    quietly("stepi 37");
    back_and_forth("minikernel/minikernel", false);
  }
  quietly("delete");
  quietly("run-until 300000");
  quietly("reverse-stepi 123456");
  cr_expect_eq(machine_state_hash(&M), fresh_hash("minikernel/minikernel", 300000 - 123456));
  montest_finish();
}

/* ---- goto */

Test(reverse, goto_back_and_forth) {
  start("minikernel/minikernel", "");
  quietly("set reverse-interval 10000");
  enum { POINTS = 12 };
  static const uint64_t at[POINTS] = {5, 99999, 1234, 250000, 250001, 70000,
                                      406000, 10000, 9999, 10001, 333333, 0};
  uint64_t hash[POINTS];
  for (int i = 0; i < POINTS; i++) hash[i] = fresh_hash("minikernel/minikernel", at[i]);
  quietly("goto 406000"); /* past the end of history: runs there */
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i < POINTS; i++) {
      quietly(montest_fmt("goto %" PRIu64, at[i]));
      cr_assert_eq(icount(), at[i]);
      cr_expect_eq(machine_state_hash(&M), hash[i], "goto %" PRIu64, at[i]);
    }
  }
  quietly("continue");
  cr_expect(strstr((char *)CON.out, "all processes exited"));
  montest_finish();
}

/* Past the end of a guest that shut down there is nothing to run to:
 * goto refuses, from the end or from anywhere in history, and the guest
 * stays where it was (gdb's and rr's way); the end itself is reachable. */
Test(reverse, goto_past_a_shutdown_is_refused_and_stays) {
  start("hello", "");
  quietly("continue");
  uint64_t end = icount();
  for (int from_middle = 0; from_middle < 2; from_middle++) {
    if (from_middle) quietly("goto 100");
    uint64_t here = icount();
    refused(montest_fmt("goto %" PRIu64, end + 1),
            montest_fmt("cannot go to icount %" PRIu64 ": history ends at icount %" PRIu64
                        ", where the guest shut down; 'goto %" PRIu64 "' goes to the end, "
                        "'restart' runs the guest again\n", end + 1, end, end));
    cr_expect_eq(icount(), here, "the refused goto moved the guest");
  }
  expect_out(montest_fmt("goto %" PRIu64, end),
             montest_fmt("The guest shut down with exit code 0 after %" PRIu64
                         " instructions\n", end));
  montest_finish();
}

/* The disk's overlay (the sectors the guest wrote) goes back and forth too. */
Test(reverse, goto_across_disk_writes) {
  start("diskdemo", "write notes.txt hi\nwrite poem.txt roses\n");
  attach_disk("diskdemo.img");
  quietly("set reverse-interval 3000");
  quietly("continue");
  cr_assert(M.dev.power.off);
  cr_assert_eq(M.disk_host.overlay.count, 3, "%u sectors written", M.disk_host.overlay.count);
  uint64_t end = icount();
  for (uint64_t at = end - 1; at > 0; at = at * 2 / 3) {
    quietly(montest_fmt("goto %" PRIu64, at));
    cr_expect_eq(machine_state_hash(&M), fresh_hash("diskdemo", at), "goto %" PRIu64, at);
  }
  quietly(montest_fmt("goto %" PRIu64, end));
  cr_expect_eq(M.disk_host.overlay.count, 3);
  montest_finish();
}

/* ---- input and output */

Test(reverse, console_input_is_served_again_and_output_not_repeated) {
  const char *input = "one line\nand another\n";
  start("echo", input);
  quietly("catch hcall console_read");
  quietly("continue");       /* before the first read */
  uint64_t before_read = icount();
  uint32_t buf_addr = M.cpu.s.x[10];
  quietly("stepi");          /* the read */
  uint32_t got = M.cpu.s.x[11];
  cr_assert_eq(got, strlen(input));
  quietly("continue");       /* echoes it, then waits at the next read */
  cr_assert_eq(CON.out_len, strlen(input));
  /* back before the first read, and forward over it again */
  quietly(montest_fmt("goto %" PRIu64, before_read - 2));
  quietly("delete");
  quietly("stepi 3");
  cr_expect_eq(M.cpu.s.x[11], got, "the read got %u bytes, not %u", M.cpu.s.x[11], got);
  char buf[64] = {0};
  memcpy(buf, M.ram + (buf_addr - CPU_RAM_BASE), strlen(input));
  cr_expect_str_eq(buf, input);
  quietly("continue");
  cr_expect(M.dev.power.off);
  cr_expect_eq(CON.out_len, strlen(input), "the output was repeated: %.*s",
               (int)CON.out_len, (char *)CON.out);
  cr_expect_eq(memcmp(CON.out, input, strlen(input)), 0);
  /* all of it once more from the start: still no repeat */
  quietly("goto 0");
  quietly("continue");
  cr_expect_eq(CON.out_len, strlen(input));
  montest_finish();
}

/* ---- reverse-continue */

/* The forward reports of `continue` with the same breakpoints, in order,
 * and the icount of each. */
typedef struct stops {
  char *text[32];
  uint64_t at[32], hash[32];
  int n;
} stops;

static void forward_stops(stops *f) {
  f->n = 0;
  while (f->n < 32) {
    char *out = ok("continue");
    if (M.dev.power.off) {
      free(out);
      break;
    }
    f->text[f->n] = out;
    f->hash[f->n] = machine_state_hash(&M);
    f->at[f->n++] = icount();
  }
}

static void free_stops(stops *f) {
  for (int i = 0; i < f->n; i++) free(f->text[i]);
}

Test(reverse, continue_finds_the_last_write_to_a_watched_variable) {
  start("watchme", "");
  quietly("watch words_seen");
  stops fwd;
  forward_stops(&fwd);
  cr_assert_eq(fwd.n, 5, "watchme writes words_seen 5 times, not %d", fwd.n);
  /* from the end back, each write in turn, reported as continue did */
  for (int i = fwd.n - 1; i >= 0; i--) {
    char *out = ok("reverse-continue");
    cr_expect_str_eq(out, fwd.text[i]);
    cr_expect_eq(icount(), fwd.at[i]);
    cr_expect_eq(machine_state_hash(&M), fwd.hash[i]);
    free(out);
  }
  cr_expect(strstr(fwd.text[1], "written by 0x800000e8 <note_length+36>: old 1 (0x1), new 11 (0xb)"),
            "%s", fwd.text[1]);
  char *out = ok("reverse-continue");
  cr_expect(strstr(out, "No more reverse-execution history"), "%s", out);
  cr_expect_eq(icount(), 0);
  free(out);
  /* and forward again from there: the same stops */
  out = ok("continue");
  cr_expect_str_eq(out, fwd.text[0]);
  free(out);
  free_stops(&fwd);
  montest_finish();
}

Test(reverse, continue_lands_on_the_latest_breakpoint_hit) {
  start("minikernel/minikernel", "");
  quietly("set reverse-interval 7000");
  /* the kernel's syscall path: hit many times, in several stretches */
  quietly("catch trap ecall");
  quietly("continue");
  char where[64];
  snprintf(where, sizeof where, "*0x%08" PRIx32, M.cpu.s.pc);
  quietly("delete");
  quietly(montest_fmt("break %s", where));
  stops fwd;
  forward_stops(&fwd);
  cr_assert(fwd.n >= 10, "%d hits", fwd.n);
  /* from the middle of history: the latest hit before here */
  quietly(montest_fmt("goto %" PRIu64, fwd.at[7] + 5));
  char *out = ok("reverse-continue");
  cr_expect_str_eq(out, fwd.text[7]);
  cr_expect_eq(icount(), fwd.at[7]);
  free(out);
  /* sitting on a hit: the one before */
  out = ok("rc");
  cr_expect_eq(icount(), fwd.at[6]);
  cr_expect_eq(machine_state_hash(&M), fwd.hash[6]);
  free(out);
  /* a condition is honoured, as continue honours it */
  quietly("delete");
  quietly(montest_fmt("break %s if $icount < %" PRIu64, where, fwd.at[3] + 1));
  quietly(montest_fmt("goto %" PRIu64, fwd.at[9]));
  out = ok("reverse-continue");
  cr_expect_eq(icount(), fwd.at[3], "%s", out);
  free(out);
  free_stops(&fwd);
  montest_finish();
}

/* ---- reverse-nexti and reverse-finish */

Test(reverse, nexti_and_finish_land_on_the_call) {
  start("hello", "");
  quietly("break main");
  quietly("continue");
  quietly("delete");
  quietly("until main+24"); /* jal puts */
  uint64_t call_at = icount(), h = machine_state_hash(&M);
  quietly("nexti");
  cr_assert_eq(M.cpu.s.pc, 0x80000060u);
  uint64_t after = icount();
  char *out = ok("reverse-nexti");
  cr_expect_str_eq(out, montest_fmt("Stopped at icount %" PRIu64 "\n=> 0x8000005c <main+24>:\tjal "
                            "0x80000400 <puts>\n", call_at));
  free(out);
  cr_expect_eq(machine_state_hash(&M), h);
  /* an ordinary instruction: one back */
  quietly("reverse-nexti");
  cr_expect_eq(icount(), call_at - 1);
  quietly(montest_fmt("goto %" PRIu64, after));
  quietly("reverse-nexti 3");
  cr_expect_eq(icount(), call_at - 2);
  /* reverse-finish from inside puts, a few calls deep */
  quietly("break puts");
  quietly(montest_fmt("goto %" PRIu64, call_at));
  quietly("continue");
  quietly("delete");
  quietly("stepi 40");
  out = ok("reverse-finish");
  cr_expect_eq(icount(), call_at, "%s", out);
  cr_expect(strstr(out, "=> 0x8000005c <main+24>:\tjal 0x80000400 <puts>\n"), "%s", out);
  free(out);
  cr_expect_eq(machine_state_hash(&M), h);
  /* a call from before the start of history: refused, and nothing moves */
  quietly("finish"); /* back in main, after the call */
  quietly("reverse-stepi"); /* puts's ret */
  uint64_t ret_at = icount();
  quietly("set $t6 = $t6");
  quietly("stepi");
  refused("reverse-nexti", montest_fmt("the call that returned there: history starts at icount "
                               "%" PRIu64 " (the state was changed by hand there", ret_at));
  cr_expect_eq(icount(), ret_at + 1);
  montest_finish();
}

/* ---- the budget */

Test(reverse, a_tiny_budget_thins_checkpoints_and_answers_stay_right) {
  start("bench/crc32", "");
  quietly("set reverse-interval 20000");
  quietly("set reverse-budget 200K");
  quietly("run-until 3000000");
  char *out = ok("info reverse");
  cr_expect(strstr(out, "dropped to stay in the budget"), "%s", out);
  free(out);
  static const uint64_t at[] = {2999999, 2500000, 17, 1000001, 2999000, 400000};
  for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
    quietly(montest_fmt("goto %" PRIu64, at[i]));
    cr_expect_eq(machine_state_hash(&M), fresh_hash("bench/crc32", at[i]), "goto %" PRIu64, at[i]);
  }
  quietly("goto 3000000");
  quietly("reverse-stepi 1234");
  cr_expect_eq(machine_state_hash(&M), fresh_hash("bench/crc32", 3000000 - 1234));
  montest_finish();
}

/* ---- a new history */

Test(reverse, set_and_restart_start_a_new_history) {
  start("hello", "");
  quietly("stepi 100");
  quietly("set $a0 = 5");
  refused("reverse-stepi", "cannot go back 1 instruction from icount 100: history starts at "
          "icount 100 (the state was changed by hand there: set, load, restart and "
          "loadvm start a new history)");
  refused("goto 50", "history starts at icount 100");
  quietly("stepi 10");
  uint64_t h = machine_state_hash(&M);
  quietly("reverse-stepi 10");
  cr_expect_eq(M.cpu.s.x[10], 5u, "the changed register is history's start");
  quietly("stepi 10");
  cr_expect_eq(machine_state_hash(&M), h);
  quietly("set *(uint8_t *)0x80003000 = 1");
  refused("rsi", "history starts at icount 110");
  quietly("restart");
  quietly("stepi 3");
  refused("reverse-stepi 4", "history starts at icount 0, where the guest started");
  quietly("reverse-stepi 3");
  cr_expect_eq(icount(), 0);
  montest_finish();
}

/* ---- the settings and info reverse */

Test(reverse, settings_and_info) {
  start("hello", "");
  quietly("set reverse-interval 1000");
  quietly("continue");
  uint64_t end = icount();
  quietly("goto 2000");
  char *out = ok("info reverse");
  const char *head = montest_fmt("History     icount 0 to %" PRIu64 ", now at 2000\n"
                         "Checkpoints %" PRIu64 ", one every 1000 instructions\n"
                         "Memory      ", end, end / 1000 + 1);
  cr_expect(strncmp(out, head, strlen(head)) == 0, "%s", out);
  cr_expect(strstr(out, " of a 256.0 MiB budget\nInput log   "), "%s", out);
  free(out);
  refused("set reverse-budget 0", "usage: set reverse-budget MIB");
  refused("set reverse-budget lots", "usage: set reverse-budget MIB");
  refused("set reverse-interval 0", "usage: set reverse-interval N");
  refused("goto", "goto needs an instruction count");
  refused("reverse-continue now", "reverse-continue takes no arguments");
  refused("info reverse x", "info reverse takes no arguments");
  quietly("set reverse-budget 64");
  out = ok("info reverse");
  cr_expect(strstr(out, " of a 64.0 MiB budget"), "%s", out);
  free(out);
  montest_finish();
}

/* ---- recording a session */

Test(reverse, a_recorded_session_replays) {
  const char *input = "typed while debugging\n";
  start("echo", input);
  host_error err;
  cr_assert(mon_record_start(S, &err), "%s", err.msg);
  quietly("catch hcall console_read");
  quietly("continue");
  quietly("stepi");
  quietly("reverse-stepi 5");
  quietly("delete");
  quietly("continue");
  cr_assert(M.dev.power.off);
  uint64_t end = icount(), h = machine_state_hash(&M);
  quietly("goto 10"); /* the recording ends where history reached all the same */
  char path[] = "/tmp/pvlab-reverse-XXXXXX";
  int fd = mkstemp(path);
  cr_assert(fd >= 0);
  close(fd);
  cr_assert(mon_record_save(S, path, &err), "%s", err.msg);
  cr_expect_eq(icount(), end);
  montest_finish();

  machine m;
  machine_config cfg = {.mem_mib = 1};
  cr_assert(machine_init(&m, &cfg, &err), "%s", err.msg);
  dev_console_mem out = {0};
  m.console_io = dev_console_mem_backend(&out);
  replay_player p;
  cr_assert(replay_play_open(&p, &m, path, &err), "%s", err.msg);
  replay_play_run(&p, UINT64_MAX);
  cr_expect(!p.diverged, "%s", p.why);
  cr_expect_eq(m.cpu.s.icount, end);
  cr_expect_eq(machine_state_hash(&m), h);
  cr_expect_eq(out.out_len, strlen(input));
  replay_play_free(&p);
  dev_console_mem_free(&out);
  machine_free(&m);
  unlink(path);
}
