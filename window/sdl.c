/* The display in an SDL2 window, and keyboard and mouse input from it: the
 * only file that talks to SDL.  The window opens when the guest first names
 * its framebuffer, so a guest that never draws never opens one (and SDL is
 * not even initialized).  The frame is scaled by a whole number, with black
 * bars when the window's shape differs, so pixels stay square and sharp.
 *
 * Closing the window queues a QUIT event and takes the window away; the
 * machine then gives the guest DEV_QUIT_GRACE_NS to shut down. */
#include <SDL.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "window.h"

#define PUMP_NS 2000000u     /* look at SDL's events at most every 2 ms */
#define PRESENT_NS 16000000u /* show new frames at most every 16 ms */
#define DRIFT_NS 100000000u  /* clocks further apart than 100 ms: resync */

struct window {
  dev_frame *frame;
  char title[256];
  SDL_Window *win;
  SDL_Renderer *ren;
  SDL_Texture *tex;
  bool sdl_up;   /* SDL_Init succeeded */
  bool failed;   /* no window could be opened: headless from then on */
  bool closed;   /* the user closed the window */
  bool dirty;    /* the frame changed since it was last shown */
  uint64_t last_pump, last_present;
  /* virtual time anchor_virt is host time anchor_host (see pace) */
  bool anchored;
  uint64_t anchor_host, anchor_virt;
};

static uint64_t host_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

window *window_new(dev_frame *frame, const char *title) {
  window *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->frame = frame;
  snprintf(s->title, sizeof s->title, "pvlab: %s", title);
  return s;
}

static void close_window(window *s) {
  if (s->tex) SDL_DestroyTexture(s->tex);
  if (s->ren) SDL_DestroyRenderer(s->ren);
  if (s->win) SDL_DestroyWindow(s->win);
  s->tex = NULL;
  s->ren = NULL;
  s->win = NULL;
}

void window_free(window *s) {
  if (!s) return;
  close_window(s);
  if (s->sdl_up) SDL_Quit();
  free(s);
}

static void present(window *s) {
  dev_frame *f = s->frame;
  SDL_UpdateTexture(s->tex, NULL, f->pixels, (int)(f->width * 4));
  SDL_SetRenderDrawColor(s->ren, 0, 0, 0, 255);
  SDL_RenderClear(s->ren);
  SDL_RenderCopy(s->ren, s->tex, NULL, NULL);
  SDL_RenderPresent(s->ren);
  s->dirty = false;
  s->last_present = host_ns();
}

/* The largest whole scale at which the frame fills at most 85% of the
 * desktop, so the first window is as big as comfortably fits. */
static int first_scale(const dev_frame *f) {
  SDL_DisplayMode dm;
  int scale = 1;
  if (SDL_GetDesktopDisplayMode(0, &dm) != 0) return scale;
  while (scale < 16 && (uint64_t)(scale + 1) * f->width * 100 <= (uint64_t)dm.w * 85 &&
         (uint64_t)(scale + 1) * f->height * 100 <= (uint64_t)dm.h * 85) {
    scale++;
  }
  return scale;
}

static bool open_window(window *s) {
  dev_frame *f = s->frame;
  SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1"); /* Ctrl-C stays Ctrl-C */
  SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "nearest");
  if (!s->sdl_up) {
    if (SDL_Init(SDL_INIT_VIDEO) != 0) return false;
    s->sdl_up = true;
  }
  int scale = first_scale(f);
  s->win = SDL_CreateWindow(s->title, SDL_WINDOWPOS_CENTERED,
                            SDL_WINDOWPOS_CENTERED, (int)f->width * scale,
                            (int)f->height * scale, SDL_WINDOW_RESIZABLE);
  if (!s->win) return false;
  s->ren = SDL_CreateRenderer(s->win, -1, 0);
  if (!s->ren) s->ren = SDL_CreateRenderer(s->win, -1, SDL_RENDERER_SOFTWARE);
  if (!s->ren) return false;
  SDL_RenderSetLogicalSize(s->ren, (int)f->width, (int)f->height);
  SDL_RenderSetIntegerScale(s->ren, SDL_TRUE);
  s->tex = SDL_CreateTexture(s->ren, SDL_PIXELFORMAT_RGB888,
                             SDL_TEXTUREACCESS_STREAMING, (int)f->width,
                             (int)f->height);
  if (!s->tex) return false;
  SDL_StopTextInput(); /* keys only: no input method popping up */
  present(s);
  return true;
}

