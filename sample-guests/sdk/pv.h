/* The guest side of the pvlab para-API: pv_hcall() and one static-inline
 * wrapper pv_NAME() per hypercall, generated from PV_CALLS so the guest and
 * the host can never disagree on a number or an argument order.
 *
 *   pv_ret r = pv_console_write("hi\n", 3);
 *   if (r.status != PV_OK) ...   r.value is a1, r.value2 is a2
 *
 * docs/pvabi.md documents every call. */
#ifndef PVLAB_SDK_PV_H
#define PVLAB_SDK_PV_H

#include <stdint.h>

#include "pvabi/pvabi.h"

typedef struct pv_ret {
  long status;          /* a0: PV_OK or a negative PV_E* code */
  unsigned long value;  /* a1 */
  unsigned long value2; /* a2 */
} pv_ret;

/* HCALL: call number in a7, arguments in a0-a5, results in a0-a2; every
 * other register is preserved, memory may change (buffers). */
static inline pv_ret pv_hcall(unsigned long num, unsigned long a0,
                              unsigned long a1, unsigned long a2,
                              unsigned long a3) {
  register unsigned long r0 __asm__("a0") = a0;
  register unsigned long r1 __asm__("a1") = a1;
  register unsigned long r2 __asm__("a2") = a2;
  register unsigned long r3 __asm__("a3") = a3;
  register unsigned long r7 __asm__("a7") = num;
  __asm__ volatile(".insn i CUSTOM_0, 0, x0, x0, 0 /* hcall */"
                   : "+r"(r0), "+r"(r1), "+r"(r2)
                   : "r"(r3), "r"(r7)
                   : "memory");
  pv_ret r = {(long)r0, r1, r2};
  return r;
}

#define PV_WRAPPER(NAME, name, num, args, result)          \
  static inline pv_ret pv_##name PV_PARAMS_##args {        \
    return pv_hcall(num, PV_WORDS_##args);                 \
  }
PV_CALLS(PV_WRAPPER)
#undef PV_WRAPPER

/* Set by entry.S: one past the last byte of guest RAM (the stack's top). */
extern uintptr_t __pv_ram_end;

/* Writes all of buf to the console; bypasses stdio buffering. */
static inline void pv_puts_raw(const char *buf, uint32_t len) {
  pv_console_write(buf, len);
}

#endif
