/* Extras of boards/common/wasm_rt_static.c beyond wasm-rt.h. */
#ifndef WASM_RT_STATIC_H
#define WASM_RT_STATIC_H
#include <setjmp.h>
#include "wasm-rt.h"

/* Linear memory the board reserves: the default build/stack.wasm declares 1 page (64 KiB); the
 * server build (stack.server.wasm) 3. */
#ifndef WASM_RT_STATIC_PAGES
#define WASM_RT_STATIC_PAGES 1u
#endif
/* Bytes after the pages that belong to the sandbox (wasm_sandbox.h): an access whose address
 * operand is in bounds but whose constant offset reaches past the end lands here. */
#ifndef WASM_RT_STATIC_GUARD
#define WASM_RT_STATIC_GUARD 256u
#endif

/* The linear memory (one instance per board): pages, then the guard. wasm_sandbox.h addresses it
 * directly, a link-time constant, rather than through the instance (which the compiler must reload
 * after every store, since a store through a byte pointer may alias it). */
extern uint8_t wasm_rt_static_memory[];

/* Where a trap unwinds to (NULL: traps are fatal). Returns the previous target. */
jmp_buf *wasm_rt_static_set_trap_target(jmp_buf *target);
/* The trap that last unwound. */
wasm_rt_trap_t wasm_rt_static_last_trap(void);
#endif