static void sdl_show(void *ctx) {
  window *s = ctx;
  s->frame->shown = true;
  if (s->win || s->failed || s->closed) return;
  if (!open_window(s)) {
    fprintf(stderr, "pvlab: cannot open a window for the display (SDL: %s); "
            "going on without one (--headless skips the attempt)\n",
            SDL_GetError());
    close_window(s);
    s->failed = true;
  }
}

static void sdl_flush(void *ctx, const uint8_t *src, uint32_t stride,
                      uint32_t x, uint32_t y, uint32_t w, uint32_t h) {
  window *s = ctx;
  dev_frame_copy(s->frame, src, stride, x, y, w, h);
  s->dirty = true;
}

/* SDL's key to a pvlab key code, or -1 for keys pvlab does not pass on. */
static int key_code(SDL_Keycode k) {
  if (k >= ' ' && k <= '~') return (int)k;
  switch (k) {
  case SDLK_BACKSPACE: return PV_KEY_BACKSPACE;
  case SDLK_TAB: return PV_KEY_TAB;
  case SDLK_RETURN: case SDLK_KP_ENTER: return PV_KEY_ENTER;
  case SDLK_ESCAPE: return PV_KEY_ESCAPE;
  case SDLK_DELETE: return PV_KEY_DELETE;
  case SDLK_UP: return PV_KEY_UP;
  case SDLK_DOWN: return PV_KEY_DOWN;
  case SDLK_LEFT: return PV_KEY_LEFT;
  case SDLK_RIGHT: return PV_KEY_RIGHT;
  case SDLK_HOME: return PV_KEY_HOME;
  case SDLK_END: return PV_KEY_END;
  case SDLK_PAGEUP: return PV_KEY_PAGE_UP;
  case SDLK_PAGEDOWN: return PV_KEY_PAGE_DOWN;
  case SDLK_INSERT: return PV_KEY_INSERT;
  case SDLK_LSHIFT: case SDLK_RSHIFT: return PV_KEY_SHIFT;
  case SDLK_LCTRL: case SDLK_RCTRL: return PV_KEY_CTRL;
  case SDLK_LALT: case SDLK_RALT: return PV_KEY_ALT;
  case SDLK_KP_0: return '0';
  case SDLK_KP_PERIOD: return '.';
  case SDLK_KP_PLUS: return '+';
  case SDLK_KP_MINUS: return '-';
  case SDLK_KP_MULTIPLY: return '*';
  case SDLK_KP_DIVIDE: return '/';
  default: break;
  }
  if (k >= SDLK_KP_1 && k <= SDLK_KP_9) return '1' + (int)(k - SDLK_KP_1);
  if (k >= SDLK_F1 && k <= SDLK_F12) return PV_KEY_F1 + (int)(k - SDLK_F1);
  return -1;
}

static uint32_t mods(void) {
  SDL_Keymod km = SDL_GetModState();
  return ((km & KMOD_SHIFT) ? PV_MOD_SHIFT : 0) |
         ((km & KMOD_CTRL) ? PV_MOD_CTRL : 0) |
         ((km & KMOD_ALT) ? PV_MOD_ALT : 0);
}

/* The renderer has already mapped the position into frame pixels; over
 * the black bars it can lie outside, so it is clamped. */
static int32_t clamp(int v, uint32_t size) {
  return v < 0 ? 0 : v >= (int)size ? (int32_t)size - 1 : v;
}

static void close_by_user(window *s, dev_input *q) {
  dev_input_event e = {PV_INPUT_QUIT, 0, 0, 0, 0};
  dev_input_push(q, &e);
  close_window(s);
  s->closed = true;
}

