/* The user program's flat image, embedded in the kernel. */
  .section .rodata
  .balign 4096
  .globl user_image, user_image_end
user_image:
  .incbin USER_BIN
user_image_end:
