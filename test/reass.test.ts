// IPv4 reassembly, the build option (issue 26 item 8): build/stack.reass.wasm. Fragments in and
// out of order, exact repeats, overlaps (dropped whole, RFC 5722-style), the timeout, the
// per-source limit, oversize datagrams, and a fuzz of random fragments; the default build drops
// every fragment and counts it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Stack, ipToU32 } from '../host/stack.ts';
import { Rng } from '../host/rng.ts';
import { onesSum, udpFrame } from './helpers/raw-host.ts';

const REASS = fileURLToPath(new URL('../build/stack.reass.wasm', import.meta.url));
const MAC_A = Uint8Array.from([2, 0, 0, 0, 0, 1]);
const MAC_B = Uint8Array.from([2, 0, 0, 0, 0, 2]);
const T = { timeout: 60_000 };

function stack(wasmPath?: string): { b: Stack; h: number } {
  const b = new Stack({ name: 'B', mac: '02:00:00:00:00:02', ip: '192.0.2.2', wasmPath });
  const h = b.udpSocket();
  assert.equal(b.udpBind(h, 0, 7000), 0);
  assert.equal(b.setSysctl('udp_rmem_default', 65535), 0);
  return { b, h };
}

/** The IP payload (UDP header + data, checksum set) of a datagram from srcIp:5000 to B:7000. */
function udpPayload(data: Uint8Array, srcIp = '192.0.2.1'): Uint8Array {
  const f = udpFrame({ srcMac: MAC_A, dstMac: MAC_B, srcIp, dstIp: '192.0.2.2', sport: 5000, dport: 7000, data });
  return f.subarray(34);
}

/** One fragment: bytes [off, off + part.length) of the IP payload, MF as given. */
function fragment(part: Uint8Array, off: number, more: boolean, id: number, srcIp = '192.0.2.1'): Uint8Array {
  const f = new Uint8Array(34 + part.length);
  const v = new DataView(f.buffer);
  f.set(MAC_B, 0); f.set(MAC_A, 6); v.setUint16(12, 0x0800);
  v.setUint8(14, 0x45); v.setUint16(16, 20 + part.length); v.setUint16(18, id);
  v.setUint16(20, (more ? 0x2000 : 0) | (off >> 3)); v.setUint8(22, 64); v.setUint8(23, 17);
  v.setUint32(26, ipToU32(srcIp)); v.setUint32(30, ipToU32('192.0.2.2'));
  v.setUint16(24, ~onesSum(f.subarray(14, 34)) & 0xffff);
  f.set(part, 34);
  return f;
}

/** Splits an IP payload into fragments of `size` bytes (a multiple of 8). */
function split(p: Uint8Array, size: number, id: number, srcIp?: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < p.length; off += size) {
    out.push(fragment(p.subarray(off, Math.min(p.length, off + size)), off, off + size < p.length, id, srcIp));
  }
  return out;
}

function data(n: number, seed = 1): Uint8Array {
  const r = new Rng(seed);
  return Uint8Array.from({ length: n }, () => r.u32() & 0xff);
}

function received(b: Stack, h: number): Uint8Array[] {
  const got: Uint8Array[] = [];
  for (let i = 0; i < 100; i++) {
    const d = b.udpRecvfrom(h, 8192);
    if (typeof d === 'number') break;
    got.push(d.data);
  }
  return got;
}

test('fragments in order and out of order are reassembled byte-exact; an exact repeat is harmless', T, () => {
  const { b, h } = stack(REASS);
  const d1 = data(3000, 1);
  for (const f of split(udpPayload(d1), 1480, 1)) b.input(f);
  const d2 = data(4000, 2);
  const frags = split(udpPayload(d2), 1000, 2);
  // The last fragment (MF clear) comes before the first and a middle one: the datagram must not
  // count as whole once it knows its length and has its header.
  for (const f of [frags[3], frags[1], frags[1], frags[4], frags[0], frags[2]]) b.input(f);
  const got = received(b, h);
  assert.equal(got.length, 2);
  assert.deepEqual(got[0], d1);
  assert.deepEqual(got[1], d2);
  assert.equal(b.stat('ip_reass_ok'), 2);
  assert.equal(b.stat('ip_frag_drop'), 0);
  assert.equal(b.checkInvariants(), 0);
});

