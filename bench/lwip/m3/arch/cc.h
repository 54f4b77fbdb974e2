/* Minimal lwIP port header for the Cortex-M3 size build (newlib). */
#ifndef ARCH_CC_M3_H
#define ARCH_CC_M3_H
#include <stdint.h>
#include <stddef.h>
#define LWIP_PLATFORM_DIAG(x)
#define LWIP_PLATFORM_ASSERT(x)
#define BYTE_ORDER LITTLE_ENDIAN
#endif
