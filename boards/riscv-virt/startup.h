/* Reset entry, trap reporting and the C stack's high-water mark for riscv-virt. */
#ifndef STARTUP_H
#define STARTUP_H
#include <stdint.h>
/* Bytes of the C stack touched since reset (painted at start-up, scanned from the bottom). */
uint32_t startup_stack_used(void);
#endif
