/* socket/bind/listen/accept/connect/send/recv/shutdown/close/getsockname on the stack's TCP
 * (asnet_tcp_*) and, through sock_dgram.c, UDP. Runs in the stack task. Each rule is Linux's for the
 * same call (net/ipv4/af_inet.c, tcp.c), which test/sockets.test.ts checks against the kernel. */
#include <errno.h>
#include <string.h>
#include "asnet.h"
#include "stack_glue.h"
#include "sock_internal.h"

int sock_dgram_connect(struct sock_msg *m, struct sock *s, uint32_t ip, uint16_t port);
int sock_dgram_send(struct sock_msg *m, struct sock *s);
int sock_dgram_recv(struct sock_msg *m, struct sock *s);

#define TYPE_FLAGS (ASNET_SOCK_NONBLOCK | 02000000)   /* SOCK_NONBLOCK, SOCK_CLOEXEC */

int sock_op_socket(struct sock_msg *m)
{
    int type = m->b & ~TYPE_FLAGS;
    if (m->a != ASNET_AF_INET) { sock_fail(m, EAFNOSUPPORT); return 1; }
    if (type != ASNET_SOCK_STREAM && type != ASNET_SOCK_DGRAM) { sock_fail(m, EINVAL); return 1; }
    int want = type == ASNET_SOCK_STREAM ? ASNET_IPPROTO_TCP : ASNET_IPPROTO_UDP;
    if (m->c != 0 && m->c != want) { sock_fail(m, EPROTONOSUPPORT); return 1; }
    struct sock *s = sock_alloc();
    if (s == NULL) { sock_fail(m, EMFILE); return 1; }
    int32_t h = stack_glue_call0(type == ASNET_SOCK_STREAM ? STACK_RT_tcp_socket : STACK_RT_udp_socket);
    if (h <= 0) { sock_fail(m, h < 0 ? sock_host_errno(h) : ENOBUFS); return 1; }
    s->used = 1;
    s->type = (uint8_t)type;
    s->h = h;
    s->nonblock = (m->b & ASNET_SOCK_NONBLOCK) != 0;
    s->linger.l_onoff = 0;
    if (type == ASNET_SOCK_DGRAM) s->tx_ready = 1;
    sock_route(s);
    m->ret = sock_fd(s);
    return 1;
}

int sock_op_bind(struct sock_msg *m)
{
    struct sock *s = sock_of(m);
    uint32_t ip; uint16_t port;
    if (s == NULL) return 1;
    int e = sock_parse_addr(m->addr_in, m->addr_in_len, &ip, &port);
    if (e) { sock_fail(m, e); return 1; }
    if (s->bound || s->connected || s->listening) { sock_fail(m, EINVAL); return 1; }
    int32_t r = stack_glue_call3(s->type == ASNET_SOCK_STREAM ? STACK_RT_tcp_bind : STACK_RT_udp_bind,
                                 (uint32_t)s->h, ip, port);
    if (r < 0) { sock_fail(m, sock_host_errno(r)); return 1; }
    s->bound = 1;
    s->local_port = port;
    m->ret = 0;
    return 1;
}

int sock_op_listen(struct sock_msg *m)
{
    struct sock *s = sock_of(m);
    if (s == NULL) return 1;
    if (s->type != ASNET_SOCK_STREAM) { sock_fail(m, EOPNOTSUPP); return 1; }
    if (s->connected || s->connecting || s->dead) { sock_fail(m, EINVAL); return 1; }
    int32_t r = 0;
    if (!s->bound) r = stack_glue_call3(STACK_RT_tcp_bind, (uint32_t)s->h, 0, 0);   /* Linux binds a port */
    if (r == 0) r = stack_glue_call2(STACK_RT_tcp_listen, (uint32_t)s->h, (uint32_t)(m->a < 1 ? 1 : m->a));
    if (r < 0) { sock_fail(m, sock_host_errno(r)); return 1; }
    s->bound = 1;
    s->listening = 1;
    m->ret = 0;
    return 1;
}

/* local ip, local port, remote ip, remote port of a TCP handle. */
static int tcp_peer(int32_t h, uint32_t out[4])
{
    uint32_t io = stack_glue_io(NULL);
    if (stack_glue_call2(STACK_RT_tcp_peer, (uint32_t)h, io) < 0) return -1;
    const uint8_t *p = stack_glue_mem(io, 16);
    if (p == NULL) return -1;
    memcpy(out, p, 16);                     /* little-endian u32s, as wasm stores them */
    return 0;
}

