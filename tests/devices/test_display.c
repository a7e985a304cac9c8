/* The display and input devices through a real machine: fb_info, fb_set and
 * fb_flush with their validation, the input queue and its rules, PV_EV_INPUT,
 * waits with and without a window (a fake backend stands in for SDL), the
 * QUIT deadline, scripted input, the state hash, and the PNG writer, whose
 * files are decoded here with zlib. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "machine.h"
#include "pvabi_calls.h"
#include "snapshot.h"

#define BASE CPU_RAM_BASE
#define RAM_BYTES (1u << 20)
#define END (BASE + RAM_BYTES)
#define CODE BASE
#define BUF (BASE + 0x2000u)
#define FB (BASE + 0x10000u)
#define W 64u
#define H 32u
#define FB_BYTES (W * H * 4u)
#define FILL 0xccu

#define EBREAK 0x00100073u
#define JUMP_SELF 0x0000006fu /* jal x0, 0 */
#define A0 10
#define A1 11
#define A2 12
#define A3 13
#define A7 17

static machine m;
static dev_frame frame;

static void setup(void) {
  machine_config cfg = {.mem_mib = 1, .seed = 1, .display_width = W,
                        .display_height = H};
  host_error err = {{0}};
  cr_assert(machine_init(&m, &cfg, &err), "%s", err.msg);
  cr_assert(dev_frame_init(&frame, W, H));
  m.display_io = dev_frame_backend(&frame);
  memset(m.ram + (BUF - BASE), FILL, 0x2000);
}

static void teardown(void) {
  machine_free(&m);
  dev_frame_free(&frame);
}

TestSuite(display, .init = setup, .fini = teardown);
TestSuite(input, .init = setup, .fini = teardown);

static uint8_t *host(uint32_t addr) { return m.ram + (addr - BASE); }

/* Runs "hcall; ebreak" at CODE with a0-a3 set and returns the status. */
static int32_t call(uint32_t number, uint32_t a0, uint32_t a1, uint32_t a2,
                    uint32_t a3) {
  static const uint32_t code[] = {PV_HCALL_WORD, EBREAK};
  memcpy(host(CODE), code, sizeof code);
  cpu_code_written(&m.cpu, CODE, sizeof code);
  cpu_reset(&m.cpu, CODE);
  uint32_t *x = m.cpu.s.x;
  x[A7] = number;
  x[A0] = a0;
  x[A1] = a1;
  x[A2] = a2;
  x[A3] = a3;
  uint64_t before = m.cpu.s.icount;
  machine_stop stop = machine_run(&m, before + 1000);
  cr_assert_eq(stop, MACHINE_STOP_EBREAK, "call 0x%x stopped with %d", number, stop);
  return (int32_t)x[A0];
}

static uint32_t res1(void) { return m.cpu.s.x[A1]; }
static uint32_t res2(void) { return m.cpu.s.x[A2]; }

static void expect_status(int32_t got, int32_t want) {
  cr_expect_eq(got, want, "status %s (%d), want %s", pvabi_status_name(got),
               got, pvabi_status_name(want));
}

static uint32_t guest_pixel(uint32_t x, uint32_t y) {
  uint32_t v;
  memcpy(&v, host(FB + 4 * (y * W + x)), 4);
  return v;
}

/* A frame in guest memory whose every pixel is different. */
static void paint_guest_frame(uint32_t salt) {
  for (uint32_t y = 0; y < H; y++) {
    for (uint32_t x = 0; x < W; x++) {
      uint32_t v = (salt + x * 0x010203u + y * 0x100007u) & 0xffffffu;
      memcpy(host(FB + 4 * (y * W + x)), &v, 4);
    }
  }
}

/* ------------------------------------------------------------ fb_info */

Test(display, fb_info_gives_size_and_format) {
  expect_status(call(PV_HC_FB_INFO, 0, 0, 0, 0), PV_OK);
  cr_expect_eq(res1(), W | H << 16);
  cr_expect_eq(res1() & 0xffff, 64);
  cr_expect_eq(res1() >> 16, 32);
  cr_expect_eq(res2(), PV_FB_XRGB8888);
}

Test(display, default_size_is_640x480) {
  machine d;
  machine_config cfg = {.mem_mib = 2};
  host_error err = {{0}};
  cr_assert(machine_init(&d, &cfg, &err), "%s", err.msg);
  cr_expect_eq(d.cfg.display_width, MACHINE_DEFAULT_DISPLAY_W);
  cr_expect_eq(d.cfg.display_height, MACHINE_DEFAULT_DISPLAY_H);
  cr_expect_eq(MACHINE_DEFAULT_DISPLAY_W, 640);
  cr_expect_eq(MACHINE_DEFAULT_DISPLAY_H, 480);
  machine_free(&d);
}

static void expect_size_refused(uint32_t w, uint32_t h) {
  machine d;
  machine_config cfg = {.mem_mib = 1, .display_width = w, .display_height = h};
  host_error err = {{0}};
  cr_assert(!machine_init(&d, &cfg, &err), "%ux%u accepted", w, h);
  char want[64];
  snprintf(want, sizeof want, "%ux%u", w ? w : 640, h ? h : 480);
  cr_expect(strstr(err.msg, want), "message lacks \"%s\": %s", want, err.msg);
  cr_expect(strstr(err.msg, "16 to 4096"), "message lacks the range: %s", err.msg);
  machine_free(&d);
}

Test(display, sizes_out_of_range_are_refused) {
  expect_size_refused(15, 100);
  expect_size_refused(100, 15);
  expect_size_refused(4097, 100);
  expect_size_refused(100, 4097);
  expect_size_refused(0xffffffffu, 0xffffffffu);
  expect_size_refused(0, 5000);
}

Test(display, extreme_sizes_are_accepted) {
  machine d;
  machine_config cfg = {.mem_mib = 1, .display_width = 4096, .display_height = 16};
  host_error err = {{0}};
  cr_assert(machine_init(&d, &cfg, &err), "%s", err.msg);
  machine_free(&d);
  cfg.display_width = 16;
  cfg.display_height = 4096;
  cr_assert(machine_init(&d, &cfg, &err), "%s", err.msg);
  machine_free(&d);
}

/* ------------------------------------------------------------- fb_set */

