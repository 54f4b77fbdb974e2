/* lwIP port header for the fair pair harness (bench/lwip/pair.c, Linux x86-64, glibc). */
#ifndef ARCH_CC_FAIR_H
#define ARCH_CC_FAIR_H
#include <stdint.h>
#include <stddef.h>
#define LWIP_PLATFORM_DIAG(x)
#define LWIP_PLATFORM_ASSERT(x)
#define BYTE_ORDER LITTLE_ENDIAN
#endif
