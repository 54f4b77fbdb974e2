/* SysTick at 1 kHz. QEMU's mps2-an385 runs the CPU clock at 25 MHz (hw/arm/mps2.c SYSCLK_FRQ). */
#include "clock.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYST_CSR_ENABLE    (1u << 0)
#define SYST_CSR_TICKINT   (1u << 1)
#define SYST_CSR_CLKSOURCE (1u << 2) /* processor clock */
#define CPU_HZ 25000000u

static volatile uint32_t ticks_ms;

void clock_systick_handler(void)
{
    ticks_ms++;
}

void clock_init(void)
{
    SYST_RVR = CPU_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE;
}

uint32_t clock_now_ms(void)
{
    return ticks_ms;
}
