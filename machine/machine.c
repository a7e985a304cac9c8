/* Machine lifetime and the run loop. */
#include "machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvabi_calls.h"

/* The console a machine has until its owner attaches one: output goes
 * nowhere, input has ended.  Stateless, so machines share nothing. */
static bool null_write(void *ctx, const uint8_t *buf, size_t len) { return true; }
static long null_read(void *ctx, uint8_t *buf, size_t len) { return 0; }
static bool null_ready(void *ctx, bool wait) { return true; }

bool machine_init(machine *m, const machine_config *cfg, host_error *err) {
  memset(m, 0, sizeof *m);
  if (cfg->mem_mib < 1 || cfg->mem_mib > MACHINE_MAX_MEM_MIB) {
    return host_fail(err, "guest memory of %u MiB is out of range; use 1 to %u",
                    cfg->mem_mib, MACHINE_MAX_MEM_MIB);
  }
  uint32_t dw = cfg->display_width ? cfg->display_width : MACHINE_DEFAULT_DISPLAY_W;
  uint32_t dh = cfg->display_height ? cfg->display_height : MACHINE_DEFAULT_DISPLAY_H;
  if (dw < MACHINE_MIN_DISPLAY || dw > MACHINE_MAX_DISPLAY ||
      dh < MACHINE_MIN_DISPLAY || dh > MACHINE_MAX_DISPLAY) {
    return host_fail(err, "a display of %ux%u pixels is out of range; use %u "
                    "to %u pixels each way", dw, dh, MACHINE_MIN_DISPLAY,
                    MACHINE_MAX_DISPLAY);
  }
  m->cfg = *cfg;
  m->cfg.display_width = dw;
  m->cfg.display_height = dh;
  uint32_t size = cfg->mem_mib * 1024u * 1024u;
  m->ram = calloc(size, 1);
  if (!m->ram || !cpu_init(&m->cpu, m->ram, size) || !machine_hash_cache_init(m)) {
    cpu_free(&m->cpu);
    free(m->ram);
    m->ram = NULL;
    return host_fail(err, "cannot allocate %u MiB of guest memory; try a "
                    "smaller --mem", cfg->mem_mib);
  }
  dev_rng_seed(&m->dev.rng, cfg->seed); /* all-zero xoshiro gives only 0 */
  dev_timer_reset(&m->dev.timer, cfg->jitter, cfg->seed);
  m->console_io = (dev_console_backend){NULL, null_write, null_read, null_ready};
  return true;
}

void machine_free(machine *m) {
  cpu_free(&m->cpu);
  free(m->ram);
  free(m->page_hash);
  elf_free(&m->elf);
  dev_disk_close(&m->disk_host);
  memset(m, 0, sizeof *m);
}

bool machine_load_elf(machine *m, const char *path, host_error *err) {
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
  if (reload) {
    cpu_dirty_all(&m->cpu); /* all of RAM was cleared */
  } else {
    for (size_t i = 0; i < img.nsegs; i++) {
      cpu_code_written(&m->cpu, img.segs[i].vaddr, img.segs[i].memsz);
    }
  }
  cpu_reset(&m->cpu, img.entry);
  memset(&m->dev, 0, sizeof m->dev);
  dev_rng_seed(&m->dev.rng, m->cfg.seed);
  dev_timer_reset(&m->dev.timer, m->cfg.jitter, m->cfg.seed);
  dev_disk_reset(&m->dev.disk, &m->disk_host); /* the disk stays attached */
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
  if (t->armed) { /* not due yet: machine_run fires a due timer first */
    uint64_t due = dev_timer_due_icount(t);
    if (due < limit) limit = due;
  }
  limit = machine_input_slice(m, limit); /* polls host input */
  if (m->io_due > m->cpu.s.icount && m->io_due < limit) limit = m->io_due;
  if (m->dbg.interrupt && limit - m->cpu.s.icount > MACHINE_DEBUG_SLICE) {
    limit = m->cpu.s.icount + MACHINE_DEBUG_SLICE;
  }
  bool user = m->cpu.s.mode == CPU_MODE_USER;
  uint64_t before = m->cpu.s.icount;
  cpu_exit e = cpu_run(&m->cpu, limit);
  if (user) m->stats.user_insns += m->cpu.s.icount - before;
  return e;
}

