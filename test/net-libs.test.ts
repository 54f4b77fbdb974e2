// Issue 22 item 3: the libraries people use, unmodified, over host/net.ts — Node's http with a
// keep-alive Agent, ws, mqtt + aedes, undici's fetch with a custom connector — each at 0 % and 5 %
// loss, in virtual time (net.timers handed to mqtt; install() for aedes' global timers).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import WebSocket, { WebSocketServer } from 'ws';
import mqtt from 'mqtt';
import { Aedes } from 'aedes';
import { Agent as UndiciAgent, fetch as undiciFetch } from 'undici';
import { Sim } from '../host/sim.ts';
import { HostNet, type Socket } from '../host/net.ts';

const T = { timeout: 60_000 };
const LOSSES = [0, 0.05];

/** Worlds of the running test: shut down after it, so a failed assertion does not leave the loop running. */
const worlds: { net: HostNet }[] = [];
afterEach(() => { for (const w of worlds.splice(0)) w.net.shutdown(); });

function world(seed: number, loss: number) {
  const sim = new Sim({ seed });
  const a = sim.addStack({ name: 'client', mac: '02:00:00:00:00:01', ip: '192.0.2.1' });
  const b = sim.addStack({ name: 'server', mac: '02:00:00:00:00:02', ip: '192.0.2.2' });
  const wire = sim.connect([a, b], { impair: { delayMs: 1, loss } });
  const net = new HostNet(sim, { stack: a });
  worlds.push({ net });
  /** Every socket error on either side, by code: a clean run has none. */
  const errors: string[] = [];
  // Errors raised by the stack carry a syscall (connect/read/write); a library's own destroy(err) does not.
  const watch = (s: Socket) => { s.on('error', (e: NodeJS.ErrnoException) => { if (e.syscall) errors.push(`${e.syscall} ${e.code}`); }); return s; };
  const sleep = (ms: number) => new Promise<void>((r) => net.timers.setTimeout(() => r(), ms));
  return { sim, a, b, wire, net, errors, watch, sleep };
}

/** Serves a node:http server on the stack's port: every accepted socket is handed to it. */
function serveHttp(w: ReturnType<typeof world>, server: http.Server, port = 80) {
  return w.net.createServer(w.b, (s) => { w.watch(s); server.emit('connection', s); }).listen(port);
}

function get(agent: http.Agent, path: string, extra: http.RequestOptions = {}): Promise<{ status: number; body: string; reused: boolean; req: http.ClientRequest }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '192.0.2.2', port: 80, path, agent, ...extra }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, reused: req.reusedSocket, req }));
    });
    req.on('error', reject);
  });
}

