/* Milliseconds from CMSDK APB timer 0 (0x40000000; ARM DDI 0479 "Cortex-M System Design Kit"
 * 3.4: CTRL +0 bit 0 enable, VALUE +4, RELOAD +8), a 32-bit down counter at PCLK = 25 MHz on
 * QEMU's mps2-an385 (hw/arm/mps2.c SYSCLK_FRQ). The clock reads the counter instead of counting
 * SysTick interrupts: on a loaded host QEMU merges SysTick expiries the vCPU was too late to take,
 * and a tick-counting clock ran 3.5x slow (5 board seconds took 17 s at load 18 on the development
 * machine). The counter wraps every 171 s, so the count is extended in software; every loop of
 * this firmware reads the clock far more often than that. */
#include "clock.h"

#define TIMER0_BASE 0x40000000u
#define TIMER_CTRL   (*(volatile uint32_t *)(TIMER0_BASE + 0x0u))
#define TIMER_VALUE  (*(volatile uint32_t *)(TIMER0_BASE + 0x4u))
#define TIMER_RELOAD (*(volatile uint32_t *)(TIMER0_BASE + 0x8u))
#define TIMER_CTRL_ENABLE (1u << 0)
#define PCLK_HZ 25000000u
#define TICKS_PER_MS (PCLK_HZ / 1000u)

static uint32_t last_value;
static uint64_t elapsed_ticks;

void clock_init(void)
{
    TIMER_RELOAD = 0xffffffffu;
    TIMER_VALUE = 0xffffffffu;
    TIMER_CTRL = TIMER_CTRL_ENABLE;
    last_value = TIMER_VALUE;
}

/* The counter counts down: ticks since the last read are last - now, modulo 2^32. */
uint32_t clock_now_ms(void)
{
    uint32_t now = TIMER_VALUE;
    elapsed_ticks += (uint32_t)(last_value - now);
    last_value = now;
    return (uint32_t)(elapsed_ticks / TICKS_PER_MS);
}

uint32_t clock_raw(void)
{
    return TIMER_VALUE;
}