int sock_op_accept(struct sock_msg *m)
{
    struct sock *s = sock_of(m);
    if (s == NULL) return 1;
    if (m->stage == 0) { m->stage = 1; sock_set_timeout(m, s->rcvtimeo); }
    if (s->type != ASNET_SOCK_STREAM) { sock_fail(m, EOPNOTSUPP); return 1; }
    if (!s->listening) { sock_fail(m, s->dead ? ECONNABORTED : EINVAL); return 1; }
    struct sock *n = sock_alloc();
    if (n == NULL) { sock_fail(m, EMFILE); return 1; }
    int32_t h = asnet_tcp_accept(s->h, sock_event, n);
    if (h == STACK_EAGAIN) {
        s->acc_ready = 0;
        if (s->nonblock) { sock_fail(m, EAGAIN); return 1; }
        return 0;
    }
    if (h <= 0) { sock_fail(m, sock_host_errno(h)); return 1; }
    n->used = 1;
    n->type = ASNET_SOCK_STREAM;
    n->h = h;
    n->connected = n->bound = 1;
    n->tx_ready = 1;
    n->rx_ready = 1;                        /* data may have come before accept: recv tells */
    uint32_t peer[4];
    if (m->addr_out && tcp_peer(h, peer) == 0) sock_write_addr(m->addr_out, m->addr_out_len, peer[2], (uint16_t)peer[3]);
    m->ret = sock_fd(n);
    return 1;
}

int sock_op_connect(struct sock_msg *m)
{
    struct sock *s = sock_of(m);
    uint32_t ip; uint16_t port;
    if (s == NULL) return 1;
    if (m->stage == 0) {
        int e = sock_parse_addr(m->addr_in, m->addr_in_len, &ip, &port);
        if (e) { sock_fail(m, e); return 1; }
        if (s->type == ASNET_SOCK_DGRAM) return sock_dgram_connect(m, s, ip, port);
        /* Linux: the first connect() after a non-blocking one completed returns 0, later ones EISCONN. */
        if (s->connected && s->async_pending) { s->async_pending = 0; m->ret = 0; return 1; }
        if (s->connected || s->listening) { sock_fail(m, EISCONN); return 1; }
        if (s->connecting) { sock_fail(m, EALREADY); return 1; }
        if (s->dead) { sock_fail(m, sock_take_error(s) ?: ECONNABORTED); return 1; }
        int32_t r = stack_glue_call3(STACK_RT_tcp_connect, (uint32_t)s->h, ip, port);
        if (r < 0 && r != STACK_EINPROGRESS) { sock_fail(m, sock_host_errno(r)); return 1; }
        s->bound = 1;
        m->stage = 1;
        if (r == 0 || s->connected) { s->connected = 1; s->tx_ready = 1; m->ret = 0; return 1; }
        s->connecting = 1;
        if (s->nonblock) { s->async_pending = 1; sock_fail(m, EINPROGRESS); return 1; }
        sock_set_timeout(m, s->sndtimeo);
        return 0;
    }
    if (s->connected) { m->ret = 0; return 1; }
    if (s->dead) { sock_fail(m, sock_take_error(s) ?: ECONNREFUSED); return 1; }
    return 0;
}

/* The connection died: its error once, then what Linux gives afterwards (fallback). */
static void fail_dead(struct sock_msg *m, struct sock *s, int fallback)
{
    int e = sock_take_error(s);
    sock_fail(m, e ? e : fallback);
}

static int stream_send(struct sock_msg *m, struct sock *s)
{
    if (m->stage == 0) {
        m->stage = 1;
        sock_set_timeout(m, s->sndtimeo);
        if (s->err) { fail_dead(m, s, EPIPE); return 1; }
        if (s->listening || s->shut_wr || s->dead) { sock_fail(m, EPIPE); return 1; }
        if (!s->connected && !s->connecting) { sock_fail(m, EPIPE); return 1; }
    }
    int nonblock = s->nonblock || (m->c & ASNET_MSG_DONTWAIT);
    if (s->dead || s->shut_wr) {
        if (m->done) { m->ret = (ssize_t)m->done; return 1; }
        if (s->err) fail_dead(m, s, EPIPE); else sock_fail(m, EPIPE);
        return 1;
    }
    if (!s->connected) {                    /* connecting: Linux waits for the handshake */
        if (nonblock) { sock_fail(m, EAGAIN); return 1; }
        return 0;
    }
    while (m->done < m->len) {
        size_t left = m->len - m->done;
        int32_t r = asnet_tcp_send(s->h, (const uint8_t *)m->cbuf + m->done, left > 0x7fffffff ? 0x7fffffff : left);
        if (r > 0) { m->done += (size_t)r; if ((size_t)r < left) s->tx_ready = 0; continue; }
        if (r == 0 || r == STACK_EAGAIN) { s->tx_ready = 0; break; }
        if (m->done) { m->ret = (ssize_t)m->done; return 1; }
        s->dead = 1;
        fail_dead(m, s, sock_host_errno(r));
        return 1;
    }
    if (m->done == m->len) { m->ret = (ssize_t)m->done; return 1; }
    if (nonblock) {
        if (m->done) m->ret = (ssize_t)m->done; else sock_fail(m, EAGAIN);
        return 1;
    }
    return 0;
}

