// Issue 23: the posix board (wasm2c-compiled build/stack.wasm on a TAP) against the Linux kernel's
// TCP through the board's seeded impairment (--impair; this kernel has no sch_netem), 16 MiB echoed
// byte-exact (16 MiB each way at once), beside two Linux kernels talking through the same impairment
// model and seed (boards/posix/impair-relay between two namespaces). Goal (issue 23): the board no
// slower than 3x Linux-to-Linux (asserted with ASNET_IMPAIR_GOAL=1: met in 14 of 16 runs with
// 96 KiB buffers in the 254 KiB host pool (r10, 2026-12-08, 0.70-4.98x, load 0.8-2.2; main
// efd1f0b with 64 KiB in 192 KiB 4 of 8 alternating with the first 8, 1.63-7.48x), 13 of 16 with the
// probe re-armed after the reordering timer and each resend (r9, 0.86-6.41x; main 2c6e102 5 of 8
// alternating, 1.33-5.04x), 27 of 32 with the probe in recovery (r8, 2026-12-07, 0.8-7.7x, load 0.5-2), 3 of 10 before it (1.3-9.2x, load 1-2), 4 of 10 after the right-edge ACK fix (0.5-4.4x, load 6-10),
// 8 of 13 before (1.2-9.7x);
// 2.7-7.0x with the server build's 32 KiB buffers, 4.1-12x with last round's 16 KiB receive buffer;
// larger windows, a lower tcp_rto_min_ms and a PTO in recovery did not make it reliable either;
// wall clock on a shared machine, bench/README.md "Board↔Linux through the impairment").
// Every namespace, board and relay is removed; every wait is bounded.
//
// The board is what a user of a host board would run: the host build (`make HOST=1`:
// stack.host.wasm, 254 KiB socket-buffer pool) with SO_RCVBUF and SO_SNDBUF 96 KiB and Linux's
// 200 ms minimum RTO (the 300 ms default sits above this stack's own 250 ms delayed-ACK tick; the
// peer here is Linux) by --sysctl (ASNET_IMPAIR_SYSCTL=k=v,k=v replaces them). What is left of
// the gap is ~200 ms stalls on Linux's side (pcap plus a print of the frames the impairment
// dropped): Linux's retransmission is lost while the board's receive window is full of
// out-of-order data, so Linux can send nothing new that would reveal the loss and waits for its
// RTO, or its last segment is lost and its probe waits ~200 ms. The board's own stalls of that
// kind (its lost resend with the send buffer all in flight) now end with a probe, not its RTO
// (the board's RTOs, printed: 3 in 16 r10 runs, 2 in 8 on efd1f0b, 6 in 8 on 2c6e102;
// bench/README.md).
// ASNET_IMPAIR_BOARD=onepage runs the default one-page build with its 8 KiB buffers instead (it
// completes, far slower: the figure is printed).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const BOARD = join(ROOT, 'boards', 'posix');
const ONE_PAGE = process.env.ASNET_IMPAIR_BOARD === 'onepage';
const BIN = join(BOARD, ONE_PAGE ? 'build' : 'build-host', 'asnet-posix');
const SYSCTLS = process.env.ASNET_IMPAIR_SYSCTL ?? (ONE_PAGE ? '' : 'tcp_rmem_default=98304,tcp_wmem_default=98304,tcp_rto_min_ms=200');
const TUNING = SYSCTLS.split(',').filter(Boolean).flatMap((kv) => ['--sysctl', kv]);
const RELAY = join(BOARD, 'build', 'impair-relay');
const PEER = join(ROOT, 'test', 'helpers', 'impair-peer.mjs');
const BYTES = 16 * 1024 * 1024;
const SPEC = process.env.ASNET_IMPAIR ?? 'loss=5,seed=23';
const LIMIT_MS = 240_000;
const NS_BOARD = `asnet-imp-${process.pid}`, NS_A = `asnet-impa-${process.pid}`, NS_B = `asnet-impb-${process.pid}`;
const procs: ChildProcess[] = [];
const namespaces: string[] = [];

