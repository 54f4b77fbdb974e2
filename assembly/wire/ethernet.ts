// Ethernet II header view (IEEE 802.3 §3.1.1, DIX framing): dst[6] src[6] ethertype[2].
import { get16, put16 } from "../core/bytes";

export const ETH_HLEN: i32 = 14;
export const ETHERTYPE_IPV4: u32 = 0x0800;
export const ETHERTYPE_ARP: u32 = 0x0806;

// @ts-ignore: decorator
@inline export function ethType(f: usize): u32 { return get16(f + 12); }

// Group (multicast/broadcast) bit is the least significant bit of the first octet.
// @ts-ignore: decorator
@inline export function macIsGroup(m: usize): bool { return (load<u8>(m) & 1) != 0; }

export function macIsBroadcast(m: usize): bool {
  return load<u32>(m) == 0xffffffff && load<u16>(m, 4) == 0xffff;
}

export function macEquals(a: usize, b: usize): bool {
  return load<u32>(a) == load<u32>(b) && load<u16>(a, 4) == load<u16>(b, 4);
}

export function macCopy(dst: usize, src: usize): void {
  store<u32>(dst, load<u32>(src));
  store<u16>(dst, load<u16>(src, 4), 4);
}

export function ethEmit(f: usize, dst: usize, src: usize, type: u32): void {
  macCopy(f, dst);
  macCopy(f + 6, src);
  put16(f + 12, type);
}
