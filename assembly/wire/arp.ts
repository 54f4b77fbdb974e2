// ARP packet view for Ethernet/IPv4 (RFC 826): 28 bytes after the Ethernet header.
import { get16, get32, put16, put32 } from "../core/bytes";
import { macCopy } from "./ethernet";

export const ARP_LEN: i32 = 28;
export const ARP_REQUEST: u32 = 1;
export const ARP_REPLY: u32 = 2;

// @ts-ignore: decorator
@inline export function arpOper(a: usize): u32 { return get16(a + 6); }
// @ts-ignore: decorator
@inline export function arpSha(a: usize): usize { return a + 8; }
// @ts-ignore: decorator
@inline export function arpSpa(a: usize): u32 { return get32(a + 14); }
// @ts-ignore: decorator
@inline export function arpTha(a: usize): usize { return a + 18; }
// @ts-ignore: decorator
@inline export function arpTpa(a: usize): u32 { return get32(a + 24); }

// True for Ethernet (1) / IPv4 (0x0800) with 6- and 4-byte addresses, the only form we speak.
export function arpIsEthIpv4(a: usize): bool {
  return get16(a) == 1 && get16(a + 2) == 0x0800 && load<u8>(a + 4) == 6 && load<u8>(a + 5) == 4;
}

export function arpEmit(a: usize, oper: u32, sha: usize, spa: u32, tha: usize, tpa: u32): void {
  put16(a, 1);
  put16(a + 2, 0x0800);
  store<u8>(a + 4, 6);
  store<u8>(a + 5, 4);
  put16(a + 6, oper);
  macCopy(a + 8, sha);
  put32(a + 14, spa);
  macCopy(a + 18, tha);
  put32(a + 24, tpa);
}
