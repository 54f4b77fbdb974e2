/* The errno table (issue 24): every call on a bad descriptor or in a wrong state returns -1 with
 * Linux's errno. Plain BSD sockets code: built for the board against asnet_compat.h and natively
 * (sock_native.c), and test/sockets.test.ts requires the same table from both, so every expectation
 * below is what the kernel does.
 *   errno PEER_IP ECHO_PORT CLOSED_PORT RST_PORT SILENT_IP
 * PEER_IP:ECHO_PORT echoes, CLOSED_PORT refuses, RST_PORT accepts and resets at once, SILENT_IP never
 * answers (a SYN to it stays unanswered). */
#ifdef ASNET_COMPAT_SOCKETS
#include "sockets/asnet_compat.h"
#else
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sock_apps.h"

static int failures, checks;
static char report[8192];
static size_t report_len;

static const char *ename(int e) { return e ? strerrorname_np(e) : "0"; }

/* One row: the call's result and errno against the expected ones (errno only when ret is -1). */
static void check(const char *what, long ret, int err, long want_ret, int want_err)
{
    int ok = ret == want_ret && (ret != -1 || err == want_err);
    checks++;
    if (!ok) failures++;
    printf("%s %s: ret %ld errno %s (want %ld %s)\n", ok ? "ok  " : "FAIL", what, ret, ret == -1 ? ename(err) : "-", want_ret,
           want_ret == -1 ? ename(want_err) : "-");
    report_len += (size_t)snprintf(report + report_len, sizeof report - report_len, "%s[\"%s\",%ld,\"%s\"]",
                                   checks > 1 ? "," : "", what, ret, ret == -1 ? ename(err) : "-");
    if (report_len >= sizeof report) report_len = sizeof report - 1;
}
#define CHECK(what, call, want_ret, want_err) do { errno = 0; long r_ = (long)(call); check(what, r_, errno, want_ret, want_err); } while (0)

static struct sockaddr_in addr_of(const char *ip, int port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

static long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

static void sleep_ms(long ms) { struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L }; nanosleep(&ts, NULL); }

static void bad_descriptors(void)
{
    char b[4] = { 0 };
    CHECK("close(bad fd)", close(200), -1, EBADF);
    CHECK("send(bad fd)", send(200, b, 1, 0), -1, EBADF);
    CHECK("recv(bad fd)", recv(200, b, 1, 0), -1, EBADF);
    CHECK("socket(bad domain)", socket(12345, SOCK_STREAM, 0), -1, EAFNOSUPPORT);
    CHECK("socket(TCP, udp protocol)", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), -1, EPROTONOSUPPORT);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    CHECK("close", close(s), 0, 0);
    CHECK("close again", close(s), -1, EBADF);
}

static void unconnected(void)
{
    char b[4] = { 0 };
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    socklen_t n = sizeof a;
    CHECK("recv(unconnected)", recv(s, b, 1, 0), -1, ENOTCONN);
    CHECK("send(unconnected)", send(s, b, 1, 0), -1, EPIPE);
    CHECK("getpeername(unconnected)", getpeername(s, (struct sockaddr *)&a, &n), -1, ENOTCONN);
    CHECK("shutdown(unconnected)", shutdown(s, SHUT_WR), -1, ENOTCONN);
    CHECK("accept(not listening)", accept(s, NULL, NULL), -1, EINVAL);
    int bogus = 9999;
    CHECK("setsockopt(unknown name)", setsockopt(s, SOL_SOCKET, bogus, &bogus, sizeof bogus), -1, ENOPROTOOPT);
    int v = 0;
    socklen_t vl = sizeof v;
    CHECK("getsockopt(SO_TYPE)", (getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &vl), v), SOCK_STREAM, 0);
    struct sockaddr_in six = addr_of("0.0.0.0", 0);
    six.sin_family = 12345;
    CHECK("bind(bad family)", bind(s, (struct sockaddr *)&six, sizeof six), -1, EAFNOSUPPORT);
    struct sockaddr_in any = addr_of("0.0.0.0", 0);
    CHECK("bind(short length)", bind(s, (struct sockaddr *)&any, 8), -1, EINVAL);
    close(s);
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK("listen(UDP)", listen(u, 1), -1, EOPNOTSUPP);
    CHECK("send(UDP, no address)", send(u, b, 1, 0), -1, EDESTADDRREQ);
    CHECK("recv(UDP, MSG_DONTWAIT)", recv(u, b, 1, MSG_DONTWAIT), -1, EAGAIN);
    close(u);
}

