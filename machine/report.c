/* The run's statistics as a person reads them: shared by `pvlab run
 * --stats` and the monitor's `info stats`, so both say the same thing. */
#include <inttypes.h>

#include "machine.h"
#include "pvabi_calls.h"

static const char *const cause_names[PV_CAUSE_COUNT] = {
  [PV_CAUSE_ECALL] = "ecall", [PV_CAUSE_ILLEGAL] = "illegal",
  [PV_CAUSE_PAGE_LOAD] = "load page fault",
  [PV_CAUSE_PAGE_STORE] = "store page fault",
  [PV_CAUSE_PAGE_FETCH] = "fetch page fault",
  [PV_CAUSE_MISALIGNED_FETCH] = "misaligned fetch",
  [PV_CAUSE_EVENT] = "event",
};

static void line(FILE *out, const char *prefix, const char *what, uint64_t n) {
  fprintf(out, "%s%-20s %" PRIu64 "\n", prefix, what, n);
}

static void seconds(FILE *out, const char *prefix, const char *what, uint64_t ns) {
  fprintf(out, "%s%-20s %" PRIu64 ".%09" PRIu64 " s\n", prefix, what,
          ns / 1000000000u, ns % 1000000000u);
}

void machine_print_stats(const machine *m, FILE *out, const char *prefix,
                         double host_seconds) {
  const machine_stats *st = &m->stats;
  uint64_t insns = m->cpu.s.icount;
  line(out, prefix, "instructions", insns);
  line(out, prefix, "  kernel mode", insns - st->user_insns);
  line(out, prefix, "  user mode", st->user_insns);
  seconds(out, prefix, "virtual time", dev_timer_now(&m->dev.timer, insns));
  seconds(out, prefix, "  idle (skipped)", m->dev.timer.idle_ns);
  if (host_seconds >= 0) {
    fprintf(out, "%s%-20s %.6f\n", prefix, "host seconds", host_seconds);
    fprintf(out, "%s%-20s %.1f\n", prefix, "guest MIPS",
            host_seconds > 0 ? (double)insns / host_seconds / 1e6 : 0.0);
  }
  line(out, prefix, "hypercalls", st->hcalls);
  for (unsigned i = 0; i < pvabi_ncalls && i < MACHINE_MAX_CALLS; i++) {
    if (st->hcalls_by_call[i]) {
      fprintf(out, "%s  %-18s %" PRIu64 "\n", prefix, pvabi_calls[i].name,
              st->hcalls_by_call[i]);
    }
  }
  if (st->hcalls_unknown) {
    fprintf(out, "%s  %-18s %" PRIu64 "\n", prefix, "(unknown)", st->hcalls_unknown);
  }
  uint64_t traps = 0;
  for (unsigned i = 0; i < PV_CAUSE_COUNT; i++) traps += st->traps[i];
  line(out, prefix, "traps", traps);
  for (unsigned i = 0; i < PV_CAUSE_COUNT; i++) {
    if (st->traps[i]) {
      fprintf(out, "%s  %-18s %" PRIu64 "\n", prefix,
              cause_names[i] ? cause_names[i] : "(unnamed)", st->traps[i]);
    }
  }
  line(out, prefix, "events delivered", st->events_delivered);
  line(out, prefix, "TLB misses", m->cpu.tlb_misses);
  line(out, prefix, "frames flushed", m->dev.display.flushes);
  line(out, prefix, "input events", m->dev.input.delivered);
  if (m->dev.input.dropped) {
    fprintf(out, "%s  %-18s %" PRIu64 "\n", prefix, "dropped (queue full)",
            m->dev.input.dropped);
  }
  if (m->dev.disk.attached) {
    line(out, prefix, "disk sectors read", st->disk_sectors_read);
    line(out, prefix, "disk sectors written", st->disk_sectors_written);
  }
  if (m->dev.disk.persist) line(out, prefix, "disk commits", st->disk_commits);
  fprintf(out, "%s%-20s %016" PRIx64 "\n", prefix, "state hash",
          machine_state_hash(m));
}
