/* The monitor in-process for tests that drive it line by line (mon_exec):
 * a machine with a real guest from the cross compiler and a memory
 * console, one at a time (the globals below). */
#ifndef PVLAB_TESTS_MONTEST_H
#define PVLAB_TESTS_MONTEST_H

#include "mon.h"

extern machine M;
extern dev_console_mem CON; /* input given to montest_start, output kept */
extern mon *S;
extern char GUEST[4096];    /* the guest's path */

/* GUESTS/name.elf in mem_mib of RAM, the console reading input (which must
 * outlive the machine), and a monitor over it. */
void montest_start(const char *name, const char *input, uint32_t mem_mib);
void montest_finish(void);
/* What line prints (owned by the caller), and its status. */
char *montest_run(const char *line, mon_status *st);
/* Runs a command whose output another check covers; it must work. */
void montest_quietly(const char *line);
/* printf into a static buffer (four in turn), for goldens. */
const char *montest_fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

#endif
