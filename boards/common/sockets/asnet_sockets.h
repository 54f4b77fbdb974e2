/* BSD sockets over the event-driven C API (asnet.h), for code written against POSIX sockets
 * (mbedTLS' net_sockets.c, esp-tls, MQTT clients, vendor SDKs).
 *
 * Model (lwIP's tcpip_thread): the stack runs in one task of its own, asnet_sock_stack_run(); every
 * call below, from any other task, is a message on a small fixed queue in front of it
 * (ASNET_SOCK_QUEUE_DEPTH) and the caller waits on its own semaphore until the stack task answers.
 * A blocking call that cannot complete (recv with no data, accept with an empty queue, connect in
 * progress, send with a full buffer, select/poll with nothing ready) is parked in the stack task and
 * answered when an event of the stack makes it complete, or at its timeout: only the calling task
 * blocks. Descriptors come from a fixed table (ASNET_SOCK_MAX); nothing is allocated after init.
 *
 * Errors: -1 with errno set to the C library's own constant (<errno.h>), as Linux sets it for the
 * same call (the test runs the same calls against Linux, test/sockets.test.ts). Constants below are
 * Linux's numbers; asnet_compat.h maps the standard names onto these calls for third-party code. */
#ifndef ASNET_SOCKETS_H
#define ASNET_SOCKETS_H
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>
#include <sys/types.h>

#ifndef ASNET_SOCK_MAX
#define ASNET_SOCK_MAX 16            /* descriptors 0 .. ASNET_SOCK_MAX-1 (+ ASNET_SOCK_FD_BASE) */
#endif
#ifndef ASNET_SOCK_FD_BASE
#define ASNET_SOCK_FD_BASE 0
#endif
#ifndef ASNET_SOCK_QUEUE_DEPTH
#define ASNET_SOCK_QUEUE_DEPTH 8     /* messages waiting in front of the stack task */
#endif
#ifndef ASNET_SOCK_STOP_DRAIN_MS
#define ASNET_SOCK_STOP_DRAIN_MS 15000 /* asnet_sock_stop: the longest wait for closed connections to deliver */
#endif
#ifndef ASNET_SOCK_PARKED_MAX
#define ASNET_SOCK_PARKED_MAX 16     /* blocking calls waiting for an event at once */
#endif
#ifndef ASNET_SOCK_ADDRINFO_MAX
#define ASNET_SOCK_ADDRINFO_MAX 4    /* getaddrinfo results held at once (one entry each) */
#endif

/* ---- constants (Linux's values) ---- */
#define ASNET_AF_UNSPEC 0
#define ASNET_AF_INET 2
#define ASNET_AF_INET6 10
#define ASNET_PF_INET ASNET_AF_INET
#define ASNET_SOCK_STREAM 1
#define ASNET_SOCK_DGRAM 2
#define ASNET_SOCK_NONBLOCK 04000
#define ASNET_IPPROTO_IP 0
#define ASNET_IPPROTO_TCP 6
#define ASNET_IPPROTO_UDP 17
#define ASNET_SOL_SOCKET 1
#define ASNET_SO_REUSEADDR 2
#define ASNET_SO_TYPE 3
#define ASNET_SO_ERROR 4
#define ASNET_SO_SNDBUF 7
#define ASNET_SO_RCVBUF 8
#define ASNET_SO_KEEPALIVE 9
#define ASNET_SO_LINGER 13
#define ASNET_SO_RCVTIMEO 20
#define ASNET_SO_SNDTIMEO 21
#define ASNET_TCP_NODELAY 1
#define ASNET_TCP_MAXSEG 2
#define ASNET_TCP_KEEPIDLE 4
#define ASNET_TCP_KEEPINTVL 5
#define ASNET_TCP_KEEPCNT 6
#define ASNET_MSG_PEEK 0x2
#define ASNET_MSG_DONTWAIT 0x40
#define ASNET_MSG_WAITALL 0x100
#define ASNET_MSG_NOSIGNAL 0x4000
#define ASNET_SHUT_RD 0
#define ASNET_SHUT_WR 1
#define ASNET_SHUT_RDWR 2
#define ASNET_INADDR_ANY 0u
#define ASNET_INADDR_LOOPBACK 0x7f000001u
#define ASNET_INADDR_NONE 0xffffffffu
#define ASNET_INET_ADDRSTRLEN 16
#define ASNET_POLLIN 0x001
#define ASNET_POLLPRI 0x002
#define ASNET_POLLOUT 0x004
#define ASNET_POLLERR 0x008
#define ASNET_POLLHUP 0x010
#define ASNET_POLLNVAL 0x020
#define ASNET_POLLRDNORM 0x040
#define ASNET_POLLWRNORM 0x100
#define ASNET_AI_PASSIVE 0x1
#define ASNET_AI_CANONNAME 0x2
#define ASNET_AI_NUMERICHOST 0x4
#define ASNET_AI_NUMERICSERV 0x400
#define ASNET_EAI_BADFLAGS (-1)
#define ASNET_EAI_NONAME (-2)
#define ASNET_EAI_AGAIN (-3)
#define ASNET_EAI_FAIL (-4)
#define ASNET_EAI_FAMILY (-6)
#define ASNET_EAI_SOCKTYPE (-7)
#define ASNET_EAI_SERVICE (-8)
#define ASNET_EAI_MEMORY (-10)
#define ASNET_EAI_SYSTEM (-11)
#define ASNET_FD_SETSIZE (ASNET_SOCK_FD_BASE + ASNET_SOCK_MAX)

