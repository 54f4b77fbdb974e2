// The Node/V8 part of `npm run bench` (bench/run.ts): pair throughput of two stacks on an in-memory
// wire (MTU 1500, no loss), request/response rate with Nagle on and off, connection rate, footprint.
// Exports nodeFigures(); run alone with `npx tsx bench/node.ts`.
import { mkdirSync, writeFileSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { runPair } from '../test/helpers/pair.ts';
import { connectedPair, twoStacks } from '../test/helpers/world.ts';
import { Stack } from '../host/stack.ts';
import { EV_READABLE } from '../host/abi.ts';

const MiB = 1 << 20;

function throughput(mib: number, rcvbuf?: number) {
  const t0 = performance.now();
  const r = runPair({ seed: 1, bytes: mib * MiB, rcvbuf });
  const s = (performance.now() - t0) / 1000;
  if (r.gotHash[0] !== r.sentHash[0]) throw new Error('transfer corrupted');
  return { mib, seconds: +s.toFixed(3), mibPerS: +(mib / s).toFixed(1), gbitPerS: +((mib * 8 * 1.048576) / 1000 / s).toFixed(3), retransmits: r.retransmits };
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
  ...results.throughput.map((t) => `| pair throughput, ${t.mib} MiB${t === results.throughput[2] ? ', 64 KiB buffers' : ''} | ${t.mibPerS} MiB/s (${t.gbitPerS} Gbit/s) |`),
  ...results.requestResponse.map((r) => `| request/response, Nagle ${r.nodelay ? 'off' : 'on'} | ${r.perVirtualSecond} round trips per virtual s (1 ms RTT), ${r.perWallSecond} per wall s |`),
  `| connect / 1 byte / close | ${results.connectionRate.perWallSecond} per wall s |`,
  `| .wasm | ${results.footprint.wasmBytes} bytes |`,
  `| TCP PCB / listen PCB / SYN entry | ${fp.pcbBytes} / ${fp.listenPcbBytes} / ${fp.synEntryBytes} bytes |`,
];
writeFileSync('bench/results/node.md', md.join('\n') + '\n');
return results;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(nodeFigures(), null, 2));
