/* Guest start-up: the first code that runs.  The loader has placed every
 * segment and zeroed .bss (ELF semantics, see docs/isa.md), so all that is
 * left is the registers C expects: gp, tp for picolibc's thread-local errno,
 * and sp at the top of however much RAM this machine was given. */
  .section .text.entry, "ax"
  .globl _start
  .type _start, @function
_start:
  .option push
  .option norelax        /* gp is not set yet: no gp-relative addressing */
  la gp, __global_pointer$
  .option pop
  la tp, __tls_base      /* one thread: the TLS template is its block */

  li a7, 0x03            /* mem_info: a1 = RAM base, a2 = RAM size */
  .insn i CUSTOM_0, 0, x0, x0, 0
  add sp, a1, a2
  andi sp, sp, -16
  la t0, __pv_ram_end
  sw sp, 0(t0)

  li s0, 0               /* an empty frame chain ends backtraces here */
  li ra, 0
  call __libc_init_array
  li a0, 0               /* argc */
  li a1, 0               /* argv */
  call main
  call exit              /* runs atexit handlers, flushes, then _exit */
  .size _start, . - _start

  .section .sbss, "aw"
  .balign 4
  .globl __pv_ram_end
__pv_ram_end:
  .word 0
