/* bench/lwip/tap.c: lwIP 2.1.3 on a Linux TAP device, the lwIP side of the TAP benchmark
 * (bench/tap.ts). The same kind of program as the posix board (boards/posix): one thread, a poll()
 * main loop, received frames handed in up to 64 per step, timers between steps, and the discard
 * (RFC 863, port 9), chargen (RFC 864, port 19) and echo (RFC 862, port 7) services.
 *
 * lwIP's core is compiled from Debian's source package (source.sh) with the fair options of the pair
 * harness (fair/lwipopts.h: NO_SYS, raw API, static pools, no asserts, MSS 1460, 64 KiB window and
 * send buffer, checksum algorithm 3), unchanged. The netif driver is this file's: Debian's tapif
 * overruns pbufs (FIELD-NOTES), so each frame is read() straight into one 1536-byte PBUF_POOL pbuf
 * (one copy, as the board reads into the module's rx_buffer) and linkoutput write()s the pbuf chain
 * with writev (no copy, as the board writes from the module's memory).
 *
 *   lwip-tap --tap tap0 --ip 192.0.2.2 [--mask 255.255.255.0] [--mac 02:00:00:00:00:02]
 *
 * "lwip-tap: up on tap0" once serving; SIGTERM/SIGINT stop it, printing the frame counts. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include "lwip/init.h"
#include "lwip/tcp.h"
#include "lwip/netif.h"
#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "chargen.h"
#include "linux_host.h"
#include "netif/ethernet.h"

#define RX_BURST 64                /* frames per step, as boards/common/stack_glue.c */
#define MAX_WAIT_MS 50             /* the board's loop sleeps at most 50 ms too */
#define FRAME_CAP 1536u

static int tap_fd = -1;
static struct netif nif;
static uint8_t mac[6] = { 2, 0, 0, 0, 0, 2 };
static volatile sig_atomic_t stop_requested;
static struct { unsigned long rx_frames, tx_frames, tx_errors, rx_nobufs; } stats;

/* ---- the platform lwIP asks for ---- */

u32_t sys_now(void) { return linux_now_ms(); }
uint32_t bench_lwip_rand(void) { return linux_random(); }

/* ---- the netif driver ---- */

static int tap_open(const char *name)
{
    int fd = tun_open_tap(name, NULL);
    if (fd < 0) return fd;
    tap_fd = fd;
    return 0;
}

/* One frame per write (IFF_NO_PI); a chained pbuf goes out as one writev, never copied. */
static err_t link_out(struct netif *n, struct pbuf *p)
{
    (void)n;
    struct iovec iov[16];
    int k = 0;
    for (struct pbuf *q = p; q && k < 16; q = q->next) { iov[k].iov_base = q->payload; iov[k++].iov_len = q->len; }
    ssize_t w = k == 1 ? write(tap_fd, iov[0].iov_base, iov[0].iov_len) : writev(tap_fd, iov, k);
    if (w == (ssize_t)p->tot_len) stats.tx_frames++;
    else stats.tx_errors++;                         /* dropped: TCP retransmits, as on a real MAC */
    return ERR_OK;
}

static err_t nif_init(struct netif *n)
{
    n->hwaddr_len = 6;
    memcpy(n->hwaddr, mac, 6);
    n->mtu = 1500;
    n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
    n->output = etharp_output;
    n->linkoutput = link_out;
    return ERR_OK;
}

/* Up to RX_BURST frames, each read straight into a PBUF_POOL pbuf of FRAME_CAP bytes (one pbuf:
 * PBUF_POOL_BUFSIZE is 1536), trimmed to the frame and handed to ethernet_input. */
static void receive_frames(void)
{
    static struct pbuf *spare;
    for (int i = 0; i < RX_BURST; i++) {
        if (!spare) spare = pbuf_alloc(PBUF_RAW, FRAME_CAP, PBUF_POOL);
        if (!spare) { stats.rx_nobufs++; return; }   /* the kernel keeps the frame queued */
        ssize_t r = read(tap_fd, spare->payload, FRAME_CAP);
        if (r < 14) return;
        struct pbuf *p = spare;
        spare = NULL;
        pbuf_realloc(p, (u16_t)r);
        stats.rx_frames++;
        if (nif.input(p, &nif) != ERR_OK) pbuf_free(p);
    }
}

