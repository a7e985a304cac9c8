/* The virtual devices: each one's guest-visible state (plain data, part of
 * every snapshot and state hash) and the host backends behind it (function
 * pointers the front end or a test provides; never part of the state). */
#ifndef PVLAB_DEVICES_H
#define PVLAB_DEVICES_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "host.h"
#include "pvabi.h"

typedef struct dev_console {
  uint8_t input_closed; /* the host said end of input; stays closed */
  uint64_t bytes_in, bytes_out;
} dev_console;

typedef struct dev_power {
  uint8_t off;        /* the guest called shutdown */
  uint32_t exit_code;
} dev_power;

/* With jitter (machine_config.jitter, docs/pvabi.md "Timer jitter") the
 * clock starts at phase_ns and each armed deadline fires delay_ns late,
 * both drawn from jitter_rng; without it all three stay 0. */
typedef struct dev_timer {
  uint64_t idle_ns;     /* virtual time skipped while the guest waited */
  uint64_t deadline_ns; /* when armed: the virtual time it fires at (the
                           guest's deadline + delay_ns) */
  uint8_t armed;
  uint64_t phase_ns;    /* virtual time at instruction 0 */
  uint64_t delay_ns;    /* the delay the last timer_set drew (0 when it
                           disarmed the timer) */
  uint64_t jitter_rng;  /* splitmix64 state, independent of dev_rng's */
} dev_timer;

/* Pending and enabled event bits (PV_EV_*). */
typedef struct dev_events {
  uint32_t pending;
  uint32_t mask;
} dev_events;

/* The vCPU: where the kernel's trap frame is and where traps enter. */
typedef struct dev_vcpu {
  uint8_t registered;
  uint32_t frame; /* guest physical address of the struct pv_vcpu */
  uint32_t entry; /* the kernel's trap entry point */
} dev_vcpu;

/* The RNG: xoshiro128** state. */
typedef struct dev_rng {
  uint32_t s[4];
} dev_rng;

typedef struct dev_debug {
  uint8_t break_requested; /* debug_break was called; the machine stops */
  uint64_t log_calls;
} dev_debug;

/* The block device's registers.  The disk's contents are the image's
 * sectors under the overlay of sectors the guest wrote; both live host
 * side (dev_disk_host), and the overlay is guest-visible state all the
 * same: the state hash covers it. */
typedef struct dev_disk {
  uint8_t attached; /* an image is attached (PV_DISK_ATTACHED) */
  uint8_t persist;  /* writes are committed to it (PV_DISK_PERSIST) */
  uint32_t sectors; /* its size in PV_DISK_SECTOR-byte sectors */
} dev_disk;

/* The display: which guest memory holds the frame.  The frame's size is
 * the machine's configuration (machine_config.display_width, _height). */
typedef struct dev_display {
  uint8_t fb_set;   /* the guest has named its framebuffer */
  uint32_t fb_addr; /* guest physical address of pixel (0, 0) */
  uint64_t flushes; /* successful fb_flush calls */
} dev_display;

/* Input: a FIFO of events waiting for input_read (devices/input.c has the
 * rules: what a full queue refuses, which mouse moves merge). */
#define DEV_INPUT_QUEUE 64u
typedef struct dev_input_event {
  uint16_t type, code; /* PV_INPUT_*, PV_KEY_* / PV_MOUSE_* */
  int32_t x, y;
  uint32_t mods;       /* PV_MOD_* */
} dev_input_event;
typedef struct dev_input {
  dev_input_event ev[DEV_INPUT_QUEUE];
  uint32_t head, count;      /* the oldest event is ev[head] */
  uint64_t delivered;        /* events input_read handed to the guest */
  uint64_t dropped;          /* events refused because the queue was full */
  uint8_t quit;              /* a QUIT event has been queued */
  uint64_t quit_deadline_ns; /* after a QUIT: the virtual time by which the
                                guest must have shut down; 0 before */
} dev_input;

typedef struct dev_state {
  dev_console console;
  dev_power power;
  dev_timer timer;
  dev_debug debug;
  dev_events events;
  dev_vcpu vcpu;
  dev_rng rng;
  dev_disk disk;
  dev_display display;
  dev_input input;
} dev_state;

