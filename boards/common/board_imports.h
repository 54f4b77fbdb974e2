/* The three host functions the stack imports from module `env` (docs/ABI.md "Imports"), as every
 * runtime (runtime_wasm2c.c, stack_natives.c for WAMR) calls them:
 *   board_now_ms, board_random   the board (board.h)
 *   board_netif_output           stack_glue.c (its TX ring, then mac_transmit), or a board with
 *                                its own main loop (esp32: esp_eth)
 * Re-entrancy rule: none of them may call back into the stack. */
#ifndef BOARD_IMPORTS_H
#define BOARD_IMPORTS_H
#include <stdint.h>
uint32_t board_now_ms(void);
uint32_t board_random(void);
/* Transmit one whole Ethernet frame (no CRC, 14..1514 bytes, range-checked by the runtime); the
 * frame is copied before this returns. */
void board_netif_output(const uint8_t *frame, uint32_t len);
#endif
