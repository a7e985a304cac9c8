/* The monitor, command by command, in-process: a machine with a real
 * guest from the cross compiler, a memory console, and mon_exec with its
 * output captured, checked against golden text.  Addresses and
 * instructions in the goldens were checked against
 * riscv64-unknown-elf-objdump -d of the guests, number formats against
 * gdb-multiarch's.  A refused command must print one line and leave the
 * machine's state hash as it was. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "montest.h"
#include "spawn.h"

static void start(const char *name, const char *input) {
  montest_start(name, input, MACHINE_DEFAULT_MEM_MIB);
}
static void finish(void) { montest_finish(); }
static char *run(const char *line, mon_status *st) { return montest_run(line, st); }

static void check(const char *line, mon_status want, const char *golden) {
  mon_status st;
  char *got = run(line, &st);
  cr_expect_str_eq(got, golden, "`%s` printed:\n%s--- instead of:\n%s", line, got, golden);
  cr_expect_eq(st, want, "`%s` returned %d, not %d", line, st, want);
  free(got);
}

static void ok(const char *line, const char *golden) { check(line, MON_OK, golden); }

/* A refused command: one message, nothing changed. */
static void refused(const char *line, const char *golden) {
  uint64_t before = machine_state_hash(&M);
  check(line, MON_ERROR, golden);
  cr_expect_eq(machine_state_hash(&M), before, "`%s` changed the machine", line);
}

/* Runs a command whose output another check covers. */
static void quietly(const char *line) { montest_quietly(line); }

/* A temporary file holding text (NULL: empty); the caller unlinks it. */
static const char *temp_file(const char *text) {
  static char path[4][64];
  static int n;
  char *p = path[n++ % 4];
  snprintf(p, sizeof path[0], "/tmp/pvlab-monitor-XXXXXX");
  int fd = mkstemp(p);
  cr_assert(fd >= 0);
  if (text) cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return p;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "r");
  cr_assert(f, "cannot open %s", path);
  char *buf = NULL;
  size_t cap = 0;
  ssize_t n = getdelim(&buf, &cap, 0, f);
  fclose(f);
  if (n < 0) {
    free(buf);
    return strdup("");
  }
  return buf;
}

/* ---- info registers ---- */

Test(monitor, info_registers_at_entry) {
  start("hello", "");
  ok("info registers",
     "zero x0   0x00000000           0\n"
     "ra   x1   0x00000000           0\n"
     "sp   x2   0x00000000           0\n"
     "gp   x3   0x00000000           0\n"
     "tp   x4   0x00000000           0\n"
     "t0   x5   0x00000000           0\n"
     "t1   x6   0x00000000           0\n"
     "t2   x7   0x00000000           0\n"
     "s0   x8   0x00000000           0\n"
     "s1   x9   0x00000000           0\n"
     "a0   x10  0x00000000           0\n"
     "a1   x11  0x00000000           0\n"
     "a2   x12  0x00000000           0\n"
     "a3   x13  0x00000000           0\n"
     "a4   x14  0x00000000           0\n"
     "a5   x15  0x00000000           0\n"
     "a6   x16  0x00000000           0\n"
     "a7   x17  0x00000000           0\n"
     "s2   x18  0x00000000           0\n"
     "s3   x19  0x00000000           0\n"
     "s4   x20  0x00000000           0\n"
     "s5   x21  0x00000000           0\n"
     "s6   x22  0x00000000           0\n"
     "s7   x23  0x00000000           0\n"
     "s8   x24  0x00000000           0\n"
     "s9   x25  0x00000000           0\n"
     "s10  x26  0x00000000           0\n"
     "s11  x27  0x00000000           0\n"
     "t3   x28  0x00000000           0\n"
     "t4   x29  0x00000000           0\n"
     "t5   x30  0x00000000           0\n"
     "t6   x31  0x00000000           0\n"
     "pc        0x80000000 <_start>\n"
     "icount    0\n"
     "mode      kernel\n"
     "pt_root   0x00000000 (no page table)\n"
     "asid      0\n");
  finish();
}

Test(monitor, info_registers_by_name) {
  start("hello", "");
  /* _start: auipc/addi gp, auipc/addi tp, li a7 3, hcall mem_info */
  quietly("stepi 6");
  ok("info registers gp tp a0 a1 a2 a7 pc icount",
     "gp   x3   0x80003ba8  2147498920  -2147468376\n"
     "tp   x4   0x800033ac  2147496876  -2147470420\n"
     "a0   x10  0x00000000           0\n"
     "a1   x11  0x80000000  2147483648  -2147483648\n"
     "a2   x12  0x02000000    33554432\n"
     "a7   x17  0x00000003           3\n"
     "pc        0x80000018 <_start+24>\n"
     "icount    6\n");
  quietly("stepi 2"); /* add sp, a1, a2; andi sp, sp, -16 */
  ok("i r $sp x2 fp", "sp   x2   0x82000000  2181038080  -2113929216\n"
                      "sp   x2   0x82000000  2181038080  -2113929216\n"
                      "s0   x8   0x00000000           0\n");
  ok("info reg mode asid", "mode      kernel\nasid      0\n");
  refused("info registers a0 bogus", "no register \"bogus\"; 'info registers' lists them all\n");
  refused("info registers x32", "no register \"x32\"; 'info registers' lists them all\n");
  finish();
}

/* ---- print ---- */

Test(monitor, print_formats_and_history) {
  start("hello", "");
  refused("print", "print needs an expression: a register ($a0), symbol, *ADDRESS or arithmetic\n");
  ok("p 42", "$1 = 42 (0x2a)\n");
  ok("p/x 255", "$2 = 0xff\n");
  ok("p/d -5", "$3 = -5\n");
  ok("p/u -5", "$4 = 4294967291\n");
  ok("p/o 8", "$5 = 010\n");
  ok("p/t 10", "$6 = 1010\n");
  ok("p/c 65", "$7 = 65 'A'\n");
  ok("p/c 10", "$8 = 10 '\\n'\n");
  ok("p/a main+4", "$9 = 0x80000048 <main+4>\n");
  ok("p -1", "$10 = -1 (0xffffffff)\n");
  ok("print $pc", "$11 = 0x80000000 <_start>\n");
  ok("p main", "$12 = 0x80000044 <main>\n");
  ok("p &out_len", "$13 = 0x800033b4 <out_len>\n");
  ok("p out_len", "$14 = 0 (0x0)\n");
  /* main's first word is 0xff010113 (addi sp, sp, -16) */
  ok("p *(uint8_t *)main", "$15 = 19 (0x13)\n");
  ok("p *(short *)main", "$16 = 275 (0x113)\n");
  ok("p *main", "$17 = -16711405 (0xff010113)\n");
  ok("p $1 + $2", "$18 = 297 (0x129)\n");
  ok("p", "$19 = 297 (0x129)\n");
  /* RAM is [0x80000000, 0x82000000): inside it a value is an address */
  ok("p 0x80000000 + 32*1024*1024", "$20 = -2113929216 (0x82000000)\n");
  ok("p 0x81ffffff", "$21 = 0x81ffffff\n");
  ok("p 7 % 3 == 1 && (1 << 4) == 16", "$22 = 1 (0x1)\n");
  ok("p /x 'a'", "$23 = 0x61\n");
  refused("p/q 1", "print/q: give one format letter: x d u o t c a\n");
  refused("p $nosuch", "no register $nosuch ('info registers' lists them) (at column 2 of \"$nosuch\")\n");
  refused("p nosuch + 1", "no symbol \"nosuch\" in the guest (at column 1 of \"nosuch + 1\")\n");
  refused("p 1 +", "an expression ends too early (at column 4 of \"1 +\")\n");
  refused("p 1/0", "division by zero (at column 4 of \"1/0\")\n");
  refused("p *0", "cannot read 4 bytes at 0x00000000 (at column 3 of \"*0\")\n");
  refused("p $99", "no value $99 in the history (print numbers its results $1, $2, ...) (at column 2 of \"$99\")\n");
  ok("p $23", "$24 = 97 (0x61)\n"); /* the refusals numbered nothing */
  finish();
}

/* Expressions nest 64 deep (parentheses and unary operators alike);
 * deeper is refused with one line, however deep: a line of 100,000 '('
 * must not run the host out of stack, from print, a breakpoint's
 * condition or set. */
static char *nest(const char *cmd, const char *open, size_t depth, const char *close) {
  size_t n = strlen(cmd) + depth * (strlen(open) + strlen(close)) + 2;
  char *line = malloc(n), *p = line;
  cr_assert(line);
  p += sprintf(p, "%s", cmd);
  for (size_t i = 0; i < depth; i++) p += sprintf(p, "%s", open);
  *p++ = '1';
  for (size_t i = 0; i < depth; i++) p += sprintf(p, "%s", close);
  *p = 0;
  return line;
}

#define TOO_DEEP "expression nested deeper than 64 (parentheses and unary operators); " \
                 "write it in steps: print numbers its results $1, $2, ..."