static void translate(window *s, const SDL_Event *ev, dev_input *q) {
  dev_input_event e = {0, 0, 0, 0, mods()};
  int code;
  switch (ev->type) {
  case SDL_QUIT:
    close_by_user(s, q);
    return;
  case SDL_WINDOWEVENT:
    if (ev->window.event == SDL_WINDOWEVENT_CLOSE) close_by_user(s, q);
    else s->dirty = true; /* exposed, resized: draw it again */
    return;
  case SDL_KEYDOWN:
  case SDL_KEYUP:
    code = key_code(ev->key.keysym.sym);
    if (code < 0) return;
    e.type = ev->type == SDL_KEYDOWN ? PV_INPUT_KEY_DOWN : PV_INPUT_KEY_UP;
    e.code = (uint16_t)code;
    if (ev->key.repeat) e.mods |= PV_MOD_REPEAT;
    break;
  case SDL_MOUSEMOTION:
    e.type = PV_INPUT_MOUSE_MOVE;
    /* SDL's button masks are bit (button - 1), as pvlab's */
    e.code = (uint16_t)(ev->motion.state & 7u);
    e.x = clamp(ev->motion.x, s->frame->width);
    e.y = clamp(ev->motion.y, s->frame->height);
    break;
  case SDL_MOUSEBUTTONDOWN:
  case SDL_MOUSEBUTTONUP:
    if (ev->button.button < 1 || ev->button.button > 3) return;
    e.type = ev->type == SDL_MOUSEBUTTONDOWN ? PV_INPUT_MOUSE_DOWN : PV_INPUT_MOUSE_UP;
    e.code = ev->button.button; /* SDL's 1, 2, 3 are left, middle, right */
    e.x = clamp(ev->button.x, s->frame->width);
    e.y = clamp(ev->button.y, s->frame->height);
    break;
  default:
    return;
  }
  dev_input_push(q, &e);
}

static bool sdl_poll(void *ctx, dev_input *q) {
  window *s = ctx;
  if (!s->win) return false;
  uint64_t now = host_ns();
  if (now - s->last_pump < PUMP_NS) return true;
  s->last_pump = now;
  SDL_Event ev;
  while (s->win && SDL_PollEvent(&ev)) translate(s, &ev, q);
  if (s->win && s->dirty && now - s->last_present >= PRESENT_NS) present(s);
  return s->win != NULL;
}

/* Virtual time anchor_virt + d is due at host time anchor_host + d.  When
 * the clocks have drifted apart (the guest computed for longer than real
 * time allowed, or skipped time before the window opened) they are tied
 * together again at the present, rather than made up for in a rush. */
static bool sdl_wait(void *ctx, uint64_t *now_ns, uint64_t until_ns,
                     uint32_t max_ms) {
  window *s = ctx;
  if (!s->win) return false;
  if (until_ns <= *now_ns) return false;
  if (s->dirty) present(s);
  uint64_t host = host_ns();
  int64_t drift = (int64_t)(host - s->anchor_host) - (int64_t)(*now_ns - s->anchor_virt);
  if (!s->anchored || drift > (int64_t)DRIFT_NS || drift < -(int64_t)DRIFT_NS) {
    s->anchored = true;
    s->anchor_host = host;
    s->anchor_virt = *now_ns;
  }
  int timeout = -1; /* ms; -1: until an event */
  if (until_ns != UINT64_MAX) {
    /* until_ns is due this long after the anchor, on either clock */
    uint64_t ahead = until_ns - s->anchor_virt, elapsed = host - s->anchor_host;
    if (ahead <= elapsed) {
      *now_ns = until_ns;
      return false;
    }
    uint64_t ms = (ahead - elapsed) / 1000000u + 1;
    timeout = ms > 60000 ? 60000 : (int)ms;
  }
  if (max_ms && (timeout < 0 || (uint32_t)timeout > max_ms)) timeout = (int)max_ms;
  int got = timeout < 0 ? SDL_WaitEvent(NULL) : SDL_WaitEventTimeout(NULL, timeout);
  if (got) s->last_pump = 0; /* the next poll takes it at once */
  uint64_t virt = s->anchor_virt + (host_ns() - s->anchor_host);
  if (virt > *now_ns) *now_ns = virt < until_ns ? virt : until_ns;
  return !(until_ns != UINT64_MAX && *now_ns >= until_ns);
}

dev_display_backend window_display(window *s) {
  return (dev_display_backend){s, sdl_show, sdl_flush};
}

dev_input_backend window_input(window *s) {
  return (dev_input_backend){s, sdl_poll, sdl_wait};
}
