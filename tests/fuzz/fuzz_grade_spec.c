/* The tests.grade parser under fire: LLVMFuzzerTestOneInput takes any
 * bytes as a tests.grade.  It is parsed, or refused with a message that
 * names the file; a parsed one must hold at least one test, and freeing
 * it must be clean.  Anything else aborts, and the sanitizers see every
 * out-of-bounds access on the way.
 *
 * Built with -fsanitize=fuzzer (meson -Dfuzz=true, clang) it is a
 * libFuzzer target.  Built with FUZZ_DRIVER it is fuzz_grade_spec_corpus,
 * an ordinary test: the fixture exercises' tests.grade files and many
 * deterministic mutations of them (bytes changed, lines cut, pieces
 * repeated) go through the target; `--write DIR` saves the seeds instead,
 * to start the fuzzer from. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  course_spec s;
  host_error err;
  if (course_spec_parse(&s, (const char *)data, size, "fuzz.grade", &err)) {
    if (s.ntests == 0) abort();
    course_spec_free(&s);
  } else if (strncmp(err.msg, "fuzz.grade", 10) != 0 || s.tests) {
    abort();
  }
  return 0;
}

#ifdef FUZZ_DRIVER
static const char *const fixtures[] = {
  "/tests/e2e/grade/basic/tests.grade",
  "/tests/e2e/grade/dice/tests.grade",
};

static char *read_all(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = malloc(1 << 16);
  *n = buf ? fread(buf, 1, 1 << 16, f) : 0;
  fclose(f);
  return buf;
}

int main(int argc, char **argv) {
  const char *write_dir = argc == 3 && strcmp(argv[1], "--write") == 0 ? argv[2] : NULL;
  uint64_t x = 0x2545f4914f6cdd1du;
  size_t runs = 0;
  for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s%s", PVLAB_SOURCE_ROOT, fixtures[i]);
    size_t n;
    char *text = read_all(path, &n);
    if (!text || n == 0) {
      fprintf(stderr, "fuzz_grade_spec: cannot read %s\n", path);
      return 1;
    }
    if (write_dir) {
      char out[1100];
      snprintf(out, sizeof out, "%s/seed-%zu.grade", write_dir, i);
      FILE *f = fopen(out, "wb");
      if (!f || fwrite(text, 1, n, f) != n || fclose(f) != 0) return 1;
      free(text);
      continue;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)text, n);
    char *m = malloc(2 * n);
    for (int round = 0; round < 20000 && m; round++, runs++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      size_t len = n;
      memcpy(m, text, n);
      switch (round % 3) {
      case 0: /* bytes changed */
        for (int k = 0; k < 1 + round % 16; k++) {
          x ^= x << 13, x ^= x >> 7, x ^= x << 17;
          m[x % n] = (char)(x >> 32);
        }
        break;
      case 1: /* cut short */
        len = (size_t)(x % n);
        break;
      default: { /* a piece repeated further on */
        size_t from = (size_t)(x % n), span = (size_t)((x >> 20) % 64);
        if (from + span > n) span = n - from;
        memcpy(m + n, text + from, span);
        len = n + span;
      }
      }
      LLVMFuzzerTestOneInput((const uint8_t *)m, len);
    }
    free(m);
    free(text);
  }
  if (!write_dir) printf("fuzz_grade_spec: %zu inputs, no crash\n", runs);
  return 0;
}
#endif
