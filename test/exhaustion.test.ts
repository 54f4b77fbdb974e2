// Issue 12, resource exhaustion: every pool driven to empty through the ABI and through the wire.
// The stack answers with error codes or drops, counts it, never loses accepted data, and recovers
// when the load stops (pools back to their idle level, new work succeeds).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Sim } from '../host/sim.ts';
import type { Peer as PeerAddr, PoolStats, Stack } from '../host/stack.ts';
import {
  EAGAIN, EINPROGRESS, ENOBUFS, ESTABLISHED, EV_WRITABLE, POOL_ARP, POOL_BLOCKS, POOL_LISTEN_PCBS, POOL_RANGES, POOL_SYN_QUEUE,
  POOL_TCP_PCBS,
} from '../host/abi.ts';
import { ACK, PSH, SYN, tcpFrame } from './helpers/frames.ts';
import { Peer } from './fuzz/peer.ts';
import { pinnedBuild } from './helpers/build.ts';

const used = (s: Stack, pool: number) => (s.poolStats(pool) as PoolStats).used;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function pair(seed: number) {
  const sim = new Sim({ seed });
  const a = sim.addStack({ name: 'A', mac: '02:00:00:00:00:01', ip: '192.0.2.1', build: pinnedBuild() });
  const b = sim.addStack({ name: 'B', mac: '02:00:00:00:00:02', ip: '192.0.2.2', build: pinnedBuild() });
  const wire = sim.connect([a, b], { seed: seed + 1, impair: { delayMs: 1 } });
  return { sim, a, b, wire };
}

test('listen PCBs: the fifth listen() is ENOBUFS; closing one lets the next in', () => {
  const { b } = pair(1);
  const ls: number[] = [];
  for (let port = 1; port <= 4; port++) { const l = b.socket(); b.bind(l, 0, port); assert.equal(b.listen(l, 1), 0); ls.push(l); }
  const l5 = b.socket(); b.bind(l5, 0, 5);
  assert.equal(b.listen(l5, 1), ENOBUFS);
  assert.equal(used(b, POOL_LISTEN_PCBS), 4);
  b.close(ls[0]);
  assert.equal(b.listen(l5, 1), 0);
  assert.equal(b.checkInvariants(), 0);
});