test('an overlapping fragment discards the whole datagram (teardrop, overlap rewrite); the next one works', T, () => {
  const { b, h } = stack(REASS);
  const p = udpPayload(data(2000, 3));
  // Teardrop: the second fragment starts inside the first.
  b.input(fragment(p.subarray(0, 1000), 0, true, 7));
  b.input(fragment(p.subarray(992, 2008 > p.length ? p.length : 2008), 992, false, 7));
  // Rewrite: a second copy of bytes 8..15 with other content.
  const q = udpPayload(data(1000, 4));
  b.input(fragment(q.subarray(0, 504), 0, true, 8));
  const evil = q.slice(8, 16); evil.fill(0x41);
  b.input(fragment(evil, 8, true, 8));
  b.input(fragment(q.subarray(504), 504, false, 8));
  assert.equal(received(b, h).length, 0, 'nothing delivered from overlapping fragments');
  assert.equal(b.stat('ip_reass_overlap'), 2);
  const d = data(1500, 5);
  for (const f of split(udpPayload(d), 800, 9)) b.input(f);
  assert.deepEqual(received(b, h), [d]);
});

test('an incomplete datagram expires after ipfrag_time and frees its slot', T, () => {
  const { b, h } = stack(REASS);
  assert.equal(b.setSysctl('ipfrag_time', 5), 0);
  const frags = split(udpPayload(data(3000, 6)), 1480, 11);
  b.input(frags[0]);
  for (let t = 0; t < 4_000; t += 500) { b.clock.advance(500); b.runTimers(); }
  assert.equal(b.stat('ip_reass_timeout'), 0, 'still waiting at 4 s');
  for (let t = 0; t < 2_000; t += 500) { b.clock.advance(500); b.runTimers(); }
  assert.equal(b.stat('ip_reass_timeout'), 1, 'gone after 5 s');
  b.input(frags[1]); b.input(frags[2]);
  assert.equal(received(b, h).length, 0, 'late fragments do not complete the expired datagram');
});

test('limits: one datagram per source (the newest replaces it), a full pool, REASS_MAX_BYTES, bad sizes', T, () => {
  const { b, h } = stack(REASS);
  const a1 = split(udpPayload(data(2000, 7)), 1000, 21);
  const d2 = data(2000, 8);
  const a2 = split(udpPayload(d2), 1000, 22);
  b.input(a1[0]);
  b.input(a2[0]);
  assert.equal(b.stat('ip_reass_fail'), 1, 'the source\'s older datagram gave way');
  const c = data(2000, 9);
  const c1 = split(udpPayload(c, '192.0.2.3'), 1000, 23, '192.0.2.3');
  b.input(c1[0]);
  b.input(fragment(new Uint8Array(8), 0, true, 40, '192.0.2.5'));
  assert.equal(b.stat('ip_reass_fail'), 2, 'a third source finds the pool full: refused, nobody evicted');
  b.input(c1[1]); b.input(c1[2]);
  b.input(a2[1]); b.input(a2[2]);
  assert.deepEqual(received(b, h), [c, d2], 'both held datagrams complete');
  b.input(fragment(new Uint8Array(800), 4000, false, 24));        // ends at 4800 > 4096
  b.input(fragment(new Uint8Array(13), 0, true, 25, '192.0.2.4')); // MF with a length not a multiple of 8
  assert.equal(b.stat('ip_reass_fail'), 4);
});

test('the default build drops fragments and counts them', T, () => {
  const { b, h } = stack();
  for (const f of split(udpPayload(data(3000, 10)), 1480, 31)) b.input(f);
  assert.equal(received(b, h).length, 0);
  assert.equal(b.stat('ip_frag_drop'), 3);
});

test('20,000 random fragments: no trap, invariants hold, reassembly still works afterwards', T, () => {
  const { b, h } = stack(REASS);
  const r = new Rng(26);
  for (let i = 0; i < 20_000; i++) {
    const len = 1 + (r.u32() % 1480);
    const off = (r.u32() % 600) * 8;
    const src = `192.0.2.${1 + (r.u32() % 4)}`;
    b.input(fragment(data(len, i), off, (r.u32() & 1) === 1, r.u32() & 3, src));
    if (i % 1000 === 0) { b.clock.advance(500); b.runTimers(); }
  }
  assert.equal(b.checkInvariants(), 0);
  received(b, h);
  for (let t = 0; t < 40_000; t += 500) { b.clock.advance(500); b.runTimers(); }
  const d = data(3500, 11);
  for (const f of split(udpPayload(d), 1200, 99)) b.input(f);
  assert.deepEqual(received(b, h).at(-1), d);
});
