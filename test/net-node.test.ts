// Issue 22 item 1-2: host/net.ts behaves as node:net documents — destroy() is close(2) (FIN after
// the queued data, RST only with unread data), resetAndDestroy() is RST, allowHalfOpen false,
// setTimeout/'timeout', ref/unref, address(), readyState, bufferSize, destroySoon, families, one
// send for corked writes, pending, addresses after close, syscall names, host names through the
// stack's DNS with 'lookup'; Server getConnections/listening/ref/unref/maxConnections/close()/listen
// forms; HostNet createConnection and connect options; virtual timers and idle() draining.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Sim } from '../host/sim.ts';
import { HostNet, type Socket } from '../host/net.ts';
import { RawHost, parseMac } from './helpers/raw-host.ts';
import { DnsServer } from './helpers/dns-server.ts';

const T = { timeout: 60_000 };

function world(seed = 1, loss = 0) {
  const sim = new Sim({ seed });
  const a = sim.addStack({ name: 'A', mac: '02:00:00:00:00:01', ip: '192.0.2.1' });
  const b = sim.addStack({ name: 'B', mac: '02:00:00:00:00:02', ip: '192.0.2.2' });
  const wire = sim.connect([a, b], { impair: { delayMs: 1, loss } });
  return { sim, a, b, wire, net: new HostNet(sim, { stack: a }) };
}

/** TCP segments on the wire: [from, flags, payload length]. */
function segments(wire: ReturnType<typeof world>['wire']) {
  const log: { from: string; flags: number; len: number }[] = [];
  wire.tap((f, _t, from) => {
    if (f[12] !== 8 || f[13] !== 0 || f[23] !== 6) return;
    const ihl = (f[14] & 15) * 4, t = 14 + ihl, hl = (f[t + 12] >> 4) * 4;
    log.push({ from, flags: f[t + 13], len: ((f[16] << 8) | f[17]) - ihl - hl });
  });
  return log;
}
const RST = 4;
const unsettled = (s: ReturnType<typeof world>['a']) => {
  const n = s.netstatCounts();
  return n.SYN_SENT + n.SYN_RCVD + n.ESTABLISHED + n.FIN_WAIT_1 + n.FIN_WAIT_2 + n.CLOSE_WAIT + n.CLOSING + n.LAST_ACK;
};

for (const loss of [0, 0.05]) {
  test(`end(100,000 bytes) then destroy() on 'finish' delivers every byte, FIN not RST (${loss * 100} % loss)`, T, async () => {
    const { b, wire, net } = world(11, loss);
    const segs = segments(wire);
    const data = Buffer.alloc(100_000, 7);
    const server = net.createServer(b, (sock) => {
      sock.on('error', assert.fail);
      sock.end(data);
      sock.once('finish', () => sock.destroy());
    }).listen(80);
    const c = net.connect(80, '192.0.2.2');
    let got = 0;
    c.on('data', (d: Buffer) => { got += d.length; });
    c.on('error', assert.fail);
    await once(c, 'end');
    assert.equal(got, 100_000);
    server.close();
    await net.idle();
    assert.equal(segs.filter((s) => s.flags & RST).length, 0, 'no RST');
    assert.equal(unsettled(net.sim.stacks[0]) + unsettled(net.sim.stacks[1]), 0, 'idle() waited for the last ACKs');
  });
}

