/* The vCPU device: kernel and user mode.  A kernel registers a trap frame
 * (struct pv_vcpu) and an entry point; a trap from user mode saves the user
 * registers in the frame and starts the entry point with a fresh kernel
 * register file; user_return loads the (possibly edited) frame and resumes
 * user mode.  A context switch is therefore just writing another process's
 * registers into the frame before user_return. */
#include <string.h>

#include "machine/machine.h"
#include "pvabi/hcall.h"

#define FRAME_PC 32u
#define FRAME_CAUSE 33u
#define FRAME_TVAL 34u
#define FRAME_PENDING 35u
#define FRAME_KSP 36u
#define FRAME_KGP 37u
#define FRAME_KTP 38u

/* Word i of the registered frame (validated at registration). */
static uint8_t *frame_word(machine *m, unsigned i) {
  return pvabi_guest_buf(m, m->dev.vcpu.frame + 4u * i, 4);
}
static uint32_t frame_get(machine *m, unsigned i) {
  uint32_t v;
  memcpy(&v, frame_word(m, i), 4);
  return v;
}
static void frame_set(machine *m, unsigned i, uint32_t v) {
  memcpy(frame_word(m, i), &v, 4);
}

int32_t hc_vcpu_register(machine *m, const uint32_t a[6], uint32_t out[2]) {
  if (a[0] & 15u || a[1] & 3u) return PV_EINVAL;
  if (!pvabi_guest_buf(m, a[0], PV_VCPU_SIZE) || !pvabi_guest_buf(m, a[1], 4)) {
    return PV_EFAULT;
  }
  m->dev.vcpu = (dev_vcpu){1, a[0], a[1]};
  return PV_OK;
}

int32_t hc_user_return(machine *m, const uint32_t a[6], uint32_t out[2]) {
  if (!m->dev.vcpu.registered || !m->cpu.s.pt_root) return PV_EINVAL;
  cpu_state *s = &m->cpu.s;
  s->x[0] = 0;
  for (unsigned i = 1; i < 32; i++) s->x[i] = frame_get(m, i);
  s->pc = frame_get(m, FRAME_PC);
  s->mode = CPU_MODE_USER;
  return PVABI_NO_RESULT;
}

int32_t hc_mmu_install(machine *m, const uint32_t a[6], uint32_t out[2]) {
  if (a[0] & (CPU_PAGE_SIZE - 1)) return PV_EINVAL;
  if (a[0] && !pvabi_guest_buf(m, a[0], CPU_PAGE_SIZE)) return PV_EFAULT;
  m->cpu.s.pt_root = a[0];
  m->cpu.s.asid = a[1];
  cpu_tlb_flush(&m->cpu);
  return PV_OK;
}

int32_t hc_mmu_flush(machine *m, const uint32_t a[6], uint32_t out[2]) {
  cpu_tlb_flush(&m->cpu);
  return PV_OK;
}

void machine_trap(machine *m, uint32_t cause, uint32_t tval) {
  cpu_state *s = &m->cpu.s;
  frame_set(m, 0, 0);
  for (unsigned i = 1; i < 32; i++) frame_set(m, i, s->x[i]);
  frame_set(m, FRAME_PC, s->pc);
  frame_set(m, FRAME_CAUSE, cause);
  frame_set(m, FRAME_TVAL, tval);
  frame_set(m, FRAME_PENDING, m->dev.events.pending);
  pvabi_guest_written(m, m->dev.vcpu.frame, PV_VCPU_SIZE);
  /* the kernel starts clean: nothing of the user's leaks into its registers */
  memset(s->x, 0, sizeof s->x);
  s->x[2] = frame_get(m, FRAME_KSP);
  s->x[3] = frame_get(m, FRAME_KGP);
  s->x[4] = frame_get(m, FRAME_KTP);
  s->x[10] = m->dev.vcpu.frame;
  s->x[11] = cause;
  s->x[12] = tval;
  s->pc = m->dev.vcpu.entry;
  s->mode = CPU_MODE_KERNEL;
  if (cause < PV_CAUSE_COUNT) m->stats.traps[cause]++;
  machine_debug *dbg = &m->dbg;
  if (dbg->trace) {
    dbg->trace(dbg->trace_ctx, &(machine_event){MACHINE_EV_TRAP, NULL, cause,
                                                tval, frame_get(m, FRAME_PC)});
  }
  if (cause < 32 && (dbg->catch_traps & (1u << cause))) dbg->trap_caught = true;
}
