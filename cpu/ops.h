/* Arithmetic helpers with exact RISC-V semantics and no undefined or
 * implementation-defined behaviour in C: everything is unsigned, signed
 * values are built by explicit sign extension. */
#ifndef PVLAB_CPU_OPS_H
#define PVLAB_CPU_OPS_H

#include <stdint.h>

static inline int64_t cpu_s64(uint32_t a) {
  return (int64_t)a - ((a & 0x80000000u) ? INT64_C(0x100000000) : 0);
}
static inline uint32_t cpu_slt(uint32_t a, uint32_t b) {
  return (a ^ 0x80000000u) < (b ^ 0x80000000u);
}
static inline uint32_t cpu_sra(uint32_t a, uint32_t s) {
  /* the sign fill is shifted in two steps so s == 0 never shifts by 32 */
  return (a >> s) | (((0u - (a >> 31)) << (31 - s)) << 1);
}
static inline uint32_t cpu_sx8(uint32_t v) { return ((v & 0xffu) ^ 0x80u) - 0x80u; }
static inline uint32_t cpu_sx16(uint32_t v) { return ((v & 0xffffu) ^ 0x8000u) - 0x8000u; }
static inline uint32_t cpu_mulh(uint32_t a, uint32_t b) {
  return (uint32_t)((uint64_t)(cpu_s64(a) * cpu_s64(b)) >> 32);
}
static inline uint32_t cpu_mulhsu(uint32_t a, uint32_t b) {
  return (uint32_t)((uint64_t)(cpu_s64(a) * (int64_t)b) >> 32);
}
static inline uint32_t cpu_mulhu(uint32_t a, uint32_t b) {
  return (uint32_t)(((uint64_t)a * b) >> 32);
}
/* Division by zero and INT_MIN / -1 do not trap in RISC-V: they give the
 * values the spec tabulates. */
static inline uint32_t cpu_div(uint32_t a, uint32_t b) {
  if (b == 0) return 0xffffffffu;
  if (a == 0x80000000u && b == 0xffffffffu) return a;
  return (uint32_t)(cpu_s64(a) / cpu_s64(b));
}
static inline uint32_t cpu_rem(uint32_t a, uint32_t b) {
  if (b == 0) return a;
  if (a == 0x80000000u && b == 0xffffffffu) return 0;
  return (uint32_t)(cpu_s64(a) % cpu_s64(b));
}
static inline uint32_t cpu_divu(uint32_t a, uint32_t b) { return b ? a / b : 0xffffffffu; }
static inline uint32_t cpu_remu(uint32_t a, uint32_t b) { return b ? a % b : a; }

#endif