Test(monitor, deep_expressions_are_refused) {
  start("hello", "");
  char *line = nest("p ", "(", 64, ")");
  ok(line, "$1 = 1 (0x1)\n");
  free(line);
  line = nest("p ", "-", 64, "");
  ok(line, "$2 = 1 (0x1)\n");
  free(line);
  line = nest("p ", "(", 65, ")");
  refused(line, TOO_DEEP " (at column 66 of \"((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((...\")\n");
  free(line);
  line = nest("p ", "~", 65, "");
  refused(line, TOO_DEEP " (at column 66 of \"~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~1\")\n");
  free(line);
  const char *cmds[] = {"p ", "break main if ", "set $a0 = ", "x/4xw "};
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
    line = nest(cmds[i], "(", 100000, ")");
    mon_status st;
    char *out = run(line, &st);
    cr_expect_eq(st, MON_ERROR, "`%s...` was not refused", cmds[i]);
    cr_expect(strstr(out, TOO_DEEP), "`%s...` printed: %.200s", cmds[i], out);
    cr_expect_eq(strchr(out, '\n'), out + strlen(out) - 1, "not one line: %.200s", out);
    free(out);
    free(line);
  }
  line = nest("p ", "*-!", 50000, "");
  refused(line, TOO_DEEP " (at column 66 of \"*-!*-!*-!*-!*-!*-!*-!*-!*-!*-!*-!*-!*-!*-!*-!*-!*-!*-!*-!*-!...\")\n");
  free(line);
  finish();
}

/* ---- x ---- */

Test(monitor, examine_numbers) {
  start("hello", "");
  ok("x/8xw main",
     "0x80000044 <main>:\t0xff010113\t0x00112623\t0x00812423\t0x80003537\n"
     "0x80000054 <main+16>:\t0x01010413\t0xe5850513\t0x3a4000ef\t0x80003537\n");
  ok("x", "0x80000064 <main+32>:\t0x00400593\n");
  ok("x/4dw main", "0x80000044 <main>:\t-16711405\t1123875\t8463395\t-2147470025\n");
  ok("x/4uw main", "0x80000044 <main>:\t4278255891\t1123875\t8463395\t2147497271\n");
  ok("x/10xb main",
     "0x80000044 <main>:\t0x13\t0x01\t0x01\t0xff\t0x23\t0x26\t0x11\t0x00\n"
     "0x8000004c <main+8>:\t0x23\t0x24\n");
  ok("x/6xh main", "0x80000044 <main>:\t0x0113\t0xff01\t0x2623\t0x0011\t0x2423\t0x0081\n");
  ok("x/5dh main", "0x80000044 <main>:\t275\t-255\t9763\t17\t9251\n");
  ok("x/3ow main", "0x80000044 <main>:\t037700200423\t04223043\t040222043\n");
  ok("x/2tw main",
     "0x80000044 <main>:\t11111111000000010000000100010011\t00000000000100010010011000100011\n");
  ok("x /2tb main", "0x80000044 <main>:\t00010011\t00000001\n");
  /* format and size are remembered; a bare x goes on after the last unit */
  ok("x", "0x80000046 <main+2>:\t00000001\n");
  ok("x/2a 0x80003390", "0x80003390 <con>:\t0x0\t0x3\n");
  ok("x/xw &con + 8", "0x80003398 <con+8>:\t0x800001c8\n");
  ok("x/a &con + 8", "0x80003398 <con+8>:\t0x800001c8 <con_put>\n");
  finish();
}

Test(monitor, examine_chars_strings_and_code) {
  start("hello", "");
  ok("x/3c 0x80002e58", "0x80002e58:\t72 'H'\t101 'e'\t108 'l'\n");
  ok("x/2s 0x80002e58", "0x80002e58:\t\"Hello from pvlab!\"\n0x80002e6a:\t\"\"\n");
  ok("x", "0x80002e6b:\t\"\"\n");
  ok("x", "0x80002e6c:\t\"2 + 2 = %d\\n\"\n");
  ok("x/s main", "0x80000044 <main>:\t\"\\023\\001\\001\\377#&\\021\"\n");
  ok("x/2i $pc", "=> 0x80000000 <_start>:\tauipc gp, 0x4\n"
                 "   0x80000004 <_start+4>:\taddi gp, gp, -1112\n");
  ok("x/3i main", "   0x80000044 <main>:\taddi sp, sp, -16\n"
                  "   0x80000048 <main+4>:\tsw ra, 12(sp)\n"
                  "   0x8000004c <main+8>:\tsw s0, 8(sp)\n");
  /* a refused x keeps what it remembered */
  refused("x/4xw 0x81fffff8", "Cannot access memory at address 0x82000000\n");
  ok("x", "   0x80000050 <main+12>:\tlui a0, 0x80003\n");
  ok("x/s 0x81fffffe", "0x81fffffe:\t\"\"\n");
  ok("set *(uint16_t *)0x81fffffe = 0x4241", "");
  refused("x/s 0x81fffffe", "Cannot access memory at address 0x82000000\n");
  refused("x 0", "Cannot access memory at address 0x00000000\n");
  refused("x/2g main", "x: no giant (8-byte) units on a 32-bit guest; use b, h or w\n");
  refused("x/4z main", "x: unknown letter 'z' in /4z: formats are x d u o t c s i a, sizes b h w\n");
  refused("x/0x main", "x/0 shows nothing; give a count of 1 or more\n");
  refused("x/i main+2", "0x80000046 is not 4-byte aligned: no instruction starts there\n");
  refused("x/x nosuch", "no symbol \"nosuch\" in the guest (at column 1 of \"nosuch\")\n");
  finish();
}

Test(monitor, examine_needs_an_address_first) {
  start("hello", "");
  refused("x", "x needs an address (nothing has been examined yet to go on from)\n");
  refused("x/8xw", "x needs an address (nothing has been examined yet to go on from)\n");
  finish();
}

/* ---- disassemble ---- */

Test(monitor, disassemble) {
  start("hello", "");
  ok("disassemble",
     "=> 0x80000000 <_start>:\tauipc gp, 0x4\n"
     "   0x80000004 <_start+4>:\taddi gp, gp, -1112\n"
     "   0x80000008 <_start+8>:\tauipc tp, 0x3\n"
     "   0x8000000c <_start+12>:\taddi tp, tp, 932\n"
     "   0x80000010 <_start+16>:\tli a7, 3\n"
     "   0x80000014 <_start+20>:\thcall\n"
     "   0x80000018 <_start+24>:\tadd sp, a1, a2\n"
     "   0x8000001c <_start+28>:\tandi sp, sp, -16\n");
  ok("disas main 3", "   0x80000044 <main>:\taddi sp, sp, -16\n"
                     "   0x80000048 <main+4>:\tsw ra, 12(sp)\n"
                     "   0x8000004c <main+8>:\tsw s0, 8(sp)\n");
  ok("disas main + 16 4", "   0x80000054 <main+16>:\taddi s0, sp, 16\n"
                          "   0x80000058 <main+20>:\taddi a0, a0, -424\n"
                          "   0x8000005c <main+24>:\tjal 0x80000400 <puts>\n"
                          "   0x80000060 <main+28>:\tlui a0, 0x80003\n");
  ok("disas main+4,+8", "   0x80000048 <main+4>:\tsw ra, 12(sp)\n"
                        "   0x8000004c <main+8>:\tsw s0, 8(sp)\n");
  ok("disas main,main+12", "   0x80000044 <main>:\taddi sp, sp, -16\n"
                           "   0x80000048 <main+4>:\tsw ra, 12(sp)\n"
                           "   0x8000004c <main+8>:\tsw s0, 8(sp)\n");
  /* branch targets by name: objdump's con_put+0x48 and +0x60 */
  ok("disas con_put+44 3", "   0x800001f4 <con_put+44>:\tbeq a0, a4, 0x80000210 <con_put+72>\n"
                           "   0x800001f8 <con_put+48>:\tli a4, 256\n"
                           "   0x800001fc <con_put+52>:\tbeq a1, a4, 0x80000228 <con_put+96>\n");
  ok("tbreak main", "Temporary breakpoint 1 at 0x80000044 <main>\n");
  quietly("continue");
  ok("disas $pc - 8 3", "   0x8000003c <_start+60>:\tjal 0x80000044 <main>\n"
                        "   0x80000040 <_start+64>:\tjal 0x80000390 <exit>\n"
                        "=> 0x80000044 <main>:\taddi sp, sp, -16\n");
  refused("disas 0x10", "Cannot access memory at address 0x00000010\n");
  refused("disas main+2", "0x80000046 is not 4-byte aligned: no instruction starts there\n");
  refused("disas nosuch", "no symbol \"nosuch\" in the guest (at column 1 of \"nosuch\")\n");
  refused("disas main 0", "disassemble shows 1 to 16384 instructions, not 0\n");
  refused("disas main,main", "the end 0x80000044 is not after the start 0x80000044\n");
  finish();
}

/* ---- backtrace ---- */

