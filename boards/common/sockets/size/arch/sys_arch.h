/* The port's OS types for the size build: handles, as an RTOS port declares them. The sys_* calls
 * themselves (the port's sys_arch.c) are not compiled: neither is boards/common/osal in the
 * comparison's first figure. */
#ifndef ARCH_SYS_ARCH_SOCK_SIZE_H
#define ARCH_SYS_ARCH_SOCK_SIZE_H
#include <stdint.h>
typedef void *sys_sem_t;
typedef void *sys_mutex_t;
typedef void *sys_mbox_t;
typedef void *sys_thread_t;
typedef uint32_t sys_prot_t;
#define SYS_MBOX_NULL NULL
#define SYS_SEM_NULL NULL
#endif
