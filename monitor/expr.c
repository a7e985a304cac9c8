/* The monitor's expression evaluator: recursive descent, one function per
 * precedence level, values as 32-bit guest words. */
#include "mon_expr.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct parser {
  const mon_expr_env *env;
  const char *text, *p;
  char *err;
  size_t errsize;
  bool failed;
  unsigned depth; /* unary operators and parentheses open now */
} parser;

static bool fail(parser *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool fail(parser *ps, const char *fmt, ...) {
  if (ps->failed) return false;
  ps->failed = true;
  char what[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  /* a text too long to read in a message is shown by its start */
  int shown = strlen(ps->text) > 80 ? 60 : 80;
  snprintf(ps->err, ps->errsize, "%s (at column %d of \"%.*s%s\")", what,
           (int)(ps->p - ps->text) + 1, shown, ps->text, shown == 60 ? "..." : "");
  return false;
}

static void skip_space(parser *ps) {
  while (isspace((unsigned char)*ps->p)) ps->p++;
}

/* Consumes tok if it comes next, but never the first half of a two-character
 * operator ("<" of "<<", "!" of "!="). */
static bool accept(parser *ps, const char *tok) {
  static const char *const pairs[] = {"||", "&&", "==", "!=", "<=", ">=", "<<", ">>"};
  skip_space(ps);
  size_t n = strlen(tok);
  if (strncmp(ps->p, tok, n) != 0) return false;
  if (n == 1 && ps->p[1]) {
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
      if (ps->p[0] == pairs[i][0] && ps->p[1] == pairs[i][1]) return false;
    }
  }
  ps->p += n;
  return true;
}

static bool is_ident(char c) { return isalnum((unsigned char)c) || c == '_' || c == '.'; }

static size_t ident_len(const char *p) {
  size_t n = 0;
  if (isalpha((unsigned char)p[0]) || p[0] == '_' || p[0] == '.') {
    while (is_ident(p[n])) n++;
  }
  return n;
}

static bool expr(parser *ps, uint32_t *v);

uint32_t mon_expr_cast(const char *text, size_t *len) {
  static const struct { const char *type; uint32_t size; } casts[] = {
    {"uint8_t", 1}, {"int8_t", 1}, {"char", 1}, {"unsigned char", 1},
    {"uint16_t", 2}, {"int16_t", 2}, {"short", 2}, {"unsigned short", 2},
    {"uint32_t", 4}, {"int32_t", 4}, {"int", 4}, {"unsigned", 4},
    {"unsigned int", 4}, {"long", 4}, {"unsigned long", 4},
  };
  parser ps = {NULL, text, text, NULL, 0, false, 0};
  if (!accept(&ps, "(")) return 0;
  skip_space(&ps);
  const char *type = ps.p;
  for (size_t i = 0; i < sizeof casts / sizeof casts[0]; i++) {
    size_t n = strlen(casts[i].type);
    if (strncmp(type, casts[i].type, n) == 0 && !is_ident(type[n])) {
      ps.p = type + n;
      if (accept(&ps, "*") && accept(&ps, ")")) {
        *len = (size_t)(ps.p - text);
        return casts[i].size;
      }
    }
  }
  return 0;
}

/* A pointer cast before a '*': (uint8_t *), (char *), (short *) ... */
static uint32_t cast_size(parser *ps) {
  skip_space(ps);
  size_t len;
  uint32_t size = mon_expr_cast(ps->p, &len);
  if (size) ps->p += len;
  return size;
}

static bool deref(parser *ps, uint32_t addr, uint32_t size, uint32_t *v) {
  if (!ps->env->read || !ps->env->read(ps->env->ctx, addr, size, v)) {
    return fail(ps, "cannot read %u bytes at 0x%08x", size, addr);
  }
  return true;
}

static bool number(parser *ps, uint32_t *v) {
  const char *p = ps->p;
  uint64_t n = 0;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
    p += 2;
    if (!isxdigit((unsigned char)*p)) return fail(ps, "a hex number needs digits after 0x");
    for (; isxdigit((unsigned char)*p); p++) {
      n = n * 16 + (uint64_t)(isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10));
      if (n > 0xffffffffu) return fail(ps, "number does not fit in 32 bits");
    }
  } else {
    for (; isdigit((unsigned char)*p); p++) {
      n = n * 10 + (uint64_t)(*p - '0');
      if (n > 0xffffffffu) return fail(ps, "number does not fit in 32 bits");
    }
  }
  if (is_ident(*p)) {
    ps->p = p;
    return fail(ps, "unexpected '%c' in a number", *p);
  }
  ps->p = p;
  *v = (uint32_t)n;
  return true;
}

