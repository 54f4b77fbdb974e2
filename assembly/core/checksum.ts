// The Internet checksum (RFC 1071): 16-bit one's complement sum.
//
// RFC 1071 §2(B): the sum is independent of byte order, so we add little-endian 64-bit words and
// fold once at the end; each add's carry goes back in at once (end-around carry: `acc < x` after the
// add is the carry, and acc + carry cannot overflow again). Compiled (wasm2c + gcc -O2) that is one
// load and one add-with-carry per 8 bytes, the main loop taking 64 bytes a turn (bench/README.md).
// Partial sums over pieces at even offsets can be added together (§2(A)).

// Sum of `len` bytes at `p`, in the little-endian domain, unfolded (below 2^34).
export function sumBytes(p: usize, len: i32, acc: u64): u64 {
  let t: u64 = 0;
  if (len == 20) {             // an IPv4 header or a bare TCP header: two words, no loop
    let x = load<u64>(p); acc += x; acc += <u64>(acc < x);
    x = load<u64>(p, 8); acc += x; acc += <u64>(acc < x);
    t = <u64>load<u32>(p, 16);
  } else {
    let end = p + <usize>(len & ~63);
    while (p < end) {
      let x = load<u64>(p); acc += x; acc += <u64>(acc < x);
      x = load<u64>(p, 8); acc += x; acc += <u64>(acc < x);
      x = load<u64>(p, 16); acc += x; acc += <u64>(acc < x);
      x = load<u64>(p, 24); acc += x; acc += <u64>(acc < x);
      x = load<u64>(p, 32); acc += x; acc += <u64>(acc < x);
      x = load<u64>(p, 40); acc += x; acc += <u64>(acc < x);
      x = load<u64>(p, 48); acc += x; acc += <u64>(acc < x);
      x = load<u64>(p, 56); acc += x; acc += <u64>(acc < x);
      p += 64;
    }
    end = p + <usize>(len & 56);
    while (p < end) { const x = load<u64>(p); acc += x; acc += <u64>(acc < x); p += 8; }
    if (len & 4) { t = <u64>load<u32>(p); p += 4; }
    if (len & 2) { t += <u64>load<u16>(p); p += 2; }
    if (len & 1) t += <u64>load<u8>(p);
  }
  return (acc & 0xffffffff) + (acc >> 32) + t;
}

// Folds a little-endian-domain sum to 16 bits, still in that domain (a little-endian store of it,
// or of its complement, writes the network bytes).
export function fold16(acc: u64): u32 {
  let s = (acc & 0xffffffff) + (acc >> 32);
  s = (s & 0xffffffff) + (s >> 32);
  let t = <u32>s;
  t = (t & 0xffff) + (t >> 16);
  return (t & 0xffff) + (t >> 16);
}

// Folds a little-endian-domain sum to 16 bits and returns it in network (big-endian) value.
export function foldToBe(acc: u64): u32 {
  return <u32>bswap<u16>(<u16>fold16(acc));
}

// One's complement checksum of a buffer, ready to store (big-endian value).
export function checksum(p: usize, len: i32): u32 {
  return ~foldToBe(sumBytes(p, len, 0)) & 0xffff;
}

// TCP/UDP checksum over pseudo-header (RFC 9293 §3.1) + segment. Returns the value to store, or,
// when verifying a segment that includes its checksum field, 0 when it is correct.
// The pseudo-header's three 32-bit words are taken in the little-endian domain of sumBytes (the
// value a little-endian load of their network bytes gives: bswap) and passed as its starting value.
export function transportChecksum(src: u32, dst: u32, proto: u32, p: usize, len: i32): u32 {
  const ph = <u64>bswap<u32>(src) + <u64>bswap<u32>(dst) + <u64>bswap<u32>((proto << 16) | <u32>len);
  return ~foldToBe(sumBytes(p, len, ph)) & 0xffff;
}
