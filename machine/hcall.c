/* Carrying out one HCALL: the devices' handler for the call in a7 over the
 * machine's bus, then what the machine keeps of it (the hypercall log,
 * the tracer, the counters) and the registers it writes back. */
#include "machine.h"
#include "pvabi_calls.h"

void machine_hcall(machine *m) {
  uint32_t *x = m->cpu.s.x;
  uint32_t a[6] = {x[10], x[11], x[12], x[13], x[14], x[15]};
  uint32_t out[2] = {0, 0};
  /* a call that switches (user_return) replaces a7: keep the number */
  uint32_t number = x[17];
  const pvabi_call *call = pvabi_lookup(number);
  uint32_t pc = m->cpu.s.pc;
  dev_bus bus = machine_bus(m);
  int32_t status = call ? dev_hcalls[call - pvabi_calls](&bus, a, out) : PV_ENOSYS;
  machine_debug *dbg = &m->dbg;
  machine_hcall_rec *rec = &dbg->hlog[dbg->hlog_count++ % MACHINE_HCALL_LOG];
  *rec = (machine_hcall_rec){m->cpu.s.icount, pc, number,
                             {a[0], a[1], a[2], a[3], a[4], a[5]}, status,
                             {out[0], out[1]}};
  if (dbg->trace) {
    dbg->trace(dbg->trace_ctx, &(machine_event){MACHINE_EV_HCALL, rec, 0, 0, 0});
  }
  m->stats.hcalls++;
  if (call) m->stats.hcalls_by_call[call - pvabi_calls]++;
  else m->stats.hcalls_unknown++;
  if (status == DEV_STOPPED) return;
  if (status == DEV_NO_RESULT) {
    m->cpu.s.icount++; /* the call retired; it chose where to go on */
    return;
  }
  x[10] = (uint32_t)status;
  x[11] = out[0];
  x[12] = out[1];
  cpu_retire(&m->cpu);
}