Test(monitor, backtrace_through_plain_prologues) {
  start("hello", "");
  ok("backtrace", "#0  0x80000000 in _start ()\n");
  ok("break con_put", "Breakpoint 1 at 0x800001c8 <con_put>\n");
  ok("continue", "Breakpoint 1, 0x800001c8 <con_put>\n"
                 "=> 0x800001c8 <con_put>:\taddi sp, sp, -16\n");
  /* puts calls con_put through a pointer at puts+56; main calls puts at
   * main+24; _start calls main at _start+60 */
  ok("bt", "#0  0x800001c8 in con_put ()\n"
           "#1  0x8000043c in puts ()\n"
           "#2  0x80000060 in main ()\n"
           "#3  0x80000040 in _start ()\n");
  ok("info registers ra", "ra   x1   0x8000043c  2147484732  -2147482564  <puts+60>\n");
  /* con_put is first entered at icount 78: _start reaches main at 50,
   * puts at 57, and puts (save_0, its flags test, one character) calls
   * con_put with its 21st instruction */
  ok("stepi 3", "Stopped at icount 81\n"
                "=> 0x800001d4 <con_put+12>:\tlw a3, -2036(gp)\n");
  ok("where", "#0  0x800001d4 in con_put ()\n"
              "#1  0x8000043c in puts ()\n"
              "#2  0x80000060 in main ()\n"
              "#3  0x80000040 in _start ()\n");
  /* at con_put's ret its frame is gone: sp is puts's again */
  ok("until 0x8000020c", "Stopped at 0x8000020c <con_put+68>\n"
                         "=> 0x8000020c <con_put+68>:\tret\n");
  ok("bt", "#0  0x8000020c in con_put ()\n"
           "#1  0x8000043c in puts ()\n"
           "#2  0x80000060 in main ()\n"
           "#3  0x80000040 in _start ()\n");
  refused("bt full", "backtrace takes no arguments\n");
  finish();
}

Test(monitor, backtrace_through_save_restore_millicode) {
  start("hello", "");
  /* printf -> __d_vfprintf (jal t0, __riscv_save_12; addi sp, sp, -64)
   * -> con_put through a pointer at __d_vfprintf+84 */
  quietly("break printf");
  quietly("continue");
  quietly("delete");
  quietly("break con_put");
  ok("continue", "Breakpoint 2, 0x800001c8 <con_put>\n"
                 "=> 0x800001c8 <con_put>:\taddi sp, sp, -16\n");
  ok("bt", "#0  0x800001c8 in con_put ()\n"
           "#1  0x8000073c in __d_vfprintf ()\n"
           "#2  0x800003f4 in printf ()\n"
           "#3  0x80000070 in main ()\n"
           "#4  0x80000040 in _start ()\n");
  ok("finish", "Run till exit from con_put: returned, a0 = 50 (0x32)\n"
               "=> 0x8000073c <__d_vfprintf+88>:\tbge a0, zero, 0x8000152c <__d_vfprintf+3656>\n");
  ok("delete", "");
  /* exit's last word calls _exit: the return address is printf's first,
   * but the frame is exit's */
  quietly("break _exit");
  quietly("continue");
  ok("bt", "#0  0x800002b8 in _exit ()\n"
           "#1  0x800003b8 in exit ()\n"
           "#2  0x80000044 in _start ()\n");
  finish();
}

/* A stack of fake main frames (16 bytes, ra at +12 pointing back into
 * main after its call of puts) is cut off after 64 frames. */
Test(monitor, backtrace_stops_after_64_frames) {
  start("hello", "");
  char script[8192] = "set $sp = 0x81fff000\nset $pc = main+28\n";
  for (unsigned k = 0; k < 70; k++) {
    snprintf(script + strlen(script), sizeof script - strlen(script),
             "set *(0x81fff000 + %u) = main+28\n", 16 * k + 12);
  }
  const char *path = temp_file(script);
  ok(montest_fmt("source %s", path), "");
  char want[8192] = "";
  for (unsigned k = 0; k < 64; k++) {
    snprintf(want + strlen(want), sizeof want - strlen(want), "#%-2u 0x80000060 in main ()\n", k);
  }
  strcat(want, "(backtrace stops after 64 frames; is the stack looping?)\n");
  ok("bt", want);
  unlink(path);
  finish();
}

Test(monitor, backtrace_notes_where_it_stops) {
  start("faults", "jump\n");
  ok("continue", "Guest fault: instruction fetch outside RAM at 0x00000000, jumped to from "
                 "jump_to_null+28 (0x8000018c); guest RAM is [0x80000000, 0x82000000): a call "
                 "through a NULL function pointer?\n");
  /* jump_to_null tail-jumps (jr a5), so ra is still main's */
  ok("bt", "#0  0x00000000 in ?? ()\n"
           "#1  0x8000011c in main ()\n"
           "#2  0x8000003c in _start ()\n");
  finish();
  start("minikernel/minikernel", "");
  quietly("catch trap ecall");
  quietly("continue");
  /* the trap handler is entered with ra 0: the chain ends there */
  ok("bt", "#0  0x80000464 in trap ()\n");
  quietly("delete");
  quietly("stepi 3");
  ok("bt", "#0  0x80000470 in trap ()\n");
  quietly("catch hcall user_return");
  quietly("continue");
  quietly("stepi");
  /* user code: the kernel's ELF has no symbols for it */
  ok("bt", "#0  0x000100f4 in ?? ()\n"
           "Backtrace stopped: no function symbol covers 0x000100f4, so its frame cannot be read\n");
  finish();
}

/* ---- info ---- */

Test(monitor, info_symbol) {
  start("hello", "");
  ok("info symbol main+4", "main + 4 in section .text\n");
  ok("info symbol main", "main in section .text\n");
  ok("info symbol 0x800033b4", "out_len in section .bss\n");
  ok("info symbol &out_buf + 10", "out_buf + 10 in section .bss\n");
  ok("info symbol $pc", "_start in section .text\n");
  ok("info symbol 0x10", "No symbol matches 0x10.\n");
  /* above the last label is the stack, not __global_pointer$+N */
  ok("info symbol 0x81fffff0", "No symbol matches 0x81fffff0.\n");
  ok("info sym $sp", "No symbol matches $sp.\n");
  refused("info symbol", "info symbol needs an address\n");
  refused("info symbol nosuch", "no symbol \"nosuch\" in the guest (at column 1 of \"nosuch\")\n");
  finish();
}

Test(monitor, info_hcalls) {
  start("hello", "");
  ok("info hcalls", "No hypercalls yet.\n");
  ok("continue", "The guest shut down with exit code 0 after 3696 instructions\n");
  /* lengths: "Hello from pvlab!\n" 18, "2 + 2 = 4\n" 10, and
   * "para-API 1.0, 32768 KiB of RAM\n" 31; version 1.0, highest call 0x71 */
  ok("info hcalls",
     " #  icount  pc                        hypercall\n"
     "#1       5  0x80000014 <_start+20>    mem_info() -> PV_OK a1=0x80000000 a2=0x2000000\n"
     "#2     537  0x80000238 <con_put+112>  console_write(buf=0x800033b8, len=0x12) -> PV_OK a1=0x12 a2=0x0\n"
     "#3    1192  0x80000238 <con_put+112>  console_write(buf=0x800033b8, len=0xa) -> PV_OK a1=0xa a2=0x0\n"
     "#4    1233  0x80000084 <main+64>      version() -> PV_OK a1=0x10000 a2=0x71\n"
     "#5    1241  0x800000a4 <main+96>      mem_info() -> PV_OK a1=0x80000000 a2=0x2000000\n"
     "#6    3604  0x80000238 <con_put+112>  console_write(buf=0x800033b8, len=0x1f) -> PV_OK a1=0x1f a2=0x0\n"
     "#7    3695  0x800002e8 <_exit+48>     shutdown(code=0x0) -> PV_OK a1=0x0 a2=0x0\n");
  ok("info hcalls 2",
     " #  icount  pc                        hypercall\n"
     "#6    3604  0x80000238 <con_put+112>  console_write(buf=0x800033b8, len=0x1f) -> PV_OK a1=0x1f a2=0x0\n"
     "#7    3695  0x800002e8 <_exit+48>     shutdown(code=0x0) -> PV_OK a1=0x0 a2=0x0\n");
  refused("info hcalls 0", "info hcalls takes a count (1 or more), not \"0\"\n");
  refused("info hcalls many", "info hcalls takes a count (1 or more), not \"many\"\n");
  ok("restart", montest_fmt("Restarted %s\n=> 0x80000000 <_start>:\tauipc gp, 0x4\n", GUEST));
  ok("info hcalls", "No hypercalls yet.\n");
  finish();
}

