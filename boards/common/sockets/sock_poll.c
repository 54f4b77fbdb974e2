/* poll() and select() over the descriptors' readiness, which the stack's events keep (sock_core.c):
 * evaluated in the stack task, parked until an event changes something or the timeout ends. The
 * conditions are Linux's tcp_poll(): readable with data, end of stream, an error or a connection to
 * accept; writable when connected with room, after shutdown(SHUT_WR) or an error; POLLHUP when the
 * connection died or both directions ended; POLLNVAL for a descriptor that is not open. */
#include <errno.h>
#include <string.h>
#include "sock_internal.h"

static short readiness(const struct sock *s)
{
    short r = 0;
    if (s->type == ASNET_SOCK_DGRAM) {
        if (s->rx_ready || s->err) r |= ASNET_POLLIN | ASNET_POLLRDNORM;
        r |= ASNET_POLLOUT | ASNET_POLLWRNORM;
        if (s->err) r |= ASNET_POLLERR;
        return r;
    }
    if (s->listening) return s->acc_ready ? (ASNET_POLLIN | ASNET_POLLRDNORM) : 0;
    if (s->rx_ready || s->eof || s->shut_rd || s->dead) r |= ASNET_POLLIN | ASNET_POLLRDNORM;
    if ((s->connected && (s->tx_ready || s->shut_wr)) || s->dead) r |= ASNET_POLLOUT | ASNET_POLLWRNORM;
    if (s->err) r |= ASNET_POLLERR;
    if (s->dead || (s->eof && s->shut_wr)) r |= ASNET_POLLHUP;
    return r;
}

/* stage 2: the timeout ended, answer with what is ready now (possibly nothing). */
int sock_op_poll(struct sock_msg *m)
{
    int ready = 0;
    if (m->stage == 0) { m->stage = 1; if (m->a >= 0) m->timeout_ms = (uint32_t)m->a; }
    for (uint32_t i = 0; i < m->nfds; i++) {
        struct asnet_pollfd *p = &m->fds[i];
        p->revents = 0;
        if (p->fd < 0) continue;
        const struct sock *s = sock_get(p->fd);
        short r = s ? readiness(s) : ASNET_POLLNVAL;
        p->revents = (short)(r & (p->events | ASNET_POLLERR | ASNET_POLLHUP | ASNET_POLLNVAL));
        if (p->revents) ready++;
    }
    if (ready || m->a == 0 || m->stage == 2) { m->ret = ready; return 1; }
    return 0;
}

int sock_op_select(struct sock_msg *m)
{
    if (m->stage == 0) {
        m->stage = 1;
        for (int k = 0; k < 3; k++) {
            if (m->sets[k]) m->in_sets[k] = *m->sets[k]; else memset(&m->in_sets[k], 0, sizeof m->in_sets[k]);
        }
        for (int fd = 0; fd < m->a; fd++) {
            int any = ASNET_FD_ISSET(fd, &m->in_sets[0]) | ASNET_FD_ISSET(fd, &m->in_sets[1]) | ASNET_FD_ISSET(fd, &m->in_sets[2]);
            if (any && sock_get(fd) == NULL) { sock_fail(m, EBADF); return 1; }
        }
        if (m->b >= 0) m->timeout_ms = (uint32_t)m->b;
    }
    asnet_fd_set out[3];
    memset(out, 0, sizeof out);
    int ready = 0;
    for (int fd = 0; fd < m->a; fd++) {
        const struct sock *s = sock_get(fd);
        if (s == NULL) continue;
        short r = readiness(s);
        if (ASNET_FD_ISSET(fd, &m->in_sets[0]) && (r & (ASNET_POLLIN | ASNET_POLLHUP | ASNET_POLLERR))) { ASNET_FD_SET(fd, &out[0]); ready++; }
        if (ASNET_FD_ISSET(fd, &m->in_sets[1]) && (r & (ASNET_POLLOUT | ASNET_POLLERR))) { ASNET_FD_SET(fd, &out[1]); ready++; }
    }
    if (!ready && m->b != 0 && m->stage != 2) return 0;
    for (int k = 0; k < 3; k++) if (m->sets[k]) *m->sets[k] = out[k];
    m->ret = ready;
    return 1;
}
