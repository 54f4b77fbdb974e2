/* The calling task's side: each call fills a message on its own stack, posts it to the stack task
 * and waits for the answer (sock_core.c sock_call). No call here touches the descriptor table. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include "sock_internal.h"

ssize_t sock_call(struct sock_msg *m);

static int call_int(struct sock_msg *m) { return (int)sock_call(m); }

int asnet_socket(int domain, int type, int protocol)
{
    struct sock_msg m = { .op = OP_SOCKET, .a = domain, .b = type, .c = protocol };
    return call_int(&m);
}

int asnet_bind(int fd, const void *addr, asnet_socklen_t len)
{
    struct sock_msg m = { .op = OP_BIND, .fd = fd, .addr_in = addr, .addr_in_len = len };
    return call_int(&m);
}

int asnet_listen(int fd, int backlog)
{
    struct sock_msg m = { .op = OP_LISTEN, .fd = fd, .a = backlog };
    return call_int(&m);
}

int asnet_accept(int fd, void *addr, asnet_socklen_t *len)
{
    struct sock_msg m = { .op = OP_ACCEPT, .fd = fd, .addr_out = addr, .addr_out_len = len };
    return call_int(&m);
}

int asnet_connect(int fd, const void *addr, asnet_socklen_t len)
{
    struct sock_msg m = { .op = OP_CONNECT, .fd = fd, .addr_in = addr, .addr_in_len = len };
    return call_int(&m);
}

ssize_t asnet_sendto(int fd, const void *buf, size_t len, int flags, const void *to, asnet_socklen_t tolen)
{
    struct sock_msg m = { .op = OP_SEND, .fd = fd, .cbuf = buf, .len = len, .c = flags, .addr_in = to, .addr_in_len = tolen };
    return sock_call(&m);
}

ssize_t asnet_recvfrom(int fd, void *buf, size_t len, int flags, void *from, asnet_socklen_t *fromlen)
{
    struct sock_msg m = { .op = OP_RECV, .fd = fd, .buf = buf, .len = len, .c = flags, .addr_out = from, .addr_out_len = fromlen };
    return sock_call(&m);
}

ssize_t asnet_send(int fd, const void *buf, size_t len, int flags) { return asnet_sendto(fd, buf, len, flags, NULL, 0); }
ssize_t asnet_recv(int fd, void *buf, size_t len, int flags) { return asnet_recvfrom(fd, buf, len, flags, NULL, NULL); }
ssize_t asnet_read(int fd, void *buf, size_t len) { return asnet_recvfrom(fd, buf, len, 0, NULL, NULL); }
ssize_t asnet_write(int fd, const void *buf, size_t len) { return asnet_sendto(fd, buf, len, 0, NULL, 0); }

int asnet_shutdown(int fd, int how)
{
    struct sock_msg m = { .op = OP_SHUTDOWN, .fd = fd, .a = how };
    return call_int(&m);
}

int asnet_close(int fd)
{
    struct sock_msg m = { .op = OP_CLOSE, .fd = fd };
    return call_int(&m);
}

int asnet_setsockopt(int fd, int level, int name, const void *val, asnet_socklen_t len)
{
    struct sock_msg m = { .op = OP_SETOPT, .fd = fd, .a = level, .b = name, .cbuf = val, .len = len };
    return call_int(&m);
}

int asnet_getsockopt(int fd, int level, int name, void *val, asnet_socklen_t *len)
{
    struct sock_msg m = { .op = OP_GETOPT, .fd = fd, .a = level, .b = name, .buf = val, .addr_out_len = len };
    return call_int(&m);
}

static int name_call(int fd, void *addr, asnet_socklen_t *len, int peer)
{
    if (addr == NULL || len == NULL) { errno = EFAULT; return -1; }
    struct sock_msg m = { .op = OP_NAME, .fd = fd, .a = peer, .addr_out = addr, .addr_out_len = len };
    return call_int(&m);
}

int asnet_getsockname(int fd, void *addr, asnet_socklen_t *len) { return name_call(fd, addr, len, 0); }
int asnet_getpeername(int fd, void *addr, asnet_socklen_t *len) { return name_call(fd, addr, len, 1); }

int asnet_fcntl(int fd, int cmd, ...)
{
    int arg = 0;
    if (cmd == F_SETFL) { va_list ap; va_start(ap, cmd); arg = va_arg(ap, int); va_end(ap); }
    struct sock_msg m = { .op = OP_FCNTL, .fd = fd, .a = cmd, .b = arg };
    return call_int(&m);
}

int asnet_select(int nfds, asnet_fd_set *rd, asnet_fd_set *wr, asnet_fd_set *ex, struct timeval *tv)
{
    if (nfds < 0 || (tv && (tv->tv_sec < 0 || tv->tv_usec < 0))) { errno = EINVAL; return -1; }
    long ms = tv ? (long)tv->tv_sec * 1000L + (long)(tv->tv_usec + 999) / 1000L : -1;
    struct sock_msg m = { .op = OP_SELECT, .a = nfds > ASNET_FD_SETSIZE ? ASNET_FD_SETSIZE : nfds,
                          .b = ms > 0x7fffffffL ? 0x7fffffff : (int)ms, .sets = { rd, wr, ex } };
    return call_int(&m);
}

int asnet_sock_poll(struct asnet_pollfd *fds, asnet_nfds_t nfds, int timeout_ms)
{
    if (fds == NULL && nfds > 0) { errno = EFAULT; return -1; }
    struct sock_msg m = { .op = OP_POLL, .fds = fds, .nfds = nfds, .a = timeout_ms < 0 ? -1 : timeout_ms };
    return call_int(&m);
}

int asnet_getaddrinfo(const char *node, const char *service, const struct asnet_addrinfo *hints,
                      struct asnet_addrinfo **res)
{
    if (res == NULL) return ASNET_EAI_FAIL;
    *res = NULL;
    int saved = errno;
    struct sock_msg m = { .op = OP_GAI, .node = node, .service = service, .hints = hints, .res = res };
    if (sock_call(&m) < 0 && m.ret == -1 && m.err) { m.ret = ASNET_EAI_SYSTEM; saved = m.err; }
    errno = saved;
    return (int)m.ret;
}

void asnet_freeaddrinfo(struct asnet_addrinfo *ai)
{
    if (ai == NULL) return;
    struct sock_msg m = { .op = OP_FREEAI, .buf = ai };
    (void)sock_call(&m);
}
