// `npm run bench`: this stack beside lwIP 2.1.3 in one run, written to bench/results/bench.json and
// bench/results/bench.md (bench/README.md explains every figure).
//   - pair workloads, the same C loop for every row, on the same wire (bench/common/wire.c: 2 copies
//     per frame, frame counts checked against the bytes delivered, seeded loss): bench/wasm2c/pair.c
//     (two wasm2c instances of build/stack.server.wasm; `pair-mask`: the boards' default sandbox, no
//     guard pages, addresses masked; `pair-mcu`: wasm2c's explicit bounds checks) and bench/lwip/pair.c (lwIP 2.1.3 from Debian's source package, NO_SYS,
//     static pools, -O2; `pair-debian`: Debian's binary liblwip, a labelled second row)
//   - instructions from valgrind callgrind with memcpy's `rep movsb` path off
//     (GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold=4294967295, so a copy costs what its vector
//     loop costs): per MiB delivered ((Ir of 17 MiB - Ir of 1 MiB) / 16), per connection cycle
//     ((conn 1100 - conn 100) / 1000), per request/response round ((rr 1100 - rr 100) / 1000)
//   - bulk under 1 % and 5 % seeded loss (16 MiB, seed 7): virtual ms and bytes retransmitted
//   - wall-clock rates (unreliable on a loaded machine), the Node/V8 figures, footprint
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from '../host/stack.ts';
import { nodeFigures } from './node.ts';

type Json = Record<string, any>;
const NO_REP_MOVSB = 'glibc.cpu.x86_rep_movsb_threshold=4294967295';
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

