// The three frame generators of the fuzzer. Each returns the frame and which stack receives it.
// - randomFrame: random bytes behind a plausible or random Ethernet header.
// - mutateFrame: a captured valid frame with bit flips, truncation/extension, lying length
//   fields (IP total length, IHL, TCP data offset) or rewritten option bytes; checksums are fixed
//   afterwards half of the time so that the mutation reaches the TCP code.
// - tcpSegment: a well-formed segment (valid checksums) with random flags, sequence and
//   acknowledgment numbers (near the windows of the target connection, or anywhere), window and
//   options, aimed at either end of the target connection or at B's listener.
import type { Rng } from '../../host/rng.ts';
import { tcpFrame } from '../helpers/frames.ts';
import type { Captured } from './capture.ts';
import { fixChecksums } from './packet.ts';
import { IP_A, IP_B, LISTEN_PORT, MAC_A, MAC_B, TARGET_CLIENT_PORT, type Target } from './target.ts';

export type Generated = { frame: Uint8Array; toA: boolean };

const BROADCAST = [255, 255, 255, 255, 255, 255];

function randomBytes(rng: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const v = rng.u32();
    b[i] = v; if (i + 1 < n) b[i + 1] = v >>> 8; if (i + 2 < n) b[i + 2] = v >>> 16; if (i + 3 < n) b[i + 3] = v >>> 24;
  }
  return b;
}

/** Frame lengths 14..1536 (netif_input's range), biased to short frames where parsers live. */
function frameLength(rng: Rng): number {
  return rng.chance(0.7) ? 14 + rng.below(100) : 14 + rng.below(1536 - 14 + 1);
}

export function randomFrame(rng: Rng): Generated {
  const toA = rng.chance(0.5);
  const b = randomBytes(rng, frameLength(rng));
  const kind = rng.below(4);
  if (kind < 3) b.set(rng.chance(0.2) ? BROADCAST : toA ? MAC_A : MAC_B, 0);
  if (kind === 0) { b[12] = 0x08; b[13] = 0x06; }                    // ARP
  if (kind >= 1 && kind < 3 && b.length > 34) {                      // IPv4 with our addresses
    b[12] = 0x08; b[13] = 0x00;
    if (kind === 2) { b[14] = 0x45; b[23] = rng.chance(0.8) ? 6 : rng.below(256); b.set(toA ? [192, 0, 2, 1] : [192, 0, 2, 2], 30); }
    if (rng.chance(0.5)) fixChecksums(b);
  }
  return { frame: b, toA };
}

const ETH = 14;

function tcpOffset(b: Uint8Array): number {
  return ETH + (b[ETH] & 15) * 4;
}

/** One of the mutations listed in the issue, applied in place (or returning a resized copy). */
function mutateOnce(rng: Rng, b: Uint8Array<ArrayBufferLike>): Uint8Array<ArrayBufferLike> {
  switch (rng.below(7)) {
    case 0: { const n = 1 + rng.below(8); for (let i = 0; i < n; i++) { const p = rng.below(b.length); b[p] ^= 1 << rng.below(8); } return b; }
    case 1: return b.slice(0, Math.max(14, rng.below(b.length)));                          // truncation
    case 2: { const x = new Uint8Array(Math.min(1536, b.length + 1 + rng.below(64))); x.set(b); return x; } // trailing junk (zeros)
    case 3: { if (b.length > ETH + 4) { const v = rng.chance(0.5) ? rng.below(65536) : ((b[ETH + 2] << 8 | b[ETH + 3]) + rng.below(64) - 32) & 0xffff; b[ETH + 2] = v >> 8; b[ETH + 3] = v; } return b; } // IP total length
    case 4: { if (b.length > ETH) b[ETH] = (b[ETH] & 0xf0) | rng.below(16); return b; }  // IHL
    case 5: { const t = tcpOffset(b) + 12; if (t < b.length) b[t] = (rng.below(16) << 4) | (b[t] & 15); return b; } // TCP data offset
    default: {                                                                             // option bytes
      const t = tcpOffset(b) + 20;
      const end = Math.min(b.length, t + 40);
      const n = 1 + rng.below(4);
      for (let i = 0; i < n && end > t; i++) b[t + rng.below(end - t)] = rng.chance(0.5) ? rng.below(256) : [0, 1, 2, 3, 4, 5, 8, 255][rng.below(8)];
      return b;
    }
  }
}

