// 32-bit sequence number arithmetic (RFC 9293 §3.4): comparisons modulo 2^32.

// @ts-ignore: decorator
@inline export function seqLt(a: u32, b: u32): bool { return <i32>(a - b) < 0; }
// @ts-ignore: decorator
@inline export function seqLeq(a: u32, b: u32): bool { return <i32>(a - b) <= 0; }
// @ts-ignore: decorator
@inline export function seqGt(a: u32, b: u32): bool { return <i32>(a - b) > 0; }
// @ts-ignore: decorator
@inline export function seqGeq(a: u32, b: u32): bool { return <i32>(a - b) >= 0; }
// @ts-ignore: decorator
@inline export function seqMax(a: u32, b: u32): u32 { return <i32>(a - b) > 0 ? a : b; }
// @ts-ignore: decorator
@inline export function seqMin(a: u32, b: u32): u32 { return <i32>(a - b) < 0 ? a : b; }
// a <= x < b
// @ts-ignore: decorator
@inline export function seqInRange(x: u32, a: u32, b: u32): bool { return x - a < b - a; }
