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
  X(CONSOLE_WRITE, console_write, 0x10, ARGS2(const void *, buf, uint32_t, len), "a1 = bytes written") \
  X(CONSOLE_READ,  console_read,  0x11, ARGS2(void *, buf, uint32_t, len), "a1 = bytes read; 0 means end of input") \
  X(TIME_NOW,      time_now,      0x20, ARGS0(), "a1 = low, a2 = high word of virtual nanoseconds since reset") \
  X(DEBUG_LOG,     debug_log,     0x70, ARGS2(const char *, msg, uint32_t, len), "none") \
  X(DEBUG_BREAK,   debug_break,   0x71, ARGS0(), "none")

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