static void ports(void)
{
    struct sockaddr_in a = addr_of("0.0.0.0", 5555);
    int l1 = socket(AF_INET, SOCK_STREAM, 0), l2 = socket(AF_INET, SOCK_STREAM, 0);
    CHECK("bind(5555)", bind(l1, (struct sockaddr *)&a, sizeof a), 0, 0);
    CHECK("listen", listen(l1, 4), 0, 0);
    CHECK("bind(5555 again)", bind(l2, (struct sockaddr *)&a, sizeof a), -1, EADDRINUSE);
    CHECK("bind(bound socket)", bind(l1, (struct sockaddr *)&a, sizeof a), -1, EINVAL);
    struct sockaddr_in peer = addr_of("192.0.2.1", 7);
    CHECK("connect(listening)", connect(l1, (struct sockaddr *)&peer, sizeof peer), -1, EISCONN);
    fcntl(l1, F_SETFL, fcntl(l1, F_GETFL) | O_NONBLOCK);
    CHECK("accept(non-blocking, none queued)", accept(l1, NULL, NULL), -1, EAGAIN);
    close(l1); close(l2);
}

static void connecting(const char *peer_ip, int echo, int silent_ok, const char *silent_ip)
{
    struct sockaddr_in e = addr_of(peer_ip, echo), q = addr_of(silent_ip, 7);
    if (silent_ok) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);
        CHECK("connect(non-blocking, silent peer)", connect(s, (struct sockaddr *)&q, sizeof q), -1, EINPROGRESS);
        CHECK("connect again (in progress)", connect(s, (struct sockaddr *)&q, sizeof q), -1, EALREADY);
        char b[1];
        CHECK("recv(connecting, non-blocking)", recv(s, b, 1, 0), -1, EAGAIN);
        close(s);
    }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    CHECK("F_GETFL before", fcntl(s, F_GETFL) & O_NONBLOCK, 0, 0);
    fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);
    CHECK("F_GETFL after F_SETFL O_NONBLOCK", (fcntl(s, F_GETFL) & O_NONBLOCK) != 0, 1, 0);
    int r = connect(s, (struct sockaddr *)&e, sizeof e);
    int err = errno;
    /* Linux may finish a connect to its own address at once; the board never does. */
    check("connect(non-blocking)", r == 0 ? -1 : r, r == 0 ? EINPROGRESS : err, -1, EINPROGRESS);
    struct pollfd p = { .fd = s, .events = POLLOUT };
    CHECK("poll(POLLOUT) after EINPROGRESS", poll(&p, 1, 3000), 1, 0);
    CHECK("revents POLLOUT", p.revents & (POLLOUT | POLLERR | POLLHUP), POLLOUT, 0);
    int soerr = -1;
    socklen_t sl = sizeof soerr;
    CHECK("SO_ERROR after connect", (getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &sl), soerr), 0, 0);
    CHECK("connect(completed non-blocking connect)", connect(s, (struct sockaddr *)&e, sizeof e), 0, 0);
    CHECK("connect(connected)", connect(s, (struct sockaddr *)&e, sizeof e), -1, EISCONN);
    char b[16];
    CHECK("recv(non-blocking, no data)", recv(s, b, sizeof b, 0), -1, EAGAIN);
    fcntl(s, F_SETFL, fcntl(s, F_GETFL) & ~O_NONBLOCK);
    struct timeval tv = { 0, 300000 };
    CHECK("SO_RCVTIMEO 300 ms", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0, 0);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK("recv(SO_RCVTIMEO fires)", recv(s, b, sizeof b, 0), -1, EAGAIN);
    long waited = ms_since(&t0);
    CHECK("SO_RCVTIMEO waited 290..1500 ms", waited >= 290 && waited < 1500, 1, 0);
    CHECK("send 5 bytes", send(s, "hello", 5, 0), 5, 0);
    CHECK("recv echo", recv(s, b, sizeof b, MSG_WAITALL) == 5 ? 5 : -2, 5, 0);
    int one = 1, v = 0;
    socklen_t vl = sizeof v;
    CHECK("TCP_NODELAY set", setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0, 0);
    CHECK("TCP_NODELAY get", (getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &vl), v), 1, 0);
    CHECK("SO_KEEPALIVE set", setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one), 0, 0);
    vl = sizeof v;
    CHECK("SO_KEEPALIVE get", (getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, &vl), v != 0), 1, 0);
    int idle = 30;
    CHECK("TCP_KEEPIDLE set", setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle), 0, 0);
    vl = sizeof v;
    CHECK("TCP_KEEPIDLE get", (getsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &v, &vl), v), 30, 0);
    int cnt = 5, intvl = 7;
    CHECK("TCP_KEEPCNT set", setsockopt(s, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt), 0, 0);
    CHECK("TCP_KEEPINTVL set", setsockopt(s, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl), 0, 0);
    vl = sizeof v;
    CHECK("TCP_KEEPCNT get", (getsockopt(s, IPPROTO_TCP, TCP_KEEPCNT, &v, &vl), v), 5, 0);
    vl = sizeof v;
    CHECK("TCP_KEEPINTVL get", (getsockopt(s, IPPROTO_TCP, TCP_KEEPINTVL, &v, &vl), v), 7, 0);
    struct timeval stv = { 2, 500000 }, gtv = { 0, 0 };
    socklen_t tl = sizeof gtv;
    CHECK("SO_SNDTIMEO set", setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &stv, sizeof stv), 0, 0);
    CHECK("SO_SNDTIMEO get", (getsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &gtv, &tl), gtv.tv_sec * 1000 + gtv.tv_usec / 1000), 2500, 0);
    struct linger lg = { 1, 0 }, got = { 0, 0 };
    socklen_t ll = sizeof got;
    CHECK("SO_LINGER {1,0} set", setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0, 0);
    CHECK("SO_LINGER get", (getsockopt(s, SOL_SOCKET, SO_LINGER, &got, &ll), got.l_onoff != 0 && got.l_linger == 0), 1, 0);
    lg.l_onoff = 0;
    setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    CHECK("shutdown(SHUT_WR)", shutdown(s, SHUT_WR), 0, 0);
    CHECK("send after SHUT_WR", send(s, "x", 1, MSG_NOSIGNAL), -1, EPIPE);
    CHECK("recv after peer FIN", recv(s, b, sizeof b, 0), 0, 0);
    close(s);
}

