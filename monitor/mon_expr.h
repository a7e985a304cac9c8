/* Expressions in the monitor, as gdb users write them:
 *   $pc  $sp  $a0  $x5  (registers; also $icount, $mode)
 *   $1  $2  (values print showed before, numbered like gdb's)
 *   main  counter  &counter  (symbols: a function or an unsized symbol is
 *                             its address; a 1-, 2- or 4-byte object is its
 *                             value, & gives its address)
 *   0x80000000  42  'a'  *ADDR  *(uint8_t *)ADDR  (char *, short *, ...)
 *   + - * / % << >> & | ^ ~ ! == != < <= > >= && || and parentheses
 * Arithmetic is on 32-bit unsigned words like the guest's; comparisons of
 * signed meaning are not needed for addresses and counts.  The evaluator
 * knows nothing of machines: the caller supplies registers, symbols and
 * memory through mon_expr_env. */
#ifndef PVLAB_MONITOR_MON_EXPR_H
#define PVLAB_MONITOR_MON_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mon_expr_env {
  void *ctx;
  /* name without the '$'; false if there is no such register */
  bool (*reg)(void *ctx, const char *name, uint32_t *value);
  /* false if there is no such symbol */
  bool (*symbol)(void *ctx, const char *name, uint32_t *addr, uint32_t *size,
                 bool *is_func);
  /* size 1, 2 or 4; false if the memory cannot be read */
  bool (*read)(void *ctx, uint32_t addr, uint32_t size, uint32_t *value);
} mon_expr_env;

/* Parentheses and unary operators (- ~ ! *) nest at most this deep; a
 * deeper expression is refused ("expression nested deeper than 64"). */
#define MON_EXPR_MAX_DEPTH 64

/* Evaluates text; on failure writes one sentence naming the problem (and
 * where in the text) to err. */
bool mon_expr_eval(const mon_expr_env *env, const char *text, uint32_t *value,
                   char *err, size_t errsize)
    __attribute__((warn_unused_result));

/* A pointer cast at the start of text, as in "*(uint8_t *)ADDR": the size
 * it names (1, 2 or 4) with its length in *len; 0 if there is none. */
uint32_t mon_expr_cast(const char *text, size_t *len);

#endif
