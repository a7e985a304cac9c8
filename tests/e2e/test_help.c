/* Every option the real binary's help lists is in the docs: for each
 * command of `pvlab help`, every option of `pvlab help COMMAND` (its usage
 * line and its option lines) must appear in a synopsis of that command in
 * README.md or docs/ (a line starting `pvlab COMMAND` in a code block,
 * with its indented continuation lines), and be explained somewhere in
 * them as `--option`.  A new option without docs fails here. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

/* README.md and every page of docs/, one after the other. */
static char *all_docs(void) {
  size_t cap = 1 << 20, len = 0;
  char *all = malloc(cap);
  cr_assert(all);
  all[0] = 0;
  char dir[4096], path[4200];
  snprintf(dir, sizeof dir, "%s/docs", PVLAB_SOURCE_ROOT);
  DIR *d = opendir(dir);
  cr_assert(d, "cannot open %s", dir);
  const char *names[64];
  char *owned[64];
  size_t n = 0;
  names[n++] = "README.md";
  owned[0] = NULL;
  for (struct dirent *e; (e = readdir(d)) != NULL && n < 64;) {
    size_t l = strlen(e->d_name);
    if (l > 3 && strcmp(e->d_name + l - 3, ".md") == 0) {
      owned[n] = malloc(l + 6);
      cr_assert(owned[n]);
      snprintf(owned[n], l + 6, "docs/%s", e->d_name);
      names[n] = owned[n];
      n++;
    }
  }
  closedir(d);
  cr_assert_gt(n, 5, "docs/ has no pages");
  for (size_t i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/%s", PVLAB_SOURCE_ROOT, names[i]);
    size_t flen;
    char *text = spawn_read_file(path, &flen);
    cr_assert_lt(len + flen + 2, cap, "the docs are larger than the test expects");
    memcpy(all + len, text, flen);
    len += flen;
    all[len++] = '\n';
    all[len] = 0;
    free(text);
    free(owned[i]);
  }
  return all;
}

static bool opt_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-';
}

/* Whether text has opt as a whole word (not "--disk" in "--disk-write"). */
static bool has_word(const char *text, const char *opt) {
  size_t n = strlen(opt);
  for (const char *p = text; (p = strstr(p, opt)) != NULL; p++) {
    if ((p == text || !opt_char(p[-1])) && !opt_char(p[n])) return true;
  }
  return false;
}

/* The synopses of `pvlab cmd` in the docs: in code blocks, each line that
 * starts with "pvlab CMD" and the indented lines that continue it. */
static char *synopses(const char *docs, const char *cmd) {
  size_t cap = strlen(docs) + 1, len = 0;
  char *out = malloc(cap);
  cr_assert(out);
  out[0] = 0;
  char head[64];
  snprintf(head, sizeof head, "pvlab %s", cmd);
  bool in_code = false, taking = false;
  for (const char *line = docs; *line;) {
    size_t n = strcspn(line, "\n");
    if (strncmp(line, "```", 3) == 0) {
      in_code = !in_code;
      taking = false;
    } else if (in_code) {
      bool starts = strncmp(line, head, strlen(head)) == 0 &&
                    (line[strlen(head)] == ' ' || line[strlen(head)] == '\n');
      if (starts) taking = true;
      else if (line[0] != ' ') taking = false;
      if (taking) {
        memcpy(out + len, line, n);
        len += n;
        out[len++] = '\n';
        out[len] = 0;
      }
    }
    line += n + (line[n] == '\n');
  }
  return out;
}

/* Adds the option at p (a '-' after a space, '[' or '|') to opts. */
static void add_opt(const char *p, char opts[][32], size_t *n) {
  size_t len = 1;
  while (opt_char(p[len])) len++;
  if (len < 2 || len >= 32 || (p[1] == '-' && len < 3)) return;
  for (size_t i = 0; i < *n; i++) {
    if (strlen(opts[i]) == len && strncmp(opts[i], p, len) == 0) return;
  }
  cr_assert_lt(*n, 64, "more options than the test expects");
  memcpy(opts[*n], p, len);
  opts[(*n)++][len] = 0;
}