for (const loss of LOSSES) {
  test(`http keep-alive Agent: sequential and parallel requests on one connection, timeouts fire (${loss * 100} % loss)`, T, async () => {
    const w = world(101, loss);
    let connections = 0;
    const server = http.createServer((req, res) => {
      if (req.url === '/slow') { w.net.timers.setTimeout(() => res.end('late'), 5000); return; }
      res.end(`you asked ${req.url}`);
    });
    server.keepAliveTimeout = 2000;
    server.on('connection', () => connections++);
    const listener = serveHttp(w, server);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agent.createConnection = ((o: object) => w.watch(w.net.createConnection({ ...(o as { port: number }) }))) as never;

    const seq = [];
    for (const p of ['/1', '/2', '/3']) seq.push(await get(agent, p));
    assert.deepEqual(seq.map((r) => r.body), ['you asked /1', 'you asked /2', 'you asked /3']);
    assert.deepEqual(seq.map((r) => r.reused), [false, true, true]);
    const par = await Promise.all(['/a', '/b', '/c', '/d'].map((p) => get(agent, p)));
    assert.deepEqual(par.map((r) => r.body), ['you asked /a', 'you asked /b', 'you asked /c', 'you asked /d']);
    assert.equal(connections, 1, 'seven requests, one connection');

    // The server's keepAliveTimeout (socket.setTimeout) closes the idle connection after 2 s of virtual time.
    const t0 = w.sim.clock.now;
    const [sock] = Object.values(agent.freeSockets).flat() as unknown as Socket[];
    await once(sock, 'close');
    const idle = w.sim.clock.now - t0;
    // Node's server arms keepAliveTimeout + 1 s (its keep-alive timeout buffer) on the socket.
    assert.ok(idle >= 2000 && idle <= 3100, `keep-alive connection closed by the server after ${idle} virtual ms`);

    // A request timeout (http.get({ timeout }) -> socket.setTimeout) fires at 1 s; req.destroy() ends it.
    const t1 = w.sim.clock.now;
    const slow = http.get({ host: '192.0.2.2', port: 80, path: '/slow', agent, timeout: 1000 });
    slow.on('error', () => {});
    await once(slow, 'timeout');
    const waited = w.sim.clock.now - t1;
    assert.ok(waited >= 1000 && waited < 1500, `'timeout' after ${waited} virtual ms`);
    slow.destroy();
    // req.setTimeout() on a request with a reply in time: no 'timeout'. "In time" under loss leaves
    // room for retransmissions: this request opens a new connection, and a lost SYN is resent after
    // the initial RTO of 1 s (RFC 6298 §2.1), so a 1 s timeout would fire whenever the draw hits it.
    // Its own agent: Node's agent opens the socket for a queued request with the options of the
    // socket it removed (here /slow's timeout: 1000), which would arm that 1 s on this one.
    const agent2 = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agent2.createConnection = agent.createConnection;
    const ok = await new Promise<string>((resolve, reject) => {
      const r = http.get({ host: '192.0.2.2', port: 80, path: '/fast', agent: agent2 }, (res) => { res.resume(); res.on('end', () => resolve('done')); });
      r.setTimeout(4000, () => reject(new Error('timeout fired on a fast request')));
    });
    assert.equal(ok, 'done');
    agent.destroy();
    agent2.destroy();
    listener.close();
    await w.net.idle();
    assert.deepEqual(w.errors, [], 'agent.destroy() and the server timeout close without RST');
  });

  test(`ws: handshake, 1 MiB binary echoed byte-exact, clean close (${loss * 100} % loss)`, T, async () => {
    const w = world(202, loss);
    const server = http.createServer();
    const wss = new WebSocketServer({ server });
    wss.on('connection', (ws) => ws.on('message', (m, binary) => ws.send(m, { binary })));
    const listener = serveHttp(w, server);
    const client = new WebSocket('ws://192.0.2.2/', { createConnection: ((o: object) => w.watch(w.net.createConnection(o as { port: number }))) as never });
    await once(client, 'open');
    const data = Buffer.from(Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 2654435761) >>> 24));
    client.send(data);
    const [echo] = await once(client, 'message');
    assert.equal(createHash('sha256').update(echo as Buffer).digest('hex'), createHash('sha256').update(data).digest('hex'));
    client.close(1000, 'bye');
    const [code] = await once(client, 'close');
    assert.equal(code, 1000);
    wss.close();
    listener.close();
    await w.net.idle();
    assert.deepEqual(w.errors, []);
  });
}

test('ws: a handshake rejected with 401 under 5 % loss, 200 seeds: every client sees the 401', { timeout: 120_000 }, async () => {
  let saw401 = 0;
  const other: string[] = [];
  for (let seed = 1; seed <= 200; seed++) {
    const w = world(seed, 0.05);
    const server = http.createServer();
    const wss = new WebSocketServer({ server, verifyClient: (_info, cb) => cb(false, 401, 'Unauthorized') });
    const listener = serveHttp(w, server);
    const client = new WebSocket('ws://192.0.2.2/', { createConnection: ((o: object) => w.net.createConnection(o as { port: number })) as never });
    const outcome = await new Promise<string>((resolve) => {
      client.on('unexpected-response', (_req, res) => { resolve(String(res.statusCode)); res.resume(); });
      client.on('error', (e: NodeJS.ErrnoException) => resolve(`${e.code ?? e.message}`));
    });
    if (outcome === '401') saw401++; else other.push(`seed ${seed}: ${outcome}`);
    client.terminate();
    wss.close();
    listener.close();
    await w.net.idle();
  }
  assert.deepEqual(other, []);
  assert.equal(saw401, 200);
});

async function mqttWorld(seed: number, loss: number) {
  const w = world(seed, loss);
  const broker = new Aedes();
  await broker.listen();
  const brokerErrors: string[] = [];
  broker.on('clientError', (_c, e: NodeJS.ErrnoException) => brokerErrors.push(`${e.code ?? e.message}`));
  const listener = w.net.createServer(w.b, (s) => { w.watch(s); broker.handle(s); }).listen(1883);
  const client = (id: string, opts: mqtt.IClientOptions = {}) => new mqtt.MqttClient(
    () => w.watch(w.net.createConnection(1883, '192.0.2.2')) as never,
    { clientId: id, protocolVersion: 4, reconnectPeriod: 0, keepalive: 30, timerVariant: w.net.timers.mqttTimer as never, ...opts },
  );
  return { ...w, broker, brokerErrors, listener, client };
}

