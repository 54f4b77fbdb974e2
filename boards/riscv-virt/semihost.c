/* RISC-V semihosting: a0 = operation, a1 = parameter, then the sequence `slli zero, zero, 0x1f;
 * ebreak; srai zero, zero, 7` as uncompressed instructions inside one page (QEMU 7.2 checks both
 * neighbours of the ebreak and that they share a page; the 16-byte alignment guarantees it).
 * SYS_EXIT (0x18) with ADP_Stopped_ApplicationExit (0x20026) ends QEMU with status 0; on a 32-bit
 * target the call carries no exit code, so a failure is ADP_Stopped_RunTimeErrorUnknown
 * (0x20023), which QEMU maps to 1 (the same convention as boards/mps2-an385/semihost.c). */
#include "semihost.h"

#define SYS_EXIT 0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026
#define ADP_STOPPED_RUNTIME_ERROR 0x20023

void semihost_exit(int status)
{
    register long op __asm__("a0") = SYS_EXIT;
    register long reason __asm__("a1") = status == 0 ? ADP_STOPPED_APPLICATION_EXIT : ADP_STOPPED_RUNTIME_ERROR;
    for (;;) {
        __asm__ volatile(
            ".option push\n"
            ".option norvc\n"
            ".balign 16\n"
            "slli zero, zero, 0x1f\n"
            "ebreak\n"
            "srai zero, zero, 7\n"
            ".option pop\n"
            : "+r"(op) : "r"(reason) : "memory");
    }
}
