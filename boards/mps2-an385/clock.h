/* Millisecond clock from the CMSDK APB timer 0 of mps2-an385 (free-running, read, not counted). */
#ifndef CLOCK_H
#define CLOCK_H
#include <stdint.h>
void clock_init(void);
/* Wraps at 2^32 ms; call at least once per 171 s (the 32-bit counter's period at 25 MHz). */
uint32_t clock_now_ms(void);
/* The raw 25 MHz counter, for entropy. */
uint32_t clock_raw(void);
#endif
