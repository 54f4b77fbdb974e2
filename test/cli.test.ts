// `npm start` (host/cli.ts) run non-interactively: its timeline shows every state of the life cycle,
// a netstat table with TIME_WAIT, and it writes a pcap that tcpdump reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('the demo shows the whole life cycle and writes a pcap tcpdump can read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-'));
  try {
    const pcap = join(dir, 'demo.pcap');
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'host/cli.ts', '--no-color', '--pcap', pcap],
      { encoding: 'utf8', timeout: 60_000 });
    for (const s of ['SYN_SENT', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSED']) {
      assert.match(out, new RegExp(`-> ${s}\\b`), `state ${s} in the timeline`);
    }
    assert.match(out, /\[SYN\]/);
    assert.match(out, /\[SYN,ACK\]/);
    assert.match(out, /\[FIN/);
    assert.match(out, /TIME_WAIT 1/, 'netstat counts the TIME_WAIT connection');
    assert.match(out, /TIME_WAIT -> CLOSED/, '2MSL expiry');
    assert.ok(existsSync(pcap));
    const dump = execFileSync('tcpdump', ['-nr', pcap], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    assert.match(dump, /Flags \[S\]/);
    assert.match(dump, /Flags \[F\.\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the demo under loss, several clients and a SYN flood still completes', () => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'host/cli.ts', '--no-color', '--loss', '0.05', '--clients', '3',
    '--syn-flood', '--pcap', join(tmpdir(), `cli-flood-${process.pid}.pcap`)], { encoding: 'utf8', timeout: 120_000 });
  assert.match(out, /syncookies_sent\s+\d+/);
  assert.equal((out.match(/TIME_WAIT -> CLOSED/g) ?? []).length >= 1, true);
  // Off-link spoofed sources: the SYN-ACKs really leave (to the router); the clients connect only
  // after the SYN queue is full and get in with a cookie.
  const synAcks = Number(/SYN-ACKs to them\s+(\d+)/.exec(out)?.[1]);
  assert.ok(synAcks > 1000, `${synAcks} SYN-ACKs sent to the spoofed sources`);
  const lines = out.split('\n');
  const full = lines.findIndex((l) => /SYN queue is full/.test(l));
  const firstSyn = lines.findIndex((l) => /client1\s+CLOSED -> SYN_SENT/.test(l));
  assert.ok(full > 0 && full < firstSyn, 'the client connects after the SYN queue is full');
  assert.match(out, /SYN cookie validated: \d+ connection\(s\) rescued/);
  assert.ok(Number(/^\s+syncookies_recv\s+(\d+)$/m.exec(out)?.[1]) >= 3, 'every client came in on a cookie');
  rmSync(join(tmpdir(), `cli-flood-${process.pid}.pcap`), { force: true });
});

test('--help explains the options; a bad option fails clearly', () => {
  const help = execFileSync(process.execPath, ['--import', 'tsx', 'host/cli.ts', '--help'], { encoding: 'utf8' });
  for (const o of ['--loss', '--clients', '--syn-flood', '--pcap']) assert.ok(help.includes(o));
  for (const [args, msg] of [[['--bogus'], /unknown option --bogus/], [['--loss', '2'], /--loss 2: expected a number from 0 to 1/],
    [['--clients', '500'], /--clients 500: expected an integer from 1 to 200/], [['--seed'], /--seed needs a value/]] as const) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'host/cli.ts', ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, `${args.join(' ')} exits 2`);
    assert.match(r.stderr, msg);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line, no stack trace: ${r.stderr}`);
  }
});

test('the timeline: LISTEN shown, connection ids on every TCP line, state changes before the segments they caused, scaled windows, --seed', () => {
  const run = (seed: string) => execFileSync(process.execPath, ['--import', 'tsx', 'host/cli.ts', '--no-color', '--seed', seed,
    '--pcap', join(tmpdir(), `cli-seed-${process.pid}.pcap`)], { encoding: 'utf8', timeout: 60_000 });
  const out = run('7');
  assert.match(out, /server\s+CLOSED -> LISTEN on 0\.0\.0\.0:80/);
  const tcp = out.split('\n').filter((l) => /\[(SYN|ACK|FIN|RST|PSH)/.test(l) || / -> (SYN|EST|FIN|CLOSE_WAIT|LAST|TIME)/.test(l));
  assert.ok(tcp.length > 10 && tcp.every((l) => /^\s*\d+\.\d{3}s\s+#\d+\s/.test(l)), 'every TCP line has #id');
  const lines = out.split('\n');
  const est = lines.findIndex((l) => /client1\s+SYN_SENT -> ESTABLISHED/.test(l));
  const ack = lines.findIndex((l, i) => i > 0 && /client1 .*\[ACK\] .*len=0/.test(l));
  assert.ok(est > 0 && est < ack, 'ESTABLISHED printed before the ACK it sent');
  const fw1 = lines.findIndex((l) => /ESTABLISHED -> FIN_WAIT_1/.test(l));
  const fin = lines.findIndex((l) => /\[FIN/.test(l));
  assert.ok(fw1 > 0 && fw1 < fin, 'FIN_WAIT_1 printed before the FIN');
  // A scaled window is shown as the value that counts with its raw field (only when both SYNs carried
  // the option: the default one-page build may not scale at all).
  for (const m of out.matchAll(/win=(\d+) \((\d+)<<(\d+)\)/g)) assert.equal(Number(m[1]), Number(m[2]) << Number(m[3]));
  assert.match(out, /\[SYN\] .* win=\d+ len=0\n/, 'SYN windows are never scaled (RFC 7323 §2.2)');
  const isn = (o: string) => /\[SYN\] seq=(\d+)/.exec(o)?.[1];
  assert.equal(isn(run('7')), isn(out), 'same seed, same run');
  assert.notEqual(isn(run('8')), isn(out), 'another seed, another ISN');
  rmSync(join(tmpdir(), `cli-seed-${process.pid}.pcap`), { force: true });
});

test('lost frames are marked in the timeline; the pcap holds what arrived', () => {
  const pcap = join(tmpdir(), `cli-loss-${process.pid}.pcap`);
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'host/cli.ts', '--no-color', '--loss', '0.2', '--seed', '3', '--pcap', pcap],
    { encoding: 'utf8', timeout: 60_000 });
  const lost = out.split('\n').filter((l) => l.endsWith('LOST'));
  assert.ok(lost.length > 0, 'some frames marked LOST');
  const shown = out.split('\n').filter((l) => /\[(SYN|ACK|FIN|RST|PSH)/.test(l) || /ARP/.test(l)).length;
  const frames = Number(/\((\d+) frames\)/.exec(out)?.[1]);
  assert.equal(frames, shown - lost.length, 'pcap frames = segments shown minus the lost ones');
  rmSync(pcap, { force: true });
});
