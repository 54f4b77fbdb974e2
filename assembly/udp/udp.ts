// UDP (RFC 768, RFC 1122 §4.1): PCBs from a fixed pool, datagrams queued in the shared block pool
// behind an 8-byte record header, checksums always sent and checked when present, ICMP port
// unreachable for datagrams nobody listens to. The DHCP client and the DNS resolver are internal
// UDP users that see their datagrams before the PCBs do.
import { MAX_UDP_PCBS, Sysctl, sysctl } from "../config";
import { makePool, Pool } from "../core/pool";
import { Stream, streamAt } from "../core/stream";
import { get16, get32, put16, put32 } from "../core/bytes";
import { transportChecksum } from "../core/checksum";
import { random } from "../env";
import { count, Stat } from "../stats";
import { ipOutput, TX_L4 } from "../ip/ip4";
import { icmpSendUnreachable } from "../ip/icmp";
import { UNREACH_PORT } from "../wire/icmp";
import { IP_HLEN, PROTO_UDP } from "../wire/ipv4";
import { UDP_HLEN, udpDstPort, udpEmit, udpLength, udpSrcPort, udpChecksumField } from "../wire/udp";
import { ourIp } from "../link/netif";
import { MTU } from "../config";
import { EADDRNOTAVAIL, EHOSTUNREACH, EMSGSIZE, ECONNREFUSED } from "../errors";
import { sockNotify } from "../api/sockets";
import { EV_ERROR, EV_READABLE } from "../api/constants";
import { dhcpClaims, dhcpInput } from "../dhcp/client";
import { dnsClaims, dnsInput } from "../dns/resolver";

export const UDP_MAX_PAYLOAD: i32 = MTU - IP_HLEN - UDP_HLEN;   // we never fragment (1472)
const REC_HLEN: u32 = 8;                                       // src ip, src port, length

@unmanaged export class UdpPcb {
  rxLen: u32; rxStart: u16; rxHead: u8; rxTail: u8; rxBlocks: u8;  // Stream view (9 bytes)
  sock: u8;           // socket slot + 1
  queued: u8;         // datagrams waiting in rx
  err: u8;            // pending error as a positive errno (ICMP port unreachable: ECONNREFUSED)
  localPort: u16;
  remotePort: u16;    // connected peer; 0 = unconnected
  remoteIp: u32;
}

export const udpMem: usize = memory.data(offsetof<UdpPcb>() * MAX_UDP_PCBS);   // static: no base load per use
export const udpPcbs: Pool = makePool(
  memory.data(offsetof<Pool>()), udpMem,
  memory.data(MAX_UDP_PCBS * 2), memory.data(MAX_UDP_PCBS), offsetof<UdpPcb>(), MAX_UDP_PCBS);

// @ts-ignore: decorator
@inline export function udpAt(i: i32): UdpPcb { return changetype<UdpPcb>(udpMem + <usize>(i * offsetof<UdpPcb>())); }
// @ts-ignore: decorator
@inline export function udpRx(u: UdpPcb): Stream { return streamAt(changetype<usize>(u)); }

export function udpReset(): void {
  udpPcbs.reset();
}

export function udpAlloc(sock: i32): i32 {
  const i = udpPcbs.alloc();
  if (i < 0) return -1;
  udpRx(udpAt(i)).init();
  udpAt(i).sock = <u8>(sock + 1);
  return i;
}

export function udpFree(i: i32): void {
  udpRx(udpAt(i)).release();
  udpPcbs.free(i);
}

// True when a PCB other than `self` is bound to `port`.
export function udpPortUsed(port: u32, self: i32): bool {
  for (let i = 0; i < MAX_UDP_PCBS; i++) {
    if (i != self && udpPcbs.isUsed(i) && <u32>udpAt(i).localPort == port) return true;
  }
  return false;
}

// A free port from ip_local_port_range, from a random start (RFC 6056 §3.3.1). Negative on error.
export function udpEphemeral(self: i32): i32 {
  const lo = <u32>sysctl(Sysctl.ip_local_port_range_min);
  const hi = <u32>sysctl(Sysctl.ip_local_port_range_max);
  if (hi < lo) return EADDRNOTAVAIL;
  const n = hi - lo + 1;
  const start = random() % n;
  for (let k: u32 = 0; k < n; k++) {
    const port = lo + (start + k) % n;
    if (!udpPortUsed(port, self) && !dnsClaims(port)) return <i32>port;
  }
  return EADDRNOTAVAIL;
}

// ---- output ----

// Sends `len` bytes from `data` as one datagram. Returns len, or EMSGSIZE / EHOSTUNREACH.
export function udpSend(sport: u32, dst: u32, dport: u32, data: usize, len: i32): i32 {
  if (len < 0 || len > UDP_MAX_PAYLOAD) return EMSGSIZE;
  const u = TX_L4;
  udpEmit(u, sport, dport, UDP_HLEN + len);
  memory.copy(u + <usize>UDP_HLEN, data, <usize>len);
  let c = transportChecksum(ourIp, dst, PROTO_UDP, u, UDP_HLEN + len);
  if (c == 0) c = 0xffff;                    // RFC 768: a computed zero is sent as all ones
  put16(u + 6, c);
  count(Stat.udp_out);
  return ipOutput(PROTO_UDP, dst, UDP_HLEN + len, false) ? len : EHOSTUNREACH;
}

