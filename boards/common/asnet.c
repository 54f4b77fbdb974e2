/* boards/common/asnet.c: the C application API (asnet.h) over the wasm2c-compiled stack.
 * - The three imports (docs/ABI.md "Imports"): now_ms and random from board.h, netif_output to the
 *   MAC, with a small ring for frames the transmitter cannot take at once (netif_output never calls
 *   back into the stack: the re-entrancy rule).
 * - Every call into the module runs under a trap guard: a trap (a bug in the stack) unwinds here,
 *   the module is re-instantiated with the same configuration and the call fails with STACK_EIO.
 * - Data passes through the stack's I/O buffer in chunks of its size. */
#include <setjmp.h>
#include <string.h>
#include "asnet.h"
#include "board.h"
#include "mac.h"
#include "wasm_rt_static.h"
#include "stack.h"

#define MAX_FRAME 1514u
#define RX_CAP 1536u
#define TX_RING 4u
#define MAX_HANDLES 64u
#define ASNET_EIO (-5)

static Z_stack_instance_t inst;
static struct asnet_config config;
static uint32_t io_ptr, io_size, rx_ptr;
static struct { int32_t handle; asnet_event_fn fn; void *ctx; } routes[MAX_HANDLES];
static asnet_trace_fn trace_fn;
static const char *trap_why;
static int trapped;
static struct { uint16_t len; uint8_t data[MAX_FRAME]; } tx_ring[TX_RING];
static uint32_t tx_head, tx_count, tx_drops;

/* ---- imports ---- */

u32 Z_envZ_now_ms(struct Z_env_instance_t *env) { (void)env; return board_now_ms(); }
u32 Z_envZ_random(struct Z_env_instance_t *env) { (void)env; return board_random(); }

static void flush_tx(void)
{
    while (tx_count > 0 && mac_transmit(tx_ring[tx_head].data, tx_ring[tx_head].len) == 0) {
        tx_head = (tx_head + 1) % TX_RING;
        tx_count--;
    }
}

void Z_envZ_netif_output(struct Z_env_instance_t *env, u32 ptr, u32 len)
{
    (void)env;
    if (len < 14u || len > MAX_FRAME || ptr > inst.w2c_memory.size - len) return;
    const uint8_t *frame = inst.w2c_memory.data + ptr;
    flush_tx();
    if (tx_count == 0 && mac_transmit(frame, len) == 0) return;
    if (tx_count == TX_RING) { tx_drops++; return; }      /* TCP retransmits what is lost here */
    uint32_t slot = (tx_head + tx_count++) % TX_RING;
    tx_ring[slot].len = (uint16_t)len;
    memcpy(tx_ring[slot].data, frame, len);
}

/* ---- instance and trap guard ---- */

static uint8_t *mem(uint32_t off) { return inst.w2c_memory.data + off; }

static int32_t start_instance(void)
{
    Z_stack_instantiate(&inst, NULL);
    io_ptr = Z_stackZ_io_buffer(&inst);
    io_size = Z_stackZ_io_buffer_size(&inst);
    rx_ptr = Z_stackZ_rx_buffer(&inst);
    uint32_t hi = ((uint32_t)config.mac[0] << 8) | config.mac[1];
    uint32_t lo = ((uint32_t)config.mac[2] << 24) | ((uint32_t)config.mac[3] << 16) |
                  ((uint32_t)config.mac[4] << 8) | config.mac[5];
    int32_t err = (int32_t)Z_stackZ_stack_init(&inst, hi, lo, config.ip, config.netmask, config.gateway);
    if (err == 0) (void)Z_stackZ_netif_set_link(&inst, (u32)(mac_link_up() != 0));
    if (err == 0 && config.dhcp) err = (int32_t)Z_stackZ_dhcp_start(&inst);
    return err < 0 ? err : 0;
}

static void restart_after_trap(void)
{
    trap_why = wasm_rt_strerror(wasm_rt_static_last_trap());
    trapped = 1;
    memset(routes, 0, sizeof routes);
    Z_stack_free(&inst);
    if (start_instance() < 0) board_fatal("asnet: restart after trap failed");
}

/* Runs expr with traps unwinding here; a trapped call yields ASNET_EIO. */
#define GUARDED(result, expr)                                                   \
    do {                                                                        \
        jmp_buf jb_;                                                            \
        jmp_buf *prev_ = wasm_rt_static_set_trap_target(&jb_);                  \
        if (setjmp(jb_) == 0) {                                                 \
            result = (int32_t)(expr);                                           \
        } else {                                                                \
            wasm_rt_static_set_trap_target(prev_);                              \
            restart_after_trap();                                               \
            result = ASNET_EIO;                                                 \
        }                                                                       \
        wasm_rt_static_set_trap_target(prev_);                                  \
    } while (0)

