/* bench/lwip/pair.c: the pair workloads of bench/wasm2c/pair.c on lwIP 2.1.3 built fairly: the core
 * compiled from Debian's source package (bench/lwip/source.sh) with fair/lwipopts.h (NO_SYS, static
 * pools, no asserts, MSS 1460, 64 KiB window and send buffer), the raw API, one thread, no sleeps.
 * One lwIP (it has global state) with two Ethernet netifs, A 192.0.2.1 and B 192.0.2.2, joined by
 * the same in-memory wire as the wasm2c pair (bench/common/wire.c: each frame copied onto it by
 * linkoutput and off it into a PBUF_POOL pbuf); every PCB is bound to its netif (tcp_bind_netif) so
 * no segment takes a shortcut, and the wire's frame count is checked against the bytes delivered.
 * The clock is the same virtual millisecond (sys_now) that moves only when nothing else does.
 * The receiving application copies every byte out of the pbufs (pbuf_copy_partial), as this stack's
 * tcp_recv copies them into io_buffer.
 *
 *   pair bulk MIB [LOSS_PPM SEED] | conn N | rr N NODELAY | rr-loss N SIZE  [wire options]
 *                                   (same arguments and output as bench/wasm2c/pair.c)
 * RTOs and fast retransmits are counted by wrapping lwIP's own functions at link time
 * (-Wl,--wrap=tcp_rexmit_rto_commit,--wrap=tcp_rexmit_fast: tcp_slowtmr commits every RTO through
 * the first, tcp_receive's third duplicate ACK calls the second); the wrappers count and call the
 * real function, lwIP's behaviour is unchanged. SYN retransmissions are not counted as RTOs (as
 * this stack's tcp_timeouts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lwip/init.h"
#include "lwip/tcp.h"
#include "lwip/netif.h"
#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"
#include "wire.h"

#define PORT 5001
#define RR_LIMIT_MS 600000u         /* rr-loss: a round that takes longer fails the run */

static struct netif nif[2];
static uint32_t now_ms = 1000, rng = 0x9e3779b9u;

u32_t sys_now(void) { return now_ms; }

static uint32_t rtos, fast_rexmits;
void __real_tcp_rexmit_rto_commit(struct tcp_pcb *pcb);
void __wrap_tcp_rexmit_rto_commit(struct tcp_pcb *pcb)
{
    if (pcb->state != SYN_SENT) rtos++;
    __real_tcp_rexmit_rto_commit(pcb);
}
void __real_tcp_rexmit_fast(struct tcp_pcb *pcb);
void __wrap_tcp_rexmit_fast(struct tcp_pcb *pcb)
{
    if (pcb->unacked != NULL && !(pcb->flags & TF_INFR)) fast_rexmits++;   /* what tcp_rexmit_fast acts on */
    __real_tcp_rexmit_fast(pcb);
}

/* ,"rto":..,"probes":0,"fast_retrans":.. (lwIP 2.1 has no tail-loss probe). */
static void print_recovery(void) { printf(",\"rto\":%u,\"probes\":0,\"fast_retrans\":%u", rtos, fast_rexmits); }
uint32_t bench_lwip_rand(void) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }

static err_t link_out(struct netif *n, struct pbuf *p)
{
    int side = n == &nif[0] ? 0 : 1;
    if (p->tot_len <= WIRE_FRAME) pbuf_copy_partial(p, wire_slot(side), p->tot_len, 0);
    wire_commit(side, p->tot_len);
    return ERR_OK;
}

static err_t nif_init(struct netif *n)
{
    n->hwaddr_len = 6;
    uint8_t mac[6] = { 2, 0, 0, 0, 0, n == &nif[0] ? 1 : 2 };
    memcpy(n->hwaddr, mac, 6);
    n->mtu = 1500;
    n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
    n->output = etharp_output;
    n->linkoutput = link_out;
    return ERR_OK;
}

/* Delivers every queued frame; returns how many. */
static int deliver(void)
{
    int n = 0;
    for (int s = 0; s < 2; s++) {
        const uint8_t *f;
        uint32_t len;
        while ((f = wire_peek(s, &len)) != NULL) {
            struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
            if (p) pbuf_take(p, f, (u16_t)len);
            wire_pop(s);
            if (p && nif[s].input(p, &nif[s]) != ERR_OK) pbuf_free(p);
            if (!p) { fprintf(stderr, "lwip pair: PBUF_POOL empty\n"); exit(1); }
            n++;
        }
    }
    return n;
}

static void pump_until_idle(void) { while (deliver()) {} }

