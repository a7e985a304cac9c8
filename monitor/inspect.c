/* Looking at the machine without changing it: `info` and its subcommands
 * (registers, breakpoints, symbol, hcalls, devices, mmu, stats) and
 * `backtrace`.  Every table is computed first and printed after, so a bad
 * argument prints one message and nothing else. */
#include <inttypes.h>
#include <string.h>

#include "mon_int.h"
#include "pvabi_calls.h"

/* ---- info registers ---- */

static void reg_row(mon *s, int i, FILE *out) {
  const cpu_state *st = &s->m->cpu.s;
  char name[16], where[200];
  if (i < 32) {
    uint32_t v = st->x[i];
    snprintf(name, sizeof name, "x%d", i);
    fprintf(out, "%-5s%-5s0x%08" PRIx32 "  %10" PRIu32, cpu_reg_names[i], name, v, v);
    if (v & 0x80000000u) fprintf(out, "  %11" PRId32, (int32_t)(v - 0x80000000u) + INT32_MIN);
    if (i == 1 && mon_symbolize(s, v, where, sizeof where)) fprintf(out, "  <%s>", where);
    fputc('\n', out);
    return;
  }
  switch (i) {
  case MON_REG_PC:
    mon_format_addr(s, st->pc, where, sizeof where);
    fprintf(out, "%-10s%s\n", "pc", where);
    break;
  case MON_REG_ICOUNT: fprintf(out, "%-10s%" PRIu64 "\n", "icount", st->icount); break;
  case MON_REG_MODE:
    fprintf(out, "%-10s%s\n", "mode", st->mode == CPU_MODE_USER ? "user" : "kernel");
    break;
  case MON_REG_PT_ROOT:
    fprintf(out, "%-10s0x%08" PRIx32 "%s\n", "pt_root", st->pt_root,
            st->pt_root ? "" : " (no page table)");
    break;
  case MON_REG_ASID: fprintf(out, "%-10s%" PRIu32 "\n", "asid", st->asid); break;
  }
}

static mon_status info_registers(mon *s, const char *args, FILE *out) {
  int rows[64];
  size_t n = 0;
  char word[32];
  const char *p = args;
  while (mon_next_word(&p, word, sizeof word)) {
    int i = mon_reg_index(word);
    if (i < 0) return mon_fail(out, "no register \"%s\"; 'info registers' lists them all", word);
    if (n == sizeof rows / sizeof rows[0]) return mon_fail(out, "too many registers at once");
    rows[n++] = i;
  }
  if (*mon_skip_space(p)) return mon_fail(out, "no register \"%.40s\"", mon_skip_space(p));
  if (n == 0) {
    for (int i = 0; i < MON_REG_COUNT; i++) reg_row(s, i, out);
  }
  for (size_t i = 0; i < n; i++) reg_row(s, rows[i], out);
  return MON_OK;
}

/* ---- info breakpoints, symbol, stats ---- */

static mon_status info_breakpoints(mon *s, const char *args, FILE *out) {
  if (*mon_skip_space(args)) return mon_fail(out, "info breakpoints takes no arguments");
  mon_info_breakpoints(s, out);
  return MON_OK;
}

/* gdb's answer: "main + 4 in section .text" */
static mon_status info_symbol(mon *s, const char *args, FILE *out) {
  const char *text = mon_skip_space(args);
  if (!*text) return mon_fail(out, "info symbol needs an address");
  uint32_t addr;
  if (!mon_eval(s, text, &addr, out)) return MON_ERROR;
  const elf_sym *f = elf_symtab_find(&s->m->elf.syms, addr);
  char section[64];
  bool in_section = elf_section_at(&s->m->elf, addr, section, sizeof section);
  if (!f || (!in_section && f->size == 0)) {
    fprintf(out, "No symbol matches %s.\n", text);
    return MON_OK;
  }
  fprintf(out, "%s", f->name);
  if (addr != f->addr) fprintf(out, " + %" PRIu32, addr - f->addr);
  if (in_section) fprintf(out, " in section %s", section);
  fputc('\n', out);
  return MON_OK;
}

static mon_status info_stats(mon *s, const char *args, FILE *out) {
  if (*mon_skip_space(args)) return mon_fail(out, "info stats takes no arguments");
  machine_print_stats(s->m, out, "", -1);
  return MON_OK;
}

/* ---- info hcalls ---- */

#define HCALLS_DEFAULT 16

static int digits(uint64_t v) {
  int n = 1;
  for (; v >= 10; v /= 10) n++;
  return n;
}

