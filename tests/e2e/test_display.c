/* End to end: the fbdemo guest through the real binary with no display
 * server: its first frame and what scripted keys and clicks paint, read
 * back from --screenshot's PNG and compared pixel by pixel with the scene
 * fbdemo.c documents; QUIT; determinism; the options' errors. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "cli.h"
#include "spawn.h"

#define RUN(...) spawn_pvlab_run(NULL, 0, __VA_ARGS__, (char *)NULL)

/* fbdemo's scene (sample-guests/fbdemo/fbdemo.c) */
#define BACKGROUND 0x202840u
#define BORDER 0xc0c0c0u
#define CURSOR 0xffff00u
#define WHITE 0xffffffu
#define ORANGE 0xffa000u
#define GREEN 0x40d040u
static const uint32_t palette[8] = {
  0xffffff, 0xff4040, 0xffa000, 0xffff40, 0x40d040, 0x40e0e0, 0x4060ff, 0xe040e0,
};

static char dir[64], shot[128];

static void setup(void) {
  /* no display server, whatever the machine running the tests has */
  unsetenv("DISPLAY");
  unsetenv("WAYLAND_DISPLAY");
  snprintf(dir, sizeof dir, "/tmp/pvlab-e2e-display-XXXXXX");
  cr_assert(mkdtemp(dir));
  snprintf(shot, sizeof shot, "%s/shot.png", dir);
}

static void teardown(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_expect_eq(system(cmd), 0);
}

TestSuite(fbdemo, .init = setup, .fini = teardown);
TestSuite(display_cli, .init = setup, .fini = teardown);

/* ------------------------------------------------------ reading PNGs */

typedef struct image {
  uint32_t width, height;
  uint8_t *rgb;
} image;

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Decodes pvlab's screenshots: 8-bit RGB, filter 0; every CRC checked. */
static image load(const char *path) {
  image im = {0};
  FILE *f = fopen(path, "rb");
  cr_assert(f, "no screenshot at %s", path);
  static uint8_t file[4 << 20];
  size_t n = fread(file, 1, sizeof file, f);
  fclose(f);
  cr_assert(n > 8 && !memcmp(file, "\x89PNG\r\n\x1a\n", 8), "%s: not a PNG", path);
  uint8_t *z = malloc(n);
  size_t zlen = 0;
  for (size_t pos = 8; pos + 12 <= n;) {
    uint32_t len = be32(file + pos);
    cr_assert_leq(pos + 12 + len, n);
    const uint8_t *type = file + pos + 4, *data = file + pos + 8;
    cr_assert_eq(be32(data + len), (uint32_t)crc32(crc32(0, Z_NULL, 0), type, 4 + len),
                 "%s: bad CRC on %.4s", path, (const char *)type);
    if (!memcmp(type, "IHDR", 4)) {
      im.width = be32(data);
      im.height = be32(data + 4);
      cr_assert(data[8] == 8 && data[9] == 2 && data[12] == 0, "not 8-bit RGB");
    } else if (!memcmp(type, "IDAT", 4)) {
      memcpy(z + zlen, data, len);
      zlen += len;
    }
    pos += 12 + len;
  }
  uLongf row = 1 + im.width * 3, raw_len = row * im.height;
  uint8_t *raw = malloc(raw_len);
  cr_assert_eq(uncompress(raw, &raw_len, z, (uLong)zlen), Z_OK);
  cr_assert_eq(raw_len, row * im.height);
  im.rgb = malloc((size_t)im.width * im.height * 3);
  for (uint32_t y = 0; y < im.height; y++) {
    cr_assert_eq(raw[y * row], 0, "row %u is filtered", y);
    memcpy(im.rgb + (size_t)y * im.width * 3, raw + y * row + 1, im.width * 3);
  }
  free(raw);
  free(z);
  return im;
}

