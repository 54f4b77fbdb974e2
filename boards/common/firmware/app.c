/* Echo and HTTP servers on the stack's socket API (docs/ABI.md "Sockets", "Events"). Every open
 * connection is pumped on each pass, so correctness does not depend on which events were seen;
 * events only tell the console what happened. */
#include <stdio.h>
#include <string.h>
#include "app.h"
#include "asnet.h"
#include "board.h"

#define ECHO_PORT 7u
#define HTTP_PORT 80u
#define BACKLOG 4u
#define MAX_CONNS 4u
#define PENDING_CAP 2048u
#define HTTP_REQUEST_CAP 512u
/* The page names the board: each board's Makefile defines both (boards/common/firmware/firmware.mk). */
#ifndef APP_BOARD_NAME
#define APP_BOARD_NAME "bare-metal board"
#endif
#ifndef APP_BOARD_DETAIL
#define APP_BOARD_DETAIL "asnet firmware"
#endif

enum conn_kind { CONN_FREE, CONN_ECHO, CONN_HTTP };

struct conn {
    enum conn_kind kind;
    int32_t handle;
    uint8_t pending[PENDING_CAP];  /* bytes accepted from the peer, not yet taken by tcp_send */
    uint32_t pending_len;
    uint32_t request_len;          /* HTTP: header bytes seen so far */
    int close_after_flush;
    uint32_t bytes_in, bytes_out, opened_ms;
};

static struct conn conns[MAX_CONNS];
static int32_t echo_listener, http_listener;
static uint8_t rx[PENDING_CAP];

static void print_state_change(uint32_t slot, uint32_t from, uint32_t to)
{
    printf("tcp: pcb %lu %s -> %s\n", (unsigned long)slot, asnet_state_name(from), asnet_state_name(to));
}

int app_start(void)
{
    asnet_on_trace(print_state_change);
    echo_listener = asnet_tcp_listen(ECHO_PORT, BACKLOG, NULL, NULL);   /* polled: no callbacks */
    http_listener = asnet_tcp_listen(HTTP_PORT, BACKLOG, NULL, NULL);
    printf("app: echo on :%u (%ld), http on :%u (%ld), io buffer %lu bytes\n", ECHO_PORT,
           (long)echo_listener, HTTP_PORT, (long)http_listener, (unsigned long)PENDING_CAP);
    return echo_listener < 0 || http_listener < 0 ? -1 : 0;
}

static struct conn *conn_alloc(int32_t h, enum conn_kind kind)
{
    for (uint32_t i = 0; i < MAX_CONNS; i++) {
        if (conns[i].kind == CONN_FREE) {
            memset(&conns[i], 0, sizeof conns[i]);
            conns[i].kind = kind;
            conns[i].handle = h;
            conns[i].opened_ms = board_now_ms();
            return &conns[i];
        }
    }
    return NULL;
}

static void accept_all(int32_t listener, enum conn_kind kind)
{
    int32_t h;
    while ((h = asnet_tcp_accept(listener, NULL, NULL)) > 0) {
        if (conn_alloc(h, kind) == NULL) {
            printf("app: no connection slot, aborting handle %ld\n", (long)h);
            (void)asnet_tcp_abort(h);
        }
    }
}

static void conn_report_and_free(struct conn *c, const char *why)
{
    uint32_t ms = board_now_ms() - c->opened_ms;
    uint32_t kbps = ms ? (uint32_t)((uint64_t)(c->bytes_in + c->bytes_out) * 8u / ms) : 0;
    printf("conn: %s handle %ld %s: in %lu out %lu bytes, %lu ms, %lu kbit/s\n",
           c->kind == CONN_ECHO ? "echo" : "http", (long)c->handle, why,
           (unsigned long)c->bytes_in, (unsigned long)c->bytes_out, (unsigned long)ms,
           (unsigned long)kbps);
    c->kind = CONN_FREE;
}

static void conn_close(struct conn *c, const char *why)
{
    (void)asnet_tcp_close(c->handle);
    conn_report_and_free(c, why);
}

/* Hand pending bytes to tcp_send; keep whatever it could not take. */
static int flush_pending(struct conn *c)
{
    while (c->pending_len > 0) {
        int32_t sent = asnet_tcp_send(c->handle, c->pending, c->pending_len);
        if (sent == STACK_EAGAIN) return 0;
        if (sent < 0) return sent;
        if (sent == 0) return 0;
        memmove(c->pending, c->pending + sent, c->pending_len - (uint32_t)sent);
        c->pending_len -= (uint32_t)sent;
        c->bytes_out += (uint32_t)sent;
    }
    return 0;
}

static void http_build_response(struct conn *c)
{
    char body[512], states[200];
    size_t sl = 0;                                /* netstat: connections per state, the leak check */
    states[0] = 0;
    for (uint32_t st = 0; st <= STACK_TIME_WAIT; st++) {
        int32_t n = asnet_netstat_count((int)st);
        if (n > 0 && sl < sizeof states) sl += (size_t)snprintf(states + sl, sizeof states - sl, " %s=%ld", asnet_state_name(st), (long)n);
    }
    int blen = snprintf(body, sizeof body,
        "<html><body><h1>asnet on " APP_BOARD_NAME "</h1><p>" APP_BOARD_DETAIL ", uptime %lu ms, "
        "tcp in %ld out %ld</p><p>netstat:%s</p></body></html>\n", (unsigned long)board_now_ms(),
        (long)asnet_stat(STACK_STAT_tcp_in), (long)asnet_stat(STACK_STAT_tcp_out), states);
    int n = snprintf((char *)c->pending, PENDING_CAP,
        "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
        blen, body);
    c->pending_len = (uint32_t)n;
    c->close_after_flush = 1;
}

/* Echo (RFC 862): whatever arrives goes back. HTTP: answer once the header ends, then close. */
static void consume(struct conn *c, const uint8_t *data, uint32_t n)
{
    c->bytes_in += n;
    if (c->kind == CONN_ECHO) {
        memcpy(c->pending + c->pending_len, data, n);
        c->pending_len += n;
        return;
    }
    static const char end[] = "\r\n\r\n";
    for (uint32_t i = 0; i < n && !c->close_after_flush; i++) {
        c->request_len = data[i] == (uint8_t)end[c->request_len % 4] ? c->request_len + 1
                       : (data[i] == '\r' ? 1 : 0);
        if (c->request_len == 4) http_build_response(c);
    }
}

static void pump(struct conn *c)
{
    if (flush_pending(c) < 0) { conn_close(c, "send failed"); return; }
    if (c->close_after_flush) {
        if (c->pending_len == 0) conn_close(c, "served");
        return;
    }
    while (c->pending_len == 0) {
        int32_t got = asnet_tcp_recv(c->handle, rx, sizeof rx);
        if (got == STACK_EAGAIN) return;
        if (got == 0) { conn_close(c, "peer closed"); return; }
        if (got < 0) { conn_close(c, "error"); return; }
        consume(c, rx, (uint32_t)got);
        if (flush_pending(c) < 0) { conn_close(c, "send failed"); return; }
        if (c->close_after_flush) return;
    }
}

uint32_t app_poll(void)
{
    uint32_t next = (uint32_t)asnet_poll();     /* frames in, timers, events and state changes out */
    accept_all(echo_listener, CONN_ECHO);
    accept_all(http_listener, CONN_HTTP);
    for (uint32_t i = 0; i < MAX_CONNS; i++) {
        if (conns[i].kind != CONN_FREE) pump(&conns[i]);
    }
    return next;
}