/* Console backend.  read() returns the number of bytes read (> 0), 0 at
 * end of input, DEV_AGAIN when nothing is available yet, DEV_ERROR when the
 * host failed.  write() returns false when the host failed. */
#define DEV_AGAIN (-1L)
#define DEV_ERROR (-2L)
typedef struct dev_console_backend {
  void *ctx;
  bool (*write)(void *ctx, const uint8_t *buf, size_t len);
  long (*read)(void *ctx, uint8_t *buf, size_t len);
  /* Whether a read would return something now (bytes or end of input);
   * with wait, blocks until it would.  A backend whose input is a file,
   * pipe or buffer answers true until its end has been read: its bytes
   * count as typed before the run began, which keeps runs deterministic. */
  bool (*ready)(void *ctx, bool wait);
} dev_console_backend;

/* Where debug_log messages go (already escaped to printable text). */
typedef struct dev_log_backend {
  void *ctx;
  void (*log)(void *ctx, const char *text);
} dev_log_backend;

/* A console on host file descriptors, for the command line.  When the
 * input is not a terminal, reads wait for the data the guest asked for (or
 * end of input), so what the guest sees depends only on the bytes, never on
 * how fast they arrive: runs fed from a file or pipe are deterministic. */
typedef struct dev_console_fd {
  int in_fd, out_fd;
  bool in_is_tty;
  /* When set: a wait for a terminal gives up (nothing ready) soon after
   * *interrupt is (Ctrl-C), instead of blocking until a key comes. */
  volatile sig_atomic_t *interrupt;
} dev_console_fd;
dev_console_backend dev_console_fd_backend(dev_console_fd *fd);

/* A console on memory buffers, for tests and replays: reads come from a
 * fixed input, writes are appended to a growing buffer. */
typedef struct dev_console_mem {
  const uint8_t *in;
  size_t in_len, in_pos;
  bool in_open; /* true: DEV_AGAIN when in is used up, not end of input */
  uint8_t *out;
  size_t out_len, out_cap;
} dev_console_mem;
dev_console_backend dev_console_mem_backend(dev_console_mem *mem);
void dev_console_mem_free(dev_console_mem *mem);

/* Nanoseconds of virtual time per retired instruction: the virtual CPU runs
 * at a fixed 1 GHz, whatever the host does. */
#define DEV_NS_PER_INSN 1u
uint64_t dev_timer_now(const dev_timer *t, uint64_t icount);
/* The instruction count at which virtual time reaches ns (0 if it has
 * always been past it). */
uint64_t dev_timer_icount_at(const dev_timer *t, uint64_t ns);
/* The instruction count at which an armed timer's deadline is reached. */
uint64_t dev_timer_due_icount(const dev_timer *t);

/* Timer jitter's bounds: the phase is 0 to DEV_JITTER_PHASE_NS - 1 ns,
 * each delay 0 to DEV_JITTER_DELAY_NS - 1 ns, uniformly. */
#define DEV_JITTER_PHASE_NS 1000000u /* 1 ms */
#define DEV_JITTER_DELAY_NS 10000u   /* 10 us */
/* The timer at reset: all zero, or with jitter its generator seeded from
 * seed and the phase drawn. */
void dev_timer_reset(dev_timer *t, bool jitter, uint64_t seed);
/* The next jitter delay, 0 to DEV_JITTER_DELAY_NS - 1 (advances the
 * generator). */
uint64_t dev_timer_draw_delay(dev_timer *t);

/* The RNG's generator, for the device and its tests. */
void dev_rng_seed(dev_rng *r, uint64_t seed);
uint32_t dev_rng_next(dev_rng *r);
/* One step of splitmix64: the next 64-bit value from state *x. */
uint64_t dev_splitmix64(uint64_t *x);

/* The disk's copy-on-write overlay (devices/disk_overlay.c): the sectors
 * the guest wrote, sorted by sector number; the i-th one's bytes are slot
 * index[i].slot of data (PV_DISK_SECTOR bytes a slot, never moved). */
typedef struct dev_disk_entry {
  uint32_t sector, slot;
} dev_disk_entry;
typedef struct dev_disk_overlay {
  dev_disk_entry *index;
  uint8_t *data;
  uint32_t count, cap;
} dev_disk_overlay;
/* The position of the first entry at or after sector (count if none). */
uint32_t dev_disk_overlay_lower(const dev_disk_overlay *ov, uint32_t sector);
/* The bytes of the i-th entry in sector order. */
const uint8_t *dev_disk_overlay_at(const dev_disk_overlay *ov, uint32_t i);
/* The bytes the guest wrote to sector, or NULL if it never wrote it. */
const uint8_t *dev_disk_overlay_find(const dev_disk_overlay *ov,
                                     uint32_t sector);