/* The options `pvlab help cmd` lists: those of its usage (up to the blank
 * line) and the lines of its help that start with one ("  --mem MIB"). */
static size_t help_options(const char *help, char opts[][32]) {
  size_t n = 0;
  const char *body = strstr(help, "\n\n");
  cr_assert(body, "no blank line after the usage:\n%s", help);
  for (const char *p = help; p < body; p++) {
    if (*p == '-' && p > help && (p[-1] == ' ' || p[-1] == '[' || p[-1] == '|')) {
      add_opt(p, opts, &n);
      while (opt_char(*p)) p++;
    }
  }
  for (const char *line = body + 2; *line;) {
    if (strncmp(line, "  -", 3) == 0) add_opt(line + 2, opts, &n);
    line += strcspn(line, "\n");
    if (*line) line++;
  }
  return n;
}

/* The commands of `pvlab help`: lines "  NAME     NAME ...". */
static size_t commands(const char *help, char names[][16]) {
  size_t n = 0;
  for (const char *line = help; *line;) {
    char name[16], usage[16];
    if (sscanf(line, "  %15s %15s", name, usage) == 2 && strcmp(name, usage) == 0 &&
        line[2] != ' ') {
      cr_assert_lt(n, 16);
      strcpy(names[n++], name);
    }
    line += strcspn(line, "\n");
    if (*line) line++;
  }
  return n;
}

Test(help, every_option_of_every_command_is_in_the_docs) {
  char *docs = all_docs();
  spawn_result top = SPAWN_RUN(NULL, "--help");
  cr_assert_eq(top.status, 0, "pvlab --help: status %d: %s", top.status, top.err);
  char names[16][16];
  size_t ncmd = commands(top.out, names), checked = 0;
  cr_assert_geq(ncmd, 8, "pvlab --help lists %zu commands:\n%s", ncmd, top.out);
  for (size_t c = 0; c < ncmd; c++) {
    spawn_result h = SPAWN_RUN(NULL, "help", names[c]);
    cr_assert_eq(h.status, 0, "pvlab help %s: status %d", names[c], h.status);
    char opts[64][32];
    size_t nopt = help_options(h.out, opts);
    char *syn = synopses(docs, names[c]);
    for (size_t i = 0; i < nopt; i++) {
      cr_expect(has_word(syn, opts[i]), "'pvlab help %s' lists %s, but no synopsis of "
                "'pvlab %s' in README.md or docs/*.md has it (a code block line starting "
                "\"pvlab %s\"): add it there and say what it does", names[c], opts[i],
                names[c], names[c]);
      char quoted[40];
      snprintf(quoted, sizeof quoted, "`%s", opts[i]);
      cr_expect(has_word(docs, quoted), "'pvlab help %s' lists %s, which README.md and "
                "docs/*.md never explain (as `%s ...`)", names[c], opts[i], opts[i]);
      checked++;
    }
    free(syn);
    spawn_free(&h);
  }
  /* run, debug, replay, grade and explore have dozens between them */
  cr_expect_gt(checked, 50, "only %zu options were found in the help", checked);
  spawn_free(&top);
  free(docs);
}

/* `pvlab COMMAND --help` is `pvlab help COMMAND`, as for most programs. */
Test(help, command_dash_dash_help_is_help_command) {
  static const char *const cmds[] = {"run", "debug", "replay", "grade", "explore", "info"};
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
    spawn_result a = SPAWN_RUN(NULL, "help", cmds[i]);
    spawn_result b = SPAWN_RUN(NULL, cmds[i], "--help");
    spawn_result c = SPAWN_RUN(NULL, cmds[i], "-h");
    cr_expect_eq(b.status, 0, "pvlab %s --help: status %d: %s", cmds[i], b.status, b.err);
    cr_expect_str_eq(b.out, a.out, "pvlab %s --help", cmds[i]);
    cr_expect_str_eq(c.out, a.out, "pvlab %s -h", cmds[i]);
    spawn_free(&a);
    spawn_free(&b);
    spawn_free(&c);
  }
}
