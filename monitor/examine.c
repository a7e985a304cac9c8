/* Values and memory the way gdb shows them: `print[/FMT] EXPR` (numbered
 * $1, $2 ... for later expressions), `x/NFU ADDR` (remembering format,
 * size and the next address, so a bare `x` goes on) and `disassemble`.
 * Memory is read in full before anything is printed: an unreadable byte
 * gives one "Cannot access memory" line and changes nothing. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mon_int.h"

#define X_MAX_BYTES 65536u  /* what one x or disassemble may read */
#define STRING_MAX 200u     /* characters of one x/s string, like gdb */

/* ---- formatting one value ---- */

static int32_t as_signed(uint32_t v, uint32_t size) {
  uint32_t bits = 8 * size;
  uint32_t low = bits == 32 ? v : v & ((1u << bits) - 1);
  if (!(low >> (bits - 1))) return (int32_t)low;
  /* negative: low - 2^bits, without an implementation-defined cast */
  uint32_t magnitude = bits == 32 ? 0u - low : (1u << bits) - low;
  return magnitude == 0x80000000u ? INT32_MIN : -(int32_t)magnitude;
}

/* A character as C writes it between quotes (quote: ' or "). */
static void char_escape(uint8_t c, char quote, char *buf, size_t size) {
  static const char esc_from[] = "\a\b\f\n\r\t\v\\";
  static const char esc_to[] = "abfnrtv\\";
  const char *e = c ? strchr(esc_from, c) : NULL;
  if (e) snprintf(buf, size, "\\%c", esc_to[e - esc_from]);
  else if (c == (uint8_t)quote) snprintf(buf, size, "\\%c", quote);
  else if (c >= 0x20 && c < 0x7f) snprintf(buf, size, "%c", c);
  else snprintf(buf, size, "\\%03o", c);
}

static void binary(uint32_t v, unsigned min_digits, char *buf) {
  unsigned n = 32;
  while (n > 1 && n > min_digits && !(v >> (n - 1) & 1u)) n--;
  for (unsigned i = 0; i < n; i++) buf[i] = (char)('0' + (v >> (n - 1 - i) & 1u));
  buf[n] = 0;
}

/* v (size bytes) in format fmt; padded says x and t show every digit of
 * the size (x does, print does not). */
static void format_value(mon *s, char fmt, uint32_t v, uint32_t size, bool padded,
                         char *buf, size_t bufsize) {
  char tmp[160];
  switch (fmt) {
  case 'x':
    snprintf(buf, bufsize, "0x%0*" PRIx32, padded ? (int)(2 * size) : 1, v);
    break;
  case 'd': snprintf(buf, bufsize, "%" PRId32, as_signed(v, size)); break;
  case 'u': snprintf(buf, bufsize, "%" PRIu32, v); break;
  case 'o': snprintf(buf, bufsize, v ? "0%" PRIo32 : "0", v); break;
  case 't':
    binary(v, padded ? 8 * size : 1, tmp);
    snprintf(buf, bufsize, "%s", tmp);
    break;
  case 'c':
    char_escape((uint8_t)v, '\'', tmp, sizeof tmp);
    snprintf(buf, bufsize, "%" PRIu32 " '%s'", v & 0xffu, tmp);
    break;
  case 'a': /* gdb's: the address in plain hex, with its symbol */
    if (mon_symbolize(s, v, tmp, sizeof tmp)) snprintf(buf, bufsize, "0x%" PRIx32 " <%s>", v, tmp);
    else snprintf(buf, bufsize, "0x%" PRIx32, v);
    break;
  }
}

/* ---- print ---- */

static bool in_ram(const mon *s, uint32_t v) {
  return v - CPU_RAM_BASE < s->m->cpu.ram_size;
}

static bool history_push(mon *s, uint32_t v) {
  if (s->nhistory == s->caphistory) {
    size_t cap = s->caphistory ? s->caphistory * 2 : 16;
    uint32_t *grown = realloc(s->history, cap * sizeof *grown);
    if (!grown) return false;
    s->history = grown;
    s->caphistory = cap;
  }
  s->history[s->nhistory++] = v;
  return true;
}

