// The ACK held for the application (docs/ABI.md "The held ACK", assembly/tcp/output.ts holdAck):
// an ACK owed after input waits until the host has drained the events, so a reply or a close
// carries it; it never waits past ev_poll() returning 0, the next frame or the next timer call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACK, FIN, Host, PSH } from './conformance/host.ts';
import { setup, type Ctx } from './conformance/setups.ts';

const MSS = 1460;

/** ESTABLISHED (active open), the stack's data acknowledged: a connection that has sent before. */
function established(host: Host): Ctx {
  host.reset();
  const c = setup(host, 'ESTABLISHED', 'active');
  assert.deepEqual(host.send(c.dport, c.rcvNxt, c.sndNxt, ACK), []);
  c.sndUna = c.sndNxt;
  host.takeEvents();
  return c;
}

/** Two full segments from the peer without draining events; returns the replies and netif_input's results. */
function twoSegments(host: Host, c: Ctx): { first: number; second: number; out: ReturnType<Host['drain']> } {
  const a = host.send(c.dport, c.rcvNxt, c.sndNxt, ACK | PSH, MSS, 65535, [], undefined, false);
  assert.deepEqual(a, [], 'the first segment is acknowledged later (delayed ACK)');
  const first = host.lastInput;
  const out = host.send(c.dport, c.rcvNxt + MSS, c.sndNxt, ACK | PSH, MSS, 65535, [], undefined, false);
  c.rcvNxt += 2 * MSS;
  return { first, second: host.lastInput, out };
}

test('a reply written from the event handler carries the second segment\'s ACK', () => {
  const host = new Host();
  const c = established(host);
  const { first, second, out } = twoSegments(host, c);
  assert.equal(first, 0);
  assert.equal(second, 1, 'netif_input returns 1 while an ACK is held');
  assert.deepEqual(out, [], 'nothing sent before the application has had its events');
  // The application reads and answers, as an echo handler would.
  const st = host.stack;
  const got = st.recv(c.h!, 4096);
  assert.ok(got instanceof Uint8Array && got.length === 2 * MSS);
  assert.equal(st.send(c.h!, new Uint8Array(100).fill(7)), 100);
  const sent = host.drain();
  assert.equal(sent.length, 1, `one segment: the reply with the ACK (${JSON.stringify(sent)})`);
  assert.equal(sent[0].len, 100);
  assert.equal(sent[0].ack >>> 0, c.rcvNxt >>> 0);
  host.takeEvents();
  assert.deepEqual(host.drain(), [], 'no second ACK once events are drained');
});

test('with no reply the held ACK goes when ev_poll() finds no more events', () => {
  const host = new Host();
  const c = established(host);
  const { second } = twoSegments(host, c);
  assert.equal(second, 1);
  const ev = host.takeEvents();
  assert.ok(ev.some((e) => e.handle === c.h), 'the readable event came first');
  const out = host.drain();
  assert.equal(out.length, 1);
  assert.equal(out[0].flags, ACK);
  assert.equal(out[0].ack >>> 0, c.rcvNxt >>> 0);
});

test('a host that never drains events: the next frame, or the next timer call, sends the held ACK', () => {
  const host = new Host();
  const c = established(host);
  twoSegments(host, c);
  // The next in-order segment arrives: the held ACK leaves before it is processed, and the new
  // segment is the first of the next pair (delayed, not held).
  const out = host.send(c.dport, c.rcvNxt, c.sndNxt, ACK | PSH, MSS, 65535, [], undefined, false);
  assert.equal(out.length, 1, `the held ACK alone (${JSON.stringify(out)})`);
  assert.equal(out[0].ack >>> 0, c.rcvNxt >>> 0);
  assert.equal(host.lastInput, 0);
  const c2 = established(host);
  twoSegments(host, c2);
  assert.equal(host.stack.runTimers() >= 0, true);
  const t = host.drain();
  assert.equal(t.length, 1);
  assert.equal(t[0].ack >>> 0, c2.rcvNxt >>> 0);
});

test('a connection that has never sent (a sink) is ACKed at once', () => {
  const host = new Host();
  host.reset();
  const c = setup(host, 'SYN_SENT', 'active');
  // Complete the handshake with no data from the stack.
  const sa = host.send(c.dport, c.rcvNxt - 1, c.sndNxt, 0x12, 0, 65535, [2, 4, 0x05, 0xb4]);
  assert.equal(sa.length, 1);
  const { second, out } = twoSegments(host, { ...c, sndNxt: c.sndNxt });
  assert.equal(second, 0);
  assert.equal(out.length, 1);
  assert.equal(out[0].flags, ACK);
});

test('tcp_delayed_ack=0: every segment is ACKed at once, nothing held', () => {
  const host = new Host();
  const c = established(host);
  host.stack.setSysctl('tcp_delayed_ack', 0);
  const a = host.send(c.dport, c.rcvNxt, c.sndNxt, ACK | PSH, MSS, 65535, [], undefined, false);
  assert.equal(host.lastInput, 0);
  assert.equal(a.length, 1);
  host.stack.setSysctl('tcp_delayed_ack', 1);
});

test('a FIN in ESTABLISHED: the close from the handler sends one FIN|ACK that acknowledges it', () => {
  const host = new Host();
  const c = established(host);
  const out = host.send(c.dport, c.rcvNxt, c.sndNxt, FIN | ACK, 0, 65535, [], undefined, false);
  assert.equal(host.lastInput, 1);
  assert.deepEqual(out, []);
  assert.equal(host.stack.close(c.h!), 0);
  const f = host.drain();
  assert.equal(f.length, 1, JSON.stringify(f));
  assert.equal(f[0].flags, FIN | ACK);
  assert.equal(f[0].ack >>> 0, (c.rcvNxt + 1) >>> 0);
  host.takeEvents();
  assert.deepEqual(host.drain(), []);
});

test('a connection aborted from the handler sends its RST and nothing after it', () => {
  const host = new Host();
  const c = established(host);
  const { second } = twoSegments(host, c);
  assert.equal(second, 1);
  assert.equal(host.stack.abort(c.h!), 0);
  const rst = host.drain();
  assert.equal(rst.length, 1);
  assert.ok(rst[0].flags & 4, 'RST');
  host.takeEvents();
  host.stack.runTimers();
  assert.deepEqual(host.drain(), [], 'no ACK from the freed connection');
});
