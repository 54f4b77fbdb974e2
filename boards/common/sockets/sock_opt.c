/* setsockopt/getsockopt and fcntl(O_NONBLOCK). The stack keeps the TCP options (docs/ABI.md ids:
 * SO_REUSEADDR, SO_KEEPALIVE, SO_LINGER in seconds or -1, buffers, SO_ERROR, TCP_NODELAY, TCP_MAXSEG,
 * TCP_KEEPIDLE/INTVL/CNT); the layer keeps the descriptor's own (timeouts, O_NONBLOCK, the pending
 * error, linger as given). Runs in the stack task. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include "asnet.h"
#include "sock_internal.h"

#ifndef O_NONBLOCK
#define O_NONBLOCK ASNET_SOCK_NONBLOCK
#endif
#ifndef F_GETFL
#define F_GETFL 3
#define F_SETFL 4
#endif
#ifndef O_RDWR
#define O_RDWR 2
#endif

/* The stack's id of a (level, name) pair that maps onto an int option, or 0. */
static int stack_opt(int level, int name)
{
    if (level == ASNET_SOL_SOCKET) {
        switch (name) {
        case ASNET_SO_REUSEADDR: return STACK_SO_REUSEADDR;
        case ASNET_SO_KEEPALIVE: return STACK_SO_KEEPALIVE;
        case ASNET_SO_RCVBUF: return STACK_SO_RCVBUF;
        case ASNET_SO_SNDBUF: return STACK_SO_SNDBUF;
        default: return 0;
        }
    }
    if (level == ASNET_IPPROTO_TCP) {
        switch (name) {
        case ASNET_TCP_NODELAY: return STACK_TCP_NODELAY;
        case ASNET_TCP_MAXSEG: return STACK_TCP_MAXSEG;
        case ASNET_TCP_KEEPIDLE: return STACK_TCP_KEEPIDLE;
        case ASNET_TCP_KEEPINTVL: return STACK_TCP_KEEPINTVL;
        case ASNET_TCP_KEEPCNT: return STACK_TCP_KEEPCNT;
        default: return 0;
        }
    }
    return 0;
}

static uint32_t tv_ms(const struct timeval *tv)
{
    if (tv->tv_sec < 0 || tv->tv_usec < 0) return 0;
    uint64_t ms = (uint64_t)tv->tv_sec * 1000u + (uint64_t)(tv->tv_usec + 999) / 1000u;
    return ms > 0x7fffffffu ? 0x7fffffffu : (uint32_t)ms;
}

static int set_socket_level(struct sock_msg *m, struct sock *s)
{
    if (m->b == ASNET_SO_RCVTIMEO || m->b == ASNET_SO_SNDTIMEO) {
        if (m->len < sizeof(struct timeval)) return EINVAL;
        struct timeval tv;
        memcpy(&tv, m->cbuf, sizeof tv);
        if (tv.tv_usec < 0 || tv.tv_usec >= 1000000) return EDOM;
        if (m->b == ASNET_SO_RCVTIMEO) s->rcvtimeo = tv_ms(&tv); else s->sndtimeo = tv_ms(&tv);
        return 0;
    }
    if (m->b == ASNET_SO_LINGER) {
        if (m->len < sizeof(struct asnet_linger)) return EINVAL;
        memcpy(&s->linger, m->cbuf, sizeof s->linger);
        if (s->type != ASNET_SOCK_STREAM) return 0;
        int32_t v = s->linger.l_onoff ? (s->linger.l_linger < 0 ? 0 : s->linger.l_linger) : -1;
        int32_t r = asnet_tcp_setsockopt(s->h, STACK_SO_LINGER, v);
        return r < 0 ? sock_host_errno(r) : 0;
    }
    return -1;
}

int sock_op_setopt(struct sock_msg *m)
{
    struct sock *s = sock_of(m);
    if (s == NULL) return 1;
    if (m->cbuf == NULL) { sock_fail(m, EFAULT); return 1; }
    if (m->a == ASNET_SOL_SOCKET) {
        int e = set_socket_level(m, s);
        if (e >= 0) { if (e) sock_fail(m, e); else m->ret = 0; return 1; }
    }
    int id = stack_opt(m->a, m->b);
    if (id == 0 || (s->type != ASNET_SOCK_STREAM && m->a == ASNET_IPPROTO_TCP)) { sock_fail(m, ENOPROTOOPT); return 1; }
    if (m->len < sizeof(int)) { sock_fail(m, EINVAL); return 1; }
    int v;
    memcpy(&v, m->cbuf, sizeof v);
    if (s->type != ASNET_SOCK_STREAM) { m->ret = 0; return 1; }      /* UDP: accepted, nothing to tune */
    int32_t r = asnet_tcp_setsockopt(s->h, id, (id == STACK_SO_REUSEADDR || id == STACK_SO_KEEPALIVE || id == STACK_TCP_NODELAY) ? v != 0 : v);
    if (r < 0) { sock_fail(m, sock_host_errno(r)); return 1; }
    m->ret = 0;
    return 1;
}

static void put(struct sock_msg *m, const void *v, asnet_socklen_t n)
{
    asnet_socklen_t cap = *m->addr_out_len;
    memcpy(m->buf, v, cap < n ? cap : n);
    *m->addr_out_len = cap < n ? cap : n;
    m->ret = 0;
}

int sock_op_getopt(struct sock_msg *m)
{
    struct sock *s = sock_of(m);
    if (s == NULL) return 1;
    if (m->buf == NULL || m->addr_out_len == NULL) { sock_fail(m, EFAULT); return 1; }
    if (m->a == ASNET_SOL_SOCKET) {
        int v;
        switch (m->b) {
        case ASNET_SO_ERROR:
            v = sock_take_error(s);
            if (v == 0 && s->type == ASNET_SOCK_STREAM && s->h > 0) {
                int32_t r = asnet_tcp_getsockopt(s->h, STACK_SO_ERROR);
                if (r > 0) v = sock_host_errno(-r);
            }
            put(m, &v, sizeof v); return 1;
        case ASNET_SO_TYPE: v = s->type; put(m, &v, sizeof v); return 1;
        case ASNET_SO_LINGER: put(m, &s->linger, sizeof s->linger); return 1;
        case ASNET_SO_RCVTIMEO: case ASNET_SO_SNDTIMEO: {
            uint32_t ms = m->b == ASNET_SO_RCVTIMEO ? s->rcvtimeo : s->sndtimeo;
            struct timeval tv = { .tv_sec = ms / 1000u, .tv_usec = (ms % 1000u) * 1000u };
            put(m, &tv, sizeof tv); return 1;
        }
        default: break;
        }
    }
    int id = stack_opt(m->a, m->b);
    if (id == 0 || s->type != ASNET_SOCK_STREAM) { sock_fail(m, ENOPROTOOPT); return 1; }
    int32_t r = asnet_tcp_getsockopt(s->h, id);
    if (r < 0) { sock_fail(m, sock_host_errno(r)); return 1; }
    int v = r;
    put(m, &v, sizeof v);
    return 1;
}

int sock_op_fcntl(struct sock_msg *m)
{
    struct sock *s = sock_of(m);
    if (s == NULL) return 1;
    if (m->a == F_GETFL) { m->ret = O_RDWR | (s->nonblock ? O_NONBLOCK : 0); return 1; }
    if (m->a == F_SETFL) { s->nonblock = (m->b & O_NONBLOCK) != 0; m->ret = 0; return 1; }
    sock_fail(m, EINVAL);
    return 1;
}
