/* Snapshots from the monitor, with QEMU's names: savevm FILE and loadvm
 * FILE (also snapshot save|load FILE).  A snapshot is the whole guest
 * (snapshot/snapshot.h); the monitor's own settings, breakpoints and
 * traces stay as they are.  A file that cannot be loaded changes nothing;
 * one that loads ends the history so far, like any change by hand. */
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "mon_int.h"
#include "snapshot.h"

/* The file name argument, trimmed, into buf. */
static bool file_arg(const char *args, const char *cmd, char *buf, size_t size,
                     FILE *out) {
  const char *p = mon_skip_space(args);
  size_t n = strlen(p);
  while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
  if (n == 0 || n >= size) {
    mon_fail(out, n ? "%s: the file name is too long" : "%s needs a file name", cmd);
    return false;
  }
  memcpy(buf, p, n);
  buf[n] = 0;
  return true;
}

static mon_status save(mon *s, const char *cmd, const char *path, FILE *out) {
  host_error err;
  if (!snap_save(s->m, path, &err)) return mon_fail(out, "%s: %s", cmd, err.msg);
  fprintf(out, "Saved snapshot %s at icount %" PRIu64, path, s->m->cpu.s.icount);
  struct stat st; /* a FIFO or /dev/stdout has no size to show */
  if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
    fprintf(out, " (%" PRIu64 " KiB)", ((uint64_t)st.st_size + 1023) / 1024);
  }
  fprintf(out, "\n");
  return MON_OK;
}

/* The display's size belongs to the session (its window, its
 * screenshot): a snapshot with another one needs a session of its own. */
static bool same_display(mon *s, const snap_file *f, const char *path, FILE *out) {
  machine_config cfg;
  host_error err;
  if (!snap_file_config(f, &cfg, &err)) {
    mon_fail(out, "%s", err.msg);
    return false;
  }
  const machine_config *now = &s->m->cfg;
  if (cfg.display_width == now->display_width && cfg.display_height == now->display_height) {
    return true;
  }
  mon_fail(out, "snapshot %s has a %ux%u display and this session a %ux%u one; "
           "open it with 'pvlab debug --load %s'", path, cfg.display_width,
           cfg.display_height, now->display_width, now->display_height, path);
  return false;
}

static mon_status load(mon *s, const char *path, FILE *out) {
  host_error err;
  snap_file f;
  if (!snap_file_read(&f, path, &err)) {
    return mon_fail(out, "%s; the machine is as it was", err.msg);
  }
  bool ok = same_display(s, &f, path, out);
  if (ok && !snap_restore(s->m, &f, &err)) {
    ok = mon_fail(out, "%s; the machine is as it was", err.msg);
  }
  snap_file_free(&f);
  if (!ok) return MON_ERROR;
  mon_forget_run(s);
  const machine *m = s->m;
  fprintf(out, "Loaded snapshot %s: %s at icount %" PRIu64 "\n", path,
          m->elf.name ? m->elf.name : "a guest without its ELF", m->cpu.s.icount);
  mon_show_next(s, out);
  return MON_OK;
}

mon_status mon_cmd_savevm(mon *s, const char *args, FILE *out) {
  char path[4096];
  return file_arg(args, "savevm", path, sizeof path, out) ? save(s, "savevm", path, out)
                                                          : MON_ERROR;
}

mon_status mon_cmd_loadvm(mon *s, const char *args, FILE *out) {
  char path[4096];
  return file_arg(args, "loadvm", path, sizeof path, out) ? load(s, path, out) : MON_ERROR;
}

mon_status mon_cmd_snapshot(mon *s, const char *args, FILE *out) {
  char word[16], path[4096];
  const char *p = args;
  if (!mon_next_word(&p, word, sizeof word) ||
      (strcmp(word, "save") != 0 && strcmp(word, "load") != 0)) {
    return mon_fail(out, "usage: snapshot save FILE | snapshot load FILE");
  }
  bool saving = strcmp(word, "save") == 0;
  if (!file_arg(p, saving ? "snapshot save" : "snapshot load", path, sizeof path, out)) {
    return MON_ERROR;
  }
  return saving ? save(s, "snapshot save", path, out) : load(s, path, out);
}
