/* fbdemo: a framebuffer painting program driven by the keyboard and mouse.
 *
 *   pvlab run fbdemo.elf                      a window, if there is a display
 *   pvlab run fbdemo.elf --headless --keys '<right><right>q' --screenshot a.png
 *
 * Arrows move the cursor and paint each cell it enters with the current
 * colour; space paints the cell under it; 1-8 choose the colour; c clears
 * the canvas; a left click or drag paints the cell under the pointer and
 * moves the cursor there.  q, Escape or closing the window quits (status 0).
 *
 * The first frame needs no input, so a headless screenshot shows it.  It
 * is, for a W x H display (the end-to-end test checks these pixels):
 *   - everything BACKGROUND, with a BORDER_W-pixel BORDER frame at the edges;
 *   - 8 palette swatches, SWATCH pixels square, swatch i at x = 8 + 32 i,
 *     y = 8, in palette[i]; a 3-pixel SELECTED bar under the chosen one
 *     (y = 34 to 36), at first swatch 0;
 *   - right of the swatches, from x = 264 to W - 9, y = 8 to 31, a gradient:
 *     red = (x - 264) * 255 / (W - 273), green 0x40, blue = 255 - red;
 *   - the canvas, black: CELL-pixel cells, (W - 16) / 8 columns and
 *     (H - 48) / 8 rows, cell (c, r) at x = 8 + 8 c, y = 40 + 8 r;
 *   - the cursor in the middle cell (columns / 2, rows / 2): that cell's
 *     outermost pixels in CURSOR.
 * A painted cell is filled with its colour (the cursor outline on top). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pv.h"

#define BACKGROUND 0x202840u
#define BORDER 0xc0c0c0u
#define BORDER_W 4
#define SELECTED 0xffffffu
#define CURSOR 0xffff00u
#define CANVAS 0x000000u
#define CELL 8
#define SWATCH 24
#define NCOLOURS 8
#define CANVAS_X 8
#define CANVAS_Y 40
#define GRADIENT_X (8 + NCOLOURS * 32)

static const uint32_t palette[NCOLOURS] = {
  0xffffff, 0xff4040, 0xffa000, 0xffff40, 0x40d040, 0x40e0e0, 0x4060ff, 0xe040e0,
};

static uint32_t *fb;
static int width, height;
static int cols, rows;
static uint8_t *grid; /* per cell: 0 empty, else palette index + 1 */
static int cur_c, cur_r, colour;

static void fill(int x, int y, int w, int h, uint32_t rgb) {
  int x1 = x + w > width ? width : x + w, y1 = y + h > height ? height : y + h;
  for (int yy = y < 0 ? 0 : y; yy < y1; yy++) {
    for (int xx = x < 0 ? 0 : x; xx < x1; xx++) fb[yy * width + xx] = rgb;
  }
}

/* Shows the rectangle, clipped here so that every flush is valid. */
static void flush(int x, int y, int w, int h) {
  if (x < 0) w += x, x = 0;
  if (y < 0) h += y, y = 0;
  if (x + w > width) w = width - x;
  if (y + h > height) h = height - y;
  if (w > 0 && h > 0) pv_fb_flush((uint32_t)x, (uint32_t)y, (uint32_t)w, (uint32_t)h);
}

static void draw_cell(int c, int r) {
  int x = CANVAS_X + c * CELL, y = CANVAS_Y + r * CELL;
  uint8_t v = grid[r * cols + c];
  fill(x, y, CELL, CELL, v ? palette[v - 1] : CANVAS);
  if (c == cur_c && r == cur_r) {
    fill(x, y, CELL, 1, CURSOR);
    fill(x, y + CELL - 1, CELL, 1, CURSOR);
    fill(x, y, 1, CELL, CURSOR);
    fill(x + CELL - 1, y, 1, CELL, CURSOR);
  }
}

static void show_cell(int c, int r) {
  draw_cell(c, r);
  flush(CANVAS_X + c * CELL, CANVAS_Y + r * CELL, CELL, CELL);
}

static void draw_canvas(void) {
  for (int r = 0; r < rows; r++) {
    for (int c = 0; c < cols; c++) draw_cell(c, r);
  }
}

static void draw_palette(void) {
  for (int i = 0; i < NCOLOURS; i++) {
    int x = 8 + 32 * i;
    fill(x, 8, SWATCH, SWATCH, palette[i]);
    fill(x, 34, SWATCH, 3, i == colour ? SELECTED : BACKGROUND);
  }
  flush(8, 8, 32 * NCOLOURS, 29);
}

