// Issue 5: reliable transfer between two stacks under every impairment, byte-exact by sha256 in
// both directions, each finishing within a bounded number of virtual seconds. Seeded: a failure
// reproduces exactly, and leaves a pcap under build/pcap/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPair } from './helpers/pair.ts';

const KiB = 1024, MiB = 1024 * KiB;

const impairments: Record<string, object> = {
  clean: {},
  'loss 1%': { loss: 0.01 },
  'loss 10%': { loss: 0.10 },
  duplication: { duplicate: 0.05 },
  reordering: { reorder: 0.1, reorderDelayMs: 15 },
  'delay 40ms + jitter': { delayMs: 40, jitterMs: 10 },
  corruption: { corrupt: 0.02 },
  'everything at once': { loss: 0.03, duplicate: 0.03, reorder: 0.05, reorderDelayMs: 10, delayMs: 5, jitterMs: 3, corrupt: 0.01 },
};

function check(name: string, bytes: number, impair: object, bidir: boolean, seed: number, maxVirtualMs: number): void {
  const r = runPair({ seed, bytes, bidir, impair, maxVirtualMs, pcapName: `transfer-${name.replace(/\W+/g, '_')}-${bytes}` });
  assert.equal(r.got[0], bytes, 'A→B byte count');
  assert.equal(r.gotHash[0], r.sentHash[0], 'A→B sha256');
  if (bidir) {
    assert.equal(r.got[1], bytes, 'B→A byte count');
    assert.equal(r.gotHash[1], r.sentHash[1], 'B→A sha256');
  }
  assert.equal(r.a.checkInvariants(), 0);
  assert.equal(r.b.checkInvariants(), 0);
}

for (const [name, impair] of Object.entries(impairments)) {
  test(`1 KiB both ways, ${name}`, () => check(name, 1 * KiB, impair, true, 11, 120_000));
  test(`1 MiB both ways, ${name}`, () => check(name, 1 * MiB, impair, true, 23, 600_000));
}

test('64 MiB one way, clean wire', () => check('clean', 64 * MiB, {}, false, 5, 600_000));
test('64 MiB one way, 1% loss', () => check('loss 1%', 64 * MiB, { loss: 0.01 }, false, 6, 1_800_000));
test('64 MiB one way, 10% loss', () => check('loss 10%', 64 * MiB, { loss: 0.10 }, false, 7, 4 * 3_600_000));

test('the same seed gives the same run (reproducible impairments)', () => {
  const r1 = runPair({ seed: 99, bytes: 256 * KiB, bidir: true, impair: { loss: 0.05, reorder: 0.05 } });
  const r2 = runPair({ seed: 99, bytes: 256 * KiB, bidir: true, impair: { loss: 0.05, reorder: 0.05 } });
  assert.equal(r1.virtualMs, r2.virtualMs);
  assert.equal(r1.retransmits, r2.retransmits);
  assert.ok(r1.retransmits > 0, 'loss caused retransmissions');
});

test('a clean wire causes no retransmission at all (RTO never races the delayed ACK)', () => {
  for (const bytes of [1024, 65536, 1 * MiB, 4 * MiB]) {
    const r = runPair({ seed: 3, bytes, bidir: true });
    assert.equal(r.retransmits, 0, `${bytes} bytes`);
  }
});
