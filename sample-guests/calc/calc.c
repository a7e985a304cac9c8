/* calc: a tiny stack calculator on the console, with a planted bug for
 * the record/replay tutorial (docs/replay.md).  Commands, one a line:
 *
 *   NUMBER   push it          +  -  *   pop two, push the result
 *   p        print the top    q         quit
 *
 * The stack is checked one slot too late, so a ninth push writes past the
 * end of items[] into the function pointer beside it, and the next `p`
 * jumps to whatever number went there.  The crash comes long after the
 * store that caused it: record the run, replay it, and reverse-continue
 * from the crash with a watchpoint on calc.show to find that store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEPTH 8

struct calc {
  int items[DEPTH];
  void (*show)(int value); /* how `p` prints: right after items[] */
  int top;                 /* the number of items */
};

static void show_decimal(int value) { printf("%d\n", value); }

static struct calc calc = {.show = show_decimal};

static void push(int value) {
  if (calc.top > DEPTH) { /* the bug: should be >= */
    printf("stack full\n");
    return;
  }
  calc.items[calc.top++] = value;
}

static int pop(void) {
  if (calc.top == 0) {
    printf("stack empty\n");
    return 0;
  }
  return calc.items[--calc.top];
}

int main(void) {
  char line[64];
  printf("calc: numbers push, + - * combine, p prints, q quits\n");
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\n")] = 0;
    if (line[0] == 'q') break;
    if (line[0] == 'p') {
      if (calc.top > 0) calc.show(calc.items[calc.top - 1]);
      else printf("stack empty\n");
    } else if (strchr("+-*", line[0]) && line[1] == 0) {
      int b = pop(), a = pop();
      push(line[0] == '+' ? a + b : line[0] == '-' ? a - b : a * b);
    } else if (line[0]) {
      push(atoi(line));
    }
  }
  return 0;
}
