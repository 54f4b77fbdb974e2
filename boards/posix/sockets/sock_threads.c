/* Many tasks at once (issue 24): THREADS threads, each running connect / transfer / close loops on
 * sockets of its own against an echo peer for SECONDS: every connection sends BYTES of a pattern
 * seeded by (thread, round) in chunks, reads each chunk back and compares it. A lost, duplicated or
 * reordered byte fails the run; a deadlock is caught by the test's time limit.
 *   threads PEER_IP PORT THREADS SECONDS BYTES */
#ifdef ASNET_COMPAT_SOCKETS
#include "sockets/asnet_compat.h"
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sock_apps.h"
#ifndef ASNET_COMPAT_SOCKETS
#include <sys/socket.h>
#endif

struct worker {
    pthread_t t;
    int id, port, seconds;
    size_t bytes;
    const char *ip;
    unsigned conns, mismatches, failures;
    unsigned long long moved;
    char last_error[96];
};

static uint8_t pattern(unsigned id, unsigned round, size_t i) { return (uint8_t)((i * 131u + id * 17u + round * 7u) ^ (i >> 8)); }

static int recv_all(int fd, uint8_t *b, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = recv(fd, b + got, n - got, 0);
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    return 0;
}

static int one_connection(struct worker *w, unsigned round)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)w->port);
    inet_pton(AF_INET, w->ip, &a.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) { snprintf(w->last_error, sizeof w->last_error, "socket: %s", strerror(errno)); return -1; }
    struct timeval tv = { 10, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        snprintf(w->last_error, sizeof w->last_error, "connect: %s", strerror(errno)); close(fd); return -1;
    }
    uint8_t out[1460], in[1460];
    for (size_t off = 0; off < w->bytes;) {
        size_t n = w->bytes - off < sizeof out ? w->bytes - off : sizeof out;
        for (size_t i = 0; i < n; i++) out[i] = pattern((unsigned)w->id, round, off + i);
        if (send(fd, out, n, 0) != (ssize_t)n) { snprintf(w->last_error, sizeof w->last_error, "send: %s", strerror(errno)); close(fd); return -1; }
        if (recv_all(fd, in, n) < 0) { snprintf(w->last_error, sizeof w->last_error, "recv: %s", strerror(errno)); close(fd); return -1; }
        if (memcmp(in, out, n) != 0) w->mismatches++;
        off += n;
        w->moved += n;
    }
    close(fd);
    w->conns++;
    return 0;
}

static void *worker_main(void *p)
{
    struct worker *w = p;
    time_t end = time(NULL) + w->seconds;
    for (unsigned round = 0; time(NULL) < end; round++) {
        if (one_connection(w, round) < 0 && ++w->failures > 3) break;
    }
    return NULL;
}

/* One more task blocked in recv() on an idle connection the whole time: the others must progress
 * (only the caller blocks); shutdown(SHUT_RDWR) from the main task ends it with 0, as on Linux. */
struct blocker { pthread_t t; int fd; long ret, blocked_ms; };

static void *blocker_main(void *p)
{
    struct blocker *b = p;
    struct timespec t0, t1;
    char c;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    b->ret = (long)recv(b->fd, &c, 1, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    b->blocked_ms = (t1.tv_sec - t0.tv_sec) * 1000L + (t1.tv_nsec - t0.tv_nsec) / 1000000L;
    return NULL;
}

static int start_blocker(struct blocker *b, const char *ip, int port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    b->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (b->fd < 0 || connect(b->fd, (struct sockaddr *)&a, sizeof a) < 0) return -1;
    return pthread_create(&b->t, NULL, blocker_main, b) == 0 ? 0 : -1;
}

int app_threads(int argc, char **argv)
{
    if (argc < 6) { fprintf(stderr, "threads PEER_IP PORT THREADS SECONDS BYTES\n"); return 64; }
    struct worker ws[8];
    int n = atoi(argv[3]);
    if (n < 1 || n > 8) return 64;
    memset(ws, 0, sizeof ws);
    struct blocker blk = { .ret = -2 };
    if (start_blocker(&blk, argv[1], atoi(argv[2])) < 0) { perror("blocker"); return 1; }
    for (int i = 0; i < n; i++) {
        ws[i].id = i; ws[i].ip = argv[1]; ws[i].port = atoi(argv[2]); ws[i].seconds = atoi(argv[4]);
        ws[i].bytes = (size_t)atol(argv[5]);
        pthread_create(&ws[i].t, NULL, worker_main, &ws[i]);
    }
    unsigned conns = 0, bad = 0, failures = 0;
    unsigned long long moved = 0;
    char line[2048];
    size_t n_out = (size_t)snprintf(line, sizeof line, "{\"threads\":[");
    for (int i = 0; i < n; i++) {
        pthread_join(ws[i].t, NULL);
        conns += ws[i].conns; bad += ws[i].mismatches; failures += ws[i].failures; moved += ws[i].moved;
        n_out += (size_t)snprintf(line + n_out, sizeof line - n_out, "%s{\"conns\":%u,\"bytes\":%llu,\"mismatches\":%u,\"failures\":%u,\"error\":\"%s\"}",
                                  i ? "," : "", ws[i].conns, ws[i].moved, ws[i].mismatches, ws[i].failures, ws[i].last_error);
        if (n_out >= sizeof line) n_out = sizeof line - 1;
    }
    shutdown(blk.fd, SHUT_RDWR);                         /* wakes the blocked recv */
    pthread_join(blk.t, NULL);
    close(blk.fd);
    int ok = bad == 0 && failures == 0 && conns > 0 && blk.ret == 0;
    printf("%s],\"blocker\":{\"ret\":%ld,\"blocked_ms\":%ld},\"ok\":%s,\"conns\":%u,\"bytes\":%llu,\"mismatches\":%u,\"failures\":%u}\n",
           line, blk.ret, blk.blocked_ms, ok ? "true" : "false", conns, moved, bad, failures);
    return ok ? 0 : 1;
}
