// Issue 18: the generated conformance matrix. The rules of RFC 9293 §3.10.7, RFC 5961 and RFC 1337
// are written once as an oracle in test/conformance/oracle.ts; every state, reached through each
// way in (passive, active, simultaneous open), meets every kind of arriving segment at every
// sequence and ACK position (test/conformance/matrix.ts), on a freshly reset stack driven through
// the wire. Each cell compares the exact replies, the next state, SO_ERROR and the events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Host } from './conformance/host.ts';
import { allCells, cellName, check, type Cell } from './conformance/matrix.ts';
import { oracle, type Expect, type In } from './conformance/oracle.ts';
import type { Ctx } from './conformance/setups.ts';

const host = new Host();
const cells = allCells();
const groups = new Map<string, Cell[]>();
for (const c of cells) {
  const k = `${c.state} (${c.way})`;
  if (!groups.has(k)) groups.set(k, []);
  groups.get(k)!.push(c);
}

test(`matrix: ${cells.length} cells over 11 states and ${groups.size} ways in`, () => {
  assert.equal(new Set(cells.map((c) => c.state)).size, 11, 'all 11 states');
  assert.ok(cells.length > 7000, `${cells.length} cells`);
  assert.equal(new Set(cells.map(cellName)).size, cells.length, 'no cell twice');
});

for (const [name, group] of groups) {
  test(`matrix: ${name}, ${group.length} cells agree with the oracle`, () => {
    const bad: string[] = [];
    for (const c of group) {
      const d = check(host, c);
      if (d) bad.push(d);
    }
    assert.equal(bad.length, 0, `${bad.length} of ${group.length} cells disagree:\n${bad.slice(0, 20).join('\n')}`);
  });
}

// The oracle must be able to fail: with one rule flipped (RFC 1337 off: an RST at RCV.NXT ends
// TIME_WAIT, as RFC 9293 alone would have it) every TIME_WAIT cell with an in-window RST at RCV.NXT
// must disagree with the stack, and no other cell may.
test('matrix: a flipped oracle rule (RFC 1337 off in TIME_WAIT) is caught in exactly the cells it changes', () => {
  const flipped = (c: Ctx, s: In): Expect => {
    const e = oracle(c, s);
    if (c.state === 'TIME_WAIT' && (s.flags & 4) !== 0 && (s.seq >>> 0) === (c.rcvNxt >>> 0)) return { ...e, state: 'CLOSED' };
    return e;
  };
  const tw = cells.filter((c) => c.state === 'TIME_WAIT');
  const caught = tw.filter((c) => check(host, c, flipped) !== '');
  const want = tw.filter((c) => c.kind.startsWith('RST') && c.seqPos === 'RCV.NXT');
  assert.equal(want.length, 2 * 5 * 3, 'RST and RST-ACK x 5 ACK positions x 3 ways in');
  assert.deepEqual(caught.map(cellName).sort(), want.map(cellName).sort());
});
