/* Runs a real command with given stdin bytes and captures what it prints,
 * for end-to-end tests through the pvlab binary. */
#ifndef PVLAB_TESTS_SPAWN_H
#define PVLAB_TESTS_SPAWN_H

#include <stddef.h>

typedef struct spawn_result {
  char *out, *err; /* NUL-terminated, owned */
  size_t out_len, err_len;
  int status;      /* exit status, or 128 + signal */
} spawn_result;

/* argv[0] is the program path; input may be NULL (stdin is then empty).
 * Returns 0, or -1 if the command could not be started. */
int spawn_run(char *const argv[], const void *input, size_t input_len,
              spawn_result *r);
void spawn_free(spawn_result *r);

/* Paths the build passes in the environment (PVLAB, GUESTS). */
const char *spawn_pvlab(void);
/* GUESTS/name.elf in a static buffer. */
const char *spawn_guest(const char *name);
/* Runs `pvlab ARGS...` (NULL-terminated) with input; asserts it started. */
spawn_result spawn_pvlab_run(const void *input, size_t input_len, ...);
/* The same with a text (or NULL: nothing) on stdin:
 * SPAWN_RUN(text, "run", guest). */
#define SPAWN_RUN(text, ...) \
  spawn_pvlab_run((text), spawn_text_len(text), __VA_ARGS__, (char *)NULL)
size_t spawn_text_len(const char *text);

/* The value after "pvlab: KEY" in --stats output (on stderr), in a static
 * buffer that the next call overwrites; asserts the line is there. */
const char *spawn_stat(const spawn_result *r, const char *key);
/* The same as a number. */
unsigned long long spawn_stat_num(const spawn_result *r, const char *key);

/* A fresh directory for one test's files (in a static buffer that the
 * next call overwrites); a file written in it (the path is the caller's
 * to free); and the directory removed with everything in it. */
const char *spawn_temp_dir(void);
char *spawn_put_file(const char *dir, const char *name, const char *text);
/* A file, whole and NUL-terminated (its length in *len unless NULL); the
 * caller frees it.  Asserts it can be read. */
char *spawn_read_file(const char *path, size_t *len);
void spawn_remove_dir(const char *dir);

/* Expects needle in r's stdout (showing both outputs when it is not), or
 * in its stderr. */
void spawn_expect_out(const spawn_result *r, const char *needle);
void spawn_expect_err(const spawn_result *r, const char *needle);

/* Two runs with --stats that exited 0 and gave the same instruction count,
 * state hash and output; frees both.  what names them in a failure. */
void spawn_expect_same_run(spawn_result *a, spawn_result *b, const char *what);

#endif