typedef uint32_t asnet_socklen_t;
typedef uint16_t asnet_sa_family_t;
typedef uint32_t asnet_in_addr_t;
typedef uint16_t asnet_in_port_t;

/* Address layouts: Linux's (family first, 16 bits) by default; BSD's (sin_len, then an 8-bit
 * family), as lwIP and ESP-IDF declare them, on ESP_PLATFORM or with ASNET_SOCKADDR_BSD. Calls
 * accept either layout on input. */
#if defined(ESP_PLATFORM) || defined(ASNET_SOCKADDR_BSD)
#define ASNET_SA_HEAD uint8_t sa_len; uint8_t sa_family;
#define ASNET_SIN_HEAD uint8_t sin_len; uint8_t sin_family;
#define ASNET_SS_HEAD uint8_t s2_len; uint8_t ss_family;
#else
#define ASNET_SA_HEAD asnet_sa_family_t sa_family;
#define ASNET_SIN_HEAD asnet_sa_family_t sin_family;
#define ASNET_SS_HEAD asnet_sa_family_t ss_family;
#endif
struct asnet_in_addr { asnet_in_addr_t s_addr; };                  /* network byte order */
struct asnet_sockaddr { ASNET_SA_HEAD char sa_data[14]; };
struct asnet_sockaddr_in {
    ASNET_SIN_HEAD
    asnet_in_port_t sin_port;                                       /* network byte order */
    struct asnet_in_addr sin_addr;
    uint8_t sin_zero[8];
};
struct asnet_sockaddr_storage { ASNET_SS_HEAD uint8_t ss_pad[126]; };
struct asnet_linger { int l_onoff; int l_linger; };
struct asnet_pollfd { int fd; short events; short revents; };
typedef unsigned int asnet_nfds_t;
/* Bit i of byte i/8 is descriptor i: the layout of glibc's and lwIP's fd_set on little-endian. */
typedef struct { uint8_t fds_bits[(ASNET_FD_SETSIZE + 7) / 8]; } asnet_fd_set;
#define ASNET_FD_SET(n, p) ((p)->fds_bits[(unsigned)(n) / 8u] |= (uint8_t)(1u << ((unsigned)(n) & 7u)))
#define ASNET_FD_CLR(n, p) ((p)->fds_bits[(unsigned)(n) / 8u] &= (uint8_t)~(1u << ((unsigned)(n) & 7u)))
#define ASNET_FD_ISSET(n, p) (((p)->fds_bits[(unsigned)(n) / 8u] >> ((unsigned)(n) & 7u)) & 1u)
#define ASNET_FD_ZERO(p) do { for (size_t i_ = 0; i_ < sizeof (p)->fds_bits; i_++) (p)->fds_bits[i_] = 0; } while (0)
struct asnet_addrinfo {
    int ai_flags, ai_family, ai_socktype, ai_protocol;
    asnet_socklen_t ai_addrlen;
    struct asnet_sockaddr *ai_addr;
    char *ai_canonname;
    struct asnet_addrinfo *ai_next;
};

