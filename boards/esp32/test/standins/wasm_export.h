#pragma once
/* As WAMR 2.x's core/iwasm/include/wasm_export.h: only stdint.h and stdbool.h. */
#include <stdint.h>
#include <stdbool.h>
typedef struct WASMModuleCommon *wasm_module_t;
typedef struct WASMModuleInstanceCommon *wasm_module_inst_t;
typedef struct WASMExecEnv *wasm_exec_env_t;
typedef void *wasm_function_inst_t;
typedef struct NativeSymbol { const char *symbol; void *func_ptr; const char *signature; void *attachment; } NativeSymbol;
typedef enum { Alloc_With_Pool = 0, Alloc_With_Allocator, Alloc_With_System_Allocator } mem_alloc_type_t;
typedef union { struct { void *heap_buf; uint32_t heap_size; } pool; } MemAllocOption;
typedef struct {
  mem_alloc_type_t mem_alloc_type;
  MemAllocOption mem_alloc_option;
  const char *native_module_name;
  NativeSymbol *native_symbols;
  uint32_t n_native_symbols;
} RuntimeInitArgs;
bool wasm_runtime_full_init(RuntimeInitArgs *init_args);
wasm_module_t wasm_runtime_load(uint8_t *buf, uint32_t size, char *error_buf, uint32_t error_buf_size);
wasm_module_inst_t wasm_runtime_instantiate(const wasm_module_t module, uint32_t default_stack_size, uint32_t host_managed_heap_size, char *error_buf, uint32_t error_buf_size);
void wasm_runtime_deinstantiate(wasm_module_inst_t module_inst);
wasm_function_inst_t wasm_runtime_lookup_function(const wasm_module_inst_t module_inst, const char *name);
wasm_exec_env_t wasm_runtime_create_exec_env(wasm_module_inst_t module_inst, uint32_t stack_size);
void wasm_runtime_destroy_exec_env(wasm_exec_env_t exec_env);
wasm_module_inst_t wasm_runtime_get_module_inst(wasm_exec_env_t exec_env);
bool wasm_runtime_call_wasm(wasm_exec_env_t exec_env, wasm_function_inst_t function, uint32_t argc, uint32_t argv[]);
const char *wasm_runtime_get_exception(wasm_module_inst_t module_inst);
void wasm_runtime_clear_exception(wasm_module_inst_t module_inst);
bool wasm_runtime_validate_app_addr(wasm_module_inst_t module_inst, uint64_t app_offset, uint64_t size);
void *wasm_runtime_addr_app_to_native(wasm_module_inst_t module_inst, uint64_t app_offset);
