/* stack_rt.h over WAMR 2.x (component espressif/wasm-micro-runtime): load the embedded module,
 * register the `env` natives, instantiate, and resolve every export once. Called only from the
 * runtime task (WAMR exec envs are per thread). */
#include <stdio.h>
#include <string.h>
#include "esp_log.h"
#include "wasm_export.h"
#include "stack_natives.h"
#include "stack_rt.h"

#define WASM_STACK_BYTES (8 * 1024) /* operand/frame stack of the interpreter */
#define WASM_HEAP_BYTES 0           /* the stack uses --runtime stub: no app heap */

static const char *TAG = "wamr";
static wasm_module_t module;
static wasm_module_inst_t instance;
static wasm_exec_env_t exec_env;
static wasm_function_inst_t exports[STACK_RT_EXPORT_COUNT];

static const char *const export_names[STACK_RT_EXPORT_COUNT] = {
#define STACK_RT_NAME(name, argc) #name,
  STACK_RT_EXPORTS(STACK_RT_NAME)
#undef STACK_RT_NAME
};

static int runtime_start(char *err, uint32_t err_len) {
  RuntimeInitArgs args;
  memset(&args, 0, sizeof args);
  args.mem_alloc_type = Alloc_With_System_Allocator;
  args.native_module_name = "env";
  args.native_symbols = stack_natives;
  args.n_native_symbols = stack_natives_count;
  if (wasm_runtime_full_init(&args)) return 0;
  snprintf(err, err_len, "wasm_runtime_full_init failed");
  return -1;
}

static int resolve_exports(char *err, uint32_t err_len) {
  for (int i = 0; i < STACK_RT_EXPORT_COUNT; i++) {
    exports[i] = wasm_runtime_lookup_function(instance, export_names[i]);
    if (!exports[i]) {
      snprintf(err, err_len, "export %s missing from stack.wasm", export_names[i]);
      return -1;
    }
  }
  return 0;
}

int stack_rt_init(const uint8_t *wasm, uint32_t wasm_len, char *err, uint32_t err_len) {
  if (runtime_start(err, err_len)) return -1;
  /* WAMR takes a non-const buffer; the loader copies what it keeps, the flash copy is not written. */
  module = wasm_runtime_load((uint8_t *)wasm, wasm_len, err, err_len);
  if (!module) return -1;
  instance = wasm_runtime_instantiate(module, WASM_STACK_BYTES, WASM_HEAP_BYTES, err, err_len);
  if (!instance) return -1;
  exec_env = wasm_runtime_create_exec_env(instance, WASM_STACK_BYTES);
  if (!exec_env) {
    snprintf(err, err_len, "wasm_runtime_create_exec_env failed");
    return -1;
  }
  return resolve_exports(err, err_len);
}

int32_t stack_rt_call(enum stack_rt_export fn, const uint32_t *args, uint32_t argc) {
  uint32_t argv[8] = {0};
  if (argc > 8) return INT32_MIN;
  memcpy(argv, args, argc * sizeof argv[0]);
  if (!wasm_runtime_call_wasm(exec_env, exports[fn], argc, argv)) {
    ESP_LOGE(TAG, "%s trapped: %s", export_names[fn], wasm_runtime_get_exception(instance));
    wasm_runtime_clear_exception(instance);
    return INT32_MIN;
  }
  return (int32_t)argv[0];
}

uint8_t *stack_rt_mem(uint32_t offset, uint32_t len) {
  if (!wasm_runtime_validate_app_addr(instance, offset, len)) return NULL;
  return wasm_runtime_addr_app_to_native(instance, offset);
}