/* ---- the stack task ---- */
struct asnet_sock_port {
    /* Sleep until ms pass, a frame arrives or wake() is called. */
    void (*wait)(int32_t ms);
    /* Wake the stack task from another task (a message is queued). */
    void (*wake)(void);
};
/* Once, before anything else: the message queue and the descriptor table. port NULL: the
 * stack task sleeps on an OSAL semaphore (frames are then noticed only at the next timer or
 * message: a board should give wait/wake that also see its MAC). 0 or -1. */
int asnet_sock_init(const struct asnet_sock_port *port);
/* The stack task's body (asnet_init must have been called, from this task): drains the queue,
 * runs asnet_poll, answers parked calls, sleeps. Returns after asnet_sock_stop(): calls still waiting
 * then answer ECANCELED, later ones ENETDOWN, and the stack runs on until connections already closed
 * have delivered their data and FIN (FIN_WAIT_1, CLOSING, LAST_ACK gone) or ASNET_SOCK_STOP_DRAIN_MS
 * passed. */
void asnet_sock_stack_run(void);
void asnet_sock_stop(void);

/* ---- sockets ---- */
int asnet_socket(int domain, int type, int protocol);
int asnet_bind(int fd, const void *addr, asnet_socklen_t len);
int asnet_listen(int fd, int backlog);
int asnet_accept(int fd, void *addr, asnet_socklen_t *len);
int asnet_connect(int fd, const void *addr, asnet_socklen_t len);
ssize_t asnet_send(int fd, const void *buf, size_t len, int flags);
ssize_t asnet_recv(int fd, void *buf, size_t len, int flags);
ssize_t asnet_sendto(int fd, const void *buf, size_t len, int flags, const void *to, asnet_socklen_t tolen);
ssize_t asnet_recvfrom(int fd, void *buf, size_t len, int flags, void *from, asnet_socklen_t *fromlen);
ssize_t asnet_read(int fd, void *buf, size_t len);
ssize_t asnet_write(int fd, const void *buf, size_t len);
int asnet_shutdown(int fd, int how);
int asnet_close(int fd);
int asnet_setsockopt(int fd, int level, int name, const void *val, asnet_socklen_t len);
int asnet_getsockopt(int fd, int level, int name, void *val, asnet_socklen_t *len);
int asnet_getsockname(int fd, void *addr, asnet_socklen_t *len);
int asnet_getpeername(int fd, void *addr, asnet_socklen_t *len);
int asnet_fcntl(int fd, int cmd, ...);                  /* F_GETFL, F_SETFL with O_NONBLOCK */
int asnet_select(int nfds, asnet_fd_set *rd, asnet_fd_set *wr, asnet_fd_set *ex, struct timeval *tv);
int asnet_sock_poll(struct asnet_pollfd *fds, asnet_nfds_t nfds, int timeout_ms);   /* poll(2); asnet_poll is the main loop */

/* ---- names and addresses ---- */
int asnet_getaddrinfo(const char *node, const char *service, const struct asnet_addrinfo *hints,
                      struct asnet_addrinfo **res);
void asnet_freeaddrinfo(struct asnet_addrinfo *ai);
const char *asnet_gai_strerror(int err);
int asnet_inet_pton(int af, const char *src, void *dst);
const char *asnet_inet_ntop(int af, const void *src, char *dst, asnet_socklen_t size);
asnet_in_addr_t asnet_inet_addr(const char *cp);

/* Counters of the layer (tests, the latency figure). */
struct asnet_sock_stats { uint32_t messages, parked, parked_high, wakeups, timeouts, queue_full_waits; };
void asnet_sock_get_stats(struct asnet_sock_stats *out);
#endif
