// TCP header view (RFC 9293 §3.1).
import { get16, get32, put16, put32 } from "../core/bytes";

export const TCP_HLEN: i32 = 20;
export const FIN: u32 = 0x01;
export const SYN: u32 = 0x02;
export const RST: u32 = 0x04;
export const PSH: u32 = 0x08;
export const ACK: u32 = 0x10;
export const URG: u32 = 0x20;

// @ts-ignore: decorator
@inline export function tcpSrcPort(t: usize): u32 { return get16(t); }
// @ts-ignore: decorator
@inline export function tcpDstPort(t: usize): u32 { return get16(t + 2); }
// @ts-ignore: decorator
@inline export function tcpSeq(t: usize): u32 { return get32(t + 4); }
// @ts-ignore: decorator
@inline export function tcpAck(t: usize): u32 { return get32(t + 8); }
// @ts-ignore: decorator
@inline export function tcpHeaderLen(t: usize): i32 { return <i32>(load<u8>(t + 12) >> 4) << 2; }
// @ts-ignore: decorator
@inline export function tcpFlags(t: usize): u32 { return <u32>load<u8>(t + 13) & 0x3f; }
// @ts-ignore: decorator
@inline export function tcpWindow(t: usize): u32 { return get16(t + 14); }

// Writes the fixed header; options (if any) follow at t + 20 and hlen covers them.
// Four-byte stores of little-endian words holding the network bytes.
export function tcpEmit(t: usize, sport: u32, dport: u32, seq: u32, ack: u32, flags: u32, wnd: u32, hlen: i32): void {
  const ports: u32 = <u32>bswap<u16>(<u16>sport) | (<u32>bswap<u16>(<u16>dport) << 16);
  const w3: u32 = ((<u32>(hlen >> 2) & 15) << 4) | ((flags & 0xff) << 8) | (<u32>bswap<u16>(<u16>wnd) << 16);
  store<u32>(t, ports);
  put32(t + 4, seq);
  put32(t + 8, ack);
  store<u32>(t, w3, 12);              // data offset, flags, window
  store<u32>(t, 0, 16);               // checksum and urgent pointer
}
