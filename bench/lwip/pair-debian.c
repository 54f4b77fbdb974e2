/* bench/lwip/pair-debian.c: the pair workloads of bench/wasm2c/pair.c on Debian's binary lwIP 2.1.3
 * (liblwip-dev), a second row beside the fair build of bench/lwip/pair.c. Debian builds lwIP for the Hurd (NO_SYS=0, core locking, malloc-backed pools), so
 * this runs the raw TCP API under LOCK_TCPIP_CORE with tcpip_init's thread owning lwIP's timers.
 * One lwIP instance (lwIP has global state) with two Ethernet netifs, A 192.0.2.1 and B
 * 192.0.2.2, joined by an in-memory wire: linkoutput copies the frame into the other netif's
 * queue and the loop feeds it to ethernet_input. Both sides' work is counted, as for the pair of
 * wasm2c instances.
 *
 * Frames cross bench/common/wire.c, the wire of the other harnesses, and every PCB is bound to its
 * netif (tcp_bind_netif). BENCH_LWIP_UNBOUND=1 leaves them unbound, the configuration this harness
 * once had: the netif added last heads netif_list, the route to B picks B's own netif and Debian's
 * LWIP_NETIF_LOOPBACK loops every segment inside lwIP, so the wire check fails the run.
 * Frames enter as PBUF_RAM pbufs: Debian's PBUF_POOL pbufs (616 bytes) cannot take a full frame.
 *
 *   pair bulk MIB [LOSS_PPM SEED] | conn N | rr N NODELAY      (same output as bench/wasm2c/pair.c) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lwip/tcpip.h"
#include "lwip/tcp.h"
#include "lwip/netif.h"
#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"
#include "wire.h"

#define PORT 5001

static struct netif nif[2];
static int bind_netifs = 1;

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

static int deliver(void)
{
    int moved = 0;
    for (int s = 0; s < 2; s++) {
        const uint8_t *f;
        uint32_t len;
        while ((f = wire_peek(s, &len)) != NULL) {
            struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
            if (p) { pbuf_take(p, f, (u16_t)len); if (nif[s].input(p, &nif[s]) != ERR_OK) pbuf_free(p); }
            wire_pop(s);
            moved++;
        }
    }
    return moved;
}

/* ---- the connection pair ---- */

static struct tcp_pcb *listener, *client, *server;
static uint64_t got_b, got_a;
static int connected;

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)err;
    uint64_t *counter = arg;
    if (!p) { tcp_close(pcb); if (pcb == server) server = NULL; else client = NULL; return ERR_OK; }
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

/* Nothing to do until lwIP's own timers (tcpip thread, real time) act: sleep rather than spin, so
 * waiting costs no instructions. */
static void idle(void) { usleep(50); }

static void wait_until(int *flag_or_null, struct tcp_pcb **pcb_or_null)
{
    for (long i = 0; i < 10000000; i++) {
        LOCK_TCPIP_CORE();
        int moved = deliver();
        int done = (flag_or_null && *flag_or_null) || (pcb_or_null && *pcb_or_null);
        UNLOCK_TCPIP_CORE();
        if (done) return;
        if (!moved) idle();
    }
    fprintf(stderr, "lwip pair: timed out\n");
    exit(1);
}

static void open_pair(void)
{
    connected = 0;
    server = NULL;
    LOCK_TCPIP_CORE();
    client = tcp_new();
    if (bind_netifs) tcp_bind_netif(client, &nif[0]);
    tcp_arg(client, &got_a);
    tcp_recv(client, on_recv);
    ip_addr_t b;
    IP_ADDR4(&b, 192, 0, 2, 2);
    tcp_connect(client, &b, PORT, on_connected);
    UNLOCK_TCPIP_CORE();
    wait_until(&connected, NULL);
    wait_until(NULL, &server);
}

static void setup(void)
{
    tcpip_init(NULL, NULL);
    LOCK_TCPIP_CORE();
    for (int s = 0; s < 2; s++) {
        ip4_addr_t ip, mask, gw;
        IP4_ADDR(&ip, 192, 0, 2, s + 1); IP4_ADDR(&mask, 255, 255, 255, 0); IP4_ADDR(&gw, 0, 0, 0, 0);
        netif_add(&nif[s], &ip, &mask, &gw, NULL, nif_init, ethernet_input);
        netif_set_up(&nif[s]);
    }
    netif_set_default(&nif[0]);
    listener = tcp_new();
    if (bind_netifs) tcp_bind_netif(listener, &nif[1]);
    ip_addr_t b;
    IP_ADDR4(&b, 192, 0, 2, 2);
    tcp_bind(listener, &b, PORT);
    listener = tcp_listen_with_backlog(listener, 64);
    tcp_accept(listener, on_accept);
    UNLOCK_TCPIP_CORE();
}

