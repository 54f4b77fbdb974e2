// A DHCP server for the tests (RFC 2131 §4.3), on a RawHost: hands out one address per client
// MAC from a pool, answers DISCOVER with OFFER and REQUEST with ACK (or NAK when told to), and
// records every message it receives, so tests can check the client's exact behaviour.
import { ipToU32, u32ToIp } from '../../host/stack.ts';
import { RawHost, type Udp } from './raw-host.ts';

export type DhcpMsg = { type: number; xid: number; ciaddr: string; chaddr: string; requestedIp?: string;
  serverId?: string; secs: number; at: number; dstIp: string; srcIp: string; paramList: number[] };

export const DISCOVER = 1, OFFER = 2, REQUEST = 3, DECLINE = 4, ACK = 5, NAK = 6, RELEASE = 7;
const BCAST = new Uint8Array([255, 255, 255, 255, 255, 255]);

export type DhcpServerOptions = { pool: string; mask?: string; router?: string; dns?: string; lease?: number;
  t1?: number; t2?: number };

export class DhcpServer {
  readonly log: DhcpMsg[] = [];
  /** Ignore this many more messages (to test the client's retransmission). */
  ignore = 0;
  /** Answer the next REQUEST with NAK. */
  nakNext = false;
  /** Stop answering altogether (server gone). */
  silent = false;
  private readonly leases = new Map<string, string>();
  private next: number;

  constructor(readonly host: RawHost, private readonly o: DhcpServerOptions, private readonly now: () => number) {
    this.next = ipToU32(o.pool);
    host.onUdp = (u) => { if (u.dport === 67) this.input(u); };
  }

  private input(u: Udp): void {
    const m = parse(u.data);
    if (!m) return;
    this.log.push({ ...m, at: this.now(), dstIp: u.dstIp, srcIp: u.srcIp });
    if (this.silent) return;
    if (this.ignore > 0) { this.ignore--; return; }
    if (m.type === DISCOVER) this.reply(u, m, OFFER, this.addressFor(m.chaddr));
    else if (m.type === REQUEST) this.request(u, m);
    else if (m.type === DECLINE) this.leases.delete(m.chaddr);        // address in use: hand out the next
    else if (m.type === RELEASE) this.leases.delete(m.chaddr);
  }

  private request(u: Udp, m: ReturnType<typeof parse> & object): void {
    const mine = this.addressFor(m.chaddr);
    const wanted = m.requestedIp ?? m.ciaddr;
    if (m.serverId && m.serverId !== this.host.ip) return;               // chose another server
    if (this.nakNext || wanted !== mine) { this.nakNext = false; this.reply(u, m, NAK, '0.0.0.0'); return; }
    this.reply(u, m, ACK, mine);
  }

  private addressFor(chaddr: string): string {
    let ip = this.leases.get(chaddr);
    if (!ip) { ip = u32ToIp(this.next++); this.leases.set(chaddr, ip); }
    return ip;
  }

  /** RFC 2131 §4.1: to ciaddr if set; NAKs broadcast; otherwise unicast to yiaddr and chaddr. */
  private reply(u: Udp, m: { xid: number; ciaddr: string; chaddr: string }, type: number, yiaddr: string): void {
    const b = new Uint8Array(300);
    const v = new DataView(b.buffer);
    b[0] = 2; b[1] = 1; b[2] = 6;
    v.setUint32(4, m.xid);
    v.setUint32(12, ipToU32(m.ciaddr));
    v.setUint32(16, ipToU32(yiaddr));
    v.setUint32(20, ipToU32(this.host.ip));
    b.set(u.data.subarray(28, 44), 28);
    v.setUint32(236, 0x63825363);
    let p = 240;
    const opt = (code: number, bytes: number[]) => { b[p++] = code; b[p++] = bytes.length; for (const x of bytes) b[p++] = x; };
    const ip = (s: string) => s.split('.').map(Number);
    const u32 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
    opt(53, [type]);
    opt(54, ip(this.host.ip));
    if (type !== NAK) {
      opt(51, u32(this.o.lease ?? 3600));
      if (this.o.t1 !== undefined) opt(58, u32(this.o.t1));
      if (this.o.t2 !== undefined) opt(59, u32(this.o.t2));
      opt(1, ip(this.o.mask ?? '255.255.255.0'));
      if (this.o.router) opt(3, ip(this.o.router));
      if (this.o.dns) opt(6, ip(this.o.dns));
    }
    b[p] = 255;
    if (m.ciaddr !== '0.0.0.0' && type !== NAK) this.host.sendUdp(u.srcMac, m.ciaddr, 67, 68, b);
    else if (type === NAK) this.host.sendUdp(BCAST, '255.255.255.255', 67, 68, b);
    else this.host.sendUdp(u.srcMac, yiaddr, 67, 68, b);
  }
}

function parse(d: Uint8Array) {
  if (d.length < 240 || d[0] !== 1) return null;
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  if (v.getUint32(236) !== 0x63825363) return null;
  const m = { type: 0, xid: v.getUint32(4), secs: v.getUint16(8), ciaddr: u32ToIp(v.getUint32(12)),
    chaddr: [...d.subarray(28, 34)].map((b) => b.toString(16).padStart(2, '0')).join(':'),
    requestedIp: undefined as string | undefined, serverId: undefined as string | undefined, paramList: [] as number[] };
  for (let p = 240; p < d.length && d[p] !== 255;) {
    if (d[p] === 0) { p++; continue; }
    const code = d[p], len = d[p + 1], val = d.subarray(p + 2, p + 2 + len);
    if (code === 53) m.type = val[0];
    if (code === 50) m.requestedIp = [...val].join('.');
    if (code === 54) m.serverId = [...val].join('.');
    if (code === 55) m.paramList = [...val];
    p += 2 + len;
  }
  return m;
}
