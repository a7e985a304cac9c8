/* The in-process monitor fixture (montest.h). */
#include "montest.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

machine M;
dev_console_mem CON;
mon *S;
char GUEST[4096];

void montest_start(const char *name, const char *input, uint32_t mem_mib) {
  machine_config cfg = {.mem_mib = mem_mib, .seed = 0};
  host_error err;
  cr_assert(machine_init(&M, &cfg, &err), "%s", err.msg);
  snprintf(GUEST, sizeof GUEST, "%s", spawn_guest(name));
  cr_assert(machine_load_elf(&M, GUEST, &err), "%s", err.msg);
  CON = (dev_console_mem){.in = (const uint8_t *)input, .in_len = strlen(input)};
  M.console_io = dev_console_mem_backend(&CON);
  S = mon_new(&M, GUEST);
  cr_assert(S);
}

void montest_finish(void) {
  mon_free(S);
  dev_console_mem_free(&CON);
  machine_free(&M);
}

char *montest_run(const char *line, mon_status *st) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  cr_assert(f);
  *st = mon_exec(S, line, f);
  fclose(f);
  return buf;
}

void montest_quietly(const char *line) {
  mon_status st;
  char *out = montest_run(line, &st);
  cr_assert_eq(st, MON_OK, "`%s` failed: %s", line, out);
  free(out);
}

const char *montest_fmt(const char *f, ...) {
  static char buf[4][8192];
  static int n;
  char *b = buf[n++ % 4];
  va_list ap;
  va_start(ap, f);
  vsnprintf(b, sizeof buf[0], f, ap);
  va_end(ap);
  return b;
}
