/* The stack task of the sockets layer (lwIP's tcpip_thread model): the message queue in front of
 * the stack, the descriptor table, the events that keep each descriptor's readiness, and the parked
 * blocking calls answered when an event or their timeout comes. */
#include <errno.h>
#include <string.h>
#include "asnet.h"
#include "stack_glue.h"
#include "sock_internal.h"

struct sock sock_table[ASNET_SOCK_MAX];
struct asnet_sock_stats sock_stats;

static osal_queue_t queue;
static struct sock_msg *queue_storage[ASNET_SOCK_QUEUE_DEPTH];
static struct sock_msg *parked[ASNET_SOCK_PARKED_MAX];
static uint32_t parked_count;
static struct asnet_sock_port port;
static osal_sem_t default_wake;
static int ready, stopping, dirty;

/* ---- descriptors ---- */

struct sock *sock_get(int fd)
{
    int i = fd - ASNET_SOCK_FD_BASE;
    if (i < 0 || i >= ASNET_SOCK_MAX || !sock_table[i].used) return NULL;
    return &sock_table[i];
}

struct sock *sock_of(struct sock_msg *m)
{
    struct sock *s = sock_get(m->fd);
    if (s && m->stage == 0) m->gen = s->gen;
    if (s == NULL || s->gen != m->gen) { sock_fail(m, EBADF); return NULL; }
    return s;
}

struct sock *sock_alloc(void)
{
    for (int i = 0; i < ASNET_SOCK_MAX; i++) {
        struct sock *s = &sock_table[i];
        if (s->used) continue;
        uint16_t gen = (uint16_t)(s->gen + 1u);
        memset(s, 0, sizeof *s);
        s->gen = gen;
        return s;
    }
    return NULL;
}

void sock_kick(void) { dirty = 1; }

int sock_take_error(struct sock *s)
{
    int e = s->err;
    s->err = 0;
    if (e) s->err_taken = 1;
    return e;
}

int sock_fd(const struct sock *s) { return (int)(s - sock_table) + ASNET_SOCK_FD_BASE; }

void sock_fail(struct sock_msg *m, int err) { m->ret = -1; m->err = err; }

void sock_route(struct sock *s) { asnet_on_event(s->h, sock_event, s); }

/* The stack's errors are Linux's numbers, negated (docs/ABI.md); errno is the C library's. */
int sock_host_errno(int32_t e)
{
    switch (e) {
    case STACK_EPERM: return EPERM;
    case STACK_ENOENT: return ENOENT;
    case STACK_EBADF: return EBADF;
    case STACK_EAGAIN: return EAGAIN;
    case STACK_EFAULT: return EFAULT;
    case STACK_EINVAL: return EINVAL;
    case STACK_EMFILE: return ENOBUFS;          /* the stack's pool, not the descriptor table */
    case STACK_EPIPE: return EPIPE;
    case STACK_ENOSYS: return ENOSYS;
    case STACK_EDESTADDRREQ: return EDESTADDRREQ;
    case STACK_EMSGSIZE: return EMSGSIZE;
    case STACK_ENOPROTOOPT: return ENOPROTOOPT;
    case STACK_EOPNOTSUPP: return EOPNOTSUPP;
    case STACK_EADDRINUSE: return EADDRINUSE;
    case STACK_EADDRNOTAVAIL: return EADDRNOTAVAIL;
    case STACK_ENETDOWN: return ENETDOWN;
    case STACK_ECONNABORTED: return ECONNABORTED;
    case STACK_ECONNRESET: return ECONNRESET;
    case STACK_ENOBUFS: return ENOBUFS;
    case STACK_EISCONN: return EISCONN;
    case STACK_ENOTCONN: return ENOTCONN;
    case STACK_ETIMEDOUT: return ETIMEDOUT;
    case STACK_ECONNREFUSED: return ECONNREFUSED;
    case STACK_EHOSTUNREACH: return EHOSTUNREACH;
    case STACK_EALREADY: return EALREADY;
    case STACK_EINPROGRESS: return EINPROGRESS;
    default: return EIO;
    }
}

/* Events keep the descriptor's readiness (select/poll) and wake the parked calls. */
void sock_event(int32_t h, uint32_t ev, void *ctx)
{
    struct sock *s = ctx;
    if (!s->used || s->h != h) return;
    if (ev & STACK_EV_CONNECTED) { s->connecting = 0; s->connected = 1; s->tx_ready = 1; }
    if (ev & STACK_EV_READABLE) s->rx_ready = 1;
    if (ev & STACK_EV_WRITABLE) s->tx_ready = 1;
    if (ev & STACK_EV_ACCEPT) s->acc_ready = 1;
    if (ev & STACK_EV_ERROR) {
        int32_t why = s->type == ASNET_SOCK_STREAM ? asnet_tcp_getsockopt(h, STACK_SO_ERROR) : 0;
        if (why > 0 && s->err == 0 && !s->err_taken) s->err = sock_host_errno(-why);
        if (s->type == ASNET_SOCK_DGRAM) { if (s->err == 0) s->err = ECONNREFUSED; }
        else { s->dead = 1; s->connecting = 0; s->rx_ready = s->tx_ready = 1; }
    }
    if (ev & STACK_EV_CLOSED) s->rx_ready = 1;
    dirty = 1;
}

