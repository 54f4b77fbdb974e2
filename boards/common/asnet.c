/* boards/common/asnet.c: the C application API (asnet.h) over stack_glue.c, so the same code runs
 * on either runtime (stack_rt.h: wasm2c or WAMR).
 * - Events (ev_poll) are routed to per-handle callbacks, state changes (trace_poll) to one callback.
 * - Data passes through the stack's I/O buffer in chunks of its size; every pointer into linear
 *   memory is range-checked (stack_glue_mem), so no call here can read or write outside it.
 * - After a trap the glue restarted the module: every handle is gone, so every route is dropped. */
#include <stdio.h>
#include <string.h>
#include "asnet.h"
#include "board.h"
#include "stack_glue.h"

#define MAX_HANDLES 64u
#define EVENT_BURST 256
#define TRACE_BURST 128

static struct { int32_t handle; asnet_event_fn fn; void *ctx; } routes[MAX_HANDLES];
static asnet_trace_fn trace_fn;
static asnet_event_fn other_fn;
static uint32_t traps_seen;

/* ---- the I/O buffer ---- */

static uint32_t io_size(void) { uint32_t n; (void)stack_glue_io(&n); return n; }

/* Copies len bytes into the I/O buffer at off; its wasm address, or 0 when it does not fit. */
static uint32_t to_io(uint32_t off, const void *data, size_t len)
{
    uint32_t size, io = stack_glue_io(&size);
    uint8_t *dst = len <= size && off <= size - len ? stack_glue_mem(io + off, (uint32_t)len) : NULL;
    if (dst == NULL) return 0;
    memcpy(dst, data, len);
    return io + off;
}

/* Copies len bytes out of the I/O buffer at off; 0, or STACK_EFAULT. */
static int32_t from_io(void *buf, uint32_t off, size_t len)
{
    uint32_t size, io = stack_glue_io(&size);
    const uint8_t *src = len <= size && off <= size - len ? stack_glue_mem(io + off, (uint32_t)len) : NULL;
    if (src == NULL) return STACK_EFAULT;
    memcpy(buf, src, len);
    return 0;
}

/* ---- set-up, routing, main loop ---- */

static void events_after_input(void);

int asnet_init(const struct asnet_config *cfg)
{
    struct stack_glue_config g = { .ip = cfg->ip, .netmask = cfg->netmask, .gateway = cfg->gateway,
                                   .dhcp = cfg->dhcp, .wasm = cfg->wasm, .wasm_len = cfg->wasm_len };
    memcpy(g.mac, cfg->mac, sizeof g.mac);
    memset(routes, 0, sizeof routes);
    traps_seen = 0;
    stack_glue_on_input(events_after_input);
    return stack_glue_start(&g);
}

int asnet_trapped(const char **why) { return stack_glue_trapped(why); }

static void route(int32_t handle, asnet_event_fn fn, void *ctx)
{
    if (handle <= 0) return;
    uint32_t slot = ((uint32_t)handle & 0xffu) - 1u;
    if (slot >= MAX_HANDLES) return;
    routes[slot].handle = handle;
    routes[slot].fn = fn;
    routes[slot].ctx = ctx;
}

void asnet_on_event(int32_t handle, asnet_event_fn fn, void *ctx) { route(handle, fn, ctx); }
void asnet_on_other_events(asnet_event_fn fn) { other_fn = fn; }

void asnet_on_trace(asnet_trace_fn fn) { trace_fn = fn; }

/* A restarted module has none of the old handles. */
static void forget_routes_after_trap(void)
{
    uint32_t traps = stack_glue_stats()->traps;
    if (traps == traps_seen) return;
    traps_seen = traps;
    memset(routes, 0, sizeof routes);
}

static void dispatch_events(void)
{
    for (int n = 0; n < EVENT_BURST; n++) {
        int32_t v = stack_glue_call0(STACK_RT_ev_poll);
        if (v <= 0) return;
        int32_t handle = v & 0xffff;
        uint32_t events = ((uint32_t)v >> 16) & 0xffu;
        uint32_t slot = ((uint32_t)handle & 0xffu) - 1u;
        if (slot < MAX_HANDLES && routes[slot].handle == handle && routes[slot].fn != NULL) {
            routes[slot].fn(handle, events, routes[slot].ctx);
        } else if (other_fn != NULL) {
            other_fn(handle, events, NULL);     /* handles opened inside the module (application code in wasm) */
        }
    }
}

