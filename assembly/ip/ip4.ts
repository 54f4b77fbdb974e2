// IPv4 input and output for one interface (RFC 791, RFC 1122 §3.2.1). No forwarding; fragments
// are dropped and counted (TCP sets DF and sizes segments to the MTU) unless the build includes
// reassembly (ip/reass.ts, `--use ASNET_IP_REASS=1`).
import { IP_REASS, MCAST, Sysctl, sysctl } from "../config";
import { PROTO_IGMP, igmpInput, igmpMember, igmpReset, igmpTimer, mcastMac } from "./igmp";
import { reassInput, reassReset, reassTimer } from "./reass";
import { txFrame } from "../core/buf";
import { checksum } from "../core/checksum";
import { arpOutput } from "../link/arp_cache";
import { broadcastMac, gateway, isBroadcastOrMulticast, netifSend, onLink, ourIp, ourMac, setRxPeer } from "../link/netif";
import { udpInput } from "../udp/udp";
import { count, Stat } from "../stats";
import { tcpInput } from "../tcp/input";
import { ETH_HLEN, ETHERTYPE_IPV4, macCopy } from "../wire/ethernet";
import {
  IP_HLEN, PROTO_ICMP, PROTO_TCP, PROTO_UDP, ipDst, ipEmit, ipHeaderLen, ipIsFragment, ipProto, ipSrc, ipTotalLen,
  ipTtl, ipVersion,
} from "../wire/ipv4";
import { icmpInput, icmpReset, icmpSendUnreachable } from "./icmp";
import { UNREACH_PROTOCOL } from "../wire/icmp";
import { put16 } from "../core/bytes";

let ipId: u32 = 0;

// Where an outgoing transport header starts in txFrame.
export const TX_L4: usize = txFrame + <usize>(ETH_HLEN + IP_HLEN);

// Validates and dispatches one IPv4 datagram; `h` points at its header, `avail` bytes follow.
export function ipInput(h: usize, avail: i32): void {
  count(Stat.ip_in);
  if (avail < IP_HLEN || ipVersion(h) != 4) { count(Stat.ip_hdr_err); return; }
  const hlen = ipHeaderLen(h);
  const total = ipTotalLen(h);
  if (hlen < IP_HLEN || total < hlen || total > avail) { count(Stat.ip_hdr_err); return; }
  if (checksum(h, hlen) != 0) { count(Stat.ip_csum_err); return; }
  const src = ipSrc(h);
  const dst = ipDst(h);
  const proto = ipProto(h);
  // While unconfigured (DHCP in progress) a server may unicast to the address it offers.
  if (dst != ourIp) {
    if (!isBroadcastOrMulticast(dst) && !(ourIp == 0 && proto == PROTO_UDP)) { count(Stat.ip_addr_drop); return; }
  }
  // RFC 1122 §3.2.1.3: a source that is broadcast, multicast or 0 is not a host; drop silently.
  // LAND (source = our own address) is dropped too: no host sends to itself over the wire.
  if (src == 0 || src == ourIp || isBroadcastOrMulticast(src)) { count(Stat.ip_addr_drop); return; }
  // RFC 1122 §3.2.1.3 (g): 127/8 is internal host loopback and must not appear on a network; a
  // "martian" source is dropped before anything (a SYN-queue entry, an ARP request) is spent on it.
  if ((src >>> 24) == 127) { count(Stat.ip_martian_src); return; }
  // ASNET_MCAST: a group datagram is ours only for a group we joined (RFC 1112 §7.2).
  if (MCAST && (dst >>> 28) == 14 && !igmpMember(dst)) { count(Stat.mcast_filtered); return; }
  if (ipIsFragment(h)) {
    if (!IP_REASS) { count(Stat.ip_frag_drop); return; }
    const whole = reassInput(h);
    if (whole == 0) return;
    h = whole;
  }
  if (onLink(src)) setRxPeer(src);
  // RFC 1122 §3.2.1.7: a host must not discard a datagram for a low TTL; we only count TTL 0.
  if (ipTtl(h) == 0) count(Stat.ip_ttl_zero);
  const l4 = h + <usize>ipHeaderLen(h);
  const l4len = ipTotalLen(h) - ipHeaderLen(h);
  if (proto == PROTO_TCP) {
    if (dst == ourIp) tcpInput(src, dst, l4, l4len);
    else count(Stat.ip_addr_drop);
  } else if (proto == PROTO_UDP) {
    udpInput(h, src, dst, l4, l4len);
  } else if (proto == PROTO_ICMP) {
    icmpInput(h, l4, l4len, dst == ourIp);
  } else if (MCAST && proto == PROTO_IGMP) {
    igmpInput(dst, l4, l4len);
  } else {
    count(Stat.ip_proto_unknown);
    if (dst == ourIp) icmpSendUnreachable(h, UNREACH_PROTOCOL);
  }
}

// Finishes and sends the datagram whose transport part (l4len bytes) is already at TX_L4.
// Returns false when there is no route (destination off-link and no gateway).
// Broadcasts (limited or our subnet's) go to the Ethernet broadcast address without ARP;
// Multicast reports no route, except in the ASNET_MCAST build: a group gets its RFC 1112 MAC and
// TTL 255 in 224.0.0.0/24 (link-local, never forwarded; what mDNS requires, RFC 6762 §11), else 1.
export function ipOutput(proto: u32, dst: u32, l4len: i32, df: bool): bool {
  const bcast = isBroadcastOrMulticast(dst);
  const grp = MCAST && (dst >>> 28) == 14;
  if (bcast && (dst >>> 28) >= 14 && dst != 0xffffffff && !grp) { count(Stat.ip_addr_drop); return false; }
  const nextHop = bcast || onLink(dst) ? dst : gateway;
  if (nextHop == 0) { count(Stat.ip_addr_drop); return false; }
  const f = txFrame;
  const ttl = grp ? ((dst >>> 8) == 0xe00000 ? 255 : 1) : <u32>sysctl(Sysctl.ip_default_ttl);
  ipEmit(f + ETH_HLEN, IP_HLEN + l4len, ++ipId & 0xffff, ttl, proto, ourIp, dst, df);
  macCopy(f + 6, ourMac);
  put16(f + 12, ETHERTYPE_IPV4);
  count(Stat.ip_out);
  const len = ETH_HLEN + IP_HLEN + l4len;
  if (grp) { mcastMac(f, dst); netifSend(f, len); }
  else if (bcast) { macCopy(f, broadcastMac); netifSend(f, len); }
  else arpOutput(nextHop, f, len);
  return true;
}

export function ipReset(): void {
  ipId = 0;
  icmpReset();
  if (IP_REASS) reassReset();
  if (MCAST) igmpReset();
}

// Slow-timer work of the IP layer.
export function ipTimer(): void {
  if (IP_REASS) reassTimer();
  if (MCAST) igmpTimer();
}
