/* Extras of boards/common/wasm_rt_static.c beyond wasm-rt.h. */
#ifndef WASM_RT_STATIC_H
#define WASM_RT_STATIC_H
#include <setjmp.h>
#include "wasm-rt.h"

/* Linear memory the board reserves; the release stack declares 3 pages (192 KiB). */
#ifndef WASM_RT_STATIC_PAGES
#define WASM_RT_STATIC_PAGES 3u
#endif

/* Where a trap unwinds to (NULL: traps are fatal). Returns the previous target. */
jmp_buf *wasm_rt_static_set_trap_target(jmp_buf *target);
/* The trap that last unwound. */
wasm_rt_trap_t wasm_rt_static_last_trap(void);
#endif
