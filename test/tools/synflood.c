/* synflood: spoofed TCP SYNs written as whole Ethernet frames into one interface through an
 * AF_PACKET raw socket (test/board-flood.test.ts: into the kernel side of the posix board's TAP,
 * so every frame is offered to the board). Bounded in count and in time; prints one JSON line with
 * what it sent when it stops (bound reached, SIGINT or SIGTERM).
 *
 *   synflood --if tap0 --dst-ip 192.0.2.2 --dst-mac 02:00:00:00:00:02 --port 80
 *            --src-net 198.51.100.0 --src-mac 6a:..   (off-link: one MAC, the gateway's)
 *            --src-net 192.0.2.0 --random-mac         (on-link: a random unicast MAC per frame)
 *            --also-onlink 192.0.2.0                  (with an off-link --src-net: every other frame
 *                                                      on-link from this /24, random MAC: both kinds
 *                                                      from one process, at one process's rate)
 *            [--count N] [--seconds S] [--rate PPS (0 = as fast as the socket takes them)]
 *            [--seed N] [--batch B]
 *
 * Source addresses are drawn from host numbers 10..254 of the /24 given by --src-net (so .1 and .2,
 * the kernel and the board in the test, never appear); source port, ISN and IP ID are random. Every
 * SYN carries an MSS option and valid IP and TCP checksums, so the stack does the full work. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_LEN (14 + 20 + 24)          /* Ethernet + IPv4 + TCP with a 4-byte MSS option */
#define MAX_BATCH 256
#define MAX_COUNT 100000000ull
#define MAX_SECONDS 600.0

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }

static uint64_t rng;
static uint32_t next_random(void)
{
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;   /* xorshift64 */
    return (uint32_t)(rng >> 16);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_mac(const char *s, uint8_t m[6])
{
    unsigned v[6];
    if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return -1;
    for (int i = 0; i < 6; i++) { if (v[i] > 255) return -1; m[i] = (uint8_t)v[i]; }
    return 0;
}

/* RFC 1071 sum over `len` bytes (even), folded, starting from `sum`. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)p[i] << 8 | p[i + 1];
    return sum;
}
static uint16_t fold(uint32_t sum)
{
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

struct config {
    const char *ifname;
    uint32_t dst_ip, src_net, onlink_net;
    uint8_t dst_mac[6], src_mac[6];
    int random_mac;
    uint16_t port;
    uint64_t count;
    double seconds, rate;
    int batch;
};

static void build_frame(uint8_t *f, const struct config *c, uint64_t n)
{
    int onlink = c->onlink_net && (n & 1);
    memcpy(f, c->dst_mac, 6);
    if (c->random_mac || onlink) {
        uint32_t a = next_random(), b = next_random();
        f[6] = 0x02 | (uint8_t)(a & 0xfc);        /* locally administered, unicast */
        f[7] = (uint8_t)(a >> 8); f[8] = (uint8_t)(a >> 16); f[9] = (uint8_t)b; f[10] = (uint8_t)(b >> 8);
        f[11] = (uint8_t)(b >> 16);
    } else {
        memcpy(f + 6, c->src_mac, 6);
    }
    put16(f + 12, 0x0800);
    uint8_t *ip = f + 14, *t = f + 34;
    uint32_t src = ((onlink ? c->onlink_net : c->src_net) & 0xffffff00u) | (10 + next_random() % 245);
    ip[0] = 0x45; ip[1] = 0; put16(ip + 2, 44); put16(ip + 4, (uint16_t)next_random());
    put16(ip + 6, 0x4000); ip[8] = 64; ip[9] = 6; put16(ip + 10, 0);
    put32(ip + 12, src); put32(ip + 16, c->dst_ip);
    put16(ip + 10, fold(sum16(ip, 20, 0)));
    put16(t, (uint16_t)(1024 + next_random() % 64000)); put16(t + 2, c->port);
    put32(t + 4, next_random() << 8 ^ next_random()); put32(t + 8, 0);
    t[12] = 6 << 4; t[13] = 0x02; put16(t + 14, 64240); put16(t + 16, 0); put16(t + 18, 0);
    t[20] = 2; t[21] = 4; put16(t + 22, 1460);
    uint32_t pseudo = (src >> 16) + (src & 0xffff) + (c->dst_ip >> 16) + (c->dst_ip & 0xffff) + 6 + 24;
    put16(t + 16, fold(sum16(t, 24, pseudo)));
}

static void usage(void)
{
    fprintf(stderr, "usage: synflood --if IF --dst-ip A --dst-mac M --port P --src-net N (--src-mac M | --random-mac)\n"
                    "                [--also-onlink NET] [--count N] [--seconds S] [--rate PPS] [--seed N] [--batch B]\n");
    exit(64);
}

