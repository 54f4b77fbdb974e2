// Inputs for the native fuzz targets of the SNTP and mDNS apps (boards/common/apps/{sntp,mdns}/fuzz),
// in the fuzz driver's style: a seeded Rng (host/rng.ts), structure-aware seeds (valid replies,
// queries, probes, responses) mutated by bit flips, byte sets, truncation, extension, spliced
// compression pointers (backwards, forwards, self, loops), and plain random bytes. Records are
// [u32 little-endian length][bytes] on the target's stdin; byte 0 of a record is the target's mode.
import { Rng } from '../../host/rng.ts';

const u16 = (v: number) => [(v >> 8) & 255, v & 255];
const u32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
function bytes(rng: Rng, n: number): number[] { return Array.from({ length: n }, () => rng.u32() & 255); }

function mutate(rng: Rng, b: number[]): number[] {
  const out = b.slice();
  const n = rng.below(4);
  for (let i = 0; i < n && out.length; i++) {
    const at = rng.below(out.length);
    switch (rng.below(7)) {
      case 0: out[at] ^= 1 << rng.below(8); break;
      case 1: out[at] = [0, 0xff, 0xc0, 0x3f, 0x40, 0x80, rng.u32() & 255][rng.below(7)]; break;
      case 2: out.length = rng.below(out.length + 1); break;
      case 3: out.push(...bytes(rng, rng.below(40))); break;
      case 4: { const p = rng.below(Math.max(1, out.length + 8)); out.splice(at, 2, 0xc0 | ((p >> 8) & 0x3f), p & 255); break; }
      case 5: out.splice(at, 0, ...out.slice(rng.below(out.length), rng.below(out.length + 1))); break;
      default: out[at] = rng.u32() & 255;
    }
  }
  return out;
}

function record(mode: number, body: number[]): Buffer {
  const b = Buffer.alloc(4 + 1 + body.length);
  b.writeUInt32LE(1 + body.length, 0);
  b[4] = mode;
  Buffer.from(body).copy(b, 5);
  return b;
}

// ---- NTP ----
// Record body: 8-byte nonce of the request in flight, then the reply. Mode bit 0: 0 = the parser
// alone, 1 = through the client (fake asnet) with the nonce it actually sent.

function ntpReply(rng: Rng, nonce: number[]): number[] {
  const li = rng.chance(0.9) ? 0 : rng.below(4), vn = rng.chance(0.9) ? 4 : rng.below(8), mode = rng.chance(0.9) ? 4 : rng.below(8);
  const stratum = rng.chance(0.8) ? 1 + rng.below(15) : [0, 16, 255][rng.below(3)];
  const refid = stratum === 0 && rng.chance(0.7) ? [...Buffer.from(['RATE', 'DENY', 'RSTR', 'INIT', 'XXXX'][rng.below(5)])] : bytes(rng, 4);
  const origin = rng.chance(0.8) ? nonce : bytes(rng, 8);
  const ts = () => (rng.chance(0.05) ? [0, 0, 0, 0, 0, 0, 0, 0] : [...u32(0xed000000 + rng.below(0x1000000)), ...bytes(rng, 4)]);
  const body = [li << 6 | vn << 3 | mode, stratum, rng.u32() & 255, rng.u32() & 255, ...bytes(rng, 8), ...refid, ...ts(), ...origin, ...ts(), ...ts()];
  if (rng.chance(0.1)) body.push(...bytes(rng, rng.below(80)));          // extension fields / MAC
  return body;
}

export function* ntpRecords(seed: number, count: number): Generator<Buffer> {
  const rng = new Rng(seed);
  const chunk: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const nonce = bytes(rng, 8);
    const r = rng.below(10);
    const reply = r < 7 ? mutate(rng, ntpReply(rng, nonce)) : r < 9 ? ntpReply(rng, nonce) : bytes(rng, rng.below(100));
    chunk.push(record(rng.below(2), [...nonce, ...reply]));
    if (chunk.length === 4096) yield Buffer.concat(chunk.splice(0));
  }
  if (chunk.length) yield Buffer.concat(chunk);
}

// ---- mDNS ----
// Record body: source port (2 bytes), then the message. Mode bit 0: 0 = reader only (walk every
// section), 1 = the responder's mdns_input (running as "asnet" with two services, fake asnet).

const NAMES = ['asnet.local', 'asnet-2.local', 'ASNET.LOCAL', '_http._tcp.local', '_mqtt._tcp.local', 'asnet._http._tcp.local',
  'asnet._mqtt._tcp.local', '_services._dns-sd._udp.local', 'other.local', 'a.b.c.d.e.f.local'];

function name(rng: Rng, s?: string): number[] {
  const text = s ?? NAMES[rng.below(NAMES.length)];
  const out: number[] = [];
  for (const l of text.split('.')) out.push(l.length, ...Buffer.from(l));
  if (rng.chance(0.15)) return [...out.slice(0, out.length - 6), 0xc0, 12];     // compressed tail
  return [...out, 0];
}

function rr(rng: Rng): number[] {
  const type = [1, 12, 16, 33, 28, 47, 255, rng.below(65536)][rng.below(8)];
  let rdata: number[];
  if (type === 1) rdata = rng.chance(0.5) ? [192, 0, 2, 2] : bytes(rng, rng.chance(0.8) ? 4 : rng.below(8));
  else if (type === 12) rdata = name(rng);
  else if (type === 33) rdata = [0, 0, 0, 0, ...u16(rng.chance(0.5) ? 80 : rng.below(65536)), ...name(rng, rng.chance(0.5) ? 'asnet.local' : undefined)];
  else rdata = bytes(rng, rng.below(30));
  const ttl = rng.chance(0.1) ? 0 : rng.chance(0.5) ? 4500 : rng.below(200);
  return [...name(rng), ...u16(type), ...u16((rng.chance(0.5) ? 0x8000 : 0) | 1), ...u32(ttl), ...u16(rdata.length), ...rdata];
}

function mdnsMessage(rng: Rng): number[] {
  const response = rng.chance(0.4);
  const qd = response ? rng.below(2) : 1 + rng.below(3), an = rng.below(4), ns = rng.chance(0.3) ? 1 + rng.below(2) : 0, ar = rng.below(2);
  const flags = (response ? 0x8400 : 0) | (rng.chance(0.05) ? rng.below(65536) : 0);
  const out = [...u16(rng.below(65536)), ...u16(flags), ...u16(qd), ...u16(an), ...u16(ns), ...u16(ar)];
  for (let i = 0; i < qd; i++) out.push(...name(rng), ...u16([1, 12, 16, 33, 255, 28][rng.below(6)]), ...u16((rng.chance(0.3) ? 0x8000 : 0) | 1));
  for (let i = 0; i < an + ns + ar; i++) out.push(...rr(rng));
  if (rng.chance(0.05)) out.splice(6, 2, 0xff, 0xff);                     // counts past the end
  return out;
}

export function* mdnsRecords(seed: number, count: number): Generator<Buffer> {
  const rng = new Rng(seed);
  const chunk: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const r = rng.below(10);
    const msg = r < 7 ? mutate(rng, mdnsMessage(rng)) : r < 9 ? mdnsMessage(rng) : bytes(rng, rng.below(300));
    const port = rng.chance(0.8) ? 5353 : rng.below(65536);
    chunk.push(record(rng.chance(0.85) ? 1 : 0, [...u16(port), ...msg]));
    if (chunk.length === 4096) yield Buffer.concat(chunk.splice(0));
  }
  if (chunk.length) yield Buffer.concat(chunk);
}