/* Records a written sector; false when the host is out of memory. */
bool dev_disk_overlay_put(dev_disk_overlay *ov, uint32_t sector,
                          const uint8_t *bytes)
    __attribute__((warn_unused_result));
void dev_disk_overlay_free(dev_disk_overlay *ov);

/* The steps of a --disk-write commit (devices/disk_commit.c), for a test
 * hook that makes one fail or kills the process just before it. */
typedef enum dev_disk_step {
  DEV_DISK_STEP_CREATE,   /* create the temporary file beside the image */
  DEV_DISK_STEP_COPY,     /* write one chunk of the new image to it */
  DEV_DISK_STEP_SYNC,     /* fsync it */
  DEV_DISK_STEP_RENAME,   /* rename it over the image */
  DEV_DISK_STEP_SYNC_DIR, /* fsync the directory */
} dev_disk_step;

/* The image behind the disk: host side, beside dev_disk. */
typedef struct dev_disk_host {
  char *path;       /* as the user gave it, for messages; NULL: no disk */
  char *target;     /* symlinks resolved: the file a commit replaces */
  char *dir;        /* target's directory */
  int fd;           /* the image (with --disk-write open for writing too,
                       and holding the writer's lock: devices/disk_lock.c) */
  uint32_t sectors;
  bool persist;     /* --disk-write */
  bool dirty;       /* written since the last commit */
  /* What attaching found beside the image: temporary files of commits
   * that were killed (IMAGE.pvlab-XXXXXX), removed with --disk-write (the
   * run holds the writer's lock: no other commit can be under way),
   * otherwise only counted, for the front end to mention. */
  uint32_t strays_removed, strays_left;
  dev_disk_overlay overlay;
  /* A disk restored from a snapshot has no image file (fd is -1, target
   * and dir NULL): the image's non-zero sectors are in mem_image instead
   * (the others read as zeros).  Nothing is ever committed to it:
   * machine_disk_commit does nothing, whatever persist says. */
  bool in_memory;
  dev_disk_overlay mem_image;
  /* NULL but in tests: returning false makes the step fail like EIO */
  bool (*commit_hook)(void *ctx, dev_disk_step step);
  void *commit_hook_ctx;
} dev_disk_host;
/* Sets the registers from the attached image (after a reset zeroed them). */
void dev_disk_reset(dev_disk *d, const dev_disk_host *h);
/* Reads n sectors of the image itself (not the overlay): the file, or
 * mem_image for a disk restored from a snapshot. */
bool dev_disk_image_read(const dev_disk_host *h, uint32_t sector, uint32_t n,
                         uint8_t *buf) __attribute__((warn_unused_result));
/* Where the image itself may hold data: the first run [*start, *end) of
 * sectors at or after from that the file system does not call a hole
 * (SEEK_DATA, SEEK_HOLE; everything, where it cannot say), or for a disk
 * restored from a snapshot a run of mem_image's sectors.  False when only
 * holes (zeros) follow.  Lets a snapshot or a commit of a sparse image cost
 * what it holds, not its size. */
bool dev_disk_image_data(const dev_disk_host *h, uint32_t from, uint32_t *start,
                         uint32_t *end);
/* --disk-write's one-writer lock (devices/disk_lock.c): an open file
 * description lock (flock where there is none) on fd's file, which must be
 * open for writing.  0, or an errno: EAGAIN when another open file holds
 * it.  The holder's process id, for a message: 0 when the system cannot
 * say.  Then the stray temporary files beside an attached image. */
int dev_disk_lock(int fd) __attribute__((warn_unused_result));
long dev_disk_lock_holder(int fd);
void dev_disk_sweep(dev_disk_host *h);
/* Closes the image and frees the overlay; uncommitted writes are lost. */
void dev_disk_close(dev_disk_host *h);

/* Display backend: where the guest's frame is shown.  show() is called
 * when the guest names its framebuffer (a window may open then); flush()
 * gets each flushed rectangle: src points at its top-left pixel in guest
 * memory, rows stride bytes apart, PV_FB_XRGB8888. */
