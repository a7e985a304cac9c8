/* The machine's side of the device bus (devices/devices.h): what it lends
 * the devices, and the few device steps front ends and the run loop ask of
 * the machine as a whole. */
#include "machine.h"

dev_bus machine_bus(machine *m) {
  return (dev_bus){
      .cpu = &m->cpu, .dev = &m->dev,
      .console = &m->console_io, .log = &m->log_io,
      .display = &m->display_io, .input = &m->input_io,
      .disk = &m->disk_host,
      .fb_width = m->cfg.display_width, .fb_height = m->cfg.display_height,
      .jitter = m->cfg.jitter,
      .interrupt = m->dbg.interrupt,
      .deadlock = &m->deadlock_events,
      .events_delivered = &m->stats.events_delivered,
      .sectors_read = &m->stats.disk_sectors_read,
      .sectors_written = &m->stats.disk_sectors_written,
      .disk_commits = &m->stats.disk_commits,
  };
}

void machine_trap(machine *m, uint32_t cause, uint32_t tval) {
  uint32_t user_pc = m->cpu.s.pc; /* what the frame's pc now holds */
  dev_bus bus = machine_bus(m);
  dev_vcpu_trap(&bus, cause, tval);
  if (cause < PV_CAUSE_COUNT) m->stats.traps[cause]++;
  machine_debug *dbg = &m->dbg;
  if (dbg->trace) {
    dbg->trace(dbg->trace_ctx, &(machine_event){MACHINE_EV_TRAP, NULL, cause,
                                                tval, user_pc});
  }
  if (cause < 32 && (dbg->catch_traps & (1u << cause))) dbg->trap_caught = true;
}

bool machine_input_poll(machine *m) {
  dev_bus bus = machine_bus(m);
  return dev_input_poll(&bus);
}

uint64_t machine_input_slice(machine *m, uint64_t limit) {
  dev_bus bus = machine_bus(m);
  return dev_input_slice(&bus, limit);
}

bool machine_disk_attach(machine *m, const char *path, bool persist,
                         host_error *err) {
  dev_bus bus = machine_bus(m);
  return dev_disk_attach(&bus, path, persist, err);
}

bool machine_disk_commit(machine *m, host_error *err) {
  dev_bus bus = machine_bus(m);
  return dev_disk_commit(&bus, err);
}
