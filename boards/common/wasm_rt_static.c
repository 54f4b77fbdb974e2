/* A wasm2c runtime for wabt 1.0.32's wasm-rt.h with no mmap, no signals and no malloc, for every
 * native board (bare metal and Linux alike): linear memory is one static array, every load and
 * store is kept inside it by the generated code (wasm_sandbox.h after scripts/wasm2c-sandbox.mjs, or
 * wasm2c's own checks with WASM_RT_MEMCHECK_SIGNAL_HANDLER=0), with WASM_RT_STATIC_GUARD spare bytes,
 * and a trap unwinds with longjmp to the guard of the current call (stack_rt_call in runtime_wasm2c.c),
 * so the glue can report the stack's bug and restart it instead of dying. Outside a guard a trap is
 * fatal (board_fatal). */
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>
#include "wasm-rt.h"
#include "board.h"
#include "wasm_rt_static.h"

#define WASM_PAGE 65536u
#define MAX_FUNC_TYPES 48u
#define MAX_TYPE_ARITY 24u   /* build/stack.wasm has a 13-parameter function type */

uint8_t wasm_rt_static_memory[WASM_RT_STATIC_PAGES * WASM_PAGE + WASM_RT_STATIC_GUARD] __attribute__((aligned(16)));
static int memory_in_use;
static int initialized;
uint32_t wasm_rt_call_stack_depth;

struct func_type { uint8_t params, results, types[MAX_TYPE_ARITY]; };
static struct func_type func_types[MAX_FUNC_TYPES];
static uint32_t func_type_count;

static jmp_buf *trap_target;
static wasm_rt_trap_t last_trap;

void wasm_rt_init(void) { initialized = 1; }
bool wasm_rt_is_initialized(void) { return initialized != 0; }
void wasm_rt_free(void) { initialized = 0; }

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
    default: return "unknown trap";
    }
}

jmp_buf *wasm_rt_static_set_trap_target(jmp_buf *target)
{
    jmp_buf *old = trap_target;
    trap_target = target;
    return old;
}

wasm_rt_trap_t wasm_rt_static_last_trap(void) { return last_trap; }

void wasm_rt_trap(wasm_rt_trap_t trap)
{
    last_trap = trap;
    wasm_rt_call_stack_depth = 0;
    if (trap_target != NULL) longjmp(*trap_target, (int)trap);
    board_fatal(wasm_rt_strerror(trap));
}

/* Equal types get equal indices: wasm2c compares indices in call_indirect. */
uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...)
{
    struct func_type t;
    memset(&t, 0, sizeof t);
    t.params = (uint8_t)params;
    t.results = (uint8_t)results;
    if (params + results > MAX_TYPE_ARITY) board_fatal("wasm: function type too long");
    va_list ap;
    va_start(ap, results);
    for (uint32_t i = 0; i < params + results; i++) t.types[i] = (uint8_t)va_arg(ap, int);
    va_end(ap);
    for (uint32_t i = 0; i < func_type_count; i++) {
        if (memcmp(&func_types[i], &t, sizeof t) == 0) return i;
    }
    if (func_type_count == MAX_FUNC_TYPES) board_fatal("wasm: too many function types");
    func_types[func_type_count] = t;
    return func_type_count++;
}

void wasm_rt_allocate_memory(wasm_rt_memory_t *m, uint32_t initial_pages, uint32_t max_pages)
{
    if (memory_in_use) board_fatal("wasm: one module instance per board");
    if (initial_pages > WASM_RT_STATIC_PAGES) board_fatal("wasm: module needs more linear memory than WASM_RT_STATIC_PAGES");
    memory_in_use = 1;
    memset(wasm_rt_static_memory, 0, sizeof wasm_rt_static_memory);
    m->data = wasm_rt_static_memory;
    m->pages = initial_pages;
    m->max_pages = max_pages < WASM_RT_STATIC_PAGES ? max_pages : WASM_RT_STATIC_PAGES;
    m->size = initial_pages * WASM_PAGE;
}

/* memory.grow: the old page count, or -1 when the static array cannot hold the new size. */
uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *m, uint32_t delta)
{
    uint32_t old = m->pages;
    if (delta > m->max_pages - old) return 0xffffffffu;
    memset(m->data + m->size, 0, (size_t)delta * WASM_PAGE);
    m->pages = old + delta;
    m->size = m->pages * WASM_PAGE;
    return old;
}

void wasm_rt_free_memory(wasm_rt_memory_t *m)
{
    (void)m;
    memory_in_use = 0;
}

/* The stack declares no table (AssemblyScript without indirect calls). An app module may declare one
 * (function references: the MQTT client's callbacks in build/mqtt-app.wasm): built with
 * -DWASM_RT_STATIC_TABLE=N, one static table of at most N entries, not growable. */
#ifndef WASM_RT_STATIC_TABLE
#define WASM_RT_STATIC_TABLE 0u
#endif
#if WASM_RT_STATIC_TABLE > 0
static wasm_rt_funcref_t table_slots[WASM_RT_STATIC_TABLE];
static int table_in_use;

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *t, uint32_t elements, uint32_t max)
{
    (void)max;
    t->data = NULL;
    t->size = 0;
    t->max_size = 0;
    if (elements == 0) return;
    if (elements > WASM_RT_STATIC_TABLE || table_in_use) board_fatal("wasm: funcref table over WASM_RT_STATIC_TABLE");
    memset(table_slots, 0, sizeof table_slots);
    table_in_use = 1;
    t->data = table_slots;
    t->size = elements;
    t->max_size = elements;
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *t)
{
    if (t->data == table_slots) table_in_use = 0;
    t->data = NULL;
    t->size = 0;
}
#else
void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *t, uint32_t elements, uint32_t max)
{
    (void)max;
    if (elements != 0) board_fatal("wasm: funcref tables are not supported");
    t->data = NULL;
    t->size = 0;
    t->max_size = 0;
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *t) { (void)t; }
#endif
