/* The demo services on the C application API (boards/common/asnet.h): echo (RFC 862, port 7),
 * discard (RFC 863, port 9), chargen (RFC 864, port 19) and a one-page HTTP/1.0 server (RFC 1945,
 * port 80). Each connection is driven by its events; bytes read but not yet accepted by the send
 * buffer wait in the connection's stash, so echo never loses data under backpressure. */
#include <stdio.h>
#include <string.h>
#include "asnet.h"
#include "chargen.h"
#include "posix.h"

#define MAX_CONNS 16
#define STASH 4096

enum kind { FREE, ECHO, DISCARD, CHARGEN, HTTP };
struct conn {
    enum kind kind;
    int32_t h;
    uint32_t stash_len, matched, chargen_off;    /* chargen_off: position in the stream mod CHARGEN_PERIOD */
    uint8_t stash[STASH];
};
static struct conn conns[MAX_CONNS];
static struct { int32_t h; intptr_t kind; } listeners[4];
static int listener_count;

static const char page[] =
    "<html><body><h1>asnet</h1><p>served by the wasm2c-compiled stack on the posix board</p></body></html>\n";

static void conn_free(struct conn *c) { asnet_tcp_close(c->h); c->kind = FREE; }

/* Echo: flush the stash, then read only what the stash can hold. */
static void echo_pump(struct conn *c)
{
    for (int round = 0; round < 64; round++) {
        if (c->stash_len > 0) {
            int32_t n = asnet_tcp_send(c->h, c->stash, c->stash_len);
            if (n < 0 && n != STACK_EAGAIN) { conn_free(c); return; }
            if (n > 0) { memmove(c->stash, c->stash + n, c->stash_len - (uint32_t)n); c->stash_len -= (uint32_t)n; }
            if (c->stash_len > 0) return;                  /* EV_WRITABLE resumes */
        }
        int32_t r = asnet_tcp_recv(c->h, c->stash, STASH);
        if (r == STACK_EAGAIN) return;
        if (r == 0) { conn_free(c); return; }      /* peer's FIN, all echoed: close sends ours and frees the handle */
        if (r < 0) { conn_free(c); return; }
        c->stash_len = (uint32_t)r;
    }
}

static void discard_pump(struct conn *c)
{
    uint8_t buf[2048];
    for (int round = 0; round < 64; round++) {
        int32_t r = asnet_tcp_recv(c->h, buf, sizeof buf);
        if (r == STACK_EAGAIN) return;
        if (r <= 0) { conn_free(c); return; }
    }
}

/* Chargen: the RFC 864 rotating 72-character lines (boards/common/chargen.h), as fast as the send
 * buffer takes them, straight from the ring; a send taken only in part continues from where it
 * stopped, so the pattern never breaks.
 * What the user sends is read and thrown away; their FIN ends the service ("until the calling user
 * terminates the connection"). */
static uint8_t chargen_ring[CHARGEN_RING];              /* filled once, at services_start */

static void chargen_pump(struct conn *c)
{
    uint8_t sink[512];
    for (;;) {                                             /* what the client sends is discarded */
        int32_t r = asnet_tcp_recv(c->h, sink, sizeof sink);
        if (r == STACK_EAGAIN) break;
        if (r <= 0) { conn_free(c); return; }
    }
    for (;;) {                                             /* as much as the send buffer takes */
        int32_t n = asnet_tcp_send(c->h, chargen_ring + c->chargen_off, CHARGEN_PERIOD);
        if (n == STACK_EAGAIN) return;                     /* EV_WRITABLE resumes */
        if (n < 0) { conn_free(c); return; }
        c->chargen_off = (c->chargen_off + (uint32_t)n) % CHARGEN_PERIOD;
        if ((uint32_t)n < CHARGEN_PERIOD) return;
    }
}

