// SipHash-2-4 (Aumasson & Bernstein, 2012) over a fixed 16-byte message: the keyed hash behind
// RFC 6528 initial sequence numbers and SYN cookies. A PRF keyed with a secret from random() at init.

// @ts-ignore: decorator
@inline function rotl(x: u64, b: u64): u64 { return (x << b) | (x >> (64 - b)); }

let v0: u64 = 0, v1: u64 = 0, v2: u64 = 0, v3: u64 = 0;

function round(): void {
  v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
  v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
  v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
  v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
}

function compress(m: u64): void {
  v3 ^= m;
  round();
  round();
  v0 ^= m;
}

export function siphash16(k0: u64, k1: u64, m0: u64, m1: u64): u64 {
  v0 = k0 ^ 0x736f6d6570736575;
  v1 = k1 ^ 0x646f72616e646f6d;
  v2 = k0 ^ 0x6c7967656e657261;
  v3 = k1 ^ 0x7465646279746573;
  compress(m0);
  compress(m1);
  compress(<u64>16 << 56);
  v2 ^= 0xff;
  round(); round(); round(); round();
  return v0 ^ v1 ^ v2 ^ v3;
}