/* Nothing moved: let virtual time pass (lwIP's timers: delayed ACKs, retransmissions). */
static void tick(void)
{
    now_ms += 1;
    if (wire_delay_ms) wire_advance();
    sys_check_timeouts();
}

/* ---- the connection pair ---- */

static struct tcp_pcb *listener, *client, *server;
static uint64_t got_b, got_a;
static int connected;
static uint8_t app_rx[65535];             /* where the receiving application copies its bytes */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)err;
    uint64_t *counter = arg;
    if (!p) {
        tcp_arg(pcb, NULL); tcp_recv(pcb, NULL);
        tcp_close(pcb);
        if (pcb == server) server = NULL; else if (pcb == client) client = NULL;
        return ERR_OK;
    }
    pbuf_copy_partial(p, app_rx, p->tot_len, 0);
    *counter += p->tot_len;
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    return ERR_OK;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg; (void)err;
    server = pcb;
    tcp_arg(pcb, &got_b);
    tcp_recv(pcb, on_recv);
    return ERR_OK;
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg; (void)pcb; (void)err;
    connected = 1;
    return ERR_OK;
}

static void open_pair(void)
{
    connected = 0;
    server = NULL;
    client = tcp_new();
    tcp_bind_netif(client, &nif[0]);
    tcp_arg(client, &got_a);
    tcp_recv(client, on_recv);
    ip_addr_t b;
    IP_ADDR4(&b, 192, 0, 2, 2);
    tcp_connect(client, &b, PORT, on_connected);
    for (int i = 0; i < 100000; i++) {
        pump_until_idle();
        if (connected && server) return;
        tick();
    }
    fprintf(stderr, "lwip pair: connect failed\n");
    exit(1);
}

static void setup(void)
{
    wire_clock(&now_ms);
    lwip_init();
    for (int s = 0; s < 2; s++) {
        ip4_addr_t ip, mask, gw;
        IP4_ADDR(&ip, 192, 0, 2, s + 1); IP4_ADDR(&mask, 255, 255, 255, 0); IP4_ADDR(&gw, 0, 0, 0, 0);
        netif_add(&nif[s], &ip, &mask, &gw, NULL, nif_init, ethernet_input);
        netif_set_up(&nif[s]);
    }
    netif_set_default(&nif[0]);
    listener = tcp_new();
    tcp_bind_netif(listener, &nif[1]);
    ip_addr_t b;
    IP_ADDR4(&b, 192, 0, 2, 2);
    tcp_bind(listener, &b, PORT);
    listener = tcp_listen_with_backlog(listener, 64);
    tcp_accept(listener, on_accept);
    pump_until_idle();                  /* the gratuitous ARPs */
}

static double seconds(struct timespec t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

static void bulk(uint64_t total)
{
    static uint8_t chunk[16384];
    for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = (uint8_t)(i * 31);
    open_pair();
    uint32_t v0 = now_ms;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t sent = 0;
    while (got_b < total) {
        int moved = 0;
        while (sent < total && tcp_sndbuf(client) > 0) {
            uint32_t n = tcp_sndbuf(client);
            if (n > sizeof chunk) n = sizeof chunk;
            if (n > total - sent) n = (uint32_t)(total - sent);
            if (tcp_write(client, chunk, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK) break;
            sent += n;
            moved = 1;
        }
        tcp_output(client);
        uint64_t before = got_b;
        if (deliver()) moved = 1;
        if (got_b != before) moved = 1;
        if (!moved) tick();
    }
    double secs = seconds(t0);
    printf("{\"mode\":\"bulk\",\"bytes\":%llu,\"seconds\":%.6f,\"virtual_ms\":%u", (unsigned long long)got_b, secs, now_ms - v0);
    print_recovery();
    wire_print(stdout);
    printf("}\n");
    wire_require(wire_check_bulk(got_b));
}

static void send_one(struct tcp_pcb *pcb, const void *data, u16_t len)
{
    tcp_write(pcb, data, len, TCP_WRITE_FLAG_COPY);
    tcp_output(pcb);
}

static void wait_bytes(uint64_t *counter, uint64_t target)
{
    for (int i = 0; i < 100000 && *counter < target; i++) {
        pump_until_idle();
        if (*counter < target) tick();
    }
    if (*counter < target) { fprintf(stderr, "lwip pair: bytes lost\n"); exit(1); }
}

static void conn(int n)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint8_t x = 42;
    for (int i = 0; i < n; i++) {
        open_pair();
        uint64_t b0 = got_b, a0 = got_a;
        send_one(client, &x, 1); wait_bytes(&got_b, b0 + 1);
        send_one(server, &x, 1); wait_bytes(&got_a, a0 + 1);
        struct tcp_pcb *c = client;
        tcp_arg(c, NULL); tcp_recv(c, NULL); client = NULL;
        tcp_close(c);
        pump_until_idle();
        if (server) { struct tcp_pcb *s = server; tcp_arg(s, NULL); tcp_recv(s, NULL); server = NULL; tcp_close(s); }
        pump_until_idle();
    }
    printf("{\"mode\":\"conn\",\"cycles\":%d,\"seconds\":%.6f", n, seconds(t0));
    wire_print(stdout);
    printf("}\n");
    wire_require(wire_check_conn((uint32_t)n));
}

static void rr(int n, int nodelay)
{
    open_pair();
    if (nodelay) { tcp_nagle_disable(client); tcp_nagle_disable(server); }
    static uint8_t msg[64];
    uint32_t v0 = now_ms;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < n; i++) {
        uint64_t b0 = got_b, a0 = got_a;
        send_one(client, msg, sizeof msg); wait_bytes(&got_b, b0 + sizeof msg);
        send_one(server, msg, sizeof msg); wait_bytes(&got_a, a0 + sizeof msg);
    }
    printf("{\"mode\":\"rr\",\"rounds\":%d,\"nodelay\":%d,\"seconds\":%.6f,\"virtual_ms\":%u", n, nodelay, seconds(t0), now_ms - v0);
    wire_print(stdout);
    printf("}\n");
    wire_require(wire_check_rr((uint32_t)n, sizeof msg));
}