Test(monitor, info_hcalls_keeps_the_last_64) {
  start("minikernel/minikernel", "");
  quietly("continue"); /* 108 hypercalls, pvlab run --stats says */
  mon_status st;
  char *got = run("info hcalls 70", &st);
  cr_assert_eq(st, MON_OK);
  size_t lines = 0;
  for (const char *p = got; *p; p++) lines += *p == '\n';
  cr_expect_eq(lines, 1 + 64 + 1, "%s", got);
  cr_expect(strstr(got, "\n #45 ") && !strstr(got, "#44 "), "%s", got);
  cr_expect(strstr(got, "(44 older hypercalls are not kept: the log holds the last 64)\n"), "%s", got);
  /* user_return switches to user registers: the log keeps its own number */
  cr_expect(strstr(got, "user_return() -> (switched)\n"), "%s", got);
  cr_expect(!strstr(got, "(switched)\n") || !strstr(got, "version() -> (switched)"), "%s", got);
  free(got);
  ok("info hcalls 3",
     "   #  icount  pc                                  hypercall\n"
     "#106  403717  0x8000091c <con_put+120>            console_write(buf=0x8001a000, len=0x1d) -> PV_OK a1=0x1d a2=0x0\n"
     "#107  406673  0x8000091c <con_put+120>            console_write(buf=0x8001a000, len=0x3e) -> PV_OK a1=0x3e a2=0x0\n"
     "#108  406718  0x800002c8 <pv_shutdown.isra.0+28>  shutdown(code=0x0) -> PV_OK a1=0x0 a2=0x0\n");
  finish();
}

/* What dev_rng_seed makes of the seed, for the rng rows. */
static const char *rng_row(uint64_t seed) {
  dev_rng r;
  dev_rng_seed(&r, seed);
  return montest_fmt("  state         0x%08x 0x%08x 0x%08x 0x%08x\n", r.s[0], r.s[1], r.s[2], r.s[3]);
}

Test(monitor, info_devices) {
  start("hello", "");
  ok("info devices", montest_fmt(
     "console\n"
     "  output        0 bytes\n"
     "  input         0 bytes read; open\n"
     "power\n"
     "  state         on\n"
     "timer\n"
     "  now           0 ns of virtual time\n"
     "  armed         no\n"
     "  idle          0 ns skipped while the guest waited\n"
     "events\n"
     "  pending       0x00000000 (none)\n"
     "  mask          0x00000000 (none)\n"
     "vcpu\n"
     "  registered    no (no kernel called vcpu_register)\n"
     "rng\n"
     "%s"
     "disk\n"
     "  image         none attached (--disk IMAGE attaches one)\n"
     "display\n"
     "  size          640x480 pixels, XRGB8888\n"
     "  framebuffer   not set (no fb_set yet)\n"
     "  flushes       0\n"
     "input\n"
     "  queued        0 events\n"
     "  delivered     0\n"
     "  dropped       0 (queue full)\n"
     "debug\n"
     "  log calls     0\n", rng_row(0)));
  refused("info devices console", "info devices takes no arguments\n");
  finish();
  /* the minikernel at its first system call: 29 bytes written ("kernel:
   * starting 2 processes\n"), the trap frame and entry registered, the
   * timer armed 20000 ns after its time_now, events masked to the timer;
   * the console is pending because its (empty) input is at its end */
  start("minikernel/minikernel", "");
  quietly("catch trap ecall");
  ok("continue", "Catchpoint 1 (trap ecall): from user pc 0x000100f0, tval 0x00000000; the "
                 "kernel is at 0x80000464 <trap>\n"
                 "=> 0x80000464 <trap>:\taddi sp, sp, -80\n");
  mon_status st;
  char *got = run("info devices", &st);
  cr_expect_eq(st, MON_OK);
  cr_expect(strstr(got, "console\n  output        29 bytes\n  input         0 bytes read; open\n"
                        "power\n  state         on\n"
                        "timer\n  now           182958 ns of virtual time\n"
                        "  armed         yes: fires at 202824 ns (in 19866 ns)\n"
                        "  idle          0 ns skipped while the guest waited\n"
                        "events\n  pending       0x00000002 (console)\n"
                        "  mask          0x00000001 (timer)\n"
                        "vcpu\n  registered    yes\n"
                        "  frame         0x80007120 <frame>\n"
                        "  entry         0x80000464 <trap>\n"), "%s", got);
  free(got);
  finish();
}

Test(monitor, info_devices_with_a_disk) {
  start("diskdemo", "write notes.txt hi\n");
  char image[4096];
  snprintf(image, sizeof image, "%s/diskdemo.img", getenv("GUESTS"));
  host_error err;
  cr_assert(machine_disk_attach(&M, image, false, &err), "%s", err.msg);
  /* the image is 2048 bytes: a directory sector and three one-sector
   * files; "write" rewrites notes.txt's sector and the directory */
  mon_status st;
  char *got = run("continue", &st);
  cr_expect(strncmp(got, "The guest shut down with exit code 0 after ", 43) == 0, "%s", got);
  free(got);
  got = run("info devices", &st);
  cr_expect(strstr(got, montest_fmt("disk\n"
                            "  image         %s\n"
                            "  size          4 sectors of 512 bytes\n"
                            "  writes        kept in memory only; 2 sectors written so far\n"
                            "display\n", image)), "%s", got);
  free(got);
  finish();
}

Test(monitor, info_mmu_walks_sv32) {
  start("hello", "");
  ok("info mmu", "mode     kernel: addresses are physical\n"
                 "pt_root  0 (no page table installed)\n"
                 "asid     0\n");
  ok("info mmu 0x10000", "mode     kernel: addresses are physical\n"
                         "pt_root  0 (no page table installed)\n"
                         "asid     0\n"
                         "Sv32 walk of 0x00010000 (VPN[1] 0x000, VPN[0] 0x010, offset 0x000) as user mode would see it:\n"
                         "  no page table is installed (pt_root 0): user accesses fault\n");
  finish();
  /* the minikernel's first process: root = pool page 0 (0x80008000),
   * its code copied to pool page 1, the level-0 table in page 2, the stack
   * in page 3 (kernel.c: spawn and map) */
  start("minikernel/minikernel", "");
  quietly("catch trap ecall");
  quietly("continue");
  const char *head = "mode     kernel: addresses are physical\n"
                     "pt_root  0x80008000\n"
                     "asid     1\n";
  ok("info mmu", head);
  ok("info mmu 0x10004", montest_fmt("%s"
     "Sv32 walk of 0x00010004 (VPN[1] 0x000, VPN[0] 0x010, offset 0x004) as user mode would see it:\n"
     "  level 1  PTE at 0x80008000 = 0x20002801  [V] -> table at 0x8000a000\n"
     "  level 0  PTE at 0x8000a040 = 0x200024df  [V R W X U A D] -> page at 0x80009000\n"
     "  0x00010004 -> physical 0x80009004 <pool+4100>; user load works, store works, fetch works\n", head));
  ok("info mmu 0x7f000 + 8", montest_fmt("%s"
     "Sv32 walk of 0x0007f008 (VPN[1] 0x000, VPN[0] 0x07f, offset 0x008) as user mode would see it:\n"
     "  level 1  PTE at 0x80008000 = 0x20002801  [V] -> table at 0x8000a000\n"
     "  level 0  PTE at 0x8000a1fc = 0x20002cd7  [V R W U A D] -> page at 0x8000b000\n"
     "  0x0007f008 -> physical 0x8000b008 <pool+12296>; user load works, store works, fetch faults\n", head));
  ok("info mmu 0x7ff00000", montest_fmt("%s"
     "Sv32 walk of 0x7ff00000 (VPN[1] 0x1ff, VPN[0] 0x300, offset 0x000) as user mode would see it:\n"
     "  level 1  PTE at 0x800087fc = 0x00000000  [none]\n"
     "    not valid (V clear): nothing is mapped here: user accesses fault\n", head));
  const char *walk1 = "Sv32 walk of 0x00010000 (VPN[1] 0x000, VPN[0] 0x010, offset 0x000) as user mode would see it:\n"
                      "  level 1  PTE at 0x80008000 = 0x20002801  [V] -> table at 0x8000a000\n";
  /* doctored level-0 entries: U cleared, W without R, a pointer */
  ok("set *0x8000a040 = 0x200024cf", "");
  ok("info mmu 0x10000", montest_fmt("%s%s"
     "  level 0  PTE at 0x8000a040 = 0x200024cf  [V R W X A D]\n"
     "    not a user page (U clear): user accesses fault\n", head, walk1));
  ok("set *0x8000a040 = 0x200024d5", "");
  ok("info mmu 0x10000", montest_fmt("%s%s"
     "  level 0  PTE at 0x8000a040 = 0x200024d5  [V W U A D]\n"
     "    W without R is reserved: user accesses fault\n", head, walk1));
  ok("set *0x8000a040 = 0x20002401", "");
  ok("info mmu 0x10000", montest_fmt("%s%s"
     "  level 0  PTE at 0x8000a040 = 0x20002401  [V]\n"
     "    a pointer at level 0: there is no level below: user accesses fault\n", head, walk1));
  /* and level-1 leaves: a 4 MiB megapage of RAM, a misaligned one */
  ok("set *0x80008000 = 0x2000001f", "");
  ok("info mmu 0x10004", montest_fmt("%s"
     "Sv32 walk of 0x00010004 (VPN[1] 0x000, VPN[0] 0x010, offset 0x004) as user mode would see it:\n"
     "  level 1  PTE at 0x80008000 = 0x2000001f  [V R W X U] -> megapage at 0x80000000\n"
     "  0x00010004 -> physical 0x80010004 <pool+32772>; user load works, store works, fetch works\n", head));
  ok("set *0x80008000 = 0x2000280f", "");
  ok("info mmu 0x10004", montest_fmt("%s"
     "Sv32 walk of 0x00010004 (VPN[1] 0x000, VPN[0] 0x010, offset 0x004) as user mode would see it:\n"
     "  level 1  PTE at 0x80008000 = 0x2000280f  [V R W X]\n"
     "    a misaligned megapage (PPN[0] is not 0): user accesses fault\n", head));
  refused("info mmu nosuch", "no symbol \"nosuch\" in the guest (at column 1 of \"nosuch\")\n");
  finish();
}

