/* SYS_EXIT (0x18) with ADP_Stopped_ApplicationExit (0x20026) ends QEMU with status 0 (checked
 * under qemu-system-arm 7.2, see FIELD-NOTES). On a 32-bit target SYS_EXIT carries no exit code,
 * so a failure is reported as ADP_Stopped_RunTimeErrorUnknown (0x20023), which QEMU maps to 1. */
#include "semihost.h"

#define SYS_EXIT 0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026
#define ADP_STOPPED_RUNTIME_ERROR 0x20023

void semihost_exit(int status)
{
    register int op __asm__("r0") = SYS_EXIT;
    register int reason __asm__("r1") = status == 0 ? ADP_STOPPED_APPLICATION_EXIT : ADP_STOPPED_RUNTIME_ERROR;
    for (;;) {
        __asm__ volatile("bkpt 0xab" : : "r"(op), "r"(reason) : "memory");
    }
}