typedef struct dev_display_backend {
  void *ctx;
  void (*show)(void *ctx);
  void (*flush)(void *ctx, const uint8_t *src, uint32_t stride, uint32_t x,
                uint32_t y, uint32_t w, uint32_t h);
} dev_display_backend;

/* Input backend: where input events come from.  poll() moves the events
 * waiting on the host into the queue (dev_input_push) and returns whether
 * more can still come later (a window is open, scripted events remain).
 * wait() is for a guest waiting with a window open: it blocks in host time
 * until host events are waiting, or the host's clock reaches virtual time
 * until_ns (UINT64_MAX: no deadline), or for max_ms (0: no limit).  The
 * backend keeps the clocks in step: on entry *now_ns is the virtual time,
 * on return the virtual time the host's clock stands for (at most
 * until_ns).  It returns false at once when waiting can bring no input (no
 * window), and false when until_ns has been reached.  A NULL poll means no
 * input at all. */
typedef struct dev_input_backend {
  void *ctx;
  bool (*poll)(void *ctx, dev_input *q);
  bool (*wait)(void *ctx, uint64_t *now_ns, uint64_t until_ns, uint32_t max_ms);
} dev_input_backend;

/* Queues an event; false when the queue was full and it was dropped. */
bool dev_input_push(dev_input *q, const dev_input_event *e);

/* The host's copy of the frame (devices/frame.c): what the flushes so far
 * have shown.  On its own it is the headless display backend; a window
 * keeps one too; screenshots save it. */
typedef struct dev_frame {
  uint32_t width, height;
  uint32_t *pixels; /* width * height 0x00RRGGBB values, black at first */
  bool shown;       /* the guest has named a framebuffer */
} dev_frame;
/* false when the host is out of memory. */
bool dev_frame_init(dev_frame *f, uint32_t width, uint32_t height)
    __attribute__((warn_unused_result));
void dev_frame_free(dev_frame *f);
void dev_frame_copy(dev_frame *f, const uint8_t *src, uint32_t stride,
                    uint32_t x, uint32_t y, uint32_t w, uint32_t h);
dev_display_backend dev_frame_backend(dev_frame *f);

/* Scripted input (devices/input_script.c), from text such as
 * "ab<up><enter><click:10,20><quit>": a character presses and releases
 * its key (an upper-case letter with shift), <name> a named key, <click:X,Y>
 * moves the mouse there and clicks the left button, <move:X,Y> moves it,
 * <quit> closes the window.  The events count as having happened before
 * the run began: they fill the queue whenever it has room, so the guest
 * sees the same thing however fast it runs.  Once they are used up, next
 * (if it has a poll) takes over. */
typedef struct dev_input_script {
  dev_input_event *ev;
  size_t n, pos;
  dev_input_backend next;
} dev_input_script;
/* On a bad script, fills err (naming the offending part) and returns false. */
bool dev_input_script_parse(dev_input_script *s, const char *text,
                            char *err, size_t err_size)
    __attribute__((warn_unused_result));
void dev_input_script_free(dev_input_script *s);
dev_input_backend dev_input_script_backend(dev_input_script *s);

/* ---- The bus: what a device may touch of the machine around it
 *
 * The machine (machine/) owns the CPU, the device state and the host
 * backends; for each hypercall and each device step it lends them to the
 * devices through a dev_bus built on the spot (machine_bus), so a device
 * sees exactly this and nothing of the machine, the debugger or the front
 * end above it. */

/* After a QUIT input event, the guest has this much virtual time to shut
 * down before the run ends anyway (MACHINE_STOP_CLOSED). */
#define DEV_QUIT_GRACE_NS 1000000000u

typedef struct dev_bus {
  cpu *cpu;
  dev_state *dev;
  dev_console_backend *console;
  dev_log_backend *log;
  dev_display_backend *display; /* NULL functions: the frame goes nowhere */
  dev_input_backend *input;     /* NULL poll: no input ever comes */
  dev_disk_host *disk;          /* the image and overlay behind dev->disk */
  uint32_t fb_width, fb_height; /* the framebuffer's size in pixels */
  bool jitter;                  /* timer deadlines are drawn late */
  /* the debugger's Ctrl-C flag, or NULL when no debugger is attached */
  volatile sig_atomic_t *interrupt;
  uint32_t *deadlock;           /* event_wait: the events nothing can bring */
  uint64_t *events_delivered, *sectors_read, *sectors_written, *disk_commits;
} dev_bus;