Test(monitor, info_mmu_in_user_mode) {
  start("minikernel/minikernel", "");
  quietly("catch hcall user_return");
  quietly("continue");
  /* the first user_return is at icount 140928, after the kernel's set-up;
   * the step carries it out and stops before the first user instruction,
   * so no access has set A or D in the page table yet (kernel.c's map
   * writes V R W X U) */
  ok("stepi", "Stopped at icount 140929\n"
              "=> 0x00010000:\taddi sp, sp, -112\n");
  ok("info registers pc mode pt_root asid", "pc        0x00010000\n"
                                            "mode      user\n"
                                            "pt_root   0x80008000\n"
                                            "asid      1\n");
  /* user mode reads memory through the page table */
  ok("x/2xw $pc", "0x00010000:\t0xf9010113\t0x05512a23\n");
  ok("info mmu $pc", "mode     user: addresses go through the page table\n"
                     "pt_root  0x80008000\n"
                     "asid     1\n"
                     "Sv32 walk of 0x00010000 (VPN[1] 0x000, VPN[0] 0x010, offset 0x000):\n"
                     "  level 1  PTE at 0x80008000 = 0x20002801  [V] -> table at 0x8000a000\n"
                     "  level 0  PTE at 0x8000a040 = 0x2000241f  [V R W X U] -> page at 0x80009000\n"
                     "  0x00010000 -> physical 0x80009000 <pool+4096>; user load works, store works, fetch works\n");
  refused("x/xw 0x80000000", "Cannot access memory at address 0x80000000\n");
  finish();
}

/* `info stats` says what `pvlab run --stats` says, less the host's time. */
Test(monitor, info_stats_matches_pvlab_run) {
  start("hello", "");
  quietly("continue");
  mon_status st;
  char *got = run("info stats", &st);
  cr_assert_eq(st, MON_OK);
  spawn_result r = spawn_pvlab_run(NULL, 0, "run", "--stats", spawn_guest("hello"), (char *)NULL);
  cr_assert_eq(r.status, 0, "%s", r.err);
  char want[4096] = "";
  for (char *line = strtok(r.err, "\n"); line; line = strtok(NULL, "\n")) {
    if (strstr(line, "host seconds") || strstr(line, "guest MIPS")) continue;
    cr_assert(strncmp(line, "pvlab: ", 7) == 0, "%s", line);
    strcat(want, line + 7);
    strcat(want, "\n");
  }
  cr_expect_str_eq(got, want);
  /* and by hand: 3696 instructions at 1 ns each, the hypercalls of
   * info_hcalls */
  cr_expect(strstr(got, "instructions         3696\n"
                        "  kernel mode        3696\n"
                        "  user mode          0\n"
                        "virtual time         0.000003696 s\n"
                        "  idle (skipped)     0.000000000 s\n"
                        "hypercalls           7\n"
                        "  version            1\n"
                        "  shutdown           1\n"
                        "  mem_info           2\n"
                        "  console_write      3\n"
                        "traps                0\n"
                        "events delivered     0\n"
                        "TLB misses           0\n"
                        "frames flushed       0\n"
                        "input events         0\n"
                        "state hash           ") == got, "%s", got);
  spawn_free(&r);
  free(got);
  refused("info stats now", "info stats takes no arguments\n");
  finish();
}

Test(monitor, info_subcommands_and_prefixes) {
  start("hello", "");
  ok("info breakpoints", "No breakpoints, watchpoints or catchpoints.\n");
  ok("info b", "No breakpoints, watchpoints or catchpoints.\n");
  ok("i b", "No breakpoints, watchpoints or catchpoints.\n");
  ok("info reg pc", "pc        0x80000000 <_start>\n");
  ok("i r pc", "pc        0x80000000 <_start>\n");
  ok("info st", montest_fmt("instructions         0\n"
                    "  kernel mode        0\n"
                    "  user mode          0\n"
                    "virtual time         0.000000000 s\n"
                    "  idle (skipped)     0.000000000 s\n"
                    "hypercalls           0\n"
                    "traps                0\n"
                    "events delivered     0\n"
                    "TLB misses           0\n"
                    "frames flushed       0\n"
                    "input events         0\n"
                    "state hash           %016llx\n",
                    (unsigned long long)machine_state_hash(&M)));
  refused("info", "info what? One of: registers, breakpoints, symbol, hcalls, devices, mmu, stats, reverse\n");
  refused("info s", "\"info s\" is ambiguous: symbol, stats\n");
  refused("info frobs", "no \"info frobs\"; info shows: registers, breakpoints, symbol, hcalls, devices, mmu, stats, reverse\n");
  refused("info breakpoints 1", "info breakpoints takes no arguments\n");
  finish();
}

/* ---- set ---- */

Test(monitor, set_registers) {
  start("hello", "");
  ok("set $a0 = 5", "");
  ok("p $a0", "$1 = 5 (0x5)\n");
  ok("set $a0 = $a0 == 5", "");
  ok("p $a0", "$2 = 1 (0x1)\n");
  ok("set $t0=main+4", "");
  ok("info registers t0", "t0   x5   0x80000048  2147483720  -2147483576\n");
  ok("set $x31 = -1", "");
  ok("info registers t6", "t6   x31  0xffffffff  4294967295           -1\n");
  ok("set $fp = 8", "");
  ok("info registers s0", "s0   x8   0x00000008           8\n");
  ok("set $pc = main", "");
  ok("x/i $pc", "=> 0x80000044 <main>:\taddi sp, sp, -16\n");
  refused("set $x0 = 1", "zero (x0) is hard-wired to 0: it stays 0\n");
  refused("set $zero = 1", "zero (x0) is hard-wired to 0: it stays 0\n");
  refused("set $icount = 5", "$icount cannot be set: the machine keeps the instruction count, and "
                             "mode, pt_root and asid change only through hypercalls\n");
  refused("set $nosuch = 1", "no register $nosuch; 'info registers' lists them\n");
  refused("set $a0 = 1/0", "division by zero (at column 4 of \"1/0\")\n");
  refused("set $a0 = ", "an expression is missing\n");
  refused("set $a0 == 5", "set: no '=' in \"$a0 == 5\"; use set $REG = EXPR, set *ADDRESS = EXPR, "
                          "set var NAME = EXPR or set stop-on-error on|off\n");
  refused("set = 5", "set: nothing before the '='; use set $REG = EXPR, set *ADDRESS = EXPR, "
                     "set var NAME = EXPR or set stop-on-error on|off\n");
  refused("set", "set what? use set $REG = EXPR, set *ADDRESS = EXPR, set var NAME = EXPR or "
                 "set stop-on-error on|off\n");
  ok("p $a0", "$3 = 1 (0x1)\n");
  finish();
}

Test(monitor, set_memory_and_variables) {
  start("hello", "");
  ok("set *(uint8_t *)&out_buf = 65", "");
  ok("x/2c &out_buf", "0x800033b8 <out_buf>:\t65 'A'\t0 '\\000'\n");
  ok("set *(uint16_t *)&out_buf = 0x4342", "");
  ok("x/3c &out_buf", "0x800033b8 <out_buf>:\t66 'B'\t67 'C'\t0 '\\000'\n");
  ok("set *&out_buf = 0x64636261", "");
  ok("set *(char *)(&out_buf + 4) = '!'", "");
  ok("x/s &out_buf", "0x800033b8 <out_buf>:\t\"abcd!\"\n");
  ok("set *(short *)0x800033bc = 0x3f3f", "");
  ok("x/s &out_buf", "0x800033b8 <out_buf>:\t\"abcd??\"\n");
  ok("set var out_len = 7", "");
  ok("p out_len", "$1 = 7 (0x7)\n");
  ok("set out_len = 8", "");
  ok("set variable out_len = out_len + 1", "");
  ok("p out_len", "$2 = 9 (0x9)\n");
  refused("set var out_buf = 1", "out_buf is larger, not a 1-, 2- or 4-byte variable: write part "
                                 "of it with set *(uint32_t *)&out_buf = EXPR\n");
  refused("set var __bss_start = 1", "__bss_start is a label with no size, not a 1-, 2- or "
                                     "4-byte variable: write part of it with set *(uint32_t *)&__bss_start = EXPR\n");
  refused("set var nosuch = 1", "no symbol \"nosuch\" in the guest\n");
  refused("set *0x10 = 1", "Cannot access memory at address 0x00000010\n");
  refused("set *(uint32_t *)0x81fffffe = 1", "Cannot access memory at address 0x82000000\n");
  refused("set *nosuch = 1", "no symbol \"nosuch\" in the guest (at column 1 of \"nosuch\")\n");
  refused("set *&out_len = nosuch", "no symbol \"nosuch\" in the guest (at column 1 of \"nosuch\")\n");
  refused("set out_len", "set: no '=' in \"out_len\"; use set $REG = EXPR, set *ADDRESS = EXPR, "
                         "set var NAME = EXPR or set stop-on-error on|off\n");
  ok("p out_len", "$3 = 9 (0x9)\n");
  finish();
}

