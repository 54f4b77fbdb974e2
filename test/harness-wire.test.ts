// The virtual Ethernet (host/wire.ts) on raw ports, without a stack: addressing, and impairments
// that are seeded and reproducible (loss, duplication, reordering, delay/jitter, corruption, link
// down, rate and queue limit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from '../host/sim.ts';
import type { Impairments, Port, Wire } from '../host/wire.ts';

type Arrival = { t: number; to: string; id: number; bytes: string };

const BCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const mac = (n: number) => Uint8Array.from([0x02, 0, 0, 0, 0, n]);

/** A frame to `dst` from `src`, 100 bytes, carrying `id` in its first payload bytes. */
function frame(dst: ArrayLike<number>, src: ArrayLike<number>, id: number, len = 100): Uint8Array {
  const f = new Uint8Array(len);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = 0x88; f[13] = 0xb5; // IEEE 802 local experimental EtherType
  new DataView(f.buffer).setUint32(14, id);
  return f;
}

function rawPort(name: string, m: Uint8Array | null, log: Arrival[], now: () => number): Port {
  return {
    name, mac: m,
    deliver: (f) => log.push({ t: now(), to: name, id: new DataView(f.buffer, f.byteOffset).getUint32(14), bytes: Buffer.from(f).toString('hex') }),
  };
}

/** Two raw ports; `a` sends `n` frames to `b`, one every `gapMs`. */
function run(seed: number, impair: Partial<Impairments>, n = 400, gapMs = 1): { log: Arrival[]; wire: Wire } {
  const sim = new Sim({ seed: 99 });
  const log: Arrival[] = [];
  const wire = sim.wire({ seed, impair });
  const a = wire.addPort(rawPort('a', mac(1), log, () => sim.clock.now));
  wire.addPort(rawPort('b', mac(2), log, () => sim.clock.now));
  for (let i = 0; i < n; i++) sim.clock.at(i * gapMs, () => wire.send(a, frame(mac(2), mac(1), i)));
  sim.run({ until: n * gapMs + 10_000 });
  return { log, wire };
}

test('unicast reaches only the owner of the MAC; broadcast all but the sender; promiscuous ports see all', () => {
  const sim = new Sim();
  const log: Arrival[] = [];
  const w = sim.wire();
  const now = () => sim.clock.now;
  const [p1, , , spy] = [w.addPort(rawPort('p1', mac(1), log, now)), w.addPort(rawPort('p2', mac(2), log, now)),
    w.addPort(rawPort('p3', mac(3), log, now)), w.addPort(rawPort('spy', null, log, now))];
  w.send(p1, frame(mac(2), mac(1), 1));
  w.send(p1, frame(BCAST, mac(1), 2));
  w.send(p1, frame(mac(9), mac(1), 3));                     // unknown unicast: only the spy
  w.send(spy, frame(Uint8Array.from([0x01, 0, 0x5e, 0, 0, 1]), mac(7), 4)); // multicast: everyone else
  sim.run({ for: 1 });
  const seen = log.map((l) => `${l.id}>${l.to}`).sort();
  assert.deepEqual(seen, ['1>p2', '1>spy', '2>p2', '2>p3', '2>spy', '3>spy', '4>p1', '4>p2', '4>p3'].sort());
  assert.equal(w.stats.sent, 4);
  assert.equal(w.stats.delivered, 9);
});

test('a clean wire delivers everything in order, at the send time plus the fixed delay', () => {
  const { log } = run(1, { delayMs: 3 }, 50);
  assert.equal(log.length, 50);
  log.forEach((l, i) => { assert.equal(l.id, i); assert.equal(l.t, i + 3); });
});

test('impairments are reproducible from the seed and differ between seeds', () => {
  const impair = { loss: 0.1, duplicate: 0.05, reorder: 0.05, reorderDelayMs: 7, jitterMs: 4, corrupt: 0.05, delayMs: 1 };
  const r1 = run(1234, impair).log;
  const r2 = run(1234, impair).log;
  const r3 = run(4321, impair).log;
  assert.deepEqual(r1, r2, 'same seed, same traffic: identical arrivals, times and bytes');
  assert.notDeepEqual(r1, r3);
});

test('loss drops about the configured share, and exactly those frames are missing', () => {
  const { log, wire } = run(7, { loss: 0.2 }, 2000);
  assert.equal(wire.stats.lost + log.length, 2000);
  assert.ok(wire.stats.lost > 330 && wire.stats.lost < 470, `lost ${wire.stats.lost} of 2000 at p=0.2`);
  assert.equal(new Set(log.map((l) => l.id)).size, log.length, 'nothing duplicated');
});

