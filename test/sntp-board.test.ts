// Issue 25, SNTP: the C client of boards/common/apps/sntp on the posix board, in a network
// namespace this test creates (named with the pid), against Debian's chrony serving time there
// (`local stratum 8`, -x: it never touches the host clock), against a scripted server that forges
// replies (test/tools/sntp-peer.py), and with the server learned from DHCP option 42 (dnsmasq).
// chrony serves the host's clock, so the board's UTC is compared with Date.now().
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Netns, requireRoot, sh, stop, waitFor, type Proc } from './helpers/netns.ts';

const ROOT = join(import.meta.dirname, '..');
const BOARD = join(ROOT, 'boards', 'posix');
const BIN = join(BOARD, 'build', 'asnet-posix');
const PEER = join(ROOT, 'test', 'tools', 'sntp-peer.py');
const dir = mkdtempSync(join(tmpdir(), 'asnet-sntp-'));
const T = { timeout: 90_000 };
let ns: Netns;
const start = (cmd: string[]) => ns.start(cmd);

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
const goodSync = (b: Proc) => [...b.log().matchAll(/sntp: synced, step -?\d+ ms, delay (-?\d+) us/g)].some((m) => Number(m[1]) < 100_000);

/** Reads "sntp: utc MS" lines as they arrive and compares each with the host clock at arrival. */
function clockErrors(b: Proc, n: number, ms: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const errs: number[] = [];
    const onData = (d: Buffer) => {
      for (const m of d.toString().matchAll(/sntp: utc (\d+)/g)) errs.push(Date.now() - Number(m[1]));
      if (errs.length >= n) { b.proc.stdout!.off('data', onData); clearTimeout(t); resolve(errs.slice(0, n)); }
    };
    const t = setTimeout(() => { b.proc.stdout!.off('data', onData); reject(new Error(`only ${errs.length} clock lines\n${b.log()}`)); }, ms);
    b.proc.stdout!.on('data', onData);
  });
}

before(() => {
  requireRoot('sntp-board', [['chronyd', 'chrony'], ['dnsmasq', 'dnsmasq-base']]);
  sh('make', ['-C', BOARD, '-s'], 180_000);
  ns = new Netns('sntp');
});

after(() => {
  ns?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('against chrony: after sync the board\'s UTC is within 50 ms of the server\'s clock', T, async () => {
  const c = chrony();
  await waitFor(() => /Disabled control of system clock/.test(c.log()), 10_000, 'chronyd', c);
  const b = board(['--static', '--ip', '192.0.2.2', '--sntp', '192.0.2.1', '--sntp-poll', '2', '--sntp-clock']);
  await waitFor(() => goodSync(b), 15_000, 'a sync', b, c);
  assert.doesNotMatch(b.log(), /sntp: rejected/, 'chrony\'s replies all pass the checks');
  const errs = await clockErrors(b, 5, 15_000);
  for (const e of errs) assert.ok(Math.abs(e) < 50, `board clock off by ${e} ms (host clock - board UTC): ${errs}`);
  await waitFor(() => (b.log().match(/sntp: synced/g) ?? []).length >= 3, 15_000, 'two more polls', b);
  assert.match(b.log(), /sntp: synced, step -?\d+ ms, delay -?\d+ us, poll 2 s/);
  await stop(b);
  await stop(c);
  console.log(`sntp: chrony sync, board clock error ${errs.join(', ')} ms (host - board, incl. the stdout pipe)`);
});

test('forged, replayed and malformed replies are ignored; RATE slows the client, DENY stops it', T, async () => {
  await ns.stopAll();
  const peer = start(['python3', PEER, '40']);
  await waitFor(() => /ready/.test(peer.log()), 10_000, 'the scripted server', peer);
  const b = board(['--static', '--ip', '192.0.2.2', '--sntp', '192.0.2.1', '--sntp-poll', '2', '--sntp-clock']);
  await waitFor(() => (b.log().match(/sntp: synced/g) ?? []).length >= 2, 20_000, 'two syncs', b, peer);
  const log = b.log();
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
  await waitFor(() => /sntp: kiss RATE, poll 4 s/.test(b.log()), 10_000, 'the RATE kiss', b, peer);
  const rateAt = Date.now();
  await waitFor(() => /request 4 from/.test(peer.log()), 10_000, 'request 4', b, peer);
  assert.ok(Date.now() - rateAt >= 3_500, `request 4 came ${Date.now() - rateAt} ms after RATE (poll 4 s)`);
  await waitFor(() => /sntp: kiss DENY, server abandoned/.test(b.log()), 5_000, 'the DENY kiss', b, peer);
  assert.equal((b.log().match(/sntp: kiss DENY/g) ?? []).length, 1, 'the forged DENY (wrong origin) was not honoured');
  await new Promise((r) => setTimeout(r, 6_000));
  assert.doesNotMatch(peer.log(), /request 5 from/, 'no request after DENY');
  const still = await clockErrors(b, 1, 5_000);
  assert.ok(Math.abs(still[0]) < 50, 'the clock keeps running from the last good sync');
  await stop(b);
  await stop(peer);
  console.log(`sntp: ${rejected.length} forged/malformed replies ignored, RATE honoured (poll 4 s), DENY stops the client`);
});

test('the server comes from DHCP option 42 (dnsmasq), then chrony answers', T, async () => {
  await ns.stopAll();
  const c = chrony();
  await waitFor(() => /Disabled control of system clock/.test(c.log()), 10_000, 'chronyd', c);
  const dnsmasq = start(['dnsmasq', '--no-daemon', '--conf-file=/dev/null', '--interface=tap0', '--bind-interfaces',
    '--port=0', '--dhcp-range=192.0.2.100,192.0.2.150,255.255.255.0,2m', '--dhcp-option=option:ntp-server,192.0.2.1',
    `--dhcp-leasefile=${join(dir, 'leases')}`, '--pid-file', '--log-dhcp', '--log-facility=-']);
  await waitFor(() => /started, version/.test(dnsmasq.log()), 5_000, 'dnsmasq', dnsmasq);
  const b = board(['--sntp', 'dhcp', '--sntp-poll', '2', '--sntp-clock']);
  await waitFor(() => goodSync(b), 30_000, 'a sync with the DHCP-named server', b, dnsmasq, c);
  assert.match(b.log(), /dhcp: bound 192\.0\.2\.1\d\d/);
  assert.match(b.log(), /sntp: server 192\.0\.2\.1\n/);
  assert.match(dnsmasq.log(), /requested options:[\s\S]*42/, 'the board asks for option 42');
  const errs = await clockErrors(b, 2, 10_000);
  for (const e of errs) assert.ok(Math.abs(e) < 50, `board clock off by ${e} ms`);
  await stop(b);
  await stop(dnsmasq);
  await stop(c);
});
