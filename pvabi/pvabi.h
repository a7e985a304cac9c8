/* The pvlab para-API: what a guest can ask of the machine.
 *
 * This header is shared by the host and by guests (plain C, no host
 * headers).  A hypercall is the HCALL instruction (custom-0 opcode, word
 * 0x0000000b) with the call number in a7 and arguments in a0-a5.  It
 * returns a status in a0 (PV_OK or a negative PV_E* code) and results in
 * a1 (and a2 for the high word of 64-bit results); every other register
 * is preserved.  docs/pvabi.md documents each call; a test checks that
 * page against PV_CALLS.
 */
#ifndef PVLAB_PVABI_H
#define PVLAB_PVABI_H

#define PV_ABI_MAJOR 1
#define PV_ABI_MINOR 0
#define PV_ABI_VERSION ((PV_ABI_MAJOR << 16) | PV_ABI_MINOR)

#define PV_HCALL_WORD 0x0000000bu

/* Status codes in a0. */
#define PV_ERRORS(X) \
  X(PV_OK,      0, "success") \
  X(PV_ENOSYS, -1, "no hypercall with that number") \
  X(PV_EFAULT, -2, "a guest pointer or length lies outside guest memory") \
  X(PV_EINVAL, -3, "an argument is out of range") \
  X(PV_EAGAIN, -4, "nothing available now; try again later") \
  X(PV_EPERM,  -5, "not allowed from the current mode") \
  X(PV_EIO,    -6, "the host device failed")

/* The hypercalls, listed once: X(NAME, name, number, arguments, result).
 * arguments is ARGSn(type, name, ...) and generates the guest wrapper's
 * parameter list, the host's argument names for tracing and the count;
 * result says what a1 (a2) holds on success. */
#define PV_CALLS(X) \
  X(VERSION,       version,       0x00, ARGS0(), "a1 = ABI version (major << 16 | minor), a2 = highest call number") \
  X(PROBE,         probe,         0x01, ARGS1(uint32_t, number), "status PV_OK if the call exists, else PV_ENOSYS") \
  X(SHUTDOWN,      shutdown,      0x02, ARGS1(uint32_t, code), "does not return") \
  X(MEM_INFO,      mem_info,      0x03, ARGS0(), "a1 = guest RAM base address, a2 = RAM size in bytes") \
  X(VCPU_REGISTER, vcpu_register, 0x04, ARGS2(void *, frame, uint32_t, entry), "none") \
  X(USER_RETURN,   user_return,   0x05, ARGS0(), "does not return: user mode resumes from the frame") \
  X(MMU_INSTALL,   mmu_install,   0x06, ARGS2(uint32_t, root, uint32_t, asid), "none") \
  X(MMU_FLUSH,     mmu_flush,     0x07, ARGS0(), "none") \
  X(CONSOLE_WRITE, console_write, 0x10, ARGS2(const void *, buf, uint32_t, len), "a1 = bytes written") \
  X(CONSOLE_READ,  console_read,  0x11, ARGS2(void *, buf, uint32_t, len), "a1 = bytes read; 0 means end of input") \
  X(TIME_NOW,      time_now,      0x20, ARGS0(), "a1 = low, a2 = high word of virtual nanoseconds since reset") \
  X(TIMER_SET,     timer_set,     0x21, ARGS2(uint32_t, deadline_lo, uint32_t, deadline_hi), "none") \
  X(EVENT_MASK,    event_mask,    0x22, ARGS1(uint32_t, mask), "a1 = the previous mask") \
  X(EVENT_PENDING, event_pending, 0x23, ARGS0(), "a1 = pending events") \
  X(EVENT_ACK,     event_ack,     0x24, ARGS1(uint32_t, events), "a1 = events still pending") \
  X(EVENT_WAIT,    event_wait,    0x25, ARGS1(uint32_t, events), "a1 = pending events among those waited for") \
  /* 0x30-0x3f: the block device (devices/disk.c) */ \
  X(DISK_INFO,     disk_info,     0x30, ARGS0(), "a1 = size in 512-byte sectors, a2 = PV_DISK_* flags") \
  X(DISK_READ,     disk_read,     0x31, ARGS3(uint32_t, sector, void *, buf, uint32_t, count), "a1 = sectors read (count)") \
  X(DISK_WRITE,    disk_write,    0x32, ARGS3(uint32_t, sector, const void *, buf, uint32_t, count), "a1 = sectors written (count)") \
  X(DISK_FLUSH,    disk_flush,    0x33, ARGS0(), "none") \
  X(RNG_FILL,      rng_fill,      0x40, ARGS2(void *, buf, uint32_t, len), "a1 = bytes filled") \
  /* 0x50-0x5f: the display (devices/display.c) */ \
  X(FB_INFO,       fb_info,       0x50, ARGS0(), "a1 = width | height << 16, a2 = pixel format (PV_FB_XRGB8888)") \
  X(FB_SET,        fb_set,        0x51, ARGS1(const void *, addr), "none") \
  X(FB_FLUSH,      fb_flush,      0x52, ARGS4(uint32_t, x, uint32_t, y, uint32_t, w, uint32_t, h), "none") \
  /* 0x60-0x6f: input (devices/input.c) */ \
  X(INPUT_READ,    input_read,    0x60, ARGS2(void *, buf, uint32_t, max), "a1 = events copied, 0 when none wait") \
  X(DEBUG_LOG,     debug_log,     0x70, ARGS2(const char *, msg, uint32_t, len), "none") \
  X(DEBUG_BREAK,   debug_break,   0x71, ARGS0(), "none")