static bool caught_hcall(const machine *m) {
  const pvabi_call *call = pvabi_lookup(m->cpu.s.x[17]);
  return call && m->dbg.catch_hcall[call - pvabi_calls];
}

/* Carries out a hypercall; returns a stop, or MACHINE_STOP_NONE to go on. */
static machine_stop hypercall(machine *m) {
  if (m->cpu.s.mode == CPU_MODE_USER) { /* privileged: the kernel decides */
    machine_trap(m, PV_CAUSE_ILLEGAL, PV_HCALL_WORD);
    return MACHINE_STOP_NONE;
  }
  machine_debug *dbg = &m->dbg;
  if (!dbg->catch_skip && (dbg->catch_hcall_any || caught_hcall(m))) {
    return MACHINE_STOP_CATCH_HCALL;
  }
  dbg->catch_skip = false;
  m->in_hcall = true;
  machine_hcall(m);
  m->in_hcall = false;
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
    /* the deadline is reached before the instruction at it runs: fire
     * first, so that user mode traps before that instruction */
    dev_timer *t = &m->dev.timer;
    dev_bus bus = machine_bus(m);
    if (t->armed && dev_timer_due_icount(t) <= s->icount) dev_timer_fire(&bus);
    if (s->mode == CPU_MODE_USER) {
      dev_events_poll(&bus, false);
      uint32_t due = m->dev.events.pending & m->dev.events.mask;
      if (due) {
        m->stats.events_delivered++;
        machine_trap(m, PV_CAUSE_EVENT, due);
      }
    }
    if (dev_input_overdue(&bus)) return m->stop = MACHINE_STOP_CLOSED;
    if (m->dbg.trap_caught) {
      m->dbg.trap_caught = false;
      return m->stop = MACHINE_STOP_CATCH_TRAP;
    }
    if (m->dbg.interrupt && *m->dbg.interrupt) {
      return m->stop = MACHINE_STOP_INTERRUPT;
    }
    if (s->icount >= limit) return m->stop = MACHINE_STOP_LIMIT;
    machine_stop stop = MACHINE_STOP_NONE;
    uint32_t tval;
    switch (run_slice(m, limit)) {
    case CPU_EXIT_LIMIT: break; /* the limit, or a timer deadline */
    case CPU_EXIT_HCALL: stop = hypercall(m); break;
    case CPU_EXIT_EBREAK: stop = MACHINE_STOP_EBREAK; break;
    case CPU_EXIT_BREAKPOINT: stop = MACHINE_STOP_BREAKPOINT; break;
    case CPU_EXIT_WATCH: stop = MACHINE_STOP_WATCH; break;
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
      host_fail(&m->host_fault, "out of host memory for decoded guest code");
      stop = MACHINE_STOP_HOST_ERROR;
      break;
    }
    if (stop == MACHINE_STOP_NONE && m->dbg.trap_caught) {
      m->dbg.trap_caught = false;
      stop = MACHINE_STOP_CATCH_TRAP;
    }
    if (stop != MACHINE_STOP_NONE) return m->stop = stop;
  }
}

bool machine_symbolize(void *ctx, uint32_t addr, char *buf, size_t size) {
  const machine *m = ctx;
  const elf_sym *f = elf_symtab_find(&m->elf.syms, addr);
  char section[64];
  /* the last label (_end, __global_pointer$) would otherwise claim all
   * memory above it: the stack and the heap */
  if (!f || (f->size == 0 &&
             !elf_section_at(&m->elf, addr, section, sizeof section))) {
    if (size) buf[0] = 0;
    return false;
  }
  return elf_symtab_format(&m->elf.syms, addr, buf, size);
}

void machine_format_addr(const machine *m, uint32_t addr, char *buf,
                         size_t size) {
  char name[160];
  if (machine_symbolize((void *)m, addr, name, sizeof name)) {
    snprintf(buf, size, "%s (0x%08x)", name, addr);
  } else {
    snprintf(buf, size, "0x%08x", addr);
  }
}