/* One guarded wrapper per export, so no caller keeps locals across a setjmp. */
#define W0(n) static int32_t w_##n(void) { int32_t r; GUARDED(r, Z_stackZ_##n(&inst)); return r; }
#define W1(n) static int32_t w_##n(u32 a) { int32_t r; GUARDED(r, Z_stackZ_##n(&inst, a)); return r; }
#define W2(n) static int32_t w_##n(u32 a, u32 b) { int32_t r; GUARDED(r, Z_stackZ_##n(&inst, a, b)); return r; }
#define W3(n) static int32_t w_##n(u32 a, u32 b, u32 c) { int32_t r; GUARDED(r, Z_stackZ_##n(&inst, a, b, c)); return r; }
#define W4(n) static int32_t w_##n(u32 a, u32 b, u32 c, u32 d) { int32_t r; GUARDED(r, Z_stackZ_##n(&inst, a, b, c, d)); return r; }
#define W5(n) static int32_t w_##n(u32 a, u32 b, u32 c, u32 d, u32 e) { int32_t r; GUARDED(r, Z_stackZ_##n(&inst, a, b, c, d, e)); return r; }
W0(ev_poll) W0(trace_poll) W1(netif_input) W0(timers_run)
W0(tcp_socket) W3(tcp_bind) W2(tcp_listen) W1(tcp_accept) W3(tcp_connect) W3(tcp_send) W3(tcp_recv)
W2(tcp_shutdown) W1(tcp_close) W1(tcp_abort) W3(tcp_setsockopt) W2(tcp_getsockopt) W1(tcp_state)
W0(udp_socket) W3(udp_bind) W5(udp_sendto) W4(udp_recvfrom) W1(udp_close)
W0(dhcp_start) W2(dhcp_info) W1(dns_set_server) W2(dns_query) W2(dns_result)
W2(sysctl_set) W1(stats_get) W1(netstat_count)

static int32_t w_start(void) { int32_t r; GUARDED(r, start_instance()); return r; }

int asnet_init(const struct asnet_config *cfg)
{
    config = *cfg;
    int err = mac_init(cfg->mac);
    if (err < 0) return err;
    wasm_rt_init();
    Z_stack_init_module();
    return w_start();
}

int asnet_trapped(const char **why)
{
    int t = trapped;
    if (why) *why = trap_why;
    trapped = 0;
    return t;
}

/* ---- main loop ---- */

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
void asnet_on_trace(asnet_trace_fn fn) { trace_fn = fn; }

static void dispatch_events(void)
{
    for (int n = 0; n < 256; n++) {
        int32_t v;
        v = w_ev_poll();
        if (v <= 0) return;
        int32_t handle = v & 0xffff;
        uint32_t events = ((uint32_t)v >> 16) & 0xffu;
        uint32_t slot = ((uint32_t)handle & 0xffu) - 1u;
        if (slot < MAX_HANDLES && routes[slot].handle == handle && routes[slot].fn != NULL) {
            routes[slot].fn(handle, events, routes[slot].ctx);
        }
    }
}

static void dispatch_trace(void)
{
    for (int n = 0; n < 128; n++) {
        int32_t v;
        v = w_trace_poll();
        if (v == -1) return;
        if (trace_fn) trace_fn((uint32_t)v & 0xffu, ((uint32_t)v >> 8) & 0xffu, ((uint32_t)v >> 16) & 0xffu);
    }
}

int32_t asnet_poll(void)
{
    for (int n = 0; n < 64; n++) {
        int len = mac_receive(mem(rx_ptr), RX_CAP);
        if (len == 0) break;
        if (len > 0) (void)w_netif_input((u32)len);   /* malformed frames are counted, not errors */
        flush_tx();
    }
    int32_t next = w_timers_run();
    flush_tx();
    dispatch_trace();
    dispatch_events();
    flush_tx();
    return next < 0 ? 250 : next;
}

/* ---- TCP ---- */

int32_t asnet_tcp_listen(uint16_t port, int backlog, asnet_event_fn fn, void *ctx)
{
    int32_t h, r;
    h = w_tcp_socket();
    if (h < 0) return h;
    r = w_tcp_setsockopt((u32)h, STACK_SO_REUSEADDR, 1);
    r = w_tcp_bind((u32)h, 0, port);
    if (r == 0) r = w_tcp_listen((u32)h, (u32)backlog);
    if (r < 0) { asnet_tcp_close(h); return r; }
    route(h, fn, ctx);
    return h;
}

int32_t asnet_tcp_connect(uint32_t ip, uint16_t port, asnet_event_fn fn, void *ctx)
{
    int32_t h, r;
    h = w_tcp_socket();
    if (h < 0) return h;
    r = w_tcp_connect((u32)h, ip, port);
    if (r < 0 && r != STACK_EINPROGRESS) { asnet_tcp_close(h); return r; }
    route(h, fn, ctx);
    return h;
}

int32_t asnet_tcp_accept(int32_t listener, asnet_event_fn fn, void *ctx)
{
    int32_t h;
    h = w_tcp_accept((u32)listener);
    if (h > 0) route(h, fn, ctx);
    return h;
}

