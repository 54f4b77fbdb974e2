/* Natives table for WAMR (module `env`), shared by every board that runs the stack in WAMR
 * (runtime_wamr.c registers it). Signatures use WAMR's notation (doc/export_native_api.md): `i` is
 * i32, the part in parentheses is the parameter list. `netif_output` takes a raw offset ("ii",
 * not "*~") so that this file validates the range itself and a bad pointer never traps the
 * runtime. test/board-esp32.test.ts checks this table against the import section of stack.wasm. */
#include <stddef.h> /* NULL: WAMR 2.x's wasm_export.h includes only stdint.h and stdbool.h */
#include "wasm_export.h"
#include "stack_natives.h"
#include "board_imports.h"

static int32_t native_now_ms(wasm_exec_env_t env) {
  (void)env;
  return (int32_t)board_now_ms();
}

static int32_t native_random(wasm_exec_env_t env) {
  (void)env;
  return (int32_t)board_random();
}

/* Frames are 14..1514 bytes (docs/ABI.md); anything else or outside linear memory is dropped. */
static void native_netif_output(wasm_exec_env_t env, int32_t ptr, int32_t len) {
  wasm_module_inst_t inst = wasm_runtime_get_module_inst(env);
  if (len < 14 || len > 1514) return;
  if (!wasm_runtime_validate_app_addr(inst, (uint32_t)ptr, (uint32_t)len)) return;
  board_netif_output(wasm_runtime_addr_app_to_native(inst, (uint32_t)ptr), (uint32_t)len);
}

#define NATIVE(name, signature) {#name, (void *)native_##name, signature, NULL}
NativeSymbol stack_natives[] = {
  NATIVE(now_ms, "()i"),
  NATIVE(random, "()i"),
  NATIVE(netif_output, "(ii)"),
};
#undef NATIVE
const uint32_t stack_natives_count = sizeof stack_natives / sizeof stack_natives[0];