function make(dir: string): void {
  execFileSync('make', ['-s', '-C', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
}

function run(bin: string, args: string[]): Json {
  const out = execFileSync(bin, args, { encoding: 'utf8', timeout: 300_000 });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

/** Instructions of one run under callgrind (all threads), or null without valgrind. */
function instructions(bin: string, args: string[]): number | null {
  if (!has('valgrind')) return null;
  const out = join(tmpdir(), `cg-${process.pid}-${Math.random().toString(36).slice(2)}`);
  spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, bin, ...args],
    { stdio: 'ignore', timeout: 600_000, env: { ...process.env, GLIBC_TUNABLES: NO_REP_MOVSB } });
  const text = readFileSync(out, 'utf8');
  const m = /^(?:summary|totals): (\d+)/m.exec(text);
  if (process.env.BENCH_KEEP_CALLGRIND) console.log(`callgrind file: ${out}`); else rmSync(out, { force: true });
  return m ? Number(m[1]) : null;
}

/** (Ir(big) - Ir(small)) / per: set-up cancels out. */
function delta(bin: string, small: string[], big: string[], per: number): number | null {
  const a = instructions(bin, small), b = instructions(bin, big);
  return a === null || b === null ? null : Math.round((b - a) / per);
}

// `npx tsx bench/run.ts --quick` (after `npm run -s build`): only the wasm2c pair's three instruction
// figures (per MiB, per connection cycle, per round) and the size of build/stack.wasm, as one JSON
// line: what bench/README.md's step tables are measured with, one commit at a time.
if (process.argv.includes('--quick')) {
  execFileSync('make', ['-s', '-C', 'bench/wasm2c', 'build/pair'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const bin = 'bench/wasm2c/build/pair';
  console.log(JSON.stringify({
    insnPerMiB: delta(bin, ['bulk', '1'], ['bulk', '17'], 16), insnPerConn: delta(bin, ['conn', '100'], ['conn', '1100'], 1000),
    insnPerRound: delta(bin, ['rr', '100', '1'], ['rr', '1100', '1'], 1000), wasmBytes: statSync('build/stack.wasm').size,
  }));
  process.exit(0);
}

/** Where the instructions go in the wasm2c build: the top functions by self cost. */
function hotSpots(bin: string): string[] {
  if (!has('valgrind') || !has('callgrind_annotate')) return [];
  const out = join(tmpdir(), `cg-hot-${process.pid}`);
  spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, bin, 'bulk', '16'],
    { stdio: 'ignore', env: { ...process.env, GLIBC_TUNABLES: NO_REP_MOVSB } });
  const text = execFileSync('callgrind_annotate', [out], { encoding: 'utf8' });
  rmSync(out, { force: true });
  return text.split('\n').filter((l) => /^\s*[\d,]+ \(\s*[\d.]+%\)/.test(l)).slice(1, 11)
    .map((l) => l.trim().replace(/\s+/g, ' ').replace(/ \[.*\]$/, '').replace(/\S*\/(\S+:)/, '$1'));
}

function cortexM3Size(): string {
  if (!has('arm-none-eabi-size')) return 'n/a (apt-get install gcc-arm-none-eabi)';
  execFileSync('make', ['-s', '-C', 'boards/mps2-an385', 'build/stack.o'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const out = execFileSync('arm-none-eabi-size', ['boards/mps2-an385/build/stack.o'], { encoding: 'utf8' }).split('\n')[1].trim().split(/\s+/);
  return `${out[0]} bytes text (wasm2c output, arm-none-eabi-gcc -Os -mcpu=cortex-m3)`;
}

/** lwIP's TCP/IPv4/ARP/ICMP/UDP core for Cortex-M3 with the same flags (bench/lwip/m3/size.sh). */
function lwipM3Size(): string {
  if (!has('arm-none-eabi-gcc')) return 'n/a (apt-get install gcc-arm-none-eabi)';
  const r = JSON.parse(execFileSync('bench/lwip/m3/size.sh', { encoding: 'utf8', timeout: 300_000 }).trim());
  return r.error ? `n/a (${r.error})` : `${r.text_total} bytes text (TCP alone ${r.text_tcp}), lwIP 2.1.3 core, -Os -mcpu=cortex-m3`;
}

const ratio = (a: number | null, b: number | null) => (a && b ? +(a / b).toFixed(2) : null);

const load0 = os.loadavg().map((v) => v.toFixed(1)).join(' ');
make('bench/wasm2c');
make('bench/lwip');
const stacks: Record<string, string> = {
  wasm2c: 'bench/wasm2c/build/pair', 'wasm2c-mask': 'bench/wasm2c/build/pair-mask', 'wasm2c-mcu': 'bench/wasm2c/build/pair-mcu',
  lwip: 'bench/lwip/build/pair', 'lwip-debian': 'bench/lwip/build/pair-debian',
};

type Loss = { virtualMs: number; retransmittedBytes: number; lostSegments: number; seconds: number };
type Side = { insnPerMiB: number | null; insnPerMiBZeroCopy: number | null; insnPerConn: number | null; insnPerRound: number | null;
  mibPerS: number; connPerS: number; rrPerSNagle: number; rrPerSNoDelay: number; loss1: Loss | null; loss5: Loss | null };
const lossRun = (bin: string, ppm: number): Loss => {
  const r = run(bin, ['bulk', '16', String(ppm), '7']);
  return { virtualMs: r.virtual_ms, retransmittedBytes: r.wire.retransmitted[0], lostSegments: r.wire.lost[0] + r.wire.lost[1], seconds: r.seconds };
};
const side: Record<string, Side> = {};
for (const [name, bin] of Object.entries(stacks)) {
  const bulk = run(bin, ['bulk', '64']);                 // every run exits 3 when its wire check fails
  const conn = run(bin, ['conn', '2000']);
  const rrOn = run(bin, ['rr', '2000', '0']);
  const rrOff = run(bin, ['rr', '2000', '1']);
  const debian = name === 'lwip-debian';                 // real-time timers on a thread: no loss, no per-cycle count
  side[name] = {
    insnPerMiB: delta(bin, ['bulk', '1'], ['bulk', '17'], 16),
    insnPerMiBZeroCopy: name.startsWith('wasm2c') ? delta(bin, ['bulk-zc', '1'], ['bulk-zc', '17'], 16) : null,
    insnPerConn: debian ? null : delta(bin, ['conn', '100'], ['conn', '1100'], 1000),
    insnPerRound: debian ? null : delta(bin, ['rr', '100', '1'], ['rr', '1100', '1'], 1000),
    mibPerS: +(64 / Number(bulk.seconds)).toFixed(1),
    connPerS: Math.round(2000 / Number(conn.seconds)),
    rrPerSNagle: Math.round(2000 / Number(rrOn.seconds)),
    rrPerSNoDelay: Math.round(2000 / Number(rrOff.seconds)),
    loss1: debian ? null : lossRun(bin, 10000),
    loss5: debian ? null : lossRun(bin, 50000),
  };
}
const lwipSizes = run('bench/lwip/build/sizes', []);
const fp = new Stack({ mac: '02:00:00:00:00:01', ip: '192.0.2.1' }).footprint();
const node = nodeFigures();
execFileSync('make', ['-s', '-C', 'bench/wasm2c', 'names'], { stdio: ['ignore', 'ignore', 'inherit'] });
const hot = hotSpots('bench/wasm2c/build/pair-names');          // same code, names kept
const W = side.wasm2c, K = side['wasm2c-mask'], M = side['wasm2c-mcu'], L = side.lwip, D = side['lwip-debian'];
const results = {
  date: new Date().toISOString(),
  loadAverageStart: load0, loadAverageEnd: os.loadavg(),
  method: 'bench/common/wire.c (2 copies per frame, frame counts checked), virtual ms clock, MTU 1500, MSS 1460, 64 KiB windows; callgrind with ' + NO_REP_MOVSB,
  side,
  node: { pair: node.pair, helperThroughputMiBPerS: node.throughput[1].mibPerS, helperConnPerS: node.connectionRate.perWallSecond },
  ratios: {
    insnPerMiB: ratio(W.insnPerMiB, L.insnPerMiB), insnPerMiBMask: ratio(K.insnPerMiB, L.insnPerMiB),
    insnPerMiBMcu: ratio(M.insnPerMiB, L.insnPerMiB), insnPerMiBZeroCopy: ratio(W.insnPerMiBZeroCopy, L.insnPerMiB),
    insnPerConn: ratio(W.insnPerConn, L.insnPerConn), insnPerRound: ratio(W.insnPerRound, L.insnPerRound),
  },
  footprint: {
    wasmBytes: statSync('build/stack.wasm').size, staticDataBytes: fp.staticEnd, tcpPcb: fp.pcbBytes, listenPcb: fp.listenPcbBytes,
    synEntry: fp.synEntryBytes, bufferBlock: fp.blockBytes, lwip: lwipSizes, cortexM3: cortexM3Size(),
    lwipCortexM3: lwipM3Size(),
  },
  hotSpots: hot,
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/bench.json', JSON.stringify(results, null, 2) + '\n');
const n = (v: unknown) => (v === null || v === undefined ? 'n/a' : String(v));
const lossCell = (l: Loss | null) => (l ? `${l.virtualMs} ms, ${l.retransmittedBytes} B resent` : 'n/a');
const md = [
  '| figure | this stack (wasm2c -O2, guard pages) | wasm2c, masked sandbox (boards) | wasm2c, bounds checks | lwIP 2.1.3 (source, NO_SYS -O2) | ratio (masked, checks) | lwIP (Debian binary) |', '|---|---|---|---|---|---|---|',
  `| instructions per MiB delivered | ${n(W.insnPerMiB)} | ${n(K.insnPerMiB)} | ${n(M.insnPerMiB)} | ${n(L.insnPerMiB)} | ${n(results.ratios.insnPerMiB)} (${n(results.ratios.insnPerMiBMask)}, ${n(results.ratios.insnPerMiBMcu)}) | ${n(D.insnPerMiB)} |`,
  `| instructions per MiB, zero-copy calls (bulk-zc) | ${n(W.insnPerMiBZeroCopy)} | ${n(K.insnPerMiBZeroCopy)} | ${n(M.insnPerMiBZeroCopy)} | | ${n(results.ratios.insnPerMiBZeroCopy)} | |`,
  `| instructions per connect / 1 byte each way / close | ${n(W.insnPerConn)} | ${n(K.insnPerConn)} | ${n(M.insnPerConn)} | ${n(L.insnPerConn)} | ${n(results.ratios.insnPerConn)} | |`,
  `| instructions per request/response round (64 B, TCP_NODELAY) | ${n(W.insnPerRound)} | ${n(K.insnPerRound)} | ${n(M.insnPerRound)} | ${n(L.insnPerRound)} | ${n(results.ratios.insnPerRound)} | |`,
  `| bulk 16 MiB, 1 % loss: virtual time, bytes resent | ${lossCell(W.loss1)} | | | ${lossCell(L.loss1)} | | |`,
  `| bulk 16 MiB, 5 % loss: virtual time, bytes resent | ${lossCell(W.loss5)} | | | ${lossCell(L.loss5)} | | |`,
  `| pair throughput, MiB/s wall (64 MiB) | ${W.mibPerS} | ${K.mibPerS} | ${M.mibPerS} | ${L.mibPerS} | | ${D.mibPerS} |`,
  `| connections per s wall | ${W.connPerS} | ${K.connPerS} | ${M.connPerS} | ${L.connPerS} | | ${D.connPerS} |`,
  `| request/response rounds per s wall, Nagle on / TCP_NODELAY | ${W.rrPerSNagle} / ${W.rrPerSNoDelay} | | | ${L.rrPerSNagle} / ${L.rrPerSNoDelay} | | ${D.rrPerSNagle} / ${D.rrPerSNoDelay} |`,
  `| Node/V8 pair loop (bench/node.ts) | ${node.pair.bulk.mbPerS} MB/s wall, ${node.pair.bulk.mbPerCpuS} MB/CPU s; ${node.pair.conn.perWallSecond} conn/s wall, ${node.pair.conn.perCpuSecond} conn/CPU s | | | | | |`,
  `| TCP PCB / listen PCB bytes | ${fp.pcbBytes} / ${fp.listenPcbBytes} | | | ${n(lwipSizes.tcp_pcb)} / ${n(lwipSizes.tcp_pcb_listen)} (Debian headers) | | |`,
  `| .wasm / static data | ${results.footprint.wasmBytes} / ${fp.staticEnd} bytes | | | | | |`,
  `| Cortex-M3 code | ${results.footprint.cortexM3} | | | ${results.footprint.lwipCortexM3} | | |`,
  '', `load average at the start / end: ${load0} / ${os.loadavg().map((v) => v.toFixed(1)).join(' ')} (wall-clock rows depend on it; instruction counts do not)`,
];
writeFileSync('bench/results/bench.md', md.join('\n') + '\n' + (hot.length ? `\nTop functions (wasm2c build, callgrind self cost, 16 MiB):\n\n${hot.map((h) => `    ${h}`).join('\n')}\n` : ''));
console.log(md.join('\n'));
if (hot.length) console.log(`\nwhere the instructions go (wasm2c build):\n${hot.join('\n')}`);
