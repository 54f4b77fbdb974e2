// The one network interface: our MAC and IPv4 configuration, link state, and frame output.
import { netif_output } from "../env";
import { count, Stat } from "../stats";

export const ourMac: usize = memory.data(8);
export const broadcastMac: usize = memory.data<u8>([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0]);
export const zeroMac: usize = memory.data(8);

export let ourIp: u32 = 0;
export let netmask: u32 = 0;
export let gateway: u32 = 0;
// Our subnet's directed broadcast (ourIp | ~netmask), or the limited broadcast when the mask
// leaves no host part or no network part: kept with the address so the per-frame test is a compare.
let subnetBcast: u32 = 0xffffffff;
export let linkUp: bool = true;

// The sender of the frame being processed: its link source MAC, and its IPv4 source once the IP
// layer has validated it (0 otherwise). A reply sent while that frame is in hand can go straight
// back to the MAC it came from (see arpOutput); both are cleared when the frame is done.
export const rxPeerMac: usize = memory.data(8);
export let rxPeerIp: u32 = 0;

export function setRxPeer(ip: u32): void {
  rxPeerIp = ip;
}

export function netifConfigure(macHi: u32, macLo: u32, ip: u32, mask: u32, gw: u32): void {
  store<u8>(ourMac, <u8>(macHi >> 8));
  store<u8>(ourMac + 1, <u8>macHi);
  store<u32>(ourMac + 2, bswap<u32>(macLo));
  netifSetAddr(ip, mask, gw);
  linkUp = true;
}

export function netifSetAddr(ip: u32, mask: u32, gw: u32): void {
  ourIp = ip;
  netmask = mask;
  gateway = gw;
  subnetBcast = mask != 0 && mask != 0xffffffff ? ip | ~mask : 0xffffffff;
}

export function netifSetLink(up: bool): void {
  linkUp = up;
}

// The directed broadcast of our subnet, the limited broadcast, and class D/E are not unicast
// addresses (RFC 1122 §3.2.1.3); we neither answer them with TCP nor accept them as a source.
export function isBroadcastOrMulticast(a: u32): bool {
  return a == 0xffffffff || (a >>> 28) >= 14 || a == subnetBcast;
}

export function onLink(a: u32): bool {
  return (a & netmask) == (ourIp & netmask);
}

// Sends a finished frame; drops it while the link is down.
export function netifSend(frame: usize, len: i32): void {
  if (!linkUp) return;
  count(Stat.eth_out);
  netif_output(frame, len);
}
