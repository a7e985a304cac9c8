/* Linux user-mode start-up for the benchmark kernels (qemu-riscv32): the
 * kernel has mapped the segments, zeroed .bss and pointed sp at argc, argv,
 * envp and the aux vector.  Set gp and tp as sdk/entry.S does, then run
 * main and leave through exit(). */
  .section .text.entry, "ax"
  .globl _start
  .type _start, @function
_start:
  .option push
  .option norelax        /* gp is not set yet: no gp-relative addressing */
  la gp, __global_pointer$
  .option pop
  la tp, __tls_base      /* one thread: the TLS template is its block */
  lw s1, 0(sp)           /* argc */
  addi s2, sp, 4         /* argv */
  li s0, 0
  li ra, 0
  call __libc_init_array
  mv a0, s1
  mv a1, s2
  call main
  call exit              /* runs atexit handlers, then _exit (sys.c) */
  .size _start, . - _start
