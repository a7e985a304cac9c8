/* spin [MILLIONS]: computes without a pause, forever or for about that many
 * million instructions, then says so.  `spin &` and another command show
 * preemption: the other command still runs. */
#include "user.h"

int main(int argc, char *argv[]) {
  int millions = argc > 1 ? atoi(argv[1]) : 0;
  volatile unsigned n = 0;
  for (int m = 0; millions == 0 || m < millions; m++)
    for (int i = 0; i < 200000; i++) n++; /* about 5 instructions each */
  printf("spin: done\n");
  return 0;
}
