/* Guest RAM as the host sees it: checked pointers into it, the write
 * stamps snapshots and the state hash rely on (page_gen), and dropping the
 * decoded code a host-side write lands on (hypercalls, the debugger, the
 * MMU's A/D bits).  The interpreter's own stores do the same inline. */
#include <string.h>

#include "cpu.h"
#include "dcache.h"

uint32_t cpu_dirty_epoch(cpu *c) { return ++c->gen; }

void cpu_dirty_all(cpu *c) {
  if (!c->page_gen) return;
  for (uint32_t i = 0; i < c->ram_size / CPU_PAGE_SIZE; i++) c->page_gen[i] = c->gen;
}

uint8_t *cpu_guest_ptr(cpu *c, uint32_t addr, uint32_t len) {
  uint32_t off = addr - CPU_RAM_BASE;
  if (off > c->ram_size || len > c->ram_size - off) return NULL;
  return c->ram + off;
}

void cpu_code_written(cpu *c, uint32_t addr, uint32_t len) {
  uint32_t off = addr - CPU_RAM_BASE;
  if (off >= c->ram_size) return;
  if (len > c->ram_size - off) len = c->ram_size - off;
  for (uint32_t p = off / CPU_PAGE_SIZE; len && p <= (off + len - 1) / CPU_PAGE_SIZE; p++) {
    c->page_gen[p] = c->gen;
  }
  cpu_dcache_drop(c, off, len);
}

void cpu_flush_code(cpu *c) {
  for (uint32_t i = 0; i < c->ram_size / CPU_PAGE_SIZE; i++) {
    if (c->dpages[i]) cpu_dcache_drop_page(c, i);
  }
}

