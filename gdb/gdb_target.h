/* The target description gdb reads (qXfer:features:read:target.xml): a
 * 32-bit RISC-V with the org.gnu.gdb.riscv.cpu feature, registers 0-31
 * the x registers by their ABI names, 32 the pc. */
#ifndef PVLAB_GDB_TARGET_H
#define PVLAB_GDB_TARGET_H

enum { GDB_NREGS = 33 };

extern const char gdb_target_xml[];

#endif