test('destroy() with unread data pending sends RST (the peer sees ECONNRESET); resetAndDestroy() always does', T, async () => {
  const { b, wire, net } = world(12);
  const segs = segments(wire);
  const accepted: Socket[] = [];
  const server = net.createServer(b, (sock) => {
    sock.pause();                                               // never reads
    if (accepted.push(sock) === 1) sock.write('x');
    else sock.resetAndDestroy();
  }).listen(80);
  const c1 = net.connect(80, '192.0.2.2');
  c1.write('unread by the server');
  await once(c1, 'data');
  await new Promise<void>((r) => net.timers.setTimeout(() => r(), 50));        // our bytes sit unread in B's stack
  accepted[0].destroy();
  const [e1] = await once(c1, 'error');
  assert.equal(e1.code, 'ECONNRESET');
  assert.equal(e1.syscall, 'read');
  const c2 = net.connect(80, '192.0.2.2');
  const [e2] = await once(c2, 'error');
  assert.equal(e2.code, 'ECONNRESET');
  assert.ok(segs.filter((s) => s.flags & RST && s.from === 'B').length >= 2);
  server.close();
  await net.idle();
});

test('allowHalfOpen defaults to false: a server that only reads still closes; idle() ends with nothing open', T, async () => {
  const { a, b, net } = world(13);
  const server = net.createServer(b, (sock) => { sock.resume(); }).listen(80);
  const c = net.connect(80, '192.0.2.2', () => c.end('bye'));
  c.resume();
  const [hadError] = await once(c, 'close');
  assert.equal(hadError, false);
  server.close();
  await net.idle();
  assert.equal(unsettled(a) + unsettled(b), 0);
  assert.equal(a.netstatCounts().TIME_WAIT, 1, 'the client closed first');
});

test('setTimeout: "timeout" after virtual idle time, reset by activity, 0 disables; the socket stays open', T, async () => {
  const { b, net } = world(14);
  const server = net.createServer(b, (sock) => { sock.on('data', () => {}); }).listen(80);
  const c = net.connect({ port: 80, host: '192.0.2.2', timeout: 5000 });
  const t0 = net.sim.clock.now;
  await once(c, 'connect');
  const pinger = net.timers.setInterval(() => c.write('.'), 1000);
  net.timers.setTimeout(() => pinger.close(), 10_000);
  await once(c, 'timeout');
  const elapsed = net.sim.clock.now - t0;
  assert.ok(elapsed >= 14_000 && elapsed < 14_100, `timeout after ${elapsed} virtual ms (last write at 9 s + 5 s)`);
  assert.equal(c.timeout, 5000);
  assert.equal(c.readyState, 'open');
  c.setTimeout(0);
  assert.equal(c.timeout, undefined);
  c.destroy();
  server.close();
  await net.idle();
});

test('unref(): an unref\'d socket and server let the loop stop; ref() brings it back', T, async () => {
  const { b, net } = world(15);
  const server = net.createServer(b, (s) => s.resume()).listen(80);
  const c = net.connect(80, '192.0.2.2');
  const [accepted] = await once(server, 'connection');
  c.unref(); server.unref(); accepted.unref();
  const before = net.sim.clock.now;
  await net.idle();                                           // would run forever if they held the loop
  assert.ok(net.sim.clock.now - before < 1000);
  c.ref();
  let fired = false;
  net.timers.setTimeout(() => { fired = true; c.destroy(); server.close(); }, 60_000);
  await net.idle();
  assert.ok(fired, 'ref\'d again: virtual time ran to the timer');
});

test('address(), readyState, pending, bufferSize, families, addresses after close, syscall and address of connect errors', T, async () => {
  const { b, net } = world(16);
  const server = net.createServer(b, (s) => { s.resume(); }).listen(80);
  const c = net.connect({ port: 80, host: '192.0.2.2', localPort: 40000 });
  assert.equal(c.pending, true);
  assert.equal(c.readyState, 'opening');
  assert.deepEqual(c.address(), {});
  await once(c, 'connect');
  assert.equal(c.pending, false);
  assert.equal(c.readyState, 'open');
  assert.deepEqual(c.address(), { address: '192.0.2.1', port: 40000, family: 'IPv4' });
  assert.equal(c.remoteFamily, 'IPv4');
  assert.equal(c.localFamily, 'IPv4');
  assert.equal(c.bufferSize, 0);
  c.end();
  c.resume();
  assert.equal(c.readyState, 'readOnly');
  await once(c, 'close');
  assert.equal(c.readyState, 'closed');
  assert.deepEqual([c.remoteAddress, c.remotePort, c.localAddress, c.localPort], ['192.0.2.2', 80, '192.0.2.1', 40000]);
  const bad = net.connect(81, '192.0.2.2');
  const [e] = await once(bad, 'error');
  assert.deepEqual([e.code, e.syscall, e.address, e.port, e.message], ['ECONNREFUSED', 'connect', '192.0.2.2', 81, 'connect ECONNREFUSED 192.0.2.2:81']);
  assert.throws(() => net.connect(70000, '192.0.2.2'), { code: 'ERR_SOCKET_BAD_PORT' });
  server.close();
  await net.idle();
});