/* "/x" after a command name: the format letter, or 0 with none. */
static bool print_format(const char **p, char *fmt, FILE *out) {
  *fmt = 0;
  if (**p != '/') return true;
  const char *f = *p + 1;
  size_t n = strcspn(f, " \t");
  if (n != 1 || !strchr("xduotca", f[0])) {
    mon_fail(out, "print/%.*s: give one format letter: x d u o t c a", (int)(n < 20 ? n : 20), f);
    return false;
  }
  *fmt = f[0];
  *p = f + 1;
  return true;
}

mon_status mon_cmd_print(mon *s, const char *args, FILE *out) {
  const char *p = mon_skip_space(args); /* "p/x 1" or "p /x 1" */
  char fmt;
  if (!print_format(&p, &fmt, out)) return MON_ERROR;
  uint32_t v;
  if (!*mon_skip_space(p)) {
    if (!s->nhistory) return mon_fail(out, "print needs an expression: a register ($a0), symbol, *ADDRESS or arithmetic");
    v = s->history[s->nhistory - 1]; /* gdb: print alone shows the last value again */
  } else if (!mon_eval(s, p, &v, out)) {
    return MON_ERROR;
  }
  if (!history_push(s, v)) return mon_fail(out, "out of memory for the value history");
  char text[220];
  if (fmt) {
    format_value(s, fmt, v, 4, false, text, sizeof text);
  } else if (in_ram(s, v)) { /* an address: as gdb shows a pointer */
    mon_format_addr(s, v, text, sizeof text);
  } else {
    snprintf(text, sizeof text, "%" PRId32 " (0x%" PRIx32 ")", as_signed(v, 4), v);
  }
  fprintf(out, "$%zu = %s\n", s->nhistory, text);
  return MON_OK;
}

/* ---- reading memory for x and disassemble ---- */

/* Reads len bytes at addr into buf, or says which byte cannot be read. */
static bool read_all(mon *s, uint32_t addr, uint8_t *buf, uint32_t len, FILE *out) {
  for (uint32_t i = 0; i < len; i++) {
    if (!mon_read(s, addr + i, &buf[i], 1)) {
      mon_fail(out, "Cannot access memory at address 0x%08" PRIx32, addr + i);
      return false;
    }
  }
  return true;
}

