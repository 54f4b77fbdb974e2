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
export function tcpEmit(t: usize, sport: u32, dport: u32, seq: u32, ack: u32, flags: u32, wnd: u32, hlen: i32): void {
  put16(t, sport);
  put16(t + 2, dport);
  put32(t + 4, seq);
  put32(t + 8, ack);
  store<u8>(t + 12, <u8>((hlen >> 2) << 4));
  store<u8>(t + 13, <u8>flags);
  put16(t + 14, wnd);
  store<u32>(t + 16, 0);              // checksum and urgent pointer
}
