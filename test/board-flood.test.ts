// Issue 26 "Must deliver": a SYN flood against the posix board over a real TAP while 200
// legitimate HTTP requests run; all 200 must succeed. Inside network namespaces this test creates
// and removes (asnet-flood-<pid> with the TAP, asnet-flood-<pid>-wan behind its router):
//
//   test/tools/synflood (built here) --AF_PACKET--> tap0 (kernel, 192.0.2.1) --TAP--> board 192.0.2.2
//   board --SYN-ACK--> gateway 192.0.2.1 --forwarded--> veth0 --> the wan namespace (198.51.100.0/24)
//
// - off-link: spoofed sources in 198.51.100.0/24 behind the gateway (the frames carry the
//   gateway's MAC), so the board's SYN-ACKs really leave through the router (veth0 counts them);
// - on-link: spoofed sources in 192.0.2.0/24, a random source MAC per frame;
// - both at once (one generator alternating the two kinds: two generators on this 2-core machine
//   starve the board of CPU, which measures the machine rather than the stack).
// The generator offers frames as fast as its socket takes them (the highest rate this harness can
// offer); the kernel's TAP queue (tx_queue_len 1000) overflows when the board cannot keep up, and
// those drops are counted (`ip -s link`: tap0 TX dropped) next to what the board processed (its
// SIGUSR1 counters). The legitimate client (test/tools/http-load.mjs, the kernel's TCP) shares
// that queue, so its latency is reported with the overflow figures.
//
// ASNET_FLOOD_BOARD_ARGS adds board options, e.g. '--sysctl tcp_syncookies=0' (then the SYN queue
// fills with spoofed entries and the legitimate requests fail: the check of this check).
// ASNET_FLOOD_SECONDS bounds each flood (default 600 s; it is stopped when the client is done);
// ASNET_FLOOD_REQUESTS the legitimate requests per phase (default 200, the issue's figure; more
// make a longer soak, where the board's ARP entry for the client goes stale and is re-resolved);
// ASNET_FLOOD_REQUEST_MS each request (default 130 s, a little more than the kernel's own connect
// timeout of 127 s: with most of its frames lost in the overflowing TAP queue the kernel's TCP
// backs off for tens of seconds, and a request counts as failed only when that TCP would have
// given up too; the client gives up after 5 failures in a row).
// A failed request is printed on a line of its own with its phase, when it started, how long it
// waited, whether it connected, the bytes it got and the kernel's `ss -tino` view of its socket
// (retransmissions, unacknowledged bytes, last send/receive), and the board's SIGUSR1 netstat line
// and ARP/SYN-queue counters are in the report.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const BOARD = join(ROOT, 'boards', 'posix');
const BIN = join(BOARD, 'build', 'asnet-posix');
const TOOLS = join(ROOT, 'test', 'tools');
const NS = `asnet-flood-${process.pid}`;
const WAN = `${NS}-wan`;
const BOARD_MAC = '02:00:00:00:00:02';
const EXTRA = (process.env.ASNET_FLOOD_BOARD_ARGS ?? '').split(/\s+/).filter(Boolean);
const FLOOD_SECONDS = Number(process.env.ASNET_FLOOD_SECONDS ?? 600);
const REQUEST_MS = Number(process.env.ASNET_FLOOD_REQUEST_MS ?? 130_000);
const REQUESTS = Number(process.env.ASNET_FLOOD_REQUESTS ?? 200);   // the issue's 200; more for a longer soak
let tmp = '';
let flood = '';
let gwMac = '';
let board: ChildProcess | null = null;
let log = '';

function sh(cmd: string, args: string[], timeout = 20_000): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
}
const inNs = (cmd: string[], timeout?: number) => sh('ip', ['netns', 'exec', NS, ...cmd], timeout);

