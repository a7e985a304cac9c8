/* `pvlab grade` before anything runs: the options, the exercise's
 * tests.grade, --build, where the guest, its disk and the bundles are,
 * and the report files, each failure a message that says what to do. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_grade.h"

static const char usage[] =
    "usage: pvlab grade EXERCISE_DIR [--guest ELF | --build] [--tap FILE] "
    "[--junit FILE] [-j N] [--bundles DIR | --no-bundles] [--quiet]";

char *cli_grade_join(const char *dir, const char *name) {
  if (!*dir || strcmp(dir, ".") == 0 || name[0] == '/') return strdup(name);
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
  return p;
}

/* The directory part of path ("." when it has none). */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return strdup(".");
  if (slash == path) return strdup("/");
  return strndup(path, (size_t)(slash - path));
}

static bool threads_opt(const char *value, unsigned *out) {
  uint64_t n;
  if (!value || !cli_parse_u64(value, &n) || n < 1 || n > 256) {
    fprintf(stderr, "pvlab grade: -j wants a number of threads from 1 to 256, "
            "not '%s'\n", value ? value : "");
    return false;
  }
  *out = (unsigned)n;
  return true;
}

static bool parse(int argc, char **argv, cli_grade_opts *o) {
  memset(o, 0, sizeof *o);
  for (int i = 0; i < argc; i++) {
    const char *v = NULL;
    if (strcmp(argv[i], "--build") == 0) o->build = true;
    else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) o->quiet = true;
    else if (strcmp(argv[i], "--no-bundles") == 0) o->no_bundles = true;
    else if (cli_opt_value(argc, argv, &i, "--guest", &v)) o->guest = v;
    else if (cli_opt_value(argc, argv, &i, "--tap", &v)) o->tap = v;
    else if (cli_opt_value(argc, argv, &i, "--junit", &v)) o->junit = v;
    else if (cli_opt_value(argc, argv, &i, "--bundles", &v)) o->bundles = v;
    else if (cli_opt_value(argc, argv, &i, "-j", &v) || cli_opt_value(argc, argv, &i, "--jobs", &v)) {
      if (!threads_opt(v, &o->threads)) return false;
      continue;
    } else if (argv[i][0] == '-' && argv[i][1]) {
      fprintf(stderr, "pvlab grade: unknown option '%s'; %s\n", argv[i], usage);
      return false;
    } else if (o->exdir) {
      fprintf(stderr, "pvlab grade: one exercise at a time ('%s' and '%s')\n",
              o->exdir, argv[i]);
      return false;
    } else {
      o->exdir = argv[i];
      continue;
    }
    if (!v && (strncmp(argv[i], "--guest", 7) == 0 || strncmp(argv[i], "--tap", 5) == 0 ||
               strncmp(argv[i], "--junit", 7) == 0 || strncmp(argv[i], "--bundles", 9) == 0)) {
      fprintf(stderr, "pvlab grade: %s needs a value; %s\n", argv[i], usage);
      return false;
    }
  }
  const char *clash = !o->exdir ? "which exercise? give its directory"
      : o->guest && o->build ? "--guest and --build exclude each other: --guest "
                               "grades that ELF, --build makes the file's guest"
      : o->bundles && o->no_bundles ? "--bundles and --no-bundles exclude each other"
      : o->tap && o->junit && !strcmp(o->tap, "-") && !strcmp(o->junit, "-")
          ? "--tap and --junit cannot both go to stdout ('-')" : NULL;
  if (clash) {
    fprintf(stderr, "pvlab grade: %s; %s\n", clash, usage);
    return false;
  }
  return true;
}

/* --build: the file's build command in the exercise directory, its output
 * on stderr (stdout stays for the reports). */
static bool build(const cli_grade_ctx *g) {
  const char *cmd = g->spec.build;
  if (!cmd) {
    fprintf(stderr, "pvlab grade: --build, but %s has no 'build' command; add "
            "one, or give the guest with --guest ELF\n", g->spec_path);
    return false;
  }
  fprintf(stderr, "pvlab grade: building in %s: %s\n", g->opts.exdir, cmd);
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "pvlab grade: cannot start the build: %s\n", strerror(errno));
    return false;
  }
  if (pid == 0) {
    if (chdir(g->opts.exdir) != 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) _exit(127);
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) {
      fprintf(stderr, "pvlab grade: lost the build: %s\n", strerror(errno));
      return false;
    }
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return true;
  if (WIFEXITED(st)) {
    fprintf(stderr, "pvlab grade: the build failed (exit status %d): %s; its "
            "output is above: fix the build, then grade again\n", WEXITSTATUS(st), cmd);
  } else {
    fprintf(stderr, "pvlab grade: the build was killed by signal %d: %s\n",
            WTERMSIG(st), cmd);
  }
  return false;
}

static bool is_file(const char *path, const char *what, const char *fix) {
  struct stat st;
  if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) return true;
  fprintf(stderr, "pvlab grade: %s %s %s; %s\n", what, path,
          errno == ENOENT ? "does not exist" : "is not a readable file", fix);
  return false;
}

