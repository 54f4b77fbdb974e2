/* Runtime-neutral view of the stack module (docs/ABI.md "Exports"): callers name exports by id,
 * pass i32 arguments, and reach linear memory through range-checked pointers. Two implementations,
 * chosen at build time (RUNTIME=wasm2c|wamr):
 *   runtime_wasm2c.c  build/stack.wasm translated by wasm2c, on wasm_rt_static.c (no malloc)
 *   runtime_wamr.c    build/stack.wasm (or .aot) loaded by WAMR 2.x, natives in stack_natives.c
 * The module's three imports call the functions of board_imports.h in both cases. */
#ifndef STACK_RT_H
#define STACK_RT_H
#include <stdint.h>

/* A module with AssemblyScript application code compiled in (build/app.wasm, assembly/app/net.ts)
 * also exports app_start() and app_event(handle, events); boards built with -DSTACK_RT_APP call them. */
#ifdef STACK_RT_APP_TICK
/* An app that needs time (build/mqtt-app.wasm, examples/as-app/mqtt.ts) also exports app_tick(now_ms),
 * which the board calls from its loop at least every 50 ms. */
#define STACK_RT_APP_EXPORTS(X) X(app_start, 0) X(app_event, 2) X(app_tick, 1)
#elif defined(STACK_RT_APP)
#define STACK_RT_APP_EXPORTS(X) X(app_start, 0) X(app_event, 2)
#else
#define STACK_RT_APP_EXPORTS(X)
#endif

/* The multicast build (build/stack.mcast.wasm, assembly/index.mcast.ts) also exports
 * mcast_join(group) and mcast_leave(group); boards built with -DSTACK_RT_MCAST call them. */
#ifdef STACK_RT_MCAST
#define STACK_RT_MCAST_EXPORTS(X) X(mcast_join, 1) X(mcast_leave, 1)
#else
#define STACK_RT_MCAST_EXPORTS(X)
#endif

/* Every export a board may call, with its parameter count (docs/ABI.md). */
#define STACK_RT_EXPORTS(X) \
  X(stack_init, 5) X(netif_set_addr, 3) X(netif_set_link, 1) X(rx_buffer, 0) X(netif_input, 1) \
  X(io_buffer, 0) X(io_buffer_size, 0) X(timers_run, 0) X(tcp_fasttmr, 0) X(tcp_slowtmr, 0) \
  X(tcp_deadlines, 0) \
  X(tcp_socket, 0) X(tcp_bind, 3) X(tcp_listen, 2) X(tcp_accept, 1) X(tcp_connect, 3) \
  X(tcp_send, 3) X(tcp_recv, 3) X(tcp_shutdown, 2) X(tcp_close, 1) X(tcp_abort, 1) \
  X(tcp_setsockopt, 3) X(tcp_getsockopt, 2) X(tcp_state, 1) X(tcp_info, 2) X(tcp_peer, 2) \
  X(tcp_send_reserve, 3) X(tcp_send_commit, 2) X(tcp_recv_peek, 3) X(tcp_recv_consume, 2) \
  X(udp_socket, 0) X(udp_bind, 3) X(udp_connect, 3) X(udp_sendto, 5) X(udp_recvfrom, 4) \
  X(udp_close, 1) X(dhcp_start, 0) X(dhcp_stop, 1) X(dhcp_info, 2) X(dns_set_server, 1) \
  X(dns_query, 2) X(dns_result, 2) X(dns_cancel, 1) X(ev_poll, 0) X(trace_poll, 0) \
  X(sysctl_get, 1) X(sysctl_set, 2) X(stats_get, 1) X(netstat_count, 1) X(netstat_row, 2) \
  X(pool_stats, 2) X(footprint, 1) STACK_RT_APP_EXPORTS(X) STACK_RT_MCAST_EXPORTS(X)

enum stack_rt_export {
#define STACK_RT_ENUM(name, argc) STACK_RT_##name,
  STACK_RT_EXPORTS(STACK_RT_ENUM)
#undef STACK_RT_ENUM
  STACK_RT_EXPORT_COUNT
};

/* What stack_rt_call returns when the module trapped (no export returns it: docs/ABI.md). */
#define STACK_RT_TRAP INT32_MIN
#define STACK_RT_MAX_ARGS 5u

/* Instantiate the module and resolve every export above. wasm/wasm_len are the module bytes for
 * WAMR; wasm2c ignores them (NULL is fine). 0, or -1 with a message in err. */
int stack_rt_init(const uint8_t *wasm, uint32_t wasm_len, char *err, uint32_t err_len);
/* A fresh instance of the same module (linear memory zeroed): the recovery after a trap. */
int stack_rt_reset(char *err, uint32_t err_len);
/* Call one export with argc (= its parameter count) i32 arguments; its i32 result, or
 * STACK_RT_TRAP when the module trapped (the instance must then be reset before further use). */
int32_t stack_rt_call(enum stack_rt_export fn, const uint32_t *args, uint32_t argc);
/* Why the last trap happened (a static string). */
const char *stack_rt_trap_reason(void);
/* Native pointer for [offset, offset+len) of linear memory, or NULL when out of range. */
uint8_t *stack_rt_mem(uint32_t offset, uint32_t len);
/* Name of an export (for logs). */
const char *stack_rt_export_name(enum stack_rt_export fn);

/* Convenience wrappers for fixed arities. */
static inline int32_t stack_rt_call0(enum stack_rt_export fn) { return stack_rt_call(fn, 0, 0); }
static inline int32_t stack_rt_call1(enum stack_rt_export fn, uint32_t a) {
  return stack_rt_call(fn, &a, 1);
}
static inline int32_t stack_rt_call2(enum stack_rt_export fn, uint32_t a, uint32_t b) {
  const uint32_t v[2] = {a, b};
  return stack_rt_call(fn, v, 2);
}
static inline int32_t stack_rt_call3(enum stack_rt_export fn, uint32_t a, uint32_t b, uint32_t c) {
  const uint32_t v[3] = {a, b, c};
  return stack_rt_call(fn, v, 3);
}
#endif
