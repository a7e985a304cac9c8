/* The display and input of a `pvlab run`: a window or the headless frame,
 * --keys ahead of the window's own input, and --screenshot at the end.
 * The guest cannot tell which: it sees the same hypercalls either way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "snapshot.h"

static bool have_display_server(void) {
  const char *x11 = getenv("DISPLAY"), *wayland = getenv("WAYLAND_DISPLAY");
  return (x11 && *x11) || (wayland && *wayland);
}

static void display_free(cli_display *d) {
  window_free(d->sdl);
  dev_input_script_free(&d->script);
  dev_frame_free(&d->frame);
  memset(d, 0, sizeof *d);
}

bool cli_display_start(cli_display *d, machine *m, const cli_machine_opts *opts,
                       const char *cmd) {
  memset(d, 0, sizeof *d);
  uint32_t w = m->cfg.display_width, h = m->cfg.display_height;
  if (!dev_frame_init(&d->frame, w, h)) {
    fprintf(stderr, "pvlab: out of memory for a %ux%u display; try a smaller "
            "--display\n", w, h);
    return false;
  }
  m->display_io = dev_frame_backend(&d->frame);
  dev_input_backend input = {0};
  if (!opts->headless && have_display_server()) {
    const char *title = opts->guest ? opts->guest : opts->load;
    const char *name = strrchr(title, '/');
    d->sdl = window_new(&d->frame, name ? name + 1 : title);
    if (!d->sdl) {
      fprintf(stderr, "pvlab: out of memory for the display window\n");
      display_free(d);
      return false;
    }
    m->display_io = window_display(d->sdl);
    input = window_input(d->sdl);
  }
  if (opts->keys) {
    char why[512];
    if (!dev_input_script_parse(&d->script, opts->keys, why, sizeof why)) {
      fprintf(stderr, "pvlab %s: --keys: %s\n", cmd, why);
      display_free(d);
      return false;
    }
    d->script.next = input;
    input = dev_input_script_backend(&d->script);
  }
  m->input_io = input;
  return true;
}

bool cli_display_finish(cli_display *d, const cli_machine_opts *opts) {
  bool ok = true;
  if (opts->screenshot) {
    host_error err;
    if (!dev_png_write(opts->screenshot, d->frame.pixels, d->frame.width,
                        d->frame.height, &err)) {
      fprintf(stderr, "pvlab: --screenshot %s: %s\n", opts->screenshot, err.msg);
      ok = false;
    } else if (!d->frame.shown) {
      fprintf(stderr, "pvlab: note: the guest never named a framebuffer "
              "(fb_set), so screenshot %s is all black\n", opts->screenshot);
    }
  }
  display_free(d);
  return ok;
}
