/* racetest: the test of exercise "race".  Two workers run side by side, so
 * the timer preempts each of them again and again, at whatever instruction
 * it happens to be.  Every round, a worker puts a number in register t6,
 * runs a few instructions that leave t6 alone, and checks that t6 still
 * holds the number.  Nothing in the program can change it in between: if
 * it changed, whatever happened while the worker was not running did.
 *
 * The window is a few instructions out of every few hundred, so a
 * preemption lands in it only now and then: run it under many seeds with
 * `pvlab explore ... --jitter` (see the exercise's README.md).  When a
 * worker finds t6 changed it says so and stops the machine with ebreak. */
#include "user.h"

#define ROUNDS 6000 /* about 3 ms of virtual time per worker */
#define GAP 100     /* loop turns between windows, 5 instructions each */

static int worker(int id) {
  for (unsigned round = 1; round <= ROUNDS; round++) {
    unsigned seen;
    __asm__ volatile(
        "mv t6, %[want]\n\t"
        ".rept 8\n\t"
        "nop\n\t"
        ".endr\n\t"
        "mv %[seen], t6"
        : [seen] "=r"(seen)
        : [want] "r"(round)
        : "t6");
    if (seen != round) {
      printf("racetest: FAILED: worker %d (pid %d), round %u: register t6 held %u, and a "
             "few instructions later %u, with no instruction in between writing it\n",
             id, getpid(), round, round, seen);
      /* Stop the machine right here, so that a recording of this run ends
       * where the damage was noticed (pvlab run: exit status 122). */
      __asm__ volatile("ebreak");
      return 1;
    }
    for (volatile int i = 0; i < GAP; i++) {
    }
  }
  return 0;
}

int main(int argc, char *argv[]) {
  if (argc > 1) return worker(atoi(argv[1]));
  char *w1[] = {"racetest", "1", NULL}, *w2[] = {"racetest", "2", NULL};
  int pids[2] = {spawn("racetest", w1), spawn("racetest", w2)}, failed = 0;
  if (pids[0] < 0 || pids[1] < 0) {
    printf("racetest: FAILED: cannot start the workers\n");
    return 1;
  }
  for (int i = 0; i < 2; i++) {
    int status = -1;
    if (wait(&status) < 0 || status != 0) failed = 1;
  }
  if (failed) {
    printf("racetest: FAILED\n");
    return 1;
  }
  printf("racetest: OK: 2 workers, %d rounds each, no register changed\n", ROUNDS);
  return 0;
}
