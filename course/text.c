/* Guest bytes made fit to show: the grader quotes console output and
 * expected strings, which may hold any byte, in reports a person reads. */
#include <string.h>

#include "grade.h"

/* Appends c's escaped form at *n if it fits below limit. */
static bool put(char *buf, size_t *n, size_t limit, uint8_t c) {
  char tmp[5];
  static const char from[] = "\n\t\r\\\"", to[] = "ntr\\\"";
  const char *hit = c ? strchr(from, c) : NULL;
  size_t len;
  if (hit) {
    tmp[0] = '\\';
    tmp[1] = to[hit - from];
    len = 2;
  } else if (c >= 0x20 && c < 0x7f) {
    tmp[0] = (char)c;
    len = 1;
  } else {
    snprintf(tmp, sizeof tmp, "\\x%02x", c);
    len = 4;
  }
  if (*n + len > limit) return false;
  memcpy(buf + *n, tmp, len);
  *n += len;
  return true;
}

void course_escape(const uint8_t *p, size_t len, char *buf, size_t size) {
  if (size == 0) return;
  if (size < 8) { /* no room to say anything useful */
    buf[0] = 0;
    return;
  }
  size_t n = 0, limit = size - 1;
  for (size_t i = 0; i < len; i++) {
    if (!put(buf, &n, limit - 3, p[i])) { /* room kept for "..." */
      memcpy(buf + n, "...", 3);
      n += 3;
      break;
    }
  }
  buf[n] = 0;
}

enum { TAIL_LINE_MAX = 160 }; /* bytes of one escaped line */

void course_output_tail(const uint8_t *out, size_t len, unsigned max_lines,
                        char *buf, size_t size) {
  if (size == 0) return;
  buf[0] = 0;
  if (!out) return;
  size_t end = len;
  if (end && out[end - 1] == '\n') end--; /* the last line's own newline */
  size_t start = end;
  for (unsigned lines = 0; start > 0 && lines < max_lines; ) {
    start--;
    if (out[start] == '\n' && ++lines == max_lines) {
      start++;
      break;
    }
  }
  size_t used = 0;
  while (start < end) {
    const uint8_t *nl = memchr(out + start, '\n', end - start);
    size_t stop = nl ? (size_t)(nl - out) : end, cut = stop;
    if (cut > start && out[cut - 1] == '\r') cut--;
    char line[TAIL_LINE_MAX];
    course_escape(out + start, cut - start, line, sizeof line);
    int w = snprintf(buf + used, size - used, "%s%s", used ? "\n" : "", line);
    if (w < 0 || (size_t)w >= size - used) break;
    used += (size_t)w;
    start = stop + 1;
    if (!nl) break;
  }
}

static const char *const stop_names[] = {
  [MACHINE_STOP_NONE] = "none", [MACHINE_STOP_SHUTDOWN] = "shutdown",
  [MACHINE_STOP_FAULT] = "fault", [MACHINE_STOP_LIMIT] = "hang",
  [MACHINE_STOP_EBREAK] = "ebreak", [MACHINE_STOP_BREAK] = "debug_break",
  [MACHINE_STOP_BREAKPOINT] = "breakpoint", [MACHINE_STOP_WATCH] = "watchpoint",
  [MACHINE_STOP_HOST_ERROR] = "host-error", [MACHINE_STOP_DEADLOCK] = "deadlock",
  [MACHINE_STOP_CLOSED] = "closed", [MACHINE_STOP_INTERRUPT] = "interrupted",
  [MACHINE_STOP_CATCH_HCALL] = "stop-at", [MACHINE_STOP_CATCH_TRAP] = "trap",
};

const char *course_stop_name(machine_stop stop) {
  size_t n = sizeof stop_names / sizeof stop_names[0];
  return (size_t)stop < n && stop_names[stop] ? stop_names[stop] : "unknown";
}
