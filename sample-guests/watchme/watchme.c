/* watchme: a guest with a bug to find with a watchpoint (the tutorial in
 * docs/monitor.md).  It counts words and finds the longest, but reports a
 * count that is too high and a longest word of 0 letters: a helper writes
 * through a pointer it was handed by mistake.  `watch words_seen` in
 * `pvlab debug` names the instruction that does it. */
#include <stdio.h>
#include <string.h>

#define NOINLINE __attribute__((noinline, noclone))

unsigned words_seen; /* how many words main has counted */
unsigned longest;    /* the length of the longest word */

NOINLINE static void note_length(const char *word, unsigned *best) {
  unsigned n = (unsigned)strlen(word);
  if (n > *best) *best = n;
}

int main(void) {
  static const char *const words[] = {"watchpoints", "find", "who", "writes"};
  for (unsigned i = 0; i < sizeof words / sizeof words[0]; i++) {
    words_seen++;
    note_length(words[i], &words_seen); /* the bug: meant &longest */
  }
  printf("%u words, the longest has %u letters\n", words_seen, longest);
  return 0;
}
