/* The gdb stub's connection: a TCP socket on the loopback interface (or
 * an address the user chose), one client at a time, acknowledgements and
 * retransmission, and Ctrl-C while the guest runs.
 *
 * Ctrl-C: the guest runs inside mon_go, which watches the monitor's
 * interrupt flag.  The socket is put in O_ASYNC mode, so the kernel sends
 * SIGIO when anything arrives (gdb's 0x03, or the end of the connection),
 * and the handler sets that flag: the run stops, the reply is T02 (or the
 * client is gone), and the byte is read as usual afterwards.  That keeps
 * one thread and no polling inside the run loop; host timing decides only
 * where a run the user interrupted stops, as with Ctrl-C on a terminal.
 *
 * A client that goes away (detach, a crash, a closed socket) leaves the
 * guest stopped where it is, and the next client can attach. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gdb.h"

static volatile sig_atomic_t *run_flag; /* the monitor's interrupt flag */
static volatile sig_atomic_t got_sigint;

static void on_sigio(int sig) {
  (void)sig;
  *run_flag = 1;
}

static void on_sigint(int sig) {
  (void)sig;
  *run_flag = 1;
  got_sigint = 1;
}

typedef struct gdb_conn {
  int fd;
  gdb_stub *g;
  gdb_rx rx;
  uint8_t in[4096];
  size_t in_len, in_pos;
  char last[2 * GDB_PACKET_MAX + 8]; /* the last reply, framed: for '-' */
  size_t last_len;
} gdb_conn;

static bool send_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= (size_t)n;
  }
  return true;
}

static void send_o(void *ctx, const char *text, size_t len) {
  gdb_conn *c = ctx;
  char framed[2 * GDB_PACKET_MAX + 8];
  size_t n = gdb_frame(text, len, framed, sizeof framed);
  if (n) send_all(c->fd, framed, n);
}

static bool send_reply(gdb_conn *c, const char *body) {
  c->last_len = gdb_frame(body, strlen(body), c->last, sizeof c->last);
  return c->last_len && send_all(c->fd, c->last, c->last_len);
}

/* The next byte from the client: -1 when it is gone.  SIGINT here only
 * interrupts the guest (through the flag); it ends the server when no
 * client is attached. */
static int next_byte(gdb_conn *c) {
  while (c->in_pos == c->in_len) {
    ssize_t n = recv(c->fd, c->in, sizeof c->in, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    c->in_len = (size_t)n;
    c->in_pos = 0;
  }
  return c->in[c->in_pos++];
}

/* Before a packet that may run the guest: a byte already waiting (0x03
 * sent just now) stops it at once; otherwise SIGIO will. */
static void arm_interrupt(gdb_conn *c) {
  struct pollfd p = {.fd = c->fd, .events = POLLIN};
  *run_flag = 0;
  if (c->in_pos < c->in_len || poll(&p, 1, 0) > 0) *run_flag = 1;
}

/* One client's session: GDB_CLOSE when it went away, GDB_QUIT when it
 * (or SIGINT) ended the server. */
static gdb_after serve_client(gdb_conn *c) {
  static char reply[GDB_PACKET_MAX + 1];
  for (;;) {
    int b = next_byte(c);
    if (b < 0) return GDB_CLOSE;
    gdb_rx_event ev = gdb_rx_byte(&c->rx, (uint8_t)b);
    bool ack = !c->g->no_ack;
    switch (ev) {
    case GDB_RX_PACKET: {
      if (ack && !send_all(c->fd, "+", 1)) return GDB_CLOSE;
      arm_interrupt(c);
      gdb_after after = gdb_stub_handle(c->g, c->rx.data, c->rx.len, reply);
      if (!send_reply(c, reply) || after != GDB_REPLY) return after;
      break;
    }
    case GDB_RX_BAD_CHECKSUM:
      fprintf(stderr, "pvlab: gdb: a packet with a bad checksum was refused ('-'); "
              "the client sends it again\n");
      if (ack && !send_all(c->fd, "-", 1)) return GDB_CLOSE;
      break;
    case GDB_RX_TOO_LONG:
      fprintf(stderr, "pvlab: gdb: a packet over %d bytes (or with a broken escape "
              "or repeat) was dropped; the client should keep to qSupported's PacketSize\n",
              GDB_PACKET_MAX);
      if (ack && !send_all(c->fd, "+", 1)) return GDB_CLOSE;
      if (!send_reply(c, "E01")) return GDB_CLOSE;
      break;
    case GDB_RX_NACK:
      if (c->last_len && !send_all(c->fd, c->last, c->last_len)) return GDB_CLOSE;
      break;
    case GDB_RX_INTERRUPT: /* the guest is stopped already: nothing to stop */
    case GDB_RX_ACK:
    case GDB_RX_NONE: break;
    }
  }
}

/* The listening socket on addr:port (port 0: any); -1 with a message. */
static int listen_on(const char *addr, unsigned port, unsigned *bound) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
    fprintf(stderr, "pvlab: --gdb-listen %s: not an IPv4 address (such as 127.0.0.1 or "
            "0.0.0.0)\n", addr);
    return -1;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  socklen_t len = sizeof sa;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1) < 0 ||
      getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
    fprintf(stderr, "pvlab: --gdb %u: cannot listen on %s:%u: %s (another program may "
            "have the port: choose another, or 0 for any free one)\n", port, addr, port,
            strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
  }
  *bound = ntohs(sa.sin_port);
  return fd;
}

