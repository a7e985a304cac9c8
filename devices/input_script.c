/* Scripted input: key presses and mouse clicks given as text before the
 * run (pvlab run --keys).  They feed the queue whenever it has room, so
 * the guest sees them as if they had all happened before it started, and
 * a scripted run is as deterministic as one with no input at all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "pvabi.h"

static const struct {
  const char *name;
  uint16_t code;
} key_names[] = {
  {"up", PV_KEY_UP}, {"down", PV_KEY_DOWN}, {"left", PV_KEY_LEFT},
  {"right", PV_KEY_RIGHT}, {"home", PV_KEY_HOME}, {"end", PV_KEY_END},
  {"pageup", PV_KEY_PAGE_UP}, {"pagedown", PV_KEY_PAGE_DOWN},
  {"insert", PV_KEY_INSERT}, {"delete", PV_KEY_DELETE},
  {"backspace", PV_KEY_BACKSPACE}, {"tab", PV_KEY_TAB},
  {"enter", PV_KEY_ENTER}, {"esc", PV_KEY_ESCAPE}, {"space", ' '},
  {"lt", '<'}, {"gt", '>'}, {"shift", PV_KEY_SHIFT}, {"ctrl", PV_KEY_CTRL},
  {"alt", PV_KEY_ALT},
};
#define NKEYS (sizeof key_names / sizeof key_names[0])

static bool add(dev_input_script *s, size_t *cap, uint16_t type,
                uint16_t code, int32_t x, int32_t y, uint32_t mods) {
  if (s->n == *cap) {
    size_t grown = *cap ? *cap * 2 : 32;
    dev_input_event *ev = realloc(s->ev, grown * sizeof *ev);
    if (!ev) return false;
    s->ev = ev;
    *cap = grown;
  }
  s->ev[s->n++] = (dev_input_event){type, code, x, y, mods};
  return true;
}

static bool press(dev_input_script *s, size_t *cap, uint16_t code,
                  uint32_t mods) {
  return add(s, cap, PV_INPUT_KEY_DOWN, code, 0, 0, mods) &&
         add(s, cap, PV_INPUT_KEY_UP, code, 0, 0, mods);
}

/* The key a <name> stands for, or -1. */
static int named_key(const char *name, size_t len) {
  for (size_t i = 0; i < NKEYS; i++) {
    if (strlen(key_names[i].name) == len && !memcmp(key_names[i].name, name, len)) {
      return key_names[i].code;
    }
  }
  unsigned f;
  char tail;
  char buf[16];
  if (len < sizeof buf) {
    memcpy(buf, name, len);
    buf[len] = 0;
    if (sscanf(buf, "f%u%c", &f, &tail) == 1 && f >= 1 && f <= 12) {
      return PV_KEY_F1 + (int)f - 1;
    }
  }
  return -1;
}

/* "click:X,Y" and "move:X,Y": the mouse events, or false if it is not one. */
static bool mouse_item(dev_input_script *s, size_t *cap, const char *item,
                       bool *ok) {
  char verb[8], tail;
  unsigned x, y;
  if (sscanf(item, "%7[a-z]:%u,%u%c", verb, &x, &y, &tail) != 3) return false;
  if (x > 65535 || y > 65535) return false;
  bool click = strcmp(verb, "click") == 0;
  if (!click && strcmp(verb, "move") != 0) return false;
  *ok = add(s, cap, PV_INPUT_MOUSE_MOVE, 0, (int32_t)x, (int32_t)y, 0);
  if (click) {
    *ok = *ok &&
          add(s, cap, PV_INPUT_MOUSE_DOWN, PV_MOUSE_LEFT, (int32_t)x, (int32_t)y, 0) &&
          add(s, cap, PV_INPUT_MOUSE_UP, PV_MOUSE_LEFT, (int32_t)x, (int32_t)y, 0);
  }
  return true;
}

static bool fail(dev_input_script *s, char *err, size_t err_size,
                 const char *msg, const char *what, size_t what_len,
                 size_t offset) {
  snprintf(err, err_size, "%s '%.*s' at offset %zu; write a printable "
           "character, <name> (up down left right home end pageup pagedown "
           "insert delete backspace tab enter esc space lt gt shift ctrl alt "
           "f1..f12), <click:X,Y>, <move:X,Y> or <quit>", msg, (int)what_len,
           what, offset);
  dev_input_script_free(s);
  return false;
}

bool dev_input_script_parse(dev_input_script *s, const char *text, char *err,
                            size_t err_size) {
  memset(s, 0, sizeof *s);
  size_t cap = 0;
  for (size_t i = 0; text[i];) {
    unsigned char c = (unsigned char)text[i];
    bool ok = true;
    if (c == '<') {
      const char *end = strchr(text + i, '>');
      if (!end) {
        return fail(s, err, err_size, "unclosed <", text + i, strlen(text + i), i);
      }
      const char *name = text + i + 1;
      size_t len = (size_t)(end - name);
      char item[32];
      int key = named_key(name, len);
      if (key >= 0) {
        ok = press(s, &cap, (uint16_t)key, 0);
      } else if (len == 4 && !memcmp(name, "quit", 4)) {
        ok = add(s, &cap, PV_INPUT_QUIT, 0, 0, 0, 0);
      } else {
        bool mouse = false;
        if (len < sizeof item) {
          memcpy(item, name, len);
          item[len] = 0;
          mouse = mouse_item(s, &cap, item, &ok);
        }
        if (!mouse) {
          return fail(s, err, err_size, "unknown key or mouse action",
                      text + i, len + 2, i);
        }
      }
      i += len + 2;
    } else if (c >= 'A' && c <= 'Z') {
      ok = press(s, &cap, (uint16_t)(c - 'A' + 'a'), PV_MOD_SHIFT);
      i++;
    } else if (c >= ' ' && c <= '~') {
      ok = press(s, &cap, c, 0);
      i++;
    } else if (c == '\n') {
      ok = press(s, &cap, PV_KEY_ENTER, 0);
      i++;
    } else {
      char hex[8];
      snprintf(hex, sizeof hex, "\\x%02x", c);
      return fail(s, err, err_size, "not a key: the byte", hex, strlen(hex), i);
    }
    if (!ok) {
      snprintf(err, err_size, "out of memory for %zu scripted events", s->n);
      dev_input_script_free(s);
      return false;
    }
  }
  return true;
}

void dev_input_script_free(dev_input_script *s) {
  free(s->ev);
  s->ev = NULL;
  s->n = s->pos = 0;
}

static bool script_poll(void *ctx, dev_input *q) {
  dev_input_script *s = ctx;
  while (s->pos < s->n && q->count < DEV_INPUT_QUEUE) {
    dev_input_push(q, &s->ev[s->pos++]);
  }
  if (s->pos < s->n) return true;
  return s->next.poll ? s->next.poll(s->next.ctx, q) : false;
}

static bool script_wait(void *ctx, uint64_t *now_ns, uint64_t until_ns,
                        uint32_t max_ms) {
  dev_input_script *s = ctx;
  return s->next.wait ? s->next.wait(s->next.ctx, now_ns, until_ns, max_ms) : false;
}

dev_input_backend dev_input_script_backend(dev_input_script *s) {
  return (dev_input_backend){s, script_poll, script_wait};
}
