// A runtime whose allocator traps: the stack built against it (build/stack.noalloc.wasm) proves
// that nothing is allocated, at init or after it. Every entry point the compiler may call is
// here; the ones that would hand out memory execute `unreachable`.

// @ts-ignore: decorator
@unsafe @global
export function __alloc(size: usize): usize { unreachable(); return 0; }

// @ts-ignore: decorator
@unsafe @global
export function __realloc(ptr: usize, size: usize): usize { unreachable(); return 0; }

// @ts-ignore: decorator
@unsafe @global
export function __free(ptr: usize): void { unreachable(); }

// @ts-ignore: decorator
@unsafe @global
export function __reset(): void {}

// @ts-ignore: decorator
@unsafe @global
export function __new(size: usize, id: u32): usize { unreachable(); return 0; }

// @ts-ignore: decorator
@unsafe @global
export function __renew(oldPtr: usize, size: usize): usize { unreachable(); return 0; }

// @ts-ignore: decorator
@global @unsafe
export function __link(parentPtr: usize, childPtr: usize, expectMultiple: bool): void {}

// @ts-ignore: decorator
@global @unsafe
export function __pin(ptr: usize): usize { return ptr; }

// @ts-ignore: decorator
@global @unsafe
export function __unpin(ptr: usize): void {}

// @ts-ignore: decorator
@global @unsafe
function __visit(ptr: usize, cookie: u32): void {}

// @ts-ignore: decorator
@global @unsafe
export function __collect(): void {}
