// The Node/V8 part of `npm run bench` (bench/run.ts): pair throughput of two stacks on an in-memory
// wire (MTU 1500, no loss), request/response rate with Nagle on and off, connection rate, footprint.
// Exports nodeFigures(); run alone with `npx tsx bench/node.ts`.
// The pair figures (nodePair) use the loop of bench/wasm2c/pair.c: two Stacks, one frame queue per
// direction, a virtual millisecond that moves only when nothing else does, a 16 KiB chunk written
// once before the clock starts and read back into one reused buffer (Stack.recvInto): what is
// timed is the stack and its host glue, not a test helper's byte pattern or hash.
import { mkdirSync, writeFileSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { runPair } from '../test/helpers/pair.ts';
import { connectedPair, twoStacks } from '../test/helpers/world.ts';
import { Stack } from '../host/stack.ts';
import { EV_READABLE } from '../host/abi.ts';
import { Clock } from '../host/clock.ts';

const MiB = 1 << 20;

function throughput(mib: number, rcvbuf?: number) {
  const t0 = performance.now();
  const r = runPair({ seed: 1, bytes: mib * MiB, rcvbuf });
  const s = (performance.now() - t0) / 1000;
  if (r.gotHash[0] !== r.sentHash[0]) throw new Error('transfer corrupted');
  return { mib, seconds: +s.toFixed(3), mibPerS: +(mib / s).toFixed(1), gbitPerS: +((mib * 8 * 1.048576) / 1000 / s).toFixed(3), retransmits: r.retransmits };
}

/** CPU seconds (user + system) of this process since c0: on a loaded machine wall time is not ours. */
function cpuSeconds(c0: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1e6;
}

type NodePair = { a: Stack; b: Stack; qa: Uint8Array[]; qb: Uint8Array[]; clock: Clock; listener: number };

function nodePairSetup(): NodePair {
  const clock = new Clock(1000);
  const mk = (n: number) => {
    const s = new Stack({ name: n === 1 ? 'A' : 'B', mac: `02:00:00:00:00:0${n}`, ip: `192.0.2.${n}`, clock, build: 'release' });
    s.setSysctl('tcp_rmem_default', 65535); s.setSysctl('tcp_wmem_default', 65535); s.setSysctl('tcp_timestamps', 0);
    return s;
  };
  const a = mk(1), b = mk(2);
  const qa: Uint8Array[] = [], qb: Uint8Array[] = [];
  a.onOutput = (f) => { qb.push(f); };
  b.onOutput = (f) => { qa.push(f); };
  const listener = b.socket(); b.bind(listener, 0, 5001); b.listen(listener, 64);
  return { a, b, qa, qb, clock, listener };
}

/** Delivers every queued frame; returns how many. */
function nodeDeliver(p: NodePair): number {
  let n = 0;
  for (let i = 0; i < p.qb.length; i++) { p.b.input(p.qb[i]); n++; }
  p.qb.length = 0;
  for (let i = 0; i < p.qa.length; i++) { p.a.input(p.qa[i]); n++; }
  p.qa.length = 0;
  return n;
}

function nodeTick(p: NodePair): void { p.clock.advance(1); p.a.runTimers(); p.b.runTimers(); }

function nodeOpen(p: NodePair): [number, number] {
  const c = p.a.socket();
  p.a.connect(c, '192.0.2.2', 5001);
  for (let i = 0; i < 100000; i++) {
    while (nodeDeliver(p)) { /* until idle */ }
    const s = p.b.accept(p.listener);
    if (s > 0) return [c, s];
    nodeTick(p);
  }
  throw new Error('node pair: connect failed');
}

/** bulk MIB from A to B on the pair loop; bytes per wall second. */
function nodePairBulk(mib: number) {
  const p = nodePairSetup();
  const [c, s] = nodeOpen(p);
  const chunk = Uint8Array.from({ length: 16384 }, (_, i) => (i * 31) & 255);
  const sink = new Uint8Array(65536);
  const total = mib * MiB;
  let sent = 0, got = 0;
  const t0 = performance.now(), c0 = process.cpuUsage();
  while (got < total) {
    let moved = false;
    while (sent < total) {
      const n = p.a.send(c, total - sent < chunk.length ? chunk.subarray(0, total - sent) : chunk);
      if (n <= 0) break;
      sent += n; moved = true;
    }
    if (nodeDeliver(p)) moved = true;
    for (;;) {
      const r = p.b.recvInto(s, sink);
      if (r <= 0) break;
      got += r; moved = true;
    }
    if (!moved) nodeTick(p);
  }
  const secs = (performance.now() - t0) / 1000, cpu = cpuSeconds(c0);
  return { mib, seconds: +secs.toFixed(3), cpuSeconds: +cpu.toFixed(3), mibPerS: +(mib / secs).toFixed(1),
    mbPerS: +((mib * MiB) / 1e6 / secs).toFixed(1), mbPerCpuS: +((mib * MiB) / 1e6 / cpu).toFixed(1) };
}

/** connect, 1 byte each way, close by both: cycles per wall second (bench/wasm2c/pair.c conn). */
function nodePairConn(cycles: number) {
  const p = nodePairSetup();
  p.a.setSysctl('tcp_tw_reuse', 1);
  const one = Uint8Array.of(42), sink = new Uint8Array(16);
  const exchange = (from: Stack, hf: number, to: Stack, ht: number) => {
    from.send(hf, one);
    for (let i = 0; i < 100000; i++) {
      while (nodeDeliver(p)) { /* until idle */ }
      if (to.recvInto(ht, sink) === 1) return;
      nodeTick(p);
    }
    throw new Error('node pair: byte lost');
  };
  const t0 = performance.now(), c0 = process.cpuUsage();
  for (let i = 0; i < cycles; i++) {
    const [c, s] = nodeOpen(p);
    exchange(p.a, c, p.b, s);
    exchange(p.b, s, p.a, c);
    p.a.close(c); while (nodeDeliver(p)) { /* */ }
    p.b.close(s); while (nodeDeliver(p)) { /* */ }
  }
  return { cycles, perWallSecond: Math.round(cycles / ((performance.now() - t0) / 1000)), perCpuSecond: Math.round(cycles / cpuSeconds(c0)) };
}

export function nodePair() {
  nodePairBulk(8); nodePairConn(200);                       // warm-up: V8 tiers up the glue
  return { bulk: nodePairBulk(64), conn: nodePairConn(1500) };
}

function requestResponse(nodelay: boolean, rounds: number) {
  const p = connectedPair(3);
  if (nodelay) { p.a.setsockopt(p.c, 'TCP_NODELAY', 1); p.b.setsockopt(p.s, 'TCP_NODELAY', 1); }
  p.wire.impair({ delayMs: 0.5 });                       // 1 ms round trip, so virtual time means something
  const req = new Uint8Array(100), resp = new Uint8Array(300);
  const v0 = p.sim.clock.now, t0 = performance.now();
  for (let i = 0; i < rounds; i++) {
    p.a.send(p.c, req);
    let got = 0;
    p.sim.run({ while: () => { const r = p.b.recv(p.s); if (r instanceof Uint8Array) got += r.length; return got < req.length; }, for: 5000 });
    p.b.send(p.s, resp);
    got = 0;
    p.sim.run({ while: () => { const r = p.a.recv(p.c); if (r instanceof Uint8Array) got += r.length; return got < resp.length; }, for: 5000 });
  }
  const virt = (p.sim.clock.now - v0) / 1000, wall = (performance.now() - t0) / 1000;
  return { nodelay, rounds, perVirtualSecond: +(rounds / Math.max(virt, 1e-9)).toFixed(1), perWallSecond: Math.round(rounds / wall) };
}

function connectionRate(cycles: number) {
  const { sim, a, b } = twoStacks(4);
  a.setSysctl('tcp_tw_reuse', 1);
  const l = b.socket(); b.bind(l, 0, 80); b.listen(l, 16);
  const t0 = performance.now();
  for (let i = 0; i < cycles; i++) {
    const c = a.socket(); a.connect(c, '192.0.2.2', 80);
    let s = -1;
    sim.run({ while: () => (s = s > 0 ? s : b.accept(l)) < 0, for: 5000 });
    a.send(c, Uint8Array.of(1));
    sim.run({ while: () => !(b.recv(s) instanceof Uint8Array), for: 5000 });
    a.close(c); b.close(s);
    sim.run({ for: 5 });
  }
  return { cycles, perWallSecond: Math.round(cycles / ((performance.now() - t0) / 1000)) };
}

export function nodeFigures() {
const fp = new Stack({ mac: '02:00:00:00:00:01', ip: '192.0.2.1' }).footprint();
const results = {
  date: new Date().toISOString(),
  node: process.version,
  pair: nodePair(),
  throughput: [throughput(16), throughput(64), throughput(64, 64 * 1024)],
  requestResponse: [requestResponse(false, 200), requestResponse(true, 200)],
  connectionRate: connectionRate(2000),
  footprint: { wasmBytes: statSync('build/stack.wasm').size, ...fp },
};
void EV_READABLE;
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/node.json', JSON.stringify(results, null, 2) + '\n');
const md = [
  '| figure | value |', '|---|---|',
  `| pair loop bulk, 64 MiB (bench/node.ts nodePair) | ${results.pair.bulk.mbPerS} MB/s wall, ${results.pair.bulk.mbPerCpuS} MB per CPU s |`,
  `| pair loop connect / 1 byte each way / close | ${results.pair.conn.perWallSecond} per wall s, ${results.pair.conn.perCpuSecond} per CPU s |`,
  ...results.throughput.map((t) => `| pair throughput, ${t.mib} MiB${t === results.throughput[2] ? ', 64 KiB buffers' : ''} | ${t.mibPerS} MiB/s (${t.gbitPerS} Gbit/s) |`),
  ...results.requestResponse.map((r) => `| request/response, Nagle ${r.nodelay ? 'off' : 'on'} | ${r.perVirtualSecond} round trips per virtual s (1 ms RTT), ${r.perWallSecond} per wall s |`),
  `| connect / 1 byte / close | ${results.connectionRate.perWallSecond} per wall s |`,
  `| .wasm | ${results.footprint.wasmBytes} bytes |`,
  `| TCP PCB / listen PCB / SYN entry | ${fp.pcbBytes} / ${fp.listenPcbBytes} / ${fp.synEntryBytes} bytes |`,
];
writeFileSync('bench/results/node.md', md.join('\n') + '\n');
return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(process.argv[2] === 'pair' ? nodePair() : nodeFigures(), null, 2));
}
