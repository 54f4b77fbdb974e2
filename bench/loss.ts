// Loss-recovery figures (issue 23; figures, not tests): bulk transfers of 1 MiB and 16 MiB and
// 1,000 request/response rounds of 1 KiB under seeded loss on a 10 ms-RTT virtual link, this
// stack (bench/wasm2c/build/pair: the wasm2c output of build/stack.server.wasm, 64 KiB windows)
// beside lwIP 2.1.3 built fairly (bench/lwip/build/pair: NO_SYS, -O2, 64 KiB windows), both on
// the shared wire of bench/common/wire.c with the same loss pattern.
//
//   npx tsx bench/loss.ts [SEED]          (npm run bench:loss builds the wasm first)
//
// The wire: infinite bandwidth, a 5 ms one-way delay line (10 ms RTT), frames lost by a pattern:
// seeded random loss of TCP segments (0.5/1/2/5 %, both directions, one xorshift32 stream), the
// burst pattern (per direction TCP frames 500-509 of every 1,000) and an isolated-loss pattern
// (per direction every 100th data frame: one loss per window, a window holding < 100 segments).
// The virtual clock moves 1 ms at a time when neither stack has anything to do, so every delivery
// and every timer deadline falls on its ms. Each run exits 3 when the wire check fails (the frames
// counted on the wire do not carry the bytes delivered, a pattern lost other frames than it names,
// a frame skipped the delay line or a round beat the round trip).
// Columns: completion = virtual ms from the first byte written to the last byte read; goodput =
// delivered bytes / completion; retransmitted = payload bytes sent again A->B (rr: both ways),
// read off the wire; RTO = retransmission timeouts (this stack: tcp_timeouts of both sides; lwIP:
// tcp_slowtmr's RTO commits, counted by a link-time wrapper), TLP = tail-loss probes (lwIP has none).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const OURS = join(ROOT, 'bench', 'wasm2c', 'build', 'pair');
const LWIP = join(ROOT, 'bench', 'lwip', 'build', 'pair');
const SEED = process.argv[2] ?? '7';
const DELAY = 5;                        // one way: 10 ms RTT
const RTT = 2 * DELAY;
const PATTERNS: { name: string; opts: string[]; random?: number }[] = [
  { name: '0.5 %', opts: ['loss=5000'], random: 0.5 },
  { name: '1 %', opts: ['loss=10000'], random: 1 },
  { name: '2 %', opts: ['loss=20000'], random: 2 },
  { name: '5 %', opts: ['loss=50000'], random: 5 },
  { name: 'burst 10/1000', opts: ['burst=10/1000'] },
  { name: 'one per window (every 100th data frame)', opts: ['nth=100'] },
];

type Run = {
  virtual_ms: number; bytes?: number; rounds?: number; size?: number; rto: number; probes: number; fast_retrans: number;
  p50_ms?: number; p99_ms?: number; max_ms?: number;
  wire: { retransmitted: [number, number]; lost: [number, number] };
};

function build(dir: string, target: string): string | null {
  try {
    execFileSync('make', ['-C', join(ROOT, 'bench', dir), '-s', target], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
    return null;
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? e).trim().split('\n').slice(-2).join(' ');
  }
}

function run(bin: string, args: string[]): Run | string {
  try {
    const out = execFileSync(bin, [...args, `delay=${DELAY}`, `seed=${SEED}`], { encoding: 'utf8', timeout: 300_000 });
    return JSON.parse(out.trim().split('\n').at(-1)!) as Run;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return `failed: ${(err.stderr || err.message).trim().split('\n')[0]}`;
  }
}

const whyOurs = build('wasm2c', 'build/pair');
const whyLwip = build('lwip', 'build/pair');
if (whyOurs || !existsSync(OURS)) { console.error(`bench/wasm2c/build/pair could not be built: ${whyOurs}`); process.exit(1); }
const lwipOk = !whyLwip && existsSync(LWIP);
if (!lwipOk) console.log(`lwIP pair not built (${whyLwip}): its columns are empty`);

