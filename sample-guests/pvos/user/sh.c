/* sh: the console shell.  Reads a line, splits it into words at spaces,
 * runs the program the first word names with the words as its arguments,
 * and waits for it (unless the line ends with &: then it runs in the
 * background).  `exit [N]` leaves; so does the end of input, with the
 * status of the last command, so `printf 'usertests\n' | pvlab run ...`
 * exits as usertests did.  The shell is process 1: when it exits, pvos
 * shuts the machine down. */
#include "user.h"

#define MAXLINE 256

/* A line from the console into buf (without its newline); -1 at the end
 * of input with nothing read, -2 if the console cannot be read. */
static int getline(char *buf, int size) {
  int n = 0;
  char c;
  while (n < size - 1) {
    int r = read(0, &c, 1);
    if (r < 0) return -2;
    if (r == 0) {
      if (n == 0) return -1;
      break;
    }
    if (c == '\n') break;
    buf[n++] = c;
  }
  buf[n] = '\0';
  return n;
}

/* Splits line in place into argv; returns argc. */
static int split(char *line, char *argv[]) {
  int argc = 0;
  for (char *p = line; *p && argc < MAXARG;) {
    while (*p == ' ' || *p == '\t') *p++ = '\0';
    if (!*p) break;
    argv[argc++] = p;
    while (*p && *p != ' ' && *p != '\t') p++;
  }
  argv[argc] = NULL;
  return argc;
}

/* Runs argv; the program's exit status, or 1 if it could not start. */
static int run(char *argv[], int background) {
  int pid = spawn(argv[0], argv);
  if (pid < 0) {
    int fd = open(argv[0], O_RDONLY);
    if (fd < 0) {
      fprintf(2, "sh: %s: no such program (ls lists them)\n", argv[0]);
    } else {
      close(fd);
      fprintf(2, "sh: %s: cannot run it: not a pvos program, or out of memory\n", argv[0]);
    }
    return 1;
  }
  if (background) {
    printf("[%d]\n", pid);
    return 0;
  }
  int status = 0, done;
  while ((done = wait(&status)) >= 0 && done != pid) {
    /* a background job that ended: nothing to do but collect it */
  }
  return status;
}

int main(void) {
  static char line[MAXLINE];
  char *argv[MAXARG + 1];
  int status = 0;
  for (;;) {
    printf("$ ");
    int len = getline(line, sizeof line);
    if (len == -2) {
      fprintf(2, "sh: cannot read the console\n");
      return 1;
    }
    if (len < 0) break;
    int argc = split(line, argv), background = 0;
    if (argc > 0 && strcmp(argv[argc - 1], "&") == 0) {
      argv[--argc] = NULL;
      background = 1;
    }
    if (argc == 0) continue;
    if (strcmp(argv[0], "exit") == 0) return argc > 1 ? atoi(argv[1]) : status;
    status = run(argv, background);
  }
  printf("\n");
  return status;
}
