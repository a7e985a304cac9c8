/* A thread that reads a FIFO to its end while a test writes into it, for
 * the suites that check that output files reach a FIFO in place.  The
 * FIFO is opened for reading first (without waiting for a writer), so that
 * neither side waits for the other to appear. */
#ifndef PVLAB_TESTS_FIFO_READER_H
#define PVLAB_TESTS_FIFO_READER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

typedef struct fifo_reader {
  int fd;
  atomic_bool writer_done; /* the FIFO's end of file is the end from then */
  pthread_t thread;
  char *buf; /* what came through, owned */
  size_t len, cap;
} fifo_reader;

/* Opens path for reading and starts the thread; asserts both work. */
void fifo_reader_start(fifo_reader *r, const char *path);
/* Once the writer is done: waits for the thread and closes the FIFO; the
 * bytes are in r->buf, r->len (free r->buf). */
void fifo_reader_finish(fifo_reader *r);

#endif