for (const loss of LOSSES) {
  test(`mqtt + aedes: QoS 0/1/2, retained, clean disconnect without ECONNRESET (${loss * 100} % loss)`, T, async () => {
    const m = await mqttWorld(303, loss);
    const pub = m.client('pub');
    const sub = m.client('sub');
    await Promise.all([once(pub as never, 'connect'), once(sub as never, 'connect')]);
    await pub.publishAsync('state/door', 'open', { qos: 1, retain: true });
    const got: string[] = [];
    sub.on('message', (topic, payload, packet) => got.push(`${topic}=${payload} q${packet.qos}${packet.retain ? ' r' : ''}`));
    const t0 = m.sim.clock.now;
    await sub.subscribeAsync({ 'state/#': { qos: 2 }, 'data/#': { qos: 2 } });
    await Promise.all([0, 1, 2, 1].map((qos, i) => pub.publishAsync(`data/q${qos}`, `m${i}`, { qos: qos as 0 | 1 | 2 })));
    while (got.length < 5) await m.sleep(10);
    const took = m.sim.clock.now - t0;
    assert.deepEqual(got.slice(0, 1), ['state/door=open q1 r'], 'the retained message first');
    assert.deepEqual(got.slice(1).sort(), ['data/q0=m0 q0', 'data/q1=m1 q1', 'data/q1=m3 q1', 'data/q2=m2 q2']);
    // Corked packets leave in one send (_writev): ~500 virtual ms (two Nagle + delayed-ACK rounds of
    // the 250 ms fast timer); one send per write took 1510 ms.
    if (loss === 0) assert.ok(took < 600, `subscribe + 4 publishes took ${took} virtual ms`);
    await pub.publishAsync('data/big', Buffer.alloc(256 * 1024, 1), { qos: 1 });
    while (got.length < 6) await m.sleep(50);
    assert.equal(got[5], `data/big=${Buffer.alloc(256 * 1024, 1)} q1`);
    await Promise.all([pub.endAsync(), sub.endAsync()]);
    await m.broker.close();
    m.listener.close();
    await m.net.idle();
    assert.deepEqual(m.errors, [], 'no socket error on either side');
    assert.deepEqual(m.brokerErrors, []);
  });

  test(`aedes keepalive: the broker drops a client whose link is lost after 1.5 x keepalive (${loss * 100} % loss)`, T, async () => {
    const m = await mqttWorld(404, loss);
    const restore = m.net.timers.install();            // aedes' keepalive uses the global setTimeout
    try {
      const c = m.client('sleepy', { keepalive: 2 });
      c.on('error', () => {});
      await once(c as never, 'connect');
      await m.sleep(5000);                               // pings keep it alive meanwhile
      assert.equal(m.broker.connectedClients, 1);
      const lost = m.sim.clock.now;
      m.wire.impair({ loss: 1 });
      const [client] = await once(m.broker, 'keepaliveTimeout');
      const after = m.sim.clock.now - lost;
      assert.equal(client.id, 'sleepy');
      assert.ok(after > 1000 && after <= 3100, `dropped ${after} virtual ms after the link went (keepalive 2 s x 1.5)`);
      c.end(true);
      await m.broker.close();
      m.listener.close();
      m.wire.impair({ loss: 0 });
      await m.net.idle();
    } finally {
      restore();
    }
  });

  test(`undici fetch with a custom connector (${loss * 100} % loss)`, T, async () => {
    const w = world(505, loss);
    const server = http.createServer((req, res) => {
      let n = 0;
      req.on('data', (d: Buffer) => { n += d.length; });
      req.on('end', () => res.end(JSON.stringify({ method: req.method, url: req.url, bytes: n })));
    });
    const listener = serveHttp(w, server);
    const dispatcher = new UndiciAgent({
      connect: (opts, cb) => {
        const s = w.watch(w.net.createConnection({ host: opts.hostname, port: Number(opts.port) || 80 }));
        s.once('connect', () => cb(null, s as never));
        s.once('error', (e) => cb(e, null));
      },
    });
    const r1 = await undiciFetch('http://192.0.2.2/hello', { dispatcher });
    assert.deepEqual(await r1.json(), { method: 'GET', url: '/hello', bytes: 0 });
    const r2 = await undiciFetch('http://192.0.2.2/up', { dispatcher, method: 'POST', body: Buffer.alloc(200_000, 2) });
    assert.deepEqual(await r2.json(), { method: 'POST', url: '/up', bytes: 200_000 });
    await dispatcher.close();
    listener.close();
    server.close();
    await w.net.idle();
    assert.deepEqual(w.errors, []);
  });
}
