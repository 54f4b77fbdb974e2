/* Board services the common glue needs besides the MAC (mac.h). */
#ifndef ASNET_BOARD_H
#define ASNET_BOARD_H
#include <stdint.h>

/* Monotonic milliseconds (wraps at 2^32). */
uint32_t board_now_ms(void);
/* 32 bits of entropy: a TRNG where the board has one (ISN and cookie secrets, DNS IDs). */
uint32_t board_random(void);
/* One line on the board's console (UART, stdout); the glue reports traps with it. */
void board_log(const char *line);
/* The runtime cannot continue (no memory for the module, restart after a trap failed): report, stop. */
void board_fatal(const char *why) __attribute__((noreturn));
#endif
