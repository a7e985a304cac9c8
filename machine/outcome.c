/* How a run ended, in one line a person can act on.  `pvlab run`, `pvlab
 * replay` and the grader (course/) all say it in these words, so a student
 * who sees a failure in the grader's report meets the same sentence when
 * running the guest by hand. */
#include <inttypes.h>
#include <stdio.h>

#include "machine.h"
#include "pvabi_calls.h"

static void deadlock(const machine *m, const char *where, char *buf, size_t size) {
  uint32_t ev = m->deadlock_events;
  if (m->dev.input.quit && (ev & PV_EV_INPUT)) {
    snprintf(buf, size, "the display window was closed and the guest waits "
             "for input that can no longer come; the run ends here");
    return;
  }
  snprintf(buf, size, "deadlock: the guest waits at %s for events (mask 0x%x) "
           "that can never come: %s%s%s; arm the timer or wait for something "
           "else", where, ev,
           (ev & PV_EV_CONSOLE) ? "the timer is not armed and console input has ended"
                                : "the timer is not armed",
           (ev & PV_EV_DISK)
               ? ", and disk requests complete within their hypercall, so "
                 "PV_EV_DISK only follows a disk_read, disk_write or disk_flush"
               : "",
           (ev & PV_EV_INPUT)
               ? ", and no input can come: no display window is open "
                 "(--headless or no display server) and --keys has no more"
               : "");
}

void machine_describe_stop(const machine *m, uint64_t max_insns, char *buf,
                           size_t size) {
  char text[1024], where[200];
  machine_format_addr(m, m->cpu.s.pc, where, sizeof where);
  switch (m->stop) {
  case MACHINE_STOP_SHUTDOWN:
    snprintf(buf, size, "the guest shut down with exit code %" PRIu32,
             m->dev.power.exit_code);
    return;
  case MACHINE_STOP_FAULT:
    machine_describe_fault(m, text, sizeof text);
    /* once a kernel registered its trap frame, a kernel-mode fault is the
     * kernel's own bug: nothing above it can handle it */
    snprintf(buf, size, "%s: %s", m->dev.vcpu.registered
             ? "kernel panic (fault in kernel mode)" : "guest fault", text);
    return;
  case MACHINE_STOP_LIMIT:
    snprintf(buf, size, "instruction limit reached: %" PRIu64 " instructions "
             "executed, stopped at %s; raise --max-insns if the guest needs "
             "more", max_insns, where);
    return;
  case MACHINE_STOP_INTERRUPT:
    snprintf(buf, size, "interrupted (Ctrl-C) at icount %" PRIu64 ", %s",
             m->cpu.s.icount, where);
    return;
  case MACHINE_STOP_EBREAK:
  case MACHINE_STOP_BREAK:
    snprintf(buf, size, "guest %s at %s; 'pvlab run' has no debugger, so the "
             "run ends here (use 'pvlab debug' to stop into one)",
             m->stop == MACHINE_STOP_EBREAK ? "hit ebreak" : "called debug_break",
             where);
    return;
  case MACHINE_STOP_BREAKPOINT:
  case MACHINE_STOP_WATCH:
    snprintf(buf, size, "stopped at a debugger's %s at %s",
             m->stop == MACHINE_STOP_WATCH ? "watchpoint" : "breakpoint", where);
    return;
  case MACHINE_STOP_CATCH_HCALL: {
    const pvabi_call *call = pvabi_lookup(m->cpu.s.x[17]);
    snprintf(buf, size, "stopped at hypercall %s at %s, before it was carried out",
             call ? call->name : "(unknown)", where);
    return;
  }
  case MACHINE_STOP_CATCH_TRAP:
    snprintf(buf, size, "stopped at a caught trap, at %s", where);
    return;
  case MACHINE_STOP_DEADLOCK:
    deadlock(m, where, buf, size);
    return;
  case MACHINE_STOP_CLOSED:
    snprintf(buf, size, "the display window was closed and the guest did not "
             "shut down within %u ms of virtual time after its QUIT input "
             "event; the run ends here", DEV_QUIT_GRACE_NS / 1000000u);
    return;
  case MACHINE_STOP_HOST_ERROR:
    snprintf(buf, size, "%s", m->host_fault.msg);
    return;
  case MACHINE_STOP_NONE: break;
  }
  snprintf(buf, size, "the guest has not run yet");
}