static void dispatch_trace(void)
{
    for (int n = 0; n < TRACE_BURST; n++) {
        int32_t v = stack_glue_call0(STACK_RT_trace_poll);
        if (v < 0) return;                      /* -1: empty (STACK_EIO: trapped) */
        if (trace_fn) trace_fn((uint32_t)v & 0xffu, ((uint32_t)v >> 8) & 0xffu, ((uint32_t)v >> 16) & 0xffu);
    }
}

/* After a frame whose ACK the stack holds: the handlers run now, so that a reply carries it. */
static void events_after_input(void)
{
    forget_routes_after_trap();
    dispatch_events();
}

int32_t asnet_poll(void)
{
    int32_t next = stack_glue_step();
    dispatch_trace();
    forget_routes_after_trap();
    dispatch_events();
    forget_routes_after_trap();
    int32_t d = stack_glue_deadline();   /* what the callbacks' sends armed (a tail-loss probe) */
    return d < next ? d : next;
}

/* ---- TCP ---- */

int32_t asnet_tcp_listen(uint16_t port, int backlog, asnet_event_fn fn, void *ctx)
{
    int32_t h = stack_glue_call0(STACK_RT_tcp_socket);
    if (h < 0) return h;
    (void)stack_glue_call3(STACK_RT_tcp_setsockopt, (uint32_t)h, STACK_SO_REUSEADDR, 1);
    int32_t r = stack_glue_call3(STACK_RT_tcp_bind, (uint32_t)h, 0, port);
    if (r == 0) r = stack_glue_call2(STACK_RT_tcp_listen, (uint32_t)h, (uint32_t)backlog);
    if (r < 0) { asnet_tcp_close(h); return r; }
    route(h, fn, ctx);
    return h;
}

int32_t asnet_tcp_connect(uint32_t ip, uint16_t port, asnet_event_fn fn, void *ctx)
{
    int32_t h = stack_glue_call0(STACK_RT_tcp_socket);
    if (h < 0) return h;
    int32_t r = stack_glue_call3(STACK_RT_tcp_connect, (uint32_t)h, ip, port);
    if (r < 0 && r != STACK_EINPROGRESS) { asnet_tcp_close(h); return r; }
    route(h, fn, ctx);
    return h;
}

int32_t asnet_tcp_accept(int32_t listener, asnet_event_fn fn, void *ctx)
{
    int32_t h = stack_glue_call1(STACK_RT_tcp_accept, (uint32_t)listener);
    if (h > 0) route(h, fn, ctx);
    return h;
}

int32_t asnet_tcp_send(int32_t h, const void *data, size_t len)
{
    size_t done = 0, max = io_size();
    while (done < len) {
        size_t chunk = len - done < max ? len - done : max;
        uint32_t at = to_io(0, (const uint8_t *)data + done, chunk);
        if (at == 0) return done > 0 ? (int32_t)done : STACK_EFAULT;
        int32_t r = stack_glue_call3(STACK_RT_tcp_send, (uint32_t)h, at, (uint32_t)chunk);
        if (r < 0) return done > 0 ? (int32_t)done : r;
        done += (size_t)r;
        if ((size_t)r < chunk) break;
    }
    return (int32_t)done;
}

int32_t asnet_tcp_recv(int32_t h, void *buf, size_t cap)
{
    uint32_t size, io = stack_glue_io(&size);
    uint32_t want = (uint32_t)(cap < size ? cap : size);
    int32_t r = stack_glue_call3(STACK_RT_tcp_recv, (uint32_t)h, io, want);
    if (r > 0 && from_io(buf, 0, (size_t)r) < 0) return STACK_EFAULT;
    return r;
}

/* The region an export described: n bytes at the address it wrote at io_buffer's first word,
 * range-checked like every other pointer into linear memory (STACK_EFAULT if it were outside). */
static int32_t zc_region(int32_t n, uint8_t **at)
{
    *at = NULL;
    if (n <= 0) return n;
    uint32_t size, io = stack_glue_io(&size), addr;
    const uint8_t *w = stack_glue_mem(io, 4);
    if (w == NULL) return STACK_EFAULT;
    memcpy(&addr, w, 4);                   /* little-endian, as wasm */
    *at = stack_glue_mem(addr, (uint32_t)n);
    return *at != NULL ? n : STACK_EFAULT;
}

