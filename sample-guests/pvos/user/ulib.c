/* The user library: the start of every program, the string functions the
 * programs (and the compiler) need, and printf over write().  No libc:
 * everything a pvos program runs is on this page or in usys.S. */
#include "user.h"

int main(int argc, char *argv[]);

/* The kernel starts a program here with a0 = argc, a1 = argv (on the
 * stack) and sp below them; returning from main() is exit(). */
__attribute__((section(".text.entry"), noreturn)) void _start(int argc, char *argv[]) {
  exit(main(argc, argv));
}

size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

int strcmp(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n) {
  for (; n > 0; n--, a++, b++)
    if (*a != *b || !*a) return (unsigned char)*a - (unsigned char)*b;
  return 0;
}

char *strcpy(char *dst, const char *src) {
  char *d = dst;
  while ((*d++ = *src++)) {
  }
  return dst;
}

char *strchr(const char *s, int c) {
  for (; *s; s++)
    if (*s == (char)c) return (char *)s;
  return c ? NULL : (char *)s;
}

void *memset(void *dst, int c, size_t n) {
  unsigned char *d = dst;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}

void *memcpy(void *dst, const void *src, size_t n) { return memmove(dst, src, n); }

void *memmove(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (d < s)
    while (n--) *d++ = *s++;
  else
    while (n--) d[n] = s[n];
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (; n > 0; n--, x++, y++)
    if (*x != *y) return *x - *y;
  return 0;
}

int atoi(const char *s) {
  int n = 0, neg = *s == '-';
  if (neg) s++;
  while (*s >= '0' && *s <= '9') n = n * 10 + (*s++ - '0');
  return neg ? -n : n;
}

/* printf's output so far: a buffer that counts what did not fit. */
struct out {
  char *buf;
  size_t size, len;
};

static void put(struct out *o, char c) {
  if (o->len + 1 < o->size) o->buf[o->len] = c;
  o->len++;
}

/* One converted field: text, padded to width (left-aligned with '-',
 * with zeros for numbers with '0'). */
static void field(struct out *o, const char *s, size_t n, int width, int left, char pad) {
  int fill = width > (int)n ? width - (int)n : 0;
  if (!left)
    while (fill-- > 0) put(o, pad);
  while (n--) put(o, *s++);
  if (left)
    while (fill-- > 0) put(o, ' ');
}

static size_t utoa(unsigned long v, unsigned base, char *end) {
  char *p = end;
  do *--p = "0123456789abcdef"[v % base];
  while (v /= base);
  return (size_t)(end - p);
}

/* %d %i %u %x %p %s %c %%, with a width and the - and 0 flags; l is accepted
 * and ignored (long is int here). */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) {
  struct out o = {buf, size, 0};
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      put(&o, *fmt);
      continue;
    }
    int left = 0, width = 0;
    char pad = ' ', num[12], *end = num + sizeof num;
    for (; *++fmt == '-' || *fmt == '0';) *fmt == '-' ? (left = 1) : (pad = '0');
    for (; *fmt >= '0' && *fmt <= '9'; fmt++) width = width * 10 + (*fmt - '0');
    while (*fmt == 'l') fmt++;
    switch (*fmt) {
    case 'd':
    case 'i': {
      int v = va_arg(ap, int);
      size_t n = utoa(v < 0 ? 0u - (unsigned)v : (unsigned)v, 10, end);
      if (v < 0) *(end - ++n) = '-';
      field(&o, end - n, n, width, left, pad);
      break;
    }
    case 'u': {
      size_t n = utoa(va_arg(ap, unsigned), 10, end);
      field(&o, end - n, n, width, left, pad);
      break;
    }
    case 'x':
    case 'p': {
      size_t n = utoa(va_arg(ap, unsigned), 16, end);
      field(&o, end - n, n, width, left, pad);
      break;
    }
    case 's': {
      const char *s = va_arg(ap, const char *);
      if (!s) s = "(null)";
      field(&o, s, strlen(s), width, left, ' ');
      break;
    }
    case 'c': {
      char c = (char)va_arg(ap, int);
      field(&o, &c, 1, width, left, ' ');
      break;
    }
    case '\0':
      fmt--;
      break;
    default: /* %% and anything unknown: as it is */
      put(&o, *fmt);
    }
  }
  if (size) buf[o.len < size ? o.len : size - 1] = '\0';
  return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

/* Formats into a buffer, then one write(): a line from one process is not
 * cut in two by another's output. */
static int vfprintf(int fd, const char *fmt, va_list ap) {
  char buf[256];
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  if (n > (int)sizeof buf - 1) n = (int)sizeof buf - 1;
  return write(fd, buf, n);
}

int fprintf(int fd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(fd, fmt, ap);
  va_end(ap);
  return n;
}

int printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(1, fmt, ap);
  va_end(ap);
  return n;
}