static int stream_recv(struct sock_msg *m, struct sock *s)
{
    if (m->stage == 0) {
        m->stage = 1;
        sock_set_timeout(m, s->rcvtimeo);
        if (m->c & ASNET_MSG_PEEK) { sock_fail(m, EOPNOTSUPP); return 1; }
        if (s->listening || (!s->connected && !s->connecting && !s->dead)) { sock_fail(m, ENOTCONN); return 1; }
    }
    int nonblock = s->nonblock || (m->c & ASNET_MSG_DONTWAIT);
    uint32_t io_size;
    (void)stack_glue_io(&io_size);
    while (m->done < m->len) {
        if (s->eof || s->shut_rd) break;
        if (!s->connected && !s->dead) {    /* connecting */
            if (nonblock) { sock_fail(m, EAGAIN); return 1; }
            return 0;
        }
        size_t left = m->len - m->done;
        size_t want = left < io_size ? left : io_size;
        int32_t r = s->h > 0 ? asnet_tcp_recv(s->h, (uint8_t *)m->buf + m->done, want) : STACK_ECONNABORTED;
        if (r > 0) {
            m->done += (size_t)r;
            if ((size_t)r < want) s->rx_ready = 0;
            if (m->c & ASNET_MSG_WAITALL) continue;
            break;
        }
        if (r == 0) { s->eof = 1; break; }
        if (m->done) break;
        if (r == STACK_EAGAIN) {
            s->rx_ready = 0;
            if (s->dead) { fail_dead(m, s, 0); if (m->err == 0) m->ret = 0; return 1; }
            if (nonblock) { sock_fail(m, EAGAIN); return 1; }
            return 0;
        }
        s->dead = 1;                        /* reset or timed out: the error once, then end of stream */
        int e = sock_take_error(s);
        if (e == 0 && !s->err_taken) { e = sock_host_errno(r); s->err_taken = 1; }
        if (e) sock_fail(m, e); else m->ret = 0;
        return 1;
    }
    m->ret = (ssize_t)m->done;
    return 1;
}

int sock_op_send(struct sock_msg *m)
{
    struct sock *s = sock_of(m);
    if (s == NULL) return 1;
    return s->type == ASNET_SOCK_STREAM ? stream_send(m, s) : sock_dgram_send(m, s);
}

int sock_op_recv(struct sock_msg *m)
{
    struct sock *s = sock_of(m);
    if (s == NULL) return 1;
    return s->type == ASNET_SOCK_STREAM ? stream_recv(m, s) : sock_dgram_recv(m, s);
}

int sock_op_shutdown(struct sock_msg *m)
{
    struct sock *s = sock_of(m);
    if (s == NULL) return 1;
    int how = m->a;
    if (how < ASNET_SHUT_RD || how > ASNET_SHUT_RDWR) { sock_fail(m, EINVAL); return 1; }
    if (s->type == ASNET_SOCK_DGRAM ? s->peer_ip == 0 : (!s->connected || s->dead)) { sock_fail(m, ENOTCONN); return 1; }
    if (s->type == ASNET_SOCK_STREAM) {
        int32_t r = asnet_tcp_shutdown(s->h, how);
        if (r < 0) { sock_fail(m, sock_host_errno(r)); return 1; }
    }
    if (how != ASNET_SHUT_WR) s->shut_rd = 1;
    if (how != ASNET_SHUT_RD) s->shut_wr = 1;
    sock_kick();                            /* a parked recv of another task ends */
    m->ret = 0;
    return 1;
}

int sock_op_close(struct sock_msg *m)
{
    struct sock *s = sock_of(m);
    if (s == NULL) return 1;
    if (s->h > 0) {
        if (s->type == ASNET_SOCK_DGRAM) asnet_udp_close(s->h);
        else if (s->linger.l_onoff && s->linger.l_linger == 0) asnet_tcp_abort(s->h);
        else asnet_tcp_close(s->h);
    }
    s->used = 0;
    s->gen++;                               /* parked calls on it answer EBADF */
    sock_kick();
    m->ret = 0;
    return 1;
}

int sock_op_name(struct sock_msg *m)
{
    struct sock *s = sock_of(m);
    if (s == NULL) return 1;
    int peer = m->a;
    uint32_t t[4] = { 0, s->local_port, s->peer_ip, s->peer_port };
    if (s->type == ASNET_SOCK_STREAM && s->h > 0 && (s->connected || s->connecting || s->listening)) (void)tcp_peer(s->h, t);
    int has_peer = s->type == ASNET_SOCK_STREAM ? s->connected && !s->dead : s->peer_ip != 0;
    if (peer && !has_peer) { sock_fail(m, ENOTCONN); return 1; }
    sock_write_addr(m->addr_out, m->addr_out_len, peer ? t[2] : t[0], (uint16_t)(peer ? t[3] : t[1]));
    m->ret = 0;
    return 1;
}

/* A parked call's timeout: what Linux returns when SO_RCVTIMEO / SO_SNDTIMEO / poll's expire. */
void sock_timeout(struct sock_msg *m)
{
    switch (m->op) {
    case OP_CONNECT: sock_fail(m, EINPROGRESS); break;
    case OP_POLL: case OP_SELECT: m->ret = 0; m->stage = 2; (void)(m->op == OP_POLL ? sock_op_poll(m) : sock_op_select(m)); break;
    case OP_GAI: m->ret = ASNET_EAI_AGAIN; break;
    default: if (m->done) m->ret = (ssize_t)m->done; else sock_fail(m, EAGAIN); break;
    }
}
