/* schedtest: the test of exercise "sched".  It starts three children that
 * do the same amount of work, in the order low, mid, high, and gives them
 * priorities 2, 5 and 8 (higher runs first).  With a priority scheduler
 * they finish high, mid, low; with plain round robin they take turns and
 * finish in the order they started: low, mid, high.  The parent runs at
 * priority 9, so that no child runs before all three have their
 * priorities; it collects them in the order they finish. */
#include "user.h"

static const struct {
  char *name;
  int priority;
} kids[] = {{"low", 2}, {"mid", 5}, {"high", 8}};

static int work(const char *name) {
  volatile unsigned sum = 0;
  for (unsigned i = 0; i < 600000; i++) sum += i; /* about 3 ms of virtual time */
  printf("schedtest: %s done\n", name);
  return 0;
}

int main(int argc, char *argv[]) {
  if (argc > 1) return work(argv[1]);
  int pids[3];
  if (setpriority(getpid(), 9) < 0) {
    printf("schedtest: FAILED: setpriority(getpid(), 9) refused\n");
    return 1;
  }
  for (int i = 0; i < 3; i++) {
    char *argv[] = {"schedtest", kids[i].name, NULL};
    pids[i] = spawn("schedtest", argv);
    if (pids[i] < 0 || setpriority(pids[i], kids[i].priority) < 0) {
      printf("schedtest: FAILED: cannot start the %s child\n", kids[i].name);
      return 1;
    }
  }
  char order[32] = "";
  for (int n = 0; n < 3; n++) {
    int pid = wait(NULL);
    for (int i = 0; i < 3; i++)
      if (pid == pids[i]) {
        if (n) strcpy(order + strlen(order), " ");
        strcpy(order + strlen(order), kids[i].name);
      }
  }
  printf("schedtest: finished in the order: %s\n", order);
  if (strcmp(order, "high mid low") != 0) {
    printf("schedtest: FAILED: with priorities high (8) should finish first, then "
           "mid (5), then low (2)\n");
    return 1;
  }
  printf("schedtest: OK\n");
  return 0;
}
