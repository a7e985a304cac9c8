/* docs/pvabi.md against the hypercall list: every call has its section with
 * the right number and its argument names, every status code is in the
 * table, and the page documents no call that does not exist.  And
 * docs/monitor.md against the monitor's command table, the same way; and
 * the vcpu_register example against the frame's kernel_ fields, which the
 * sample kernels set. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mon_cmds.h"
#include "pvabi_calls.h"

static char *read_doc(const char *rel) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", PVLAB_SOURCE_ROOT, rel);
  FILE *f = fopen(path, "rb");
  cr_assert(f, "cannot open %s", path);
  static char buf[1 << 18];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  cr_assert(n < sizeof buf - 1, "%s is larger than the test expects", path);
  buf[n] = 0;
  return buf;
}

/* The text of the section whose heading starts with head, up to the next
 * heading of the same level; NULL if there is none. */
static char *section(const char *doc, const char *head) {
  static char text[16384];
  const char *p = strstr(doc, head);
  if (!p) return NULL;
  const char *end = strstr(p + 1, "\n### ");
  size_t len = end ? (size_t)(end - p) : strlen(p);
  if (len >= sizeof text) len = sizeof text - 1;
  memcpy(text, p, len);
  text[len] = 0;
  return text;
}

Test(docs, every_call_has_its_section) {
  const char *doc = read_doc("docs/pvabi.md");
  for (unsigned i = 0; i < pvabi_ncalls; i++) {
    const pvabi_call *c = &pvabi_calls[i];
    char head[128];
    snprintf(head, sizeof head, "\n### 0x%02x `%s`", c->number, c->name);
    char *sec = section(doc, head);
    cr_expect(sec, "docs/pvabi.md has no heading \"%s\"", head + 1);
    if (!sec) continue;
    for (int a = 0; a < c->argc; a++) {
      char arg[64];
      snprintf(arg, sizeof arg, "`%s`", c->argn[a]);
      cr_expect(strstr(sec, arg), "docs/pvabi.md: %s does not name argument "
                "%s", c->name, arg);
    }
    cr_expect(strstr(sec, "| returns |") && strstr(sec, "| errors |") &&
              strstr(sec, "Example"),
              "docs/pvabi.md: %s lacks its returns, errors or example", c->name);
  }
}

Test(docs, no_section_for_a_call_that_does_not_exist) {
  const char *doc = read_doc("docs/pvabi.md");
  for (const char *p = doc; (p = strstr(p, "\n### 0x")) != NULL; p++) {
    unsigned number;
    char name[64];
    cr_assert_eq(sscanf(p, "\n### 0x%x `%63[^`]`", &number, name), 2,
                 "malformed call heading: %.60s", p + 1);
    const pvabi_call *c = pvabi_lookup(number);
    cr_expect(c && strcmp(c->name, name) == 0, "docs/pvabi.md documents "
              "0x%02x `%s`, which pvabi.h does not list", number, name);
  }
}

