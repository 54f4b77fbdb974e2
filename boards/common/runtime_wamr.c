/* stack_rt.h over WAMR 2.x (wasm_export.h): register the `env` natives (stack_natives.c), load the
 * module (stack.wasm, or stack.aot where WAMR was built with AOT), instantiate it and resolve every
 * export once. A trap is a WAMR exception: the call returns STACK_RT_TRAP and the message is kept
 * for stack_rt_trap_reason(). Call from one thread only (WAMR exec envs are per thread).
 *
 * Memory: by default WAMR uses the system allocator (ESP-IDF's heap on esp32). With
 * -DSTACK_RT_WAMR_POOL_KB=N every allocation of the runtime comes from one static pool of N KiB
 * instead (no malloc), sized for the module, its 3 pages of linear memory and the interpreter. */
#include <stdio.h>
#include <string.h>
#include "wasm_export.h"
#include "stack_natives.h"
#include "stack_rt.h"

#if defined(ESP_PLATFORM)
#include "esp_log.h"
#define RT_REPORT(...) ESP_LOGE("wamr", __VA_ARGS__)
#else
#define RT_REPORT(...) ((void)0)   /* stack_glue.c reports traps through board_log */
#endif

#ifndef WASM_STACK_BYTES
#define WASM_STACK_BYTES (8 * 1024) /* operand/frame stack of the interpreter */
#endif
#define WASM_HEAP_BYTES 0           /* the stack uses --runtime stub: no app heap */

static wasm_module_t module;
static wasm_module_inst_t instance;
static wasm_exec_env_t exec_env;
static wasm_function_inst_t exports[STACK_RT_EXPORT_COUNT];
static char trap_reason[128];
static int runtime_ready;

#ifdef STACK_RT_WAMR_POOL_KB
static uint8_t wamr_pool[STACK_RT_WAMR_POOL_KB * 1024] __attribute__((aligned(16)));
#endif

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

static int runtime_start(char *err, uint32_t err_len) {
  if (runtime_ready) return 0;
  RuntimeInitArgs args;
  memset(&args, 0, sizeof args);
#ifdef STACK_RT_WAMR_POOL_KB
  args.mem_alloc_type = Alloc_With_Pool;
  args.mem_alloc_option.pool.heap_buf = wamr_pool;
  args.mem_alloc_option.pool.heap_size = sizeof wamr_pool;
#else
  args.mem_alloc_type = Alloc_With_System_Allocator;
#endif
  args.native_module_name = "env";
  args.native_symbols = stack_natives;
  args.n_native_symbols = stack_natives_count;
  if (!wasm_runtime_full_init(&args)) {
    snprintf(err, err_len, "wasm_runtime_full_init failed");
    return -1;
  }
  runtime_ready = 1;
  return 0;
}

static void drop_instance(void) {
  if (exec_env) wasm_runtime_destroy_exec_env(exec_env);
  if (instance) wasm_runtime_deinstantiate(instance);
  exec_env = NULL;
  instance = NULL;
}

static int instantiate(char *err, uint32_t err_len) {
  drop_instance();
  instance = wasm_runtime_instantiate(module, WASM_STACK_BYTES, WASM_HEAP_BYTES, err, err_len);
  if (!instance) return -1;
  exec_env = wasm_runtime_create_exec_env(instance, WASM_STACK_BYTES);
  if (!exec_env) {
    snprintf(err, err_len, "wasm_runtime_create_exec_env failed");
    return -1;
  }
  for (int i = 0; i < STACK_RT_EXPORT_COUNT; i++) {
    exports[i] = wasm_runtime_lookup_function(instance, export_names[i]);
    if (!exports[i]) {
      snprintf(err, err_len, "export %s missing from the module", export_names[i]);
      return -1;
    }
  }
  return 0;
}

int stack_rt_init(const uint8_t *wasm, uint32_t wasm_len, char *err, uint32_t err_len) {
  if (module) return instantiate(err, err_len);
  if (wasm == NULL || runtime_start(err, err_len)) return -1;
  /* WAMR takes a non-const buffer; the loader copies what it keeps, the flash copy is not written. */
  module = wasm_runtime_load((uint8_t *)wasm, wasm_len, err, err_len);
  if (!module) return -1;
  return instantiate(err, err_len);
}

int stack_rt_reset(char *err, uint32_t err_len) {
  if (!module) {
    snprintf(err, err_len, "stack_rt_reset before stack_rt_init");
    return -1;
  }
  return instantiate(err, err_len);
}

int32_t stack_rt_call(enum stack_rt_export fn, const uint32_t *args, uint32_t argc) {
  uint32_t argv[STACK_RT_MAX_ARGS] = {0};
  if ((unsigned)fn >= STACK_RT_EXPORT_COUNT || argc != export_argc[fn] || !exec_env) return STACK_RT_TRAP;
  memcpy(argv, args, argc * sizeof argv[0]);
  if (!wasm_runtime_call_wasm(exec_env, exports[fn], argc, argv)) {
    const char *why = wasm_runtime_get_exception(instance);
    snprintf(trap_reason, sizeof trap_reason, "%s", why ? why : "unknown exception");
    RT_REPORT("%s trapped: %s", export_names[fn], trap_reason);
    wasm_runtime_clear_exception(instance);
    return STACK_RT_TRAP;
  }
  return (int32_t)argv[0];
}

const char *stack_rt_trap_reason(void) { return trap_reason; }

const char *stack_rt_export_name(enum stack_rt_export fn) {
  return (unsigned)fn < STACK_RT_EXPORT_COUNT ? export_names[fn] : "?";
}

uint8_t *stack_rt_mem(uint32_t offset, uint32_t len) {
  if (!instance || !wasm_runtime_validate_app_addr(instance, offset, len)) return NULL;
  return wasm_runtime_addr_app_to_native(instance, offset);
}

#ifdef STACK_RT_WAMR_PROFILE
/* WAMR's memory profiler (built with WAMR_BUILD_MEMORY_PROFILING=1): module, instance and exec env
 * consumption, interpreter stack used; then the runtime pool's own accounting (boards/common/README.md). */
void stack_rt_wamr_dump(void) {
  if (!exec_env) return;
  wasm_runtime_set_log_level(WASM_LOG_LEVEL_VERBOSE);
  wasm_runtime_dump_mem_consumption(exec_env);
#ifdef STACK_RT_WAMR_POOL_KB
  mem_alloc_info_t info;
  if (wasm_runtime_get_mem_alloc_info(&info))
    printf("WAMR pool: %u bytes, %u free, high-water %u bytes in use\n", (unsigned)info.total_size,
           (unsigned)info.total_free_size, (unsigned)info.highmark_size);
#endif
}
#endif