static uint32_t px(const image *im, uint32_t x, uint32_t y) {
  cr_assert(x < im->width && y < im->height, "(%u, %u) is off the image", x, y);
  const uint8_t *p = im->rgb + 3 * ((size_t)y * im->width + x);
  return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

#define EXPECT_PX(im, x, y, want)                                              \
  cr_expect_eq(px(im, x, y), (uint32_t)(want), "pixel (%u, %u) is 0x%06x, want 0x%06x", \
               (unsigned)(x), (unsigned)(y), px(im, x, y), (unsigned)(want))

/* Cell (c, r) of the canvas: its top-left pixel. */
#define CELL_X(c) (8u + 8u * (c))
#define CELL_Y(r) (40u + 8u * (r))

static void expect_cell(const image *im, unsigned c, unsigned r, uint32_t fill,
                        bool cursor) {
  EXPECT_PX(im, CELL_X(c) + 3, CELL_Y(r) + 4, fill);
  EXPECT_PX(im, CELL_X(c) + 1, CELL_Y(r) + 6, fill);
  uint32_t edge = cursor ? CURSOR : fill;
  EXPECT_PX(im, CELL_X(c), CELL_Y(r), edge);
  EXPECT_PX(im, CELL_X(c) + 7, CELL_Y(r) + 7, edge);
  EXPECT_PX(im, CELL_X(c) + 4, CELL_Y(r) + 7, edge);
}

/* The frame fbdemo draws before any input, for a w x h display. */
static void expect_first_frame(const image *im, uint32_t w, uint32_t h) {
  cr_assert_eq(im->width, w);
  cr_assert_eq(im->height, h);
  EXPECT_PX(im, 0, 0, BORDER);
  EXPECT_PX(im, 3, h / 2, BORDER);
  EXPECT_PX(im, w - 1, h - 1, BORDER);
  EXPECT_PX(im, w / 2, h - 4, BORDER);
  EXPECT_PX(im, 4, 4, BACKGROUND);
  EXPECT_PX(im, w - 5, h - 5, BACKGROUND);
  for (unsigned i = 0; i < 8; i++) {
    EXPECT_PX(im, 8 + 32 * i, 8, palette[i]);
    EXPECT_PX(im, 8 + 32 * i + 23, 31, palette[i]);
    EXPECT_PX(im, 8 + 32 * i + 24, 20, BACKGROUND);
    EXPECT_PX(im, 8 + 32 * i + 5, 35, i == 0 ? WHITE : BACKGROUND);
  }
  /* the gradient: red rises from 0 at x = 264 to 255 at x = w - 9 */
  uint32_t gw = w - 8 - 264;
  for (uint32_t x = 264; x < w - 8; x += 37) {
    uint32_t red = (x - 264) * 255 / (gw - 1);
    EXPECT_PX(im, x, 8, red << 16 | 0x4000 | (255 - red));
    EXPECT_PX(im, x, 31, red << 16 | 0x4000 | (255 - red));
  }
  EXPECT_PX(im, 264, 20, 0x0040ff);
  EXPECT_PX(im, w - 9, 20, 0xff4000);
  EXPECT_PX(im, w - 8, 20, BACKGROUND);
  unsigned cols = (w - 16) / 8, rows = (h - 48) / 8;
  expect_cell(im, 0, 0, 0, false);
  expect_cell(im, cols - 1, rows - 1, 0, false);
  expect_cell(im, cols / 2, rows / 2, 0, true);
  expect_cell(im, cols / 2 + 1, rows / 2, 0, false);
}

/* ------------------------------------------------------------ fbdemo */

Test(fbdemo, first_frame_headless) {
  spawn_result r = RUN("run", spawn_guest("fbdemo"), "--headless", "--keys", "q",
                       "--screenshot", shot);
  cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
  cr_expect(strstr(r.out, "fbdemo: 640x480"), "stdout: %s", r.out);
  cr_expect(strstr(r.out, "bye after 1 events, 0 cells painted"), "stdout: %s", r.out);
  cr_expect_eq(r.err_len, 0, "stderr: %s", r.err);
  image im = load(shot);
  expect_first_frame(&im, 640, 480);
  free(im.rgb);
  spawn_free(&r);
}

Test(fbdemo, keys_paint_what_the_guest_says) {
  /* from the middle cell (39, 27): right, right, down paint three cells
   * white; 3 picks orange; space repaints (41, 28); left paints (40, 28) */
  spawn_result r = RUN("run", spawn_guest("fbdemo"), "--keys",
                       "<right><right><down>3 <left>q", "--screenshot", shot);
  cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
  cr_expect(strstr(r.out, "4 cells painted"), "stdout: %s", r.out);
  image im = load(shot);
  expect_cell(&im, 39, 27, 0, false); /* left without painting */
  expect_cell(&im, 40, 27, WHITE, false);
  expect_cell(&im, 41, 27, WHITE, false);
  expect_cell(&im, 41, 28, ORANGE, false);
  expect_cell(&im, 40, 28, ORANGE, true);
  expect_cell(&im, 39, 28, 0, false);
  EXPECT_PX(&im, 8 + 5, 35, BACKGROUND);       /* no longer selected */
  EXPECT_PX(&im, 8 + 64 + 5, 35, WHITE);       /* colour 3 is */
  free(im.rgb);
  spawn_free(&r);
}

Test(fbdemo, clicks_paint_under_the_pointer) {
  /* 5 is green; (100, 300) is cell (11, 32), (631, 471) is (77, 53) */
  spawn_result r = RUN("run", spawn_guest("fbdemo"), "--keys",
                       "5<click:100,300><click:631,471><click:2,2><esc>",
                       "--screenshot", shot);
  cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
  image im = load(shot);
  expect_cell(&im, 11, 32, GREEN, false);
  expect_cell(&im, 77, 53, GREEN, true);
  expect_cell(&im, 39, 27, 0, false);
  EXPECT_PX(&im, 2, 2, BORDER); /* off the canvas: nothing */
  free(im.rgb);
  spawn_free(&r);
}

Test(fbdemo, other_display_sizes) {
  spawn_result r = RUN("run", spawn_guest("fbdemo"), "--display", "320x200",
                       "--keys", "<up>q", "--screenshot", shot);
  cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
  cr_expect(strstr(r.out, "fbdemo: 320x200"), "stdout: %s", r.out);
  image im = load(shot);
  cr_assert_eq(im.width, 320);
  cr_assert_eq(im.height, 200);
  /* 38 x 19 cells; the cursor started at (19, 9) and went up */
  expect_cell(&im, 19, 8, WHITE, true);
  expect_cell(&im, 19, 9, 0, false);
  EXPECT_PX(&im, 311, 20, 0xff4000);
  EXPECT_PX(&im, 319, 199, BORDER);
  free(im.rgb);
  spawn_free(&r);
}

Test(fbdemo, quit_from_the_window_ends_it_cleanly) {
  spawn_result r = RUN("run", spawn_guest("fbdemo"), "--keys", "<right><quit>");
  cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
  cr_expect(strstr(r.out, "bye after 3 events, 1 cells painted"), "stdout: %s", r.out);
  cr_expect_eq(r.err_len, 0, "stderr: %s", r.err);
  spawn_free(&r);
}

Test(fbdemo, waiting_for_input_that_cannot_come_is_a_deadlock) {
  spawn_result r = RUN("run", spawn_guest("fbdemo"), "--screenshot", shot);
  cr_expect_eq(r.status, CLI_EXIT_DEADLOCK, "status %d: %s", r.status, r.err);
  cr_expect(strstr(r.err, "deadlock"), "stderr: %s", r.err);
  cr_expect(strstr(r.err, "no input can come"), "stderr: %s", r.err);
  cr_expect(strstr(r.err, "main"), "the place is not named: %s", r.err);
  /* and the screenshot is still taken */
  image im = load(shot);
  expect_first_frame(&im, 640, 480);
  free(im.rgb);
  spawn_free(&r);
}

Test(fbdemo, stats_count_frames_and_events) {
  spawn_result r = RUN("run", spawn_guest("fbdemo"), "--stats", "--keys", "q");
  cr_expect_eq(r.status, 0);
  /* the palette, then the whole screen; q down and up */
  cr_expect_str_eq(spawn_stat(&r, "frames flushed"), "2");
  cr_expect_str_eq(spawn_stat(&r, "input events"), "2");
  spawn_free(&r);
  r = RUN("run", spawn_guest("fbdemo"), "--stats", "--keys", "<right>q");
  cr_expect_str_eq(spawn_stat(&r, "frames flushed"), "4"); /* 2 + 2 cells */
  cr_expect_str_eq(spawn_stat(&r, "input events"), "4");
  spawn_free(&r);
}

Test(fbdemo, same_keys_same_run_different_keys_different_state) {
  const char *keys[3] = {"<right><down>2<left><click:50,60>q",
                         "<right><down>2<left><click:50,60>q",
                         "<right><down>2<left><click:50,68>q"};
  char hash[3][64], insns[3][64];
  for (int i = 0; i < 3; i++) {
    spawn_result r = RUN("run", spawn_guest("fbdemo"), "--stats", "--keys", keys[i]);
    cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
    snprintf(hash[i], sizeof hash[i], "%s", spawn_stat(&r, "state hash"));
    snprintf(insns[i], sizeof insns[i], "%s", spawn_stat(&r, "instructions"));
    spawn_free(&r);
  }
  cr_expect_str_eq(hash[0], hash[1]);
  cr_expect_str_eq(insns[0], insns[1]);
  cr_expect_str_neq(hash[0], hash[2]);
}

Test(fbdemo, a_display_server_that_is_not_there_falls_back_to_headless) {
  setenv("DISPLAY", ":97", 1);
  setenv("SDL_VIDEODRIVER", "x11", 1);
  spawn_result r = RUN("run", spawn_guest("fbdemo"), "--keys", "<left>q",
                       "--screenshot", shot);
  cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
  cr_expect(strstr(r.err, "cannot open a window for the display"), "stderr: %s", r.err);
  cr_expect(strstr(r.err, "--headless"), "stderr: %s", r.err);
  image im = load(shot);
  expect_cell(&im, 38, 27, WHITE, true);
  free(im.rgb);
  spawn_free(&r);
  /* --headless does not even try */
  r = RUN("run", spawn_guest("fbdemo"), "--headless", "--keys", "q");
  cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
  cr_expect_eq(r.err_len, 0, "stderr: %s", r.err);
  spawn_free(&r);
}

/* ----------------------------------------------------- the options */

static void expect_usage_error(const char *opt, const char *value,
                               const char *needle) {
  spawn_result r = RUN("run", spawn_guest("fbdemo"), opt, value);
  cr_expect_eq(r.status, CLI_EXIT_HOST, "%s %s: status %d", opt, value, r.status);
  cr_expect(strstr(r.err, needle), "%s %s: stderr lacks \"%s\": %s", opt, value,
            needle, r.err);
  cr_expect_eq(r.out_len, 0, "the guest ran: %s", r.out);
  spawn_free(&r);
}

Test(display_cli, bad_display_sizes) {
  const char *bad[] = {"0x480", "640x", "x480", "640x480x", "640*480", "15x100",
                       "100x4097", "640X480", "-640x480", "", "99999999999x1"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    expect_usage_error("--display", bad[i], "is not WIDTHxHEIGHT with each from 16 to 4096");
  }
}

Test(display_cli, bad_keys) {
  expect_usage_error("--keys", "ab<sideways>", "--keys: unknown key or mouse action '<sideways>' at offset 2");
  expect_usage_error("--keys", "<up", "unclosed <");
}

Test(display_cli, screenshot_that_cannot_be_written) {
  char path[160];
  snprintf(path, sizeof path, "%s/missing/shot.png", dir);
  spawn_result r = RUN("run", spawn_guest("fbdemo"), "--keys", "q", "--screenshot", path);
  cr_expect_eq(r.status, CLI_EXIT_HOST, "status %d", r.status);
  cr_expect(strstr(r.err, "cannot write screenshot"), "stderr: %s", r.err);
  cr_expect(strstr(r.err, path), "stderr: %s", r.err);
  cr_expect(strstr(r.out, "bye"), "the guest did not run: %s", r.out);
  spawn_free(&r);
}

Test(display_cli, screenshot_of_a_guest_without_a_display_is_black) {
  spawn_result r = RUN("run", spawn_guest("hello"), "--display", "32x16",
                       "--screenshot", shot);
  cr_expect_eq(r.status, 0);
  cr_expect(strstr(r.err, "never named a framebuffer"), "stderr: %s", r.err);
  image im = load(shot);
  cr_assert_eq(im.width, 32);
  cr_assert_eq(im.height, 16);
  for (uint32_t y = 0; y < 16; y++) {
    for (uint32_t x = 0; x < 32; x++) EXPECT_PX(&im, x, y, 0);
  }
  free(im.rgb);
  spawn_free(&r);
}

Test(display_cli, help_lists_the_options) {
  spawn_result r = RUN("help", "run");
  cr_expect_eq(r.status, 0);
  const char *opts[] = {"--headless", "--screenshot FILE", "--display WxH", "--keys KEYS"};
  for (size_t i = 0; i < 4; i++) {
    cr_expect(strstr(r.out, opts[i]), "help lacks %s:\n%s", opts[i], r.out);
  }
  spawn_free(&r);
}