Test(docs, every_status_code_is_in_the_table) {
  const char *doc = read_doc("docs/pvabi.md");
#define CHECK_STATUS(name, num, text)                                      \
  {                                                                        \
    char row[64];                                                          \
    snprintf(row, sizeof row, "| %d | `%s` |", num, #name);                \
    cr_expect(strstr(doc, row), "docs/pvabi.md lacks the row \"%s\"", row); \
  }
  PV_ERRORS(CHECK_STATUS)
#undef CHECK_STATUS
}

Test(docs, errors_named_in_sections_exist) {
  const char *doc = read_doc("docs/pvabi.md");
  for (const char *p = doc; (p = strstr(p, "`PV_E")) != NULL; p++) {
    char name[32];
    cr_assert_eq(sscanf(p, "`%31[A-Z_]`", name), 1);
    if (strncmp(name, "PV_EV_", 6) == 0) continue; /* an event, not an error */
    bool known = false;
#define KNOWN(n, num, text) known |= strcmp(name, #n) == 0;
    PV_ERRORS(KNOWN)
#undef KNOWN
    cr_expect(known, "docs/pvabi.md names %s, which pvabi.h does not define", name);
  }
}

/* The reference row of a monitor command: its usage as `help` prints it,
 * with the table's | escaped. */
static void usage_row(const char *usage, char *row, size_t size) {
  size_t n = (size_t)snprintf(row, size, "\n| `");
  for (const char *p = usage; *p && n + 3 < size; p++) {
    if (*p == '|') row[n++] = '\\';
    row[n++] = *p;
  }
  snprintf(row + n, size - n, "` |");
}

Test(docs, every_monitor_command_has_its_row) {
  const char *doc = read_doc("docs/monitor.md");
  char row[512];
#define CHECK_COMMAND(fn, name, aliases, usage, help)                      \
  usage_row(usage, row, sizeof row);                                       \
  cr_expect(strstr(doc, row), "docs/monitor.md lacks the reference row "  \
            "for %s: \"%s\"", name, row + 1);
  MON_COMMANDS(CHECK_COMMAND)
#undef CHECK_COMMAND
}

Test(docs, no_row_for_a_monitor_command_that_does_not_exist) {
  const char *doc = read_doc("docs/monitor.md");
  const char *ref = strstr(doc, "\n## Command reference");
  cr_assert(ref, "docs/monitor.md has no \"## Command reference\"");
  for (const char *p = ref; (p = strstr(p, "\n| `")) != NULL; p++) {
    char name[64];
    cr_assert_eq(sscanf(p, "\n| `%63[a-z-]", name), 1, "malformed row: %.60s", p + 1);
    bool known = false;
#define KNOWN(fn, cmd, aliases, usage, help) known |= strcmp(name, cmd) == 0;
    MON_COMMANDS(KNOWN)
#undef KNOWN
    cr_expect(known, "docs/monitor.md documents \"%s\", which mon_cmds.h "
              "does not list", name);
  }
}

/* The kernel_* fields of struct pv_vcpu: what a trap loads into sp, gp, tp
 * (pvabi/pvabi.h), each as "kernel_XX", into names; how many. */
static size_t kernel_fields(char names[][32], size_t max) {
  char *h = strdup(read_doc("pvabi/pvabi.h"));
  cr_assert(h);
  const char *s = strstr(h, "struct pv_vcpu {");
  cr_assert(s, "pvabi/pvabi.h has no struct pv_vcpu");
  const char *end = strstr(s, "};");
  cr_assert(end);
  size_t n = 0;
  for (const char *p = s; (p = strstr(p, "uint32_t kernel_")) != NULL && p < end; p++) {
    cr_assert_lt(n, max);
    cr_assert_eq(sscanf(p + 9, "%31[a-z_]", names[n]), 1);
    n++;
  }
  free(h);
  return n;
}

/* The example of vcpu_register fills in every register a trap starts the
 * handler with (a kernel that copies it must not crash on its first
 * trap), as the kernels that work do. */
Test(docs, vcpu_register_example_fills_what_a_trap_loads) {
  char fields[8][32];
  size_t n = kernel_fields(fields, 8);
  cr_assert_eq(n, 3, "struct pv_vcpu has %zu kernel_ fields; the test expects sp, gp, tp", n);
  static const char *const kernels[] = {"sample-guests/minikernel/kernel.c",
                                        "sample-guests/pvos/kernel/trap.c"};
  for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++) {
    const char *src = read_doc(kernels[k]);
    for (size_t i = 0; i < n; i++) {
      char set[48];
      snprintf(set, sizeof set, ".%.31s = ", fields[i]);
      cr_expect(strstr(src, set), "%s does not set %s", kernels[k], fields[i]);
    }
  }
  char *sec = section(read_doc("docs/pvabi.md"), "\n### 0x04 `vcpu_register`");
  cr_assert(sec, "docs/pvabi.md has no vcpu_register section");
  const char *code = strstr(sec, "```c");
  cr_assert(code, "the vcpu_register section has no C example");
  for (size_t i = 0; i < n; i++) {
    char set[48];
    snprintf(set, sizeof set, ".%.31s = ", fields[i]);
    cr_expect(strstr(code, set), "docs/pvabi.md: the vcpu_register example does not "
              "set %s, so a kernel that copies it starts its trap handler with it 0",
              fields[i]);
  }
}