export function mutateFrame(rng: Rng, corpus: readonly Captured[]): Generated {
  const src = corpus[rng.below(corpus.length)];
  let b: Uint8Array<ArrayBufferLike> = src.frame.slice();
  const n = 1 + rng.below(3);
  for (let i = 0; i < n; i++) b = mutateOnce(rng, b);
  if (rng.chance(0.5)) fixChecksums(b);
  return { frame: b, toA: src.toA };
}

/** Random TCP options: well-formed kinds with random values, or a random byte soup. */
function tcpOptions(rng: Rng): number[] {
  const o: number[] = [];
  const want = rng.below(41);
  while (o.length < want) {
    switch (rng.below(9)) {
      case 0: o.push(2, 4, rng.below(256), rng.below(256)); break;              // MSS (RFC 9293 §3.2)
      case 1: o.push(3, 3, rng.chance(0.7) ? rng.below(15) : rng.below(256)); break; // window scale (RFC 7323 §2)
      case 2: o.push(4, 2); break;                                             // SACK permitted (RFC 2018)
      case 3: { o.push(8, 10); for (let i = 0; i < 8; i++) o.push(rng.below(256)); break; } // timestamps (RFC 7323 §3)
      case 4: { const k = 1 + rng.below(4); o.push(5, 2 + 8 * k); for (let i = 0; i < 8 * k; i++) o.push(rng.below(256)); break; } // SACK blocks
      case 5: o.push(1); break;                                                // NOP
      case 6: o.push(0); break;                                                // EOL
      case 7: o.push(rng.below(256), rng.below(4)); break;                     // bad length 0..3
      default: o.push(rng.below(256));
    }
  }
  const len = Math.min(40, (o.length + 3) & ~3);
  while (o.length < len) o.push(0);
  return o.slice(0, len);
}

/** A value near `base` (within ±span) most of the time, else anywhere in the u32 space. */
function near(rng: Rng, base: number, span: number): number {
  if (rng.chance(0.2)) return rng.u32();
  return (base + rng.below(2 * span + 1) - span) >>> 0;
}

function flags(rng: Rng): number {
  if (rng.chance(0.5)) return rng.below(256);
  return [0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x01, 0x03, 0x06, 0x00, 0x29, 0xff][rng.below(13)];
}

function payload(rng: Rng): Uint8Array | undefined {
  if (rng.chance(0.6)) return undefined;
  return randomBytes(rng, rng.chance(0.8) ? 1 + rng.below(64) : 1 + rng.below(1400));
}

export function tcpSegment(rng: Rng, t: Target): Generated {
  const mode = rng.below(3);                  // 0: at B's end of the connection, 1: at A's end, 2: at the listener
  const toA = mode === 1;
  const sender = toA ? t.seen.b : t.seen.a;   // the end being impersonated
  const victim = toA ? t.seen.a : t.seen.b;
  const span = rng.chance(0.5) ? 2 * 65535 : 4096;
  const listener = mode === 2;
  const opts = tcpOptions(rng);
  const frame = tcpFrame({
    srcMac: toA ? MAC_B : MAC_A, dstMac: toA ? MAC_A : MAC_B,
    srcIp: toA ? IP_B : IP_A, dstIp: toA ? IP_A : IP_B,
    sport: toA ? LISTEN_PORT : listener ? 1024 + rng.below(64) : TARGET_CLIENT_PORT,
    dport: toA ? TARGET_CLIENT_PORT : LISTEN_PORT,
    seq: listener ? rng.u32() : near(rng, sender.nextSeq, span),
    ack: listener ? rng.u32() : near(rng, victim.nextSeq, span),
    flags: listener && rng.chance(0.5) ? 0x02 : flags(rng),
    win: rng.chance(0.1) ? 0 : rng.below(65536),
    options: opts, payload: payload(rng), ttl: 1 + rng.below(255),
  });
  return { frame, toA };
}