int32_t asnet_tcp_send(int32_t h, const void *data, size_t len)
{
    size_t done = 0;
    while (done < len) {
        uint32_t chunk = (uint32_t)(len - done < io_size ? len - done : io_size);
        memcpy(mem(io_ptr), (const uint8_t *)data + done, chunk);
        int32_t r;
        r = w_tcp_send((u32)h, io_ptr, chunk);
        if (r < 0) return done > 0 ? (int32_t)done : r;
        done += (size_t)r;
        if ((uint32_t)r < chunk) break;
    }
    return (int32_t)done;
}

int32_t asnet_tcp_recv(int32_t h, void *buf, size_t cap)
{
    uint32_t want = (uint32_t)(cap < io_size ? cap : io_size);
    int32_t r;
    r = w_tcp_recv((u32)h, io_ptr, want);
    if (r > 0) memcpy(buf, mem(io_ptr), (size_t)r);
    return r;
}

int32_t asnet_tcp_shutdown(int32_t h, int how) { int32_t r; r = w_tcp_shutdown((u32)h, (u32)how); return r; }
int32_t asnet_tcp_close(int32_t h) { int32_t r; r = w_tcp_close((u32)h); route(h, NULL, NULL); return r; }
int32_t asnet_tcp_abort(int32_t h) { int32_t r; r = w_tcp_abort((u32)h); route(h, NULL, NULL); return r; }
int32_t asnet_tcp_setsockopt(int32_t h, int opt, int32_t val) { int32_t r; r = w_tcp_setsockopt((u32)h, (u32)opt, (u32)val); return r; }
int32_t asnet_tcp_getsockopt(int32_t h, int opt) { int32_t r; r = w_tcp_getsockopt((u32)h, (u32)opt); return r; }
int32_t asnet_tcp_state(int32_t h) { int32_t r; r = w_tcp_state((u32)h); return r; }

/* ---- UDP ---- */

int32_t asnet_udp_open(uint16_t port, asnet_event_fn fn, void *ctx)
{
    int32_t h, r;
    h = w_udp_socket();
    if (h < 0) return h;
    r = w_udp_bind((u32)h, 0, port);
    if (r < 0) { asnet_udp_close(h); return r; }
    route(h, fn, ctx);
    return h;
}

int32_t asnet_udp_sendto(int32_t h, const void *data, size_t len, uint32_t ip, uint16_t port)
{
    if (len > io_size) return STACK_EMSGSIZE;
    memcpy(mem(io_ptr), data, len);
    int32_t r;
    r = w_udp_sendto((u32)h, io_ptr, (u32)len, ip, port);
    return r;
}

int32_t asnet_udp_recvfrom(int32_t h, void *buf, size_t cap, uint32_t *ip, uint16_t *port)
{
    uint32_t from = io_ptr + io_size - 8u;
    uint32_t want = (uint32_t)(cap < io_size - 8u ? cap : io_size - 8u);
    int32_t r;
    r = w_udp_recvfrom((u32)h, io_ptr, want, from);
    if (r < 0) return r;
    memcpy(buf, mem(io_ptr), (size_t)r);
    uint32_t addr[2];
    memcpy(addr, mem(from), sizeof addr);      /* little-endian u32s, as wasm stores them */
    if (ip) *ip = addr[0];
    if (port) *port = (uint16_t)addr[1];
    return r;
}

int32_t asnet_udp_close(int32_t h) { int32_t r; r = w_udp_close((u32)h); route(h, NULL, NULL); return r; }

/* ---- DHCP and DNS ---- */

int32_t asnet_dhcp_start(asnet_event_fn fn, void *ctx)
{
    int32_t h;
    h = w_dhcp_start();
    if (h > 0) route(h, fn, ctx);
    return h;
}

int32_t asnet_dhcp_info(int32_t h, uint32_t info[10])
{
    int32_t r;
    r = w_dhcp_info((u32)h, io_ptr);
    if (r >= 0) memcpy(info, mem(io_ptr), 40);
    return r;
}

int32_t asnet_dns_set_server(uint32_t ip) { return w_dns_set_server(ip); }

int32_t asnet_dns_query(const char *name, asnet_event_fn fn, void *ctx)
{
    size_t len = strlen(name);
    if (len == 0 || len > io_size) return STACK_EINVAL;
    memcpy(mem(io_ptr), name, len);
    int32_t h;
    h = w_dns_query(io_ptr, (u32)len);
    if (h > 0) route(h, fn, ctx);
    return h;
}

int32_t asnet_dns_result(int32_t h, uint32_t *ip, uint32_t *ttl)
{
    int32_t r;
    r = w_dns_result((u32)h, io_ptr);
    if (r == 0) {
        uint32_t v[2];
        memcpy(v, mem(io_ptr), sizeof v);
        if (ip) *ip = v[0];
        if (ttl) *ttl = v[1];
    }
    if (r != STACK_EAGAIN) route(h, NULL, NULL);
    return r;
}

/* ---- operator view ---- */

int32_t asnet_sysctl_set(int id, int32_t val) { int32_t r; r = w_sysctl_set((u32)id, (u32)val); return r; }
int32_t asnet_stat(int id) { int32_t r; r = w_stats_get((u32)id); return r; }
int32_t asnet_netstat_count(int state) { int32_t r; r = w_netstat_count((u32)state); return r; }

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