// ---- input ----

// One UDP datagram at `u` (`avail` bytes of IP payload); `ip` is its IPv4 header.
export function udpInput(ip: usize, src: u32, dst: u32, u: usize, avail: i32): void {
  count(Stat.udp_in);
  if (avail < UDP_HLEN) { count(Stat.udp_hdr_err); return; }
  const len = udpLength(u);
  if (len < UDP_HLEN || len > avail) { count(Stat.udp_hdr_err); return; }
  // RFC 768: checksum 0 means the sender computed none; anything else must verify.
  if (udpChecksumField(u) != 0 && transportChecksum(src, dst, PROTO_UDP, u, len) != 0) {
    count(Stat.udp_csum_err);
    return;
  }
  const sport = udpSrcPort(u), dport = udpDstPort(u);
  const data = u + <usize>UDP_HLEN;
  const dlen = len - UDP_HLEN;
  if (dhcpClaims(dport)) { dhcpInput(src, data, dlen); return; }
  if (ourIp == 0) { count(Stat.ip_addr_drop); return; }   // unconfigured: only DHCP listens
  if (dnsClaims(dport)) { dnsInput(src, sport, data, dlen); return; }
  const i = udpDemux(src, sport, dport);
  if (i < 0) {
    count(Stat.udp_no_port);
    // RFC 1122 §4.1.3.1: port unreachable, but never about a broadcast (§3.2.2).
    if (dst == ourIp) icmpSendUnreachable(ip, UNREACH_PORT);
    return;
  }
  udpQueue(i, src, sport, data, dlen);
}

// The PCB for a datagram: a connected PCB matching the sender first, else an unconnected one.
function udpDemux(src: u32, sport: u32, dport: u32): i32 {
  let open = -1;
  for (let i = 0; i < MAX_UDP_PCBS; i++) {
    if (!udpPcbs.isUsed(i)) continue;
    const p = udpAt(i);
    if (<u32>p.localPort != dport) continue;
    if (p.remotePort == 0) open = i;
    else if (p.remoteIp == src && <u32>p.remotePort == sport) return i;
  }
  return open;
}

// Queues a datagram behind its record header; a full receive buffer drops it (counted).
function udpQueue(i: i32, src: u32, sport: u32, data: usize, dlen: i32): void {
  const p = udpAt(i);
  const rx = udpRx(p);
  const limit = <u32>sysctl(Sysctl.udp_rmem_default);
  const need = REC_HLEN + <u32>dlen;
  if (rx.len + need > limit || p.queued == 255 || !rx.reserve(rx.len + need)) {
    rx.trimTail();
    count(Stat.udp_rcvbuf_drop);
    return;
  }
  const hdr = memory.data(8);
  put32(hdr, src);
  put16(hdr + 4, sport);
  put16(hdr + 6, <u32>dlen);
  rx.writeAt(rx.len, hdr, REC_HLEN);
  rx.writeAt(rx.len + REC_HLEN, data, <u32>dlen);
  rx.len += need;
  p.queued++;
  udpNotify(p, EV_READABLE);
}

function udpNotify(p: UdpPcb, ev: u8): void {
  if (p.sock != 0) sockNotify(<i32>p.sock - 1, ev);
}

// Reads the oldest datagram: up to `max` bytes to dst, its sender to from (ip, port). Returns
// the bytes copied (the rest of a longer datagram is discarded, as recvfrom without MSG_PEEK),
// or -1 when the queue is empty.
export function udpDequeue(p: UdpPcb, dst: usize, max: i32, from: usize): i32 {
  if (p.queued == 0) return -1;
  const rx = udpRx(p);
  const hdr = memory.data(8);
  rx.readAt(0, hdr, REC_HLEN);
  const dlen = <i32>get16(hdr + 6);
  const n = min(dlen, max);
  rx.readAt(REC_HLEN, dst, <u32>n);
  rx.consume(REC_HLEN + <u32>dlen);
  if (rx.len == 0) rx.release();                 // an idle socket holds no block
  p.queued--;
  if (from != 0) {
    store<u32>(from, get32(hdr));
    store<u32>(from, get16(hdr + 4), 4);
  }
  return n;
}

// ICMP destination unreachable quoting one of our datagrams (RFC 1122 §4.1.3.3): a connected
// socket reports ECONNREFUSED on its next call, as Linux does.
export function udpIcmpError(quotedIp: u32, sport: u32, dport: u32, code: u32): void {
  if (code != UNREACH_PORT) return;
  for (let i = 0; i < MAX_UDP_PCBS; i++) {
    if (!udpPcbs.isUsed(i)) continue;
    const p = udpAt(i);
    if (<u32>p.localPort == sport && p.remotePort != 0 && p.remoteIp == quotedIp && <u32>p.remotePort == dport) {
      p.err = <u8>(-ECONNREFUSED);
      udpNotify(p, EV_ERROR);
    }
  }
}

// Blocks held by UDP receive queues (invariant checker); -1 when a chain is inconsistent.
export function udpBlocksHeld(): i32 {
  let held = 0;
  for (let i = 0; i < MAX_UDP_PCBS; i++) {
    if (!udpPcbs.isUsed(i)) continue;
    const rx = udpRx(udpAt(i));
    if (rx.countChain() != <i32>rx.nblocks || rx.len > rx.capacity) return -1;
    held += <i32>rx.nblocks;
  }
  return held;
}