Test(monitor, set_code_takes_effect) {
  start("hello", "");
  ok("tbreak main", "Temporary breakpoint 1 at 0x80000044 <main>\n");
  quietly("continue");
  /* "li a1, 4" at main+32 becomes "li a1, 5": printf says 2 + 2 = 5 */
  ok("set *(main + 32) = 0x00500593", "");
  ok("x/i main+32", "   0x80000064 <main+32>:\tli a1, 5\n");
  ok("continue", "The guest shut down with exit code 0 after 3696 instructions\n");
  cr_expect(strstr((const char *)CON.out, "2 + 2 = 5\n"), "%s", CON.out);
  finish();
}

Test(monitor, load_another_guest) {
  start("hello", "");
  quietly("stepi 3");
  const char *echo = strdup(spawn_guest("echo"));
  const char *text = temp_file("not an ELF file\n");
  refused("load /nonexistent/guest.elf", montest_fmt("/nonexistent/guest.elf: cannot open: No such file or "
                                             "directory; %s stays loaded\n", GUEST));
  refused(montest_fmt("load %s", text), montest_fmt("%s: not an ELF file (a guest must be an ELF executable built "
                                    "for rv32im); %s stays loaded\n", text, GUEST));
  refused("load", "load needs an ELF file name\n");
  ok("info registers pc icount", "pc        0x8000000c <_start+12>\nicount    3\n");
  ok(montest_fmt("load %s", echo), montest_fmt("Loaded %s\n=> 0x80000000 <_start>:\tauipc gp, 0x1\n", echo));
  ok("info registers icount", "icount    0\n");
  ok("info symbol main", "main in section .text\n");
  quietly("stepi 2");
  ok("restart", montest_fmt("Restarted %s\n=> 0x80000000 <_start>:\tauipc gp, 0x1\n", echo));
  ok("tbreak main", "Temporary breakpoint 1 at 0x80000044 <main>\n");
  ok("continue", "Temporary breakpoint 1, 0x80000044 <main>\n"
                 "=> 0x80000044 <main>:\taddi sp, sp, -16\n");
  ok("x/2i main+40", "   0x8000006c <main+40>:\tli a7, 17\n"
                     "   0x80000070 <main+44>:\thcall\n");
  unlink(text);
  free((void *)echo);
  finish();
}

Test(monitor, echo_guest_buffers) {
  start("echo", "abc\n");
  ok("catch hcall console_write", "Catchpoint 1 (hcall console_write)\n");
  /* main reads into its static buf (buf.0) and writes the bytes back */
  ok("continue", "Catchpoint 1 (hcall console_write): console_write(buf=0x800004c8, len=0x4) at "
                 "0x80000090 <main+76>\n"
                 "=> 0x80000090 <main+76>:\thcall\n");
  ok("x/s $a0", "0x800004c8 <buf.0>:\t\"abc\\n\"\n");
  ok("p/c *(char *)$a0", "$1 = 97 'a'\n");
  ok("set *(char *)$a0 = 'A'", "");
  /* one trip round main's loop (main+24 to main+80: 15 instructions)
   * more than the same guest with no input */
  ok("continue", "The guest shut down with exit code 0 after 139 instructions\n");
  cr_expect_str_eq((const char *)CON.out, "Abc\n");
  finish();
  start("echo", "");
  ok("continue", "The guest shut down with exit code 0 after 124 instructions\n");
  finish();
}

/* ---- running ---- */

Test(monitor, stepping) {
  start("hello", "");
  ok("stepi", "Stopped at icount 1\n=> 0x80000004 <_start+4>:\taddi gp, gp, -1112\n");
  ok("si 4", "Stopped at icount 5\n=> 0x80000014 <_start+20>:\thcall\n");
  ok("nexti", "Stopped at icount 6\n=> 0x80000018 <_start+24>:\tadd sp, a1, a2\n");
  ok("ni 2", "Stopped at icount 8\n=> 0x80000020 <_start+32>:\taddi t0, gp, -2040\n");
  ok("until 0x80000030", "Stopped at 0x80000030 <_start+48>\n"
                         "=> 0x80000030 <_start+48>:\tjal 0x80000308 <__libc_init_array>\n");
  /* over the call: __libc_init_array runs 34 instructions (save_0, two
   * empty array loops, restore_0) after the jal */
  ok("nexti", "Stopped at icount 47\n=> 0x80000034 <_start+52>:\tli a0, 0\n");
  ok("advance main", "Stopped at 0x80000044 <main>\n=> 0x80000044 <main>:\taddi sp, sp, -16\n");
  ok("finish", "Run till exit from main: returned, a0 = 0 (0x0)\n"
               "=> 0x80000040 <_start+64>:\tjal 0x80000390 <exit>\n");
  refused("stepi 0", "a count of 0 does nothing; give 1 or more\n");
  refused("until", "a location is missing (an address, SYMBOL or SYMBOL+OFFSET)\n");
  refused("until main+2", "0x80000046 is not 4-byte aligned: no instruction starts there\n");
  refused("run-until 5", montest_fmt("icount 5 is not ahead (the guest is at %llu)\n",
                             (unsigned long long)M.cpu.s.icount));
  refused("run-until soon", "run-until needs an instruction count (a number), not \"soon\"\n");
  refused("continue now", "continue takes no arguments\n");
  ok("continue", "The guest shut down with exit code 0 after 3696 instructions\n");
  refused("stepi", "the guest is not running any more; 'restart' starts it again\n");
  refused("continue", "the guest is not running any more; 'restart' starts it again\n");
  refused("finish", "the guest is not running any more; 'restart' starts it again\n");
  ok("run", montest_fmt("Restarted %s\n=> 0x80000000 <_start>:\tauipc gp, 0x4\n", GUEST));
  ok("run-until 5", "Stopped at icount 5\n=> 0x80000014 <_start+20>:\thcall\n");
  refused("finish", "cannot tell where _start returns to (no function symbol here, or its "
                    "prologue is not the usual one); use 'until ADDRESS'\n");
  ok("kill", montest_fmt("Restarted %s\n=> 0x80000000 <_start>:\tauipc gp, 0x4\n", GUEST));
  finish();
}

Test(monitor, guest_stops_of_every_kind) {
  start("faults", "ebreak\n");
  ok("continue", "The guest hit ebreak at 0x800001e0 <breakpoint+12> (continuing goes on after it)\n"
                 "=> 0x800001e0 <breakpoint+12>:\tebreak\n");
  ok("continue", "The guest shut down with exit code 0 after 844 instructions\n");
  finish();
  start("faults", "break\n");
  ok("continue", "The guest called debug_break; it goes on at 0x80000368 <debug_break+36>\n"
                 "=> 0x80000368 <debug_break+36>:\tlw s0, 12(sp)\n");
  finish();
  start("faults", "load\n");
  ok("continue", "Guest fault: load outside RAM at load_outside_ram+28 (0x80000290): lw a1, 0(a5); "
                 "address 0x00000010 is outside guest RAM [0x80000000, 0x82000000): a NULL pointer?\n");
  ok("bt", "#0  0x80000290 in load_outside_ram ()\n"
           "#1  0x8000011c in main ()\n"
           "#2  0x8000003c in _start ()\n");
  refused("stepi", "the guest is not running any more; 'restart' starts it again\n");
  finish();
  start("faults", "deadlock\n");
  ok("continue", "Deadlock: the guest waits at 0x800002e8 <wait_forever+72> for events (mask "
                 "0x2) that can never come\n");
  finish();
}

/* ---- breakpoints, watchpoints, catchpoints ---- */

