/* pvlab explore's summary: the range, how many runs failed, each distinct
 * failure on one line (its seeds, how it ended, the first output line
 * unlike a passing run's, its bundle) and the command that opens the
 * first failure in the debugger.  Only seed-ordered data goes in, so the
 * text is the same whatever -j was. */
#include <inttypes.h>
#include <string.h>

#include "explore.h"

#define SHOW_SEEDS 10 /* seeds listed per failure; the rest as "..." */

static void show_seeds(const explore *x, size_t g, FILE *out) {
  const explore_group *grp = &x->groups[g];
  fprintf(out, "%zu seed%s (", grp->count, grp->count == 1 ? "" : "s");
  size_t shown = 0;
  for (size_t i = grp->first; i < x->nfails && shown < grp->count; i++) {
    if (x->fails[i].group != g) continue;
    if (shown == SHOW_SEEDS) {
      fprintf(out, ", ...");
      break;
    }
    fprintf(out, "%s%" PRIu64, shown ? ", " : "", x->fails[i].seed);
    shown++;
  }
  fprintf(out, ")");
}

static void show_group(const explore *x, size_t g, FILE *out) {
  const explore_group *grp = &x->groups[g];
  const explore_fail *f = &x->fails[grp->first];
  fprintf(out, "  ");
  show_seeds(x, g, out);
  /* a clean shutdown failed a check: the check is the news */
  bool clean = f->stop == MACHINE_STOP_SHUTDOWN && f->exit_code == 0;
  const char *sep = ": ";
  if (!clean) {
    fprintf(out, "%s%s", sep, grp->outcome);
    sep = "; ";
  }
  if (f->expect_missing) {
    fprintf(out, "%sno \"%s\" in the output (--expect)", sep, x->o.expect);
    sep = "; ";
  }
  if (f->reject_found) fprintf(out, "%s\"%s\" in the output (--reject)", sep, x->o.reject);
  if (grp->line[0]) fprintf(out, "; output \"%s\"", grp->line);
  if (grp->bundle) fprintf(out, "; bundle %s", grp->bundle);
  fprintf(out, "\n");
}

void cli_explore_show(const explore *x, FILE *out) {
  const char *slash = strrchr(x->o.guest, '/');
  fprintf(out, "pvlab explore: %s, seeds %" PRIu64 "..%" PRIu64 "%s: %" PRIu64 " runs, ",
          slash ? slash + 1 : x->o.guest, x->o.first, x->o.last,
          x->o.jitter ? " with --jitter" : "", x->runs);
  if (!x->nfails) {
    fprintf(out, "none failed\n");
    if (!x->o.jitter) {
      fprintf(out, "without --jitter a seed changes only rng_fill's numbers: "
              "add --jitter to vary the timer too\n");
    }
    return;
  }
  fprintf(out, "%zu failed (%.1f%%), %zu distinct failure%s\n", x->nfails,
          100.0 * (double)x->nfails / (double)x->runs, x->ngroups,
          x->ngroups == 1 ? "" : "s");
  for (size_t g = 0; g < x->ngroups; g++) show_group(x, g, out);
  const char *first = x->groups[0].bundle;
  if (first) {
    fprintf(out, "to open the first failure where it ended:\n"
            "  pvlab replay --debug --at-end %s\n", first);
  }
}
