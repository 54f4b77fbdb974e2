/* A wasm2c runtime (wabt 1.0.32 wasm-rt.h) for bare metal: no mmap, no signals, no malloc.
 * Linear memory is one static array sized for the module's declared maximum; every load/store
 * is bounds-checked by the generated code (WASM_RT_MEMCHECK_SIGNAL_HANDLER=0 on 32-bit targets).
 * A trap is a bug in the stack: it is reported on the console and ends the firmware.
 * Board-local until boards/common ships the shared one. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "wasm-rt.h"
#include "semihost.h"

/* The stack declares (memory 4 4): 256 KiB, fixed. WebAssembly spec 2.5.5: page = 64 KiB. */
#define WASM_PAGE 65536u
#define LINEAR_MEMORY_PAGES 4u
#define MAX_FUNC_TYPES 48u
#define MAX_TYPE_ARITY 12u

static uint8_t linear_memory[LINEAR_MEMORY_PAGES * WASM_PAGE] __attribute__((aligned(8)));
static bool memory_in_use;
static bool initialized;
uint32_t wasm_rt_call_stack_depth;

struct func_type {
    uint8_t params, results;
    uint8_t types[MAX_TYPE_ARITY];
};
static struct func_type func_types[MAX_FUNC_TYPES];
static uint32_t func_type_count;

void wasm_rt_init(void) { initialized = true; }
bool wasm_rt_is_initialized(void) { return initialized; }
void wasm_rt_free(void) { initialized = false; }

const char *wasm_rt_strerror(wasm_rt_trap_t trap)
{
    switch (trap) {
    case WASM_RT_TRAP_NONE: return "none";
    case WASM_RT_TRAP_OOB: return "out-of-bounds memory access";
    case WASM_RT_TRAP_INT_OVERFLOW: return "integer overflow";
    case WASM_RT_TRAP_DIV_BY_ZERO: return "integer divide by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION: return "invalid conversion";
    case WASM_RT_TRAP_UNREACHABLE: return "unreachable (AssemblyScript abort)";
    case WASM_RT_TRAP_CALL_INDIRECT: return "bad call_indirect";
    case WASM_RT_TRAP_EXHAUSTION: return "call stack exhausted";
    default: return "unknown";
    }
}

void wasm_rt_trap(wasm_rt_trap_t trap)
{
    printf("wasm trap: %s\n", wasm_rt_strerror(trap));
    semihost_exit(2);
}

/* Types are equal when their parameter and result lists are equal (wasm2c compares indices). */
uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...)
{
    struct func_type t = { .params = (uint8_t)params, .results = (uint8_t)results };
    if (params + results > MAX_TYPE_ARITY) wasm_rt_trap(WASM_RT_TRAP_CALL_INDIRECT);
    va_list ap;
    va_start(ap, results);
    for (uint32_t i = 0; i < params + results; i++) {
        t.types[i] = (uint8_t)va_arg(ap, int); /* enums promote to int through varargs */
    }
    va_end(ap);
    for (uint32_t i = 0; i < func_type_count; i++) {
        if (memcmp(&func_types[i], &t, sizeof t) == 0) return i;
    }
    if (func_type_count == MAX_FUNC_TYPES) wasm_rt_trap(WASM_RT_TRAP_CALL_INDIRECT);
    func_types[func_type_count] = t;
    return func_type_count++;
}

void wasm_rt_allocate_memory(wasm_rt_memory_t *m, uint32_t initial_pages, uint32_t max_pages)
{
    if (memory_in_use || initial_pages > LINEAR_MEMORY_PAGES) {
        printf("wasm: module wants %lu pages, board has %u\n", (unsigned long)initial_pages,
               LINEAR_MEMORY_PAGES);
        semihost_exit(2);
    }
    memory_in_use = true;
    memset(linear_memory, 0, sizeof linear_memory);
    m->data = linear_memory;
    m->pages = initial_pages;
    m->max_pages = max_pages < LINEAR_MEMORY_PAGES ? max_pages : LINEAR_MEMORY_PAGES;
    m->size = initial_pages * WASM_PAGE;
}

/* memory.grow: old page count, or -1 when the static array cannot hold the new size. */
uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *m, uint32_t delta)
{
    uint32_t old = m->pages;
    if (delta > m->max_pages - old) return 0xffffffffu;
    memset(m->data + m->size, 0, delta * WASM_PAGE);
    m->pages = old + delta;
    m->size = m->pages * WASM_PAGE;
    return old;
}

void wasm_rt_free_memory(wasm_rt_memory_t *m)
{
    (void)m;
    memory_in_use = false;
}

/* The stack module declares no tables (AssemblyScript without indirect calls); refuse any. */
void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *t, uint32_t elements, uint32_t max)
{
    (void)t; (void)elements; (void)max;
    printf("wasm: funcref tables are not supported on this board\n");
    semihost_exit(2);
}
void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *t) { (void)t; }
