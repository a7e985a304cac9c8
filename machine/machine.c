/* Machine lifetime and the run loop. */
#include "machine/machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvabi/hcall.h"

static dev_console_mem empty_console; /* never read: in_len 0, closed */

bool machine_init(machine *m, const machine_config *cfg, pvl_error *err) {
  memset(m, 0, sizeof *m);
  if (cfg->mem_mib < 1 || cfg->mem_mib > MACHINE_MAX_MEM_MIB) {
    return pvl_fail(err, "guest memory of %u MiB is out of range; use 1 to %u",
                    cfg->mem_mib, MACHINE_MAX_MEM_MIB);
  }
  m->cfg = *cfg;
  uint32_t size = cfg->mem_mib * 1024u * 1024u;
  m->ram = calloc(size, 1);
  if (!m->ram || !cpu_init(&m->cpu, m->ram, size)) {
    free(m->ram);
    m->ram = NULL;
    return pvl_fail(err, "cannot allocate %u MiB of guest memory; try a "
                    "smaller --mem", cfg->mem_mib);
  }
  m->console_io = dev_console_mem_backend(&empty_console);
  return true;
}

void machine_free(machine *m) {
  cpu_free(&m->cpu);
  free(m->ram);
  elf_free(&m->elf);
  memset(m, 0, sizeof *m);
}

bool machine_load_elf(machine *m, const char *path, pvl_error *err) {
  elf_image img;
  if (!elf_open(&img, path, err)) return false;
  /* a fresh machine's RAM is already zero (calloc, pages not yet touched);
   * a reload must not see the previous guest's bytes */
  bool reload = m->elf.name != NULL;
  if (!elf_load(&img, m->ram, CPU_RAM_BASE, m->cpu.ram_size, reload, err)) {
    elf_free(&img);
    return false;
  }
  elf_free(&m->elf);
  m->elf = img;
  cpu_flush_code(&m->cpu);
  cpu_reset(&m->cpu, img.entry);
  memset(&m->dev, 0, sizeof m->dev);
  dev_rng_seed(&m->dev.rng, m->cfg.seed);
  cpu_tlb_flush(&m->cpu);
  m->stop = MACHINE_STOP_NONE;
  return true;
}

/* The trap cause a user-mode CPU fault becomes. */
static uint32_t fault_cause(const cpu_fault *f, uint32_t *tval) {
  *tval = f->addr;
  switch (f->kind) {
  case CPU_FAULT_PAGE_LOAD: return PV_CAUSE_PAGE_LOAD;
  case CPU_FAULT_PAGE_STORE: return PV_CAUSE_PAGE_STORE;
  case CPU_FAULT_PAGE_FETCH: return PV_CAUSE_PAGE_FETCH;
  case CPU_FAULT_FETCH_MISALIGNED: return PV_CAUSE_MISALIGNED_FETCH;
  default:
    *tval = f->insn;
    return PV_CAUSE_ILLEGAL;
  }
}

/* Runs the CPU up to limit or the timer's deadline, whichever is first,
 * and counts where the instructions went. */
static cpu_exit run_slice(machine *m, uint64_t limit) {
  dev_timer *t = &m->dev.timer;
  if (t->armed) {
    uint64_t due = dev_timer_due_icount(t);
    if (due <= m->cpu.s.icount) {
      machine_timer_fire(m);
    } else if (due < limit) {
      limit = due;
    }
  }
  bool user = m->cpu.s.mode == CPU_MODE_USER;
  uint64_t before = m->cpu.s.icount;
  cpu_exit e = cpu_run(&m->cpu, limit);
  if (user) m->stats.user_insns += m->cpu.s.icount - before;
  return e;
}

/* Carries out a hypercall; returns a stop, or MACHINE_STOP_NONE to go on. */
static machine_stop hypercall(machine *m) {
  if (m->cpu.s.mode == CPU_MODE_USER) { /* privileged: the kernel decides */
    machine_trap(m, PV_CAUSE_ILLEGAL, PV_HCALL_WORD);
    return MACHINE_STOP_NONE;
  }
  pvabi_dispatch(m);
  if (m->dev.power.off) return MACHINE_STOP_SHUTDOWN;
  if (m->deadlock_events) return MACHINE_STOP_DEADLOCK;
  if (m->dev.debug.break_requested) {
    m->dev.debug.break_requested = 0;
    return MACHINE_STOP_BREAK;
  }
  return MACHINE_STOP_NONE;
}

machine_stop machine_run(machine *m, uint64_t limit) {
  m->deadlock_events = 0;
  for (;;) {
    cpu_state *s = &m->cpu.s;
    if (s->mode == CPU_MODE_USER) {
      machine_events_poll(m, false);
      uint32_t due = m->dev.events.pending & m->dev.events.mask;
      if (due) machine_trap(m, PV_CAUSE_EVENT, due);
    }
    if (s->icount >= limit) return m->stop = MACHINE_STOP_LIMIT;
    machine_stop stop = MACHINE_STOP_NONE;
    uint32_t tval;
    switch (run_slice(m, limit)) {
    case CPU_EXIT_LIMIT: break; /* the limit, or a timer deadline */
    case CPU_EXIT_HCALL: stop = hypercall(m); break;
    case CPU_EXIT_EBREAK: stop = MACHINE_STOP_EBREAK; break;
    case CPU_EXIT_ECALL:
      if (s->mode == CPU_MODE_USER) {
        machine_trap(m, PV_CAUSE_ECALL, 0);
        break;
      }
      /* kernel mode: there is no one above the kernel to take it */
      m->cpu.fault = (cpu_fault){CPU_FAULT_ECALL, s->pc, 0x00000073u, 0, false};
      stop = MACHINE_STOP_FAULT;
      break;
    case CPU_EXIT_FAULT:
      if (s->mode == CPU_MODE_USER) {
        uint32_t cause = fault_cause(&m->cpu.fault, &tval);
        machine_trap(m, cause, tval);
        break;
      }
      stop = MACHINE_STOP_FAULT;
      break;
    case CPU_EXIT_NOMEM:
      pvl_fail(&m->host_error, "out of host memory for decoded guest code");
      stop = MACHINE_STOP_HOST_ERROR;
      break;
    }
    if (stop != MACHINE_STOP_NONE) return m->stop = stop;
  }
}

bool machine_symbolize(void *ctx, uint32_t addr, char *buf, size_t size) {
  const machine *m = ctx;
  return symtab_format(&m->elf.syms, addr, buf, size);
}

void machine_format_addr(const machine *m, uint32_t addr, char *buf,
                         size_t size) {
  char name[160];
  if (symtab_format(&m->elf.syms, addr, name, sizeof name)) {
    snprintf(buf, size, "%s (0x%08x)", name, addr);
  } else {
    snprintf(buf, size, "0x%08x", addr);
  }
}
