/* pvos: the kernel's one shared header.  Each subsystem is one .c file;
 * this header lists what each offers the others, file by file.
 *
 * The big picture (docs/pvos.md has the tour):
 *   - The kernel runs in kernel mode on physical addresses; user programs
 *     run in user mode, each in its own Sv32 address space.
 *   - There is one trap frame (kframe).  While a process runs, the machine
 *     saves its registers there on every trap; the kernel copies them into
 *     the process only when another process needs the frame.
 *   - The kernel is never interrupted and never waits inside a system
 *     call: a call that must wait puts the process to sleep and leaves its
 *     pc on the ecall, so the call starts again from the top when the
 *     process wakes.  A process that is not running is therefore always
 *     stopped cleanly between two user instructions. */
#ifndef PVOS_KERNEL_H
#define PVOS_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "pv.h"
#include "pvos.h"
#include "syscalls.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- memory ---- */
#define PGSIZE 4096u
#define PGROUNDUP(a) (((a) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) ((a) & ~(PGSIZE - 1))
#define KSTACK_SIZE (32u * 1024u) /* at the top of RAM, never handed out */

/* A process's address space, from the bottom:
 *   0 .. USER_BASE          nothing: a NULL pointer faults
 *   USER_BASE ..            the program's segments, as its ELF file says
 *   heap_start .. sz        the heap, grown and shrunk by sbrk()
 *   ...                     unmapped: at least one guard page
 *   USTACK_TOP - USTACK_SIZE .. USTACK_TOP   the stack, argv at its top */
#define USER_BASE 0x10000u
#define USTACK_TOP 0x40000000u
#define USTACK_SIZE (4 * PGSIZE)
#define UHEAP_MAX (USTACK_TOP - USTACK_SIZE - PGSIZE)

/* Sv32 page-table entry bits (the RISC-V privileged spec, as pvlab has it). */
#define PTE_V 0x001u
#define PTE_R 0x002u
#define PTE_W 0x004u
#define PTE_X 0x008u
#define PTE_U 0x010u
#define PTE_A 0x040u
#define PTE_D 0x080u
typedef uint32_t pte_t;
typedef pte_t *pagetable_t; /* 1024 entries, one page */

/* ---- time ---- */
#define TICK_NS 1000000u    /* sleep() and uptime() count 1 ms ticks */
#define QUANTUM_NS 1000000u /* a process runs at most 1 ms before the next */

/* ---- processes ---- */
#define NPROC 16
#define PRIO_MIN 0
#define PRIO_MAX 9
#define PRIO_DEFAULT 5

enum procstate { UNUSED, RUNNABLE, RUNNING, SLEEPING, ZOMBIE };

struct file {
  enum { FD_NONE, FD_CONSOLE, FD_INODE } type;
  uint32_t inum; /* FD_INODE: which file */
  uint32_t off;  /* FD_INODE: where the next read or write goes */
  int readable, writable;
};

struct proc {
  enum procstate state;
  int pid;
  char name[DIRSIZ + 1];
  struct proc *parent; /* NULL once the parent has exited */
  int xstatus;         /* exit status, for the parent's wait() */
  const void *chan;    /* SLEEPING: what it waits for (sleep_on) */
  uint64_t wake_ns;    /* SLEEPING in sleep(): when to wake */
  int priority;        /* PRIO_MIN..PRIO_MAX; higher runs first (exercise sched) */
  pagetable_t pagetable;
  uint32_t heap_start; /* the heap: [heap_start, sz) */
  uint32_t sz;         /* the break, as sbrk() moves it */
  uint32_t regs[32];   /* user registers, saved while another process */
  uint32_t pc;         /*   has the trap frame (sched.c) */
  struct file ofile[NOFILE];
};

/* System call handlers return their result, or this to leave the pc on
 * the ecall: the process sleeps and makes the same call again when woken. */
#define SYSCALL_RESTART INT32_MIN

/* ---- console.c ---- */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);
int console_read(struct proc *p, uint32_t dst, int n);
int console_write(struct proc *p, uint32_t src, int n);
int console_has_waiters(void);
void console_wake(void);
#define PANIC_STATUS 99 /* the machine's exit code after a kernel panic */

/* ---- kalloc.c ---- */
void kalloc_init(uint32_t start, uint32_t end);
void *kalloc(void); /* a zeroed page, or NULL */
void kfree(void *pa);
extern uint32_t kalloc_pages_used, kalloc_pages_peak, kalloc_pages_total;

/* ---- vm.c ---- */
pagetable_t uvm_create(void);
void uvm_free(pagetable_t pt);
int uvm_map(pagetable_t pt, uint32_t va, void *pa, uint32_t perm);
int uvm_alloc(pagetable_t pt, uint32_t va, uint32_t len, uint32_t perm);
void *uvm_pa(pagetable_t pt, uint32_t va);
int vm_lazy_fault(struct proc *p, uint32_t va);
int vm_sbrk(struct proc *p, int n, uint32_t *old);
int copyin(struct proc *p, void *dst, uint32_t srcva, uint32_t len);
int copyout(struct proc *p, uint32_t dstva, const void *src, uint32_t len);
int copyinstr(struct proc *p, char *dst, uint32_t srcva, uint32_t max);

/* ---- fs.c ---- */
int fs_init(void);
uint32_t fs_lookup(const char *path);
uint32_t fs_create(const char *path);
int fs_read(uint32_t inum, uint32_t off, void *dst, uint32_t n);
int fs_write(uint32_t inum, uint32_t off, const void *src, uint32_t n);
int fs_truncate(uint32_t inum);
int fs_stat(uint32_t inum, struct stat *st);
uint32_t fs_nfiles(void);

/* ---- elf.c ---- */
int elf_load(struct proc *p, uint32_t inum, uint32_t *entry);

/* ---- proc.c ---- */
extern struct proc procs[NPROC];
int proc_spawn(struct proc *parent, const char *path, char *const argv[]);
void proc_exit(struct proc *p, int status);
int proc_wait(struct proc *p, uint32_t status_va);
int proc_kill(int pid);
struct proc *proc_find(int pid);
void sleep_on(struct proc *p, const void *chan);
void wakeup(const void *chan);
int proc_sleep_until(struct proc *p, uint64_t wake_ns);
void wake_sleepers(uint64_t now);
uint64_t next_wake_ns(void);

/* ---- sched.c ---- */
extern struct pv_vcpu kframe; /* the trap frame: the running process's registers */
extern struct proc *curproc;  /* the process running, or NULL while idle */
__attribute__((noreturn)) void sched(void);
void sched_forget(struct proc *p);
void sched_events(uint32_t pending);
uint64_t now_ns(void);

/* ---- trap.c ---- */
void trap_init(uint32_t kernel_sp);

/* ---- syscall.c ---- */
void syscall(void);
uint32_t argraw(int n);

#endif