Test(monitor, breakpoints_with_conditions_and_counts) {
  start("hello", "");
  ok("tbreak main", "Temporary breakpoint 1 at 0x80000044 <main>\n");
  ok("break con_put if $a0 == 10", "Breakpoint 2 at 0x800001c8 <con_put> if $a0 == 10\n");
  ok("b *0x800002b8", "Breakpoint 3 at 0x800002b8 <_exit>\n");
  ok("info breakpoints",
     "Num  Type             Enb  Address                      Hits   What\n"
     "1    temp breakpoint  y    0x80000044 <main>            0      main (temporary)\n"
     "2    breakpoint       y    0x800001c8 <con_put>         0      con_put if $a0 == 10\n"
     "3    breakpoint       y    0x800002b8 <_exit>           0      *0x800002b8\n");
  ok("continue", "Temporary breakpoint 1, 0x80000044 <main>\n"
                 "=> 0x80000044 <main>:\taddi sp, sp, -16\n");
  /* the first newline ends "Hello from pvlab!": 17 calls of con_put
   * before it do not count */
  ok("continue", "Breakpoint 2, 0x800001c8 <con_put>\n"
                 "=> 0x800001c8 <con_put>:\taddi sp, sp, -16\n");
  ok("p/c $a0", "$1 = 10 '\\n'\n");
  ok("disable 2", "");
  ok("continue", "Breakpoint 3, 0x800002b8 <_exit>\n"
                 "=> 0x800002b8 <_exit>:\taddi sp, sp, -16\n");
  ok("info b",
     "Num  Type             Enb  Address                      Hits   What\n"
     "2    breakpoint       n    0x800001c8 <con_put>         1      con_put if $a0 == 10\n"
     "3    breakpoint       y    0x800002b8 <_exit>           1      *0x800002b8\n");
  ok("restart", montest_fmt("Restarted %s\n=> 0x80000000 <_start>:\tauipc gp, 0x4\n", GUEST));
  ok("enable", "");
  ok("delete 3", "");
  ok("continue", "Breakpoint 2, 0x800001c8 <con_put>\n"
                 "=> 0x800001c8 <con_put>:\taddi sp, sp, -16\n");
  ok("continue", "Breakpoint 2, 0x800001c8 <con_put>\n"
                 "=> 0x800001c8 <con_put>:\taddi sp, sp, -16\n");
  ok("continue", "Breakpoint 2, 0x800001c8 <con_put>\n"
                 "=> 0x800001c8 <con_put>:\taddi sp, sp, -16\n");
  ok("continue", "The guest shut down with exit code 0 after 3696 instructions\n");
  ok("info b",
     "Num  Type             Enb  Address                      Hits   What\n"
     "2    breakpoint       y    0x800001c8 <con_put>         4      con_put if $a0 == 10\n");
  refused("break", "break needs a location: an address, SYMBOL or SYMBOL+OFFSET\n");
  refused("break main+2", "0x80000046 is not 4-byte aligned: no instruction starts there\n");
  refused("break nosuch", "no symbol \"nosuch\" in the guest (at column 1 of \"nosuch\")\n");
  refused("break main if $nosuch", "no register $nosuch ('info registers' lists them) (at column 2 of \"$nosuch\")\n");
  refused("delete 99", "no breakpoint number 99 ('info breakpoints' lists them)\n");
  refused("disable x", "no breakpoint number x ('info breakpoints' lists them)\n");
  ok("delete", "");
  ok("info b", "No breakpoints, watchpoints or catchpoints.\n");
  finish();
}

Test(monitor, watchpoints_report_old_and_new_values) {
  start("hello", "");
  ok("watch out_len", "Watchpoint 1: out_len (0x800033b4, 4 bytes)\n");
  ok("rwatch out_len", "Read watchpoint 2: out_len (0x800033b4, 4 bytes)\n");
  ok("awatch out_buf 1", "Access watchpoint 3: out_buf (0x800033b8, 1 byte)\n");
  /* con_put: lw a3, out_len at +12; sb a0, 0(out_buf + out_len) at +28;
   * sw a1, out_len at +32 */
  ok("continue", "Read watchpoint 2 (out_len): read by 0x800001d4 <con_put+12>: value 0 (0x0)\n"
                 "=> 0x800001d8 <con_put+16>:\taddi a4, gp, -2032\n");
  ok("continue", "Access watchpoint 3 (out_buf): written by 0x800001e4 <con_put+28>: old 0 (0x0), "
                 "new 72 (0x48)\n"
                 "=> 0x800001e8 <con_put+32>:\tsw a1, -2036(gp)\n");
  ok("continue", "Watchpoint 1 (out_len): written by 0x800001e8 <con_put+32>: old 0 (0x0), new 1 (0x1)\n"
                 "=> 0x800001ec <con_put+36>:\tli a4, 10\n");
  ok("disable 2 3", "");
  ok("continue", "Watchpoint 1 (out_len): written by 0x800001e8 <con_put+32>: old 1 (0x1), new 2 (0x2)\n"
                 "=> 0x800001ec <con_put+36>:\tli a4, 10\n");
  ok("info breakpoints",
     "Num  Type             Enb  Address                      Hits   What\n"
     "1    watchpoint       y    0x800033b4                   2      out_len (4 bytes)\n"
     "2    read watchpoint  n    0x800033b4                   1      out_len (4 bytes)\n"
     "3    acc watchpoint   n    0x800033b8                   1      out_buf (1 byte)\n");
  refused("watch", "watch needs an address or a variable (written without spaces), and optionally a length\n");
  refused("watch out_len 0", "watch length \"0\" is not a number from 1 to 4096\n");
  refused("watch nosuch", "no symbol \"nosuch\" in the guest (at column 1 of \"nosuch\")\n");
  refused("watch out_len 4 more", "watch takes an address and a length; write the address without spaces\n");
  finish();
}

Test(monitor, catchpoints_on_hypercalls_and_traps) {
  start("minikernel/minikernel", "");
  ok("catch hcall mmu_install", "Catchpoint 1 (hcall mmu_install)\n");
  ok("continue", "Catchpoint 1 (hcall mmu_install): mmu_install(root=0x80008000, asid=0x1) at "
                 "0x800003d8 <schedule+216>\n"
                 "=> 0x800003d8 <schedule+216>:\thcall\n");
  ok("info registers pt_root", "pt_root   0x00000000 (no page table)\n");
  ok("stepi", "Stopped at icount 140906\n=> 0x800003dc <schedule+220>:\tli a0, 0\n");
  ok("info registers pt_root", "pt_root   0x80008000\n");
  ok("catch trap event", "Catchpoint 2 (trap event)\n");
  ok("delete 1", "");
  ok("continue", "Catchpoint 2 (trap event): from user pc 0x0001008c, tval 0x00000001; the kernel "
                 "is at 0x80000464 <trap>\n"
                 "=> 0x80000464 <trap>:\taddi sp, sp, -80\n");
  ok("catch hcall", "Catchpoint 3 (hcall (any))\n");
  ok("catch trap", "Catchpoint 4 (trap (any))\n");
  ok("info b",
     "Num  Type             Enb  Address                      Hits   What\n"
     "2    catchpoint       y                                 1      trap event\n"
     "3    catchpoint       y                                 0      hcall (any)\n"
     "4    catchpoint       y                                 0      trap (any)\n");
  refused("catch", "usage: catch hcall [NAME] | catch trap [CAUSE]\n");
  refused("catch signal", "catch what? \"signal\": use catch hcall [NAME] or catch trap [CAUSE]\n");
  refused("catch hcall frobnicate", "no hypercall \"frobnicate\"; docs/pvabi.md lists them (e.g. console_write)\n");
  refused("catch trap page-walk", "no trap cause \"page-walk\"; use ecall, illegal, page-load, "
                                  "page-store, page-fetch, misaligned or event\n");
  refused("catch hcall shutdown now", "catch takes one name\n");
  finish();
  start("faults", "hcall\n");
  quietly("catch hcall");
  /* mem_info, then one console_read a character of "hcall\n" */
  for (int i = 0; i < 7; i++) quietly("continue");
  ok("continue", "Catchpoint 1 (hcall (any)): 0x7ff(unknown) at 0x80000230 <unknown_hcall+32>\n"
                 "=> 0x80000230 <unknown_hcall+32>:\thcall\n");
  finish();
}

/* A terminal on which "deadlock" has been typed, and then nothing: the
 * guest's first wait for more is ended by Ctrl-C (the monitor's interrupt
 * flag, as the fd console sees it), its second by a key.  Output kept. */
static struct {
  size_t pos;
  unsigned waits;
  bool key;
  char out[256];
  size_t nout;
} TTY;
static const char TYPED[] = "deadlock\n";

static bool tty_write(void *ctx, const uint8_t *buf, size_t len) {
  if (len > sizeof TTY.out - 1 - TTY.nout) return false;
  memcpy(TTY.out + TTY.nout, buf, len);
  TTY.nout += len;
  return true;
}

static long tty_read(void *ctx, uint8_t *buf, size_t len) {
  if (TTY.pos == sizeof TYPED - 1) return DEV_AGAIN; /* nothing more typed */
  buf[0] = (uint8_t)TYPED[TTY.pos++];
  return 1;
}

static bool tty_ready(void *ctx, bool wait) {
  if (TTY.pos < sizeof TYPED - 1 || TTY.key) return true;
  if (!wait) return false;
  if (++TTY.waits == 1) {
    *mon_interrupt_flag(S) = 1; /* Ctrl-C while the guest waits */
    return false;
  }
  TTY.key = true;
  return true;
}

/* Ctrl-C inside a caught event_wait stops the guest there, the call not
 * carried out; continue carries it out (it waits again) and does not
 * report the catchpoint a second time. */
