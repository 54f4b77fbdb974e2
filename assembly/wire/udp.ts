// UDP header view (RFC 768): source port, destination port, length (header + data), checksum.
import { get16, put16 } from "../core/bytes";

export const UDP_HLEN: i32 = 8;

// @ts-ignore: decorator
@inline export function udpSrcPort(u: usize): u32 { return get16(u); }
// @ts-ignore: decorator
@inline export function udpDstPort(u: usize): u32 { return get16(u + 2); }
// @ts-ignore: decorator
@inline export function udpLength(u: usize): i32 { return <i32>get16(u + 4); }
// @ts-ignore: decorator
@inline export function udpChecksumField(u: usize): u32 { return get16(u + 6); }

// Writes the header with a zero checksum; udpOutput fills the checksum in afterwards.
export function udpEmit(u: usize, sport: u32, dport: u32, len: i32): void {
  put16(u, sport);
  put16(u + 2, dport);
  put16(u + 4, <u32>len);
  store<u16>(u + 6, 0);
}
