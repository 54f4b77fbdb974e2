/* UDP descriptors (RFC 768) on asnet_udp_*: sendto/recvfrom, connect as a default destination
 * and a filter (docs/ABI.md udp_connect). Runs in the stack task. */
#include <errno.h>
#include "asnet.h"
#include "stack_glue.h"
#include "sock_internal.h"

int sock_dgram_connect(struct sock_msg *m, struct sock *s, uint32_t ip, uint16_t port);
int sock_dgram_send(struct sock_msg *m, struct sock *s);
int sock_dgram_recv(struct sock_msg *m, struct sock *s);

/* An unbound socket gets a port here, not inside the stack, so getsockname() can tell it: the
 * next free one of 49152..65535 (RFC 6335 dynamic ports), in turn. 0 or an errno. */
static int autobind(struct sock *s)
{
    static uint16_t next = 49152;
    if (s->bound) return 0;
    for (int tries = 0; tries < 64; tries++) {
        uint16_t port = next;
        next = next == 65535 ? 49152 : (uint16_t)(next + 1);
        int32_t r = stack_glue_call3(STACK_RT_udp_bind, (uint32_t)s->h, 0, port);
        if (r == 0) { s->bound = 1; s->local_port = port; return 0; }
        if (r != STACK_EADDRINUSE) return sock_host_errno(r);
    }
    return EADDRINUSE;
}

int sock_dgram_connect(struct sock_msg *m, struct sock *s, uint32_t ip, uint16_t port)
{
    int e = autobind(s);
    if (e) { sock_fail(m, e); return 1; }
    int32_t r = stack_glue_call3(STACK_RT_udp_connect, (uint32_t)s->h, ip, port);
    if (r < 0) { sock_fail(m, sock_host_errno(r)); return 1; }
    s->peer_ip = ip;
    s->peer_port = ip ? port : 0;
    m->ret = 0;
    return 1;
}

int sock_dgram_send(struct sock_msg *m, struct sock *s)
{
    uint32_t ip = 0; uint16_t port = 0;
    if (s->err) { sock_fail(m, sock_take_error(s)); s->err_taken = 0; return 1; }   /* ICMP unreachable, once */
    if (s->shut_wr) { sock_fail(m, EPIPE); return 1; }
    if (m->addr_in) {
        int e = sock_parse_addr(m->addr_in, m->addr_in_len, &ip, &port);
        if (e) { sock_fail(m, e); return 1; }             /* Linux sends to it even when connected */
    } else if (s->peer_ip == 0) { sock_fail(m, EDESTADDRREQ); return 1; }
    int e = autobind(s);
    if (e) { sock_fail(m, e); return 1; }
    int32_t r = asnet_udp_sendto(s->h, m->cbuf, m->len, ip, port);
    if (r < 0) { sock_fail(m, sock_host_errno(r)); return 1; }
    m->ret = r;
    return 1;
}

int sock_dgram_recv(struct sock_msg *m, struct sock *s)
{
    if (m->stage == 0) {
        m->stage = 1;
        sock_set_timeout(m, s->rcvtimeo);
        if (m->c & ASNET_MSG_PEEK) { sock_fail(m, EOPNOTSUPP); return 1; }
    }
    if (s->err) { sock_fail(m, sock_take_error(s)); s->err_taken = 0; return 1; }
    if (s->shut_rd) { m->ret = 0; return 1; }
    uint32_t ip = 0; uint16_t port = 0;
    int32_t r = asnet_udp_recvfrom(s->h, m->buf, m->len, &ip, &port);
    if (r == STACK_EAGAIN) {
        s->rx_ready = 0;
        if (s->nonblock || (m->c & ASNET_MSG_DONTWAIT)) { sock_fail(m, EAGAIN); return 1; }
        return 0;
    }
    if (r < 0) { sock_fail(m, sock_host_errno(r)); return 1; }
    if (m->addr_out) sock_write_addr(m->addr_out, m->addr_out_len, ip, port);
    m->ret = r;
    return 1;
}
