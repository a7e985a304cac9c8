/* Sv32 address translation for user mode, with a software TLB.
 *
 * The page tables are ordinary guest memory that the kernel builds; the
 * machine installs the root (cpu_state.pt_root) by hypercall.  A walk reads
 * two levels of 32-bit PTEs exactly as the RISC-V privileged spec describes
 * for Sv32 (4 KiB pages and 4 MiB megapages), checks V, R/W/X and U, and
 * sets A (and D for a store) in the PTE the way hardware that manages those
 * bits does.  The TLB remembers, per kind of access, which guest page maps
 * to which RAM offset; it is a host-side cache, dropped whenever the tables
 * may have changed (install, flush), so it never changes what the guest
 * sees. */
#include <string.h>

#include "cpu.h"

#define PTE_V 0x01u
#define PTE_R 0x02u
#define PTE_W 0x04u
#define PTE_X 0x08u
#define PTE_U 0x10u
#define PTE_A 0x40u
#define PTE_D 0x80u

static const uint32_t need[CPU_ACCESS_COUNT] = {
  [CPU_ACCESS_LOAD] = PTE_R, [CPU_ACCESS_STORE] = PTE_W,
  [CPU_ACCESS_FETCH] = PTE_X,
};

static const cpu_fault_kind page_fault[CPU_ACCESS_COUNT] = {
  [CPU_ACCESS_LOAD] = CPU_FAULT_PAGE_LOAD,
  [CPU_ACCESS_STORE] = CPU_FAULT_PAGE_STORE,
  [CPU_ACCESS_FETCH] = CPU_FAULT_PAGE_FETCH,
};

void cpu_tlb_flush(cpu *c) {
  memset(c->tlb, 0, sizeof c->tlb);
}

/* RAM offset of the 4-byte PTE at physical address pa, or false. */
static bool pte_offset(const cpu *c, uint32_t pa, uint32_t *off) {
  *off = pa - CPU_RAM_BASE;
  return *off <= c->ram_size - 4 && (pa & 3u) == 0;
}

/* Walks the tables for va and checks everything, including that the page
 * is RAM, but changes nothing.  On success *pa is the physical address,
 * *leaf_off the RAM offset of the leaf PTE and *leaf its value. */
static bool walk(const cpu *c, uint32_t va, cpu_access acc, uint32_t *pa,
                 uint32_t *leaf_off, uint32_t *leaf) {
  uint32_t table = c->s.pt_root;
  for (int level = 1; level >= 0; level--) {
    uint32_t vpn = level ? va >> 22 : (va >> 12) & 0x3ffu;
    uint32_t off;
    if (!pte_offset(c, table + vpn * 4u, &off)) return false;
    uint32_t pte;
    memcpy(&pte, c->ram + off, 4);
    if (!(pte & PTE_V) || ((pte & PTE_W) && !(pte & PTE_R))) return false;
    uint32_t ppn = pte >> 10;
    if (!(pte & (PTE_R | PTE_X))) { /* a pointer to the next level */
      if (level == 0) return false;
      if (ppn >= (1u << 20)) return false; /* beyond 32-bit physical */
      table = ppn << 12;
      continue;
    }
    /* a leaf: user mode needs U and the permission for this access */
    if (!(pte & PTE_U) || !(pte & need[acc])) return false;
    if (level == 1 && (ppn & 0x3ffu)) return false; /* misaligned megapage */
    if (ppn >= (1u << 20)) return false;
    uint32_t page_mask = level ? 0x3fffffu : 0xfffu;
    *pa = ((ppn << 12) & ~page_mask) | (va & page_mask);
    /* a mapping of memory the machine lacks faults before A or D is set */
    if (*pa - CPU_RAM_BASE >= c->ram_size) return false;
    *leaf_off = off;
    *leaf = pte;
    return true;
  }
  return false;
}

bool cpu_translate(cpu *c, uint32_t va, cpu_access acc, uint32_t *off) {
  cpu_tlb_entry *e = &c->tlb[acc][(va >> CPU_PAGE_SHIFT) % CPU_TLB_SIZE];
  uint32_t tag = (va >> CPU_PAGE_SHIFT) + 1; /* 0 marks an empty entry */
  if (e->tag == tag) {
    *off = e->off + (va & (CPU_PAGE_SIZE - 1));
    return true;
  }
  c->tlb_misses++;
  uint32_t pa, pte_off, pte;
  if (!walk(c, va, acc, &pa, &pte_off, &pte)) {
    c->fault = (cpu_fault){page_fault[acc], va, 0, 0, false};
    return false;
  }
  /* only a walk that succeeded marks the PTE */
  uint32_t set = PTE_A | (acc == CPU_ACCESS_STORE ? PTE_D : 0);
  if ((pte & set) != set) {
    pte |= set;
    memcpy(c->ram + pte_off, &pte, 4);
    cpu_code_written(c, CPU_RAM_BASE + pte_off, 4);
  }
  uint32_t ram_off = pa - CPU_RAM_BASE;
  e->tag = tag;
  e->off = ram_off & ~(CPU_PAGE_SIZE - 1);
  *off = ram_off;
  return true;
}

bool cpu_translate_check(cpu *c, uint32_t va, cpu_access acc) {
  const cpu_tlb_entry *e = &c->tlb[acc][(va >> CPU_PAGE_SHIFT) % CPU_TLB_SIZE];
  uint32_t pa, pte_off, pte;
  if (e->tag == (va >> CPU_PAGE_SHIFT) + 1 ||
      walk(c, va, acc, &pa, &pte_off, &pte)) {
    return true;
  }
  c->fault = (cpu_fault){page_fault[acc], va, 0, 0, false};
  return false;
}

bool cpu_peek_translate(const cpu *c, uint32_t va, cpu_access acc,
                        uint32_t *off) {
  uint32_t pa, pte_off, pte;
  if (!walk(c, va, acc, &pa, &pte_off, &pte)) return false;
  *off = pa - CPU_RAM_BASE;
  return true;
}
