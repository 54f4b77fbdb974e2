/* Runtime-neutral view of the stack module (docs/ABI.md "Exports"): the firmware calls exports by
 * id, and reads/writes linear memory through checked pointers. wamr_port.c implements it over WAMR. */
#ifndef STACK_RT_H
#define STACK_RT_H
#include <stdint.h>

/* Every export the firmware calls, with its parameter count (docs/ABI.md). */
#define STACK_RT_EXPORTS(X) \
  X(stack_init, 5) X(netif_set_link, 1) X(rx_buffer, 0) X(netif_input, 1) \
  X(io_buffer, 0) X(io_buffer_size, 0) X(timers_run, 0) X(tcp_socket, 0) X(tcp_bind, 3) \
  X(tcp_listen, 2) X(tcp_accept, 1) X(tcp_send, 3) X(tcp_recv, 3) X(tcp_shutdown, 2) \
  X(tcp_close, 1) X(tcp_setsockopt, 3) X(ev_poll, 0) X(trace_poll, 0) X(netstat_count, 1) \
  X(netstat_row, 2) X(pool_stats, 2)

enum stack_rt_export {
#define STACK_RT_ENUM(name, argc) STACK_RT_##name,
  STACK_RT_EXPORTS(STACK_RT_ENUM)
#undef STACK_RT_ENUM
  STACK_RT_EXPORT_COUNT
};

/* Load and instantiate the module, resolve every export above. 0, or -1 with a message in err. */
int stack_rt_init(const uint8_t *wasm, uint32_t wasm_len, char *err, uint32_t err_len);
/* Call one export with argc i32 arguments; returns its i32 result (0 for void). A trap is reported
 * on the console and returned as INT32_MIN. */
int32_t stack_rt_call(enum stack_rt_export fn, const uint32_t *args, uint32_t argc);
/* Native pointer for [offset, offset+len) of linear memory, or NULL when out of range. */
uint8_t *stack_rt_mem(uint32_t offset, uint32_t len);

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
