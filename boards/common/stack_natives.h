/* WAMR native symbols for module `env`: exactly the stack's imports (docs/ABI.md "Imports"). */
#ifndef STACK_NATIVES_H
#define STACK_NATIVES_H
#include "wasm_export.h"
extern NativeSymbol stack_natives[];
extern const uint32_t stack_natives_count;
#endif