test('corked writes go out as one segment (_writev), not one per write', T, async () => {
  const { b, wire, net } = world(17);
  const segs = segments(wire);
  const server = net.createServer(b, (s) => s.resume()).listen(80);
  const c = net.connect(80, '192.0.2.2');
  await once(c, 'connect');
  const from = segs.length;
  c.cork();
  for (const w of ['SUBSCRIBE', 'PUB1', 'PUB2', 'PUB3', 'PUB4']) c.write(w);
  process.nextTick(() => c.uncork());
  await new Promise<void>((r) => net.timers.setTimeout(() => r(), 300));
  const data = segs.slice(from).filter((s) => s.from === 'A' && s.len > 0);
  assert.deepEqual(data.map((s) => s.len), [9 + 4 * 4]);
  c.destroy();
  server.close();
  await net.idle();
});

test('destroySoon(): the queued data arrives, then the socket closes', T, async () => {
  const { b, net } = world(18);
  let got = '';
  let ended: () => void;
  const end = new Promise<void>((r) => { ended = r; });
  const server = net.createServer(b, (s) => { s.setEncoding('utf8'); s.on('data', (d: string) => { got += d; }); s.on('end', () => ended()); }).listen(80);
  const c = net.connect(80, '192.0.2.2', () => { c.write('a'.repeat(5000)); c.destroySoon(); });
  await once(c, 'close');
  await end;
  server.close();
  await net.idle();
  assert.equal(got.length, 5000);
});

test('host names resolve through the stack\'s DNS resolver, with "lookup"; unknown names fail with ENOTFOUND', T, async () => {
  const { sim, a, b, wire, net } = world(19);
  const ns = new RawHost(wire, 'NS', parseMac('02:00:00:00:00:35'), '192.0.2.53');
  new DnsServer(ns, { 'server.example': { ip: '192.0.2.2', ttl: 60 } }, () => sim.clock.now);
  a.dnsSetServer('192.0.2.53');
  const server = net.createServer(b, (s) => { s.resume(); s.end('hi'); }).listen(80);
  const c = net.connect({ host: 'server.example', port: 80 });
  const [err, address, family, host] = await once(c, 'lookup');
  assert.deepEqual([err, address, family, host], [null, '192.0.2.2', 4, 'server.example']);
  c.setEncoding('utf8');
  const [d] = await once(c, 'data');
  assert.equal(d, 'hi');
  const bad = net.connect(80, 'nowhere.example');
  const [e] = await once(bad, 'error');
  assert.deepEqual([e.code, e.syscall, e.hostname], ['ENOTFOUND', 'getaddrinfo', 'nowhere.example']);
  server.close();
  await net.idle();
});

