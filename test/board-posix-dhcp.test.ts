// Issue 13 on the posix board: the stack's DHCP client and DNS resolver against Debian's dnsmasq
// (DHCP and DNS server) inside a network namespace this test creates. Boards start with DHCP: without
// a server the board falls back to its configured address after --dhcp-timeout; with dnsmasq it gets
// a lease (address, mask, router, DNS server), resolves a name through dnsmasq, and serves HTTP on
// the leased address to curl. Everything is removed afterwards; every wait is bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Netns, requireRoot, sh, stop, waitFor } from './helpers/netns.ts';

const ROOT = join(import.meta.dirname, '..');
const BOARD = join(ROOT, 'boards', 'posix');
const BIN = join(BOARD, 'build', 'asnet-posix');
const dir = mkdtempSync(join(tmpdir(), 'asnet-dnsmasq-'));
let ns: Netns;

before(() => {
  requireRoot('board-posix-dhcp', [['dnsmasq', 'dnsmasq-base'], ['curl', 'curl']]);
  sh('make', ['-C', BOARD, '-s'], 120_000);
  ns = new Netns('dhcp');
});

after(() => {
  ns?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('no DHCP server: after --dhcp-timeout the board falls back to its configured address and says so', async () => {
  const board = ns.start([BIN, '--tap', 'tap0', '--ip', '192.0.2.9', '--dhcp-timeout', '2', '--mac', '02:00:00:00:00:43', '--service', 'http']);
  const started = Date.now();
  await waitFor(() => /address: 192\.0\.2\.9 \(static, no DHCP lease in 2 s\)/.test(board.log()), 10_000, 'the fallback', board);
  assert.ok(Date.now() - started >= 1500, 'it waited for DHCP first');
  assert.match(ns.exec(['curl', '-s', '-m', '5', 'http://192.0.2.9/']), /<h1>asnet<\/h1>/);
  await stop(board);
});

test('DHCP lease and DNS answer from dnsmasq; HTTP served on the leased address', async () => {
  const dnsmasq = ns.start(['dnsmasq', '--no-daemon', '--conf-file=/dev/null', '--interface=tap0',
    '--bind-interfaces', '--dhcp-range=192.0.2.100,192.0.2.150,255.255.255.0,2m', '--dhcp-option=option:router,192.0.2.1',
    '--dhcp-option=option:dns-server,192.0.2.1', '--address=/device.example/192.0.2.77', '--no-resolv', '--no-hosts',
    `--dhcp-leasefile=${join(dir, 'leases')}`, '--pid-file', '--log-dhcp', '--log-queries', '--log-facility=-']);
  await waitFor(() => /started, version/.test(dnsmasq.log()), 5_000, 'dnsmasq', dnsmasq);
  const board = ns.start([BIN, '--tap', 'tap0', '--dhcp', '--mac', '02:00:00:00:00:42', '--resolve', 'device.example', '--service', 'http']);
  await waitFor(() => /dhcp: bound/.test(board.log()), 20_000, 'a DHCP lease', board, dnsmasq);
  const log = board.log();
  assert.match(log, /address: 192\.0\.2\.\d+ \(dhcp\)/, 'the board prints the address it got');
  const m = /dhcp: bound (192\.0\.2\.\d+) mask (\S+) gw (\S+) dns (\S+) lease (\d+) s/.exec(log);
  assert.ok(m, log);
  const [, ip, mask, gw, dns, lease] = m;
  assert.ok(Number(ip.split('.')[3]) >= 100 && Number(ip.split('.')[3]) <= 150, ip);
  assert.deepEqual([mask, gw, dns], ['255.255.255.0', '192.0.2.1', '192.0.2.1']);
  assert.equal(Number(lease), 120);
  assert.match(dnsmasq.log(), /DHCPACK\(tap0\) 192\.0\.2\.\d+ 02:00:00:00:00:42/);
  await waitFor(() => /dns: device\.example -> /.test(board.log()), 10_000, 'the DNS answer', board, dnsmasq);
  assert.match(board.log(), /dns: device\.example -> 192\.0\.2\.77 ttl \d+/);
  const page = ns.exec(['curl', '-s', '-m', '5', `http://${ip}/`]);
  assert.match(page, /<h1>asnet<\/h1>/);
  await stop(board);
  await stop(dnsmasq);
  console.log(`posix dhcp: leased ${ip} from dnsmasq, device.example resolved`);
});
