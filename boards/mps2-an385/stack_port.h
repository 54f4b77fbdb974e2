/* The wasm2c-compiled stack bound to this board: its three imports (docs/ABI.md "Imports") and
 * the frame path between the LAN9118 and the stack's rx_buffer/netif_input. */
#ifndef STACK_PORT_H
#define STACK_PORT_H
#include <stdint.h>
#include "stack.h"

extern Z_stack_instance_t stack;

/* Instantiate the module and call stack_init with this board's addresses. 0 or the stack's error. */
int stack_port_init(const uint8_t mac[6], uint32_t ip, uint32_t netmask, uint32_t gw);
/* Feed every frame waiting in the LAN9118 into the stack, then retry queued output. */
void stack_port_poll_input(void);
/* Pointer into linear memory for a stack offset (valid until the next call into the stack). */
uint8_t *stack_mem(uint32_t offset);
#endif