test('buffer blocks: 14 connections into a receiver that does not read run the pool dry; nothing is lost', () => {
  const { sim, a, b } = pair(2);
  const l = b.socket(); b.bind(l, 0, 80); b.listen(l, 16);
  const N = 14, SIZE = 16 * 1024;
  const data = Array.from({ length: N }, (_, i) => Uint8Array.from({ length: SIZE }, (_, k) => (k * (i + 3)) & 255));
  const cs = data.map(() => { const h = a.socket(); assert.equal(a.connect(h, '192.0.2.2', 80), EINPROGRESS); return h; });
  sim.run({ for: 3000 });                       // ARP holds one frame per neighbour: most SYNs go out on retry
  const byPort = new Map<number, number>();
  for (let i = 0; i < N; i++) {
    const s = b.accept(l);
    assert.ok(s > 0, `accept ${i}: ${s}`);
    byPort.set((b.peer(s) as PeerAddr).remotePort, s);
  }
  const ss = cs.map((h) => byPort.get((a.peer(h) as PeerAddr).localPort)!);   // accept order is not connect order
  const sent = new Array<number>(N).fill(0);
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < N; i++) if (sent[i] < SIZE) { const r = a.send(cs[i], data[i].subarray(sent[i])); if (r > 0) sent[i] += r; }
    sim.run({ for: 250 });
  }
  const blocks = (b.poolStats(POOL_BLOCKS) as PoolStats).size;   // 36 in the one-page build, 96 in the server build
  assert.ok(N * SIZE > blocks * 1024, 'the flows exceed the pool');
  // Received data never takes the last TX_RESERVE_BLOCKS (2, assembly/tcp/ooo_pressure.ts rule 4).
  assert.equal((b.poolStats(POOL_BLOCKS) as PoolStats).high_water, blocks - 2, 'B\'s block pool is full of unread data but the send reserve');
  assert.equal((a.poolStats(POOL_BLOCKS) as PoolStats).high_water, blocks, 'A\'s is full of unacknowledged data');
  assert.ok(a.stat('pool_fail_block') > 0, 'sends that found no block are counted');
  assert.ok(sent.some((n) => n < SIZE), 'some senders are starved until the receiver reads');
  // The application reads now; senders retransmit what B could not store.
  const got = data.map(() => [] as Uint8Array[]);
  const total = new Array<number>(N).fill(0);
  for (let round = 0; round < 400 && total.some((t) => t < SIZE); round++) {
    for (let i = 0; i < N; i++) {
      if (sent[i] < SIZE) { const r = a.send(cs[i], data[i].subarray(sent[i])); if (r > 0) sent[i] += r; }
      for (let r = b.recv(ss[i]); r instanceof Uint8Array && r.length > 0; r = b.recv(ss[i])) { got[i].push(r); total[i] += r.length; }
    }
    sim.run({ for: 100 });
  }
  for (let i = 0; i < N; i++) {
    const g = Buffer.concat(got[i]);
    let d = 0; while (d < g.length && g[d] === data[i][d]) d++;
    assert.equal(sha(g), sha(data[i]), `connection ${i} byte-exact: ${g.length} bytes, first difference at ${d}, sent ${sent[i]}`);
  }
  for (let i = 0; i < N; i++) { a.close(cs[i]); b.close(ss[i]); }
  sim.run({ for: 5000 });
  assert.equal(used(a, POOL_BLOCKS) + used(b, POOL_BLOCKS), 0, 'every block back in the pool');
  assert.equal(a.checkInvariants(), 0);
  assert.equal(b.checkInvariants(), 0);
});

test('TCP PCBs through the wire: handshakes beyond the pool are held back, counted, and complete later', () => {
  const sim = new Sim({ seed: 3 });
  const b = sim.addStack({ name: 'B', mac: '02:00:00:00:00:02', ip: '192.0.2.2', build: pinnedBuild() });
  b.setSysctl('tcp_syncookies', 0);
  const clients = Array.from({ length: 20 }, (_, i) =>
    sim.addStack({ name: `c${i}`, mac: `02:00:00:00:01:${(i + 1).toString(16).padStart(2, '0')}`, ip: `192.0.2.${20 + i}` }));
  sim.connect([b, ...clients], { impair: { delayMs: 1 } });
  const l = b.socket(); b.bind(l, 0, 80); b.listen(l, 32);
  const hs = clients.map((c) => { const h = c.socket(); c.connect(h, '192.0.2.2', 80); return h; });
  sim.run({ for: 2000 });
  assert.equal(used(b, POOL_TCP_PCBS), 16, 'every PCB taken');
  assert.ok(b.stat('listen_drops') > 0, 'the final ACKs of the rest are dropped and counted; their SYN-queue entries stay');
  // The server accepts and closes; each client closes on end of stream. B ends in TIME_WAIT, which
  // is recycled under pool pressure, so the held-back handshakes complete on their SYN retries.
  let served = 0;
  const closed = new Set<number>();
  for (let round = 0; round < 300 && served < 20; round++) {
    for (let s = b.accept(l); s > 0; s = b.accept(l)) { b.close(s); served++; }
    clients.forEach((c, i) => { const r = c.recv(hs[i]); if (r instanceof Uint8Array && r.length === 0 && !closed.has(i)) { c.close(hs[i]); closed.add(i); } });
    sim.run({ for: 500 });
  }
  if (served < 20) console.log(JSON.stringify({ t: sim.clock.now, states: clients.map((c, i) => c.state(hs[i])), b: b.netstatCounts(), syn: used(b, POOL_SYN_QUEUE), st: ['listen_drops','syn_queue_full','listen_overflows','pool_fail_pcb','tw_recycled','pcb_recycled','synack_retrans'].map((k) => b.stat(k as never)) }));
  assert.equal(served, 20, 'all 20 connections accepted in the end');
  assert.ok(b.stat('tw_recycled') > 0, 'TIME_WAIT PCBs were recycled for them');
  clients.forEach((c, i) => { if (!closed.has(i)) c.close(hs[i]); });
  sim.run({ for: 130_000 });
  assert.equal(used(b, POOL_TCP_PCBS), 0);
  assert.equal(b.checkInvariants(), 0);
});

