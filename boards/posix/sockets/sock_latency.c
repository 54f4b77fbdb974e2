/* Round-trip latency of a blocking send + recv through the sockets layer (a message to the stack
 * task and a wait on a semaphore per call) against the same ping-pong on the event API in the stack
 * task itself (asnet_tcp_send/recv from the callbacks): COUNT round trips of SIZE bytes with an
 * echo peer over the TAP; prints min / median / p99 in microseconds.
 *   latency PEER_IP PORT COUNT SIZE            (sockets layer; the --mode latency application)
 *   sock_latency_event(...)                     (event API; asnet-sock --mode latency-event) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sock_apps.h"

#define MAX_SAMPLES 20000

static uint64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static int cmp_u32(const void *a, const void *b) { uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b; return x < y ? -1 : x > y; }

static uint32_t samples[MAX_SAMPLES];

static void print_samples(const char *api, int n, int size)
{
    qsort(samples, (size_t)n, sizeof samples[0], cmp_u32);
    uint64_t sum = 0;
    for (int i = 0; i < n; i++) sum += samples[i];
    printf("{\"ok\":true,\"api\":\"%s\",\"count\":%d,\"size\":%d,\"min_us\":%u,\"median_us\":%u,\"p99_us\":%u,\"mean_us\":%llu}\n",
           api, n, size, samples[0], samples[n / 2], samples[(n * 99) / 100], (unsigned long long)(sum / (uint64_t)n));
}

#ifdef ASNET_COMPAT_SOCKETS
#include "sockets/asnet_compat.h"

int app_latency(int argc, char **argv)
{
    if (argc < 5) { fprintf(stderr, "latency PEER_IP PORT COUNT SIZE\n"); return 64; }
    int count = atoi(argv[3]), size = atoi(argv[4]);
    if (count < 1 || count > MAX_SAMPLES || size < 1 || size > 1024) return 64;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)atoi(argv[2]));
    inet_pton(AF_INET, argv[1], &a.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { perror("connect"); return 1; }
    char out[1024], in[1024];
    memset(out, 'x', sizeof out);
    for (int i = 0; i < count; i++) {
        uint64_t t0 = now_us();
        if (send(fd, out, (size_t)size, 0) != size) { perror("send"); return 1; }
        if (recv(fd, in, (size_t)size, MSG_WAITALL) != size) { perror("recv"); return 1; }
        samples[i] = (uint32_t)(now_us() - t0);
    }
    close(fd);
    print_samples("sockets", count, size);
    return 0;
}
#else
#include "asnet.h"
#include "posix.h"

/* The event API in the stack's own task: no queue, no semaphores. */
static struct { int32_t h; int size, done, count, got, connected, failed; uint64_t t0; } ev;

static void ping(void)
{
    static const char out[1024] = { 'x' };
    ev.got = 0;
    ev.t0 = now_us();
    if (asnet_tcp_send(ev.h, out, (size_t)ev.size) != ev.size) ev.failed = 1;
}

static void on_event(int32_t h, uint32_t events, void *ctx)
{
    (void)ctx;
    if (events & (STACK_EV_ERROR | STACK_EV_CLOSED)) { ev.failed = 1; return; }
    if ((events & STACK_EV_CONNECTED) && !ev.connected) { ev.connected = 1; ping(); }
    char in[1024];
    int32_t r;
    while ((r = asnet_tcp_recv(h, in, sizeof in)) > 0) {
        ev.got += r;
        if (ev.got < ev.size) continue;
        samples[ev.done++] = (uint32_t)(now_us() - ev.t0);
        if (ev.done < ev.count) ping();
    }
}

int sock_latency_event(uint32_t ip, uint16_t port, int count, int size);
int sock_latency_event(uint32_t ip, uint16_t port, int count, int size)
{
    if (count < 1 || count > MAX_SAMPLES || size < 1 || size > 1024) return 64;
    ev.count = count; ev.size = size;
    ev.h = asnet_tcp_connect(ip, port, on_event, NULL);
    if (ev.h < 0) { fprintf(stderr, "connect: %s\n", asnet_strerror(ev.h)); return 1; }
    asnet_tcp_setsockopt(ev.h, STACK_TCP_NODELAY, 1);
    uint64_t end = now_us() + 60u * 1000000u;
    while (ev.done < ev.count && !ev.failed && now_us() < end) {
        int32_t next = asnet_poll();
        board_wait(next < 50 ? next : 50);
    }
    asnet_tcp_close(ev.h);
    if (ev.done < ev.count) { printf("{\"ok\":false,\"api\":\"event\",\"done\":%d}\n", ev.done); return 1; }
    print_samples("event", count, size);
    return 0;
}
#endif