static void draw_scene(void) {
  fill(0, 0, width, height, BORDER);
  fill(BORDER_W, BORDER_W, width - 2 * BORDER_W, height - 2 * BORDER_W, BACKGROUND);
  int gw = width - 8 - GRADIENT_X;
  for (int x = GRADIENT_X; gw > 1 && x < width - 8; x++) {
    uint32_t red = (uint32_t)((x - GRADIENT_X) * 255 / (gw - 1));
    fill(x, 8, 1, SWATCH, red << 16 | 0x40u << 8 | (255 - red));
  }
  fill(CANVAS_X, CANVAS_Y, cols * CELL, rows * CELL, CANVAS);
  draw_palette();
  draw_canvas();
  flush(0, 0, width, height);
}

static void paint(int c, int r) {
  grid[r * cols + c] = (uint8_t)(colour + 1);
  show_cell(c, r);
}

/* Moves the cursor to (c, r), if that is on the canvas, and paints it. */
static void move_to(int c, int r) {
  if (c < 0 || r < 0 || c >= cols || r >= rows) return;
  int old_c = cur_c, old_r = cur_r;
  cur_c = c;
  cur_r = r;
  if (old_c != c || old_r != r) show_cell(old_c, old_r);
  paint(c, r);
}

static void pointer(int x, int y) {
  if (x < CANVAS_X || y < CANVAS_Y) return;
  move_to((x - CANVAS_X) / CELL, (y - CANVAS_Y) / CELL);
}

/* Handles one event; returns 0 to quit. */
static int handle(const struct pv_input_event *e) {
  if (e->type == PV_INPUT_QUIT) return 0;
  if (e->type == PV_INPUT_MOUSE_DOWN && e->code == PV_MOUSE_LEFT) pointer(e->x, e->y);
  if (e->type == PV_INPUT_MOUSE_MOVE && (e->code & 1)) pointer(e->x, e->y);
  if (e->type != PV_INPUT_KEY_DOWN) return 1;
  switch (e->code) {
  case 'q': case PV_KEY_ESCAPE: return 0;
  case PV_KEY_UP: move_to(cur_c, cur_r - 1); break;
  case PV_KEY_DOWN: move_to(cur_c, cur_r + 1); break;
  case PV_KEY_LEFT: move_to(cur_c - 1, cur_r); break;
  case PV_KEY_RIGHT: move_to(cur_c + 1, cur_r); break;
  case ' ': paint(cur_c, cur_r); break;
  case 'c':
    memset(grid, 0, (size_t)cols * (size_t)rows);
    draw_canvas();
    flush(CANVAS_X, CANVAS_Y, cols * CELL, rows * CELL);
    break;
  default:
    if (e->code >= '1' && e->code < '1' + NCOLOURS) {
      colour = e->code - '1';
      draw_palette();
    }
  }
  return 1;
}

int main(void) {
  pv_ret info = pv_fb_info();
  if (info.value2 != PV_FB_XRGB8888) {
    printf("fbdemo: unknown pixel format %lu\n", info.value2);
    return 1;
  }
  width = (int)(info.value & 0xffff);
  height = (int)(info.value >> 16);
  cols = (width - 16) / CELL;
  rows = (height - 48) / CELL;
  if (cols < 1 || rows < 1) {
    printf("fbdemo: a %dx%d display is too small; use at least 24x56\n", width, height);
    return 1;
  }
  fb = malloc((size_t)width * (size_t)height * 4);
  grid = calloc((size_t)cols * (size_t)rows, 1);
  if (!fb || !grid) {
    printf("fbdemo: no memory for a %dx%d frame; give the machine more --mem\n",
           width, height);
    return 1;
  }
  cur_c = cols / 2;
  cur_r = rows / 2;
  pv_fb_set(fb);
  draw_scene();
  printf("fbdemo: %dx%d; arrows paint, 1-8 colour, c clears, q quits\n", width, height);

  static struct pv_input_event ev[16];
  unsigned long events = 0;
  for (;;) {
    pv_event_wait(PV_EV_INPUT);
    uint32_t n = (uint32_t)pv_input_read(ev, 16).value;
    for (uint32_t i = 0; i < n; i++, events++) {
      if (!handle(&ev[i])) {
        int painted = 0;
        for (int k = 0; k < cols * rows; k++) painted += grid[k] != 0;
        printf("fbdemo: bye after %lu events, %d cells painted\n", events + 1, painted);
        return 0;
      }
    }
  }
}
