// Issue 4: two stacks on a virtual wire walk the textbook life cycle — 3-way handshake, data both
// ways, 4-way close, TIME_WAIT for 2MSL — and each side passes through exactly the expected states.
// The wire is captured to a pcap that tcpdump must read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sim } from '../host/sim.ts';
import { capture } from '../host/pcap.ts';
import { STATE_NAMES } from '../host/abi.ts';
import type { Stack } from '../host/stack.ts';

function states(s: Stack): string[] {
  const seq: string[] = [];
  s.onTrace((t) => seq.push(`${STATE_NAMES[t.from]}>${STATE_NAMES[t.to]}`));
  return seq;
}

test('handshake, data both ways, 4-way close, TIME_WAIT expiry; exact states on both sides; pcap', () => {
  const sim = new Sim({ seed: 4 });
  const a = sim.addStack({ name: 'A', mac: '02:00:00:00:00:01', ip: '192.0.2.1' });
  const b = sim.addStack({ name: 'B', mac: '02:00:00:00:00:02', ip: '192.0.2.2' });
  const wire = sim.connect([a, b], { impair: { delayMs: 5 } });
  const cap = capture(wire);
  const sa = states(a), sb = states(b);
  const l = b.socket(); b.bind(l, 0, 7); b.listen(l, 1);
  const c = a.socket(); a.connect(c, '192.0.2.2', 7);
  sim.run({ for: 100 });
  const s = b.accept(l);
  assert.ok(s > 0);
  a.send(c, new TextEncoder().encode('ping'));
  b.send(s, new TextEncoder().encode('pong'));
  sim.run({ for: 100 });
  assert.equal(new TextDecoder().decode(b.recv(s) as Uint8Array), 'ping');
  assert.equal(new TextDecoder().decode(a.recv(c) as Uint8Array), 'pong');
  a.close(c);                                             // A closes first: A is the active closer
  sim.run({ for: 100 });
  assert.equal((b.recv(s) as Uint8Array).length, 0, 'B reads end of stream');
  b.close(s);
  sim.run({ for: 100 });
  assert.equal(a.netstatCounts().TIME_WAIT, 1);
  sim.run({ for: 2 * a.sysctl('tcp_msl') * 1000 + 1000 });
  assert.deepEqual(sa, ['CLOSED>SYN_SENT', 'SYN_SENT>ESTABLISHED', 'ESTABLISHED>FIN_WAIT_1', 'FIN_WAIT_1>FIN_WAIT_2',
    'FIN_WAIT_2>TIME_WAIT', 'TIME_WAIT>CLOSED']);
  assert.deepEqual(sb, ['CLOSED>SYN_RCVD', 'SYN_RCVD>ESTABLISHED', 'ESTABLISHED>CLOSE_WAIT', 'CLOSE_WAIT>LAST_ACK', 'LAST_ACK>CLOSED']);
  assert.equal(a.checkInvariants(), 0);
  assert.equal(b.checkInvariants(), 0);
  const dir = mkdtempSync(join(tmpdir(), 'lifecycle-'));
  try {
    cap.stop();
    cap.save(join(dir, 'lifecycle.pcap'));
    const dump = execFileSync('tcpdump', ['-nr', join(dir, 'lifecycle.pcap')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const flags = [...dump.matchAll(/Flags \[([^\]]+)\]/g)].map((m) => m[1]);
    assert.deepEqual(flags.slice(0, 3), ['S', 'S.', '.'], 'three-way handshake');
    assert.equal(flags.filter((f) => f.includes('F')).length, 2, 'one FIN each way');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('simultaneous close goes through CLOSING to TIME_WAIT on both sides', () => {
  const sim = new Sim({ seed: 5 });
  const a = sim.addStack({ name: 'A', mac: '02:00:00:00:00:01', ip: '192.0.2.1' });
  const b = sim.addStack({ name: 'B', mac: '02:00:00:00:00:02', ip: '192.0.2.2' });
  sim.connect([a, b], { impair: { delayMs: 20 } });
  const l = b.socket(); b.bind(l, 0, 7); b.listen(l, 1);
  const c = a.socket(); a.connect(c, '192.0.2.2', 7);
  sim.run({ for: 200 });
  const s = b.accept(l);
  a.pollTrace(); b.pollTrace();                           // forget the opening transitions
  const sa = states(a), sb = states(b);
  a.close(c); b.close(s);                                 // both FINs cross on the wire
  sim.run({ for: 500 });
  assert.deepEqual(sa, ['ESTABLISHED>FIN_WAIT_1', 'FIN_WAIT_1>CLOSING', 'CLOSING>TIME_WAIT']);
  assert.deepEqual(sb, ['ESTABLISHED>FIN_WAIT_1', 'FIN_WAIT_1>CLOSING', 'CLOSING>TIME_WAIT']);
  sim.run({ for: 61_000 });
  assert.equal(a.netstatCounts().TIME_WAIT + b.netstatCounts().TIME_WAIT, 0);
});

test('half-close: the side that shut down writing keeps reading', () => {
  const sim = new Sim({ seed: 6 });
  const a = sim.addStack({ name: 'A', mac: '02:00:00:00:00:01', ip: '192.0.2.1' });
  const b = sim.addStack({ name: 'B', mac: '02:00:00:00:00:02', ip: '192.0.2.2' });
  sim.connect([a, b]);
  const l = b.socket(); b.bind(l, 0, 7); b.listen(l, 1);
  const c = a.socket(); a.connect(c, '192.0.2.2', 7);
  sim.run({ for: 100 });
  const s = b.accept(l);
  assert.equal(a.shutdown(c, 1), 0);                      // SHUT_WR
  sim.run({ for: 100 });
  assert.equal(STATE_NAMES[a.state(c)], 'FIN_WAIT_2');
  assert.equal(STATE_NAMES[b.state(s)], 'CLOSE_WAIT');
  assert.equal((b.recv(s) as Uint8Array).length, 0, 'B sees end of stream');
  const big = new Uint8Array(20000).map((_, i) => i & 255);
  let off = 0, got = 0;
  sim.run({ for: 5000, while: () => {
    if (off < big.length) { const n = b.send(s, big.subarray(off)); if (n > 0) off += n; }
    const r = a.recv(c); if (r instanceof Uint8Array) got += r.length;
    return got < big.length;
  } });
  assert.equal(got, big.length, 'all of B\'s data reached the half-closed A');
  assert.equal(a.send(c, Uint8Array.of(1)), -32, 'EPIPE after SHUT_WR');
});

// Regression: unread data must survive the end of the connection. Bytes that came before the peer's
// FIN stay readable after our side reaches TIME_WAIT (active close by shutdown) or CLOSED (LAST_ACK
// acknowledged), until the application reads them or closes the socket.
test('unread data stays readable after TIME_WAIT and after LAST_ACK -> CLOSED', () => {
  const sim = new Sim({ seed: 21 });
  const a = sim.addStack({ name: 'A', mac: '02:00:00:00:00:01', ip: '192.0.2.1' });
  const b = sim.addStack({ name: 'B', mac: '02:00:00:00:00:02', ip: '192.0.2.2' });
  sim.connect([a, b], { impair: { delayMs: 1 } });
  const l = b.socket(); b.bind(l, 0, 7); b.listen(l, 2);
  const enc = new TextEncoder(), dec = new TextDecoder();
  // A half-closes first, B answers and closes; A reads nothing until it is in TIME_WAIT.
  const c = a.socket(); a.connect(c, '192.0.2.2', 7);
  sim.run({ for: 50 });
  const s = b.accept(l);
  a.shutdown(c, 1);
  sim.run({ for: 50 });
  b.send(s, enc.encode('late data'));
  b.close(s);
  sim.run({ for: 500 });
  assert.equal(STATE_NAMES[a.state(c)], 'TIME_WAIT');
  assert.equal(dec.decode(a.recv(c) as Uint8Array), 'late data');
  assert.equal((a.recv(c) as Uint8Array).length, 0, 'then end of stream');
  // B is the passive closer: data from A, A's FIN; B shuts down its side and reaches CLOSED unread.
  const c2 = a.socket(); a.connect(c2, '192.0.2.2', 7);
  sim.run({ for: 50 });
  const s2 = b.accept(l);
  a.send(c2, enc.encode('unread by B'));
  a.close(c2);
  sim.run({ for: 500 });
  b.shutdown(s2, 1);
  sim.run({ for: 500 });
  assert.equal(STATE_NAMES[b.state(s2)], 'CLOSED');
  assert.equal(dec.decode(b.recv(s2) as Uint8Array), 'unread by B');
  b.close(s2);
  a.close(c);
  assert.equal(a.checkInvariants(), 0);
  assert.equal(b.checkInvariants(), 0);
});
