/* The hypercall table and dispatch.  The table is generated from PV_CALLS,
 * so a call cannot exist in the header without a handler, a name for the
 * tracer and an entry here (the link fails), and docs/pvabi.md is checked
 * against the same list by a test. */
#include "pvabi/hcall.h"

#include <stddef.h>

#include "machine/machine.h"

const pvabi_call pvabi_calls[] = {
#define PVABI_ROW(NAME, name, num, args, result) \
  {#name, num, PV_ARGC_##args, PV_ARGN_##args, result, hc_##name},
  PV_CALLS(PVABI_ROW)
#undef PVABI_ROW
};
const unsigned pvabi_ncalls = sizeof pvabi_calls / sizeof pvabi_calls[0];

const pvabi_call *pvabi_lookup(uint32_t number) {
  for (unsigned i = 0; i < pvabi_ncalls; i++) {
    if (pvabi_calls[i].number == number) return &pvabi_calls[i];
  }
  return NULL;
}

const char *pvabi_status_name(int32_t status) {
#define PVABI_STATUS(name, num, text) if (status == (num)) return #name;
  PV_ERRORS(PVABI_STATUS)
#undef PVABI_STATUS
  return "PV_E?";
}

uint8_t *pvabi_guest_buf(machine *m, uint32_t addr, uint32_t len) {
  return cpu_guest_ptr(&m->cpu, addr, len);
}

void pvabi_guest_written(machine *m, uint32_t addr, uint32_t len) {
  cpu_code_written(&m->cpu, addr, len);
}

void pvabi_dispatch(machine *m) {
  uint32_t *x = m->cpu.s.x;
  uint32_t a[6] = {x[10], x[11], x[12], x[13], x[14], x[15]};
  uint32_t out[2] = {0, 0};
  /* a call that switches (user_return) replaces a7: keep the number */
  uint32_t number = x[17];
  const pvabi_call *call = pvabi_lookup(number);
  uint32_t pc = m->cpu.s.pc;
  int32_t status = call ? call->fn(m, a, out) : PV_ENOSYS;
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
  if (status == PVABI_STOPPED) return;
  if (status == PVABI_NO_RESULT) {
    m->cpu.s.icount++; /* the call retired; it chose where to go on */
    return;
  }
  x[10] = (uint32_t)status;
  x[11] = out[0];
  x[12] = out[1];
  cpu_retire(&m->cpu);
}

int32_t hc_version(machine *m, const uint32_t a[6], uint32_t out[2]) {
  uint32_t highest = 0;
  for (unsigned i = 0; i < pvabi_ncalls; i++) {
    if (pvabi_calls[i].number > highest) highest = pvabi_calls[i].number;
  }
  out[0] = PV_ABI_VERSION;
  out[1] = highest;
  return PV_OK;
}

int32_t hc_probe(machine *m, const uint32_t a[6], uint32_t out[2]) {
  return pvabi_lookup(a[0]) ? PV_OK : PV_ENOSYS;
}
