// A scripted IPv4 host on a virtual wire, written in TypeScript from RFC 791/826/768: it answers
// ARP for its address, hands each UDP datagram addressed to it (or broadcast) to `onUdp`, and
// sends UDP datagrams with correct checksums. The DHCP and DNS servers of the tests sit on it.
import type { Port, Wire } from '../../host/wire.ts';
import { ipToU32, u32ToIp } from '../../host/stack.ts';

export type Udp = { srcMac: Uint8Array; srcIp: string; dstIp: string; sport: number; dport: number; data: Uint8Array };

export function parseMac(s: string): Uint8Array {
  return Uint8Array.from(s.split(':').map((x) => parseInt(x, 16)));
}

/** RFC 1071 one's complement sum over bytes, folded. */
export function onesSum(b: Uint8Array, acc = 0): number {
  for (let i = 0; i + 1 < b.length; i += 2) acc += (b[i] << 8) | b[i + 1];
  if (b.length & 1) acc += b[b.length - 1] << 8;
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  return acc;
}

/** Ethernet + IPv4 + UDP frame with both checksums set (or the UDP one zero if noChecksum). */
export function udpFrame(o: { srcMac: Uint8Array; dstMac: Uint8Array; srcIp: string; dstIp: string; sport: number;
  dport: number; data: Uint8Array; noChecksum?: boolean }): Uint8Array {
  const f = new Uint8Array(14 + 20 + 8 + o.data.length);
  const v = new DataView(f.buffer);
  f.set(o.dstMac, 0); f.set(o.srcMac, 6); v.setUint16(12, 0x0800);
  v.setUint8(14, 0x45); v.setUint16(16, 20 + 8 + o.data.length); v.setUint8(22, 64); v.setUint8(23, 17);
  v.setUint32(26, ipToU32(o.srcIp)); v.setUint32(30, ipToU32(o.dstIp));
  v.setUint16(24, ~onesSum(f.subarray(14, 34)) & 0xffff);
  v.setUint16(34, o.sport); v.setUint16(36, o.dport); v.setUint16(38, 8 + o.data.length);
  f.set(o.data, 42);
  if (!o.noChecksum) {
    const pseudo = new Uint8Array(12);
    pseudo.set(f.subarray(26, 34), 0); pseudo[9] = 17; new DataView(pseudo.buffer).setUint16(10, 8 + o.data.length);
    const c = ~onesSum(f.subarray(34), onesSum(pseudo)) & 0xffff;
    v.setUint16(40, c === 0 ? 0xffff : c);
  }
  return f;
}

export class RawHost {
  readonly port: Port;
  readonly received: Udp[] = [];
  onUdp: (u: Udp) => void = () => {};
  /** Every ARP packet seen (for probe/announce checks): [op, senderIp, targetIp, senderMac]. */
  readonly arps: { op: number; spa: string; tpa: string; sha: string }[] = [];
  /** Answer ARP requests for our address (a conflicting host in a test can answer for another). */
  claimIps: string[];

  constructor(private readonly wire: Wire, readonly name: string, readonly mac: Uint8Array, readonly ip: string) {
    this.claimIps = [ip];
    this.port = wire.addPort({ name, mac: null, deliver: (f) => this.deliver(f) });
  }

  sendUdp(dstMac: Uint8Array, dstIp: string, sport: number, dport: number, data: Uint8Array, srcIp = this.ip): void {
    this.wire.send(this.port, udpFrame({ srcMac: this.mac, dstMac, srcIp, dstIp, sport, dport, data }));
  }

  private deliver(f: Uint8Array): void {
    const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
    const forUs = f.subarray(0, 6).every((b, i) => b === this.mac[i]) || (f[0] & 1) === 1;
    if (!forUs || f.length < 42) return;
    if (v.getUint16(12) === 0x0806) this.arp(f, v);
    else if (v.getUint16(12) === 0x0800 && f[23] === 17) this.udp(f, v);
  }

  private arp(f: Uint8Array, v: DataView): void {
    const op = v.getUint16(20);
    const spa = u32ToIp(v.getUint32(28)), tpa = u32ToIp(v.getUint32(38));
    this.arps.push({ op, spa, tpa, sha: [...f.subarray(22, 28)].map((b) => b.toString(16).padStart(2, '0')).join(':') });
    if (op !== 1 || !this.claimIps.includes(tpa)) return;
    const r = new Uint8Array(42);
    const w = new DataView(r.buffer);
    r.set(f.subarray(6, 12), 0); r.set(this.mac, 6); w.setUint16(12, 0x0806);
    r.set([0, 1, 8, 0, 6, 4, 0, 2], 14);
    r.set(this.mac, 22); w.setUint32(28, ipToU32(tpa));
    r.set(f.subarray(22, 28), 32); w.setUint32(38, v.getUint32(28));
    this.wire.send(this.port, r);
  }

  private udp(f: Uint8Array, v: DataView): void {
    const ihl = (f[14] & 15) * 4;
    const u = 14 + ihl;
    const dstIp = u32ToIp(v.getUint32(30));
    if (dstIp !== this.ip && dstIp !== '255.255.255.255') return;
    const len = v.getUint16(u + 4);
    const d: Udp = { srcMac: f.slice(6, 12), srcIp: u32ToIp(v.getUint32(26)), dstIp, sport: v.getUint16(u),
      dport: v.getUint16(u + 2), data: f.slice(u + 8, u + len) };
    this.received.push(d);
    this.onUdp(d);
  }
}