/* ---- the services, on the raw API ---- */

#define MAX_CONNS 16
#define STASH 4096                 /* the board's services.c stash */
enum kind { FREE, ECHO, DISCARD, CHARGEN };
struct conn {
    enum kind kind;
    struct tcp_pcb *pcb;
    struct pbuf *pending;          /* echo: received, not yet taken by the send buffer */
    int fin;                       /* the peer's FIN arrived */
    uint32_t chargen_off;          /* chargen: position in the stream mod CHARGEN_PERIOD */
};
static struct conn conns[MAX_CONNS];

static void conn_close(struct conn *c)
{
    if (c->pcb) {
        tcp_arg(c->pcb, NULL); tcp_recv(c->pcb, NULL); tcp_sent(c->pcb, NULL);
        tcp_err(c->pcb, NULL); tcp_poll(c->pcb, NULL, 0);
        if (tcp_close(c->pcb) != ERR_OK) tcp_abort(c->pcb);
    }
    if (c->pending) pbuf_free(c->pending);
    memset(c, 0, sizeof *c);
}

/* Echo: what the send buffer takes of the pending bytes, copied through the application's stash
 * (as the board's echo does), then acknowledged to the window with tcp_recved. */
static void echo_pump(struct conn *c)
{
    static uint8_t stash[STASH];
    while (c->pending) {
        u16_t room = tcp_sndbuf(c->pcb), n = c->pending->tot_len;
        if (n > STASH) n = STASH;
        if (n > room) n = room;
        if (n == 0 || tcp_sndqueuelen(c->pcb) >= TCP_SND_QUEUELEN - 2) break;
        pbuf_copy_partial(c->pending, stash, n, 0);
        if (tcp_write(c->pcb, stash, n, TCP_WRITE_FLAG_COPY) != ERR_OK) break;
        c->pending = pbuf_free_header(c->pending, n);
        tcp_recved(c->pcb, n);
    }
    tcp_output(c->pcb);
    if (!c->pending && c->fin) conn_close(c);
}

/* Chargen: the board's stream from the same ring (boards/common/chargen.h, filled once), as much as
 * the send buffer takes, as the board's services.c does. */
static uint8_t chargen_ring[CHARGEN_RING];

static void chargen_pump(struct conn *c)
{
    for (int round = 0; round < 64; round++) {
        u16_t room = tcp_sndbuf(c->pcb), n = CHARGEN_PERIOD;
        if (n > room) n = room;
        if (n == 0 || tcp_sndqueuelen(c->pcb) >= TCP_SND_QUEUELEN - 2) break;
        if (tcp_write(c->pcb, chargen_ring + c->chargen_off, n, TCP_WRITE_FLAG_COPY) != ERR_OK) break;
        c->chargen_off = (c->chargen_off + n) % CHARGEN_PERIOD;
    }
    tcp_output(c->pcb);
}

static void pump(struct conn *c)
{
    if (c->kind == ECHO) echo_pump(c);
    else if (c->kind == CHARGEN) chargen_pump(c);
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)pcb; (void)err;
    struct conn *c = arg;
    if (!c) { if (p) pbuf_free(p); return ERR_OK; }
    if (!p) {
        c->fin = 1;
        if (c->kind != ECHO || !c->pending) conn_close(c);
        return ERR_OK;
    }
    if (c->kind == ECHO) {
        if (c->pending) pbuf_cat(c->pending, p); else c->pending = p;
        echo_pump(c);
        return ERR_OK;
    }
    /* discard and chargen: the bytes are copied out to the application (2 KiB at a time, as the
     * board's discard reads them) and thrown away */
    static uint8_t buf[2048];
    for (uint32_t off = 0; off < p->tot_len; off += sizeof buf) pbuf_copy_partial(p, buf, sizeof buf, (u16_t)off);
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)pcb; (void)len;
    if (arg) pump(arg);
    return ERR_OK;
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
    (void)pcb;
    if (arg) pump(arg);
    return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
    (void)err;
    struct conn *c = arg;
    if (!c) return;
    c->pcb = NULL;                  /* lwIP freed it */
    conn_close(c);
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    if (err != ERR_OK || !pcb) return ERR_VAL;
    struct conn *c = NULL;
    for (int i = 0; i < MAX_CONNS && !c; i++) if (conns[i].kind == FREE) c = &conns[i];
    if (!c) { tcp_abort(pcb); return ERR_ABRT; }
    memset(c, 0, sizeof *c);
    c->kind = (enum kind)(intptr_t)arg;
    c->pcb = pcb;
    tcp_arg(pcb, c);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_err);
    tcp_poll(pcb, on_poll, 1);
    pump(c);
    return ERR_OK;
}

