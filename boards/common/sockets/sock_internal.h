/* Inside the sockets layer: the descriptor table, the messages and the operations the stack task
 * runs. Everything here is touched by the stack task only (callers see their own message). */
#ifndef ASNET_SOCK_INTERNAL_H
#define ASNET_SOCK_INTERNAL_H
#include "asnet_sockets.h"
#include "../osal/osal.h"

enum sock_op {
    OP_SOCKET, OP_BIND, OP_LISTEN, OP_ACCEPT, OP_CONNECT, OP_SEND, OP_RECV, OP_SHUTDOWN, OP_CLOSE,
    OP_SETOPT, OP_GETOPT, OP_NAME, OP_FCNTL, OP_POLL, OP_SELECT, OP_GAI, OP_FREEAI, OP_STATS, OP_STOP,
};

struct sock {
    uint8_t used, type;                      /* ASNET_SOCK_STREAM / ASNET_SOCK_DGRAM */
    uint8_t nonblock, listening, connecting, connected, bound;
    uint8_t rx_ready, tx_ready, acc_ready;   /* readiness as the stack's events last said it */
    uint8_t eof, shut_rd, shut_wr, dead;     /* dead: EV_ERROR, or the stack restarted (trap) */
    int32_t h;                               /* the stack's handle */
    int err;                                 /* pending error (host errno), SO_ERROR */
    uint32_t rcvtimeo, sndtimeo;             /* ms; 0 = none */
    struct asnet_linger linger;
    uint32_t peer_ip; uint16_t peer_port;    /* UDP default destination */
    uint16_t local_port;
    uint16_t gen;                            /* bumped when the slot is reused */
    uint8_t err_taken;                       /* the connection's error was reported once */
    uint8_t async_pending;                   /* a non-blocking connect not yet confirmed by a second connect() */
};

struct sock_msg {
    uint8_t op, stage;
    int fd;
    ssize_t ret;                             /* result, or -1 with err */
    int err;
    int a, b, c;                             /* op arguments: domain/type/protocol, level/name, flags, how, cmd */
    const void *cbuf;
    void *buf;
    size_t len, done;
    const void *addr_in; asnet_socklen_t addr_in_len;
    void *addr_out; asnet_socklen_t *addr_out_len;
    struct asnet_pollfd *fds; uint32_t nfds;
    asnet_fd_set *sets[3], in_sets[3];
    uint32_t start_ms, timeout_ms;           /* OSAL_FOREVER: no timeout */
    const char *node, *service;
    const struct asnet_addrinfo *hints;
    struct asnet_addrinfo **res;
    int32_t dns_h;
    uint16_t gen;                            /* of the descriptor when the call started */
    uint16_t gai_port;
    osal_sem_t done_sem;
};

extern struct sock sock_table[ASNET_SOCK_MAX];
extern struct asnet_sock_stats sock_stats;

/* sock_core.c */
struct sock *sock_get(int fd);                                /* NULL: not an open descriptor */
/* The message's descriptor (the same one on a retry), or NULL after answering EBADF. */
struct sock *sock_of(struct sock_msg *m);
struct sock *sock_alloc(void);                                /* a free slot, or NULL */
void sock_kick(void);                                         /* parked calls retry (state changed) */
/* The connection's error once (errno), then 0: Linux's sock_error(). */
int sock_take_error(struct sock *s);
int sock_fd(const struct sock *s);
int sock_host_errno(int32_t stack_err);                       /* STACK_E* -> <errno.h> */
void sock_fail(struct sock_msg *m, int err);                 /* ret -1, err */
void sock_route(struct sock *s);                              /* events of s->h to s */
void sock_event(int32_t h, uint32_t events, void *ctx);

/* sock_tcp.c / sock_udp.c / sock_opt.c / sock_poll.c / sock_names.c: 1 when the message is answered,
 * 0 to park it until an event (or its timeout, then *_timeout answers it). */
int sock_op_socket(struct sock_msg *m);
int sock_op_bind(struct sock_msg *m);
int sock_op_listen(struct sock_msg *m);
int sock_op_accept(struct sock_msg *m);
int sock_op_connect(struct sock_msg *m);
int sock_op_send(struct sock_msg *m);
int sock_op_recv(struct sock_msg *m);
int sock_op_shutdown(struct sock_msg *m);
int sock_op_close(struct sock_msg *m);
int sock_op_name(struct sock_msg *m);
int sock_op_setopt(struct sock_msg *m);
int sock_op_getopt(struct sock_msg *m);
int sock_op_fcntl(struct sock_msg *m);
int sock_op_poll(struct sock_msg *m);
int sock_op_select(struct sock_msg *m);
int sock_op_gai(struct sock_msg *m);
int sock_op_freeai(struct sock_msg *m);
void sock_timeout(struct sock_msg *m);

/* Address helpers (either layout in, the build's layout out). */
int sock_parse_addr(const void *addr, asnet_socklen_t len, uint32_t *ip, uint16_t *port);
void sock_write_addr(void *addr, asnet_socklen_t *len, uint32_t ip, uint16_t port);
/* ms left of a parked message's timeout set from a socket timeout (0 = none). */
void sock_set_timeout(struct sock_msg *m, uint32_t ms);
#endif
