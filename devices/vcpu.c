/* The vCPU device: kernel and user mode.  A kernel registers a trap frame
 * (struct pv_vcpu) and an entry point; a trap from user mode saves the user
 * registers in the frame and starts the entry point with a fresh kernel
 * register file; user_return loads the (possibly edited) frame and resumes
 * user mode.  A context switch is therefore just writing another process's
 * registers into the frame before user_return. */
#include <string.h>

#include "devices.h"

#define FRAME_PC 32u
#define FRAME_CAUSE 33u
#define FRAME_TVAL 34u
#define FRAME_PENDING 35u
#define FRAME_KSP 36u
#define FRAME_KGP 37u
#define FRAME_KTP 38u

/* Word i of the registered frame (validated at registration). */
static uint8_t *frame_word(dev_bus *b, unsigned i) {
  return dev_guest_buf(b, b->dev->vcpu.frame + 4u * i, 4);
}
static uint32_t frame_get(dev_bus *b, unsigned i) {
  uint32_t v;
  memcpy(&v, frame_word(b, i), 4);
  return v;
}
static void frame_set(dev_bus *b, unsigned i, uint32_t v) {
  memcpy(frame_word(b, i), &v, 4);
}

int32_t dev_hc_vcpu_register(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  if (a[0] & 15u || a[1] & 3u) return PV_EINVAL;
  if (!dev_guest_buf(b, a[0], PV_VCPU_SIZE) || !dev_guest_buf(b, a[1], 4)) {
    return PV_EFAULT;
  }
  b->dev->vcpu = (dev_vcpu){1, a[0], a[1]};
  return PV_OK;
}

int32_t dev_hc_user_return(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  if (!b->dev->vcpu.registered || !b->cpu->s.pt_root) return PV_EINVAL;
  cpu_state *s = &b->cpu->s;
  s->x[0] = 0;
  for (unsigned i = 1; i < 32; i++) s->x[i] = frame_get(b, i);
  s->pc = frame_get(b, FRAME_PC);
  s->mode = CPU_MODE_USER;
  return DEV_NO_RESULT;
}

int32_t dev_hc_mmu_install(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  if (a[0] & (CPU_PAGE_SIZE - 1)) return PV_EINVAL;
  if (a[0] && !dev_guest_buf(b, a[0], CPU_PAGE_SIZE)) return PV_EFAULT;
  b->cpu->s.pt_root = a[0];
  b->cpu->s.asid = a[1];
  cpu_tlb_flush(b->cpu);
  return PV_OK;
}

int32_t dev_hc_mmu_flush(dev_bus *b, const uint32_t a[6], uint32_t out[2]) {
  cpu_tlb_flush(b->cpu);
  return PV_OK;
}

void dev_vcpu_trap(dev_bus *b, uint32_t cause, uint32_t tval) {
  cpu_state *s = &b->cpu->s;
  frame_set(b, 0, 0);
  for (unsigned i = 1; i < 32; i++) frame_set(b, i, s->x[i]);
  frame_set(b, FRAME_PC, s->pc);
  frame_set(b, FRAME_CAUSE, cause);
  frame_set(b, FRAME_TVAL, tval);
  frame_set(b, FRAME_PENDING, b->dev->events.pending);
  dev_guest_written(b, b->dev->vcpu.frame, PV_VCPU_SIZE);
  /* the kernel starts clean: nothing of the user's leaks into its registers */
  memset(s->x, 0, sizeof s->x);
  s->x[2] = frame_get(b, FRAME_KSP);
  s->x[3] = frame_get(b, FRAME_KGP);
  s->x[4] = frame_get(b, FRAME_KTP);
  s->x[10] = b->dev->vcpu.frame;
  s->x[11] = cause;
  s->x[12] = tval;
  s->pc = b->dev->vcpu.entry;
  s->mode = CPU_MODE_KERNEL;
}