/* HTTP: find the end of the request head (CR LF CR LF, possibly split over reads), answer, close. */
static void http_pump(struct conn *c)
{
    uint8_t buf[1024];
    while (c->matched < 4) {                               /* until EAGAIN: a FIN may already be queued */
        int32_t r = asnet_tcp_recv(c->h, buf, sizeof buf);
        if (r == STACK_EAGAIN) return;
        if (r <= 0) { conn_free(c); return; }              /* the peer closed before its request ended */
        for (int32_t i = 0; i < r && c->matched < 4; i++) {
            uint8_t want = (c->matched & 1) ? '\n' : '\r';
            c->matched = buf[i] == want ? c->matched + 1 : (buf[i] == '\r' ? 1 : 0);
        }
    }
    char head[160];
    int n = snprintf(head, sizeof head, "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n", sizeof page - 1);
    asnet_tcp_send(c->h, head, (size_t)n);
    asnet_tcp_send(c->h, page, sizeof page - 1);
    conn_free(c);                                          /* graceful: FIN after the page */
}

static void conn_event(int32_t h, uint32_t events, void *ctx)
{
    struct conn *c = ctx;
    (void)h;
    if (c->kind == FREE) return;
    if (events & STACK_EV_ERROR) { conn_free(c); return; }
    /* The connection ended (LAST_ACK done, or TIME_WAIT): nothing more can be sent, so release the
     * handle now; the stack keeps unread bytes readable, but no service needs them after this. */
    if (events & STACK_EV_CLOSED) { conn_free(c); return; }
    if (c->kind == ECHO) echo_pump(c);
    else if (c->kind == DISCARD) discard_pump(c);
    else if (c->kind == CHARGEN) chargen_pump(c);
    else http_pump(c);
}

static void listener_event(int32_t l, uint32_t events, void *ctx)
{
    enum kind kind = (enum kind)(intptr_t)ctx;
    if (!(events & STACK_EV_ACCEPT)) return;
    for (int n = 0; n < 16; n++) {
        struct conn *c = NULL;
        for (int i = 0; i < MAX_CONNS && !c; i++) if (conns[i].kind == FREE) c = &conns[i];
        if (!c) return;                                    /* left in the accept queue until a slot frees */
        int32_t h = asnet_tcp_accept(l, conn_event, c);
        if (h < 0) return;
        memset(c, 0, sizeof *c - STASH);
        c->kind = kind;
        c->h = h;
        conn_event(h, STACK_EV_READABLE | STACK_EV_WRITABLE, c);   /* data may have come before accept */
    }
}

/* After a trap the module was restarted: every handle is gone (and may be reused), so forget the
 * connections without closing them and open the listeners again. */
int services_restart(unsigned which)
{
    memset(conns, 0, sizeof conns);
    listener_count = 0;
    return services_start(which);
}

int services_start(unsigned which)
{
    static const struct { unsigned bit; uint16_t port; enum kind kind; } table[] = {
        { SVC_ECHO, 7, ECHO }, { SVC_DISCARD, 9, DISCARD }, { SVC_CHARGEN, 19, CHARGEN }, { SVC_HTTP, 80, HTTP },
    };
    if (which & SVC_CHARGEN) chargen_fill(chargen_ring);
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (!(which & table[i].bit)) continue;
        int32_t l = asnet_tcp_listen(table[i].port, 8, listener_event, (void *)(intptr_t)table[i].kind);
        if (l < 0) return l;
        if (listener_count == (int)(sizeof listeners / sizeof listeners[0])) return STACK_ENOBUFS;
        listeners[listener_count].h = l;
        listeners[listener_count++].kind = table[i].kind;
        printf("service: port %u listening\n", table[i].port);
    }
    return 0;
}

/* Connections left in an accept queue while every slot was busy are taken once a slot frees. */
void services_poll(void)
{
    for (int i = 0; i < listener_count; i++) listener_event(listeners[i].h, STACK_EV_ACCEPT, (void *)listeners[i].kind);
}
