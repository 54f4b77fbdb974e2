// The millisecond clock is a wrapping u32 (docs/ABI.md now_ms): deadlines compare as differences,
// so a board that has been up for more than 2^31 ms (24.8 days) behaves as one that just booted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACK, Host, PEER_ISS, PEER_WIN, PSH, SYN } from './conformance/host.ts';

const SACK_PEER = [2, 4, 0x05, 0xb4, 4, 2, 1, 1];   // MSS 1460, SACK permitted (the PTO needs SACK)

for (const start of [1000, 2 ** 31 + 5000, 2 ** 32 - 3000]) {
  test(`clock at ${start} ms: once everything is acknowledged no timer sends anything (no probe with nothing in flight)`, () => {
    const host = new Host();
    host.clock.advanceTo(start);
    host.reset();
    const { h, syn, lport } = host.connect();
    host.clock.advance(10);
    const a = host.send(lport, PEER_ISS, syn.seq + 1, SYN | ACK, 0, PEER_WIN, SACK_PEER);
    assert.equal(a.length, 1, 'the handshake ACK');
    let sndNxt = (syn.seq + 1) >>> 0;
    const rcvNxt = (PEER_ISS + 1) >>> 0;
    for (let round = 0; round < 3; round++) {                // data out and acknowledged: RTT samples, SRTT
      assert.equal(host.stack.send(h, new Uint8Array(100).fill(1)), 100);
      const d = host.drain();
      assert.equal(d.length, 1);
      sndNxt = (sndNxt + 100) >>> 0;
      host.clock.advance(10);
      assert.deepEqual(host.send(lport, rcvNxt, sndNxt, ACK | PSH), [], 'the ACK of all data needs no reply');
    }
    const probes = host.stack.stat('tcp_loss_probes'), rtos = host.stack.stat('tcp_timeouts');
    for (let i = 0; i < 40; i++) {                           // 10 s in 250 ms steps
      host.clock.advance(250);
      host.stack.runTimers();
      assert.deepEqual(host.drain(), [], `nothing sent ${(i + 1) * 250} ms after the last ACK`);
    }
    assert.equal(host.stack.stat('tcp_loss_probes') - probes, 0, 'no loss probe');
    assert.equal(host.stack.stat('tcp_timeouts') - rtos, 0, 'no RTO');
  });
}
