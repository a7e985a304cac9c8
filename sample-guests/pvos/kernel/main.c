/* pvos boots here.  The SDK's entry.S has set up the C runtime (gp, tp, a
 * stack at the top of RAM) and called main() in kernel mode, on physical
 * addresses, with the machine all to itself.  main() hands RAM to the page
 * allocator, finds the file system, registers the trap frame, starts the
 * shell as process 1 and gives the CPU to the scheduler for good.  When
 * the shell exits, the machine shuts down with its status (proc.c). */
#include "kernel.h"

extern char _end[]; /* the end of the kernel's image (pvlab.ld) */

int main(void) {
  pv_ret mem = pv_mem_info();
  uint32_t ram_end = (uint32_t)(mem.value + mem.value2);
  /* The trap stack is the top of RAM, where main() runs now: no trap
   * comes before main() hands over to sched() for good, so they never
   * meet. */
  kalloc_init((uint32_t)(uintptr_t)_end, ram_end - KSTACK_SIZE);
  if (fs_init() < 0)
    panic("no pvos file system on the disk: run with --disk fs.img (built by mkfs.py)");
  trap_init(ram_end);
  kprintf("pvos: %lu KiB of RAM free, %lu files\n",
          (unsigned long)kalloc_pages_total * (PGSIZE / 1024), (unsigned long)fs_nfiles());
  char *argv[] = {"sh", NULL};
  if (proc_spawn(NULL, "sh", argv) != 1) panic("cannot start /sh: is it on the disk?");
  sched();
}
