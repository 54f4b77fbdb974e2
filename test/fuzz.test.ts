// Fuzzing in `npm test` (issue 12): over 10^6 frames from three generators (random bytes,
// mutations of captured frames, structure-aware TCP segments at both ends of an established
// connection and at a listener). No trap, invariants hold (every structure-aware frame, every 64th
// otherwise), a witness connection still moves 64 KiB each way byte-exact, and once everything is
// closed every pool is back to empty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drainTarget, runFuzz } from './fuzz/driver.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const FRAMES = 1_050_000;

test(`fuzz ${FRAMES} frames, seed ${SEED}: no trap, invariants, witness byte-exact, pools drain`, { timeout: 110_000 }, () => {
  const r = runFuzz({ seed: SEED, frames: FRAMES, timeBudgetMs: 90_000, checkEvery: 64 });
  const msg = r.failure ? `${r.failure.kind} in ${r.failure.stack} (${r.failure.detail}) at frame ${r.failure.index} ` +
    `(generator ${r.failure.generator}, seed ${r.failure.seed}): ${r.failure.frameHex}` : '';
  assert.equal(r.failure, null, msg);
  assert.ok(r.framesRun >= 1_000_000, `only ${r.framesRun} frames in the time budget (${r.wallMs} ms)`);
  assert.ok(r.witnessOk, r.witnessDetail);
  // The generators must reach the code they are aimed at, not just bounce off the checksums.
  const b = r.target.b.stats();
  for (const k of ['ip_hdr_err', 'ip_csum_err', 'tcp_hdr_err', 'tcp_csum_err', 'challenge_acks', 'window_drop',
    'ack_unsent_drop', 'syncookies_sent', 'arp_in', 'rx_malformed'] as const) {
    assert.ok(b[k] > 0, `counter ${k} never rose on B: the generators miss that path`);
  }
  const left = drainTarget(r.target);
  assert.deepEqual(left, { A: {}, B: {} }, 'pools still in use after every socket closed and every timer ran');
  assert.equal(r.target.a.checkInvariants(), 0);
  assert.equal(r.target.b.checkInvariants(), 0);
  console.log(`fuzz: ${r.framesRun} frames (${JSON.stringify(r.perGenerator)}) in ${r.wallMs} ms, 0 traps, ` +
    `target connection re-opened ${r.revivals} times; witness ${r.witnessDetail}`);
});