/* Waits for the next client; -1 on SIGINT. */
static int accept_client(int lfd) {
  for (;;) {
    if (got_sigint) return -1;
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0) return fd;
    if (errno != EINTR && errno != ECONNABORTED) return -1;
  }
}

static void serve(int lfd, mon *s, const gdb_opts *o) {
  gdb_stub g = {.s = s, .end = o->end, .send_o = send_o};
  static gdb_conn c;
  for (;;) {
    int fd = accept_client(lfd);
    if (fd < 0) return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);
    fcntl(fd, F_SETOWN, getpid());
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
    c = (gdb_conn){.fd = fd, .g = &g};
    gdb_rx_init(&c.rx);
    g.no_ack = false;
    g.ctx = &c;
    printf("pvlab: gdb attached\n");
    fflush(stdout);
    gdb_after end = serve_client(&c);
    close(fd);
    *run_flag = 0;
    got_sigint = 0;
    if (end == GDB_QUIT) return;
    printf("pvlab: gdb detached; the guest is stopped at icount %" PRIu64
           "; waiting for the next gdb\n", mon_machine(s)->cpu.s.icount);
    fflush(stdout);
  }
}

int gdb_serve(mon *s, const gdb_opts *o) {
  const char *addr = o->listen ? o->listen : "127.0.0.1";
  unsigned port = 0;
  int lfd = listen_on(addr, o->port, &port);
  if (lfd < 0) return 125;
  if (strcmp(addr, "127.0.0.1") != 0) {
    fprintf(stderr, "pvlab: warning: gdb is listening on %s:%u: anyone who can reach "
            "it can read and change the guest, and run monitor commands\n", addr, port);
  }
  printf("pvlab: waiting for gdb on %s:%u (gdb-multiarch %s -ex 'target remote :%u')\n",
         addr, port, o->guest ? o->guest : "GUEST.elf", port);
  fflush(stdout);
  run_flag = mon_interrupt_flag(s);
  got_sigint = 0;
  struct sigaction io = {.sa_handler = on_sigio, .sa_flags = SA_RESTART}, in = {.sa_handler = on_sigint};
  struct sigaction old_io, old_in;
  sigemptyset(&io.sa_mask);
  sigemptyset(&in.sa_mask);
  sigaction(SIGIO, &io, &old_io);
  sigaction(SIGINT, &in, &old_in);
  serve(lfd, s, o);
  close(lfd);
  sigaction(SIGINT, &old_in, NULL);
  sigaction(SIGIO, &old_io, NULL);
  return 0;
}