test('duplication delivers some frames twice', () => {
  const { log, wire } = run(8, { duplicate: 0.1 }, 1000);
  assert.equal(log.length, 1000 + wire.stats.duplicated);
  assert.ok(wire.stats.duplicated > 60 && wire.stats.duplicated < 140, `duplicated ${wire.stats.duplicated}`);
  const counts = new Map<number, number>();
  for (const l of log) counts.set(l.id, (counts.get(l.id) ?? 0) + 1);
  assert.equal([...counts.values()].filter((c) => c === 2).length, wire.stats.duplicated);
});

test('reordering holds frames back so that later ones overtake them', () => {
  const { log, wire } = run(9, { reorder: 0.1, reorderDelayMs: 5 }, 500);
  assert.equal(log.length, 500);
  const inversions = log.filter((l, i) => i > 0 && l.id < log[i - 1].id).length;
  assert.ok(wire.stats.reordered > 20, `reordered ${wire.stats.reordered}`);
  assert.ok(inversions > 0 && inversions <= wire.stats.reordered);
  const late = log.filter((l) => l.t !== l.id);
  assert.equal(late.length, wire.stats.reordered);
  for (const l of late) assert.equal(l.t, l.id + 5);
});

test('delay plus jitter stays within [delay, delay + jitter)', () => {
  const { log } = run(10, { delayMs: 10, jitterMs: 5 }, 500);
  const lat = log.map((l) => l.t - l.id);
  assert.ok(lat.every((d) => d >= 10 && d < 15));
  assert.ok(Math.max(...lat) - Math.min(...lat) > 4, 'jitter spreads the latency');
});

test('corruption flips exactly one bit after the Ethernet header', () => {
  const { log, wire } = run(11, { corrupt: 0.1 }, 500);
  assert.ok(wire.stats.corrupted > 20);
  assert.equal(log.length, 500);
  let flipped = 0;
  for (const [i, l] of log.entries()) {
    const sent = frame(mac(2), mac(1), i); // in order: no loss, no delay
    const got = Buffer.from(l.bytes, 'hex');
    let bits = 0;
    for (let k = 0; k < sent.length; k++) {
      let x = sent[k] ^ got[k];
      if (x) assert.ok(k >= 14, 'the Ethernet header is never touched');
      for (; x; x &= x - 1) bits++;
    }
    assert.ok(bits <= 1);
    flipped += bits;
  }
  assert.equal(flipped, wire.stats.corrupted);
});

test('link down drops everything until it comes back', () => {
  const sim = new Sim();
  const log: Arrival[] = [];
  const w = sim.wire();
  const a = w.addPort(rawPort('a', mac(1), log, () => sim.clock.now));
  w.addPort(rawPort('b', mac(2), log, () => sim.clock.now));
  w.setDown(true);
  for (let i = 0; i < 5; i++) w.send(a, frame(mac(2), mac(1), i));
  w.setDown(false);
  w.send(a, frame(mac(2), mac(1), 99));
  sim.run({ for: 1 });
  assert.deepEqual(log.map((l) => l.id), [99]);
  assert.equal(w.stats.downDropped, 5);
});

test('a rate limit serializes frames, and a full queue tail-drops', () => {
  // 10 Mbit/s: a 100-byte frame takes (100 + 24) * 8 / 10e6 s = 99.2 us on the wire.
  const sim = new Sim();
  const log: Arrival[] = [];
  const w = sim.wire({ impair: { rateBps: 10e6, queueLimit: 8 } });
  const a = w.addPort(rawPort('a', mac(1), log, () => sim.clock.now));
  w.addPort(rawPort('b', mac(2), log, () => sim.clock.now));
  for (let i = 0; i < 10; i++) w.send(a, frame(mac(2), mac(1), i));
  sim.run({ for: 10 });
  assert.equal(log.length, 8);
  assert.equal(w.stats.queueDropped, 2);
  log.forEach((l, i) => assert.ok(Math.abs(l.t - (i + 1) * 0.0992) < 1e-9, `frame ${i} at ${l.t}`));
});

test('filters drop chosen frames before the impairments', () => {
  const sim = new Sim();
  const log: Arrival[] = [];
  const w = sim.wire();
  const a = w.addPort(rawPort('a', mac(1), log, () => sim.clock.now));
  w.addPort(rawPort('b', mac(2), log, () => sim.clock.now));
  const remove = w.addFilter((f) => f[17] !== 3);
  for (let i = 0; i < 5; i++) w.send(a, frame(mac(2), mac(1), i));
  remove();
  w.send(a, frame(mac(2), mac(1), 3));
  sim.run({ for: 1 });
  assert.deepEqual(log.map((l) => l.id), [0, 1, 2, 4, 3]);
  assert.equal(w.stats.filtered, 1);
});

test('bad impairment values are refused', () => {
  const sim = new Sim();
  assert.throws(() => sim.wire({ impair: { loss: 1.5 } }), RangeError);
  assert.throws(() => sim.wire().impair({ delayMs: -1 }), RangeError);
});
