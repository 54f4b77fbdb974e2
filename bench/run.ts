// `npm run bench`: this stack beside lwIP 2.1.3 in one run, printed as ratios and written to
// bench/results/bench.json and bench/results/bench.md (bench/README.md explains every figure).
//   - pair workload, the same C harness shape for both: bench/wasm2c/pair.c (two wasm2c instances of
//     build/stack.wasm) and bench/lwip/pair.c (one lwIP with two netifs); instructions per MiB
//     delivered from valgrind callgrind ((Ir of 17 MiB - Ir of 1 MiB) / 16, so set-up cancels out),
//     wall-clock MiB/s natively; and the Node/V8 build (bench/node.ts)
//   - connection rate and request/response rounds (Nagle on and off), same harnesses
//   - footprint: .wasm, static data, control blocks beside lwIP's sizeof, Cortex-M3 code size
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from '../host/stack.ts';
import { nodeFigures } from './node.ts';

type Json = Record<string, number | string>;
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const lwipThere = existsSync('/usr/include/lwip/lwip/tcp.h');

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
  spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, bin, ...args], { stdio: 'ignore', timeout: 600_000 });
  const text = readFileSync(out, 'utf8');
  const m = /^(?:summary|totals): (\d+)/m.exec(text);
  if (process.env.BENCH_KEEP_CALLGRIND) console.log(`callgrind file: ${out}`); else rmSync(out, { force: true });
  return m ? Number(m[1]) : null;
}

function perMiB(bin: string): number | null {
  const small = instructions(bin, ['bulk', '1']), big = instructions(bin, ['bulk', '17']);
  return small === null || big === null ? null : Math.round((big - small) / 16);
}

/** Where the instructions go in the wasm2c build: the top functions by self cost. */
function hotSpots(bin: string): string[] {
  if (!has('valgrind') || !has('callgrind_annotate')) return [];
  const out = join(tmpdir(), `cg-hot-${process.pid}`);
  spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, bin, 'bulk', '16'], { stdio: 'ignore' });
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

make('bench/wasm2c');
if (lwipThere) make('bench/lwip');
else console.log('lwIP: /usr/include/lwip missing. Install it: apt-get install -y liblwip-dev');
const W = 'bench/wasm2c/build/pair', L = 'bench/lwip/build/pair';
const stacks = { wasm2c: W, ...(lwipThere ? { lwip: L } : {}) } as Record<string, string>;

type Side = { mibPerS: number; connPerS: number; rrPerSNagle: number; rrPerSNoDelay: number; insnPerMiB: number | null };
const side: Record<string, Side> = {};
for (const [name, bin] of Object.entries(stacks)) {
  const bulk = run(bin, ['bulk', '64']);
  const conn = run(bin, ['conn', '2000']);
  const rrOn = run(bin, ['rr', '2000', '0']);
  const rrOff = run(bin, ['rr', '2000', '1']);
  side[name] = {
    mibPerS: +(64 / Number(bulk.seconds)).toFixed(1),
    connPerS: Math.round(2000 / Number(conn.seconds)),
    rrPerSNagle: Math.round(2000 / Number(rrOn.seconds)),
    rrPerSNoDelay: Math.round(2000 / Number(rrOff.seconds)),
    insnPerMiB: perMiB(bin),
  };
}
const lwipSizes = lwipThere ? run('bench/lwip/build/sizes', []) : {};
const fp = new Stack({ mac: '02:00:00:00:00:01', ip: '192.0.2.1' }).footprint();
const node = nodeFigures();
execFileSync('make', ['-s', '-C', 'bench/wasm2c', 'names'], { stdio: ['ignore', 'ignore', 'inherit'] });
const hot = hotSpots('bench/wasm2c/build/pair-names');          // same code, names kept
const results = {
  date: new Date().toISOString(),
  method: 'same pair harness shape, in-memory wire, MTU 1500, no loss; instructions = callgrind (17 MiB - 1 MiB) / 16',
  wasm2c: side.wasm2c, lwip: side.lwip ?? null, node: { mibPerS: node.throughput[1].mibPerS, connPerS: node.connectionRate.perWallSecond },
  ratios: {
    insnPerMiB: ratio(side.wasm2c.insnPerMiB, side.lwip?.insnPerMiB ?? null),
    mibPerS: ratio(Number(side.wasm2c.mibPerS), Number(side.lwip?.mibPerS ?? 0) || null),
    connPerS: ratio(Number(side.wasm2c.connPerS), Number(side.lwip?.connPerS ?? 0) || null),
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
const md = [
  '| figure | this stack (wasm2c, gcc -O2) | lwIP 2.1.3 | ratio | this stack (Node/V8) |', '|---|---|---|---|---|',
  `| instructions per MiB delivered | ${n(side.wasm2c.insnPerMiB)} | ${n(side.lwip?.insnPerMiB)} | ${n(results.ratios.insnPerMiB)} | |`,
  `| pair throughput, MiB/s (64 MiB) | ${side.wasm2c.mibPerS} | ${n(side.lwip?.mibPerS)} | ${n(results.ratios.mibPerS)} | ${node.throughput[1].mibPerS} |`,
  `| connect / 1 byte each way / close, per s | ${side.wasm2c.connPerS} | ${n(side.lwip?.connPerS)} | ${n(results.ratios.connPerS)} | ${node.connectionRate.perWallSecond} |`,
  `| request/response rounds per s, Nagle on | ${side.wasm2c.rrPerSNagle} | ${n(side.lwip?.rrPerSNagle)} | | |`,
  `| request/response rounds per s, TCP_NODELAY | ${side.wasm2c.rrPerSNoDelay} | ${n(side.lwip?.rrPerSNoDelay)} | | |`,
  `| TCP PCB / listen PCB bytes | ${fp.pcbBytes} / ${fp.listenPcbBytes} | ${n(lwipSizes.tcp_pcb)} / ${n(lwipSizes.tcp_pcb_listen)} | | |`,
  `| per-segment bookkeeping | none (1 KiB stream blocks) | tcp_seg ${n(lwipSizes.tcp_seg)} + pbuf ${n(lwipSizes.pbuf)} | | |`,
  `| .wasm / static data | ${results.footprint.wasmBytes} / ${fp.staticEnd} bytes | | | |`,
  `| Cortex-M3 code | ${results.footprint.cortexM3} | ${results.footprint.lwipCortexM3} | | |`,
];
writeFileSync('bench/results/bench.md', md.join('\n') + '\n' + (hot.length ? `\nTop functions (wasm2c build, callgrind self cost, 16 MiB):\n\n${hot.map((h) => `    ${h}`).join('\n')}\n` : ''));
console.log(md.join('\n'));
if (hot.length) console.log(`\nwhere the instructions go (wasm2c build):\n${hot.join('\n')}`);