const cell = (r: Run | string, f: (r: Run) => string) => (typeof r === 'string' ? r : f(r));
const goodput = (r: Run) => ((r.bytes! / 1e6) / (r.virtual_ms / 1000)).toFixed(2);
const lost = (a: Run | string, l: Run | string) =>
  `${cell(a, (r) => String(r.wire.lost[0] + r.wire.lost[1]))} / ${cell(l, (r) => String(r.wire.lost[0] + r.wire.lost[1]))}`;
const misses: string[] = [];
const met: string[] = [];

console.log(`seed ${SEED}, ${RTT} ms RTT (${DELAY} ms each way), infinite bandwidth, 64 KiB windows, MSS 1460, no timestamps\n`);
console.log('| transfer | loss | asnet: completion ms, goodput MB/s | retransmitted B | RTO / TLP | lwIP: completion ms, goodput MB/s | retransmitted B | RTO | frames lost (asnet / lwIP) | goodput ratio |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const mib of [1, 16]) {
  for (const p of PATTERNS) {
    const a = run(OURS, ['bulk', String(mib), ...p.opts]);
    const l = lwipOk ? run(LWIP, ['bulk', String(mib), ...p.opts]) : 'not built';
    let ratio = '';
    if (typeof a !== 'string' && typeof l !== 'string') {
      const x = l.virtual_ms / a.virtual_ms;
      ratio = `${x.toFixed(2)}x`;
      if (p.random && p.random >= 1) {
        (x >= 2 ? met : misses).push(`≥ 2x lwIP's goodput, ${mib} MiB at ${p.name}: ${ratio}`);
      }
    }
    if (typeof a !== 'string' && p.opts[0].startsWith('nth')) {
      (a.rto === 0 ? met : misses).push(`zero RTOs with one loss per window, ${mib} MiB: ${a.rto}`);
    }
    console.log(`| ${mib} MiB | ${p.name} | ${cell(a, (r) => `${r.virtual_ms}, ${goodput(r)}`)} | ${cell(a, (r) => String(r.wire.retransmitted[0]))} | ` +
      `${cell(a, (r) => `${r.rto} / ${r.probes}`)} | ${cell(l, (r) => `${r.virtual_ms}, ${goodput(r)}`)} | ${cell(l, (r) => String(r.wire.retransmitted[0]))} | ` +
      `${cell(l, (r) => String(r.rto))} | ${lost(a, l)} | ${ratio} |`);
  }
}

console.log('\n| 1,000 rounds of 1 KiB | loss | asnet: p50 / p99 / max ms | RTO / TLP | total ms | lwIP: p50 / p99 / max ms | RTO | total ms | frames lost (asnet / lwIP) |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const p of PATTERNS) {
  const a = run(OURS, ['rr-loss', '1000', '1024', ...p.opts]);
  const l = lwipOk ? run(LWIP, ['rr-loss', '1000', '1024', ...p.opts]) : 'not built';
  const lat = (r: Run) => `${r.p50_ms} / ${r.p99_ms} / ${r.max_ms}`;
  if (typeof a !== 'string' && p.random === 1) {
    (a.p99_ms! <= 3 * RTT ? met : misses).push(`p99 request/response ≤ 3 RTT (${3 * RTT} ms) at 1 %: ${a.p99_ms} ms`);
  }
  if (typeof a !== 'string' && p.opts[0].startsWith('nth')) {
    (a.rto === 0 ? met : misses).push(`zero RTOs with one loss per window, request/response: ${a.rto}`);
  }
  console.log(`| rr | ${p.name} | ${cell(a, lat)} | ${cell(a, (r) => `${r.rto} / ${r.probes}`)} | ${cell(a, (r) => String(r.virtual_ms))} | ` +
    `${cell(l, lat)} | ${cell(l, (r) => String(r.rto))} | ${cell(l, (r) => String(r.virtual_ms))} | ${lost(a, l)} |`);
}

console.log('');
for (const m of met) console.log(`target met: ${m}`);
for (const m of misses) console.log(`target NOT met: ${m}`);