/* wait_bytes bounded in virtual time (a burst can take the same segment and all its retries). */
static void wait_bytes_for(uint64_t *counter, uint64_t target, uint32_t ms)
{
    uint32_t start = now_ms;
    while (*counter < target && now_ms - start < ms) {
        pump_until_idle();
        if (*counter < target) tick();
    }
    if (*counter < target) { fprintf(stderr, "lwip pair: no progress in %u virtual ms\n", ms); exit(1); }
}

/* Request/response rounds of `size` bytes with per-round latency, as bench/wasm2c/pair.c rr_loss. */
static void rr_loss(int n, uint32_t size)
{
    static uint8_t msg[16384];
    static uint32_t lat[100000];
    if (size == 0 || size > sizeof msg || n <= 0 || n > 100000) { fprintf(stderr, "lwip pair: rr-loss N (1..100000) SIZE (1..16384)\n"); exit(64); }
    open_pair();
    tcp_nagle_disable(client); tcp_nagle_disable(server);
    uint32_t v0 = now_ms;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < n; i++) {
        uint32_t start = now_ms;
        uint64_t b0 = got_b, a0 = got_a;
        send_one(client, msg, (u16_t)size); wait_bytes_for(&got_b, b0 + size, RR_LIMIT_MS);
        send_one(server, msg, (u16_t)size); wait_bytes_for(&got_a, a0 + size, RR_LIMIT_MS);
        lat[i] = now_ms - start;
    }
    printf("{\"mode\":\"rr-loss\",\"rounds\":%d,\"size\":%u,\"seconds\":%.6f,\"virtual_ms\":%u", n, size, seconds(t0), now_ms - v0);
    wire_print_latencies(lat, n);
    print_recovery();
    wire_print(stdout);
    printf("}\n");
    wire_require(wire_check_rr((uint32_t)n, size));
}

int main(int argc, char **argv)
{
    int nopt = 0;                      /* trailing key=value options are the wire's */
    while (nopt < argc - 1 && strchr(argv[argc - 1 - nopt], '=')) nopt++;
    argc -= nopt;
    if (argc < 3) { fprintf(stderr, "usage: pair bulk MIB [LOSS_PPM SEED] | conn N | rr N NODELAY | rr-loss N SIZE  [wire options]\n"); return 64; }
    wire_init(argc > 4 && !strcmp(argv[1], "bulk") ? (uint32_t)atol(argv[3]) : 0, argc > 4 ? (uint32_t)atol(argv[4]) : 1);
    for (int i = 0; i < nopt; i++)
        if (!wire_option(argv[argc + i])) { fprintf(stderr, "lwip pair: bad wire option %s\n", argv[argc + i]); return 64; }
    setup();
    if (!strcmp(argv[1], "bulk")) bulk((uint64_t)atoll(argv[2]) << 20);
    else if (!strcmp(argv[1], "conn")) conn(atoi(argv[2]));
    else if (!strcmp(argv[1], "rr")) rr(atoi(argv[2]), argc > 3 ? atoi(argv[3]) : 0);
    else if (!strcmp(argv[1], "rr-loss") && argc > 3) rr_loss(atoi(argv[2]), (uint32_t)atol(argv[3]));
    else return 64;
    return 0;
}
