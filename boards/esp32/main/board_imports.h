/* The three host functions the stack imports from module `env` (docs/ABI.md "Imports"),
 * implemented by this board: clock (esp_timer), entropy (esp_random), frame output (esp_eth). */
#ifndef BOARD_IMPORTS_H
#define BOARD_IMPORTS_H
#include <stdint.h>
uint32_t board_now_ms(void);
uint32_t board_random(void);
/* Transmit one whole Ethernet frame (no CRC); the frame is copied before this returns. */
void board_netif_output(const uint8_t *frame, uint32_t len);
#endif
