// The Internet checksum (RFC 1071): 16-bit one's complement sum.
//
// RFC 1071 §2(B): the sum is independent of byte order, so we add little-endian 32-bit words into a
// 64-bit accumulator (no carry handling in the loop: 2^32 words would be needed to overflow), fold,
// and swap once at the end. Partial sums over pieces at even offsets can be added together (§2(A)).
// The main loop takes 64 bytes a turn: one load and one add per word, the loop's own test once per
// 16 words (a 64-bit add with end-around carry costs more per byte once compiled: bench/README.md).

// @ts-ignore: decorator
@inline function sum16(p: usize): u64 {
  return (<u64>load<u32>(p) + <u64>load<u32>(p, 4)) + (<u64>load<u32>(p, 8) + <u64>load<u32>(p, 12));
}

// Sum of `len` bytes at `p`, in the little-endian domain, unfolded.
export function sumBytes(p: usize, len: i32, acc: u64): u64 {
  let end = p + <usize>(len & ~63);
  while (p < end) {
    acc += (sum16(p) + sum16(p + 16)) + (sum16(p + 32) + sum16(p + 48));
    p += 64;
  }
  end = p + <usize>(len & 48);
  while (p < end) { acc += sum16(p); p += 16; }
  if (len & 8) { acc += <u64>load<u32>(p) + <u64>load<u32>(p, 4); p += 8; }
  if (len & 4) { acc += <u64>load<u32>(p); p += 4; }
  if (len & 2) { acc += <u64>load<u16>(p); p += 2; }
  if (len & 1) acc += <u64>load<u8>(p);
  return acc;
}

// Folds a little-endian-domain sum to 16 bits and returns it in network (big-endian) value.
export function foldToBe(acc: u64): u32 {
  let s = (acc & 0xffffffff) + (acc >> 32);
  s = (s & 0xffffffff) + (s >> 32);
  let t = <u32>s;
  t = (t & 0xffff) + (t >> 16);
  t = (t & 0xffff) + (t >> 16);
  return <u32>bswap<u16>(<u16>t);
}

// One's complement checksum of a buffer, ready to store (big-endian value).
export function checksum(p: usize, len: i32): u32 {
  return ~foldToBe(sumBytes(p, len, 0)) & 0xffff;
}

// TCP/UDP checksum over pseudo-header (RFC 9293 §3.1) + segment. Returns the value to store, or,
// when verifying a segment that includes its checksum field, 0 when it is correct.
// The pseudo-header's big-endian 16-bit words are summed and folded first, swapped into the
// little-endian domain of sumBytes (§2(B): swapping commutes with the sum) and passed as its
// starting value: one fold for the whole checksum instead of one per pseudo-header field.
export function transportChecksum(src: u32, dst: u32, proto: u32, p: usize, len: i32): u32 {
  let ph = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + <u32>len;
  ph = (ph & 0xffff) + (ph >>> 16);
  ph = (ph & 0xffff) + (ph >>> 16);
  return ~foldToBe(sumBytes(p, len, <u64>bswap<u16>(<u16>ph))) & 0xffff;
}
