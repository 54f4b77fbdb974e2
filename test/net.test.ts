// Issue 7: host/net.ts, the node:net-like API — sockets are Node Duplex streams over stacks on a
// virtual wire. Backpressure both ways, half-close, abort -> ECONNRESET, ECONNREFUSED, ETIMEDOUT,
// socket options, the HTTP example with keep-alive, and the README's snippet run as written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { Sim } from '../host/sim.ts';
import { HostNet, type Socket } from '../host/net.ts';
import { HttpClient, serveHttp } from '../examples/http.ts';

const T = { timeout: 60_000 };

function world(seed = 1) {
  const sim = new Sim({ seed });
  const a = sim.addStack({ name: 'A', mac: '02:00:00:00:00:01', ip: '192.0.2.1' });
  const b = sim.addStack({ name: 'B', mac: '02:00:00:00:00:02', ip: '192.0.2.2' });
  const wire = sim.connect([a, b], { impair: { delayMs: 1 } });
  return { sim, a, b, wire, net: new HostNet(sim) };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const errorOf = (s: Socket) => new Promise<NodeJS.ErrnoException>((resolve) => s.on('error', resolve));

test('backpressure: 4 MiB to a slow reader; write() says stop, memory stays bounded, data byte-exact', T, async () => {
  const { a, b, net } = world(2);
  const data = Buffer.from(Uint8Array.from({ length: 4 << 20 }, (_, i) => (i * 2654435761) >>> 24));
  const received: Buffer[] = [];
  let maxBuffered = 0;
  let server: ReturnType<typeof net.createServer> | undefined;
  const done = new Promise<void>((resolve) => {
    server = net.createServer(b, (sock) => {
      sock.pause();                                          // a slow application: reads in bursts
      const timer = setInterval(() => { sock.resume(); setImmediate(() => sock.pause()); }, 2);
      sock.on('data', (d: Buffer) => received.push(d));
      sock.on('end', () => { clearInterval(timer); sock.end(); resolve(); });
    }).listen(9000);
  });
  const c = net.connect({ stack: a, host: '192.0.2.2', port: 9000 });
  await once(c, 'connect');
  let falses = 0, off = 0;
  while (off < data.length) {
    const ok = c.write(data.subarray(off, off + 64 * 1024));
    off += 64 * 1024;
    maxBuffered = Math.max(maxBuffered, c.writableLength);
    if (!ok) { falses++; await once(c, 'drain'); }
  }
  c.end();
  await done;
  assert.ok(falses > 10, `write() returned false ${falses} times`);
  assert.ok(maxBuffered <= 128 * 1024, `at most ${maxBuffered} bytes waited in the stream`);
  assert.equal(sha(Buffer.concat(received)), sha(data));
  c.resume();
  server!.close();
  await net.idle();
});

test('half-close (allowHalfOpen: true): the client ends, the server still sends, then ends; both see everything', T, async () => {
  const { a, b, net } = world(3);
  const server = net.createServer({ stack: b, allowHalfOpen: true }, (sock) => {
    const got: Buffer[] = [];
    sock.on('data', (d: Buffer) => got.push(d));
    sock.on('end', () => {                                   // client's FIN: we may still write
      sock.write(`you said ${Buffer.concat(got).toString()}; `);
      setTimeout(() => sock.end('bye'), 20);
    });
  }).listen(7);
  const c = net.connect({ stack: a, host: '192.0.2.2', port: 7 }, () => c.end('hello'));
  const chunks: Buffer[] = [];
  c.on('data', (d: Buffer) => chunks.push(d));
  await once(c, 'end');
  assert.equal(Buffer.concat(chunks).toString(), 'you said hello; bye');
  server.close();
  await net.idle();
  assert.equal(a.netstatCounts().ESTABLISHED + b.netstatCounts().ESTABLISHED, 0);
});

test('resetAndDestroy() aborts: the peer gets ECONNRESET', T, async () => {
  const { a, b, net } = world(4);
  const server = net.createServer(b, (sock) => { sock.write('x'); setTimeout(() => sock.resetAndDestroy(), 10); }).listen(7);
  const c = net.connect({ stack: a, host: '192.0.2.2', port: 7 });
  c.resume();
  const e = await errorOf(c);
  assert.equal(e.code, 'ECONNRESET');
  server.close();
  await net.idle();
});

test('connect to a closed port: ECONNREFUSED', T, async () => {
  const { a, net } = world(5);
  const c = net.connect({ stack: a, host: '192.0.2.2', port: 4444 });
  const e = await errorOf(c);
  assert.equal(e.code, 'ECONNREFUSED');
  await net.idle();
});

test('a wire that drops everything: ETIMEDOUT after tcp_retries2', T, async () => {
  const { a, b, wire, net } = world(6);
  a.setSysctl('tcp_retries2', 3);
  let peer: Socket | undefined;
  const server = net.createServer(b, (sock) => { peer = sock; sock.on('error', () => {}); sock.resume(); }).listen(7);
  const c = net.connect({ stack: a, host: '192.0.2.2', port: 7 });
  await once(c, 'connect');
  wire.impair({ loss: 1 });
  c.write('into the void');
  const e = await errorOf(c);
  assert.equal(e.code, 'ETIMEDOUT');
  server.close();
  peer?.destroy();                                          // B never heard of the failure: abort it too
  await net.idle();
});

test('setNoDelay and setKeepAlive reach the stack (getsockopt)', T, async () => {
  const { a, b, net } = world(7);
  const server = net.createServer(b, (sock) => { sock.resume(); sock.on('end', () => sock.end()); }).listen(7);
  const c = net.connect({ stack: a, host: '192.0.2.2', port: 7 });
  await Promise.all([once(c, 'connect'), once(server, 'connection')]);   // closing the listener earlier would reset it
  c.setNoDelay(true).setKeepAlive(true, 30_000);
  assert.equal(a.getsockopt(c.handle, 'TCP_NODELAY'), 1);
  assert.equal(a.getsockopt(c.handle, 'SO_KEEPALIVE'), 1);
  assert.equal(a.getsockopt(c.handle, 'TCP_KEEPIDLE'), 30);
  assert.equal(c.remoteAddress, '192.0.2.2');
  assert.equal(c.remotePort, 7);
  c.end();
  server.close();
  c.resume();
  await net.idle();
});

test('HTTP example: GET 200 and 404 and a POST over one keep-alive connection', T, async () => {
  const { a, b, net } = world(8);
  let connections = 0;
  const server = serveHttp(net, b, 80, (req) =>
    req.path === '/' ? { status: 200, body: 'home' } : req.path === '/echo' ? { status: 200, body: req.body } : { status: 404, body: 'nope' });
  server.on('connection', () => connections++);
  const client = new HttpClient(net, a, '192.0.2.2');
  const r1 = await client.fetch('/');
  const r2 = await client.fetch('/missing');
  const r3 = await client.fetch('/echo', { method: 'POST', body: 'ping' });
  assert.deepEqual([r1.status, r1.body.toString()], [200, 'home']);
  assert.deepEqual([r2.status, r2.body.toString()], [404, 'nope']);
  assert.deepEqual([r3.status, r3.body.toString()], [200, 'ping']);
  assert.equal(r1.headers.connection, 'keep-alive');
  assert.equal(connections, 1, 'one connection for all three');
  client.close();
  server.close();
  await net.idle();
});

test('the README "Using the host API" snippet runs as written', T, () => {
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Using the host API'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code, 'a ts code block in the section');
  const file = join(import.meta.dirname, '..', `readme-snippet-${process.pid}.ts`);
  writeFileSync(file, code);
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 30_000 });
    assert.match(out, /hello over the virtual wire/);
  } finally {
    rmSync(file, { force: true });
  }
});