static uint32_t zc_max(size_t max) { return max > 0x7fffffffu ? 0x7fffffffu : (uint32_t)max; }

int32_t asnet_tcp_send_reserve(int32_t h, size_t max, uint8_t **at)
{
    uint32_t size, io = stack_glue_io(&size);
    return zc_region(stack_glue_call3(STACK_RT_tcp_send_reserve, (uint32_t)h, zc_max(max), io), at);
}

int32_t asnet_tcp_send_commit(int32_t h, size_t n)
{
    return stack_glue_call2(STACK_RT_tcp_send_commit, (uint32_t)h, n > 0x7fffffffu ? 0xffffffffu : (uint32_t)n);
}

int32_t asnet_tcp_recv_peek(int32_t h, size_t max, const uint8_t **at)
{
    uint32_t size, io = stack_glue_io(&size);
    uint8_t *p;
    int32_t r = zc_region(stack_glue_call3(STACK_RT_tcp_recv_peek, (uint32_t)h, zc_max(max), io), &p);
    *at = p;
    return r;
}

int32_t asnet_tcp_recv_consume(int32_t h, size_t n)
{
    return stack_glue_call2(STACK_RT_tcp_recv_consume, (uint32_t)h, n > 0x7fffffffu ? 0xffffffffu : (uint32_t)n);
}

int32_t asnet_tcp_shutdown(int32_t h, int how) { return stack_glue_call2(STACK_RT_tcp_shutdown, (uint32_t)h, (uint32_t)how); }
int32_t asnet_tcp_close(int32_t h) { int32_t r = stack_glue_call1(STACK_RT_tcp_close, (uint32_t)h); route(h, NULL, NULL); return r; }
int32_t asnet_tcp_abort(int32_t h) { int32_t r = stack_glue_call1(STACK_RT_tcp_abort, (uint32_t)h); route(h, NULL, NULL); return r; }
int32_t asnet_tcp_setsockopt(int32_t h, int opt, int32_t val) { return stack_glue_call3(STACK_RT_tcp_setsockopt, (uint32_t)h, (uint32_t)opt, (uint32_t)val); }
int32_t asnet_tcp_getsockopt(int32_t h, int opt) { return stack_glue_call2(STACK_RT_tcp_getsockopt, (uint32_t)h, (uint32_t)opt); }
int32_t asnet_tcp_state(int32_t h) { return stack_glue_call1(STACK_RT_tcp_state, (uint32_t)h); }

/* ---- UDP ---- */

int32_t asnet_udp_open(uint16_t port, asnet_event_fn fn, void *ctx)
{
    int32_t h = stack_glue_call0(STACK_RT_udp_socket);
    if (h < 0) return h;
    int32_t r = stack_glue_call3(STACK_RT_udp_bind, (uint32_t)h, 0, port);
    if (r < 0) { asnet_udp_close(h); return r; }
    route(h, fn, ctx);
    return h;
}

int32_t asnet_udp_sendto(int32_t h, const void *data, size_t len, uint32_t ip, uint16_t port)
{
    if (len > io_size()) return STACK_EMSGSIZE;
    uint32_t at = to_io(0, data, len);
    if (at == 0) return STACK_EFAULT;
    const uint32_t args[5] = { (uint32_t)h, at, (uint32_t)len, ip, port };
    return stack_glue_call(STACK_RT_udp_sendto, args, 5);
}

int32_t asnet_udp_recvfrom(int32_t h, void *buf, size_t cap, uint32_t *ip, uint16_t *port)
{
    uint32_t size, io = stack_glue_io(&size);
    if (size < 8u) return STACK_EFAULT;
    uint32_t want = (uint32_t)(cap < size - 8u ? cap : size - 8u);
    const uint32_t args[4] = { (uint32_t)h, io, want, io + size - 8u };
    int32_t r = stack_glue_call(STACK_RT_udp_recvfrom, args, 4);
    if (r < 0) return r;
    uint32_t addr[2];                          /* little-endian u32s, as wasm stores them */
    if (from_io(buf, 0, (size_t)r) < 0 || from_io(addr, size - 8u, sizeof addr) < 0) return STACK_EFAULT;
    if (ip) *ip = addr[0];
    if (port) *port = (uint16_t)addr[1];
    return r;
}

int32_t asnet_udp_close(int32_t h) { int32_t r = stack_glue_call1(STACK_RT_udp_close, (uint32_t)h); route(h, NULL, NULL); return r; }

