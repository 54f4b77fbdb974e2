/* bench/tap/client.c: the Linux side of the TAP benchmark (bench/tap.ts), run inside its network
 * namespace. One connection through the kernel's TCP to a stack on the TAP, one JSON line out.
 *
 *   client discard HOST MIB    write MIB MiB to port 9, FIN, wait for the server's FIN (all taken)
 *   client chargen HOST MIB    read MIB MiB from port 19, the RFC 864 line pattern checked, close
 *   client echo    HOST MIB    write MIB MiB to port 7 while reading it back, byte-exact, FIN, EOF
 *   client sink    HOST        a discard server on HOST:9 in this kernel (the planted shortcut of
 *                              bench/tap.ts --plant: traffic that never crosses the TAP)
 *
 * Every run is bounded: 60 s of alarm(), then exit 2 with an error line. Exit 1: wrong bytes. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PAT (1u << 20)                /* the discard/echo pattern, repeated */
#define CHUNK (64u * 1024u)
static uint8_t pat[PAT + CHUNK];      /* + CHUNK: a write at any offset reads one contiguous run */
static const char *mode = "?";

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void fail(const char *why, uint64_t bytes)
{
    printf("{\"mode\":\"%s\",\"ok\":false,\"error\":\"%s\",\"errno\":\"%s\",\"bytes\":%llu}\n",
           mode, why, strerror(errno), (unsigned long long)bytes);
    exit(why[0] == 't' ? 2 : 1);
}

static void on_alarm(int sig) { (void)sig; errno = ETIMEDOUT; fail("timeout", 0); }

static int dial(const char *host, int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) { errno = EINVAL; fail("bad host", 0); }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) fail("connect", 0);
    return fd;
}

static void report(uint64_t bytes, double t0)
{
    double s = now_s() - t0;
    printf("{\"mode\":\"%s\",\"ok\":true,\"bytes\":%llu,\"seconds\":%.6f,\"mbit_s\":%.1f}\n",
           mode, (unsigned long long)bytes, s, (double)bytes * 8 / s / 1e6);
}

static void discard(int fd, uint64_t total)
{
    double t0 = now_s();
    uint64_t sent = 0;
    while (sent < total) {
        size_t n = total - sent < CHUNK ? (size_t)(total - sent) : CHUNK;
        ssize_t w = write(fd, pat + sent % PAT, n);
        if (w <= 0) fail("write", sent);
        sent += (uint64_t)w;
    }
    shutdown(fd, SHUT_WR);
    uint8_t b[256];
    ssize_t r;
    while ((r = read(fd, b, sizeof b)) > 0) {}   /* the server's FIN: it read everything */
    if (r < 0) fail("read", sent);
    report(sent, t0);
}

/* RFC 864: line k (from 0) holds the 72 characters ' ' + (k + j) % 95, j = 0..71, then CR LF; the
 * text repeats every 95 lines. */
static void chargen(int fd, uint64_t total)
{
    static uint8_t b[CHUNK], ref[95 * 74];
    for (uint32_t k = 0; k < 95; k++) {
        for (uint32_t j = 0; j < 72; j++) ref[k * 74 + j] = (uint8_t)(' ' + (k + j) % 95);
        ref[k * 74 + 72] = '\r';
        ref[k * 74 + 73] = '\n';
    }
    double t0 = now_s();
    uint64_t got = 0;
    uint32_t at = 0;
    while (got < total) {
        ssize_t r = read(fd, b, sizeof b);
        if (r <= 0) fail("read", got);
        for (ssize_t i = 0; i < r; i++) {
            if (b[i] != ref[at]) { errno = EBADMSG; fail("pattern", got + (uint64_t)i); }
            if (++at == sizeof ref) at = 0;
        }
        got += (uint64_t)r;
    }
    report(got, t0);
    close(fd);
}

static void echo(int fd, uint64_t total)
{
    static uint8_t b[CHUNK];
    double t0 = now_s();
    uint64_t sent = 0, got = 0;
    int fin = 0;
    while (got < total) {
        struct pollfd p = { .fd = fd, .events = POLLIN | (sent < total ? POLLOUT : 0) };
        if (poll(&p, 1, 10000) <= 0) fail("poll", got);
        if ((p.revents & POLLOUT) && sent < total) {
            size_t n = total - sent < CHUNK ? (size_t)(total - sent) : CHUNK;
            ssize_t w = send(fd, pat + sent % PAT, n, MSG_DONTWAIT);
            if (w < 0 && errno != EAGAIN) fail("write", sent);
            if (w > 0) sent += (uint64_t)w;
        }
        if (sent == total && !fin) { shutdown(fd, SHUT_WR); fin = 1; }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t r = recv(fd, b, sizeof b, MSG_DONTWAIT);
            if (r == 0 || (r < 0 && errno != EAGAIN)) fail("read", got);
            if (r > 0) {
                for (ssize_t i = 0; i < r; i++)
                    if (b[i] != pat[(got + (uint64_t)i) % PAT]) { errno = EBADMSG; fail("echoed bytes differ", got + (uint64_t)i); }
                got += (uint64_t)r;
            }
        }
    }
    if (!fin) shutdown(fd, SHUT_WR);
    ssize_t r;
    while ((r = read(fd, b, sizeof b)) > 0) got += (uint64_t)r;
    if (got != total) { errno = EBADMSG; fail("echoed more than was sent", got); }
    report(got, t0);
}

static void sink(const char *host)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9) };
    inet_pton(AF_INET, host, &a.sin_addr);
    int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4) < 0) fail("listen", 0);
    alarm(0);
    printf("{\"mode\":\"sink\",\"ok\":true}\n");
    fflush(stdout);
    static uint8_t b[CHUNK];
    for (;;) {
        int c = accept(l, NULL, NULL);
        if (c < 0) continue;
        while (read(c, b, sizeof b) > 0) {}
        close(c);
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: client discard|chargen|echo HOST MIB | client sink HOST\n"); return 64; }
    mode = argv[1];
    signal(SIGALRM, on_alarm);
    alarm(60);
    if (!strcmp(mode, "sink")) sink(argv[2]);
    if (argc < 4) return 64;
    uint64_t total = (uint64_t)atoll(argv[3]) << 20;
    for (size_t i = 0; i < sizeof pat; i++) pat[i] = (uint8_t)((i % PAT) * 2654435761u >> 13);
    if (!strcmp(mode, "discard")) discard(dial(argv[2], 9), total);
    else if (!strcmp(mode, "chargen")) chargen(dial(argv[2], 19), total);
    else if (!strcmp(mode, "echo")) echo(dial(argv[2], 7), total);
    else return 64;
    return 0;
}