/* The guest: --guest, or tests.grade's (made first with --build); its disk
 * lies beside it. */
static bool guest_paths(cli_grade_ctx *g) {
  const cli_grade_opts *o = &g->opts;
  if (o->build && !build(g)) return false;
  if (o->guest) {
    g->guest = strdup(o->guest);
  } else if (!g->spec.guest) {
    fprintf(stderr, "pvlab grade: %s names no guest; add 'guest FILE' to it, "
            "or give --guest ELF\n", g->spec_path);
    return false;
  } else {
    g->guest = cli_grade_join(o->exdir, g->spec.guest);
  }
  if (!g->guest) return false;
  const char *fix = o->guest ? "give the path of a built guest"
                    : g->spec.build ? "build it first: pvlab grade --build, or give --guest ELF"
                                    : "build it first, or give --guest ELF";
  if (!is_file(g->guest, "guest", fix)) return false;
  if (g->spec.disk) {
    char *dir = dir_of(g->guest);
    g->disk = dir ? cli_grade_join(dir, g->spec.disk) : NULL;
    free(dir);
    if (!g->disk || !is_file(g->disk, "disk image", "tests.grade's disk is "
                             "relative to the guest's directory")) {
      return false;
    }
  }
  return true;
}

bool cli_grade_make_dirs(const char *path) {
  char *p = strdup(path);
  bool ok = p != NULL;
  for (char *s = p ? p + 1 : NULL; ok && s; s++) {
    if (*s != '/' && *s) continue;
    char c = *s;
    *s = 0;
    struct stat st;
    if (mkdir(p, 0777) != 0 && (errno != EEXIST || stat(p, &st) != 0 || !S_ISDIR(st.st_mode))) {
      fprintf(stderr, "pvlab grade: cannot create the bundle directory %s: %s; "
              "give another with --bundles DIR (or --no-bundles)\n", p,
              errno == EEXIST ? "a file of that name is in the way" : strerror(errno));
      ok = false;
    }
    *s = c;
    if (!c) break;
  }
  free(p);
  return ok;
}

/* tests.grade's exercise name, else the directory's own name made fit
 * for a file name. */
static void exercise_name(cli_grade_ctx *g) {
  char *name = g->spec.exercise;
  if (name[0]) return;
  const char *d = g->opts.exdir;
  size_t end = strlen(d);
  while (end > 1 && d[end - 1] == '/') end--;
  size_t start = end;
  while (start > 0 && d[start - 1] != '/') start--;
  size_t n = 0;
  for (size_t i = start; i < end && n + 1 < COURSE_NAME_MAX; i++) {
    char c = d[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    name[n++] = ok ? c : (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : '-';
  }
  name[n] = 0;
  if (!n || strcmp(name, ".") == 0 || strcmp(name, "-") == 0) {
    snprintf(name, COURSE_NAME_MAX, "exercise");
  }
}

static bool open_report(const char *path, const char *option, FILE **f) {
  if (!path) return true;
  *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
  if (*f) return true;
  fprintf(stderr, "pvlab grade: %s %s: cannot write it: %s\n", option, path,
          strerror(errno));
  return false;
}

bool cli_grade_setup(cli_grade_ctx *g, int argc, char **argv) {
  memset(g, 0, sizeof *g);
  if (!parse(argc, argv, &g->opts)) return false;
  host_error err;
  g->spec_path = cli_grade_join(g->opts.exdir, "tests.grade");
  if (!g->spec_path) return false;
  if (!course_spec_load(&g->spec, g->spec_path, &err)) {
    fprintf(stderr, "pvlab grade: %s\n", err.msg);
    return false;
  }
  exercise_name(g);
  if (!guest_paths(g) || !open_report(g->opts.tap, "--tap", &g->tap) ||
      !open_report(g->opts.junit, "--junit", &g->junit)) {
    return false;
  }
  if (g->opts.no_bundles) return true;
  if (g->opts.bundles) {
    g->bundle_dir = strdup(g->opts.bundles);
  } else {
    char rel[COURSE_NAME_MAX + 16];
    snprintf(rel, sizeof rel, "pvlab-grade/%s", g->spec.exercise);
    g->bundle_dir = strdup(rel);
  }
  return g->bundle_dir != NULL;
}

void cli_grade_free(cli_grade_ctx *g) {
  if (g->tap && g->tap != stdout) fclose(g->tap);
  if (g->junit && g->junit != stdout) fclose(g->junit);
  free(g->spec_path);
  free(g->guest);
  free(g->disk);
  free(g->bundle_dir);
  free(g->jobs);
  free(g->runs);
  free(g->results);
  free(g->first_job);
  free(g->outcomes);
  for (size_t i = 0; g->bundles && i < g->spec.ntests; i++) free(g->bundles[i]);
  free(g->bundles);
  course_spec_free(&g->spec);
  memset(g, 0, sizeof *g);
}
