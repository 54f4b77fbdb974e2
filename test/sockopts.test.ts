// Issue 14: the socket surface behaves as the seeds (and Linux) describe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectedPair, twoStacks } from './helpers/world.ts';
import { EADDRINUSE, EADDRNOTAVAIL, EINPROGRESS, ECONNRESET, ESTABLISHED, CLOSED, TIME_WAIT } from '../host/abi.ts';

test('SO_LINGER {on, 0}: close sends RST and frees the PCB at once; the peer sees ECONNRESET', () => {
  const p = connectedPair(1);
  const rst0 = p.a.stat('tcp_rst_out');
  assert.equal(p.a.setsockopt(p.c, 'SO_LINGER', 0), 0);
  assert.equal(p.a.getsockopt(p.c, 'SO_LINGER'), 0);
  p.a.close(p.c);
  assert.equal(p.a.stat('tcp_rst_out'), rst0 + 1);
  assert.equal(p.a.netstatCounts().TIME_WAIT + p.a.netstatCounts().FIN_WAIT_1, 0, 'no graceful close');
  p.sim.run({ for: 50 });
  assert.equal(p.b.state(p.s), CLOSED);
  assert.equal(p.b.recv(p.s), ECONNRESET);
  assert.equal(p.b.getsockopt(p.s, 'SO_ERROR'), 104, 'SO_ERROR = ECONNRESET');
  assert.equal(p.b.getsockopt(p.s, 'SO_ERROR'), 0, 'cleared on read');
});

test('SO_LINGER {on, N}: a close that cannot deliver its data within N seconds ends with RST', () => {
  const p = connectedPair(2);
  p.a.setsockopt(p.c, 'SO_LINGER', 2);
  p.wire.impair({ loss: 1 });                               // the peer becomes unreachable
  p.a.send(p.c, new Uint8Array(1000));
  p.a.close(p.c);
  p.sim.run({ for: 1500 });
  assert.equal(p.a.netstatCounts().FIN_WAIT_1, 1, 'still trying within the linger time');
  p.sim.run({ for: 2000 });
  assert.equal(p.a.netstatCounts().FIN_WAIT_1, 0, 'gave up after the linger time');
  assert.equal(p.a.checkInvariants(), 0);
});

test('closing with unread data resets the connection (RFC 2525 §2.17)', () => {
  const p = connectedPair(3);
  p.a.send(p.c, new Uint8Array(100));
  p.sim.run({ for: 50 });
  const r0 = p.b.stat('tcp_rst_out');
  p.b.close(p.s);
  assert.equal(p.b.stat('tcp_rst_out'), r0 + 1);
});

test('SO_KEEPALIVE with TCP_KEEPIDLE/INTVL/CNT: a dead peer is detected and reported ETIMEDOUT', () => {
  const p = connectedPair(4);
  assert.equal(p.a.setsockopt(p.c, 'SO_KEEPALIVE', 1), 0);
  assert.equal(p.a.setsockopt(p.c, 'TCP_KEEPIDLE', 10), 0);
  assert.equal(p.a.setsockopt(p.c, 'TCP_KEEPINTVL', 2), 0);
  assert.equal(p.a.setsockopt(p.c, 'TCP_KEEPCNT', 3), 0);
  assert.deepEqual([p.a.getsockopt(p.c, 'TCP_KEEPIDLE'), p.a.getsockopt(p.c, 'TCP_KEEPINTVL'), p.a.getsockopt(p.c, 'TCP_KEEPCNT')], [10, 2, 3]);
  p.sim.run({ for: 30_000 });
  assert.equal(p.a.state(p.c), ESTABLISHED, 'a live peer answers the probes');
  assert.ok(p.a.stat('keepalive_probes') >= 1);
  p.wire.impair({ loss: 1 });
  p.sim.run({ for: 30_000 });
  assert.equal(p.a.state(p.c), CLOSED);
  assert.equal(p.a.getsockopt(p.c, 'SO_ERROR'), 110, 'ETIMEDOUT');
  assert.equal(p.a.stat('keepalive_timeouts'), 1);
});

test('keepalive defaults come from tcp_keepalive_time/intvl/probes (7200/75/9)', () => {
  const p = connectedPair(5);
  assert.deepEqual([p.a.sysctl('tcp_keepalive_time'), p.a.sysctl('tcp_keepalive_intvl'), p.a.sysctl('tcp_keepalive_probes')], [7200, 75, 9]);
  assert.equal(p.a.getsockopt(p.c, 'TCP_KEEPIDLE'), 7200);
  p.a.setSysctl('tcp_keepalive_time', 60);
  assert.equal(p.a.getsockopt(p.c, 'TCP_KEEPIDLE'), 60);
});

