/* One job: a guest run headless on a memory console, start to end, in
 * the caller's thread, optionally recorded into a bundle. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "course.h"
#include "pvabi_calls.h"
#include "bundle.h"

void course_job_init(course_job *job) {
  memset(job, 0, sizeof *job);
  job->cfg.mem_mib = MACHINE_DEFAULT_MEM_MIB;
}

int course_hcall_index(const char *name) {
  for (unsigned i = 0; i < pvabi_ncalls && i < MACHINE_MAX_CALLS; i++) {
    if (strcmp(pvabi_calls[i].name, name) == 0) return (int)i;
  }
  return -1;
}

/* The machine ready to run: guest loaded, disk attached, console on mem,
 * the stop-at hypercall caught. */
static bool setup(const course_job *job, machine *m, dev_console_mem *con,
                  host_error *err) {
  if (!job->guest) return host_fail(err, "a job needs a guest ELF file");
  int hc = -1;
  if (job->stop_hcall && (hc = course_hcall_index(job->stop_hcall)) < 0) {
    return host_fail(err, "stop at hypercall '%s': there is no hypercall of "
                    "that name; docs/pvabi.md lists them", job->stop_hcall);
  }
  if (!machine_init(m, &job->cfg, err)) return false;
  if (!machine_load_elf(m, job->guest, err) ||
      (job->disk && !machine_disk_attach(m, job->disk, false, err))) {
    machine_free(m);
    return false;
  }
  *con = (dev_console_mem){.in = job->input, .in_len = job->input_len};
  m->console_io = dev_console_mem_backend(con);
  if (hc >= 0) m->dbg.catch_hcall[hc] = 1;
  return true;
}

/* Runs to the budget, the end, or the stop_nth-th stop-at hypercall. */
static void run(const course_job *job, machine *m, replay_recorder *rec) {
  uint64_t limit = job->budget ? job->budget : UINT64_MAX;
  uint32_t nth = job->stop_nth ? job->stop_nth : 1, seen = 0;
  for (;;) {
    machine_stop st = rec ? replay_record_run(rec, limit) : machine_run(m, limit);
    if (st != MACHINE_STOP_CATCH_HCALL || ++seen >= nth) return;
    m->dbg.catch_skip = true; /* carry this one out and go on */
  }
}

static void fill(const course_job *job, machine *m, dev_console_mem *con,
                 course_result *r) {
  r->ran = true;
  r->stop = m->stop;
  r->exit_code = m->dev.power.exit_code;
  r->icount = m->cpu.s.icount;
  r->hash = machine_state_hash_fast(m); /* the same value, for the pages written */
  r->pc = m->cpu.s.pc;
  machine_format_addr(m, r->pc, r->where, sizeof r->where);
  machine_describe_stop(m, job->budget, r->outcome, sizeof r->outcome);
  /* a guest that wrote nothing still leaves a string (an empty write
   * allocates the buffer; if even that fails, out stays NULL) */
  if (!con->out) (void)dev_console_mem_backend(con).write(con, (const uint8_t *)"", 0);
  r->out = con->out;
  r->out_len = con->out_len;
  con->out = NULL; /* the result owns it now */
}

bool course_run(const course_job *job, course_result *r) {
  memset(r, 0, sizeof *r);
  machine m;
  dev_console_mem con;
  if (!setup(job, &m, &con, &r->err)) return false;
  replay_recorder rec;
  bool recording = job->bundle != NULL;
  if (recording && !replay_record_start(&rec, &m, 0, &r->err)) {
    machine_free(&m);
    return false;
  }
  run(job, &m, recording ? &rec : NULL);
  fill(job, &m, &con, r);
  r->ok = true;
  bool keep = job->at_end ? job->at_end(job->ctx, &m, r) : true;
  if (recording) {
    if (keep) {
      r->bundle_written = replay_record_save(&rec, job->bundle, &r->err);
      r->ok = r->bundle_written;
    }
    replay_record_free(&rec);
  }
  dev_console_mem_free(&con);
  machine_free(&m);
  return r->ok;
}

void course_result_free(course_result *r) {
  free(r->out);
  r->out = NULL;
  r->out_len = 0;
}