test('SYN queue through the wire: a flood fills it (cookies off), entries expire, a client then connects', () => {
  const p = new Peer({ tcp_syncookies: 0, tcp_max_syn_backlog: 1024 });
  for (let i = 0; i < 64; i++) {
    p.input(tcpFrame({ srcMac: [2, 0, 0, 0, 0, 1], dstMac: [2, 0, 0, 0, 0, 2], srcIp: `192.0.2.${100 + (i % 100)}`, dstIp: '192.0.2.2',
      sport: 2000 + i, dport: 5001, seq: i * 1000, flags: SYN }));
  }
  const entries = (p.b.poolStats(POOL_SYN_QUEUE) as PoolStats).size;   // 16 one-page, 32 server
  assert.ok(entries < 64, 'the flood is larger than the pool');
  assert.equal(used(p.b, POOL_SYN_QUEUE), entries, `the pool (${entries} entries) is full`);
  assert.ok(p.stat('syn_queue_full') >= 64 - entries);
  for (let t = 0; t < 200; t++) { p.b.clock.advance(500); p.b.runTimers(); p.drain(); }
  assert.equal(used(p.b, POOL_SYN_QUEUE), 0, 'SYN-ACK retries exhausted: entries dropped');
  p.establish();
  p.assertAlive();
});

test('out-of-order ranges: more holes than ranges drops out-of-order data (counted); in-order data then fills it all', () => {
  const p = new Peer().establish();
  const base = p.sndNxt;
  const payload = Uint8Array.from({ length: 300 }, (_, i) => i & 255);
  for (let off = 2; off < 300; off += 2) {
    p.input(p.seg({ seq: (base + off) >>> 0, payload: payload.subarray(off, off + 1), flags: ACK | PSH }));
  }
  assert.equal(used(p.b, POOL_RANGES) <= 64, true);
  assert.ok(p.stat('ooo_drop') > 0, 'out-of-order segments beyond the range pool are dropped and counted');
  for (let off = 0; off < 300; off++) {
    p.input(p.seg({ seq: (base + off) >>> 0, payload: payload.subarray(off, off + 1), flags: ACK | PSH }));
  }
  p.sndNxt = (base + 300) >>> 0;
  const got = p.b.recv(p.conn);
  assert.ok(got instanceof Uint8Array);
  assert.deepEqual([...got], [...payload]);
  assert.equal(used(p.b, POOL_RANGES), 0);
  p.assertAlive();
});

