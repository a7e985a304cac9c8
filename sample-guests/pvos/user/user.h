/* What a pvos user program can call: the system calls (generated from
 * include/syscalls.h) and the small library in ulib.c. */
#ifndef PVOS_USER_H
#define PVOS_USER_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "pvos.h"
#include "syscalls.h"

#define PROTOTYPE(num, name, rtype, params) rtype name params;
SYSCALLS(PROTOTYPE)
#undef PROTOTYPE
__attribute__((noreturn)) void exit(int status);

/* ulib.c */
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *dst, const char *src);
char *strchr(const char *s, int c);
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
int atoi(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

#endif
