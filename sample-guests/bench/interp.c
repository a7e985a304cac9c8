/* interp: a small register-machine bytecode interpreter (a switch in a
 * loop, as in most scripting VMs) running a program that counts the primes
 * below LIMIT by trial division and hashes them.  The guest checks the count
 * against the known value of pi(LIMIT). */
#include "bench.h"

#define LIMIT 150000
#define PI_LIMIT 13848 /* primes below 150000 */

typedef enum vop { LI, ADDI, ADD, MUL, MULI, REM, BLT, BGE, BEQ, JMP, HALT } vop;

/* One bytecode instruction: registers a, b, c and an immediate (a value or
 * a jump target, an index into the program). */
typedef struct vinsn {
  uint8_t op, a, b, c;
  int32_t imm;
} vinsn;

/* Registers: r0 n, r1 LIMIT, r2 count, r3 hash, r4 d, r5 d*d, r6 n%d,
 * r7 stays 0. */
static const vinsn program[] = {
    /*  0        */ {LI, 0, 0, 0, 2},
    /*  1        */ {LI, 1, 0, 0, LIMIT},
    /*  2        */ {LI, 2, 0, 0, 0},
    /*  3        */ {LI, 3, 0, 0, 0},
    /*  4 outer: */ {BGE, 0, 1, 0, 17},  /* n >= LIMIT: done */
    /*  5        */ {LI, 4, 0, 0, 2},    /* d = 2 */
    /*  6 inner: */ {MUL, 5, 4, 4, 0},
    /*  7        */ {BLT, 0, 5, 0, 12},  /* n < d*d: n is prime */
    /*  8        */ {REM, 6, 0, 4, 0},
    /*  9        */ {BEQ, 6, 7, 0, 14},  /* d divides n: next n */
    /* 10        */ {ADDI, 4, 4, 0, 1},
    /* 11        */ {JMP, 0, 0, 0, 6},
    /* 12 prime: */ {ADDI, 2, 2, 0, 1},
    /* 13        */ {MULI, 3, 3, 0, 31},
    /* 14 next:  */ {ADD, 3, 3, 0, 0},   /* hash += n, for every n */
    /* 15        */ {ADDI, 0, 0, 0, 1},
    /* 16        */ {JMP, 0, 0, 0, 4},
    /* 17 done:  */ {HALT, 0, 0, 0, 0},
};

/* Runs prog from its first instruction to HALT; returns the number of
 * bytecode instructions executed. */
static uint32_t run(const vinsn *prog, uint32_t r[8]) {
  uint32_t steps = 0;
  for (uint32_t pc = 0;; steps++) {
    const vinsn *in = &prog[pc++];
    switch ((vop)in->op) {
    case LI: r[in->a] = (uint32_t)in->imm; break;
    case ADDI: r[in->a] = r[in->b] + (uint32_t)in->imm; break;
    case ADD: r[in->a] = r[in->b] + r[in->c]; break;
    case MUL: r[in->a] = r[in->b] * r[in->c]; break;
    case MULI: r[in->a] = r[in->b] * (uint32_t)in->imm; break;
    case REM: r[in->a] = r[in->c] ? r[in->b] % r[in->c] : r[in->b]; break;
    case BLT: if (r[in->a] < r[in->b]) pc = (uint32_t)in->imm; break;
    case BGE: if (r[in->a] >= r[in->b]) pc = (uint32_t)in->imm; break;
    case BEQ: if (r[in->a] == r[in->b]) pc = (uint32_t)in->imm; break;
    case JMP: pc = (uint32_t)in->imm; break;
    case HALT: return steps + 1;
    }
  }
}

int main(void) {
  uint32_t r[8] = {0};
  uint32_t steps = run(program, r);
  if (r[2] != PI_LIMIT) {
    printf("interp FAIL: %" PRIu32 " primes below %d, expected %d\n", r[2],
           LIMIT, PI_LIMIT);
    return 1;
  }
  bench_checksum("interp", r[3] ^ steps);
  return 0;
}