static mon_status info_hcalls(mon *s, const char *args, FILE *out) {
  const machine_debug *dbg = &s->m->dbg;
  const char *p = mon_skip_space(args);
  uint64_t want = HCALLS_DEFAULT;
  if (*p && (!mon_parse_count(p, &want) || want == 0)) {
    return mon_fail(out, "info hcalls takes a count (1 or more), not \"%s\"", p);
  }
  uint64_t total = dbg->hlog_count;
  if (total == 0) {
    fprintf(out, "No hypercalls yet.\n");
    return MON_OK;
  }
  uint64_t kept = total < MACHINE_HCALL_LOG ? total : MACHINE_HCALL_LOG;
  uint64_t shown = want < kept ? want : kept;
  uint64_t first = total - shown; /* 0-based number of the first shown */
  int wpc = 2;
  uint64_t max_icount = 0;
  char where[200];
  for (uint64_t k = first; k < total; k++) {
    const machine_hcall_rec *r = &dbg->hlog[k % MACHINE_HCALL_LOG];
    mon_format_addr(s, r->pc, where, sizeof where);
    if ((int)strlen(where) > wpc) wpc = (int)strlen(where);
    if (r->icount > max_icount) max_icount = r->icount;
  }
  int wnum = digits(total) + 1, wicount = digits(max_icount);
  if (wicount < 6) wicount = 6;
  fprintf(out, "%*s  %*s  %-*s  %s\n", wnum, "#", wicount, "icount", wpc, "pc", "hypercall");
  for (uint64_t k = first; k < total; k++) {
    const machine_hcall_rec *r = &dbg->hlog[k % MACHINE_HCALL_LOG];
    char num[32], text[400];
    snprintf(num, sizeof num, "#%" PRIu64, k + 1);
    mon_format_addr(s, r->pc, where, sizeof where);
    mon_format_hcall(r, text, sizeof text);
    fprintf(out, "%*s  %*" PRIu64 "  %-*s  %s\n", wnum, num, wicount, r->icount,
            wpc, where, text);
  }
  if (want > kept && total > kept) {
    fprintf(out, "(%" PRIu64 " older hypercall%s not kept: the log holds the last %d)\n",
            total - kept, total - kept == 1 ? " is" : "s are", MACHINE_HCALL_LOG);
  }
  return MON_OK;
}

/* ---- info devices ---- */

