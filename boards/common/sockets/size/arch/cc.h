/* Minimal lwIP port header for the size build (newlib / picolibc). */
#ifndef ARCH_CC_SOCK_SIZE_H
#define ARCH_CC_SOCK_SIZE_H
#include <stdint.h>
#include <stddef.h>
#define LWIP_PLATFORM_DIAG(x)
#define LWIP_PLATFORM_ASSERT(x)
#define BYTE_ORDER LITTLE_ENDIAN
#define LWIP_TIMEVAL_PRIVATE 0
#include <sys/time.h>
#endif