test('TCP_NODELAY, SO_RCVBUF/SO_SNDBUF bounded by the pool, TCP_MAXSEG before connect', () => {
  const { a } = twoStacks(6);
  const h = a.socket();
  assert.equal(a.getsockopt(h, 'TCP_NODELAY'), 0, 'Nagle on by default');
  a.setsockopt(h, 'TCP_NODELAY', 1);
  assert.equal(a.getsockopt(h, 'TCP_NODELAY'), 1);
  a.setsockopt(h, 'SO_RCVBUF', 1 << 30);
  const fp = a.footprint();
  assert.equal(a.getsockopt(h, 'SO_RCVBUF'), fp.blocks * fp.blockBytes, 'capped at the block pool');
  a.setsockopt(h, 'SO_SNDBUF', 5000);
  assert.equal(a.getsockopt(h, 'SO_SNDBUF'), 4992, 'rounded to 16 bytes');
  assert.equal(a.setsockopt(h, 'SO_RCVBUF', 0), -22);
  assert.equal(a.setsockopt(h, 'TCP_MAXSEG', 536), 0);
  assert.equal(a.getsockopt(h, 'TCP_MAXSEG'), 536);
});

test('TCP_MAXSEG is honoured on the wire and the peer\'s MSS is respected', () => {
  const p = connectedPair(7, 80, (a) => { void a; });
  const { sim, a, b } = twoStacks(8);
  const l = b.socket(); b.bind(l, 0, 80); b.listen(l, 1);
  const c = a.socket(); a.setsockopt(c, 'TCP_MAXSEG', 600); a.connect(c, '192.0.2.2', 80);
  sim.run({ for: 50 });
  const s = b.accept(l);
  const info = b.info(s);
  assert.ok(typeof info !== 'number' && info.mss_send === 600, 'B sends at most A\'s MSS');
  void p;
});

test('tcp_info reports state, rtt, cwnd, queues and negotiated options', () => {
  const p = connectedPair(9);
  p.a.send(p.c, new Uint8Array(5000));
  p.sim.run({ for: 600 });                                  // past one delayed-ACK tick (Nagle waits for it)
  const i = p.a.info(p.c);
  assert.ok(typeof i !== 'number');
  assert.equal(i.state, ESTABLISHED);
  assert.ok(i.cwnd >= 1448 * 2);
  assert.equal(i.mss_send, 1460);
  assert.equal(i.options, 7, 'timestamps, SACK and window scaling negotiated');
  assert.equal(i.bytes_in_flight, 0);
  assert.equal(i.send_queue, 0);
  const ib = p.b.info(p.s);
  assert.ok(typeof ib !== 'number' && ib.recv_queue === 5000);
});

test('bind: EADDRINUSE for a port held by a listener or a connection (TIME_WAIT too) unless SO_REUSEADDR', () => {
  const p = connectedPair(10, 80);
  const h = p.b.socket();
  assert.equal(p.b.bind(h, 0, 80), EADDRINUSE, 'listener holds it');
  p.b.setsockopt(h, 'SO_REUSEADDR', 1);
  assert.equal(p.b.bind(h, 0, 80), EADDRINUSE, 'SO_REUSEADDR never shares a listening port');
  const lport = p.a.peer(p.c);
  assert.ok(typeof lport !== 'number');
  p.a.close(p.c); p.sim.run({ for: 50 }); p.b.close(p.s); p.sim.run({ for: 50 });
  assert.equal(p.a.state(p.c), -9, 'closed handle is EBADF');
  assert.equal(p.a.netstatCounts().TIME_WAIT, 1);
  const h2 = p.a.socket();
  assert.equal(p.a.bind(h2, 0, lport.localPort), EADDRINUSE, 'TIME_WAIT holds the port');
  p.a.setsockopt(h2, 'SO_REUSEADDR', 1);
  assert.equal(p.a.bind(h2, 0, lport.localPort), 0, 'with SO_REUSEADDR the bind succeeds');
  assert.equal(p.a.connect(h2, '192.0.2.2', 80), EADDRINUSE, 'but the TIME_WAIT 4-tuple is still refused');
  const h3 = p.a.socket();
  assert.equal(p.a.bind(h3, 0, 0), 0, 'port 0 picks an ephemeral port');
  const e = p.a.peer(h3);
  assert.ok(typeof e !== 'number' && e.localPort >= 49152 && e.localPort <= 65535);
  void TIME_WAIT;
});

test('connect: EADDRNOTAVAIL when the ephemeral range is exhausted', () => {
  const { a, b, sim } = twoStacks(11);
  a.setSysctl('ip_local_port_range_min', 50000);
  a.setSysctl('ip_local_port_range_max', 50001);
  const l = b.socket(); b.bind(l, 0, 80); b.listen(l, 8);
  assert.equal(a.connect(a.socket(), '192.0.2.2', 80), EINPROGRESS);
  assert.equal(a.connect(a.socket(), '192.0.2.2', 80), EINPROGRESS);
  assert.equal(a.connect(a.socket(), '192.0.2.2', 80), EADDRNOTAVAIL);
  assert.equal(a.connect(a.socket(), '192.0.2.2', 81), EINPROGRESS, 'the same ports serve another destination');
  sim.run({ for: 10 });
});

test('connection refused: ECONNREFUSED in SO_ERROR and recv', () => {
  const { a, sim } = twoStacks(12);
  const c = a.socket();
  a.connect(c, '192.0.2.2', 9);
  sim.run({ for: 100 });
  assert.equal(a.state(c), CLOSED);
  assert.equal(a.recv(c), -111);
  assert.equal(a.getsockopt(c, 'SO_ERROR'), 111);
});