static void field(FILE *out, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void field(FILE *out, const char *name, const char *fmt, ...) {
  va_list ap;
  fprintf(out, "  %-14s", name);
  va_start(ap, fmt);
  vfprintf(out, fmt, ap);
  va_end(ap);
  fputc('\n', out);
}

/* "0x00000003 (timer, console)" */
static void event_names(uint32_t bits, char *buf, size_t size) {
  static const char *const names[] = {"timer", "console", "disk", "input"};
  size_t n = (size_t)snprintf(buf, size, "0x%08" PRIx32 " (", bits);
  bool any = false;
  for (unsigned i = 0; i < sizeof names / sizeof names[0] && n < size; i++) {
    if (bits & (1u << i)) {
      n += (size_t)snprintf(buf + n, size - n, "%s%s", any ? ", " : "", names[i]);
      any = true;
    }
  }
  if (n < size) snprintf(buf + n, size - n, "%s)", any ? "" : "none");
}

static void show_timer(const machine *m, FILE *out) {
  const dev_timer *t = &m->dev.timer;
  uint64_t now = dev_timer_now(t, m->cpu.s.icount);
  fprintf(out, "timer\n");
  field(out, "now", "%" PRIu64 " ns of virtual time", now);
  if (t->armed) {
    field(out, "armed", "yes: fires at %" PRIu64 " ns (in %" PRIu64 " ns)", t->deadline_ns,
          t->deadline_ns > now ? t->deadline_ns - now : 0);
  } else {
    field(out, "armed", "no");
  }
  field(out, "idle", "%" PRIu64 " ns skipped while the guest waited", t->idle_ns);
  if (m->cfg.jitter) { /* without it, nothing to say */
    field(out, "jitter", "on: the clock started at %" PRIu64 " ns; the last "
          "deadline set fires %" PRIu64 " ns late", t->phase_ns, t->delay_ns);
  }
}

static void show_disk(const machine *m, FILE *out) {
  const dev_disk *d = &m->dev.disk;
  fprintf(out, "disk\n");
  if (!d->attached) {
    field(out, "image", "none attached (--disk IMAGE attaches one)");
    return;
  }
  field(out, "image", "%s", m->disk_host.path ? m->disk_host.path : "(unnamed)");
  field(out, "size", "%" PRIu32 " sectors of %u bytes", d->sectors, PV_DISK_SECTOR);
  field(out, "writes", "%s; %" PRIu32 " sector%s written so far",
        d->persist ? "committed to the image (--disk-write)" : "kept in memory only",
        m->disk_host.overlay.count, m->disk_host.overlay.count == 1 ? "" : "s");
}

static mon_status info_devices(mon *s, const char *args, FILE *out) {
  if (*mon_skip_space(args)) return mon_fail(out, "info devices takes no arguments");
  const machine *m = s->m;
  const dev_state *d = &m->dev;
  char text[200];
  fprintf(out, "console\n");
  field(out, "output", "%" PRIu64 " bytes", d->console.bytes_out);
  field(out, "input", "%" PRIu64 " bytes read; %s", d->console.bytes_in,
        d->console.input_closed ? "ended" : "open");
  fprintf(out, "power\n");
  if (d->power.off) field(out, "state", "off: shut down with exit code %" PRIu32, d->power.exit_code);
  else field(out, "state", "on");
  show_timer(m, out);
  fprintf(out, "events\n");
  event_names(d->events.pending, text, sizeof text);
  field(out, "pending", "%s", text);
  event_names(d->events.mask, text, sizeof text);
  field(out, "mask", "%s", text);
  fprintf(out, "vcpu\n");
  if (d->vcpu.registered) {
    field(out, "registered", "yes");
    mon_format_addr(s, d->vcpu.frame, text, sizeof text);
    field(out, "frame", "%s", text);
    mon_format_addr(s, d->vcpu.entry, text, sizeof text);
    field(out, "entry", "%s", text);
  } else {
    field(out, "registered", "no (no kernel called vcpu_register)");
  }
  fprintf(out, "rng\n");
  field(out, "state", "0x%08" PRIx32 " 0x%08" PRIx32 " 0x%08" PRIx32 " 0x%08" PRIx32,
        d->rng.s[0], d->rng.s[1], d->rng.s[2], d->rng.s[3]);
  show_disk(m, out);
  fprintf(out, "display\n");
  field(out, "size", "%" PRIu32 "x%" PRIu32 " pixels, XRGB8888", m->cfg.display_width,
        m->cfg.display_height);
  if (d->display.fb_set) {
    mon_format_addr(s, d->display.fb_addr, text, sizeof text);
    field(out, "framebuffer", "%s", text);
  } else {
    field(out, "framebuffer", "not set (no fb_set yet)");
  }
  field(out, "flushes", "%" PRIu64, d->display.flushes);
  fprintf(out, "input\n");
  field(out, "queued", "%" PRIu32 " event%s", d->input.count, d->input.count == 1 ? "" : "s");
  field(out, "delivered", "%" PRIu64, d->input.delivered);
  field(out, "dropped", "%" PRIu64 " (queue full)", d->input.dropped);
  if (d->input.quit) field(out, "quit", "the window was closed; shut down by %" PRIu64 " ns",
                           d->input.quit_deadline_ns);
  fprintf(out, "debug\n");
  field(out, "log calls", "%" PRIu64, d->debug.log_calls);
  return MON_OK;
}

/* ---- info mmu ---- */

#define PTE_V 0x01u
#define PTE_R 0x02u
#define PTE_W 0x04u
#define PTE_X 0x08u
#define PTE_U 0x10u

/* "V R W X U A D" for the bits that are set. */
static void pte_flags(uint32_t pte, char *buf, size_t size) {
  static const char letters[] = "VRWXUGAD";
  size_t n = 0;
  for (unsigned i = 0; i < 8 && n + 3 < size; i++) {
    if (pte & (1u << i)) {
      if (n) buf[n++] = ' ';
      buf[n++] = letters[i];
    }
  }
  buf[n] = 0;
  if (!n) snprintf(buf, size, "none");
}

/* One level of the walk: prints the PTE; returns false (after saying why)
 * when the walk ends in a fault, and sets *leaf when it found the page. */
static bool walk_level(mon *s, int level, uint32_t table, uint32_t va, uint32_t *next,
                       bool *leaf, FILE *out) {
  uint32_t vpn = level ? va >> 22 : (va >> 12) & 0x3ffu;
  uint32_t pa = table + vpn * 4u, off = pa - CPU_RAM_BASE, pte;
  if (off > s->m->cpu.ram_size - 4 || (pa & 3u)) {
    fprintf(out, "  level %d  PTE at 0x%08" PRIx32 " lies outside RAM: user accesses fault\n",
            level, pa);
    return false;
  }
  memcpy(&pte, s->m->ram + off, 4);
  char flags[32];
  pte_flags(pte, flags, sizeof flags);
  fprintf(out, "  level %d  PTE at 0x%08" PRIx32 " = 0x%08" PRIx32 "  [%s]", level, pa, pte, flags);
  uint32_t ppn = pte >> 10;
  const char *why = NULL;
  *leaf = (pte & (PTE_R | PTE_X)) != 0;
  if (!(pte & PTE_V)) why = "not valid (V clear): nothing is mapped here";
  else if ((pte & PTE_W) && !(pte & PTE_R)) why = "W without R is reserved";
  else if (!*leaf && level == 0) why = "a pointer at level 0: there is no level below";
  else if (ppn >= (1u << 20)) why = "its page number lies beyond 32-bit physical memory";
  else if (*leaf && level == 1 && (ppn & 0x3ffu)) why = "a misaligned megapage (PPN[0] is not 0)";
  else if (*leaf && !(pte & PTE_U)) why = "not a user page (U clear)";
  if (why) {
    fprintf(out, "\n    %s: user accesses fault\n", why);
    return false;
  }
  if (*leaf) {
    uint32_t mask = level ? 0x3fffffu : 0xfffu;
    *next = ((ppn << 12) & ~mask) | (va & mask);
    fprintf(out, " -> %s at 0x%08" PRIx32 "\n", level ? "megapage" : "page", (ppn << 12) & ~mask);
  } else {
    *next = ppn << 12;
    fprintf(out, " -> table at 0x%08" PRIx32 "\n", *next);
  }
  return true;
}

static void mmu_walk(mon *s, uint32_t va, FILE *out) {
  const cpu *c = &s->m->cpu;
  fprintf(out, "Sv32 walk of 0x%08" PRIx32 " (VPN[1] 0x%03" PRIx32 ", VPN[0] 0x%03" PRIx32
          ", offset 0x%03" PRIx32 ")%s:\n", va, va >> 22, (va >> 12) & 0x3ffu, va & 0xfffu,
          c->s.mode == CPU_MODE_USER ? "" : " as user mode would see it");
  if (!c->s.pt_root) {
    fprintf(out, "  no page table is installed (pt_root 0): user accesses fault\n");
    return;
  }
  uint32_t table = c->s.pt_root, next = 0;
  bool leaf = false;
  for (int level = 1; level >= 0 && !leaf; level--) {
    if (!walk_level(s, level, table, va, &next, &leaf, out)) return;
    table = next;
  }
  if (next - CPU_RAM_BASE >= c->ram_size) {
    fprintf(out, "  0x%08" PRIx32 " lies outside RAM: user accesses fault\n", next);
    return;
  }
  static const char *const acc_names[] = {"load", "store", "fetch"};
  char where[200];
  mon_format_addr(s, next, where, sizeof where);
  fprintf(out, "  0x%08" PRIx32 " -> physical %s; user", va, where);
  for (int a = 0; a < CPU_ACCESS_COUNT; a++) {
    uint32_t off;
    bool ok = cpu_peek_translate(c, va, (cpu_access)a, &off);
    fprintf(out, "%s %s %s", a ? "," : "", acc_names[a], ok ? "works" : "faults");
  }
  fputc('\n', out);
}

static mon_status info_mmu(mon *s, const char *args, FILE *out) {
  const cpu_state *st = &s->m->cpu.s;
  const char *p = mon_skip_space(args);
  uint32_t va = 0;
  if (*p && !mon_eval(s, p, &va, out)) return MON_ERROR;
  fprintf(out, "%-9s%s\n", "mode", st->mode == CPU_MODE_USER
          ? "user: addresses go through the page table"
          : "kernel: addresses are physical");
  if (st->pt_root) fprintf(out, "%-9s0x%08" PRIx32 "\n", "pt_root", st->pt_root);
  else fprintf(out, "%-9s0 (no page table installed)\n", "pt_root");
  fprintf(out, "%-9s%" PRIu32 "\n", "asid", st->asid);
  if (*p) mmu_walk(s, va, out);
  return MON_OK;
}

/* ---- info: the dispatcher ---- */

typedef struct info_sub {
  const char *name, *alias;
  mon_status (*fn)(mon *s, const char *args, FILE *out);
} info_sub;

static const info_sub subs[] = {
  {"registers", "r", info_registers}, {"breakpoints", "b", info_breakpoints},
  {"symbol", "", info_symbol},        {"hcalls", "", info_hcalls},
  {"devices", "", info_devices},      {"mmu", "", info_mmu},
  {"stats", "", info_stats},          {"reverse", "", mon_info_reverse},
};
#define NSUBS (sizeof subs / sizeof subs[0])

static void list_subs(FILE *out) {
  for (size_t i = 0; i < NSUBS; i++) fprintf(out, "%s%s", i ? ", " : "", subs[i].name);
}

mon_status mon_cmd_info(mon *s, const char *args, FILE *out) {
  const char *p = args;
  char word[32];
  if (!mon_next_word(&p, word, sizeof word)) {
    fprintf(out, "info what? One of: ");
    list_subs(out);
    fputc('\n', out);
    return MON_ERROR;
  }
  const info_sub *found = NULL;
  size_t n = strlen(word), matches = 0;
  for (size_t i = 0; i < NSUBS && !found; i++) {
    if (strcmp(subs[i].name, word) == 0 || strcmp(subs[i].alias, word) == 0) found = &subs[i];
  }
  for (size_t i = 0; i < NSUBS && !found; i++) {
    if (strncmp(subs[i].name, word, n) == 0) matches++;
  }
  if (!found && matches == 1) {
    for (size_t i = 0; i < NSUBS; i++) {
      if (strncmp(subs[i].name, word, n) == 0) found = &subs[i];
    }
  }
  if (!found) {
    if (matches > 1) {
      fprintf(out, "\"info %s\" is ambiguous:", word);
      for (size_t i = 0, k = 0; i < NSUBS; i++) {
        if (strncmp(subs[i].name, word, n) == 0) fprintf(out, "%s %s", k++ ? "," : "", subs[i].name);
      }
    } else {
      fprintf(out, "no \"info %s\"; info shows: ", word);
      list_subs(out);
    }
    fputc('\n', out);
    return MON_ERROR;
  }
  return found->fn(s, p, out);
}

/* ---- backtrace ---- */

#define BT_MAX_FRAMES 64

/* The function holding pc, if a symbol really covers it. */
static const elf_sym *func_at(mon *s, uint32_t pc) {
  char name[160];
  return mon_symbolize(s, pc, name, sizeof name) ? elf_symtab_find(&s->m->elf.syms, pc) : NULL;
}

mon_status mon_cmd_bt(mon *s, const char *args, FILE *out) {
  if (*mon_skip_space(args)) return mon_fail(out, "backtrace takes no arguments");
  const cpu_state *st = &s->m->cpu.s;
  uint32_t pc = st->pc, sp = st->x[2], ra = st->x[1];
  for (unsigned n = 0;; n++) {
    /* an outer frame's pc is a return address: the call before it says
     * which function it is in (a call can be a function's last word) */
    uint32_t at = n == 0 ? pc : pc - 4;
    const elf_sym *f = func_at(s, at);
    fprintf(out, "#%-2u 0x%08" PRIx32 " in %s ()\n", n, pc, f ? f->name : "??");
    if (f && strcmp(f->name, "_start") == 0) return MON_OK; /* the outermost */
    if (n + 1 == BT_MAX_FRAMES) {
      fprintf(out, "(backtrace stops after %d frames; is the stack looping?)\n", BT_MAX_FRAMES);
      return MON_OK;
    }
    uint32_t ret_pc = 1, ret_sp, word; /* 1: never a return address */
    if (n == 0 && ra && !mon_read(s, pc, &word, 4)) {
      /* no code at pc (a call through a bad pointer): as if the call had
       * just happened, the caller is in ra */
      ret_pc = ra;
      ret_sp = sp;
    } else if (!mon_caller(s, at, sp, n == 0 ? ra : 0, &ret_pc, &ret_sp)) {
      /* a zero return address ends the chain: saved, or still in ra at
       * an entry point (the trap handler, _start) */
      if (ret_pc == 0 || (n == 0 && ra == 0 && f && f->is_func)) return MON_OK;
      if (!f || !f->is_func) {
        fprintf(out, "Backtrace stopped: no function symbol covers 0x%08" PRIx32
                ", so its frame cannot be read\n", pc);
      } else {
        fprintf(out, "Backtrace stopped: cannot tell where %s returns to (its prologue "
                "saves no ra that pvlab recognizes)\n", f->name);
      }
      return MON_OK;
    }
    /* a caller that saved ra has a frame of its own above this one */
    if (n > 0 && ret_sp <= sp) {
      fprintf(out, "Backtrace stopped: the caller's frame at sp 0x%08" PRIx32
              " is not above this one (corrupt stack?)\n", ret_sp);
      return MON_OK;
    }
    pc = ret_pc;
    sp = ret_sp;
  }
}
