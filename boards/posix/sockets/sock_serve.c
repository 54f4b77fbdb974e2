/* An echo server multiplexed by select() or poll() (issue 24: 8 clients at once): non-blocking
 * descriptors, one 4 KiB buffer per connection, written back before more is read, so no byte is
 * lost under backpressure. Ends after SESSIONS connections closed, or after SECONDS.
 *   serve select|poll PORT SESSIONS SECONDS */
#ifdef ASNET_COMPAT_SOCKETS
#include "sockets/asnet_compat.h"
#else
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sock_apps.h"

#define CONNS 12
struct conn { int fd; size_t have, off; unsigned char buf[4096]; };
static struct conn conns[CONNS];
static int open_now, open_max, served, errors;
static unsigned long long bytes;

static void conn_close(struct conn *c) { close(c->fd); c->fd = -1; open_now--; served++; }

/* Writes what is held, then reads more: 0 to keep the connection, -1 when it ended. */
static int pump(struct conn *c, int readable, int writable)
{
    if (c->have > c->off && writable) {
        ssize_t n = send(c->fd, c->buf + c->off, c->have - c->off, 0);
        if (n < 0 && errno != EAGAIN) { errors++; return -1; }
        if (n > 0) c->off += (size_t)n;
    }
    if (c->off == c->have) c->off = c->have = 0;
    if (c->have == 0 && readable) {
        ssize_t n = recv(c->fd, c->buf, sizeof c->buf, 0);
        if (n == 0) return -1;
        if (n < 0 && errno != EAGAIN) { errors++; return -1; }
        if (n > 0) { c->have = (size_t)n; bytes += (unsigned long long)n; }
        ssize_t w = c->have ? send(c->fd, c->buf, c->have, 0) : 0;   /* at once: most sends fit */
        if (w > 0) c->off = (size_t)w;
        if (c->off == c->have) c->off = c->have = 0;
    }
    return 0;
}

static void accept_all(int l)
{
    for (;;) {
        int fd = accept(l, NULL, NULL);
        if (fd < 0) return;
        struct conn *c = NULL;
        for (int i = 0; i < CONNS && !c; i++) if (conns[i].fd < 0) c = &conns[i];
        if (!c) { close(fd); errors++; continue; }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        c->fd = fd; c->have = c->off = 0;
        if (++open_now > open_max) open_max = open_now;
    }
}

static void round_select(int l)
{
    fd_set rd, wr;
    FD_ZERO(&rd); FD_ZERO(&wr);
    FD_SET(l, &rd);
    int maxfd = l;
    for (int i = 0; i < CONNS; i++) {
        if (conns[i].fd < 0) continue;
        if (conns[i].have) FD_SET(conns[i].fd, &wr); else FD_SET(conns[i].fd, &rd);
        if (conns[i].fd > maxfd) maxfd = conns[i].fd;
    }
    struct timeval tv = { 0, 200000 };
    int n = select(maxfd + 1, &rd, &wr, NULL, &tv);
    if (n < 0) { errors++; return; }
    if (FD_ISSET(l, &rd)) accept_all(l);
    for (int i = 0; i < CONNS; i++) {
        struct conn *c = &conns[i];
        if (c->fd < 0) continue;
        int r = FD_ISSET(c->fd, &rd), w = FD_ISSET(c->fd, &wr);
        if ((r || w) && pump(c, r, w) < 0) conn_close(c);
    }
}

static void round_poll(int l)
{
    struct pollfd p[CONNS + 1];
    int idx[CONNS + 1], n = 0;
    p[n].fd = l; p[n].events = POLLIN; idx[n++] = -1;
    for (int i = 0; i < CONNS; i++) {
        if (conns[i].fd < 0) continue;
        p[n].fd = conns[i].fd; p[n].events = conns[i].have ? POLLOUT : POLLIN; idx[n++] = i;
    }
    int r = poll(p, (nfds_t)n, 200);
    if (r < 0) { errors++; return; }
    if (p[0].revents & POLLIN) accept_all(l);
    for (int k = 1; k < n; k++) {
        struct conn *c = &conns[idx[k]];
        short ev = p[k].revents;
        if (!ev) continue;
        if (pump(c, (ev & (POLLIN | POLLHUP | POLLERR)) != 0, (ev & (POLLOUT | POLLERR)) != 0) < 0) conn_close(c);
    }
}

int app_serve(int argc, char **argv)
{
    if (argc < 5) { fprintf(stderr, "serve select|poll PORT SESSIONS SECONDS\n"); return 64; }
    int use_poll = !strcmp(argv[1], "poll"), sessions = atoi(argv[3]);
    time_t end = time(NULL) + atoi(argv[4]);
    for (int i = 0; i < CONNS; i++) conns[i].fd = -1;
    int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* The stack's buffers come from one pool (36 blocks of 1 KiB in the default build): 8 connections
     * with the default 8 KiB receive buffers overcommit it, and five that each hold a full receive
     * queue while their echo waits for a send block deadlock (no ACK will come to free one). Sized
     * so 8 x (receive + send) fit, as firmware sizes its sockets to its pool; accepted sockets inherit. */
    int buf = 2048;
    setsockopt(l, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    setsockopt(l, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)atoi(argv[2]));
    if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 8) < 0) { perror("listen"); return 1; }
    fcntl(l, F_SETFL, fcntl(l, F_GETFL) | O_NONBLOCK);
    printf("serve: listening (%s)\n", use_poll ? "poll" : "select");
    while (served < sessions && time(NULL) < end) {
        if (use_poll) round_poll(l); else round_select(l);
    }
    for (int i = 0; i < CONNS; i++)
        if (conns[i].fd >= 0) printf("serve: left open fd %d holding %zu bytes (%zu written)\n", conns[i].fd, conns[i].have, conns[i].off);
    close(l);
    int ok = served >= sessions && errors == 0;
    printf("{\"ok\":%s,\"served\":%d,\"open_max\":%d,\"bytes\":%llu,\"errors\":%d}\n", ok ? "true" : "false", served, open_max, bytes, errors);
    return ok ? 0 : 1;
}
