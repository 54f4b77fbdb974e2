/* Start-up services: C stack high-water mark (bytes used since reset). */
#ifndef STARTUP_H
#define STARTUP_H
#include <stdint.h>
uint32_t startup_stack_used(void);
#endif
