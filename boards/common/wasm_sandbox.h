/* The memory sandbox of the wasm2c output, chosen at compile time (ASNET_SANDBOX). Included by
 * stack.c after scripts/wasm2c-sandbox.mjs has rewritten it: every load and store there takes the
 * address operand and the constant offset as two u32 (wasm2c 1.0.32 passes one u64, and its 64-bit
 * bounds check costs ~9.5 KB of Cortex-M3 code for the 64-bit arithmetic alone). The script also
 * defines ASNET_SANDBOX_PAGES (the module's memory, which must not grow) and
 * ASNET_SANDBOX_MAX_OFFSET (the largest constant offset of any access).
 *
 * Linear memory is the static array of wasm_rt_static.c: WASM_RT_STATIC_PAGES pages followed by
 * WASM_RT_STATIC_GUARD bytes that belong to the sandbox and to nothing else.
 *   ASNET_SANDBOX_CHECK  exact wasm semantics: traps (OOB) iff addr + offset + size > memory size,
 *                        the 33-bit effective address compared without wrap-around, in 32 bits
 *                        (offset and size are constants, so the first half folds away).
 *   ASNET_SANDBOX_BASE   traps iff the address operand is beyond the memory; the constant offset
 *                        and access size then land at most MAX_OFFSET + 8 bytes past it, in the guard.
 *   ASNET_SANDBOX_MASK   (default) power-of-two memory: the address operand is masked, never traps;
 *                        a wild access wraps into the module's own memory (or the guard) instead.
 *   ASNET_SANDBOX_NONE   no sandbox at all: for measuring what the others cost, never for a board.
 * Traps that remain (unreachable = AssemblyScript abort, division by zero, OOB in CHECK/BASE and
 * memory.fill/copy, which keep wasm2c's own checks) still longjmp to the call's guard. */
#ifndef WASM_SANDBOX_H
#define WASM_SANDBOX_H
#include "wasm_rt_static.h"

#define ASNET_SANDBOX_NONE 0
#define ASNET_SANDBOX_CHECK 1
#define ASNET_SANDBOX_BASE 2
#define ASNET_SANDBOX_MASK 3
#ifndef ASNET_SANDBOX
#define ASNET_SANDBOX ASNET_SANDBOX_MASK
#endif

#define SANDBOX_LIMIT ((u32)WASM_RT_STATIC_PAGES * 65536u)
_Static_assert(ASNET_SANDBOX_PAGES == WASM_RT_STATIC_PAGES,
               "the module's memory must be exactly WASM_RT_STATIC_PAGES pages");
_Static_assert(ASNET_SANDBOX_MAX_OFFSET + 8 <= WASM_RT_STATIC_GUARD,
               "an access offset reaches beyond WASM_RT_STATIC_GUARD");
#if ASNET_SANDBOX == ASNET_SANDBOX_MASK
_Static_assert((SANDBOX_LIMIT & (SANDBOX_LIMIT - 1u)) == 0, "a masked memory must be a power of two");
#endif

/* Index into mem->data of an access of `size` bytes at address operand a + constant offset off. */
static inline u32 sandbox_ea(u32 a, u32 off, u32 size)
{
#if ASNET_SANDBOX == ASNET_SANDBOX_CHECK
    if (UNLIKELY(off > SANDBOX_LIMIT - size || a > SANDBOX_LIMIT - size - off)) TRAP(OOB);
    return a + off;
#elif ASNET_SANDBOX == ASNET_SANDBOX_BASE
    if (UNLIKELY(a >= SANDBOX_LIMIT)) TRAP(OOB);
    (void)size;
    return a + off;
#elif ASNET_SANDBOX == ASNET_SANDBOX_MASK
    (void)size;
    return (a & (SANDBOX_LIMIT - 1u)) + off;
#elif ASNET_SANDBOX == ASNET_SANDBOX_NONE
    (void)size;
    return a + off;
#else
#error "ASNET_SANDBOX must be ASNET_SANDBOX_CHECK, _BASE, _MASK or _NONE"
#endif
}

static inline void load_data(void *dest, const void *src, size_t n) { memcpy(dest, src, n); }
#define LOAD_DATA(m, o, i, s)      \
  do {                             \
    RANGE_CHECK((&m), o, s);       \
    load_data(&(m.data[o]), i, s); \
  } while (0)

#define DEFINE_LOAD(name, t1, t2, t3)                                              \
  static inline t3 name(wasm_rt_memory_t *mem, u32 addr, u32 off) {                \
    (void)mem;                                                                     \
    t1 result;                                                                     \
    wasm_rt_memcpy(&result, &wasm_rt_static_memory[sandbox_ea(addr, off, sizeof(t1))], sizeof(t1)); \
    wasm_asm("" ::"r"(result));                                                    \
    return (t3)(t2)result;                                                         \
  }

#define DEFINE_STORE(name, t1, t2)                                                 \
  static inline void name(wasm_rt_memory_t *mem, u32 addr, u32 off, t2 value) {    \
    (void)mem;                                                                     \
    t1 wrapped = (t1)value;                                                        \
    wasm_rt_memcpy(&wasm_rt_static_memory[sandbox_ea(addr, off, sizeof(t1))], &wrapped, sizeof(t1)); \
  }
#endif