static void refused_and_reset(const char *peer_ip, int closed, int rst)
{
    struct sockaddr_in c = addr_of(peer_ip, closed), r = addr_of(peer_ip, rst);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    CHECK("connect(closed port)", connect(s, (struct sockaddr *)&c, sizeof c), -1, ECONNREFUSED);
    close(s);
    s = socket(AF_INET, SOCK_STREAM, 0);                /* the same, non-blocking: the error comes later */
    fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);
    CHECK("connect(non-blocking, closed port)", connect(s, (struct sockaddr *)&c, sizeof c), -1, EINPROGRESS);
    struct pollfd p = { .fd = s, .events = POLLOUT };
    CHECK("poll after a refused connect", poll(&p, 1, 3000), 1, 0);
    CHECK("revents: POLLOUT POLLERR POLLHUP", p.revents & (POLLOUT | POLLERR | POLLHUP), POLLOUT | POLLERR | POLLHUP, 0);
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    CHECK("SO_ERROR = ECONNREFUSED", (getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &sl), soerr), ECONNREFUSED, 0);
    sl = sizeof soerr;
    CHECK("SO_ERROR read clears it", (getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &sl), soerr), 0, 0);
    close(s);
    s = socket(AF_INET, SOCK_STREAM, 0);
    CHECK("connect(resetting peer)", connect(s, (struct sockaddr *)&r, sizeof r), 0, 0);
    sleep_ms(400);                                      /* the peer's RST arrives */
    char b[4];
    CHECK("send after RST", send(s, "x", 1, MSG_NOSIGNAL), -1, ECONNRESET);
    CHECK("send again (broken connection)", send(s, "x", 1, MSG_NOSIGNAL), -1, EPIPE);
    CHECK("recv after RST", recv(s, b, sizeof b, 0), 0, 0);
    close(s);
}

