// A scripted DNS server for the tests (RFC 1035 §4), on a RawHost at port 53: answers A queries
// from a table (with optional CNAME chains), NXDOMAIN / SERVFAIL / no-data on request, can stay
// silent for the first N queries, and logs every query (time, ID, source port, name).
import { RawHost, type Udp } from './raw-host.ts';

export type DnsRecord = { ip: string; ttl: number; cname?: string } | 'NXDOMAIN' | 'SERVFAIL' | 'NODATA';
export type DnsQueryLog = { at: number; id: number; sport: number; name: string; type: number };

export class DnsServer {
  readonly log: DnsQueryLog[] = [];
  ignore = 0;

  constructor(readonly host: RawHost, readonly records: Record<string, DnsRecord>, private readonly now: () => number) {
    const prev = host.onUdp;
    host.onUdp = (u) => { if (u.dport === 53) this.input(u); else prev(u); };
  }

  private input(u: Udp): void {
    const q = parseQuery(u.data);
    if (!q) return;
    this.log.push({ at: this.now(), id: q.id, sport: u.sport, name: q.name, type: q.type });
    if (this.ignore > 0) { this.ignore--; return; }
    this.host.sendUdp(u.srcMac, u.srcIp, 53, u.sport, this.answer(u.data, q));
  }

  /** Builds the response: header, the question copied, then the answer records. */
  answer(query: Uint8Array, q: { id: number; name: string; qEnd: number }, idOverride?: number): Uint8Array {
    const rec = this.records[q.name.toLowerCase()];
    const rcode = rec === undefined || rec === 'NXDOMAIN' ? 3 : rec === 'SERVFAIL' ? 2 : 0;
    const answers: number[] = [];
    if (typeof rec === 'object') {
      if (rec.cname) answers.push(...rr(0xc00c, 5, rec.ttl, encodeName(rec.cname)));
      answers.push(...rr(rec.cname ? null : 0xc00c, 1, rec.ttl, rec.ip.split('.').map(Number), rec.cname));
    }
    const out = new Uint8Array(q.qEnd + answers.length);
    out.set(query.subarray(0, q.qEnd));
    const v = new DataView(out.buffer);
    v.setUint16(0, idOverride ?? q.id);
    v.setUint16(2, 0x8180 | rcode);                    // QR, RD, RA
    v.setUint16(6, typeof rec === 'object' ? (rec.cname ? 2 : 1) : 0);
    out.set(answers, q.qEnd);
    return out;
  }
}

export function encodeName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.split('.')) { out.push(label.length, ...new TextEncoder().encode(label)); }
  return [...out, 0];
}

function rr(ptr: number | null, type: number, ttl: number, rdata: number[], ownerName?: string): number[] {
  const owner = ptr !== null ? [ptr >> 8, ptr & 255] : encodeName(ownerName!);
  return [...owner, 0, type, 0, 1, ttl >>> 24, (ttl >>> 16) & 255, (ttl >>> 8) & 255, ttl & 255,
    rdata.length >> 8, rdata.length & 255, ...rdata];
}

export function parseQuery(d: Uint8Array): { id: number; name: string; type: number; qEnd: number } | null {
  if (d.length < 17) return null;
  const labels: string[] = [];
  let p = 12;
  while (p < d.length && d[p] !== 0) { labels.push(new TextDecoder().decode(d.subarray(p + 1, p + 1 + d[p]))); p += 1 + d[p]; }
  if (p + 5 > d.length) return null;
  return { id: (d[0] << 8) | d[1], name: labels.join('.'), type: (d[p + 1] << 8) | d[p + 2], qEnd: p + 5 };
}
