// SipHash-2-4 (Aumasson & Bernstein, 2012) over a fixed 16-byte message: the keyed hash behind
// RFC 6528 initial sequence numbers and SYN cookies. A PRF keyed with a secret from random() at init.
// The state lives in locals: one copy of the round, run twice per block and four times to finish.

// @ts-ignore: decorator
@inline function rotl(x: u64, b: u64): u64 { return (x << b) | (x >> (64 - b)); }

export function siphash16(k0: u64, k1: u64, m0: u64, m1: u64): u64 {
  let v0 = k0 ^ 0x736f6d6570736575;
  let v1 = k1 ^ 0x646f72616e646f6d;
  let v2 = k0 ^ 0x6c7967656e657261;
  let v3 = k1 ^ 0x7465646279746573;
  // Blocks m0, m1, then the length block (16 << 56); block 3 is the finalisation.
  let m = m0;
  for (let i = 0; ; i++) {
    if (i == 3) v2 ^= 0xff; else v3 ^= m;
    for (let r = i == 3 ? 4 : 2; r > 0; r--) {
      v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
      v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
      v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
      v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
    }
    if (i == 3) break;
    v0 ^= m;
    m = i == 0 ? m1 : <u64>16 << 56;
  }
  return v0 ^ v1 ^ v2 ^ v3;
}