Test(display, fb_set_names_the_frame_and_shows_it) {
  cr_expect(!frame.shown);
  expect_status(call(PV_HC_FB_SET, FB, 0, 0, 0), PV_OK);
  cr_expect_eq(m.dev.display.fb_set, 1);
  cr_expect_eq(m.dev.display.fb_addr, FB);
  cr_expect(frame.shown, "the backend was not told");
}

Test(display, fb_set_misaligned_is_einval) {
  for (uint32_t off = 1; off < 4; off++) {
    expect_status(call(PV_HC_FB_SET, FB + off, 0, 0, 0), PV_EINVAL);
  }
  cr_expect_eq(m.dev.display.fb_set, 0);
  cr_expect(!frame.shown);
}

Test(display, fb_set_frame_must_lie_wholly_in_ram) {
  expect_status(call(PV_HC_FB_SET, END - FB_BYTES, 0, 0, 0), PV_OK);
  cr_expect_eq(m.dev.display.fb_addr, END - FB_BYTES);
  m.dev.display = (dev_display){0};
  expect_status(call(PV_HC_FB_SET, END - FB_BYTES + 4, 0, 0, 0), PV_EFAULT);
  expect_status(call(PV_HC_FB_SET, END, 0, 0, 0), PV_EFAULT);
  expect_status(call(PV_HC_FB_SET, BASE - 4, 0, 0, 0), PV_EFAULT);
  expect_status(call(PV_HC_FB_SET, 0, 0, 0, 0), PV_EFAULT);
  expect_status(call(PV_HC_FB_SET, 0xfffffffcu, 0, 0, 0), PV_EFAULT);
  cr_expect_eq(m.dev.display.fb_set, 0);
}

Test(display, fb_set_again_switches_buffers) {
  expect_status(call(PV_HC_FB_SET, FB, 0, 0, 0), PV_OK);
  expect_status(call(PV_HC_FB_SET, FB + FB_BYTES, 0, 0, 0), PV_OK);
  cr_expect_eq(m.dev.display.fb_addr, FB + FB_BYTES);
  paint_guest_frame(0);
  memset(host(FB + FB_BYTES), 0x55, FB_BYTES);
  expect_status(call(PV_HC_FB_FLUSH, 0, 0, W, H), PV_OK);
  cr_expect_eq(frame.pixels[0], 0x555555, "flushed from the old buffer");
}

/* ----------------------------------------------------------- fb_flush */

Test(display, fb_flush_before_fb_set_is_einval) {
  expect_status(call(PV_HC_FB_FLUSH, 0, 0, W, H), PV_EINVAL);
  expect_status(call(PV_HC_FB_FLUSH, 0, 0, 0, 0), PV_EINVAL);
  cr_expect_eq(m.dev.display.flushes, 0);
}

Test(display, fb_flush_whole_frame_copies_every_pixel) {
  paint_guest_frame(7);
  expect_status(call(PV_HC_FB_SET, FB, 0, 0, 0), PV_OK);
  expect_status(call(PV_HC_FB_FLUSH, 0, 0, W, H), PV_OK);
  cr_expect_eq(res1(), 0);
  for (uint32_t y = 0; y < H; y++) {
    for (uint32_t x = 0; x < W; x++) {
      if (frame.pixels[y * W + x] != guest_pixel(x, y)) {
        cr_assert_fail("pixel (%u, %u) is 0x%06x, guest has 0x%06x", x, y,
                       frame.pixels[y * W + x], guest_pixel(x, y));
      }
    }
  }
  cr_expect_eq(m.dev.display.flushes, 1);
}

Test(display, fb_flush_copies_only_the_rectangle) {
  paint_guest_frame(1);
  expect_status(call(PV_HC_FB_SET, FB, 0, 0, 0), PV_OK);
  expect_status(call(PV_HC_FB_FLUSH, 3, 2, 5, 4), PV_OK);
  for (uint32_t y = 0; y < H; y++) {
    for (uint32_t x = 0; x < W; x++) {
      bool inside = x >= 3 && x < 8 && y >= 2 && y < 6;
      uint32_t want = inside ? guest_pixel(x, y) : 0;
      if (frame.pixels[y * W + x] != want) {
        cr_assert_fail("pixel (%u, %u) is 0x%06x, want 0x%06x", x, y,
                       frame.pixels[y * W + x], want);
      }
    }
  }
}

Test(display, fb_flush_reads_little_endian_words_and_drops_the_top_byte) {
  static const uint8_t px[4] = {0x11, 0x22, 0x33, 0xff}; /* blue, green, red, x */
  memcpy(host(FB + 4 * (W + 2)), px, 4);
  expect_status(call(PV_HC_FB_SET, FB, 0, 0, 0), PV_OK);
  expect_status(call(PV_HC_FB_FLUSH, 2, 1, 1, 1), PV_OK);
  cr_expect_eq(frame.pixels[W + 2], 0x332211u, "got 0x%08x", frame.pixels[W + 2]);
}

Test(display, fb_flush_copies_the_frame_as_it_is_then) {
  paint_guest_frame(3);
  expect_status(call(PV_HC_FB_SET, FB, 0, 0, 0), PV_OK);
  expect_status(call(PV_HC_FB_FLUSH, 0, 0, W, H), PV_OK);
  uint32_t shown = frame.pixels[5];
  memset(host(FB), 0, FB_BYTES);
  cr_expect_eq(frame.pixels[5], shown, "the host's frame followed guest memory");
  expect_status(call(PV_HC_FB_FLUSH, 0, 0, W, H), PV_OK);
  cr_expect_eq(frame.pixels[5], 0);
}