/* Event sources: bit n of the pending and mask words. */
#define PV_EV_TIMER   (1u << 0) /* the timer_set deadline passed */
#define PV_EV_CONSOLE (1u << 1) /* console input (or its end) is waiting */
#define PV_EV_DISK    (1u << 2) /* a disk request completed */
#define PV_EV_INPUT   (1u << 3) /* keyboard, mouse or window events wait */
#define PV_EV_ALL     (PV_EV_TIMER | PV_EV_CONSOLE | PV_EV_DISK | PV_EV_INPUT)

/* The block device: sectors, the most one request moves, disk_info's flags. */
#define PV_DISK_SECTOR    512u
#define PV_DISK_MAX_COUNT 256u      /* sectors per disk_read or disk_write */
#define PV_DISK_ATTACHED  (1u << 0) /* an image is attached */
#define PV_DISK_PERSIST   (1u << 1) /* writes reach the image (--disk-write) */

/* Why the kernel was entered: pv_vcpu.cause. */
#define PV_CAUSE_ECALL            1 /* tval 0; pc at the ecall */
#define PV_CAUSE_ILLEGAL          2 /* tval = the instruction word */
#define PV_CAUSE_PAGE_LOAD        3 /* tval = the virtual address */
#define PV_CAUSE_PAGE_STORE       4 /* tval = the virtual address */
#define PV_CAUSE_PAGE_FETCH       5 /* tval = the virtual address */
#define PV_CAUSE_MISALIGNED_FETCH 6 /* tval = the jump's target; pc at the jump */
#define PV_CAUSE_EVENT            7 /* tval = pending & mask; pc = next to run */
#define PV_CAUSE_COUNT            8

/* The trap frame a kernel registers with vcpu_register: the machine saves
 * the user registers here when it enters the kernel, and user_return loads
 * them from here.  Every field is a 32-bit little-endian word. */
struct pv_vcpu {
  uint32_t x[32];     /* user registers x0..x31 (x0 is saved as 0, ignored) */
  uint32_t pc;        /* user pc */
  uint32_t cause;     /* PV_CAUSE_* of the last entry */
  uint32_t tval;      /* the cause's detail (see PV_CAUSE_*) */
  uint32_t pending;   /* pending events at the last entry */
  uint32_t kernel_sp; /* the kernel's sp, gp and tp on entry: the kernel */
  uint32_t kernel_gp; /*   fills these in before its first user_return */
  uint32_t kernel_tp;
  uint32_t reserved;  /* keeps the frame 160 bytes */
};
#define PV_VCPU_SIZE 160u

/* The display's pixel format (fb_info's a2): each pixel is the 32-bit
 * little-endian word 0x00RRGGBB (in memory: blue, green, red, unused);
 * rows follow each other top to bottom, width * 4 bytes apart. */
#define PV_FB_XRGB8888 1u
#define PV_FB_BYTES_PER_PIXEL 4u

/* One input event as input_read stores it: 16 bytes, each field
 * little-endian. */
struct pv_input_event {
  uint16_t type; /* PV_INPUT_* */
  uint16_t code; /* what, by type (below) */
  int32_t x, y;  /* mouse events: the position in framebuffer pixels */
  uint32_t mods; /* PV_MOD_* at the time of the event */
};
#define PV_INPUT_EVENT_SIZE 16u

