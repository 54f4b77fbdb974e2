/* bench/wasm2c/build/pair-mask: the boards' default sandbox (boards/common/wasm_sandbox.h,
 * ASNET_SANDBOX_MASK: no guard pages, no bounds check, the address operand masked) for the pair's
 * two instances. Included by the wasm2c output after scripts/wasm2c-sandbox.mjs rewrote it, in
 * place of the boards' header (-Imask comes first). Two differences from a board, both stated in
 * bench/README.md: each instance's memory is reached through its own data pointer (a board's one
 * static memory sits at a link-time address), and the mask is the next power of two above the
 * server build's 3 pages (a board's 1-page memory is a power of two itself). */
#ifndef WASM_SANDBOX_H
#define WASM_SANDBOX_H

#define SANDBOX_BYTES ((u32)ASNET_SANDBOX_PAGES * 65536u)
#define SANDBOX_MASK_BYTES (SANDBOX_BYTES <= 65536u ? 65536u : SANDBOX_BYTES <= 131072u ? 131072u : \
                            SANDBOX_BYTES <= 262144u ? 262144u : 524288u)
_Static_assert(SANDBOX_BYTES <= 524288u, "pair-mask: memory larger than 8 pages");

static inline u32 sandbox_ea(u32 a, u32 off) { return (a & (SANDBOX_MASK_BYTES - 1u)) + off; }

static inline void load_data(void *dest, const void *src, size_t n) { memcpy(dest, src, n); }
#define LOAD_DATA(m, o, i, s)      \
  do {                             \
    RANGE_CHECK((&m), o, s);       \
    load_data(&(m.data[o]), i, s); \
  } while (0)

#define DEFINE_LOAD(name, t1, t2, t3)                                              \
  static inline t3 name(wasm_rt_memory_t *mem, u32 addr, u32 off) {                \
    t1 result;                                                                     \
    wasm_rt_memcpy(&result, &mem->data[sandbox_ea(addr, off)], sizeof(t1));       \
    wasm_asm("" ::"r"(result));                                                    \
    return (t3)(t2)result;                                                         \
  }

#define DEFINE_STORE(name, t1, t2)                                                 \
  static inline void name(wasm_rt_memory_t *mem, u32 addr, u32 off, t2 value) {    \
    t1 wrapped = (t1)value;                                                        \
    wasm_rt_memcpy(&mem->data[sandbox_ea(addr, off)], &wrapped, sizeof(t1));      \
  }
#endif
