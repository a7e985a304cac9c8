/* Every monitor command, listed once: X(handler, "name", "aliases",
 * "usage", "help").  The list generates the dispatch table, `help` and the
 * names for completion.  gdb's names where gdb has them, QEMU's where only
 * QEMU has one.  A command may also be typed as any unambiguous prefix. */
#ifndef PVLAB_MONITOR_MON_CMDS_H
#define PVLAB_MONITOR_MON_CMDS_H

#define MON_COMMANDS(X) \
  X(mon_cmd_stepi, "stepi", "si", "stepi [N]", "Runs N instructions (default 1), into calls.") \
  X(mon_cmd_nexti, "nexti", "ni", "nexti [N]", "Runs N instructions, stepping over calls (jal/jalr that link).") \
  X(mon_cmd_continue, "continue", "c cont", "continue", "Runs until a breakpoint, watchpoint, catchpoint, fault, Ctrl-C or the guest's exit.") \
  X(mon_cmd_finish, "finish", "fin", "finish", "Runs until the current function returns to its caller.") \
  X(mon_cmd_until, "until", "u advance", "until LOCATION", "Runs until the pc reaches LOCATION (or something else stops the guest).") \
  X(mon_cmd_run_until, "run-until", "", "run-until ICOUNT", "Runs until the instruction count reaches ICOUNT.") \
  X(mon_cmd_reverse_stepi, "reverse-stepi", "rsi", "reverse-stepi [N]", "Goes back N instructions (default 1) in the run's history.") \
  X(mon_cmd_reverse_nexti, "reverse-nexti", "rni", "reverse-nexti [N]", "Goes back N instructions, over calls: back from after a call, to the call.") \
  X(mon_cmd_reverse_continue, "reverse-continue", "rc", "reverse-continue", "Goes back to the last breakpoint hit or watchpoint trigger before now, or to the start of history.") \
  X(mon_cmd_reverse_finish, "reverse-finish", "", "reverse-finish", "Goes back to the call of the current function.") \
  X(mon_cmd_goto, "goto", "", "goto ICOUNT", "Goes to an instruction count in history, back or forward; past its end, runs there.") \
  X(mon_cmd_restart, "restart", "kill run", "restart", "Reloads the guest and starts again at its entry point; breakpoints stay.") \
  X(mon_cmd_break, "break", "b br", "break LOCATION [if CONDITION]", "Sets a breakpoint at an address, SYMBOL or SYMBOL+OFFSET.") \
  X(mon_cmd_tbreak, "tbreak", "", "tbreak LOCATION [if CONDITION]", "Sets a breakpoint that is deleted when it is first hit.") \
  X(mon_cmd_watch, "watch", "", "watch ADDRESS [LEN]", "Stops after an instruction writes a new value to ADDRESS (LEN bytes, default 4 or the symbol's size).") \
  X(mon_cmd_rwatch, "rwatch", "", "rwatch ADDRESS [LEN]", "Stops after an instruction reads ADDRESS.") \
  X(mon_cmd_awatch, "awatch", "", "awatch ADDRESS [LEN]", "Stops after an instruction reads or writes ADDRESS.") \
  X(mon_cmd_catch, "catch", "", "catch hcall [NAME] | catch trap [CAUSE]", "Stops before a hypercall (any, or NAME) or after a trap into the guest kernel (any, or CAUSE: ecall, illegal, page-load, page-store, page-fetch, misaligned, event).") \
  X(mon_cmd_delete, "delete", "d", "delete [N...]", "Deletes breakpoints, watchpoints and catchpoints N (all with no N).") \
  X(mon_cmd_disable, "disable", "", "disable [N...]", "Disables breakpoints N (all with no N).") \
  X(mon_cmd_enable, "enable", "", "enable [N...]", "Enables breakpoints N (all with no N).") \
  X(mon_cmd_info, "info", "i", "info WHAT", "Shows registers [REG...], breakpoints, symbol ADDR, hcalls [N], devices, mmu [VADDR] (a page-table walk), stats, reverse (history and checkpoints).") \
  X(mon_cmd_print, "print", "p", "print[/FMT] EXPRESSION", "Evaluates an expression: registers ($a0), symbols, *ADDRESS, arithmetic, earlier values ($1). FMT: x d u o t c a.") \
  X(mon_cmd_examine, "x", "", "x/NFU ADDRESS", "Examines memory: N units of format F (x d u o t c s i a) and size U (b h w); a bare x goes on.") \
  X(mon_cmd_disas, "disassemble", "disas", "disassemble [LOCATION [N]]", "Disassembles N instructions (default 8) from LOCATION (default the pc); also START,END and START,+LENGTH.") \
  X(mon_cmd_bt, "backtrace", "bt where", "backtrace", "Shows the call stack, read from each function's prologue (where it saved ra).") \
  X(mon_cmd_set, "set", "", "set $REG = EXPR | set *ADDRESS = EXPR | set var NAME = EXPR | set stop-on-error on|off | set reverse-budget MIB | set reverse-interval N", "Changes a register, guest memory (width from a cast: *(uint8_t *)ADDR, or the variable's size), or a monitor setting; a change by hand starts a new history.") \
  X(mon_cmd_load, "load", "", "load FILE.elf", "Loads another guest ELF and restarts at its entry point.") \
  X(mon_cmd_savevm, "savevm", "", "savevm FILE", "Saves the whole machine (CPU, memory, devices, disk, the guest ELF) to a snapshot FILE, written whole or not at all.") \
  X(mon_cmd_loadvm, "loadvm", "", "loadvm FILE", "Replaces the machine by the snapshot in FILE; breakpoints and settings stay. A damaged file changes nothing.") \
  X(mon_cmd_snapshot, "snapshot", "", "snapshot save FILE | snapshot load FILE", "The same as savevm FILE and loadvm FILE.") \
  X(mon_cmd_trace, "trace", "", "trace insn|hcall|trap on [FILE] | off", "Writes one line per instruction, hypercall or trap: icount, pc as symbol, details.") \
  X(mon_cmd_source, "source", "", "source FILE", "Runs monitor commands from FILE.") \
  X(mon_cmd_echo, "echo", "", "echo TEXT", "Prints TEXT (for scripts).") \
  X(mon_cmd_help, "help", "h ?", "help [COMMAND]", "Lists the commands, or explains one.") \
  X(mon_cmd_quit, "quit", "q exit", "quit", "Leaves the monitor.")

#endif
