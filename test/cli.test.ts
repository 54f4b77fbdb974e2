// `npm start` (host/cli.ts) run non-interactively: its timeline shows every state of the life cycle,
// a netstat table with TIME_WAIT, and it writes a pcap that tcpdump reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
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
  rmSync(join(tmpdir(), `cli-flood-${process.pid}.pcap`), { force: true });
});

test('--help explains the options; a bad option fails clearly', () => {
  const help = execFileSync(process.execPath, ['--import', 'tsx', 'host/cli.ts', '--help'], { encoding: 'utf8' });
  for (const o of ['--loss', '--clients', '--syn-flood', '--pcap']) assert.ok(help.includes(o));
  assert.throws(() => execFileSync(process.execPath, ['--import', 'tsx', 'host/cli.ts', '--bogus'], { stdio: 'pipe' }), /unknown option/);
});
