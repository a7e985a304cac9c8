/* The SDL window: a frame shown, and keyboard and mouse input from it.
 * The program links it; the libraries below never see SDL. */
#ifndef PVLAB_WINDOW_H
#define PVLAB_WINDOW_H

#include "devices.h"

typedef struct window window;

/* An SDL2 window showing a frame, and the input from it (the one file that
 * uses SDL: window/sdl.c).  It opens when the guest first names
 * its framebuffer; if it cannot, a message says so and the run goes on
 * headless.  NULL when out of memory. */
window *window_new(dev_frame *frame, const char *title);
void window_free(window *s);
dev_display_backend window_display(window *s);
dev_input_backend window_input(window *s);

#endif