/* After a trap the module was re-instantiated: every handle is gone. */
static void forget_handles(void)
{
    for (int i = 0; i < ASNET_SOCK_MAX; i++) {
        struct sock *s = &sock_table[i];
        if (!s->used) continue;
        s->h = 0;
        s->dead = 1; s->connecting = 0; s->listening = 0;
        s->rx_ready = s->tx_ready = s->acc_ready = 1;
        if (s->err == 0) s->err = ECONNABORTED;
    }
    dirty = 1;
}

/* ---- messages ---- */

static int run_op(struct sock_msg *m)
{
    switch (m->op) {
    case OP_SOCKET: return sock_op_socket(m);
    case OP_BIND: return sock_op_bind(m);
    case OP_LISTEN: return sock_op_listen(m);
    case OP_ACCEPT: return sock_op_accept(m);
    case OP_CONNECT: return sock_op_connect(m);
    case OP_SEND: return sock_op_send(m);
    case OP_RECV: return sock_op_recv(m);
    case OP_SHUTDOWN: return sock_op_shutdown(m);
    case OP_CLOSE: return sock_op_close(m);
    case OP_SETOPT: return sock_op_setopt(m);
    case OP_GETOPT: return sock_op_getopt(m);
    case OP_NAME: return sock_op_name(m);
    case OP_FCNTL: return sock_op_fcntl(m);
    case OP_POLL: return sock_op_poll(m);
    case OP_SELECT: return sock_op_select(m);
    case OP_GAI: return sock_op_gai(m);
    case OP_FREEAI: return sock_op_freeai(m);
    case OP_STATS: memcpy(m->buf, &sock_stats, sizeof sock_stats); m->ret = 0; return 1;
    case OP_STOP: stopping = 1; m->ret = 0; return 1;
    default: sock_fail(m, ENOSYS); return 1;
    }
}

static void answer(struct sock_msg *m) { osal_sem_post(&m->done_sem); }

void sock_set_timeout(struct sock_msg *m, uint32_t ms)
{
    if (m->timeout_ms == OSAL_FOREVER && ms != 0) m->timeout_ms = ms;
}

static void execute(struct sock_msg *m)
{
    m->start_ms = osal_now_ms();
    sock_stats.messages++;
    if (run_op(m)) { answer(m); return; }
    if (parked_count == ASNET_SOCK_PARKED_MAX) { sock_fail(m, ENOBUFS); answer(m); return; }
    parked[parked_count++] = m;
    sock_stats.parked++;
    if (parked_count > sock_stats.parked_high) sock_stats.parked_high = parked_count;
}

static void unpark(uint32_t i)
{
    answer(parked[i]);
    parked[i] = parked[--parked_count];
}

/* Every parked call tries again (an event came), or answers at its timeout. */
static void retry_parked(uint32_t now)
{
    for (uint32_t i = 0; i < parked_count;) {
        struct sock_msg *m = parked[i];
        if (run_op(m)) { unpark(i); continue; }
        if (m->timeout_ms != OSAL_FOREVER && now - m->start_ms >= m->timeout_ms) {
            sock_timeout(m);
            sock_stats.timeouts++;
            unpark(i);
            continue;
        }
        i++;
    }
}

/* ms until the first parked call's timeout (cap when none). */
static int32_t next_timeout(uint32_t now, int32_t cap)
{
    for (uint32_t i = 0; i < parked_count; i++) {
        const struct sock_msg *m = parked[i];
        if (m->timeout_ms == OSAL_FOREVER) continue;
        uint32_t spent = now - m->start_ms;
        int32_t left = spent >= m->timeout_ms ? 0 : (int32_t)(m->timeout_ms - spent);
        if (left < cap) cap = left;
    }
    return cap;
}

/* EV_WRITABLE comes with an ACK of the connection's own data (docs/ABI.md). A send refused for want
 * of the shared buffer pool while nothing of the connection is in flight gets no ACK, so no event:
 * such a descriptor is looked at again every SOCK_TX_RECHECK_MS (send queue empty: writable, the
 * next send tells). Returns how many wait that way. */
#define SOCK_TX_RECHECK_MS 50u
static uint32_t recheck_writable(void)
{
    uint32_t waiting = 0, io = stack_glue_io(NULL);
    for (int i = 0; i < ASNET_SOCK_MAX; i++) {
        struct sock *s = &sock_table[i];
        if (!s->used || s->type != ASNET_SOCK_STREAM || !s->connected || s->dead || s->tx_ready || s->h <= 0) continue;
        const uint8_t *p = stack_glue_call2(STACK_RT_tcp_info, (uint32_t)s->h, io) == 0 ? stack_glue_mem(io, 40) : NULL;
        uint32_t send_queue = 1;
        if (p) memcpy(&send_queue, p + 36, 4);                 /* tcp_info word 9, little-endian */
        if (send_queue == 0) { s->tx_ready = 1; dirty = 1; }
        waiting++;
    }
    return waiting;
}