/* ---- DHCP and DNS ---- */

int32_t asnet_set_addr(uint32_t ip, uint32_t netmask, uint32_t gateway)
{
    return stack_glue_call3(STACK_RT_netif_set_addr, ip, netmask, gateway);
}

int32_t asnet_dhcp_stop(int32_t h)
{
    route(h, NULL, NULL);
    return stack_glue_call1(STACK_RT_dhcp_stop, (uint32_t)h);
}

int32_t asnet_dhcp_start(asnet_event_fn fn, void *ctx)
{
    int32_t h = stack_glue_call0(STACK_RT_dhcp_start);
    if (h > 0) route(h, fn, ctx);
    return h;
}

int32_t asnet_dhcp_info(int32_t h, uint32_t info[10])
{
    int32_t r = stack_glue_call2(STACK_RT_dhcp_info, (uint32_t)h, stack_glue_io(NULL));
    if (r >= 0 && from_io(info, 0, 40) < 0) return STACK_EFAULT;
    return r;
}

int32_t asnet_dns_set_server(uint32_t ip) { return stack_glue_call1(STACK_RT_dns_set_server, ip); }

int32_t asnet_dns_query(const char *name, asnet_event_fn fn, void *ctx)
{
    size_t len = strlen(name);
    uint32_t at = len > 0 ? to_io(0, name, len) : 0;
    if (at == 0) return STACK_EINVAL;
    int32_t h = stack_glue_call2(STACK_RT_dns_query, at, (uint32_t)len);
    if (h > 0) route(h, fn, ctx);
    return h;
}

int32_t asnet_dns_result(int32_t h, uint32_t *ip, uint32_t *ttl)
{
    int32_t r = stack_glue_call2(STACK_RT_dns_result, (uint32_t)h, stack_glue_io(NULL));
    uint32_t v[2] = { 0, 0 };
    if (r == 0 && from_io(v, 0, sizeof v) < 0) r = STACK_EFAULT;
    if (r == 0 && ip) *ip = v[0];
    if (r == 0 && ttl) *ttl = v[1];
    if (r != STACK_EAGAIN) route(h, NULL, NULL);
    return r;
}

/* ---- operator view ---- */

int32_t asnet_sysctl_set(int id, int32_t val) { return stack_glue_call2(STACK_RT_sysctl_set, (uint32_t)id, (uint32_t)val); }
int32_t asnet_stat(int id) { return (int32_t)stack_glue_stat((uint32_t)id); }

#define STAT_NAME_OF(n, v) [v] = #n,
static const char *const stat_names[] = { STACK_STAT_LIST(STAT_NAME_OF) };

/* netstat -s: one line per protocol (the counter name's prefix), non-zero counters only, e.g.
 * "stats tcp: in 812 out 790 retrans 3 challenge_acks 2". Counters include what instances lost to
 * a trap had counted (stack_glue_stat). */
void asnet_log_stats(void)
{
    char line[160];
    size_t n = 0;
    const char *group = "";
    size_t glen = 0;
    for (uint32_t id = 0; id < STACK_STAT_COUNT; id++) {
        const char *name = stat_names[id];
        const char *us = strchr(name, '_');
        size_t plen = us ? (size_t)(us - name) : strlen(name);
        uint32_t v = stack_glue_stat(id);
        if (v == 0) continue;
        if (plen != glen || strncmp(name, group, plen) != 0 || n > sizeof line - 40) {
            if (n) board_log(line);
            group = name; glen = plen;
            n = (size_t)snprintf(line, sizeof line, "stats %.*s:", (int)plen, name);
        }
        n += (size_t)snprintf(line + n, sizeof line - n, " %s %u", us ? us + 1 : name, (unsigned)v);
        if (n >= sizeof line) n = sizeof line - 1;
    }
    if (n) board_log(line);
}
int32_t asnet_netstat_count(int state) { return stack_glue_call1(STACK_RT_netstat_count, (uint32_t)state); }

#define NAME_OF(n, v) [v] = #n,
static const char *const state_names[] = { STACK_STATE_LIST(NAME_OF) };

const char *asnet_state_name(uint32_t s)
{
    return s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "?";
}

const char *asnet_strerror(int32_t err)
{
#define ERR_CASE(n, v) if (err == (v)) return #n;
    STACK_ERROR_LIST(ERR_CASE)
#undef ERR_CASE
    return err >= 0 ? "OK" : "E?";
}
