// Issue 25, SNTP: the C client of boards/common/apps/sntp on the posix board, in a network
// namespace this test creates (named with the pid), against Debian's chrony serving time there
// (`local stratum 8`, -x: it never touches the host clock), against a scripted server that forges
// replies (test/tools/sntp-peer.py), and with the server learned from DHCP option 42 (dnsmasq).
// chrony serves the host's clock, so the board's UTC is compared with Date.now().
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const BOARD = join(ROOT, 'boards', 'posix');
const BIN = join(BOARD, 'build', 'asnet-posix');
const PEER = join(ROOT, 'test', 'tools', 'sntp-peer.py');
const NS = `asnet-sntp-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'asnet-sntp-'));
const procs: ChildProcess[] = [];
const T = { timeout: 90_000 };

function sh(cmd: string, args: string[], timeout = 20_000): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
}
const inNs = (cmd: string[], timeout?: number) => sh('ip', ['netns', 'exec', NS, ...cmd], timeout);

type Proc = { p: ChildProcess; out: () => string };
function start(cmd: string[]): Proc {
  let out = '';
  const p = spawn('ip', ['netns', 'exec', NS, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(p);
  p.stdout!.on('data', (d) => { out += d; });
  p.stderr!.on('data', (d) => { out += d; });
  return { p, out: () => out };
}

async function waitFor(pred: () => boolean, ms: number, what: string, ...logs: Proc[]): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}\n${logs.map((l) => l.out()).join('\n----\n')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Every process this file started that still runs (a failed test leaves its board and server). */
async function stopAll(): Promise<void> {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  const end = Date.now() + 5_000;
  while (procs.some((p) => p.exitCode === null) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

async function stop(x: Proc): Promise<void> {
  if (x.p.exitCode !== null) return;
  x.p.kill('SIGTERM');
  const end = Date.now() + 5_000;
  while (x.p.exitCode === null && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  if (x.p.exitCode === null) x.p.kill('SIGKILL');
}

function board(args: string[]): Proc {
  return start([BIN, '--tap', 'tap0', '--mac', '02:00:00:00:00:25', ...args]);
}

function chrony(): Proc {
  const conf = join(dir, 'chrony.conf');
  writeFileSync(conf, ['local stratum 8', 'allow 192.0.2.0/24', 'bindaddress 192.0.2.1', 'cmdport 0',
    `pidfile ${join(dir, 'chronyd.pid')}`, `driftfile ${join(dir, 'drift')}`, ''].join('\n'));
  return start(['chronyd', '-x', '-d', '-u', 'root', '-f', conf]);
}

/** True once the board logged a sync whose round trip was under 100 ms (a slower one, e.g. behind an ARP
 * resolution, makes the client re-poll after 1 s, sntp.h). */
const goodSync = (b: Proc) => [...b.out().matchAll(/sntp: synced, step -?\d+ ms, delay (-?\d+) us/g)].some((m) => Number(m[1]) < 100_000);

/** Reads "sntp: utc MS" lines as they arrive and compares each with the host clock at arrival. */
function clockErrors(b: Proc, n: number, ms: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const errs: number[] = [];
    const onData = (d: Buffer) => {
      for (const m of d.toString().matchAll(/sntp: utc (\d+)/g)) errs.push(Date.now() - Number(m[1]));
      if (errs.length >= n) { b.p.stdout!.off('data', onData); clearTimeout(t); resolve(errs.slice(0, n)); }
    };
    const t = setTimeout(() => { b.p.stdout!.off('data', onData); reject(new Error(`only ${errs.length} clock lines\n${b.out()}`)); }, ms);
    b.p.stdout!.on('data', onData);
  });
}

before(() => {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0 || spawnSync('chronyd', ['--version']).status !== 0 ||
      spawnSync('dnsmasq', ['--version']).status !== 0) {
    assert.fail("sntp-board: needs root, chrony and dnsmasq. Fix: run as root (apt-get install -y chrony dnsmasq-base iproute2)");
  }
  sh('make', ['-C', BOARD, '-s'], 180_000);
  sh('ip', ['netns', 'add', NS]);
  inNs(['ip', 'link', 'set', 'lo', 'up']);
  inNs(['ip', 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap']);
  inNs(['ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'tap0']);
  inNs(['ip', 'link', 'set', 'tap0', 'up']);
});

after(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  spawnSync('ip', ['netns', 'del', NS]);
  rmSync(dir, { recursive: true, force: true });
});

test('against chrony: after sync the board\'s UTC is within 50 ms of the server\'s clock', T, async () => {
  const c = chrony();
  await waitFor(() => /Disabled control of system clock/.test(c.out()), 10_000, 'chronyd', c);
  const b = board(['--static', '--ip', '192.0.2.2', '--sntp', '192.0.2.1', '--sntp-poll', '2', '--sntp-clock']);
  await waitFor(() => goodSync(b), 15_000, 'a sync', b, c);
  assert.doesNotMatch(b.out(), /sntp: rejected/, 'chrony\'s replies all pass the checks');
  const errs = await clockErrors(b, 5, 15_000);
  for (const e of errs) assert.ok(Math.abs(e) < 50, `board clock off by ${e} ms (host clock - board UTC): ${errs}`);
  await waitFor(() => (b.out().match(/sntp: synced/g) ?? []).length >= 3, 15_000, 'two more polls', b);
  assert.match(b.out(), /sntp: synced, step -?\d+ ms, delay -?\d+ us, poll 2 s/);
  await stop(b);
  await stop(c);
  console.log(`sntp: chrony sync, board clock error ${errs.join(', ')} ms (host - board, incl. the stdout pipe)`);
});

test('forged, replayed and malformed replies are ignored; RATE slows the client, DENY stops it', T, async () => {
  await stopAll();
  const peer = start(['python3', PEER, '40']);
  await waitFor(() => /ready/.test(peer.out()), 10_000, 'the scripted server', peer);
  const b = board(['--static', '--ip', '192.0.2.2', '--sntp', '192.0.2.1', '--sntp-poll', '2', '--sntp-clock']);
  await waitFor(() => (b.out().match(/sntp: synced/g) ?? []).length >= 2, 20_000, 'two syncs', b, peer);
  const log = b.out();
  const second = log.slice(log.indexOf('sntp: sent', log.indexOf('sntp: synced')));
  const rejected = [...second.slice(0, second.indexOf('sntp: synced')).matchAll(/sntp: rejected reply from (\S+): (.+)/g)]
    .map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(rejected.sort(), [
    '192.0.2.1:123 bad mode', '192.0.2.1:123 bad stratum', '192.0.2.1:123 bad stratum', '192.0.2.1:123 bad version',
    '192.0.2.1:123 origin mismatch', '192.0.2.1:123 origin mismatch', '192.0.2.1:123 origin mismatch',
    '192.0.2.1:123 server unsynchronised', '192.0.2.1:123 short', '192.0.2.1:123 zero timestamp',
    '192.0.2.1:124 origin mismatch',
  ], second);
  // Each forgery would step the clock by an hour; a genuine step stays far below (the first sample may be
  // off by half its round trip when ARP delayed the request: then the client re-polls after 1 s).
  for (const m of log.matchAll(/sntp: synced, step (-?\d+) ms/g)) assert.ok(Math.abs(Number(m[1])) < 10_000, `a forged time was taken:\n${log}`);
  const errs = await clockErrors(b, 2, 10_000);
  for (const e of errs) assert.ok(Math.abs(e) < 50, `board clock off by ${e} ms after the forgeries`);
  // Request 3 gets RATE (poll field 2^2 s): the interval doubles to 4 s, and the next request waits for it.
  await waitFor(() => /sntp: kiss RATE, poll 4 s/.test(b.out()), 10_000, 'the RATE kiss', b, peer);
  const rateAt = Date.now();
  await waitFor(() => /request 4 from/.test(peer.out()), 10_000, 'request 4', b, peer);
  assert.ok(Date.now() - rateAt >= 3_500, `request 4 came ${Date.now() - rateAt} ms after RATE (poll 4 s)`);
  await waitFor(() => /sntp: kiss DENY, server abandoned/.test(b.out()), 5_000, 'the DENY kiss', b, peer);
  assert.equal((b.out().match(/sntp: kiss DENY/g) ?? []).length, 1, 'the forged DENY (wrong origin) was not honoured');
  await new Promise((r) => setTimeout(r, 6_000));
  assert.doesNotMatch(peer.out(), /request 5 from/, 'no request after DENY');
  const still = await clockErrors(b, 1, 5_000);
  assert.ok(Math.abs(still[0]) < 50, 'the clock keeps running from the last good sync');
  await stop(b);
  await stop(peer);
  console.log(`sntp: ${rejected.length} forged/malformed replies ignored, RATE honoured (poll 4 s), DENY stops the client`);
});

test('the server comes from DHCP option 42 (dnsmasq), then chrony answers', T, async () => {
  await stopAll();
  const c = chrony();
  await waitFor(() => /Disabled control of system clock/.test(c.out()), 10_000, 'chronyd', c);
  const dnsmasq = start(['dnsmasq', '--no-daemon', '--conf-file=/dev/null', '--interface=tap0', '--bind-interfaces',
    '--port=0', '--dhcp-range=192.0.2.100,192.0.2.150,255.255.255.0,2m', '--dhcp-option=option:ntp-server,192.0.2.1',
    `--dhcp-leasefile=${join(dir, 'leases')}`, '--pid-file', '--log-dhcp', '--log-facility=-']);
  await waitFor(() => /started, version/.test(dnsmasq.out()), 5_000, 'dnsmasq', dnsmasq);
  const b = board(['--sntp', 'dhcp', '--sntp-poll', '2', '--sntp-clock']);
  await waitFor(() => goodSync(b), 30_000, 'a sync with the DHCP-named server', b, dnsmasq, c);
  assert.match(b.out(), /dhcp: bound 192\.0\.2\.1\d\d/);
  assert.match(b.out(), /sntp: server 192\.0\.2\.1\n/);
  assert.match(dnsmasq.out(), /requested options:[\s\S]*42/, 'the board asks for option 42');
  const errs = await clockErrors(b, 2, 10_000);
  for (const e of errs) assert.ok(Math.abs(e) < 50, `board clock off by ${e} ms`);
  await stop(b);
  await stop(dnsmasq);
  await stop(c);
});