Test(display, fb_flush_rectangles_off_the_screen_are_refused_whole) {
  paint_guest_frame(9);
  expect_status(call(PV_HC_FB_SET, FB, 0, 0, 0), PV_OK);
  static const uint32_t bad[][4] = {
    {0, 0, W + 1, 1}, {0, 0, 1, H + 1}, {W - 1, 0, 2, 1}, {0, H - 1, 1, 2},
    {W + 1, 0, 0, 0}, {0, H + 1, 0, 0}, {W, 0, 1, 1},
    {0xffffffffu, 0, 2, 1}, {1, 0, 0xffffffffu, 1}, {0, 0xfffffff0u, 1, 0x20},
    {0, 1, 1, 0xffffffffu}, {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    expect_status(call(PV_HC_FB_FLUSH, bad[i][0], bad[i][1], bad[i][2], bad[i][3]),
                  PV_EINVAL);
  }
  for (uint32_t i = 0; i < W * H; i++) {
    if (frame.pixels[i]) cr_assert_fail("pixel %u was copied", i);
  }
  cr_expect_eq(m.dev.display.flushes, 0);
}

Test(display, fb_flush_empty_and_edge_rectangles_are_fine) {
  expect_status(call(PV_HC_FB_SET, FB, 0, 0, 0), PV_OK);
  expect_status(call(PV_HC_FB_FLUSH, 0, 0, 0, 0), PV_OK);
  expect_status(call(PV_HC_FB_FLUSH, W, H, 0, 0), PV_OK);
  expect_status(call(PV_HC_FB_FLUSH, 5, 5, 0, 7), PV_OK);
  paint_guest_frame(11);
  expect_status(call(PV_HC_FB_FLUSH, W - 1, H - 1, 1, 1), PV_OK);
  cr_expect_eq(frame.pixels[W * H - 1], guest_pixel(W - 1, H - 1));
  cr_expect_eq(frame.pixels[W * H - 2], 0);
  cr_expect_eq(m.dev.display.flushes, 4);
}

Test(display, fb_flush_without_a_backend_is_fine) {
  m.display_io = (dev_display_backend){0};
  expect_status(call(PV_HC_FB_SET, FB, 0, 0, 0), PV_OK);
  expect_status(call(PV_HC_FB_FLUSH, 0, 0, W, H), PV_OK);
  cr_expect_eq(m.dev.display.flushes, 1);
}

Test(display, frame_copy_never_writes_outside_the_host_frame) {
  /* a backend whose frame is smaller than the machine's display */
  dev_frame small;
  cr_assert(dev_frame_init(&small, 8, 4));
  paint_guest_frame(5);
  dev_frame_copy(&small, host(FB), W * 4, 6, 2, 10, 10);
  cr_expect_eq(small.pixels[2 * 8 + 6], guest_pixel(0, 0));
  cr_expect_eq(small.pixels[3 * 8 + 7], guest_pixel(1, 1));
  dev_frame_copy(&small, host(FB), W * 4, 8, 0, 1, 1); /* wholly outside */
  dev_frame_free(&small);
}

/* ---------------------------------------------------------- the queue */

static dev_input_event key(uint16_t type, uint16_t code) {
  return (dev_input_event){type, code, 0, 0, 0};
}

static void push(dev_input_event e) { dev_input_push(&m.dev.input, &e); }

Test(input, read_of_an_empty_queue_gives_nothing) {
  expect_status(call(PV_HC_INPUT_READ, BUF, 4, 0, 0), PV_OK);
  cr_expect_eq(res1(), 0);
  for (int i = 0; i < 64; i++) cr_expect_eq(host(BUF)[i], FILL);
}

Test(input, records_are_16_little_endian_bytes_in_order) {
  push((dev_input_event){PV_INPUT_MOUSE_DOWN, PV_MOUSE_RIGHT, 0x12345, -2,
                         PV_MOD_SHIFT | PV_MOD_ALT});
  push(key(PV_INPUT_KEY_DOWN, PV_KEY_F1 + 11));
  push((dev_input_event){PV_INPUT_KEY_UP, 'a', 0, 0, PV_MOD_REPEAT});
  expect_status(call(PV_HC_INPUT_READ, BUF, 16, 0, 0), PV_OK);
  cr_assert_eq(res1(), 3);
  static const uint8_t want[48] = {
    4, 0, 3, 0, 0x45, 0x23, 0x01, 0, 0xfe, 0xff, 0xff, 0xff, 5, 0, 0, 0,
    1, 0, 0x1b, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 0, 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0,
  };
  for (int i = 0; i < 48; i++) {
    cr_expect_eq(host(BUF)[i], want[i], "byte %d is 0x%02x, want 0x%02x", i,
                 host(BUF)[i], want[i]);
  }
  cr_expect_eq(host(BUF)[48], FILL, "wrote past the events");
  struct pv_input_event e;
  cr_assert_eq(sizeof e, PV_INPUT_EVENT_SIZE);
  memcpy(&e, host(BUF), sizeof e);
  cr_expect_eq(e.type, PV_INPUT_MOUSE_DOWN);
  cr_expect_eq(e.x, 0x12345);
  cr_expect_eq(e.y, -2);
  cr_expect_eq(m.dev.input.count, 0);
  cr_expect_eq(m.dev.input.delivered, 3);
}

Test(input, read_takes_at_most_max_oldest_first) {
  for (uint16_t c = 'a'; c <= 'e'; c++) push(key(PV_INPUT_KEY_DOWN, c));
  expect_status(call(PV_HC_INPUT_READ, BUF, 2, 0, 0), PV_OK);
  cr_assert_eq(res1(), 2);
  cr_expect_eq(host(BUF)[2], 'a');
  cr_expect_eq(host(BUF)[16 + 2], 'b');
  cr_expect_eq(host(BUF)[32], FILL);
  expect_status(call(PV_HC_INPUT_READ, BUF, 10, 0, 0), PV_OK);
  cr_assert_eq(res1(), 3);
  cr_expect_eq(host(BUF)[2], 'c');
  cr_expect_eq(host(BUF)[32 + 2], 'e');
  expect_status(call(PV_HC_INPUT_READ, BUF, 10, 0, 0), PV_OK);
  cr_expect_eq(res1(), 0);
}

Test(input, read_bounds) {
  push(key(PV_INPUT_KEY_DOWN, 'x'));
  expect_status(call(PV_HC_INPUT_READ, BUF, 0, 0, 0), PV_EINVAL);
  expect_status(call(PV_HC_INPUT_READ, 0x1000, 1, 0, 0), PV_EFAULT);
  expect_status(call(PV_HC_INPUT_READ, END - 15, 1, 0, 0), PV_EFAULT);
  /* room for 2 events, max 3: refused even though only one waits */
  expect_status(call(PV_HC_INPUT_READ, END - 32, 3, 0, 0), PV_EFAULT);
  /* max * 16 wraps around 2^32 to a small length */
  expect_status(call(PV_HC_INPUT_READ, BUF, 0x10000000u, 0, 0), PV_EFAULT);
  expect_status(call(PV_HC_INPUT_READ, BUF, 0x10000001u, 0, 0), PV_EFAULT);
  expect_status(call(PV_HC_INPUT_READ, BUF, 0xffffffffu, 0, 0), PV_EFAULT);
  cr_expect_eq(m.dev.input.count, 1, "a refused read took the event");
  expect_status(call(PV_HC_INPUT_READ, END - 16, 1, 0, 0), PV_OK);
  cr_expect_eq(res1(), 1);
  cr_expect_eq(host(END - 16)[2], 'x');
}

Test(input, read_at_any_alignment) {
  push(key(PV_INPUT_KEY_DOWN, 'z'));
  expect_status(call(PV_HC_INPUT_READ, BUF + 3, 1, 0, 0), PV_OK);
  cr_expect_eq(res1(), 1);
  cr_expect_eq(host(BUF + 3)[0], PV_INPUT_KEY_DOWN);
  cr_expect_eq(host(BUF + 3)[2], 'z');
  cr_expect_eq(host(BUF + 2)[0], FILL);
}

Test(input, a_full_queue_drops_the_newest) {
  for (unsigned i = 0; i < DEV_INPUT_QUEUE + 6; i++) {
    dev_input_event e = key(PV_INPUT_KEY_DOWN, (uint16_t)(0x100 + i));
    bool kept = dev_input_push(&m.dev.input, &e);
    cr_expect_eq(kept, i < DEV_INPUT_QUEUE, "event %u", i);
  }
  cr_expect_eq(m.dev.input.count, DEV_INPUT_QUEUE);
  cr_expect_eq(m.dev.input.dropped, 6);
  expect_status(call(PV_HC_INPUT_READ, BUF, 64, 0, 0), PV_OK);
  cr_assert_eq(res1(), 64);
  for (unsigned i = 0; i < 64; i++) {
    uint16_t code = (uint16_t)(host(BUF + 16 * i)[2] | host(BUF + 16 * i)[3] << 8);
    cr_expect_eq(code, 0x100 + i, "event %u has code 0x%x", i, code);
  }
}

Test(input, quit_into_a_full_queue_replaces_the_newest) {
  for (unsigned i = 0; i < DEV_INPUT_QUEUE; i++) push(key(PV_INPUT_KEY_DOWN, 'k'));
  dev_input_event q = {PV_INPUT_QUIT, 0, 0, 0, 0};
  cr_expect(dev_input_push(&m.dev.input, &q));
  cr_expect_eq(m.dev.input.count, DEV_INPUT_QUEUE);
  cr_expect_eq(m.dev.input.dropped, 1);
  cr_expect_eq(m.dev.input.quit, 1);
  expect_status(call(PV_HC_INPUT_READ, BUF, 64, 0, 0), PV_OK);
  cr_expect_eq(host(BUF + 16 * 63)[0], PV_INPUT_QUIT);
  cr_expect_eq(host(BUF + 16 * 62)[0], PV_INPUT_KEY_DOWN);
}

Test(input, the_ring_wraps_around) {
  for (unsigned round = 0; round < 5; round++) {
    for (unsigned i = 0; i < 40; i++) push(key(PV_INPUT_KEY_DOWN, (uint16_t)(round * 40 + i)));
    expect_status(call(PV_HC_INPUT_READ, BUF, 64, 0, 0), PV_OK);
    cr_assert_eq(res1(), 40);
    for (unsigned i = 0; i < 40; i++) {
      uint16_t code = (uint16_t)(host(BUF + 16 * i)[2] | host(BUF + 16 * i)[3] << 8);
      cr_expect_eq(code, round * 40 + i);
    }
  }
  cr_expect_eq(m.dev.input.delivered, 200);
  cr_expect_eq(m.dev.input.dropped, 0);
}

Test(input, mouse_moves_merge_only_with_the_same_buttons) {
  push((dev_input_event){PV_INPUT_MOUSE_MOVE, 0, 1, 2, 0});
  push((dev_input_event){PV_INPUT_MOUSE_MOVE, 0, 3, 4, 0});
  cr_expect_eq(m.dev.input.count, 1);
  cr_expect_eq(m.dev.input.ev[0].x, 3);
  cr_expect_eq(m.dev.input.ev[0].y, 4);
  push((dev_input_event){PV_INPUT_MOUSE_MOVE, 1, 5, 6, 0}); /* left held */
  push((dev_input_event){PV_INPUT_MOUSE_MOVE, 1, 5, 7, PV_MOD_CTRL});
  push(key(PV_INPUT_KEY_DOWN, 'm'));
  push((dev_input_event){PV_INPUT_MOUSE_MOVE, 1, 8, 9, PV_MOD_CTRL});
  cr_expect_eq(m.dev.input.count, 5);
  cr_expect_eq(m.dev.input.ev[4].x, 8);
}

Test(input, pending_exactly_while_events_wait) {
  expect_status(call(PV_HC_EVENT_PENDING, 0, 0, 0, 0), PV_OK);
  cr_expect_eq(res1() & PV_EV_INPUT, 0);
  push(key(PV_INPUT_KEY_DOWN, '1'));
  push(key(PV_INPUT_KEY_UP, '1'));
  expect_status(call(PV_HC_EVENT_PENDING, 0, 0, 0, 0), PV_OK);
  cr_expect_eq(res1() & PV_EV_INPUT, PV_EV_INPUT);
  /* level-triggered: acknowledging does not clear it while events wait */
  expect_status(call(PV_HC_EVENT_ACK, PV_EV_INPUT, 0, 0, 0), PV_OK);
  cr_expect_eq(res1() & PV_EV_INPUT, PV_EV_INPUT);
  expect_status(call(PV_HC_INPUT_READ, BUF, 1, 0, 0), PV_OK);
  cr_expect_eq(m.dev.events.pending & PV_EV_INPUT, PV_EV_INPUT);
  expect_status(call(PV_HC_INPUT_READ, BUF, 1, 0, 0), PV_OK);
  cr_expect_eq(m.dev.events.pending & PV_EV_INPUT, 0, "still pending when empty");
  expect_status(call(PV_HC_EVENT_PENDING, 0, 0, 0, 0), PV_OK);
  cr_expect_eq(res1() & PV_EV_INPUT, 0);
}

Test(input, event_wait_returns_at_once_when_events_wait) {
  push(key(PV_INPUT_KEY_DOWN, '1'));
  expect_status(call(PV_HC_EVENT_WAIT, PV_EV_INPUT, 0, 0, 0), PV_OK);
  cr_expect_eq(res1(), PV_EV_INPUT);
}

Test(input, event_wait_headless_with_nothing_to_come_is_a_deadlock) {
  static const uint32_t code[] = {PV_HCALL_WORD, EBREAK};
  memcpy(host(CODE), code, sizeof code);
  cpu_code_written(&m.cpu, CODE, sizeof code);
  cpu_reset(&m.cpu, CODE);
  m.cpu.s.x[A7] = PV_HC_EVENT_WAIT;
  m.cpu.s.x[A0] = PV_EV_INPUT;
  cr_expect_eq(machine_run(&m, 1000), MACHINE_STOP_DEADLOCK);
  cr_expect_eq(m.deadlock_events, PV_EV_INPUT);
  cr_expect_eq(m.cpu.s.pc, CODE);
}

/* ------------------------------------------- a fake window backend */

typedef struct fake {
  bool open;                 /* poll answers "more can come" */
  dev_input_event queued[4]; /* delivered by the poll after a wait */
  int nqueued;
  bool arrive;               /* wait: the events arrive after 5000 ns */
  int polls, waits;
  uint64_t last_now, last_until;
  uint32_t last_max_ms;
} fake;
static fake fk;

static bool fake_poll(void *ctx, dev_input *q) {
  fake *f = ctx;
  f->polls++;
  if (f->arrive && f->waits > 0) {
    for (int i = 0; i < f->nqueued; i++) dev_input_push(q, &f->queued[i]);
    f->nqueued = 0;
  }
  return f->open;
}

static bool fake_wait(void *ctx, uint64_t *now_ns, uint64_t until_ns,
                      uint32_t max_ms) {
  fake *f = ctx;
  f->waits++;
  f->last_now = *now_ns;
  f->last_until = until_ns;
  f->last_max_ms = max_ms;
  if (!f->open) return false;
  if (f->arrive) {
    *now_ns += 5000;
    return true;
  }
  *now_ns = until_ns; /* the host clock reached the deadline */
  return false;
}

static void use_fake(bool open) {
  memset(&fk, 0, sizeof fk);
  fk.open = open;
  m.input_io = (dev_input_backend){&fk, fake_poll, fake_wait};
}

Test(input, the_run_loop_polls_a_window_every_slice) {
  use_fake(true);
  uint64_t lim = machine_input_slice(&m, UINT64_MAX);
  cr_expect_eq(lim, m.cpu.s.icount + 2000000u);
  cr_expect_eq(machine_input_slice(&m, 1000), 1000);
  cr_expect_eq(fk.polls, 2);
  fk.open = false;
  cr_expect_eq(machine_input_slice(&m, UINT64_MAX), UINT64_MAX);
  /* and a loop that never makes a hypercall is still polled */
  static const uint32_t loop[] = {JUMP_SELF};
  memcpy(host(CODE), loop, 4);
  cpu_code_written(&m.cpu, CODE, 4);
  cpu_reset(&m.cpu, CODE);
  fk.open = true;
  fk.polls = 0;
  cr_expect_eq(machine_run(&m, 10000000), MACHINE_STOP_LIMIT);
  cr_expect_geq(fk.polls, 5, "polled %d times in 10M instructions", fk.polls);
}

Test(input, waiting_with_a_window_paces_to_the_timer_deadline) {
  use_fake(true);
  expect_status(call(PV_HC_TIMER_SET, 1000000, 0, 0, 0), PV_OK);
  expect_status(call(PV_HC_EVENT_WAIT, PV_EV_INPUT | PV_EV_TIMER, 0, 0, 0), PV_OK);
  cr_expect_eq(res1(), PV_EV_TIMER);
  cr_expect_eq(fk.last_until, 1000000, "the wait was not given the deadline");
  cr_expect_eq(fk.last_max_ms, 0);
  cr_expect_eq(dev_timer_now(&m.dev.timer, m.cpu.s.icount), 1000000 + 1,
               "virtual time is not the deadline (plus the ebreak's call)");
}

Test(input, input_arriving_during_a_wait_ends_it_and_time_has_passed) {
  use_fake(true);
  fk.arrive = true;
  fk.queued[0] = key(PV_INPUT_KEY_DOWN, 'w');
  fk.nqueued = 1;
  expect_status(call(PV_HC_TIMER_SET, 1000000, 0, 0, 0), PV_OK);
  uint64_t idle = m.dev.timer.idle_ns;
  expect_status(call(PV_HC_EVENT_WAIT, PV_EV_INPUT | PV_EV_TIMER, 0, 0, 0), PV_OK);
  cr_expect_eq(res1(), PV_EV_INPUT);
  cr_expect_eq(fk.waits, 1);
  cr_expect_eq(m.dev.timer.idle_ns - idle, 5000, "the host's 5000 ns did not pass");
  cr_expect_eq(m.dev.timer.armed, 1, "the timer fired early");
  expect_status(call(PV_HC_INPUT_READ, BUF, 4, 0, 0), PV_OK);
  cr_expect_eq(res1(), 1);
  cr_expect_eq(host(BUF)[2], 'w');
}

Test(input, a_window_that_closes_during_a_wait_ends_it_with_quit) {
  use_fake(true);
  fk.arrive = true;
  fk.queued[0] = (dev_input_event){PV_INPUT_QUIT, 0, 0, 0, 0};
  fk.nqueued = 1;
  expect_status(call(PV_HC_EVENT_WAIT, PV_EV_INPUT, 0, 0, 0), PV_OK);
  cr_expect_eq(res1(), PV_EV_INPUT);
  cr_expect_eq(fk.last_until, UINT64_MAX);
  cr_expect_eq(m.dev.input.quit, 1);
  cr_expect_eq(m.dev.input.quit_deadline_ns,
               dev_timer_now(&m.dev.timer, m.cpu.s.icount) - 1 + DEV_QUIT_GRACE_NS,
               "deadline %llu", (unsigned long long)m.dev.input.quit_deadline_ns);
}

Test(input, no_host_wait_when_only_an_unarmed_timer_is_wanted) {
  use_fake(true);
  static const uint32_t code[] = {PV_HCALL_WORD, EBREAK};
  memcpy(host(CODE), code, sizeof code);
  cpu_code_written(&m.cpu, CODE, sizeof code);
  cpu_reset(&m.cpu, CODE);
  m.cpu.s.x[A7] = PV_HC_EVENT_WAIT;
  m.cpu.s.x[A0] = PV_EV_TIMER;
  cr_expect_eq(machine_run(&m, 1000), MACHINE_STOP_DEADLOCK);
  cr_expect_eq(fk.waits, 0);
}

Test(input, a_guest_that_ignores_quit_is_stopped_at_the_deadline) {
  dev_input_script s;
  char err[512];
  cr_assert(dev_input_script_parse(&s, "<quit>", err, sizeof err), "%s", err);
  m.input_io = dev_input_script_backend(&s);
  static const uint32_t loop[] = {JUMP_SELF};
  memcpy(host(CODE), loop, 4);
  cpu_code_written(&m.cpu, CODE, 4);
  cpu_reset(&m.cpu, CODE);
  cr_expect_eq(machine_run(&m, 1000), MACHINE_STOP_LIMIT);
  cr_assert_eq(m.dev.input.quit_deadline_ns, DEV_QUIT_GRACE_NS,
               "QUIT queued at time 0 gives the deadline of the grace");
  /* a shorter deadline so the test need not run a billion instructions */
  m.dev.input.quit_deadline_ns = 50000;
  cr_expect_eq(machine_run(&m, UINT64_MAX), MACHINE_STOP_CLOSED);
  cr_expect_eq(m.cpu.s.icount, 50000, "stopped at %llu",
               (unsigned long long)m.cpu.s.icount);
  cr_expect_eq(m.dev.input.count, 1, "the QUIT is still unread");
  dev_input_script_free(&s);
}

/* ------------------------------------------------------ scripted input */

static dev_input_script script;
static char script_err[512];

static void parse(const char *text) {
  cr_assert(dev_input_script_parse(&script, text, script_err, sizeof script_err),
            "\"%s\": %s", text, script_err);
}

static void expect_event(size_t i, uint16_t type, uint16_t code, int32_t x,
                         int32_t y, uint32_t mods) {
  cr_assert_lt(i, script.n);
  const dev_input_event *e = &script.ev[i];
  cr_expect(e->type == type && e->code == code && e->x == x && e->y == y &&
            e->mods == mods, "event %zu is {%u, 0x%x, %d, %d, 0x%x}", i,
            e->type, e->code, e->x, e->y, e->mods);
}

Test(input, script_syntax) {
  parse("aB<up><enter><click:10,20><move:3,4><quit><f12><lt>\n");
  expect_event(0, PV_INPUT_KEY_DOWN, 'a', 0, 0, 0);
  expect_event(1, PV_INPUT_KEY_UP, 'a', 0, 0, 0);
  expect_event(2, PV_INPUT_KEY_DOWN, 'b', 0, 0, PV_MOD_SHIFT);
  expect_event(3, PV_INPUT_KEY_UP, 'b', 0, 0, PV_MOD_SHIFT);
  expect_event(4, PV_INPUT_KEY_DOWN, PV_KEY_UP, 0, 0, 0);
  expect_event(6, PV_INPUT_KEY_DOWN, PV_KEY_ENTER, 0, 0, 0);
  expect_event(8, PV_INPUT_MOUSE_MOVE, 0, 10, 20, 0);
  expect_event(9, PV_INPUT_MOUSE_DOWN, PV_MOUSE_LEFT, 10, 20, 0);
  expect_event(10, PV_INPUT_MOUSE_UP, PV_MOUSE_LEFT, 10, 20, 0);
  expect_event(11, PV_INPUT_MOUSE_MOVE, 0, 3, 4, 0);
  expect_event(12, PV_INPUT_QUIT, 0, 0, 0, 0);
  expect_event(13, PV_INPUT_KEY_DOWN, PV_KEY_F1 + 11, 0, 0, 0);
  expect_event(15, PV_INPUT_KEY_DOWN, '<', 0, 0, 0);
  expect_event(17, PV_INPUT_KEY_DOWN, PV_KEY_ENTER, 0, 0, 0);
  cr_expect_eq(script.n, 19);
  dev_input_script_free(&script);
  parse("");
  cr_expect_eq(script.n, 0);
  dev_input_script_free(&script);
}

static void expect_bad(const char *text, const char *needle) {
  cr_expect(!dev_input_script_parse(&script, text, script_err, sizeof script_err),
            "\"%s\" accepted", text);
  cr_expect(strstr(script_err, needle), "\"%s\": message lacks \"%s\": %s", text,
            needle, script_err);
  cr_expect(strstr(script_err, "<click:X,Y>"), "no hint: %s", script_err);
  cr_expect_null(script.ev);
}

Test(input, script_errors_name_the_offending_part) {
  expect_bad("ab<nope>", "'<nope>' at offset 2");
  expect_bad("<up", "unclosed <");
  expect_bad("<f13>", "'<f13>'");
  expect_bad("<f0>", "'<f0>'");
  expect_bad("<click:1>", "'<click:1>'");
  expect_bad("<click:-1,2>", "'<click:-1,2>'");
  expect_bad("<move:1,2x>", "'<move:1,2x>'");
  expect_bad("x\ty", "\\x09' at offset 1");
  expect_bad("\xc3\xa9", "\\xc3' at offset 0");
}

Test(input, script_events_all_arrive_in_order_without_drops) {
  /* 150 presses: 300 events, far more than the queue holds */
  char text[151];
  for (int i = 0; i < 150; i++) text[i] = (char)('a' + i % 26);
  text[150] = 0;
  parse(text);
  m.input_io = dev_input_script_backend(&script);
  unsigned got = 0;
  for (int round = 0; round < 10 && got < 300; round++) {
    expect_status(call(PV_HC_INPUT_READ, BUF, 50, 0, 0), PV_OK);
    for (uint32_t i = 0; i < res1(); i++, got++) {
      const uint8_t *r = host(BUF + 16 * i);
      cr_assert_eq(r[0], got % 2 ? PV_INPUT_KEY_UP : PV_INPUT_KEY_DOWN);
      cr_assert_eq(r[2], 'a' + (got / 2) % 26, "event %u", got);
    }
  }
  cr_expect_eq(got, 300);
  cr_expect_eq(m.dev.input.dropped, 0);
  expect_status(call(PV_HC_EVENT_PENDING, 0, 0, 0, 0), PV_OK);
  cr_expect_eq(res1() & PV_EV_INPUT, 0);
  dev_input_script_free(&script);
}

Test(input, script_hands_over_to_the_window_when_used_up) {
  parse("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"); /* 80 events */
  use_fake(false);
  script.next = m.input_io;
  m.input_io = dev_input_script_backend(&script);
  cr_expect(machine_input_poll(&m), "scripted events remain");
  cr_expect_eq(fk.polls, 0, "the window was polled before the script ended");
  /* the read makes room, and the run loop's next poll tops the queue up
   * with the rest of the script: only then is the window's turn */
  expect_status(call(PV_HC_INPUT_READ, BUF, 64, 0, 0), PV_OK);
  cr_expect_eq(res1(), 64);
  cr_expect_eq(m.dev.input.count, 16);
  cr_expect_eq(fk.polls, 1);
  cr_expect(!machine_input_poll(&m), "the window is closed, the script done");
  fk.open = true;
  cr_expect(machine_input_poll(&m), "the window is open");
  dev_input_script_free(&script);
}

/* ------------------------------------------------------- state hash */

static void setup_pair(machine *a, machine *b) {
  machine_config cfg = {.mem_mib = 1, .display_width = W, .display_height = H};
  host_error err = {{0}};
  cr_assert(machine_init(a, &cfg, &err), "%s", err.msg);
  cr_assert(machine_init(b, &cfg, &err), "%s", err.msg);
}

Test(input, the_state_hash_covers_the_queue) {
  machine a, b;
  setup_pair(&a, &b);
  cr_assert_eq(machine_state_hash(&a), machine_state_hash(&b));
  dev_input_event e = {PV_INPUT_MOUSE_DOWN, 1, 10, 20, 0};
  dev_input_push(&a.dev.input, &e);
  cr_expect_neq(machine_state_hash(&a), machine_state_hash(&b));
  dev_input_push(&b.dev.input, &e);
  cr_expect_eq(machine_state_hash(&a), machine_state_hash(&b));
  /* every field of a queued event counts */
  for (int field = 0; field < 5; field++) {
    dev_input_event *q = &b.dev.input.ev[b.dev.input.head];
    dev_input_event saved = *q;
    if (field == 0) q->type++;
    if (field == 1) q->code++;
    if (field == 2) q->x++;
    if (field == 3) q->y++;
    if (field == 4) q->mods++;
    cr_expect_neq(machine_state_hash(&a), machine_state_hash(&b), "field %d", field);
    *q = saved;
  }
  /* as do the counters and the QUIT deadline */
  b.dev.input.dropped++;
  cr_expect_neq(machine_state_hash(&a), machine_state_hash(&b));
  b.dev.input.dropped--;
  b.dev.input.quit_deadline_ns = 5;
  cr_expect_neq(machine_state_hash(&a), machine_state_hash(&b));
  b.dev.input.quit_deadline_ns = 0;
  /* but not where the ring happens to start */
  b.dev.input.ev[7] = b.dev.input.ev[b.dev.input.head];
  memset(&b.dev.input.ev[b.dev.input.head], 0, sizeof(dev_input_event));
  b.dev.input.head = 7;
  cr_expect_eq(machine_state_hash(&a), machine_state_hash(&b));
  /* nor events already read (only their count, which both share here) */
  b.dev.input.ev[8] = (dev_input_event){9, 9, 9, 9, 9};
  cr_expect_eq(machine_state_hash(&a), machine_state_hash(&b));
  machine_free(&a);
  machine_free(&b);
}

Test(input, the_state_hash_covers_the_display) {
  machine a, b;
  setup_pair(&a, &b);
  a.dev.display.fb_set = 1;
  cr_expect_neq(machine_state_hash(&a), machine_state_hash(&b));
  b.dev.display.fb_set = 1;
  cr_expect_eq(machine_state_hash(&a), machine_state_hash(&b));
  a.dev.display.fb_addr = FB;
  cr_expect_neq(machine_state_hash(&a), machine_state_hash(&b));
  b.dev.display.fb_addr = FB;
  b.dev.display.flushes = 1;
  cr_expect_neq(machine_state_hash(&a), machine_state_hash(&b));
  machine_free(&a);
  machine_free(&b);
  machine_config c1 = {.mem_mib = 1, .display_width = 64, .display_height = 32};
  machine_config c2 = {.mem_mib = 1, .display_width = 32, .display_height = 64};
  host_error err = {{0}};
  cr_assert(machine_init(&a, &c1, &err) && machine_init(&b, &c2, &err));
  cr_expect_neq(machine_state_hash(&a), machine_state_hash(&b));
  machine_free(&a);
  machine_free(&b);
}

/* ---------------------------------------------------------------- PNG */

typedef struct png {
  uint32_t width, height;
  uint8_t depth, colour, compression, filter, interlace;
  uint8_t *rgb; /* width * height * 3 */
  int chunks;
  char order[8][5];
} png;

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Decodes what dev_png_write writes, checking every chunk's CRC. */
static void png_decode(const char *path, png *out) {
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "rb");
  cr_assert(f, "cannot open %s", path);
  static uint8_t file[1 << 20];
  size_t n = fread(file, 1, sizeof file, f);
  fclose(f);
  static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  cr_assert(n > 8 && memcmp(file, sig, 8) == 0, "no PNG signature");
  uint8_t *idat = NULL;
  size_t idat_len = 0, pos = 8;
  while (pos + 12 <= n) {
    uint32_t len = be32(file + pos);
    cr_assert_leq(pos + 12 + len, n, "chunk runs past the end");
    const uint8_t *type = file + pos + 4, *data = file + pos + 8;
    uint32_t crc = (uint32_t)crc32(crc32(0, Z_NULL, 0), type, 4 + len);
    cr_assert_eq(be32(data + len), crc, "bad CRC on %.4s", (const char *)type);
    if (out->chunks < 8) memcpy(out->order[out->chunks], type, 4);
    out->chunks++;
    if (!memcmp(type, "IHDR", 4)) {
      cr_assert_eq(len, 13);
      out->width = be32(data);
      out->height = be32(data + 4);
      out->depth = data[8];
      out->colour = data[9];
      out->compression = data[10];
      out->filter = data[11];
      out->interlace = data[12];
    } else if (!memcmp(type, "IDAT", 4)) {
      idat = realloc(idat, idat_len + len);
      memcpy(idat + idat_len, data, len);
      idat_len += len;
    }
    pos += 12 + len;
  }
  cr_assert_eq(pos, n, "bytes after the last chunk");
  uLongf raw_len = (uLongf)(1 + out->width * 3) * out->height;
  uint8_t *raw = malloc(raw_len + 1);
  uLongf got = raw_len + 1;
  cr_assert_eq(uncompress(raw, &got, idat, (uLong)idat_len), Z_OK);
  cr_assert_eq(got, raw_len);
  out->rgb = malloc((size_t)out->width * out->height * 3);
  for (uint32_t y = 0; y < out->height; y++) {
    const uint8_t *row = raw + y * (1 + out->width * 3);
    cr_assert_eq(row[0], 0, "row %u uses filter %u", y, row[0]);
    memcpy(out->rgb + (size_t)y * out->width * 3, row + 1, out->width * 3);
  }
  free(raw);
  free(idat);
}