/* ---- the stack task ---- */

static void default_wait(int32_t ms) { (void)osal_sem_wait(&default_wake, ms < 0 ? 0 : (uint32_t)ms); }
static void default_wake_fn(void) { osal_sem_post(&default_wake); }

int asnet_sock_init(const struct asnet_sock_port *p)
{
    memset(sock_table, 0, sizeof sock_table);
    memset(&sock_stats, 0, sizeof sock_stats);
    parked_count = 0;
    stopping = 0;
    if (osal_queue_init(&queue, queue_storage, sizeof(struct sock_msg *), ASNET_SOCK_QUEUE_DEPTH) < 0) return -1;
    if (p) port = *p;
    else {
        if (osal_sem_init(&default_wake, 0) < 0) return -1;
        port.wait = default_wait;
        port.wake = default_wake_fn;
    }
    ready = 1;
    return 0;
}

/* Connections whose sockets were closed but that still owe the peer data or a FIN: RFC 9293 §3.10.4
 * CLOSE leaves them to deliver it, and a kernel keeps them after the process exits. */
static int32_t owing(void)
{
    return asnet_netstat_count(STACK_FIN_WAIT_1) + asnet_netstat_count(STACK_CLOSING) + asnet_netstat_count(STACK_LAST_ACK);
}

/* After asnet_sock_stop: the stack keeps running (retransmissions, the peer's ACKs) until those are
 * delivered or ASNET_SOCK_STOP_DRAIN_MS passed, so an application that closes and returns loses
 * nothing a lost last segment held. */
static void drain_closed(void)
{
    uint32_t start = osal_now_ms();
    while (owing() > 0 && osal_now_ms() - start < ASNET_SOCK_STOP_DRAIN_MS) {
        int32_t next = asnet_poll();
        port.wait(next <= 0 ? 1 : next > 50 ? 50 : next);
    }
}

void asnet_sock_stack_run(void)
{
    uint32_t last_recheck = osal_now_ms(), tx_waiting = 0;
    while (!stopping) {
        int32_t next = 0;
        for (int round = 0; round < 8; round++) {          /* until nothing more happens, bounded */
            int busy = 0;
            struct sock_msg *m;
            while (!stopping && osal_queue_recv(&queue, &m, 0) == 0) { execute(m); busy = 1; }
            next = asnet_poll();
            if (asnet_trapped(NULL)) forget_handles();
            if (dirty) { dirty = 0; busy = 1; retry_parked(osal_now_ms()); }
            if (!busy) break;
        }
        uint32_t now = osal_now_ms();
        if (now - last_recheck >= SOCK_TX_RECHECK_MS) {
            last_recheck = now;
            tx_waiting = recheck_writable();
        }
        retry_parked(now);                                  /* the timeouts that fell due */
        int32_t wait = next_timeout(now, next < 0 ? 0 : next);
        if (tx_waiting && wait > (int32_t)SOCK_TX_RECHECK_MS) wait = SOCK_TX_RECHECK_MS;
        if (wait > 0 && !stopping) { port.wait(wait); sock_stats.wakeups++; }
    }
    ready = 0;                                             /* later calls answer ENETDOWN */
    for (uint32_t i = 0; i < parked_count; i++) { sock_fail(parked[i], ECANCELED); answer(parked[i]); }
    parked_count = 0;
    struct sock_msg *m;
    while (osal_queue_recv(&queue, &m, 0) == 0) { sock_fail(m, ECANCELED); answer(m); }
    drain_closed();
}

/* ---- the calling task's side ---- */

/* Posts m to the stack task and waits for its answer: the result, or -1 with errno. */
ssize_t sock_call(struct sock_msg *m);
ssize_t sock_call(struct sock_msg *m)
{
    if (!ready) { m->ret = -1; m->err = ENETDOWN; errno = ENETDOWN; return -1; }
    m->ret = 0; m->err = 0; m->stage = 0; m->done = 0;
    if (m->timeout_ms == 0) m->timeout_ms = OSAL_FOREVER;
    if (osal_sem_init(&m->done_sem, 0) < 0) { errno = ENOMEM; return -1; }
    (void)osal_queue_send(&queue, &m, OSAL_FOREVER);
    port.wake();
    (void)osal_sem_wait(&m->done_sem, OSAL_FOREVER);
    osal_sem_destroy(&m->done_sem);
    if (m->ret < 0) { errno = m->err; return -1; }
    return m->ret;
}

void asnet_sock_stop(void)
{
    struct sock_msg m = { .op = OP_STOP };
    (void)sock_call(&m);
}

void asnet_sock_get_stats(struct asnet_sock_stats *out)
{
    struct sock_msg m = { .op = OP_STATS, .buf = out };
    (void)sock_call(&m);
}
