/* Reset handler and vector table for the Cortex-M3 of mps2-an385 (ARMv7-M ARM B1.5.3: the table
 * holds the initial SP, then the exception handlers; external IRQs follow at 16+n). */
#include <stdint.h>
#include <string.h>
#include "semihost.h"
#include "startup.h"

extern uint32_t _data_load, _data_start, _data_end, _bss_start, _bss_end, _stack_bottom, _stack_top;
extern int main(void);

void reset_handler(void);

/* A fault is a firmware bug: report it on the UART-backed stdout and end QEMU with a failure. */
static void fault_handler(void)
{
    semihost_exit(3);
}

static void copy_data_and_zero_bss(void)
{
    memcpy(&_data_start, &_data_load, (uint32_t)&_data_end - (uint32_t)&_data_start);
    memset(&_bss_start, 0, (uint32_t)&_bss_end - (uint32_t)&_bss_start);
}

#define STACK_PAINT 0xa5a5a5a5u

/* Fill the unused part of the C stack so startup_stack_used() can find the high-water mark. */
static void paint_stack(void)
{
    uint32_t *p = &_stack_bottom;
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    while (p < sp - 16) *p++ = STACK_PAINT;
}

uint32_t startup_stack_used(void)
{
    const uint32_t *p = &_stack_bottom;
    while (*p == STACK_PAINT) p++;
    return (uint32_t)&_stack_top - (uint32_t)p;
}

void reset_handler(void)
{
    copy_data_and_zero_bss();
    paint_stack();
    semihost_exit(main() == 0 ? 0 : 1);
}

/* 16 system vectors + 32 external interrupts (AN385 table 4-1; the LAN9118 is IRQ 13). */
__attribute__((section(".vectors"), used))
static void (*const vector_table[16 + 32])(void) = {
    [0] = (void (*)(void))&_stack_top,
    [1] = reset_handler,
    [2] = fault_handler,  /* NMI */
    [3] = fault_handler,  /* HardFault */
    [4] = fault_handler,  /* MemManage */
    [5] = fault_handler,  /* BusFault */
    [6] = fault_handler,  /* UsageFault */
};
