/* stack_rt.h over the wasm2c translation of build/stack.wasm (`wasm2c stack.wasm -n stack`) and
 * the static runtime wasm_rt_static.c. Each call runs under a setjmp guard: a trap (a bug in the
 * stack, never expected) longjmps back here and the call returns STACK_RT_TRAP. The imports
 * (module `env`, docs/ABI.md) forward to board_imports.h after a range check, so a bad pointer
 * from the module is dropped instead of read out of bounds. */
#include <setjmp.h>
#include <stdio.h>
#include "board_imports.h"
#include "stack_rt.h"
#include "wasm_rt_static.h"
#include "stack.h"

static Z_stack_instance_t inst;
static int instantiated;

static const char *const export_names[STACK_RT_EXPORT_COUNT] = {
#define STACK_RT_NAME(name, argc) #name,
  STACK_RT_EXPORTS(STACK_RT_NAME)
#undef STACK_RT_NAME
};

static const uint8_t export_argc[STACK_RT_EXPORT_COUNT] = {
#define STACK_RT_ARGC(name, argc) argc,
  STACK_RT_EXPORTS(STACK_RT_ARGC)
#undef STACK_RT_ARGC
};

/* ---- imports ---- */

u32 Z_envZ_now_ms(struct Z_env_instance_t *env) { (void)env; return board_now_ms(); }
u32 Z_envZ_random(struct Z_env_instance_t *env) { (void)env; return board_random(); }

/* Frames are 14..1514 bytes (docs/ABI.md); anything else or outside linear memory is dropped. */
void Z_envZ_netif_output(struct Z_env_instance_t *env, u32 ptr, u32 len)
{
    (void)env;
    const uint8_t *frame = stack_rt_mem(ptr, len);
    if (len < 14u || len > 1514u || frame == NULL) return;
    board_netif_output(frame, len);
}

/* ---- instance ---- */

int stack_rt_init(const uint8_t *wasm, uint32_t wasm_len, char *err, uint32_t err_len)
{
    (void)wasm; (void)wasm_len; (void)err; (void)err_len;
    if (!wasm_rt_is_initialized()) {
        wasm_rt_init();
        Z_stack_init_module();
    }
    if (instantiated) Z_stack_free(&inst);
    Z_stack_instantiate(&inst, NULL);
    instantiated = 1;
    return 0;
}

int stack_rt_reset(char *err, uint32_t err_len) { return stack_rt_init(NULL, 0, err, err_len); }

uint8_t *stack_rt_mem(uint32_t offset, uint32_t len)
{
    uint64_t size = instantiated ? inst.w2c_memory.size : 0;
    if ((uint64_t)offset + len > size) return NULL;
    return inst.w2c_memory.data + offset;
}

const char *stack_rt_export_name(enum stack_rt_export fn)
{
    return (unsigned)fn < STACK_RT_EXPORT_COUNT ? export_names[fn] : "?";
}

const char *stack_rt_trap_reason(void) { return wasm_rt_strerror(wasm_rt_static_last_trap()); }

/* ---- calls ---- */

#define ARGS0
#define ARGS1 , a[0]
#define ARGS2 , a[0], a[1]
#define ARGS3 , a[0], a[1], a[2]
#define ARGS4 , a[0], a[1], a[2], a[3]
#define ARGS5 , a[0], a[1], a[2], a[3], a[4]

/* One direct call per export; a has STACK_RT_MAX_ARGS entries. */
static int32_t dispatch(enum stack_rt_export fn, const uint32_t *a)
{
    switch (fn) {
#define STACK_RT_CASE(name, argc) case STACK_RT_##name: return (int32_t)Z_stackZ_##name(&inst ARGS##argc);
    STACK_RT_EXPORTS(STACK_RT_CASE)
#undef STACK_RT_CASE
    default: return 0;
    }
}

int32_t stack_rt_call(enum stack_rt_export fn, const uint32_t *args, uint32_t argc)
{
    if ((unsigned)fn >= STACK_RT_EXPORT_COUNT || argc != export_argc[fn] || !instantiated) return STACK_RT_TRAP;
    uint32_t a[STACK_RT_MAX_ARGS] = { 0 };
    for (uint32_t i = 0; i < argc; i++) a[i] = args[i];
    jmp_buf jb;
    jmp_buf *prev = wasm_rt_static_set_trap_target(&jb);
    volatile int32_t result = STACK_RT_TRAP;
    if (setjmp(jb) == 0) result = dispatch(fn, a);
    wasm_rt_static_set_trap_target(prev);
    return result;
}
