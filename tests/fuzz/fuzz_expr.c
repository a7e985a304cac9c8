/* The monitor's expression evaluator under fire (monitor/expr.c): any
 * bytes, up to the first NUL, as an expression over a made-up guest (a few
 * registers, history values, symbols of each kind, 4 KiB of readable
 * memory).  It evaluates, or refuses with one sentence that says where;
 * any nesting is refused past its limit rather than overflowing the
 * stack.  Anything else aborts.  The pointer casts (mon_expr_cast) get
 * the same text.
 *
 * Built with -Dfuzz=true (clang) it is the libFuzzer target fuzz_expr;
 * otherwise, with tests/fuzz/fuzz_driver.c, the test fuzz_expr_corpus over
 * tests/fuzz/corpus/expr. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mon_expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MEM_BASE 0x80000000u
#define MEM_SIZE 4096u

static uint8_t mem[MEM_SIZE];

static bool reg(void *ctx, const char *name, uint32_t *value) {
  static const char *const names[] = {"pc", "sp", "ra", "a0", "a1", "x5", "icount", "mode", "1", "2"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (strcmp(name, names[i]) == 0) {
      *value = MEM_BASE + 16u * (uint32_t)i;
      return true;
    }
  }
  return false;
}

static bool symbol(void *ctx, const char *name, uint32_t *addr, uint32_t *size, bool *is_func) {
  static const struct { const char *name; uint32_t addr, size; bool func; } syms[] = {
    {"main", MEM_BASE, 64, true},     {"counter", MEM_BASE + 0x100, 4, false},
    {"flag", MEM_BASE + 0x104, 1, false}, {"half", MEM_BASE + 0x106, 2, false},
    {"buffer", MEM_BASE + 0x200, 256, false}, {"label", MEM_BASE + 0x40, 0, false},
    {"far_away", 0xfffffffcu, 4, false},
  };
  if (strlen(name) >= 128) abort(); /* the evaluator keeps names under 128 */
  for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
    if (strcmp(name, syms[i].name) == 0) {
      *addr = syms[i].addr;
      *size = syms[i].size;
      *is_func = syms[i].func;
      return true;
    }
  }
  return false;
}

static bool read_mem(void *ctx, uint32_t addr, uint32_t size, uint32_t *value) {
  if (size != 1 && size != 2 && size != 4) abort();
  if (addr < MEM_BASE || addr - MEM_BASE > MEM_SIZE - size) return false;
  uint32_t v = 0;
  for (uint32_t i = 0; i < size; i++) v |= (uint32_t)mem[addr - MEM_BASE + i] << (8 * i);
  *value = v;
  return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  for (size_t i = 0; i < MEM_SIZE; i++) mem[i] = (uint8_t)(i * 7);
  mon_expr_env env = {NULL, reg, symbol, read_mem};
  char err[512];
  uint32_t value = 0;
  memset(err, 0, sizeof err);
  if (!mon_expr_eval(&env, text, &value, err, sizeof err)) {
    /* one sentence, and where */
    if (!err[0] || !memchr(err, 0, sizeof err) || !strstr(err, "(at column ")) abort();
  }
  size_t len = 0;
  uint32_t cast = mon_expr_cast(text, &len);
  if (cast && ((cast != 1 && cast != 2 && cast != 4) || len > strlen(text))) abort();
  free(text);
  return 0;
}