static int listen_on(u16_t port, enum kind kind)
{
    struct tcp_pcb *l = tcp_new();
    if (!l || tcp_bind(l, IP_ADDR_ANY, port) != ERR_OK) return -1;
    l = tcp_listen_with_backlog(l, 8);
    if (!l) return -1;
    tcp_arg(l, (void *)(intptr_t)kind);
    tcp_accept(l, on_accept);
    printf("service: port %u listening\n", port);
    return 0;
}

/* ---- the main loop ---- */

static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static int parse_mac(const char *s)
{
    unsigned v[6];
    if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return -1;
    for (int i = 0; i < 6; i++) mac[i] = (uint8_t)v[i];
    return 0;
}

int main(int argc, char **argv)
{
    const char *tap = NULL;
    ip4_addr_t ip, mask, gw;
    IP4_ADDR(&ip, 192, 0, 2, 2); IP4_ADDR(&mask, 255, 255, 255, 0); IP4_ADDR(&gw, 0, 0, 0, 0);
    for (int i = 1; i + 1 < argc; i += 2) {
        int bad = 0;
        if (!strcmp(argv[i], "--tap")) tap = argv[i + 1];
        else if (!strcmp(argv[i], "--ip")) bad = !ip4addr_aton(argv[i + 1], &ip);
        else if (!strcmp(argv[i], "--mask")) bad = !ip4addr_aton(argv[i + 1], &mask);
        else if (!strcmp(argv[i], "--mac")) bad = parse_mac(argv[i + 1]);
        else bad = 1;
        if (bad) { fprintf(stderr, "lwip-tap: bad argument %s %s\n", argv[i], argv[i + 1]); return 64; }
    }
    if (!tap) { fprintf(stderr, "usage: lwip-tap --tap NAME [--ip A] [--mask M] [--mac MAC]\n"); return 64; }
    setvbuf(stdout, NULL, _IOLBF, 0);
    int e = tap_open(tap);
    if (e < 0) { fprintf(stderr, "tap %s: %s\n", tap, strerror(-e)); return 1; }
    lwip_init();
    netif_add(&nif, &ip, &mask, &gw, NULL, nif_init, ethernet_input);
    netif_set_default(&nif);
    netif_set_up(&nif);
    chargen_fill(chargen_ring);
    if (listen_on(7, ECHO) || listen_on(9, DISCARD) || listen_on(19, CHARGEN)) { fprintf(stderr, "lwip-tap: listen failed\n"); return 1; }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    printf("lwip-tap: up on %s\n", tap);
    struct pollfd p = { .fd = tap_fd, .events = POLLIN };
    while (!stop_requested) {
        receive_frames();
        sys_check_timeouts();
        u32_t next = sys_timeouts_sleeptime();
        (void)poll(&p, 1, next < MAX_WAIT_MS ? (int)next : MAX_WAIT_MS);
    }
    printf("lwip-tap: frames rx %lu tx %lu, tx errors %lu, rx waits for a pbuf %lu\n",
           stats.rx_frames, stats.tx_frames, stats.tx_errors, stats.rx_nobufs);
    printf("lwip-tap: stopped\n");
    return 0;
}
