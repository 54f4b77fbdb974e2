// host/pcap.ts: captures of a wire are valid pcap files (tcpdump reads them), carry the virtual
// timestamps, and hold every frame, whether kept in memory or streamed to a file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture, encodePcap, withPcap } from '../host/pcap.ts';
import { Sim } from '../host/sim.ts';
import { ESTABLISHED } from '../host/abi.ts';

function tcpdump(file: string, ...flags: string[]): string[] {
  if (spawnSync('sh', ['-c', 'command -v tcpdump']).status !== 0) {
    assert.fail('tcpdump is missing: apt-get install -y tcpdump');
  }
  const r = spawnSync('tcpdump', ['-r', file, '-nn', '-tt', ...flags], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `tcpdump failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').filter(Boolean);
}

/** Two stacks 1.5 ms apart: connect, 3000 bytes each way... enough to see every kind of segment. */
function session(dir: string) {
  const sim = new Sim({ seed: 5, startMs: 10_000 });
  const a = sim.addStack({ name: 'a', mac: '02:00:00:00:00:01', ip: '192.0.2.1' });
  const b = sim.addStack({ name: 'b', mac: '02:00:00:00:00:02', ip: '192.0.2.2' });
  const wire = sim.connect([a, b], { impair: { delayMs: 1.5 } });
  const mem = capture(wire);
  const streamed = capture(wire, { path: join(dir, 'streamed.pcap') });
  const l = b.socket();
  b.bind(l, 0, 8080);
  b.listen(l, 2);
  const c = a.socket();
  a.connect(c, '192.0.2.2', 8080);
  sim.run({ for: 2000, while: () => a.state(c) !== ESTABLISHED });
  assert.equal(a.state(c), ESTABLISHED);
  let h = -1;
  sim.run({ for: 2000, while: () => (h = b.accept(l)) < 0 });
  assert.equal(a.send(c, new Uint8Array(3000).fill(0x61)), 3000);
  let got = 0;
  sim.run({ for: 2000, while: () => { const r = b.recv(h); if (r instanceof Uint8Array) got += r.length; return got < 3000; } });
  assert.equal(got, 3000);
  a.close(c);
  b.close(h);
  sim.run({ for: 1000 });
  streamed.stop();
  mem.stop();
  return { mem, wire };
}

test('a capture of a TCP session is read by tcpdump with virtual timestamps and valid checksums', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcap-'));
  try {
    const { mem, wire } = session(dir);
    const file = join(dir, 'mem.pcap');
    mem.save(file);
    const lines = tcpdump(file);
    assert.equal(lines.length, wire.stats.sent);
    assert.equal(lines.length, mem.frames.length);
    assert.match(lines[0], /^10\.000000 ARP, Request who-has 192\.0\.2\.2 tell 192\.0\.2\.1/);
    assert.match(lines[1], /^10\.001500 ARP, Reply 192\.0\.2\.2 is-at 02:00:00:00:00:02/);
    assert.ok(lines.some((l) => /192\.0\.2\.1\.\d+ > 192\.0\.2\.2\.8080: Flags \[S\]/.test(l)), 'SYN');
    assert.ok(lines.some((l) => /192\.0\.2\.2\.8080 > 192\.0\.2\.1\.\d+: Flags \[S\.\]/.test(l)), 'SYN-ACK');
    assert.ok(lines.some((l) => /Flags \[F\.\]/.test(l)), 'FIN');
    // Timestamps are the frames' virtual send times.
    const stamps = lines.map((l) => Number(l.split(' ')[0]));
    mem.frames.forEach((f, i) => assert.equal(stamps[i], Number((f.timeMs / 1000).toFixed(6))));
    const verbose = tcpdump(file, '-vv').join('\n');
    assert.doesNotMatch(verbose, /incorrect/, 'tcpdump found a bad IP or TCP checksum');
    assert.match(verbose, /cksum 0x[0-9a-f]+ \(correct\)/);
    assert.deepEqual(readFileSync(join(dir, 'streamed.pcap')), Buffer.from(mem.toBytes()), 'streamed file = memory copy');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pcap layout: global header fields, record header, snaplen truncation', () => {
  const frame = Uint8Array.from({ length: 80 }, (_, i) => i);
  const b = encodePcap([{ timeMs: 1234.5678, frame }], 64);
  const v = new DataView(b.buffer);
  assert.equal(v.getUint32(0, true), 0xa1b2c3d4);
  assert.deepEqual([v.getUint16(4, true), v.getUint16(6, true)], [2, 4]);
  assert.equal(v.getUint32(16, true), 64, 'snaplen');
  assert.equal(v.getUint32(20, true), 1, 'LINKTYPE_ETHERNET');
  assert.deepEqual([v.getUint32(24, true), v.getUint32(28, true)], [1, 234568], 'seconds, microseconds (rounded)');
  assert.deepEqual([v.getUint32(32, true), v.getUint32(36, true)], [64, 80], 'captured, original length');
  assert.equal(b.length, 24 + 16 + 64);
});

test('withPcap saves the capture when the test body fails, and only then', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcap-fail-'));
  try {
    const sim = new Sim();
    const a = sim.addStack({ name: 'a', mac: '02:00:00:00:00:01', ip: '192.0.2.1' });
    const wire = sim.connect([a], { name: 'lan' });
    const ok = withPcap(wire, 'ok', () => 42, join(dir, 'ok.pcap'));
    assert.equal(ok, 42);
    assert.throws(() => withPcap(wire, 'bad', () => {
      const h = a.socket();
      a.connect(h, '192.0.2.2', 80);           // an ARP request goes out
      sim.run({ for: 10 });
      throw new Error('boom');
    }, join(dir, 'bad.pcap')), /boom \(capture of lan: .*bad\.pcap\)/);
    await assert.rejects(withPcap(wire, 'async', async () => { throw new Error('later'); }, join(dir, 'async.pcap')), /later/);
    assert.throws(() => readFileSync(join(dir, 'ok.pcap')), /ENOENT/);
    assert.match(tcpdump(join(dir, 'bad.pcap'))[0], /ARP, Request who-has 192\.0\.2\.2 tell 192\.0\.2\.1/);
    assert.equal(readFileSync(join(dir, 'async.pcap')).length, 24, 'header only: nothing was sent');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
