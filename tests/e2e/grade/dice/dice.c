/* dice: rolls one die with the machine's seeded randomness (rng_fill), so
 * the grader's tests have a guest whose run depends on the seed: with
 * `seeds`, some seeds pass and some fail.  The roll is also kept in a
 * global for `word` checks, next to a constant to check with +OFF. */
#include <stdint.h>
#include <stdio.h>

#include "pv.h"

volatile uint32_t last_roll;
volatile uint32_t dice_magic[2] = {0x00d1ce00u, 0xcafef00du};

int main(void) {
  if (dice_magic[0] != 0x00d1ce00u) return 3; /* keeps it linked in */
  uint8_t b[4];
  if (pv_rng_fill(b, sizeof b).status != PV_OK) return 2;
  uint32_t v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
               (uint32_t)b[3] << 24;
  last_roll = v % 6 + 1;
  printf("dice: %lu\n", (unsigned long)last_roll);
  return 0;
}
