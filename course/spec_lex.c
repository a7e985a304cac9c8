/* The words of one tests.grade line: bare words and double-quoted strings
 * with C escapes, up to a comment.  Any bytes at all may come in (the file
 * is a student's to edit): everything odd is an error naming the column's
 * problem, never a crash. */
#include <stdlib.h>
#include <string.h>

#include "course_spec_int.h"

static int hex_digit(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes the string starting after the opening quote at *pos; leaves
 * *pos after the closing quote. */
static bool quoted(const uint8_t *s, size_t len, size_t *pos, course_spec_word *w,
                   char *why, size_t why_size) {
  /* the decoded text is never longer than the source */
  uint8_t *out = malloc(len - *pos + 1);
  if (!out) {
    snprintf(why, why_size, "out of memory");
    return false;
  }
  size_t n = 0, i = *pos;
  for (;;) {
    if (i >= len) {
      free(out);
      snprintf(why, why_size, "a string has no closing '\"'");
      return false;
    }
    uint8_t c = s[i++];
    if (c == '"') break;
    if (c != '\\') {
      out[n++] = c;
      continue;
    }
    uint8_t e = i < len ? s[i++] : 0;
    static const char from[] = "nrt\\\"0", to[] = "\n\r\t\\\"";
    const char *hit = e ? strchr(from, e) : NULL;
    if (hit) {
      out[n++] = e == '0' ? 0 : (uint8_t)to[hit - from];
    } else if (e == 'x' && i + 1 < len && hex_digit(s[i]) >= 0 &&
               hex_digit(s[i + 1]) >= 0) {
      out[n++] = (uint8_t)(hex_digit(s[i]) << 4 | hex_digit(s[i + 1]));
      i += 2;
    } else {
      free(out);
      snprintf(why, why_size, "unknown escape in a string; use \\n \\t \\r "
               "\\0 \\\\ \\\" or \\xHH (two hex digits)");
      return false;
    }
  }
  out[n] = 0;
  *pos = i;
  w->quoted = true;
  w->text = (char *)out;
  w->len = n;
  return true;
}

static bool bare(const uint8_t *s, size_t len, size_t *pos, course_spec_word *w,
                 char *why, size_t why_size) {
  size_t start = *pos, i = start;
  while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '#' && s[i] != '"') {
    if (s[i] < 0x20 || s[i] == 0x7f) {
      snprintf(why, why_size, "control character 0x%02x outside a string; "
               "tests.grade is text (write it as \\x%02x inside quotes)",
               s[i], s[i]);
      return false;
    }
    i++;
  }
  if (i < len && s[i] == '"') {
    snprintf(why, why_size, "a '\"' in the middle of a word; a string "
             "starts after a space");
    return false;
  }
  w->text = malloc(i - start + 1);
  if (!w->text) {
    snprintf(why, why_size, "out of memory");
    return false;
  }
  memcpy(w->text, s + start, i - start);
  w->text[i - start] = 0;
  w->len = i - start;
  w->quoted = false;
  *pos = i;
  return true;
}

bool course_spec_split(const uint8_t *s, size_t len, course_spec_line *l, char *why,
                size_t why_size) {
  memset(l, 0, sizeof *l);
  size_t i = 0;
  for (;;) {
    while (i < len && (s[i] == ' ' || s[i] == '\t')) i++;
    if (i >= len || s[i] == '#') return true;
    if (l->n == SPEC_MAX_WORDS) {
      snprintf(why, why_size, "too many words on one line (at most %d); "
               "quote text that has spaces", SPEC_MAX_WORDS);
      course_spec_line_free(l);
      return false;
    }
    course_spec_word *w = &l->w[l->n];
    bool ok;
    if (s[i] == '"') {
      i++;
      ok = quoted(s, len, &i, w, why, why_size);
      /* "a"b is two words run together: almost surely a typo */
      if (ok && i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '#') {
        free(w->text);
        snprintf(why, why_size, "a closing '\"' must be followed by a space");
        ok = false;
      }
    } else {
      ok = bare(s, len, &i, w, why, why_size);
    }
    if (!ok) {
      course_spec_line_free(l);
      return false;
    }
    l->n++;
  }
}

void course_spec_line_free(course_spec_line *l) {
  for (size_t i = 0; i < l->n; i++) free(l->w[i].text);
  l->n = 0;
}