test('Server: listening, address() of listen({ port }) and listen(port, host, cb), getConnections, close() waits for connections', T, async () => {
  const { b, net } = world(20);
  const s1 = net.createServer({ stack: b });
  assert.equal(s1.listening, false);
  s1.listen({ port: 81 });
  assert.equal(s1.listening, true);
  assert.deepEqual(s1.address(), { address: '0.0.0.0', port: 81, family: 'IPv4' });
  let called = false;
  const s2 = net.createServer(b, (sock) => sock.resume()).listen(82, '192.0.2.2', () => { called = true; });
  await once(s2, 'listening');
  assert.ok(called);
  assert.deepEqual(s2.address(), { address: '192.0.2.2', port: 82, family: 'IPv4' });
  const c = net.connect(82, '192.0.2.2');
  c.resume();
  await once(s2, 'connection');
  const count = await new Promise((r) => s2.getConnections((_e, n) => r(n)));
  assert.equal(count, 1);
  let closed = false;
  s2.close(() => { closed = true; });
  assert.equal(s2.listening, false);
  await new Promise<void>((r) => net.timers.setTimeout(() => r(), 2000));
  assert.equal(closed, false, "'close' waits while a connection is open");
  c.end();
  await once(s2, 'close');
  const [notRunning] = await new Promise<unknown[]>((r) => s2.close((...e) => r(e)));
  assert.equal((notRunning as NodeJS.ErrnoException).code, 'ERR_SERVER_NOT_RUNNING');
  const dup = net.createServer(b).listen(81);
  const [e] = await once(dup, 'error');
  assert.deepEqual([e.code, e.syscall, e.port], ['EADDRINUSE', 'listen', 81]);
  s1.close();
  await net.idle();
});

test('Server maxConnections: the connection over the limit is closed and "drop" emitted', T, async () => {
  const { b, net } = world(21);
  const server = net.createServer(b, (s) => s.resume()).listen(80);
  server.maxConnections = 1;
  const drops: unknown[] = [];
  server.on('drop', (d) => drops.push(d));
  const c1 = net.connect(80, '192.0.2.2');
  await once(server, 'connection');
  const c2 = net.connect(80, '192.0.2.2');
  c2.resume();
  await once(c2, 'end');
  assert.equal(drops.length, 1);
  c1.destroy();
  server.close();
  await net.idle();
});

test('createConnection({ ..., noDelay, keepAlive, keepAliveInitialDelay }) and (port, host) with the default stack', T, async () => {
  const { a, b, net } = world(22);
  const server = net.createServer(b, (s) => s.resume()).listen(80);
  const { createConnection } = net;
  const c = createConnection({ port: 80, host: '192.0.2.2', noDelay: true, keepAlive: true, keepAliveInitialDelay: 30_000 });
  await once(c, 'connect');
  assert.equal(a.getsockopt(c.handle, 'TCP_NODELAY'), 1);
  assert.equal(a.getsockopt(c.handle, 'SO_KEEPALIVE'), 1);
  assert.equal(a.getsockopt(c.handle, 'TCP_KEEPIDLE'), 30);
  const d = createConnection(80, '192.0.2.2');
  await once(d, 'connect');
  c.destroy(); d.destroy();
  server.close();
  await net.idle();
});

test('virtual timers: order and times on the sim clock, intervals, clear, refresh, install() for global callers', T, async () => {
  const { net } = world(23);
  const t = net.timers;
  const log: string[] = [];
  const t0 = net.sim.clock.now;
  const at = (s: string) => () => log.push(`${s}@${net.sim.clock.now - t0}`);
  t.setTimeout(at('b'), 2000);
  t.setTimeout(at('a'), 1000);
  const gone = t.setTimeout(at('never'), 1500);
  t.clearTimeout(gone);
  let n = 0;
  const iv = t.setInterval(() => { at('i')(); if (++n === 3) t.clearInterval(iv); }, 700);
  const r = t.setTimeout(at('refreshed'), 1000);
  t.setTimeout(() => r.refresh(), 500);
  const restore = t.install();
  try {
    setTimeout(at('global'), 2500);
  } finally {
    restore();
  }
  await net.idle();
  assert.deepEqual(log, ['i@700', 'a@1000', 'i@1400', 'refreshed@1500', 'b@2000', 'i@2100', 'global@2500']);
  assert.equal(t.count, 0);
});