static void datagrams(const char *peer_ip, int echo)
{
    struct sockaddr_in e = addr_of(peer_ip, echo), from, local;
    socklen_t fl = sizeof from, ll = sizeof local;
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    struct timeval tv = { 2, 0 };
    setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char b[16] = { 0 };
    CHECK("sendto(UDP echo)", sendto(u, "ping", 4, 0, (struct sockaddr *)&e, sizeof e), 4, 0);
    CHECK("recvfrom(UDP echo)", recvfrom(u, b, sizeof b, 0, (struct sockaddr *)&from, &fl), 4, 0);
    CHECK("recvfrom: the data", memcmp(b, "ping", 4), 0, 0);
    CHECK("recvfrom: the sender", from.sin_family == AF_INET && from.sin_port == e.sin_port && from.sin_addr.s_addr == e.sin_addr.s_addr, 1, 0);
    CHECK("getsockname(UDP): a port was bound", (getsockname(u, (struct sockaddr *)&local, &ll), local.sin_port != 0), 1, 0);
    CHECK("connect(UDP)", connect(u, (struct sockaddr *)&e, sizeof e), 0, 0);
    CHECK("sendto(connected UDP, with an address)", sendto(u, "x", 1, 0, (struct sockaddr *)&e, sizeof e), 1, 0);
    CHECK("recv(connected UDP)", recv(u, b, sizeof b, 0), 1, 0);
    CHECK("send(connected UDP)", send(u, "pong", 4, 0), 4, 0);
    CHECK("recv(connected UDP)", recv(u, b, sizeof b, 0), 4, 0);
    close(u);
}

static void names(void)
{
    struct in_addr a;
    CHECK("inet_pton(1.2.3)", inet_pton(AF_INET, "1.2.3", &a), 0, 0);
    CHECK("inet_pton(256.1.1.1)", inet_pton(AF_INET, "256.1.1.1", &a), 0, 0);
    CHECK("inet_pton(192.0.2.1)", inet_pton(AF_INET, "192.0.2.1", &a) == 1 && a.s_addr == htonl(0xc0000201u), 1, 0);
    char t[INET_ADDRSTRLEN];
    CHECK("inet_ntop", strcmp(inet_ntop(AF_INET, &a, t, sizeof t), "192.0.2.1"), 0, 0);
    CHECK("inet_ntop(short buffer)", inet_ntop(AF_INET, &a, t, 4) == NULL ? -1 : 0, -1, ENOSPC);
}

int app_errno(int argc, char **argv)
{
    if (argc < 6) { fprintf(stderr, "errno PEER_IP ECHO_PORT CLOSED_PORT RST_PORT SILENT_IP\n"); return 64; }
    bad_descriptors();
    unconnected();
    ports();
    connecting(argv[1], atoi(argv[2]), 1, argv[5]);
    refused_and_reset(argv[1], atoi(argv[3]), atoi(argv[4]));
    datagrams(argv[1], atoi(argv[2]));
    names();
    printf("{\"ok\":%s,\"checks\":%d,\"failures\":%d,\"table\":[%s]}\n", failures ? "false" : "true", checks, failures, report);
    return failures ? 1 : 0;
}