const sh = (cmd: string, args: string[], timeout = 20_000) =>
  execFileSync(cmd, args, { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (ns: string, cmd: string[], timeout?: number) => sh('ip', ['netns', 'exec', ns, ...cmd], timeout);

function namespaceWithTap(ns: string, ip: string): void {
  sh('ip', ['netns', 'add', ns]);
  namespaces.push(ns);
  inNs(ns, ['ip', 'link', 'set', 'lo', 'up']);
  inNs(ns, ['ip', 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap']);
  inNs(ns, ['ip', 'addr', 'add', `${ip}/24`, 'dev', 'tap0']);
  inNs(ns, ['ip', 'link', 'set', 'tap0', 'up']);
}

function start(ns: string, argv: string[], ready: string): Promise<{ p: ChildProcess; log: () => string }> {
  let out = '';
  const p = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(p);
  p.stdout!.on('data', (d) => { out += d; });
  p.stderr!.on('data', (d) => { out += d; });
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const poll = setInterval(() => {
      if (out.includes(ready)) { clearInterval(poll); resolve({ p, log: () => out }); }
      else if (p.exitCode !== null || Date.now() - t0 > 10_000) { clearInterval(poll); reject(new Error(`${argv[0]} did not start:\n${out}`)); }
    }, 20);
  });
}

/** The board's RTOs, probes and recoveries from the `stats tcp:` lines it logs when it stops
 *  (boards/common/asnet.c asnet_log_stats: a counter at 0 is left out, so absent means 0). */
function boardTcpStats(log: string): string {
  const lines = log.split('\n').filter((l) => l.includes('stats tcp:')).join(' ');
  assert.ok(lines, `the board logged no "stats tcp:" line when it stopped:\n${log.slice(-2000)}`);
  const get = (name: string) => Number(new RegExp(`(?:^|\\s)${name} (\\d+)`).exec(lines)?.[1] ?? 0);
  return ['timeouts', 'loss_probes', 'sack_recoveries', 'rack_reo_timeouts'].map((n) => `${n} ${get(n)}`).join(', ');
}

/** Runs the echo client in ns against host (async, so the board's output keeps flowing). */
function echo(ns: string, host: string): Promise<{ ok: boolean; ms: number; received: number; error?: string }> {
  return new Promise((resolve) => {
    let out = '';
    const c = spawn('ip', ['netns', 'exec', ns, process.execPath, PEER, 'echo-client', host, String(BYTES), String(LIMIT_MS)],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(c);
    c.stdout!.on('data', (d) => { out += d; });
    c.on('close', () => resolve(JSON.parse(out.trim().split('\n').at(-1) || '{"ok":false,"ms":0,"received":0}')));
  });
}

async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('close', r));
  p.kill('SIGTERM');
  await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
  if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}

after(async () => {
  for (const p of procs) await stop(p);
  for (const ns of namespaces) spawnSync('ip', ['netns', 'del', ns]);
});

test(`impairment ${SPEC}: 16 MiB echoed byte-exact board<->Linux and Linux<->Linux, times side by side`, { timeout: 2 * LIMIT_MS + 60_000 }, async () => {
  assert.ok(typeof process.getuid === 'function' && process.getuid() === 0,
    'impair: must run as root (network namespaces, TAP devices). Fix: sudo node --import tsx --test test/impair.test.ts');
  sh('make', ['-C', BOARD, '-s'], 180_000);
  if (!ONE_PAGE) sh('make', ['-C', BOARD, '-s', 'HOST=1'], 180_000);

  namespaceWithTap(NS_BOARD, '192.0.2.1');
  const board = await start(NS_BOARD, [BIN, '--tap', 'tap0', '--static', '--ip', '192.0.2.2', '--mask', '255.255.255.0',
    '--mac', '02:00:00:00:00:02', '--service', 'echo', '--impair', SPEC, ...TUNING], 'posix: up');
  const b = await echo(NS_BOARD, '192.0.2.2');
  await stop(board.p);
  const boardLog = board.log();

  namespaceWithTap(NS_A, '192.0.2.1');
  namespaceWithTap(NS_B, '192.0.2.2');
  const relay = await start(NS_A, [RELAY, NS_A, 'tap0', NS_B, 'tap0', SPEC], 'relay: up');
  await start(NS_B, [process.execPath, PEER, 'echo-server'], 'listening');
  const l = await echo(NS_A, '192.0.2.2');
  await stop(relay.p);

  const ratio = b.ms / Math.max(l.ms, 1);
  const counters = /impair: [^\n]*/.exec(boardLog)?.[0] ?? '';
  const tcp = boardTcpStats(boardLog);
  console.log(`# impair ${SPEC} (${ONE_PAGE ? 'one-page build' : 'host build, ' + TUNING.filter((_, i) => i % 2).join(' ')}): board<->Linux ${b.ms} ms (${JSON.stringify(b)}; ${counters}; board tcp: ${tcp}), Linux<->Linux ${l.ms} ms ` +
    `(${/impair: [^\n]*/.exec(relay.log())?.[0] ?? ''}), ratio ${ratio.toFixed(2)}x`);
  assert.ok(b.ok, `board transfer failed: ${JSON.stringify(b)}\n${boardLog.slice(-2000)}`);
  assert.ok(l.ok, `Linux<->Linux transfer failed: ${JSON.stringify(l)}`);
  assert.ok(/impair: lost [1-9]/.test(boardLog), `the impairment dropped nothing: ${counters}`);
  // The goal (<= 3x) is met on some runs only (0.5-4.4x, bench/README.md "Board↔Linux through the impairment"): asserted with
  // ASNET_IMPAIR_GOAL=1, reported as a figure otherwise, so that the correctness checks stay in the suite.
  if (process.env.ASNET_IMPAIR_GOAL === '1') assert.ok(ratio <= 3, `board ${b.ms} ms vs Linux<->Linux ${l.ms} ms: ${ratio.toFixed(2)}x (goal <= 3x)`);
});
