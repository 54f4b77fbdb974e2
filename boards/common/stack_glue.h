/* The glue between a board (mac.h, board.h) and the stack module (stack_rt.h), the same for every
 * runtime:
 * - board_netif_output (the module's env.netif_output, board_imports.h) puts frames the MAC cannot
 *   take at once into a small TX ring, so the import never re-enters the stack (docs/ABI.md);
 * - stack_glue_step() is one pass of the main loop: every waiting frame from the MAC is copied into
 *   the module's rx buffer and handed to netif_input, then the fast timer runs every 250 ms and the
 *   slow timer every 500 ms by the clock (lwIP's model: tcp_fasttmr / tcp_slowtmr);
 * - stack_glue_call() calls an export and recovers from a trap: the module is re-instantiated with
 *   the same configuration, the call returns STACK_EIO and stack_glue_trapped() reports it once.
 * Single-threaded: call everything from one task. */
#ifndef STACK_GLUE_H
#define STACK_GLUE_H
#include <stdint.h>
#include "stack_rt.h"

#define STACK_GLUE_FAST_MS 250u
#define STACK_GLUE_SLOW_MS 500u
#define STACK_GLUE_TX_RING 4u

struct stack_glue_config {
    uint8_t mac[6];
    uint32_t ip, netmask, gateway;   /* host order: 192.0.2.2 = 0xC0000202 */
    int dhcp;                        /* start the DHCP client (again after a trap) */
    const uint8_t *wasm;             /* module bytes for WAMR; NULL with wasm2c */
    uint32_t wasm_len;
};

struct stack_glue_stats {
    uint32_t rx_frames, rx_errors, tx_frames, tx_queued, tx_drops, traps;
};

/* mac_init, instantiate, stack_init, link state, DHCP if asked. 0 or a negative error. */
int stack_glue_start(const struct stack_glue_config *cfg);
/* One export call with trap recovery: its result, or STACK_EIO (-5) when the module trapped. */
int32_t stack_glue_call(enum stack_rt_export fn, const uint32_t *args, uint32_t argc);
/* One pass of the main loop; returns the ms until the next timer is due. */
int32_t stack_glue_step(void);
/* Called after a frame whose ACK the stack holds for the application (netif_input returned 1):
 * the hook should drain ev_poll() and run the handlers, so that a reply or a close carries the
 * ACK; the ACK goes when ev_poll() finds no more events (without a hook: at the next frame or tick). */
void stack_glue_on_input(void (*fn)(void));
/* Fires the retransmission deadlines that are due (tcp_deadlines); returns ms until the next one
 * (INT32_MAX: none). Call it after application calls: a send may arm a tail-loss probe. */
int32_t stack_glue_deadline(void);
/* 1 once after each trap (the module was restarted: handles are gone), with the reason. */
int stack_glue_trapped(const char **why);
/* Linear memory [off, off+len), or NULL. */
uint8_t *stack_glue_mem(uint32_t off, uint32_t len);
/* The module's I/O buffer and its size (docs/ABI.md io_buffer). */
uint32_t stack_glue_io(uint32_t *size);
const struct stack_glue_stats *stack_glue_stats(void);
/* Protocol counter `id` (STACK_STAT_*), including what instances lost to traps had counted. */
uint32_t stack_glue_stat(uint32_t id);

static inline int32_t stack_glue_call0(enum stack_rt_export fn) { return stack_glue_call(fn, 0, 0); }
static inline int32_t stack_glue_call1(enum stack_rt_export fn, uint32_t a) {
    return stack_glue_call(fn, &a, 1);
}
static inline int32_t stack_glue_call2(enum stack_rt_export fn, uint32_t a, uint32_t b) {
    const uint32_t v[2] = { a, b };
    return stack_glue_call(fn, v, 2);
}
static inline int32_t stack_glue_call3(enum stack_rt_export fn, uint32_t a, uint32_t b, uint32_t c) {
    const uint32_t v[3] = { a, b, c };
    return stack_glue_call(fn, v, 3);
}
#endif
