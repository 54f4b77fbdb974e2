// Issue 18 bug 1: TIME_WAIT recycling must not allocate. recycleOne() built a StaticArray literal
// on every call; under the stub runtime each call took 32 bytes for good and the stack trapped
// after ~2,055 recycles. Here one stack (16 PCBs) closes 3,200 connections actively, each left in
// TIME_WAIT as an orphan, so every socket() after the first 16 recycles the oldest TIME_WAIT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACK, FIN, Host, MSS_OPT, PEER_ISS, SYN } from './conformance/host.ts';
import { POOL_TCP_PCBS } from '../host/abi.ts';
import type { PoolStats } from '../host/stack.ts';

export function churn(host: Host, n: number): void {
  const s = host.stack;
  host.sport = 80;
  for (let i = 0; i < n; i++) {
    const { h, syn, lport } = host.connect();
    let out = host.send(lport, PEER_ISS, syn.seq + 1, SYN | ACK, 0, 65535, MSS_OPT);
    assert.equal(out.length, 1, `cycle ${i}: the handshake ACK`);
    assert.equal(s.close(h), 0);
    out = host.drain();
    assert.equal(out.length === 1 && out[0].flags, FIN | ACK, `cycle ${i}: our FIN`);
    out = host.send(lport, PEER_ISS + 1, syn.seq + 2, FIN | ACK);
    assert.equal(out.length === 1 && out[0].ack >>> 0, (PEER_ISS + 2) >>> 0, `cycle ${i}: the last ACK`);
    host.clock.advanceTo(host.clock.now + 1);          // a distinct age for every TIME_WAIT
  }
}

test('churn: 3,200 active closes in one stack recycle > 3,000 TIME_WAITs without a trap or a leak', () => {
  const host = new Host();
  const s = host.stack;
  churn(host, 3200);
  assert.ok(s.stat('tw_recycled') > 3000, `tw_recycled = ${s.stat('tw_recycled')}`);
  assert.equal(s.netstatCounts().TIME_WAIT, 16, 'the pool is full of TIME_WAITs, none leaked elsewhere');
  assert.equal((s.poolStats(POOL_TCP_PCBS) as PoolStats).used, 16);
  assert.equal(s.checkInvariants(), 0);
});
