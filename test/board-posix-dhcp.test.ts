// Issue 13 on the posix board: the stack's DHCP client and DNS resolver against Debian's dnsmasq
// (DHCP and DNS server) inside a network namespace this test creates. Boards start with DHCP: without
// a server the board falls back to its configured address after --dhcp-timeout; with dnsmasq it gets
// a lease (address, mask, router, DNS server), resolves a name through dnsmasq, and serves HTTP on
// the leased address to curl. Everything is removed afterwards; every wait is bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const BOARD = join(ROOT, 'boards', 'posix');
const BIN = join(BOARD, 'build', 'asnet-posix');
const NS = `asnet-dhcp-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'asnet-dnsmasq-'));
const procs: ChildProcess[] = [];
let log = '';
let dnsmasqLog = '';

function sh(cmd: string, args: string[], timeout = 20_000): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
}
const inNs = (cmd: string[], timeout?: number) => sh('ip', ['netns', 'exec', NS, ...cmd], timeout);

async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}\nboard:\n${log}\ndnsmasq:\n${dnsmasqLog}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

before(() => {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0 || spawnSync('dnsmasq', ['--version']).status !== 0) {
    assert.fail("board-posix-dhcp: needs root and dnsmasq. Fix: run 'sudo npm test' (apt-get install -y dnsmasq-base iproute2 curl)");
  }
  sh('make', ['-C', BOARD, '-s'], 120_000);
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

test('no DHCP server: after --dhcp-timeout the board falls back to its configured address and says so', async () => {
  let flog = '';
  const board = spawn('ip', ['netns', 'exec', NS, BIN, '--tap', 'tap0', '--ip', '192.0.2.9', '--dhcp-timeout', '2',
    '--mac', '02:00:00:00:00:43', '--service', 'http'], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(board);
  board.stdout!.on('data', (d) => { flog += d; });
  const started = Date.now();
  const end = Date.now() + 10_000;
  while (!/address: 192\.0\.2\.9 \(static, no DHCP lease in 2 s\)/.test(flog)) {
    if (Date.now() > end) assert.fail(`no fallback:\n${flog}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(Date.now() - started >= 1500, 'it waited for DHCP first');
  assert.match(inNs(['curl', '-s', '-m', '5', 'http://192.0.2.9/']), /<h1>asnet<\/h1>/);
  board.kill('SIGTERM');
  const stopEnd = Date.now() + 5_000;
  while (board.exitCode === null && Date.now() < stopEnd) await new Promise((r) => setTimeout(r, 20));
});

test('DHCP lease and DNS answer from dnsmasq; HTTP served on the leased address', async () => {
  const dnsmasq = spawn('ip', ['netns', 'exec', NS, 'dnsmasq', '--no-daemon', '--conf-file=/dev/null', '--interface=tap0',
    '--bind-interfaces', '--dhcp-range=192.0.2.100,192.0.2.150,255.255.255.0,2m', '--dhcp-option=option:router,192.0.2.1',
    '--dhcp-option=option:dns-server,192.0.2.1', '--address=/device.example/192.0.2.77', '--no-resolv', '--no-hosts',
    `--dhcp-leasefile=${join(dir, 'leases')}`, '--pid-file', '--log-dhcp', '--log-queries', '--log-facility=-'],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(dnsmasq);
  dnsmasq.stdout!.on('data', (d) => { dnsmasqLog += d; });
  dnsmasq.stderr!.on('data', (d) => { dnsmasqLog += d; });
  await waitFor(() => /started, version/.test(dnsmasqLog), 5_000, 'dnsmasq');
  const board = spawn('ip', ['netns', 'exec', NS, BIN, '--tap', 'tap0', '--dhcp', '--mac', '02:00:00:00:00:42',
    '--resolve', 'device.example', '--service', 'http'], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(board);
  board.stdout!.on('data', (d) => { log += d; });
  board.stderr!.on('data', (d) => { log += d; });
  await waitFor(() => /dhcp: bound/.test(log), 20_000, 'a DHCP lease');
  assert.match(log, /address: 192\.0\.2\.\d+ \(dhcp\)/, 'the board prints the address it got');
  const m = /dhcp: bound (192\.0\.2\.\d+) mask (\S+) gw (\S+) dns (\S+) lease (\d+) s/.exec(log);
  assert.ok(m, log);
  const [, ip, mask, gw, dns, lease] = m;
  assert.ok(Number(ip.split('.')[3]) >= 100 && Number(ip.split('.')[3]) <= 150, ip);
  assert.deepEqual([mask, gw, dns], ['255.255.255.0', '192.0.2.1', '192.0.2.1']);
  assert.equal(Number(lease), 120);
  assert.match(dnsmasqLog, /DHCPACK\(tap0\) 192\.0\.2\.\d+ 02:00:00:00:00:42/);
  await waitFor(() => /dns: device\.example -> /.test(log), 10_000, 'the DNS answer');
  assert.match(log, /dns: device\.example -> 192\.0\.2\.77 ttl \d+/);
  const page = inNs(['curl', '-s', '-m', '5', `http://${ip}/`]);
  assert.match(page, /<h1>asnet<\/h1>/);
  board.kill('SIGTERM');
  await waitFor(() => board.exitCode !== null, 5_000, 'the board to stop');
  console.log(`posix dhcp: leased ${ip} from dnsmasq, device.example resolved`);
});