static void parse_args(int argc, char **argv, struct config *c)
{
    int have_dst_mac = 0, have_src = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--random-mac")) { c->random_mac = 1; have_src = 1; continue; }
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        struct in_addr ad;
        int bad = 0;
        if (!strcmp(a, "--if")) c->ifname = v;
        else if (!strcmp(a, "--dst-ip")) { bad = inet_pton(AF_INET, v, &ad) != 1; c->dst_ip = ntohl(ad.s_addr); }
        else if (!strcmp(a, "--src-net")) { bad = inet_pton(AF_INET, v, &ad) != 1; c->src_net = ntohl(ad.s_addr); }
        else if (!strcmp(a, "--also-onlink")) { bad = inet_pton(AF_INET, v, &ad) != 1; c->onlink_net = ntohl(ad.s_addr); }
        else if (!strcmp(a, "--dst-mac")) { bad = parse_mac(v, c->dst_mac); have_dst_mac = !bad; }
        else if (!strcmp(a, "--src-mac")) { bad = parse_mac(v, c->src_mac); have_src = !bad; }
        else if (!strcmp(a, "--port")) c->port = (uint16_t)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--count")) c->count = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--seconds")) c->seconds = strtod(v, NULL);
        else if (!strcmp(a, "--rate")) c->rate = strtod(v, NULL);
        else if (!strcmp(a, "--seed")) rng = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--batch")) c->batch = atoi(v);
        else usage();
        if (bad) { fprintf(stderr, "synflood: bad value for %s: %s\n", a, v); exit(64); }
    }
    if (!c->ifname || !c->dst_ip || !c->src_net || !have_dst_mac || !have_src || !c->port) usage();
    /* Bounded whatever the caller asks: at most MAX_COUNT frames and MAX_SECONDS. */
    if (c->count == 0 || c->count > MAX_COUNT) c->count = MAX_COUNT;
    if (c->seconds <= 0 || c->seconds > MAX_SECONDS) c->seconds = MAX_SECONDS;
    if (c->batch <= 0 || c->batch > MAX_BATCH) c->batch = 32;
    if (rng == 0) rng = 0x9e3779b97f4a7c15ull;
}

int main(int argc, char **argv)
{
    struct config c = { 0 };
    parse_args(argc, argv, &c);
    int fd = socket(AF_PACKET, SOCK_RAW, 0);            /* protocol 0: transmit only, nothing read */
    if (fd < 0) { perror("synflood: socket(AF_PACKET)"); return 1; }
    struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = (int)if_nametoindex(c.ifname), .sll_halen = 6 };
    if (sll.sll_ifindex == 0) { fprintf(stderr, "synflood: no interface %s\n", c.ifname); return 1; }
    memcpy(sll.sll_addr, c.dst_mac, 6);
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) { perror("synflood: bind"); return 1; }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    static uint8_t frames[MAX_BATCH][FRAME_LEN];
    struct iovec iov[MAX_BATCH];
    struct mmsghdr msgs[MAX_BATCH];
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < MAX_BATCH; i++) {
        iov[i].iov_base = frames[i]; iov[i].iov_len = FRAME_LEN;
        msgs[i].msg_hdr.msg_iov = &iov[i]; msgs[i].msg_hdr.msg_iovlen = 1;
    }
    uint64_t sent = 0, errors = 0, enobufs = 0;
    const double start = now_s();
    double elapsed = 0;
    while (!stop && sent < c.count) {
        elapsed = now_s() - start;
        if (elapsed >= c.seconds) break;
        if (c.rate > 0 && (double)sent > c.rate * elapsed) {                 /* paced: wait for the schedule */
            struct timespec ts = { 0, 200000 };
            nanosleep(&ts, NULL);
            continue;
        }
        int n = c.batch;
        if ((uint64_t)n > c.count - sent) n = (int)(c.count - sent);
        for (int i = 0; i < n; i++) build_frame(frames[i], &c, sent + (uint64_t)i);
        int r = sendmmsg(fd, msgs, (unsigned)n, 0);
        if (r > 0) { sent += (uint64_t)r; continue; }
        if (errno == ENOBUFS || errno == EAGAIN) enobufs++;          /* the device queue pushed back */
        else if (errno != EINTR) errors++;
        if (errors > 1000) { perror("synflood: sendmmsg"); break; }
    }
    elapsed = now_s() - start;
    printf("{\"sent\":%llu,\"seconds\":%.3f,\"pps\":%.0f,\"enobufs\":%llu,\"errors\":%llu}\n",
           (unsigned long long)sent, elapsed, elapsed > 0 ? (double)sent / elapsed : 0.0,
           (unsigned long long)enobufs, (unsigned long long)errors);
    close(fd);
    return errors > 1000 ? 1 : 0;
}