/* wire_require, but exits with _exit: the tcpip thread never returns. */
static void check(const char *why)
{
    if (!why) return;
    fflush(stdout);
    fprintf(stderr, "wire check FAILED: %s\n", why);
    _exit(3);
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
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t sent = 0;
    for (long spins = 0; got_b < total && spins < 100000000; spins++) {
        uint64_t before = sent + got_b;
        LOCK_TCPIP_CORE();
        while (sent < total && tcp_sndbuf(client) > 0) {
            uint32_t n = tcp_sndbuf(client);
            if (n > sizeof chunk) n = sizeof chunk;
            if (n > total - sent) n = (uint32_t)(total - sent);
            if (tcp_write(client, chunk, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK) break;
            sent += n;
        }
        tcp_output(client);
        int moved = deliver();
        UNLOCK_TCPIP_CORE();
        if (!moved && sent + got_b == before) idle();
    }
    printf("{\"mode\":\"bulk\",\"bytes\":%llu,\"seconds\":%.6f", (unsigned long long)got_b, seconds(t0));
    LOCK_TCPIP_CORE();
    wire_print(stdout);
    UNLOCK_TCPIP_CORE();
    printf("}\n");
    check(wire_check_bulk(got_b));
}

static void send_one(struct tcp_pcb *pcb, const void *data, u16_t len)
{
    LOCK_TCPIP_CORE();
    tcp_write(pcb, data, len, TCP_WRITE_FLAG_COPY);
    tcp_output(pcb);
    UNLOCK_TCPIP_CORE();
}

static void wait_bytes(uint64_t *counter, uint64_t target)
{
    for (long i = 0; i < 100000000 && *counter < target; i++) {
        LOCK_TCPIP_CORE();
        int moved = deliver();
        UNLOCK_TCPIP_CORE();
        if (!moved && *counter < target) idle();
    }
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
        LOCK_TCPIP_CORE();
        tcp_arg(client, NULL); tcp_recv(client, NULL); tcp_close(client); client = NULL;
        deliver();
        if (server) { tcp_arg(server, NULL); tcp_recv(server, NULL); tcp_close(server); server = NULL; }
        deliver(); deliver();
        UNLOCK_TCPIP_CORE();
    }
    printf("{\"mode\":\"conn\",\"cycles\":%d,\"seconds\":%.6f", n, seconds(t0));
    wire_print(stdout);
    printf("}\n");
    check(wire_check_conn((uint32_t)n));
}

static void rr(int n, int nodelay)
{
    open_pair();
    LOCK_TCPIP_CORE();
    if (nodelay) { tcp_nagle_disable(client); tcp_nagle_disable(server); }
    UNLOCK_TCPIP_CORE();
    static uint8_t msg[64];
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < n; i++) {
        uint64_t b0 = got_b, a0 = got_a;
        send_one(client, msg, sizeof msg); wait_bytes(&got_b, b0 + sizeof msg);
        send_one(server, msg, sizeof msg); wait_bytes(&got_a, a0 + sizeof msg);
    }
    printf("{\"mode\":\"rr\",\"rounds\":%d,\"nodelay\":%d,\"seconds\":%.6f", n, nodelay, seconds(t0));
    wire_print(stdout);
    printf("}\n");
    check(wire_check_rr((uint32_t)n, sizeof msg));
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: pair bulk MIB [LOSS_PPM SEED] | conn N | rr N NODELAY\n"); return 64; }
    const char *unbound = getenv("BENCH_LWIP_UNBOUND");
    bind_netifs = !(unbound && *unbound == '1');
    wire_init(argc > 4 && !strcmp(argv[1], "bulk") ? (uint32_t)atol(argv[3]) : 0, argc > 4 ? (uint32_t)atol(argv[4]) : 1);
    setup();
    if (!strcmp(argv[1], "bulk")) bulk((uint64_t)atoll(argv[2]) << 20);
    else if (!strcmp(argv[1], "conn")) conn(atoi(argv[2]));
    else if (!strcmp(argv[1], "rr")) rr(atoi(argv[2]), argc > 3 ? atoi(argv[3]) : 0);
    else return 64;
    fflush(stdout);
    _exit(0);                      /* the tcpip thread never returns */
}
