/* Millisecond clock from the Cortex-M3 SysTick (ARMv7-M ARM B3.3). */
#ifndef CLOCK_H
#define CLOCK_H
#include <stdint.h>
void clock_init(void);
uint32_t clock_now_ms(void);
void clock_systick_handler(void);
#endif
