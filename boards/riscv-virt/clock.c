/* mtime of the virt machine's CLINT (SiFive layout: mtime at base + 0xbff8), counting at 10 MHz
 * (QEMU hw/riscv/virt.c uses RISCV_ACLINT_DEFAULT_TIMEBASE_FREQ; the device tree's
 * timebase-frequency says the same). Polled: no timer interrupt is needed because the main loop
 * asks for the time on every pass. */
#include "clock.h"

#define CLINT_BASE 0x02000000u
#define MTIME_LO (*(volatile uint32_t *)(CLINT_BASE + 0xbff8u))
#define MTIME_HI (*(volatile uint32_t *)(CLINT_BASE + 0xbffcu))
#define MTIME_HZ 10000000u

/* RV32 reads the 64-bit counter in two halves: re-read when the high half moved in between. */
uint64_t clock_ticks(void)
{
    uint32_t hi, lo;
    do {
        hi = MTIME_HI;
        lo = MTIME_LO;
    } while (MTIME_HI != hi);
    return ((uint64_t)hi << 32) | lo;
}

/* Wraps at 2^32 ms like every board clock (board.h). */
uint32_t clock_now_ms(void)
{
    return (uint32_t)(clock_ticks() / (MTIME_HZ / 1000u));
}
