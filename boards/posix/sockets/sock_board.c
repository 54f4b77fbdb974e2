/* The sockets program of the posix board: the stack task (asnet_sock_stack_run) on the TAP device
 * in the main thread, the application in threads of its own calling BSD sockets
 * (boards/common/sockets). The stack task sleeps in poll() on the TAP and an eventfd that every
 * posted message signals.
 *
 *   asnet-sock --tap tap0 --ip 192.0.2.2 [--mask M] [--gw G] [--mac MAC] [--dns IP]
 *              [--impair loss=2,seed=N] --mode errno|serve|threads|latency|tls-client|tls-server [-- ARGS]
 *
 * Exit code: the application's. The last lines are the layer's and the link's counters. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "asnet.h"
#include "board.h"
#include "stack_glue.h"
#include "impair.h"
#include "osal/osal.h"
#include "posix.h"
#include "sockets/asnet_sockets.h"
#include "sockets/sock_internal.h"
#include "sock_apps.h"

static int wake_fd = -1;
int sock_latency_event(uint32_t ip, uint16_t port, int count, int size);   /* sock_latency.c */

uint32_t board_now_ms(void) { return osal_now_ms(); }

uint32_t board_random(void)
{
    uint32_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) v = board_now_ms() * 2654435761u;
    return v;
}

void board_log(const char *line) { printf("%s\n", line); }
void board_fatal(const char *why) { fprintf(stderr, "fatal: %s\n", why); exit(2); }

static void port_wait(int32_t ms)
{
    board_wait_fd(ms, wake_fd);
    uint64_t n;
    (void)!read(wake_fd, &n, sizeof n);                  /* non-blocking: clears the count */
}

static void port_wake(void)
{
    uint64_t one = 1;
    (void)!write(wake_fd, &one, sizeof one);
}

static const struct { const char *name; int (*fn)(int, char **); } modes[] = {
    { "errno", app_errno }, { "serve", app_serve }, { "threads", app_threads }, { "latency", app_latency },
    { "tls-client", app_tls_client }, { "tls-server", app_tls_server },
};

struct app_run { int (*fn)(int, char **); int argc; char **argv; int code; };

static void app_thread(void *p)
{
    struct app_run *r = p;
    r->code = r->fn(r->argc, r->argv);
    asnet_sock_stop();
}

static int parse_ip(const char *s, uint32_t *out)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1) return -1;
    *out = ntohl(a.s_addr);
    return 0;
}

/* Descriptors the application left open, with the stack's view of each (tcp_info): a stall shows
 * which side waits. */
static void dump_open_sockets(void)
{
    for (int i = 0; i < ASNET_SOCK_MAX; i++) {
        const struct sock *s = &sock_table[i];
        if (!s->used) continue;
        uint32_t io = stack_glue_io(NULL), t[17] = { 0 };
        const uint8_t *p = stack_glue_call2(STACK_RT_tcp_info, (uint32_t)s->h, io) == 0 ? stack_glue_mem(io, sizeof t) : NULL;
        if (p) memcpy(t, p, sizeof t);
        printf("sock: open fd %d h %d rx %u tx %u acc %u eof %u dead %u err %d | state %s snd_q %u rcv_q %u in_flight %u snd_wnd %u cwnd %u\n",
               sock_fd(s), s->h, s->rx_ready, s->tx_ready, s->acc_ready, s->eof, s->dead, s->err, asnet_state_name(t[0]),
               t[9], t[10], t[8], t[12], t[4]);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: asnet-sock --tap NAME --ip A [--mask M] [--gw G] [--mac MAC] [--dns IP] [--impair SPEC]\n"
                    "                  --mode errno|serve|threads|latency|tls-client|tls-server [-- ARGS]\n");
    exit(64);
}

int main(int argc, char **argv)
{
    struct asnet_config cfg = { .mac = { 0x02, 0, 0, 0, 0, 0x02 }, .netmask = 0xffffff00u };
    const char *tap = NULL, *mode = NULL;
    uint32_t dns = 0;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--")) { i++; break; }
        if (!v) usage();
        int bad = 0;
        if (!strcmp(a, "--tap")) tap = v;
        else if (!strcmp(a, "--mode")) mode = v;
        else if (!strcmp(a, "--ip")) bad = parse_ip(v, &cfg.ip);
        else if (!strcmp(a, "--mask")) bad = parse_ip(v, &cfg.netmask);
        else if (!strcmp(a, "--gw")) bad = parse_ip(v, &cfg.gateway);
        else if (!strcmp(a, "--dns")) bad = parse_ip(v, &dns);
        else if (!strcmp(a, "--impair")) bad = impair_parse(v);
        else if (!strcmp(a, "--mac")) {
            unsigned m[6];
            bad = sscanf(v, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6;
            for (int k = 0; k < 6 && !bad; k++) cfg.mac[k] = (uint8_t)m[k];
        } else usage();
        if (bad) { fprintf(stderr, "bad value for %s: %s\n", a, v); return 64; }
        i++;
    }
    struct app_run run = { .argc = argc - i + 1, .argv = argv + i - 1 };
    int event_latency = mode && !strcmp(mode, "latency-event");
    if (event_latency) run.fn = app_latency;                 /* checked below; runs without the layer */
    for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) if (mode && !strcmp(mode, modes[k].name)) run.fn = modes[k].fn;
    if (!tap || !cfg.ip || !run.fn) usage();
    run.argv[0] = (char *)mode;
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    int err = tap_open(tap);
    if (err < 0) { fprintf(stderr, "tap %s: %s\n", tap, strerror(-err)); return 1; }
    wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd < 0) { perror("eventfd"); return 1; }
    err = asnet_init(&cfg);
    if (err < 0) { fprintf(stderr, "asnet_init: %s\n", asnet_strerror(err)); return 1; }
    if (dns) asnet_dns_set_server(dns);
    if (event_latency) {                                   /* the event API in this task: latency-event -- IP PORT COUNT SIZE */
        uint32_t ip;
        if (run.argc < 5 || parse_ip(run.argv[1], &ip) < 0) usage();
        return sock_latency_event(ip, (uint16_t)atoi(run.argv[2]), atoi(run.argv[3]), atoi(run.argv[4]));
    }
    static const struct asnet_sock_port port = { .wait = port_wait, .wake = port_wake };
    if (asnet_sock_init(&port) < 0) { fprintf(stderr, "asnet_sock_init failed\n"); return 1; }
    printf("sock: up on %s, mode %s\n", tap, mode);      /* before the application prints anything */
    osal_thread_t app;
    if (osal_thread_start(&app, mode, app_thread, &run, NULL, 256 * 1024, 0) < 0) { fprintf(stderr, "thread failed\n"); return 1; }
    asnet_sock_stack_run();                                /* until the application ends */
    osal_thread_join(&app);
    dump_open_sockets();
    const struct stack_glue_stats *g = stack_glue_stats();
    printf("sock: frames rx %u tx %u (queued %u, dropped %u), traps %u\n", g->rx_frames, g->tx_frames, g->tx_queued, g->tx_drops, g->traps);
    if (impair_config()->on) impair_print(stdout);
    return run.code;
}
