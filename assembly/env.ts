// The three host functions the stack imports (docs/ABI.md). Nothing else may be imported.

// @ts-ignore: decorator
@external("env", "now_ms")
export declare function now_ms(): u32;

// @ts-ignore: decorator
@external("env", "netif_output")
export declare function netif_output(ptr: usize, len: i32): void;

// @ts-ignore: decorator
@external("env", "random")
export declare function random(): u32;