static char tmpdir[64];

static void png_setup(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/pvlab-test-png-XXXXXX");
  cr_assert(mkdtemp(tmpdir));
}

static void png_teardown(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  cr_expect_eq(system(cmd), 0);
}

TestSuite(png, .init = png_setup, .fini = png_teardown);

static int files_in(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

Test(png, pixels_survive_the_round_trip) {
  enum { PW = 7, PH = 5 };
  uint32_t px[PW * PH];
  for (int i = 0; i < PW * PH; i++) px[i] = (uint32_t)(i * 0x0a0b0c + 0x010203) & 0xffffff;
  px[0] = 0xff0000;
  px[1] = 0x00ff00;
  px[2] = 0x0000ff;
  char path[128];
  snprintf(path, sizeof path, "%s/shot.png", tmpdir);
  host_error err = {{0}};
  cr_assert(dev_png_write(path, px, PW, PH, &err), "%s", err.msg);
  png p;
  png_decode(path, &p);
  cr_expect_eq(p.width, PW);
  cr_expect_eq(p.height, PH);
  cr_expect_eq(p.depth, 8);
  cr_expect_eq(p.colour, 2, "not RGB");
  cr_expect_eq(p.compression + p.filter + p.interlace, 0);
  cr_expect_eq(p.chunks, 3);
  cr_expect_str_eq(p.order[0], "IHDR");
  cr_expect_str_eq(p.order[1], "IDAT");
  cr_expect_str_eq(p.order[2], "IEND");
  for (int i = 0; i < PW * PH; i++) {
    uint32_t got = (uint32_t)p.rgb[3 * i] << 16 | (uint32_t)p.rgb[3 * i + 1] << 8 | p.rgb[3 * i + 2];
    cr_expect_eq(got, px[i], "pixel %d is 0x%06x, want 0x%06x", i, got, px[i]);
  }
  cr_expect_eq(p.rgb[0], 0xff, "red first");
  cr_expect_eq(p.rgb[5], 0x00);
  cr_expect_eq(p.rgb[8], 0xff, "blue last");
  free(p.rgb);
  cr_expect_eq(files_in(tmpdir), 1, "a temporary file was left behind");
}

Test(png, the_frame_of_a_machine_saves_as_it_was_flushed) {
  machine_config cfg = {.mem_mib = 1, .display_width = 16, .display_height = 16};
  machine d;
  host_error err = {{0}};
  cr_assert(machine_init(&d, &cfg, &err), "%s", err.msg);
  dev_frame f;
  cr_assert(dev_frame_init(&f, 16, 16));
  uint8_t guest[16 * 16 * 4];
  for (int i = 0; i < 16 * 16; i++) {
    guest[4 * i] = (uint8_t)i;            /* blue */
    guest[4 * i + 1] = (uint8_t)(255 - i); /* green */
    guest[4 * i + 2] = 0x80;              /* red */
    guest[4 * i + 3] = 0xee;              /* ignored */
  }
  dev_frame_copy(&f, guest, 64, 0, 0, 16, 16);
  char path[128];
  snprintf(path, sizeof path, "%s/frame.png", tmpdir);
  cr_assert(dev_png_write(path, f.pixels, f.width, f.height, &err), "%s", err.msg);
  png p;
  png_decode(path, &p);
  for (int i = 0; i < 256; i++) {
    cr_expect(p.rgb[3 * i] == 0x80 && p.rgb[3 * i + 1] == 255 - i && p.rgb[3 * i + 2] == i,
              "pixel %d", i);
  }
  free(p.rgb);
  dev_frame_free(&f);
  machine_free(&d);
}

Test(png, an_existing_file_is_replaced_whole) {
  char path[128];
  snprintf(path, sizeof path, "%s/old.png", tmpdir);
  FILE *f = fopen(path, "wb");
  for (int i = 0; i < 100000; i++) fputc('x', f);
  fclose(f);
  uint32_t px[4] = {1, 2, 3, 4};
  host_error err = {{0}};
  cr_assert(dev_png_write(path, px, 2, 2, &err), "%s", err.msg);
  png p;
  png_decode(path, &p); /* fails on trailing bytes of the old file */
  cr_expect_eq(p.width, 2);
  free(p.rgb);
  cr_expect_eq(files_in(tmpdir), 1);
}

Test(png, errors_name_the_file_and_leave_nothing) {
  char path[160];
  snprintf(path, sizeof path, "%s/no-such-dir/shot.png", tmpdir);
  uint32_t px[1] = {0};
  host_error err = {{0}};
  cr_expect(!dev_png_write(path, px, 1, 1, &err));
  cr_expect(strstr(err.msg, path), "message lacks the path: %s", err.msg);
  cr_expect(strstr(err.msg, "No such file"), "message lacks the reason: %s", err.msg);
  snprintf(path, sizeof path, "%s/empty.png", tmpdir);
  cr_expect(!dev_png_write(path, px, 0, 1, &err));
  cr_expect(strstr(err.msg, path), "%s", err.msg);
  cr_expect_eq(files_in(tmpdir), 0);
  /* a directory in the way: the rename fails, the temporary file goes */
  snprintf(path, sizeof path, "%s/adir", tmpdir);
  cr_assert_eq(mkdir(path, 0700), 0);
  char inner[200];
  snprintf(inner, sizeof inner, "%s/keep", path);
  FILE *f = fopen(inner, "w");
  fclose(f);
  cr_expect(!dev_png_write(path, px, 1, 1, &err));
  cr_expect(strstr(err.msg, path), "%s", err.msg);
  cr_expect_eq(files_in(tmpdir), 1, "a temporary file was left behind");
  cr_expect_eq(access(inner, F_OK), 0);
}