#define PV_INPUT_KEY_DOWN   1 /* code = the key, PV_KEY_* or ASCII */
#define PV_INPUT_KEY_UP     2 /* code = the key */
#define PV_INPUT_MOUSE_MOVE 3 /* code = buttons held: bit (PV_MOUSE_* - 1) */
#define PV_INPUT_MOUSE_DOWN 4 /* code = the button, PV_MOUSE_* */
#define PV_INPUT_MOUSE_UP   5 /* code = the button */
#define PV_INPUT_QUIT       6 /* the window was closed: shut down now */

#define PV_MOD_SHIFT  (1u << 0)
#define PV_MOD_CTRL   (1u << 1)
#define PV_MOD_ALT    (1u << 2)
#define PV_MOD_REPEAT (1u << 8) /* this key-down is the keyboard's repeat */

#define PV_MOUSE_LEFT   1
#define PV_MOUSE_MIDDLE 2
#define PV_MOUSE_RIGHT  3

/* Key codes.  A printable key is its unshifted ASCII character, ' ' to
 * '~' (the A key is 'a'; shift shows in mods); these keys keep their
 * ASCII control code, and the rest are numbered from 0x100. */
#define PV_KEY_BACKSPACE 0x08
#define PV_KEY_TAB       0x09
#define PV_KEY_ENTER     0x0d
#define PV_KEY_ESCAPE    0x1b
#define PV_KEY_DELETE    0x7f
#define PV_KEY_UP        0x100
#define PV_KEY_DOWN      0x101
#define PV_KEY_LEFT      0x102
#define PV_KEY_RIGHT     0x103
#define PV_KEY_HOME      0x104
#define PV_KEY_END       0x105
#define PV_KEY_PAGE_UP   0x106
#define PV_KEY_PAGE_DOWN 0x107
#define PV_KEY_INSERT    0x108
#define PV_KEY_F1        0x110 /* F1 to F12 are 0x110 to 0x11b */
#define PV_KEY_SHIFT     0x120 /* either shift key */
#define PV_KEY_CTRL      0x121 /* either control key */
#define PV_KEY_ALT       0x122 /* either alt key */

enum pv_call {
#define PV_CALL_ENUM(NAME, name, num, args, result) PV_HC_##NAME = num,
  PV_CALLS(PV_CALL_ENUM)
#undef PV_CALL_ENUM
};

enum pv_status {
#define PV_ERROR_ENUM(name, num, text) name = num,
  PV_ERRORS(PV_ERROR_ENUM)
#undef PV_ERROR_ENUM
};

/* The argument lists as counts, for the host's table. */
#define PV_ARGC_ARGS0() 0
#define PV_ARGC_ARGS1(t0, n0) 1
#define PV_ARGC_ARGS2(t0, n0, t1, n1) 2
#define PV_ARGC_ARGS3(t0, n0, t1, n1, t2, n2) 3
#define PV_ARGC_ARGS4(t0, n0, t1, n1, t2, n2, t3, n3) 4

/* The argument names as strings, for tracing. */
#define PV_ARGN_ARGS0() { 0 }
#define PV_ARGN_ARGS1(t0, n0) { #n0 }
#define PV_ARGN_ARGS2(t0, n0, t1, n1) { #n0, #n1 }
#define PV_ARGN_ARGS3(t0, n0, t1, n1, t2, n2) { #n0, #n1, #n2 }
#define PV_ARGN_ARGS4(t0, n0, t1, n1, t2, n2, t3, n3) { #n0, #n1, #n2, #n3 }

/* Guest side: the parameter list and the argument words of each wrapper. */
#define PV_PARAMS_ARGS0() (void)
#define PV_PARAMS_ARGS1(t0, n0) (t0 n0)
#define PV_PARAMS_ARGS2(t0, n0, t1, n1) (t0 n0, t1 n1)
#define PV_PARAMS_ARGS3(t0, n0, t1, n1, t2, n2) (t0 n0, t1 n1, t2 n2)
#define PV_PARAMS_ARGS4(t0, n0, t1, n1, t2, n2, t3, n3) (t0 n0, t1 n1, t2 n2, t3 n3)
#define PV_W(v) ((unsigned long)(v))
#define PV_WORDS_ARGS0() 0, 0, 0, 0
#define PV_WORDS_ARGS1(t0, n0) PV_W(n0), 0, 0, 0
#define PV_WORDS_ARGS2(t0, n0, t1, n1) PV_W(n0), PV_W(n1), 0, 0
#define PV_WORDS_ARGS3(t0, n0, t1, n1, t2, n2) PV_W(n0), PV_W(n1), PV_W(n2), 0
#define PV_WORDS_ARGS4(t0, n0, t1, n1, t2, n2, t3, n3) PV_W(n0), PV_W(n1), PV_W(n2), PV_W(n3)

#endif
