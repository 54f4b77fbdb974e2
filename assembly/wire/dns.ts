// DNS message view (RFC 1035 §4.1): header, QNAME encoding, name skipping with compression
// pointers (§4.1.4), resource-record fields. Every read is bounded by the message end.
import { get16, put16 } from "../core/bytes";

export const DNS_HLEN: i32 = 12;
export const DNS_PORT: u32 = 53;
export const TYPE_A: u32 = 1;
export const CLASS_IN: u32 = 1;
export const RCODE_NXDOMAIN: u32 = 3;
export const MAX_QNAME: i32 = 255;        // RFC 1035 §2.3.4 (wire form)

// @ts-ignore: decorator
@inline export function dnsId(m: usize): u32 { return get16(m); }
// @ts-ignore: decorator
@inline export function dnsFlags(m: usize): u32 { return get16(m + 2); }
// @ts-ignore: decorator
@inline export function dnsQdCount(m: usize): u32 { return get16(m + 4); }
// @ts-ignore: decorator
@inline export function dnsAnCount(m: usize): u32 { return get16(m + 6); }

// Encodes a dotted name (ASCII, lowercased) as length-prefixed labels ending in 0. Returns the
// encoded length, or -1 when a label is empty or longer than 63, or the whole exceeds MAX_QNAME.
export function dnsEncodeName(dst: usize, name: usize, len: i32): i32 {
  if (len > 0 && load<u8>(name + <usize>(len - 1)) == 0x2e) len--;   // trailing dot: absolute name
  if (len <= 0 || len + 2 > MAX_QNAME) return -1;
  let labelAt = dst;
  let out = dst + 1;
  for (let i = 0; i <= len; i++) {
    const c = i < len ? <u32>load<u8>(name + <usize>i) : 0x2e;
    if (c == 0x2e) {
      const l = <i32>(out - labelAt - 1);
      if (l == 0 || l > 63) return -1;
      store<u8>(labelAt, <u8>l);
      labelAt = out++;
    } else {
      if (c <= 0x20 || c >= 0x7f) return -1;
      store<u8>(out, <u8>(c >= 0x41 && c <= 0x5a ? c + 32 : c));
      out++;
    }
  }
  store<u8>(labelAt, 0);
  return <i32>(out - dst);
}

// Writes a standard recursive query for QNAME (already encoded at `q`, `qlen` bytes).
export function dnsEmitQuery(m: usize, id: u32, q: usize, qlen: i32): i32 {
  put16(m, id);
  put16(m + 2, 0x0100);                   // RD (RFC 1035 §4.1.1)
  put16(m + 4, 1);
  store<u32>(m + 6, 0);
  store<u16>(m + 10, 0);
  memory.copy(m + <usize>DNS_HLEN, q, <usize>qlen);
  const t = m + <usize>DNS_HLEN + <usize>qlen;
  put16(t, TYPE_A);
  put16(t + 2, CLASS_IN);
  return DNS_HLEN + qlen + 4;
}

// Skips a (possibly compressed) name starting at p; returns the byte after it or 0 when the
// name is malformed or runs past end.
export function dnsSkipName(p: usize, end: usize): usize {
  for (let n = 0; n < 128 && p < end; n++) {
    const l = <u32>load<u8>(p);
    if (l == 0) return p + 1;
    if ((l & 0xc0) == 0xc0) return p + 2 <= end ? p + 2 : 0;   // a pointer ends the name
    if ((l & 0xc0) != 0) return 0;
    p += 1 + <usize>l;
  }
  return 0;
}

// True when the question name at p equals QNAME q (case-insensitive, uncompressed, RFC 4343).
export function dnsNameEquals(p: usize, end: usize, q: usize, qlen: i32): bool {
  if (p + <usize>qlen > end) return false;
  for (let i = 0; i < qlen; i++) {
    let a = <u32>load<u8>(p + <usize>i);
    if (a >= 0x41 && a <= 0x5a) a += 32;
    if (a != <u32>load<u8>(q + <usize>i)) return false;
  }
  return true;
}
