/* ppidtest: the test of exercise "syscall": getppid() gives the parent's
 * pid.  Run from the shell, the parent is the shell, pid 1; then a child
 * this program spawns must see this program's pid. */
#include "user.h"

/* Weak: until getppid is in include/syscalls.h there is no stub for it,
 * and this program must still build; the function is then NULL. */
int getppid(void) __attribute__((weak));

int main(int argc, char *argv[]) {
  if (!getppid) {
    printf("ppidtest: FAILED: there is no getppid() yet: list it in include/syscalls.h "
           "(see the exercise's README.md)\n");
    return 1;
  }
  if (argc > 1) { /* the child: is my parent who it says it is? */
    int ppid = getppid();
    printf("ppidtest: child pid %d: getppid() = %d\n", getpid(), ppid);
    return ppid == atoi(argv[1]) ? 0 : 1;
  }
  int me = getpid(), ppid = getppid(), status = -1;
  printf("ppidtest: pid %d: getppid() = %d\n", me, ppid);
  if (ppid != 1) {
    printf("ppidtest: FAILED: my parent is the shell, pid 1, but getppid() gave %d\n", ppid);
    return 1;
  }
  char arg[12];
  snprintf(arg, sizeof arg, "%d", me);
  char *child[] = {"ppidtest", arg, NULL};
  int pid = spawn("ppidtest", child);
  if (pid < 0 || wait(&status) != pid || status != 0) {
    printf("ppidtest: FAILED: my child did not get my pid, %d, from getppid()\n", me);
    return 1;
  }
  printf("ppidtest: OK\n");
  return 0;
}
