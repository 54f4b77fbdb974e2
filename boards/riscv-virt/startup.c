/* Reset entry for hart 0 of QEMU's riscv32 virt machine in M-mode (`-bios none`: no firmware, the
 * reset vector jumps to 0x80000000 with a0 = hart id, a1 = device tree). Sets gp, tp and sp, points
 * mtvec at the trap reporter (RISC-V privileged spec 3.1.7, direct mode), zeroes .tbss/.bss, paints
 * the stack and runs main(); its result ends QEMU through semihosting. No interrupts are enabled:
 * the board polls the CLINT timer and the virtio rings. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "semihost.h"
#include "startup.h"

extern uint32_t _zero_start, _zero_end, _stack_bottom, _stack_top;
extern int main(void);
void startup_c(void) __attribute__((noreturn, used));
void trap_handler(void) __attribute__((interrupt("machine"), aligned(4), used));

/* gp must be loaded without relaxation (the linker would otherwise rewrite it relative to itself). */
__asm__(
    ".section .text.init, \"ax\", @progbits\n"
    ".globl _start\n"
    "_start:\n"
    "  .option push\n"
    "  .option norelax\n"
    "  la gp, __global_pointer$\n"
    "  .option pop\n"
    "  la tp, __tls_base\n"
    "  la sp, _stack_top\n"
    "  la t0, trap_handler\n"
    "  .option push\n"
    "  .option arch, +zicsr\n"        /* binutils 2.40: CSR instructions are Zicsr */
    "  csrw mtvec, t0\n"
    "  csrr t0, mhartid\n"
    "  .option pop\n"
    "  bnez t0, 1f\n"
    "  call startup_c\n"
    "1: wfi\n"
    "  j 1b\n"
    ".text\n");

#define STACK_PAINT 0xa5a5a5a5u

/* Fill the unused part of the C stack so startup_stack_used() can find the high-water mark. */
static void paint_stack(void)
{
    uint32_t *p = &_stack_bottom;
    uint32_t *sp;
    __asm__ volatile("mv %0, sp" : "=r"(sp));
    while (p < sp - 16) *p++ = STACK_PAINT;
}

uint32_t startup_stack_used(void)
{
    const uint32_t *p = &_stack_bottom;
    while (*p == STACK_PAINT) p++;
    return (uint32_t)&_stack_top - (uint32_t)p;
}

void startup_c(void)
{
    memset(&_zero_start, 0, (uint32_t)&_zero_end - (uint32_t)&_zero_start);
    paint_stack();
    semihost_exit(main() == 0 ? 0 : 1);
}

#define READ_CSR(name) ({ uint32_t v_; \
    __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, " #name "\n.option pop" : "=r"(v_)); v_; })

/* Any trap is a firmware bug (nothing enables interrupts): report it on the UART, end QEMU failing. */
void trap_handler(void)
{
    printf("trap: mcause 0x%08lx mepc 0x%08lx mtval 0x%08lx\n", (unsigned long)READ_CSR(mcause),
           (unsigned long)READ_CSR(mepc), (unsigned long)READ_CSR(mtval));
    semihost_exit(3);
}

/* picolibc's assert (wasm2c's generated code asserts a few invariants) ends in abort(); with no
 * OS there are no signals to raise, so both report and end QEMU failing. */
void abort(void)
{
    printf("abort\n");
    semihost_exit(4);
}

void _exit(int status)
{
    semihost_exit(status);
}