static bool primary(parser *ps, uint32_t *v) {
  skip_space(ps);
  char c = *ps->p;
  if (c == '(') {
    ps->p++;
    if (!expr(ps, v)) return false;
    if (!accept(ps, ")")) return fail(ps, "missing ')'");
    return true;
  }
  if (isdigit((unsigned char)c)) return number(ps, v);
  if (c == '\'') {
    if (!ps->p[1] || ps->p[2] != '\'') return fail(ps, "a character is written 'c'");
    *v = (unsigned char)ps->p[1];
    ps->p += 3;
    return true;
  }
  if (c == '$') {
    ps->p++;
    size_t n = 0; /* a register name, or the digits of a history number */
    if (isdigit((unsigned char)*ps->p)) {
      while (isdigit((unsigned char)ps->p[n])) n++;
    } else {
      n = ident_len(ps->p);
    }
    if (n == 0 || n > 31) return fail(ps, "a register name follows '$'");
    char name[32];
    memcpy(name, ps->p, n);
    name[n] = 0;
    if (!ps->env->reg || !ps->env->reg(ps->env->ctx, name, v)) {
      if (isdigit((unsigned char)name[0])) {
        return fail(ps, "no value $%s in the history (print numbers its results $1, $2, ...)", name);
      }
      return fail(ps, "no register $%s ('info registers' lists them)", name);
    }
    ps->p += n;
    return true;
  }
  bool address_of = false;
  const char *start = ps->p;
  if (c == '&') {
    address_of = true;
    ps->p++;
    skip_space(ps);
  }
  size_t n = ident_len(ps->p);
  if (n == 0) {
    if (!*ps->p) return fail(ps, "an expression ends too early");
    return fail(ps, "unexpected '%c'", *ps->p);
  }
  if (n > 127) return fail(ps, "a name of %zu characters is too long", n);
  char name[128];
  memcpy(name, ps->p, n);
  name[n] = 0;
  uint32_t addr, size;
  bool is_func;
  if (!ps->env->symbol || !ps->env->symbol(ps->env->ctx, name, &addr, &size, &is_func)) {
    ps->p = start;
    return fail(ps, "no symbol \"%s\" in the guest", name);
  }
  ps->p += n;
  if (address_of || is_func || !(size == 1 || size == 2 || size == 4)) {
    *v = addr;
    return true;
  }
  return deref(ps, addr, size, v);
}

static bool unary(parser *ps, uint32_t *v);

/* Each unary operator and each parenthesis is one recursion deeper: the
 * limit keeps a line of thousands of '(' (a script, gdb's qRcmd) from
 * running the host out of stack.  The expression itself is the first
 * call, so MON_EXPR_MAX_DEPTH levels nest inside it. */
static bool nested(parser *ps, uint32_t *v) {
  if (ps->depth > MON_EXPR_MAX_DEPTH) {
    return fail(ps, "expression nested deeper than %d (parentheses and unary "
                "operators); write it in steps: print numbers its results $1, $2, ...",
                MON_EXPR_MAX_DEPTH);
  }
  ps->depth++;
  bool ok = unary(ps, v);
  ps->depth--;
  return ok;
}

static bool unary(parser *ps, uint32_t *v) {
  skip_space(ps);
  if (accept(ps, "-")) {
    if (!nested(ps, v)) return false;
    *v = 0u - *v;
    return true;
  }
  if (accept(ps, "~")) {
    if (!nested(ps, v)) return false;
    *v = ~*v;
    return true;
  }
  if (accept(ps, "!")) {
    if (!nested(ps, v)) return false;
    *v = !*v;
    return true;
  }
  if (accept(ps, "*")) {
    uint32_t size = cast_size(ps);
    uint32_t addr;
    if (!nested(ps, &addr)) return false;
    return deref(ps, addr, size ? size : 4, v);
  }
  return primary(ps, v);
}

/* Binary operators by precedence, loosest first. */
typedef struct binop {
  const char *tok;
  int level;
} binop;
static const binop binops[] = {
  {"||", 0}, {"&&", 1}, {"|", 2}, {"^", 3}, {"&", 4},
  {"==", 5}, {"!=", 5}, {"<=", 6}, {">=", 6}, {"<<", 7}, {">>", 7},
  {"<", 6}, {">", 6}, {"+", 8}, {"-", 8}, {"*", 9}, {"/", 9}, {"%", 9},
};
#define TOP_LEVEL 9

static bool apply(parser *ps, const char *op, uint32_t a, uint32_t b, uint32_t *v) {
  switch (op[0]) {
  case '|': *v = op[1] ? (a || b) : (a | b); return true;
  case '&': *v = op[1] ? (a && b) : (a & b); return true;
  case '^': *v = a ^ b; return true;
  case '=': *v = a == b; return true;
  case '!': *v = a != b; return true;
  case '<': *v = op[1] == '<' ? (b >= 32 ? 0 : a << b) : op[1] == '=' ? a <= b : a < b; return true;
  case '>': *v = op[1] == '>' ? (b >= 32 ? 0 : a >> b) : op[1] == '=' ? a >= b : a > b; return true;
  case '+': *v = a + b; return true;
  case '-': *v = a - b; return true;
  case '*': *v = a * b; return true;
  case '/':
  case '%':
    if (b == 0) return fail(ps, "division by zero");
    *v = op[0] == '/' ? a / b : a % b;
    return true;
  }
  return fail(ps, "unknown operator %s", op);
}

static bool level(parser *ps, int lv, uint32_t *v) {
  if (lv > TOP_LEVEL) return nested(ps, v);
  if (!level(ps, lv + 1, v)) return false;
  for (;;) {
    const binop *found = NULL;
    for (size_t i = 0; i < sizeof binops / sizeof binops[0]; i++) {
      if (binops[i].level == lv && accept(ps, binops[i].tok)) {
        found = &binops[i];
        break;
      }
    }
    if (!found) return true;
    uint32_t rhs;
    if (!level(ps, lv + 1, &rhs)) return false;
    if (!apply(ps, found->tok, *v, rhs, v)) return false;
  }
}

static bool expr(parser *ps, uint32_t *v) { return level(ps, 0, v); }

bool mon_expr_eval(const mon_expr_env *env, const char *text, uint32_t *value,
                   char *err, size_t errsize) {
  parser ps = {env, text, text, err, errsize, false, 0};
  uint32_t v;
  if (!expr(&ps, &v)) return false;
  skip_space(&ps);
  if (*ps.p) return fail(&ps, "unexpected '%c' after the expression", *ps.p);
  *value = v;
  return true;
}
