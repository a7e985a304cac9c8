/* hello: the first guest.  printf goes through picolibc to the console
 * hypercall; returning from main shuts the machine down with status 0. */
#include <stdio.h>

#include "pv.h"

int main(void) {
  printf("Hello from pvlab!\n");
  printf("2 + 2 = %d\n", 2 + 2);
  pv_ret v = pv_version();
  printf("para-API %lu.%lu, %lu KiB of RAM\n", v.value >> 16,
         v.value & 0xffff, (unsigned long)(pv_mem_info().value2 >> 10));
  return 0;
}
