/* Millisecond clock from the CLINT's mtime (RISC-V privileged spec 3.2.1, machine timer). */
#ifndef CLOCK_H
#define CLOCK_H
#include <stdint.h>
/* Raw mtime ticks (MTIME_HZ per second). */
uint64_t clock_ticks(void);
uint32_t clock_now_ms(void);
#endif