test('ARP table: connects to 20 silent neighbours recycle pending entries; a flood of senders does not stop real traffic', () => {
  const { sim, a, b, wire } = pair(6);
  const hs: number[] = [];
  for (let i = 0; i < 20; i++) { const h = a.socket(); a.connect(h, `192.0.2.${100 + i}`, 80); hs.push(h); }
  sim.run({ for: 100 });
  assert.equal(used(a, POOL_ARP), 8);
  for (const h of hs) a.close(h);
  const flooder = { name: 'flood', mac: Uint8Array.from([2, 0, 0, 0, 0, 0xee]), deliver: () => {} };
  wire.addPort(flooder);
  for (let i = 0; i < 200; i++) {
    const f = new Uint8Array(42);
    f.set([2, 0, 0, 0, 0, 2], 0); f.set([2, 0, 0, 0, 0xee, i & 255], 6); f[12] = 8; f[13] = 6;
    f.set([0, 1, 8, 0, 6, 4, 0, 1], 14); f.set([2, 0, 0, 0, 0xee, i & 255], 22); f.set([192, 0, 2, 50 + (i % 150)], 28);
    f.set([192, 0, 2, 2], 38);
    wire.send(flooder, f);
  }
  sim.run({ for: 100 });
  assert.equal(used(b, POOL_ARP), 8, 'bounded');
  const l = b.socket(); b.bind(l, 0, 80); b.listen(l, 1);
  const h = a.socket(); a.connect(h, '192.0.2.2', 80);
  sim.run({ for: 3000 });
  const s = b.accept(l);
  assert.ok(s > 0 && a.state(h) === ESTABLISHED, 'A still reaches B');
  a.send(h, new TextEncoder().encode('through the flood'));
  sim.run({ for: 500 });
  const r = b.recv(s);
  assert.notEqual(r, EAGAIN);
  assert.equal(new TextDecoder().decode(r as Uint8Array), 'through the flood');
  assert.equal(a.checkInvariants(), 0);
  assert.equal(b.checkInvariants(), 0);
});

test('receive queues leave the send reserve; a send refused with nothing in flight hears EV_WRITABLE when blocks free up', () => {
  // s24 found it: every block could sit in receive queues, and EV_WRITABLE rode only on ACKs of a
  // connection's own data, so a connection whose send was refused for want of blocks (nothing in
  // flight, so no ACK to come) never heard it could write again: an echo server deadlocked.
  const { sim, a, b } = pair(7);
  const l = b.socket(); b.bind(l, 0, 80); b.listen(l, 8);
  // Three receiving connections with 16 KiB windows on A (48 KiB > its 36 blocks); B's send queues
  // (3 x 8 KiB) leave B room to receive.
  const R = 3;
  const cs = Array.from({ length: R + 2 }, (_, i) => {
    const h = a.socket();
    if (i < R) assert.equal(a.setsockopt(h, 'SO_RCVBUF', 16 * 1024), 0);
    a.connect(h, '192.0.2.2', 80);
    return h;
  });
  const N = cs.length;
  sim.run({ for: 3000 });
  const byPort = new Map<number, number>();
  for (let i = 0; i < N; i++) { const s = b.accept(l); assert.ok(s > 0, `accept ${i}: ${s}`); byPort.set((b.peer(s) as PeerAddr).remotePort, s); }
  const ss = cs.map((h) => byPort.get((a.peer(h) as PeerAddr).localPort)!);
  // B sends to A on those and A does not read: they would take every block A has.
  const chunk = new Uint8Array(16 * 1024).fill(0x5a);
  for (let round = 0; round < 20; round++) { for (let i = 0; i < R; i++) b.send(ss[i], chunk); sim.run({ for: 250 }); }
  const free = () => { const p = a.poolStats(POOL_BLOCKS) as PoolStats; return p.size - p.used; };
  assert.equal(free(), 2, 'receive queues stop at the send reserve (TX_RESERVE_BLOCKS)');
  // One sender takes the reserve; the other is refused with nothing queued or in flight.
  const big = new Uint8Array(8 * 1024).fill(0x33);
  const [first, second] = [cs[N - 2], cs[N - 1]];
  assert.equal(a.send(first, big), 2048, 'the reserve: two blocks');
  assert.equal(a.send(second, big), EAGAIN, 'refused, nothing in flight');
  const writable: number[] = [];
  const off = a.onEvent((e) => { if (e.handle === second && (e.events & EV_WRITABLE)) writable.push(sim.clock.now); });
  const t0 = sim.clock.now;
  sim.run({ for: 1000 });                      // first's 2 KiB are ACKed: its blocks come back
  off();
  assert.ok(writable.length > 0, 'EV_WRITABLE for the refused sender');
  assert.ok(writable[0] - t0 <= 600, `soon: ${writable[0] - t0} ms`);
  assert.ok((a.send(second, big) as number) > 0, 'and its send now goes through');
  assert.equal(a.checkInvariants(), 0);
});