/* A hypercall handler reads its arguments from a[] (a0..a5) and may set
 * out[0] (a1) and out[1] (a2); it returns the status for a0, or one of: */
#define DEV_NO_RESULT INT32_MIN /* it set pc and registers itself */
#define DEV_STOPPED (INT32_MIN + 1) /* it did not complete: the machine
                                       stops with pc at the HCALL */
typedef int32_t (*dev_hcall)(dev_bus *b, const uint32_t a[6], uint32_t out[2]);

/* Every handler, named dev_hc_<name> after its row in PV_CALLS, and the
 * table of them in PV_CALLS order (devices/hcalls.c): dev_hcalls[i]
 * carries out pvabi_calls[i]. */
#define DEV_DECLARE(NAME, name, num, args, result) \
  int32_t dev_hc_##name(dev_bus *b, const uint32_t a[6], uint32_t out[2]);
PV_CALLS(DEV_DECLARE)
#undef DEV_DECLARE
extern const dev_hcall dev_hcalls[];

/* The host pointer for guest [addr, addr+len), or NULL when any byte lies
 * outside guest RAM; handlers return PV_EFAULT for NULL.  A writable
 * buffer must also be passed to dev_guest_written() after writing. */
uint8_t *dev_guest_buf(dev_bus *b, uint32_t addr, uint32_t len);
void dev_guest_written(dev_bus *b, uint32_t addr, uint32_t len);

/* Enters the guest kernel's trap handler from user mode (devices/vcpu.c). */
void dev_vcpu_trap(dev_bus *b, uint32_t cause, uint32_t tval);
/* Sets the timer event and disarms the timer (devices/timer.c). */
void dev_timer_fire(dev_bus *b);
/* Brings level-triggered event bits up to date; with wait, blocks until a
 * console event is possible (devices/events.c). */
void dev_events_poll(dev_bus *b, bool wait);
/* event_wait's idle step when nothing it waits for is pending: with a
 * window open it waits in host time (see dev_input_backend.wait);
 * otherwise it returns at once (devices/events.c). */
void dev_events_idle(dev_bus *b, uint32_t want);

/* Input (devices/input.c).  dev_input_poll moves host input into the
 * queue and sets or clears PV_EV_INPUT; it returns whether input can still
 * come later.  The run loop calls dev_input_slice before each slice,
 * which polls and returns limit lowered to the next poll (while a window
 * is open) and to the QUIT deadline, and dev_input_overdue, which says
 * the guest has run past that deadline. */
bool dev_input_poll(dev_bus *b);
uint64_t dev_input_slice(dev_bus *b, uint64_t limit);
bool dev_input_overdue(const dev_bus *b);

/* Attaches a raw disk image (devices/disk_image.c), replacing any attached
 * one.  Its size must be a non-zero multiple of 512.  The file is never
 * written during the run: writes go to an in-memory overlay.  With persist
 * (--disk-write), dev_disk_commit replaces the image by one holding them,
 * crash-safely; it must then be writable, and so its directory, and no
 * other writer may have it: the attached image stays locked until
 * dev_disk_close (devices/disk_lock.c). */
bool dev_disk_attach(dev_bus *b, const char *path, bool persist,
                     host_error *err) __attribute__((warn_unused_result));
/* With persist and writes since the last commit, writes the image anew
 * (devices/disk_commit.c); otherwise does nothing.  disk_flush calls it,
 * and the front end at the end of a run.  On failure the image is as it
 * was and a later commit tries again. */
bool dev_disk_commit(dev_bus *b, host_error *err)
    __attribute__((warn_unused_result));

/* ---- Screenshots */

/* Saves width x height 0x00RRGGBB pixels (a dev_frame's) as an 8-bit RGB
 * PNG file (devices/png.c) by host_atomic's rules: a file is replaced
 * whole or left as it was, a FIFO or device is written in place, a
 * directory is refused.  The error names the file. */
bool dev_png_write(const char *path, const uint32_t *pixels, uint32_t width,
                    uint32_t height, host_error *err)
    __attribute__((warn_unused_result));


#endif