Test(monitor, continue_after_ctrl_c_in_a_caught_wait_goes_past_the_catchpoint) {
  machine_config cfg = {.mem_mib = MACHINE_DEFAULT_MEM_MIB};
  host_error err;
  cr_assert(machine_init(&M, &cfg, &err), "%s", err.msg);
  snprintf(GUEST, sizeof GUEST, "%s", spawn_guest("faults"));
  cr_assert(machine_load_elf(&M, GUEST, &err), "%s", err.msg);
  memset(&TTY, 0, sizeof TTY);
  M.console_io = (dev_console_backend){NULL, tty_write, tty_read, tty_ready};
  S = mon_new(&M, GUEST);
  cr_assert(S);
  quietly("catch hcall event_wait");
  const char *at = "0x800002e8 <wait_forever+72>";
  ok("continue", montest_fmt("Catchpoint 1 (hcall event_wait): event_wait(events=0x2) at %s\n"
                             "=> %s:\thcall\n", at, at));
  ok("continue", montest_fmt("Interrupted at icount 1017, %s\n=> %s:\thcall\n", at, at));
  cr_expect_eq(TTY.waits, 1, "the interrupted wait was not the one caught");
  ok("continue", "The guest shut down with exit code 0 after 1323 instructions\n");
  cr_expect_eq(TTY.waits, 2, "continue did not carry out the wait again");
  TTY.out[TTY.nout] = 0;
  cr_expect_str_eq(TTY.out, "woke up\n");
  ok("info breakpoints",
     "Num  Type             Enb  Address                      Hits   What\n"
     "1    catchpoint       y                                 1      hcall event_wait\n");
  mon_free(S);
  machine_free(&M);
}

/* ---- trace ---- */

Test(monitor, trace_to_files) {
  start("hello", "");
  const char *insns = temp_file(NULL), *hcalls = temp_file(NULL);
  ok(montest_fmt("trace insn on %s", insns),
     montest_fmt("Tracing insn to %s (the guest runs one instruction at a time)\n", insns));
  ok(montest_fmt("trace hcall on %s", hcalls), montest_fmt("Tracing hcall to %s\n", hcalls));
  ok("trace", "trace insn  on\ntrace hcall on\ntrace trap  off\n");
  ok("stepi 6", "Stopped at icount 6\n=> 0x80000018 <_start+24>:\tadd sp, a1, a2\n");
  ok("trace insn off", "Tracing insn off\n");
  ok("trace hcall off", "Tracing hcall off\n");
  quietly("stepi");
  char *text = slurp(insns);
  cr_expect_str_eq(text, "0 0x80000000 <_start>: auipc gp, 0x4\n"
                         "1 0x80000004 <_start+4>: addi gp, gp, -1112\n"
                         "2 0x80000008 <_start+8>: auipc tp, 0x3\n"
                         "3 0x8000000c <_start+12>: addi tp, tp, 932\n"
                         "4 0x80000010 <_start+16>: li a7, 3\n"
                         "5 0x80000014 <_start+20>: hcall\n");
  free(text);
  text = slurp(hcalls);
  cr_expect_str_eq(text, "5 0x80000014 <_start+20>: hcall mem_info() -> PV_OK a1=0x80000000 a2=0x2000000\n");
  free(text);
  /* without a file, into the command's own output */
  ok("trace insn on", "Tracing insn to the monitor's output (the guest runs one instruction at a time)\n");
  ok("stepi 2", "7 0x8000001c <_start+28>: andi sp, sp, -16\n"
                "8 0x80000020 <_start+32>: addi t0, gp, -2040\n"
                "Stopped at icount 9\n=> 0x80000024 <_start+36>:\tsw sp, 0(t0)\n");
  refused("trace frames on", "trace what? \"frames\": use insn, hcall or trap\n");
  refused("trace insn maybe", "usage: trace insn on [FILE] | trace insn off\n");
  refused("trace insn off now", "trace insn off takes no file\n");
  refused("trace insn on /nonexistent/dir/trace.txt",
          "/nonexistent/dir/trace.txt: cannot open for writing: No such file or directory\n");
  unlink(insns);
  unlink(hcalls);
  finish();
  start("minikernel/minikernel", "");
  const char *traps = temp_file(NULL);
  quietly(montest_fmt("trace trap on %s", traps));
  quietly("catch trap ecall");
  quietly("continue");
  quietly("trace trap off");
  text = slurp(traps);
  /* user mode starts at 140929 with 20000 ns slices (time_now gives the
   * icount): the first process is preempted at 0x1008c, the second at
   * 0x10090, then the first makes its first system call */
  cr_expect_str_eq(text, "160910 trap event from user pc 0x0001008c, tval 0x00000001\n"
                         "181867 trap event from user pc 0x00010090, tval 0x00000001\n"
                         "182958 trap ecall from user pc 0x000100f0, tval 0x00000000\n");
  free(text);
  unlink(traps);
  finish();
}

/* ---- scripts and the rest ---- */

Test(monitor, source_reports_the_failing_line) {
  start("hello", "");
  const char *script = temp_file("# a comment, then a blank line\n\necho one\np 1 +\necho two\n");
  check(montest_fmt("source %s", script), MON_ERROR,
        montest_fmt("one\nan expression ends too early (at column 4 of \"1 +\")\n"
            "%s:4: the error above, in: p 1 +\n", script));
  ok("set stop-on-error off", "");
  check(montest_fmt("source %s", script), MON_ERROR,
        montest_fmt("one\nan expression ends too early (at column 4 of \"1 +\")\n"
            "%s:4: the error above, in: p 1 +\ntwo\n", script));
  ok("set stop-on-error on", "");
  refused("set stop-on-error maybe", "usage: set stop-on-error on|off (now on)\n");
  const char *quits = temp_file("echo before\nquit\necho after\n");
  check(montest_fmt("source %s", quits), MON_QUIT, "before\n");
  const char *steps = temp_file("stepi\np $pc\n");
  ok(montest_fmt("source %s", steps), "Stopped at icount 1\n=> 0x80000004 <_start+4>:\taddi gp, gp, -1112\n"
                              "$1 = 0x80000004 <_start+4>\n");
  refused("source", "source needs a file name\n");
  refused("source /nonexistent/script", "/nonexistent/script: cannot open: No such file or directory\n");
  unlink(script);
  unlink(quits);
  unlink(steps);
  finish();
}

Test(monitor, echo_help_quit_and_prefixes) {
  start("hello", "");
  ok("echo Hello, world", "Hello, world\n");
  ok("echo", "\n");
  ok("echo a\\nb", "a\nb\n");
  ok("", "");
  ok("   # a comment", "");
  ok("help x", "usage: x/NFU ADDRESS\n"
               "Examines memory: N units of format F (x d u o t c s i a) and size U (b h w); a bare x goes on.\n");
  ok("help si", "usage: stepi [N]\nRuns N instructions (default 1), into calls.\nalso: si\n");
  ok("h bt", "usage: backtrace\nShows the call stack, read from each function's prologue (where it "
             "saved ra).\nalso: bt where\n");
  refused("help frobnicate", "no command \"frobnicate\"; 'help' lists them\n");
  mon_status st;
  char *got = run("help", &st);
  cr_expect_eq(st, MON_OK);
  const char *first = "Commands (gdb's names; any unambiguous prefix works):\n"
                      "  stepi [N]                          Runs N instructions (default 1), into calls.\n";
  cr_expect(strncmp(got, first, strlen(first)) == 0, "%s", got);
  /* a usage too long for the column gets its own line */
  cr_expect(strstr(got, "\n  catch hcall [NAME] | catch trap [CAUSE]\n"
                        "                                     Stops before a hypercall"), "%s", got);
  cr_expect(strstr(got, "\n'help COMMAND' shows one command; docs/monitor.md has a tutorial.\n"), "%s", got);
  free(got);
  /* names, aliases and unambiguous prefixes */
  ok("disassem main 1", "   0x80000044 <main>:\taddi sp, sp, -16\n");
  ok("st", "Stopped at icount 1\n=> 0x80000004 <_start+4>:\taddi gp, gp, -1112\n");
  ok("con", "The guest shut down with exit code 0 after 3696 instructions\n");
  refused("s", "\"s\" is ambiguous: type more of the command ('help' lists them)\n");
  refused("e", "\"e\" is ambiguous: type more of the command ('help' lists them)\n");
  refused("frobnicate 3", "no command \"frobnicate\"; 'help' lists them\n");
  check("quit", MON_QUIT, "");
  check("q", MON_QUIT, "");
  check("exit", MON_QUIT, "");
  finish();
}

/* The four kinds of bad input, in the middle of a run: one line each and
 * the machine as it was. */
Test(monitor, bad_input_changes_nothing) {
  start("hello", "");
  quietly("break con_put");
  quietly("continue");
  refused("frobnicate", "no command \"frobnicate\"; 'help' lists them\n");
  refused("p (1 + 2", "missing ')' (at column 7 of \"(1 + 2\")\n");
  refused("p 1 2", "unexpected '2' after the expression (at column 3 of \"1 2\")\n");
  refused("x/4xw 0x90000000", "Cannot access memory at address 0x90000000\n");
  refused("set *0x7ffffffc = 1", "Cannot access memory at address 0x7ffffffc\n");
  refused("break nosuch", "no symbol \"nosuch\" in the guest (at column 1 of \"nosuch\")\n");
  refused("until nosuch", "no symbol \"nosuch\" in the guest (at column 1 of \"nosuch\")\n");
  refused("watch nosuch", "no symbol \"nosuch\" in the guest (at column 1 of \"nosuch\")\n");
  refused("stepi nosuch", "no symbol \"nosuch\" in the guest (at column 1 of \"nosuch\")\n");
  ok("info registers pc", "pc        0x800001c8 <con_put>\n");
  finish();
}