static uint32_t word_at(const uint8_t *b) {
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* "=> 0x80000044 <main>:\taddi sp, sp, -16" (the pc gets the arrow). */
static void insn_rows(mon *s, uint32_t addr, const uint8_t *bytes, uint32_t n, FILE *out) {
  for (uint32_t i = 0; i < n; i++) {
    uint32_t a = addr + 4 * i;
    char where[200], text[200];
    mon_format_addr(s, a, where, sizeof where);
    cpu_disasm(word_at(bytes + 4 * i), a, text, sizeof text, mon_symbolize, s);
    fprintf(out, "%s %s:\t%s\n", a == s->m->cpu.s.pc ? "=>" : "  ", where, text);
  }
}

/* ---- x ---- */

typedef struct x_spec {
  uint64_t count;
  char fmt, size; /* size: 'b', 'h', 'w', or 0 when not given */
} x_spec;

static bool parse_x_spec(const char **p, x_spec *x, FILE *out) {
  x->count = 1;
  x->fmt = x->size = 0;
  if (**p != '/') return true;
  const char *f = *p + 1;
  if (isdigit((unsigned char)*f)) {
    char *end;
    x->count = strtoull(f, &end, 10);
    f = end;
    if (x->count == 0) {
      mon_fail(out, "x/0 shows nothing; give a count of 1 or more");
      return false;
    }
  }
  for (; *f && !isspace((unsigned char)*f); f++) {
    if (strchr("xduotcsia", *f)) {
      x->fmt = *f;
    } else if (strchr("bhw", *f)) {
      x->size = *f;
    } else if (*f == 'g') {
      mon_fail(out, "x: no giant (8-byte) units on a 32-bit guest; use b, h or w");
      return false;
    } else {
      mon_fail(out, "x: unknown letter '%c' in /%.*s: formats are x d u o t c s i a, sizes b h w",
               *f, (int)strcspn(*p + 1, " \t"), *p + 1);
      return false;
    }
  }
  *p = f;
  return true;
}

static uint32_t unit_bytes(char size) { return size == 'b' ? 1 : size == 'h' ? 2 : 4; }

/* x/s: each string up to its NUL (at most STRING_MAX characters, then
 * "..." and the next string goes on from there). */
static bool examine_strings(mon *s, uint32_t addr, uint64_t count, uint32_t *next, FILE *out) {
  /* measure first: nothing is printed unless every string can be read */
  uint32_t a = addr;
  for (uint64_t k = 0; k < count; k++) {
    uint32_t len = 0;
    uint8_t c = 1;
    while (len < STRING_MAX && c) {
      if (!mon_read(s, a + len, &c, 1)) {
        mon_fail(out, "Cannot access memory at address 0x%08" PRIx32, a + len);
        return false;
      }
      len++;
    }
    a += len;
  }
  a = addr;
  for (uint64_t k = 0; k < count; k++) {
    char where[200], esc[8];
    mon_format_addr(s, a, where, sizeof where);
    fprintf(out, "%s:\t\"", where);
    uint32_t len = 0;
    uint8_t c = 1;
    while (len < STRING_MAX) {
      (void)mon_read(s, a + len, &c, 1); /* measured above */
      len++;
      if (!c) break;
      char_escape(c, '"', esc, sizeof esc);
      fputs(esc, out);
    }
    fprintf(out, "\"%s\n", c ? "..." : "");
    a += len;
  }
  *next = a;
  return true;
}

mon_status mon_cmd_examine(mon *s, const char *args, FILE *out) {
  const char *p = mon_skip_space(args);
  x_spec x;
  if (!parse_x_spec(&p, &x, out)) return MON_ERROR;
  char fmt = x.fmt ? x.fmt : s->x_fmt ? s->x_fmt : 'x';
  char size = x.size ? x.size : fmt == 'c' ? 'b' : s->x_size ? s->x_size : 'w';
  if (fmt == 'a') size = 'w';
  uint32_t addr;
  if (*mon_skip_space(p)) {
    if (!mon_eval(s, p, &addr, out)) return MON_ERROR;
  } else if (s->x_have_next) {
    addr = s->x_next;
  } else {
    return mon_fail(out, "x needs an address (nothing has been examined yet to go on from)");
  }
  uint32_t unit = fmt == 'i' ? 4 : fmt == 's' ? 1 : unit_bytes(size);
  if (x.count > X_MAX_BYTES / unit) {
    return mon_fail(out, "x: at most %u bytes at once", X_MAX_BYTES);
  }
  uint32_t next, n = (uint32_t)x.count;
  if (fmt == 's') {
    if (!examine_strings(s, addr, n, &next, out)) return MON_ERROR;
  } else {
    if (fmt == 'i' && (addr & 3u)) {
      return mon_fail(out, "0x%08" PRIx32 " is not 4-byte aligned: no instruction starts there", addr);
    }
    uint8_t *bytes = malloc(n * unit);
    if (!bytes) return mon_fail(out, "out of memory");
    if (!read_all(s, addr, bytes, n * unit, out)) {
      free(bytes);
      return MON_ERROR;
    }
    if (fmt == 'i') {
      insn_rows(s, addr, bytes, n, out);
    } else {
      uint32_t per_row = unit == 4 ? 4 : 8;
      for (uint32_t i = 0; i < n; i++) {
        char where[200], text[220];
        if (i % per_row == 0) {
          mon_format_addr(s, addr + i * unit, where, sizeof where);
          fprintf(out, "%s%s:", i ? "\n" : "", where);
        }
        uint32_t v = 0;
        for (uint32_t b = 0; b < unit; b++) v |= (uint32_t)bytes[i * unit + b] << (8 * b);
        format_value(s, fmt, v, unit, true, text, sizeof text);
        fprintf(out, "\t%s", text);
      }
      fputc('\n', out);
    }
    free(bytes);
    next = addr + n * unit;
  }
  s->x_fmt = fmt;
  if (x.size) s->x_size = x.size;
  s->x_next = next;
  s->x_have_next = true;
  return MON_OK;
}

/* ---- disassemble ---- */

#define DISAS_DEFAULT 8u

/* "START,END" or "START,+LENGTH", gdb's forms: the count of instructions. */
static bool disas_range(mon *s, const char *text, uint32_t *addr, uint32_t *n, FILE *out) {
  const char *comma = strchr(text, ',');
  char start[256];
  size_t len = (size_t)(comma - text);
  if (len >= sizeof start) {
    mon_fail(out, "the location is too long");
    return false;
  }
  memcpy(start, text, len);
  start[len] = 0;
  if (!mon_location(s, start, addr, out)) return false;
  const char *rest = mon_skip_space(comma + 1);
  bool plus = *rest == '+';
  uint32_t end;
  if (!mon_eval(s, plus ? rest + 1 : rest, &end, out)) return false;
  if (plus) end += *addr;
  if (end <= *addr) {
    mon_fail(out, "the end 0x%08" PRIx32 " is not after the start 0x%08" PRIx32, end, *addr);
    return false;
  }
  *n = (end - *addr + 3) / 4;
  return true;
}

/* "LOCATION N": the location and the count after it. */
static bool disas_args(mon *s, const char *p, uint32_t *addr, uint32_t *n, FILE *out) {
  /* the whole text first, so "main + 4" is not "main +" and a count */
  if (mon_location(s, p, addr, NULL)) return true;
  const char *last = p + strlen(p);
  while (last > p && isspace((unsigned char)last[-1])) last--;
  const char *word = last;
  while (word > p && !isspace((unsigned char)word[-1])) word--;
  char loc[256], count[32];
  size_t loclen = (size_t)(word - p), countlen = (size_t)(last - word);
  uint64_t v;
  if (word == p || loclen >= sizeof loc || countlen >= sizeof count) {
    return mon_location(s, p, addr, out); /* says what is wrong */
  }
  memcpy(loc, p, loclen);
  loc[loclen] = 0;
  memcpy(count, word, countlen);
  count[countlen] = 0;
  if (!mon_parse_count(count, &v)) return mon_location(s, p, addr, out);
  if (!mon_location(s, loc, addr, out)) return false;
  if (v == 0 || v > X_MAX_BYTES / 4) {
    mon_fail(out, "disassemble shows 1 to %u instructions, not %s", X_MAX_BYTES / 4, count);
    return false;
  }
  *n = (uint32_t)v;
  return true;
}

mon_status mon_cmd_disas(mon *s, const char *args, FILE *out) {
  const char *p = mon_skip_space(args);
  uint32_t addr = s->m->cpu.s.pc, n = DISAS_DEFAULT;
  if (strchr(p, ',')) {
    if (!disas_range(s, p, &addr, &n, out)) return MON_ERROR;
    if (n > X_MAX_BYTES / 4) return mon_fail(out, "disassemble shows at most %u instructions at once", X_MAX_BYTES / 4);
  } else if (*p && !disas_args(s, p, &addr, &n, out)) {
    return MON_ERROR;
  }
  if (addr & 3u) {
    return mon_fail(out, "0x%08" PRIx32 " is not 4-byte aligned: no instruction starts there", addr);
  }
  uint8_t *bytes = malloc(4 * n);
  if (!bytes) return mon_fail(out, "out of memory");
  if (!read_all(s, addr, bytes, 4 * n, out)) {
    free(bytes);
    return MON_ERROR;
  }
  insn_rows(s, addr, bytes, n, out);
  free(bytes);
  return MON_OK;
}
