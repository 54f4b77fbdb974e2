// IPv4 header view (RFC 791 §3.1). Options are accepted on input and skipped; we never send any.
import { get16, get32 } from "../core/bytes";
import { fold16 } from "../core/checksum";

export const IP_HLEN: i32 = 20;
export const PROTO_ICMP: u32 = 1;
export const PROTO_TCP: u32 = 6;
export const PROTO_UDP: u32 = 17;
export const IP_DF: u32 = 0x4000;
export const IP_MF: u32 = 0x2000;
export const IP_OFFMASK: u32 = 0x1fff;

// @ts-ignore: decorator
@inline export function ipVersion(h: usize): u32 { return <u32>load<u8>(h) >> 4; }
// @ts-ignore: decorator
@inline export function ipHeaderLen(h: usize): i32 { return <i32>(load<u8>(h) & 15) << 2; }
// @ts-ignore: decorator
@inline export function ipTotalLen(h: usize): i32 { return <i32>get16(h + 2); }
// @ts-ignore: decorator
@inline export function ipFragField(h: usize): u32 { return get16(h + 6); }
// @ts-ignore: decorator
@inline export function ipTtl(h: usize): u32 { return <u32>load<u8>(h + 8); }
// @ts-ignore: decorator
@inline export function ipProto(h: usize): u32 { return <u32>load<u8>(h + 9); }
// @ts-ignore: decorator
@inline export function ipSrc(h: usize): u32 { return get32(h + 12); }
// @ts-ignore: decorator
@inline export function ipDst(h: usize): u32 { return get32(h + 16); }

// A fragment is any datagram with MF set or a non-zero offset (RFC 791 §3.2).
export function ipIsFragment(h: usize): bool {
  return (ipFragField(h) & (IP_MF | IP_OFFMASK)) != 0;
}

// Writes a 20-byte header with DF set (we do path-MTU-friendly TCP; RFC 1191) and its checksum,
// as five little-endian words (the values a load of the network bytes gives) whose sum, folded
// (RFC 1071, core/checksum.ts), is the checksum: no second pass over the header.
export function ipEmit(h: usize, totalLen: i32, id: u32, ttl: u32, proto: u32, src: u32, dst: u32, df: bool): void {
  const w0: u32 = 0x0045 | (<u32>bswap<u16>(<u16>totalLen) << 16);          // version 4, IHL 5, TOS 0; length
  const w1: u32 = <u32>bswap<u16>(<u16>id) | (df ? (IP_DF >> 8) << 16 : 0);  // id; flags and offset
  const w2: u32 = (ttl & 0xff) | ((proto & 0xff) << 8);                      // checksum 0 while summing
  const s = bswap<u32>(src);
  const d = bswap<u32>(dst);
  const sum = fold16(<u64>w0 + <u64>w1 + <u64>w2 + <u64>s + <u64>d);
  store<u32>(h, w0);
  store<u32>(h, w1, 4);
  store<u32>(h, w2 | ((~sum & 0xffff) << 16), 8);
  store<u32>(h, s, 12);
  store<u32>(h, d, 16);
}
