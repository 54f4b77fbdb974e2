// bench/tap.ts (`npm run bench:tap`, issue 21 item 5): the posix board and lwIP on one TAP. Its
// frame check (every delivered byte crossed the TAP in frames of at most 1460 payload bytes) is
// checked here on made-up counter deltas, then a small real run (2 MiB, one repetition, no
// callgrind) must complete for both stacks, and its own planted shortcut (the client talking to
// the kernel's own address) must have failed the check. Timing is not checked (bench/README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wireCheck, type Link } from '../bench/tap.ts';

const MIB = 1 << 20;
const frames = Math.ceil(MIB / 1460);
const honest: Link = { txBytes: MIB + frames * 54, txPackets: frames, rxBytes: (frames / 2) * 54, rxPackets: frames / 2 };

test('wire check: honest counts pass; no frames, too few frames or too few bytes fail', () => {
  assert.deepEqual(wireCheck('discard', MIB, honest), []);
  assert.match(wireCheck('discard', MIB, { ...honest, txBytes: 0, txPackets: 0 })[0], /1048576 bytes delivered to the stack but the TAP carried 0 bytes in 0 frames/);
  assert.equal(wireCheck('discard', MIB, { ...honest, txPackets: frames - 1 }).length, 1);
  assert.equal(wireCheck('discard', MIB, { ...honest, txBytes: MIB }).length, 1);
  assert.equal(wireCheck('chargen', MIB, honest).length, 1, 'chargen needs the bytes from the stack');
  assert.equal(wireCheck('echo', MIB, honest).length, 1, 'echo needs both directions');
});

test('bench:tap: a small run of both stacks on one TAP; the planted shortcut fails the check', { timeout: 600_000 }, (t) => {
  if (process.getuid?.() !== 0) assert.fail('bench-tap: must run as root (network namespace, TAP device)');
  const out = mkdtempSync(join(tmpdir(), 'bench-tap-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const log = execFileSync('npx', ['tsx', 'bench/tap.ts', '--mib', '2', '--reps', '1', '--callgrind', 'off', '--out', out],
    { encoding: 'utf8', timeout: 540_000, stdio: ['ignore', 'pipe', 'pipe'] });
  assert.match(log, /planted shortcut .*failed as it must: 2097152 bytes delivered to the stack but the TAP carried \d+ bytes/);
  const json = JSON.parse(readFileSync(join(out, 'tap.json'), 'utf8'));
  for (const stack of ['asnet', 'lwip']) for (const mode of ['discard', 'chargen', 'echo']) {
    const runs = json[`${stack} ${mode}`].runs;
    assert.equal(runs.length, 1, `${stack} ${mode}`);
    assert.ok(runs[0].mbit > 0 && runs[0].cpuMsPerMiB > 0, `${stack} ${mode}: ${JSON.stringify(runs[0])}`);
  }
  // The echo carries the ACK the stack held for it (docs/ABI.md "The held ACK"): the board sends
  // about as many frames as lwIP, whose receive callback answers inside tcp_input. Before the
  // held ACK it sent 1.5x (every second segment's ACK alone, then the echoed data).
  const [asnetEcho, lwipEcho] = ['asnet', 'lwip'].map((s) => json[`${s} echo`].runs[0].frames[1] as number);
  assert.ok(asnetEcho <= 1.2 * lwipEcho, `echo: the board sent ${asnetEcho} frames, lwIP ${lwipEcho}`);
});
