// ICMP message view (RFC 792).
import { get16 } from "../core/bytes";

export const ICMP_ECHO_REPLY: u32 = 0;
export const ICMP_DEST_UNREACH: u32 = 3;
export const ICMP_ECHO_REQUEST: u32 = 8;
export const ICMP_TIME_EXCEEDED: u32 = 11;

// Destination-unreachable codes (RFC 792, RFC 1122 §3.2.2.1).
export const UNREACH_NET: u32 = 0;
export const UNREACH_HOST: u32 = 1;
export const UNREACH_PROTOCOL: u32 = 2;
export const UNREACH_PORT: u32 = 3;
export const UNREACH_FRAG_NEEDED: u32 = 4;

export const ICMP_HLEN: i32 = 8;

// @ts-ignore: decorator
@inline export function icmpType(m: usize): u32 { return <u32>load<u8>(m); }
// @ts-ignore: decorator
@inline export function icmpCode(m: usize): u32 { return <u32>load<u8>(m + 1); }
// @ts-ignore: decorator
@inline export function icmpNextMtu(m: usize): u32 { return get16(m + 6); }
