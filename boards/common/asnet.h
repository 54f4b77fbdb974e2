/* The application API for C firmware on any board: the stack's exports (docs/ABI.md) as
 * socket-like calls, the event queue delivered as per-handle callbacks, and the main loop that
 * moves frames between the MAC (mac.h) and the stack and runs its timers. Built on the wasm2c
 * runtime (runtime_wasm2c.c + wasm_rt_static.c) or on WAMR (runtime_wamr.c + stack_natives.c) with the
 * same header, through stack_glue.c (imports, TX ring, timers, trap recovery).
 *
 * Single-threaded: call everything from one task. Handles, error codes (ASNET_E* = STACK_E* from
 * stack_abi.h, negative POSIX errno) and event bits are the ABI's. */
#ifndef ASNET_H
#define ASNET_H
#include <stddef.h>
#include <stdint.h>
#include "stack_abi.h"

struct asnet_config {
    uint8_t mac[6];
    uint32_t ip, netmask, gateway;   /* host order: 192.0.2.2 = 0xC0000202; ip 0 with dhcp = 1 */
    int dhcp;                        /* start the DHCP client at init */
    const uint8_t *wasm;             /* module bytes for WAMR (build/stack.wasm or .aot); NULL with wasm2c */
    uint32_t wasm_len;
};

/* Called for every event of a handle: bits are STACK_EV_*. */
typedef void (*asnet_event_fn)(int32_t handle, uint32_t events, void *ctx);
/* Called for every TCP state change (the trace ring): pcb slot, old and new STACK_* state. */
typedef void (*asnet_trace_fn)(uint32_t slot, uint32_t from, uint32_t to);

/* Instantiate the module and call stack_init. 0 or a negative error. */
int asnet_init(const struct asnet_config *cfg);
/* One pass of the main loop: every waiting frame in, due timers, events and traces out. Returns
 * the ms until the next timer is due (the caller may sleep that long or until a frame arrives). */
int32_t asnet_poll(void);
/* Trap recovery: 1 if the module trapped since the last call (it was re-initialised, every handle
 * is gone: reopen the listeners). */
int asnet_trapped(const char **why);

/* Event routing: the callback for a handle (replaced by later calls; NULL removes it). */
void asnet_on_event(int32_t handle, asnet_event_fn fn, void *ctx);
void asnet_on_trace(asnet_trace_fn fn);
/* Events of handles with no callback: those opened by application code inside the wasm module
 * (assembly/app/net.ts), which the board forwards to the module's app_event export. */
void asnet_on_other_events(asnet_event_fn fn);

/* TCP */
int32_t asnet_tcp_listen(uint16_t port, int backlog, asnet_event_fn fn, void *ctx);
int32_t asnet_tcp_connect(uint32_t ip, uint16_t port, asnet_event_fn fn, void *ctx);
int32_t asnet_tcp_accept(int32_t listener, asnet_event_fn fn, void *ctx);
int32_t asnet_tcp_send(int32_t h, const void *data, size_t len);   /* bytes queued, or error */
int32_t asnet_tcp_recv(int32_t h, void *buf, size_t cap);          /* bytes, 0 = end, or error */
int32_t asnet_tcp_shutdown(int32_t h, int how);
int32_t asnet_tcp_close(int32_t h);
int32_t asnet_tcp_abort(int32_t h);
int32_t asnet_tcp_setsockopt(int32_t h, int opt, int32_t val);
int32_t asnet_tcp_getsockopt(int32_t h, int opt);
int32_t asnet_tcp_state(int32_t h);
/* Zero-copy (docs/ABI.md "Zero-copy"): the socket buffers in place, no copy through io_buffer.
 * reserve: up to max bytes of the send buffer's free tail, contiguous (one 1 KiB block at most);
 * *at points at them in linear memory. Returns n > 0 or an error (STACK_EAGAIN: full). Fill them,
 * then commit(n' <= n) queues the first n' (0 cancels). One reservation per stack. peek: up to max
 * received bytes in place at *at (they stay queued); 0 = end of stream. consume(n): drops them.
 * A region is the caller's only until its next asnet call: write or read it before that. */
int32_t asnet_tcp_send_reserve(int32_t h, size_t max, uint8_t **at);
int32_t asnet_tcp_send_commit(int32_t h, size_t n);
int32_t asnet_tcp_recv_peek(int32_t h, size_t max, const uint8_t **at);
int32_t asnet_tcp_recv_consume(int32_t h, size_t n);

/* UDP */
int32_t asnet_udp_open(uint16_t port, asnet_event_fn fn, void *ctx);   /* port 0 = ephemeral */
int32_t asnet_udp_sendto(int32_t h, const void *data, size_t len, uint32_t ip, uint16_t port);
int32_t asnet_udp_recvfrom(int32_t h, void *buf, size_t cap, uint32_t *ip, uint16_t *port);
int32_t asnet_udp_close(int32_t h);

/* Addresses, DHCP and DNS */
int32_t asnet_set_addr(uint32_t ip, uint32_t netmask, uint32_t gateway);   /* static configuration */
int32_t asnet_dhcp_stop(int32_t h);                                          /* releases a bound lease */
int32_t asnet_dhcp_start(asnet_event_fn fn, void *ctx);
int32_t asnet_dhcp_info(int32_t h, uint32_t info[10]);
int32_t asnet_dns_set_server(uint32_t ip);
int32_t asnet_dns_query(const char *name, asnet_event_fn fn, void *ctx);
int32_t asnet_dns_result(int32_t h, uint32_t *ip, uint32_t *ttl);

/* Operator view */
int32_t asnet_sysctl_set(int id, int32_t val);
int32_t asnet_stat(int id);                 /* protocol counter STACK_STAT_*, kept across trap restarts */
void asnet_log_stats(void);                 /* netstat -s style lines through board_log */
int32_t asnet_netstat_count(int state);
const char *asnet_state_name(uint32_t state);
const char *asnet_strerror(int32_t err);
#endif
