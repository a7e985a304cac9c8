/* The physical page allocator: every 4 KiB page of RAM between the end of
 * the kernel's image and its stack at the top of RAM, kept on a free list
 * threaded through the free pages themselves (a free page's first word
 * points to the next free page), so the list costs no memory of its own.
 *
 * The counters are plain globals on purpose: a grader (or you, in the
 * monitor: `print kalloc_pages_used`) reads them as ELF symbols. */
#include <string.h>

#include "kernel.h"

struct run {
  struct run *next;
};

static struct run *freelist;
static uint32_t first_page, end_page;
uint32_t kalloc_pages_used;  /* pages handed out and not freed */
uint32_t kalloc_pages_peak;  /* the most ever handed out at once */
uint32_t kalloc_pages_total; /* pages the allocator manages */

/* Pages are pushed from the top down so that kalloc() hands them out from
 * the bottom up: addresses in a run are easy to read in the debugger. */
void kalloc_init(uint32_t start, uint32_t end) {
  first_page = PGROUNDUP(start);
  end_page = PGROUNDDOWN(end);
  for (uint32_t pa = end_page; pa > first_page;) {
    pa -= PGSIZE;
    struct run *r = (struct run *)(uintptr_t)pa;
    r->next = freelist;
    freelist = r;
    kalloc_pages_total++;
  }
}

/* A page, zeroed: no process ever sees what another left behind. */
void *kalloc(void) {
  struct run *r = freelist;
  if (!r) return NULL;
  freelist = r->next;
  if (++kalloc_pages_used > kalloc_pages_peak) kalloc_pages_peak = kalloc_pages_used;
  return memset(r, 0, PGSIZE);
}

void kfree(void *pa) {
  uint32_t a = (uint32_t)(uintptr_t)pa;
  if (a % PGSIZE || a < first_page || a >= end_page)
    panic("kfree(0x%08lx): not a page the allocator gave out", (unsigned long)a);
  struct run *r = pa;
  r->next = freelist;
  freelist = r;
  kalloc_pages_used--;
}
