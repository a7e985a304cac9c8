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
  m->stop = MACHINE_STOP_NONE;
  return true;
}

machine_stop machine_run(machine *m, uint64_t limit) {
  for (;;) {
    switch (cpu_run(&m->cpu, limit)) {
    case CPU_EXIT_LIMIT: return m->stop = MACHINE_STOP_LIMIT;
    case CPU_EXIT_HCALL:
      pvabi_dispatch(m);
      if (m->dev.power.off) return m->stop = MACHINE_STOP_SHUTDOWN;
      if (m->dev.debug.break_requested) {
        m->dev.debug.break_requested = 0;
        return m->stop = MACHINE_STOP_BREAK;
      }
      break;
    case CPU_EXIT_EBREAK: return m->stop = MACHINE_STOP_EBREAK;
    case CPU_EXIT_ECALL:
      /* no guest kernel has registered a trap handler to receive it */
      m->cpu.fault = (cpu_fault){CPU_FAULT_ECALL, m->cpu.s.pc, 0x00000073u,
                                 0, false};
      return m->stop = MACHINE_STOP_FAULT;
    case CPU_EXIT_FAULT: return m->stop = MACHINE_STOP_FAULT;
    case CPU_EXIT_NOMEM:
      pvl_fail(&m->host_error, "out of host memory for decoded guest code");
      return m->stop = MACHINE_STOP_HOST_ERROR;
    }
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