async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}; board log tail:\n${log.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs a command in the namespace without blocking the event loop; resolves with its stdout. */
function runInNs(cmd: string[], limitMs: number): { child: ChildProcess; done: Promise<string> } {
  const child = spawn('ip', ['netns', 'exec', NS, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const done = new Promise<string>((resolve) => child.on('exit', () => { clearTimeout(timer); resolve(out); }));
  return { child, done };
}
const lastJson = (out: string, what: string) => {
  try { return JSON.parse(out.trim().split('\n').at(-1)!); } catch { assert.fail(`${what} printed no result: ${out}`); }
};

type Link = { rxPackets: number; txPackets: number; txDropped: number };
function link(ns: string, dev: string): Link {
  const j = JSON.parse(sh('ip', ['netns', 'exec', ns, 'ip', '-j', '-s', 'link', 'show', dev]))[0].stats64;
  return { rxPackets: j.rx.packets, txPackets: j.tx.packets, txDropped: j.tx.dropped };
}
/** Frames the kernel dropped from its per-CPU input backlog (netdev_max_backlog), all namespaces. */
function backlogDrops(): number {
  return readFileSync('/proc/net/softnet_stat', 'utf8').trim().split('\n').reduce((n, l) => n + parseInt(l.split(' ')[1], 16), 0);
}
function qdiscDrops(): number {
  return JSON.parse(inNs(['tc', '-s', '-j', 'qdisc', 'show', 'dev', 'tap0'])).reduce((n: number, q: { drops?: number }) => n + (q.drops ?? 0), 0);
}

async function startBoard(): Promise<void> {
  log = '';
  board = spawn('ip', ['netns', 'exec', NS, BIN, '--tap', 'tap0', '--static', '--ip', '192.0.2.2', '--mask', '255.255.255.0',
    '--gw', '192.0.2.1', '--mac', BOARD_MAC, '--service', 'http', ...EXTRA], { stdio: ['ignore', 'pipe', 'pipe'] });
  board.stdout!.on('data', (d) => { log += d; });
  board.stderr!.on('data', (d) => { log += d; });
  await waitFor(() => log.includes('posix: up') || board!.exitCode !== null, 10_000, 'the board to start');
  assert.ok(log.includes('posix: up'), `the board did not start:\n${log}`);
  inNs(['ping', '-c', '1', '-W', '2', '192.0.2.2']);     // both sides know each other's MAC
}

async function stopBoard(): Promise<void> {
  if (!board || board.exitCode !== null) return;
  board.kill('SIGTERM');
  await waitFor(() => board!.exitCode !== null, 5_000, 'the board to stop').catch(() => board!.kill('SIGKILL'));
}

/** SIGUSR1: the netstat line and the netstat -s style counters, as { name: value }. */
async function boardCounters(): Promise<{ stats: Record<string, number>; rx: number; traps: number; line: string }> {
  const mark = log.length;
  board!.kill('SIGUSR1');
  await waitFor(() => /netstat:[^\n]*\n/.test(log.slice(mark)), 3_000, 'the netstat line');
  await new Promise((r) => setTimeout(r, 300));         // the stats lines follow it at once
  const text = log.slice(mark);
  const line = /netstat:([^\n]*)\n/.exec(text)![1];
  const stats: Record<string, number> = {};
  for (const m of text.matchAll(/^stats (\w+):([^\n]*)$/gm)) {
    for (const kv of m[2].matchAll(/(\w+) (\d+)/g)) stats[`${m[1]}_${kv[1]}`] = Number(kv[2]);
  }
  return { stats, rx: Number(/frames rx (\d+)/.exec(line)![1]), traps: Number(/traps (\d+)/.exec(line)![1]), line };
}

before(() => {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    assert.fail('board-flood: must run as root (network namespaces, a TAP, AF_PACKET). Fix: sudo node --import tsx --test test/board-flood.test.ts');
  }
  for (const [tool, pkg] of [['ip', 'iproute2'], ['tc', 'iproute2'], ['ping', 'iputils-ping'], ['gcc', 'gcc'], ['make', 'make'], ['wasm2c', 'wabt']]) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) assert.fail(`board-flood: '${tool}' is missing. Fix: apt-get install -y ${pkg}`);
  }
  sh('make', ['-C', BOARD, '-s'], 180_000);
  tmp = mkdtempSync(join(tmpdir(), 'asnet-flood-'));
  flood = join(tmp, 'synflood');
  sh('gcc', ['-O2', '-std=c11', '-D_GNU_SOURCE', '-Wall', '-Wextra', '-Werror', join(TOOLS, 'synflood.c'), '-o', flood], 60_000);
  sh('ip', ['netns', 'add', NS]);
  sh('ip', ['netns', 'add', WAN]);
  inNs(['ip', 'link', 'set', 'lo', 'up']);
  inNs(['ip', 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap']);
  inNs(['ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'tap0']);
  inNs(['ip', 'link', 'set', 'tap0', 'up']);
  // The router side: 198.51.100.0/24 lies behind veth0, whose peer sits in the wan namespace.
  inNs(['ip', 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1', 'netns', WAN]);
  inNs(['ip', 'link', 'set', 'veth0', 'up']);
  sh('ip', ['netns', 'exec', WAN, 'ip', 'link', 'set', 'veth1', 'up']);
  inNs(['ip', 'neigh', 'add', '198.51.100.1', 'lladdr', '02:00:00:00:00:fe', 'dev', 'veth0', 'nud', 'permanent']);
  inNs(['ip', 'route', 'add', '198.51.100.0/24', 'via', '198.51.100.1', 'dev', 'veth0', 'onlink']);
  inNs(['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  gwMac = inNs(['cat', '/sys/class/net/tap0/address']).trim();
});

after(async () => {
  await stopBoard();
  spawnSync('ip', ['netns', 'del', NS]);
  spawnSync('ip', ['netns', 'del', WAN]);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

type Source = 'off-link' | 'on-link';
/** One failed request as test/tools/http-load.mjs lists it. */
type Failure = { index: number; startedMs: number; waitedMs: number; error: string; connectedAfterMs: number | null; bytes: number; got: string; kernel: string | null };
const floodArgs = (sources: Source[]) => [flood, '--if', 'tap0', '--dst-ip', '192.0.2.2', '--dst-mac', BOARD_MAC,
  '--port', '80', '--seconds', String(FLOOD_SECONDS), '--count', '50000000', '--seed', String(1000 + sources.length),
  ...(sources.includes('off-link') ? ['--src-net', '198.51.100.0', '--src-mac', gwMac] : ['--src-net', '192.0.2.0', '--random-mac']),
  ...(sources.length === 2 ? ['--also-onlink', '192.0.2.0'] : [])];

for (const sources of [['off-link'], ['on-link'], ['off-link', 'on-link']] as Source[][]) {
  const name = sources.join(' + ');
  test(`SYN flood from ${name} spoofed sources at the harness's highest rate: all ${REQUESTS} HTTP requests succeed`, { timeout: 900_000 }, async () => {
    await startBoard();
    const tap0 = link(NS, 'tap0'), veth0 = link(NS, 'veth0'), qd0 = qdiscDrops(), bl0 = backlogDrops();
    const before = await boardCounters();
    const gens = [runInNs(floodArgs(sources), (FLOOD_SECONDS + 30) * 1000)];
    await new Promise((r) => setTimeout(r, 500));        // the flood is running before the first request
    const client = runInNs([process.execPath, join(TOOLS, 'http-load.mjs'), '192.0.2.2', String(REQUESTS), '1', String(REQUEST_MS), '5'], 620_000);
    const r = lastJson(await client.done, 'http-load');
    for (const g of gens) g.child.kill('SIGINT');
    const sent = (await Promise.all(gens.map((g) => g.done))).map((o) => lastJson(o, 'synflood'));
    const c = await boardCounters();
    const tap = link(NS, 'tap0'), veth = link(NS, 'veth0');
    await stopBoard();
    const d = (k: string) => (c.stats[k] ?? 0) - (before.stats[k] ?? 0);
    const offered = sent.reduce((n, s) => n + s.sent, 0);
    const secs = Math.max(...sent.map((s) => s.seconds));
    const tapDropped = tap.txDropped - tap0.txDropped;
    const processed = c.rx - before.rx;
    const report = {
      sources: name, ok: r.ok, failed: r.failed, errors: r.errors, p50_ms: Math.round(r.p50), p99_ms: Math.round(r.p99), max_ms: Math.round(r.max),
      offered, offered_pps: Math.round(offered / secs), seconds: secs, enobufs: sent.reduce((n, s) => n + s.enobufs, 0),
      board_rx_frames: processed, board_rx_pps: Math.round(processed / secs), tap_tx_dropped: tapDropped,
      tap_overflowed: tapDropped > 0, qdisc_drops: qdiscDrops() - qd0, kernel_backlog_drops: backlogDrops() - bl0, board_tx_frames_seen_by_kernel: tap.rxPackets - tap0.rxPackets,
      forwarded_to_wan: veth.txPackets - veth0.txPackets,
      syncookies_sent: d('syncookies_sent'), syncookies_recv: d('syncookies_recv'), passive_opens: d('tcp_passive_opens'),
      syn_queue_full: d('syn_queue_full'), listen_drops: d('listen_drops'), arp_out: d('arp_out'), arp_rate_limited: d('arp_rate_limited'),
      arp_queue_drop: d('arp_queue_drop'), synack_retrans: d('synack_retrans'), tx_drops_glue: Number(/dropped (\d+)/.exec(c.line)![1]), traps: c.traps,
      board_netstat: c.line.trim(),
    };
    console.log(`board-flood: ${JSON.stringify(report)}`);
    // Each failed request on a line of its own: the phase, when it started and how long it waited,
    // how far it got (connected or not, bytes received) and the kernel's view of its socket.
    const lost = (r.failures as Failure[]).map((f) => `  ${name}: request ${f.index} at ${(f.startedMs / 1000).toFixed(1)} s: ${f.error} after ` +
      `${f.waitedMs} ms, ${f.connectedAfterMs === null ? 'never connected' : `connected after ${f.connectedAfterMs} ms`}, ${f.bytes} bytes` +
      `${f.bytes ? ` (${JSON.stringify(f.got)})` : ''}; kernel socket: ${f.kernel ?? '-'}`);
    if (lost.length) console.log(`board-flood: ${lost.length} failed requests:\n${lost.join('\n')}`);
    assert.equal(r.ok, REQUESTS, `${REQUESTS - r.ok} legitimate requests failed in the ${name} phase:\n${lost.join('\n')}\n` +
      `${JSON.stringify(report)}\nboard log tail:\n${log.slice(-1500)}`);
    assert.equal(c.traps, 0, 'the stack trapped under the flood');
    // It was a flood, and the board did the work: every processed spoofed SYN got a cookie.
    assert.ok(offered >= 100_000, `the generator offered only ${offered} frames`);
    assert.ok(d('syncookies_sent') >= processed * 0.9 - REQUESTS * 6, `cookies ${d('syncookies_sent')} for ${processed} frames processed`);
    // Every frame offered was either processed by the board or dropped by the TAP queue, counted.
    assert.ok(processed + tapDropped >= offered, `${offered} offered, ${processed} processed + ${tapDropped} dropped in the TAP queue`);
    if (sources.includes('off-link')) {
      // The SYN-ACKs to off-link sources really went out through the router.
      assert.ok(report.forwarded_to_wan >= d('syncookies_sent') * 0.5 / sources.length, `only ${report.forwarded_to_wan} SYN-ACKs forwarded`);
    }
    if (sources.includes('on-link')) {
      // RFC 1122 §2.3.2.1: ARP requests stay within arp_requests_per_sec (50) whatever the flood.
      assert.ok(d('arp_out') <= 50 * (secs + 2) + 20, `${d('arp_out')} ARP requests in ${secs} s`);
    }
  });
}
