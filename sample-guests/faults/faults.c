/* faults: does one bad thing, chosen by the first line of console input,
 * so tests (and students) can see how pvlab reports each kind of failure.
 *
 *   echo csr | pvlab run faults.elf
 *
 * Each misdeed lives in its own function so the diagnostic can name it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pv.h"

#define NOINLINE __attribute__((noinline))

/* The address comes through a volatile so the compiler cannot see (and
 * warn about) the deliberate out-of-bounds access. */
static volatile uintptr_t low_address = 0x10;

NOINLINE static void load_outside_ram(void) {
  printf("loaded %u\n", (unsigned)*(volatile uint32_t *)low_address);
}

NOINLINE static void store_outside_ram(void) {
  *(volatile uint32_t *)0xf0000000u = 1;
}

NOINLINE static void read_cycle_csr(void) {
  /* csrr a5, cycle, spelled as a word: the rv32im toolchain rightly has no
   * Zicsr, and pvlab wants to show what happens when code uses it anyway */
  register unsigned long v __asm__("a5");
  __asm__ volatile(".word 0xc00027f3 /* csrrs a5, 0xc00, zero */" : "=r"(v));
  printf("cycle %lu\n", v);
}

NOINLINE static void jump_to_null(void) {
  void (*volatile fn)(void) = 0;
  fn();
}

NOINLINE static void jump_misaligned(void) {
  void (*volatile fn)(void) = (void (*)(void))((uintptr_t)&jump_to_null + 2);
  fn();
}

NOINLINE static void system_call(void) { __asm__ volatile("ecall"); }

NOINLINE static void breakpoint(void) { __asm__ volatile("ebreak"); }

NOINLINE static void debug_break(void) {
  pv_debug_break();
  printf("continued after debug_break\n");
}

NOINLINE static void spin_forever(void) {
  for (volatile unsigned n = 0;; n++) {
  }
}

NOINLINE static void unknown_hcall(void) {
  pv_ret r = pv_hcall(0x7ff, 0, 0, 0, 0);
  printf("hcall 0x7ff: status %ld\n", r.status);
}

NOINLINE static void debug_log(void) {
  static const char msg[] = "log from the guest\x01";
  pv_debug_log(msg, sizeof msg - 1);
  printf("logged\n");
}

/* Reads the console to its end, then waits for more: nothing can come. */
NOINLINE static void wait_forever(void) {
  char buf[64];
  pv_ret r;
  do r = pv_console_read(buf, sizeof buf);
  while (r.status == PV_OK && r.value > 0);
  pv_event_wait(PV_EV_CONSOLE);
  printf("woke up\n");
}

static uint64_t now_ns(void) {
  pv_ret t = pv_time_now();
  return t.value | (uint64_t)t.value2 << 32;
}

/* Not a misdeed: sleeps one virtual second, which costs no host time. */
NOINLINE static void sleep_one_second(void) {
  uint64_t start = now_ns(), at = start + 1000000000u;
  pv_timer_set((uint32_t)at, (uint32_t)(at >> 32));
  pv_ret w = pv_event_wait(PV_EV_TIMER);
  printf("slept %lu ns, events 0x%lx\n", (unsigned long)(now_ns() - start),
         w.value);
}

static const struct {
  const char *name;
  void (*fn)(void);
} misdeeds[] = {
  {"load", load_outside_ram},   {"store", store_outside_ram},
  {"csr", read_cycle_csr},      {"jump", jump_to_null},
  {"misaligned", jump_misaligned}, {"ecall", system_call},
  {"ebreak", breakpoint},       {"break", debug_break},
  {"spin", spin_forever},       {"hcall", unknown_hcall},
  {"log", debug_log},            {"deadlock", wait_forever},
  {"sleep", sleep_one_second},
};

int main(void) {
  char line[64];
  if (!fgets(line, sizeof line, stdin)) {
    printf("faults: give a command on the console\n");
    return 1;
  }
  line[strcspn(line, "\n")] = 0;
  if (strncmp(line, "exit ", 5) == 0) exit(atoi(line + 5));
  for (size_t i = 0; i < sizeof misdeeds / sizeof misdeeds[0]; i++) {
    if (strcmp(line, misdeeds[i].name) == 0) {
      misdeeds[i].fn();
      return 0;
    }
  }
  printf("faults: unknown command '%s'\n", line);
  return 1;
}
