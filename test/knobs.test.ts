// Issue 6: each operator knob changes behaviour in a test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectedPair, twoStacks } from './helpers/world.ts';
import { CLOSED, ESTABLISHED } from '../host/abi.ts';

test('tcp_fin_timeout ends an orphaned FIN_WAIT_2 (and only an orphan)', () => {
  const p = connectedPair(1);
  p.a.setSysctl('tcp_fin_timeout', 5);
  p.a.shutdown(p.c, 1);                                     // half-closed but still held: no timeout
  p.sim.run({ for: 10_000 });
  assert.equal(p.a.netstatCounts().FIN_WAIT_2, 1, 'a socket the application holds may wait');
  assert.equal(p.b.netstatCounts().CLOSE_WAIT, 1, 'the peer that never closes shows up as CLOSE_WAIT');
  p.a.close(p.c);                                           // now an orphan: the timer starts
  p.sim.run({ for: 4000 });
  assert.equal(p.a.netstatCounts().FIN_WAIT_2, 1);
  p.sim.run({ for: 2000 });
  assert.equal(p.a.netstatCounts().FIN_WAIT_2, 0);
  assert.equal(p.a.stat('fin_wait2_timeouts'), 1);
  assert.equal(p.b.netstatCounts().CLOSE_WAIT, 0, 'the timeout resets the peer (RST), as Linux does');
});

test('tcp_msl sets the TIME_WAIT length (2 MSL); a retransmitted FIN restarts it', () => {
  const p = connectedPair(2);
  p.a.setSysctl('tcp_msl', 5);
  p.a.close(p.c); p.sim.run({ for: 20 }); p.b.close(p.s); p.sim.run({ for: 20 });
  assert.equal(p.a.netstatCounts().TIME_WAIT, 1);
  p.sim.run({ for: 9000 });
  assert.equal(p.a.netstatCounts().TIME_WAIT, 1, 'still there at 9 s');
  p.sim.run({ for: 2000 });
  assert.equal(p.a.netstatCounts().TIME_WAIT, 0, 'gone after 10 s');
});

test('tcp_max_tw_buckets: beyond the limit connections close without TIME_WAIT, counted', () => {
  const { sim, a, b } = twoStacks(3);
  a.setSysctl('tcp_max_tw_buckets', 2);
  const l = b.socket(); b.bind(l, 0, 80); b.listen(l, 8);
  for (let i = 0; i < 4; i++) {
    const c = a.socket(); a.connect(c, '192.0.2.2', 80); sim.run({ for: 20 });
    const s = b.accept(l);
    a.close(c); sim.run({ for: 20 }); b.close(s); sim.run({ for: 20 });
  }
  assert.equal(a.netstatCounts().TIME_WAIT, 2);
  assert.equal(a.stat('tw_bucket_overflow'), 2);
});

test('PCB pool pressure recycles the oldest TIME_WAIT (lwIP order), counted', () => {
  const { sim, a, b } = twoStacks(4);
  const l = b.socket(); b.bind(l, 0, 80); b.listen(l, 16);
  for (let i = 0; i < 16; i++) {                            // fill A's 16 PCBs with TIME_WAIT
    const c = a.socket(); a.connect(c, '192.0.2.2', 80); sim.run({ for: 20 });
    const s = b.accept(l);
    a.close(c); sim.run({ for: 20 }); b.close(s); sim.run({ for: 20 });
  }
  assert.equal(a.netstatCounts().TIME_WAIT, 16);
  const h = a.socket();
  assert.ok(h > 0, 'a new socket still gets a PCB');
  assert.equal(a.stat('tw_recycled'), 1);
  assert.equal(a.netstatCounts().TIME_WAIT, 15);
  assert.equal(a.checkInvariants(), 0);
});

test('tcp_syn_retries bounds an unanswered connect; tcp_synack_retries an unanswered SYN-ACK', () => {
  const { sim, a, b, wire } = twoStacks(5);
  a.setSysctl('tcp_syn_retries', 2);
  const l = b.socket(); b.bind(l, 0, 80); b.listen(l, 8);
  wire.impair({ loss: 1 });
  const c = a.socket(); a.connect(c, '192.0.2.2', 80);
  sim.run({ for: 6000 });                                   // 1 s + 2 s + 4 s with backoff
  assert.notEqual(a.state(c), CLOSED);
  sim.run({ for: 2000 });
  assert.equal(a.state(c), CLOSED);
  assert.equal(a.getsockopt(c, 'SO_ERROR'), 110);
});

test('tcp_retries2 bounds retransmission of data; the application gets ETIMEDOUT', () => {
  const p = connectedPair(6);
  p.a.setSysctl('tcp_retries2', 3);
  p.wire.impair({ loss: 1 });
  p.a.send(p.c, new Uint8Array(100));
  p.sim.run({ for: 60_000 });
  assert.equal(p.a.state(p.c), CLOSED);
  assert.equal(p.a.getsockopt(p.c, 'SO_ERROR'), 110);
  assert.ok(p.a.stat('tcp_timeouts') >= 3);
});

test('tcp_timestamps / tcp_sack / tcp_window_scaling switch the options off per connection', () => {
  for (const [name, bit] of [['tcp_timestamps', 1], ['tcp_sack', 2], ['tcp_window_scaling', 4]] as const) {
    const p = connectedPair(8, 80, (a) => a.setSysctl(name, 0));
    const i = p.a.info(p.c);
    assert.ok(typeof i !== 'number');
    assert.equal(i.options & bit, 0, `${name}=0 removes the option`);
    assert.equal(i.options | bit, 7);
  }
});

test('tcp_rmem_default / tcp_wmem_default: up to TCP_BUF_MAX (260,096 B), EINVAL above; the host build then opens 96 KiB', () => {
  const { a, c, sim } = connectedPair(9, 80, (a, b) => {
    assert.equal(a.setSysctl('tcp_rmem_default', 260_097), -22, 'one byte above the largest pool');
    assert.equal(a.setSysctl('tcp_rmem_default', 260_096), 0);
    assert.equal(a.setSysctl('tcp_wmem_default', 260_097), -22);
    for (const s of [a, b]) { assert.equal(s.setSysctl('tcp_rmem_default', 98_304), 0); assert.equal(s.setSysctl('tcp_wmem_default', 98_304), 0); }
  }, 'host');
  const data = new Uint8Array(200_000).map((_, i) => i * 7);
  let sent = 0;
  for (let t = 0; t < 200 && sent < data.length; t++) {
    const n = a.send(c, data.subarray(sent));
    if (n > 0) sent += n;
    sim.run({ for: 1 });
  }
  const info = a.info(c);
  assert.ok(typeof info !== 'number');
  // B's application never reads: A's view of B's window ends at 96 KiB, not at the 64 KiB the
  // unscaled field or the old 65,535 B cap allowed, and A holds 96 KiB more in its send buffer.
  assert.equal(info.snd_wnd, 0, 'B\'s window is full');
  assert.ok(sent >= 98_304 + 98_304 - 2048 && sent <= 98_304 + 98_304, `accepted ${sent} B: 96 KiB in B's receive buffer, 96 KiB in A's send buffer`);
});
