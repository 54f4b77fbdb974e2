// Issue 25, the AssemblyScript application API: the MQTT 3.1.1 client of apps/mqtt compiled into the
// stack's own module (examples/as-app/mqtt-harness.ts, driven through test/helpers/mqtt-as.ts)
// against aedes on a second stack, with an mqtt.js peer on a third, in virtual time at 0 % and 5 %
// loss: every QoS both ways, retained, 256 KiB each way byte-exact, credentials, unsubscribe, the
// in-flight window; a dead link: the PINGRESP timeout closes the client, aedes publishes its will,
// and the resumed session (clean session 0) re-sends its QoS 1/2 PUBLISHes with DUP (at 0 % and
// 5 % loss), delivered once. The example app (examples/as-app/mqtt.ts -> build/mqtt-app.wasm)
// connects, subscribes, publishes telemetry and echoes commands.
import { test, before, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { Aedes } from 'aedes';
import { Sim } from '../host/sim.ts';
import { HostNet } from '../host/net.ts';
import type { MqttWasmMessage } from '../host/mqtt-wasm.ts';
import { compileHarness, MqttAsClient } from './helpers/mqtt-as.ts';

const ROOT = join(import.meta.dirname, '..');
const APP = join(ROOT, 'build', 'mqtt-app.wasm');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
let harness = '';

before(() => {
  harness = compileHarness();
  assert.ok(existsSync(APP), `${APP} is missing: run 'npm run -s build'`);
}, { timeout: 200_000 });

const worlds: { net: HostNet; stop: () => void }[] = [];
afterEach(() => { for (const w of worlds.splice(0)) { w.stop(); w.net.shutdown(); } });

async function world(seed: number, loss: number, opts: { wasm?: string; aedes?: ConstructorParameters<typeof Aedes>[0]; startMs?: number } = {}) {
  const sim = new Sim({ seed, startMs: opts.startMs });
  const a = sim.addStack({ name: 'device', mac: '02:00:00:00:00:01', ip: '192.0.2.1', wasmPath: opts.wasm ?? harness });
  const b = sim.addStack({ name: 'broker', mac: '02:00:00:00:00:02', ip: '192.0.2.2' });
  const c = sim.addStack({ name: 'peer', mac: '02:00:00:00:00:03', ip: '192.0.2.3' });
  const wire = sim.connect([a, b, c], { impair: { delayMs: 1, loss } });
  const net = new HostNet(sim, { stack: c });
  const broker = new Aedes(opts.aedes);
  await broker.listen();
  const listener = net.createServer(b, (s) => broker.handle(s)).listen(1883);
  const peers: mqtt.MqttClient[] = [];
  const peer = (id: string) => {
    const p = new mqtt.MqttClient(() => net.createConnection(1883, '192.0.2.2') as never,
      { clientId: id, protocolVersion: 4, reconnectPeriod: 0, keepalive: 30, timerVariant: net.timers.mqttTimer as never });
    peers.push(p);
    return p;
  };
  const devices: MqttAsClient[] = [];
  // After a failed assertion too: the devices, the peers and the broker, so the file ends.
  worlds.push({ net, stop: () => { devices.forEach((d) => d.stop()); peers.forEach((p) => p.end(true)); broker.close(); } });
  const device = (o: Partial<ConstructorParameters<typeof MqttAsClient>[0]> = {}) => {
    const d = new MqttAsClient({ stack: a, timers: net.timers, now: () => sim.clock.now, broker: '192.0.2.2', clientId: 'dev', ...o });
    devices.push(d);
    return d;
  };
  const sleep = (ms: number) => new Promise<void>((r) => net.timers.setTimeout(() => r(), ms));
  async function until(what: string, pred: () => boolean, ms = 60_000): Promise<void> {
    const end = sim.clock.now + ms;
    while (!pred()) {
      if (sim.clock.now > end) assert.fail(`timed out (${ms} virtual ms) waiting for ${what}`);
      await sleep(10);
    }
  }
  async function end(p?: mqtt.MqttClient) {
    if (p) await p.endAsync();
    await broker.close();
    listener.close();
    await net.idle();
  }
  return { sim, a, b, c, wire, net, broker, listener, peer, device, sleep, until, end };
}

function record(c: MqttAsClient) {
  const r = { messages: [] as MqttWasmMessage[], published: [] as { id: number; qos: number; err: string }[],
    closed: [] as string[], connected: [] as boolean[], subacks: [] as number[][], unsubacks: 0 };
  c.on('message', (m) => r.messages.push(m));
  c.on('published', (p) => r.published.push(p));
  c.on('closed', (e) => r.closed.push(e));
  c.on('connected', (sp) => r.connected.push(sp));
  c.on('suback', (s) => r.subacks.push(s.codes));
  c.on('unsuback', () => r.unsubacks++);
  return r;
}

for (const loss of [0, 0.05]) {
  test(`AS client + aedes: QoS 0/1/2 both ways, retained, 256 KiB each way, credentials, unsubscribe (${loss * 100} % loss)`, { timeout: 180_000 }, async () => {
    const users = new Map<string, string>([['dev', 's3cret']]);
    const w = await world(3500 + loss * 100, loss, { aedes: {
      authenticate: (client, user, pass, done) => {
        const ok = user === undefined ? client.id !== 'dev' : users.get(user) === pass?.toString();   // the device must log in
        done(ok ? null : Object.assign(new Error('bad credentials'), { returnCode: 4 }) as never, ok);
      } } });
    const p = w.peer('peer');
    await once(p as never, 'connect');
    await p.publishAsync('state/door', 'open', { qos: 1, retain: true });
    const fromDevice: string[] = [];
    p.on('message', (topic, payload, packet) => fromDevice.push(`${topic}=${payload.length > 64 ? sha(payload) : payload} q${packet.qos}${packet.retain ? ' r' : ''}`));
    await p.subscribeAsync({ 'up/#': { qos: 2 }, 'ret/#': { qos: 1 } });

    const bad = w.device({ clientId: 'intruder', username: 'dev', password: 'wrong' });
    const rb = record(bad);
    assert.equal(bad.connect(), 0);
    await w.until('the refusal', () => rb.closed.length === 1);
    assert.deepEqual(rb.closed, ['E_REFUSED']);
    assert.equal(bad.connackRc, 4, 'CONNACK 4: bad user name or password (§3.2.2.3)');
    bad.stop();

    const d = w.device({ keepalive: 10, username: 'dev', password: 's3cret' });
    const r = record(d);
    assert.equal(d.connect(), 0);
    await w.until('CONNACK', () => r.connected.length === 1);
    assert.ok(d.subscribe('state/#', 1) > 0);
    assert.ok(d.subscribe('down/#', 2) > 0);
    await w.until('SUBACKs', () => r.subacks.length === 2);
    assert.deepEqual(r.subacks, [[1], [2]]);
    await w.until('the retained message', () => r.messages.length === 1);
    assert.deepEqual([r.messages[0].topic, String(r.messages[0].payload), r.messages[0].retain, r.messages[0].qos], ['state/door', 'open', true, 1]);

    for (const q of [0, 1, 2] as const) assert.ok(d.publish(`up/q${q}`, `device ${q}`, q) >= 0);
    assert.ok(d.publish('ret/dev', 'kept', 1, true) > 0);
    await w.until('four publishes complete', () => r.published.length === 4);
    assert.deepEqual(r.published.map((x) => x.err), ['OK', 'OK', 'OK', 'OK']);
    await w.until('the peer to get them', () => fromDevice.length === 4);
    assert.deepEqual(fromDevice.slice().sort(), ['ret/dev=kept q1', 'up/q0=device 0 q0', 'up/q1=device 1 q1', 'up/q2=device 2 q2']);
    const late = w.peer('late');                       // the device's retained message reaches a later subscriber
    await once(late as never, 'connect');
    const lateGot: string[] = [];
    late.on('message', (t, pl, pk) => lateGot.push(`${t}=${pl} ${pk.retain ? 'r' : ''}`));
    await late.subscribeAsync('ret/#');
    await w.until('the retained device message', () => lateGot.length === 1);
    assert.deepEqual(lateGot, ['ret/dev=kept r']);
    await late.endAsync();

    for (const q of [0, 1, 2] as const) await p.publishAsync(`down/q${q}`, `peer ${q}`, { qos: q });
    await w.until('three messages to the device', () => r.messages.length === 4);
    assert.deepEqual(r.messages.slice(1).map((m) => `${m.topic}=${m.payload} q${m.qos}`).sort(),
      ['down/q0=peer 0 q0', 'down/q1=peer 1 q1', 'down/q2=peer 2 q2']);

    const big = Buffer.from(Uint8Array.from({ length: 256 * 1024 }, (_, i) => Math.imul(i, 2654435761) >>> 24));
    assert.ok(d.publish('up/big', big, 1) > 0);
    await w.until('256 KiB to the peer', () => fromDevice.length === 5, 150_000);
    assert.equal(fromDevice[4], `up/big=${sha(big)} q1`);
    const down = Buffer.from(Uint8Array.from({ length: 256 * 1024 }, (_, i) => (i * 7 + (i >> 11)) & 255));
    await p.publishAsync('down/big', down, { qos: 2 });
    await w.until('256 KiB to the device', () => r.messages.length === 5, 150_000);
    assert.equal(r.messages[4].payload.length, down.length);
    assert.equal(sha(r.messages[4].payload), sha(down));

    assert.ok(d.unsubscribe('down/#') > 0);
    await w.until('UNSUBACK', () => r.unsubacks === 1);
    await p.publishAsync('down/late', 'unsubscribed', { qos: 1 });
    await w.sleep(500);
    assert.equal(r.messages.length, 5, 'no message after UNSUBACK');

    assert.equal(d.disconnect(), 0);
    await w.until('the clean close', () => r.closed.length === 1);
    assert.deepEqual(r.closed, ['OK']);
    assert.equal(d.overflow, 0, 'the harness log never overflowed');
    d.stop();
    await w.end(p);
  });
}

test('AS client + aedes: the in-flight window holds 4 publishes; the fifth is refused with E_BUSY until an ack frees a slot', { timeout: 60_000 }, async () => {
  const w = await world(3526, 0);
  const d = w.device({ keepalive: 60 });
  const r = record(d);
  d.connect();
  await w.until('CONNACK', () => r.connected.length === 1);
  w.wire.impair({ loss: 1 });                          // nothing is acknowledged meanwhile
  const ids = [1, 2, 3, 4].map((i) => d.publish(`win/${i}`, `m${i}`, i % 2 ? 1 : 2));
  assert.ok(ids.every((id) => id > 0), `ids ${ids}`);
  assert.equal(new Set(ids).size, 4, 'distinct packet ids');
  assert.equal(d.publish('win/5', 'm5', 1), -14, 'E_BUSY with 4 in flight');
  assert.equal(d.publish('win/0', 'qos 0 too', 0), -14, 'a QoS 0 publish needs a slot as well');
  assert.equal(d.inflight, 4);
  await w.sleep(1000);
  w.wire.impair({ loss: 0 });                          // TCP retransmits, the acks come
  await w.until('the four flows', () => r.published.length === 4, 30_000);
  assert.deepEqual(r.published.map((p) => p.err), ['OK', 'OK', 'OK', 'OK']);
  assert.ok(d.publish('win/5', 'm5', 1) > 0, 'a slot is free again');
  await w.until('the fifth', () => r.published.length === 5);
  d.disconnect();
  await w.until('closed', () => r.closed.length === 1);
  d.stop();
  await w.end();
});

test('AS client: argument errors before anything is sent', { timeout: 60_000 }, async () => {
  const w = await world(3527, 0);
  // The harness module holds one client: each device() below re-initialises it.
  const e1 = w.device({ clientId: '', clean: false });
  assert.equal(e1.connect(), -16, 'E_ARG: empty client id needs a clean session (§3.1.3.1)');
  e1.stop();
  const e2 = w.device({ will: { topic: 'w/+', payload: 'x' } });
  assert.equal(e2.connect(), -8, 'E_TOPIC: wildcard in the will topic');
  e2.stop();
  const e3 = w.device({ username: undefined, password: 'p' });
  assert.equal(e3.connect(), -16, 'E_ARG: a password needs a user name (§3.1.2.9)');
  e3.stop();
  const d = w.device({ keepalive: 60 });
  const r = record(d);
  assert.equal(d.publish('a', 'x', 0), -15, 'E_STATE before connect');
  assert.equal(d.connect(), 0);
  assert.equal(d.connect(), -15, 'E_STATE: already connecting');
  await w.until('CONNACK', () => r.connected.length === 1);
  assert.equal(d.publish('a/+', 'x', 1), -8, 'E_TOPIC: wildcard in a topic name');
  assert.equal(d.publish('', 'x', 1), -8, 'E_TOPIC: empty topic');
  assert.equal(d.publish('a'.repeat(129), 'x', 1), -16, 'E_ARG: topic over MQTT_MAX_TOPIC');
  assert.equal(d.publish('a', 'x', 3 as 2), -16, 'E_ARG: QoS 3');
  assert.equal(d.subscribe('a/#/b', 1), -8, "E_TOPIC: '#' not last (§4.7.1)");
  assert.equal(d.subscribe('a+', 1), -8, "E_TOPIC: '+' not a whole level");
  assert.equal(d.subscribe('a', 3), -16, 'E_ARG: requested QoS 3');
  assert.equal(d.subscribeMany(Array.from({ length: 10 }, (_, i) => ({ filter: `f/${i}/${'x'.repeat(20)}`, qos: 0 }))), -13,
    'E_NOSPACE: a SUBSCRIBE over MQTT_SUB_MAX bytes');
  assert.equal(d.subscribeMany([]), -16, 'E_ARG: no filter');
  const id = d.subscribeMany([{ filter: 'm/1', qos: 0 }, { filter: 'm/+/x', qos: 1 }, { filter: '#', qos: 2 }]);
  assert.ok(id > 0);
  await w.until('SUBACK', () => r.subacks.length === 1);
  assert.deepEqual(r.subacks, [[0, 1, 2]]);
  d.disconnect();
  await w.until('closed', () => r.closed.length === 1);
  assert.equal(d.publish('a', 'x', 0), -15, 'E_STATE after disconnect');
  d.stop();
  await w.end();
});

for (const loss of [0, 0.05]) {
  test(`AS client + aedes: a dead link closes with E_TIMEOUT, aedes publishes the will, the resumed session re-sends QoS 1/2 with DUP (${loss * 100} % loss)`, { timeout: 180_000 }, async () => {
    const w = await world(3525 + loss * 100, loss);
    const restore = w.net.timers.install();              // aedes' keepalive uses the global timers
    try {
      const p = w.peer('watcher');
      await once(p as never, 'connect');
      const got: string[] = [];
      p.on('message', (topic, payload, packet) => got.push(`${topic}=${payload} q${packet.qos}`));
      await p.subscribeAsync({ 'will/#': { qos: 1 }, 'res/#': { qos: 2 } });
      const d = w.device({ clientId: 'resumer', clean: false, keepalive: 2, pingTimeoutMs: 1500,
        will: { topic: 'will/resumer', payload: 'resumer is gone', qos: 1 } });
      const r = record(d);
      d.connect();
      await w.until('CONNACK', () => r.connected.length === 1);
      d.subscribe('cmd/#', 1);                           // aedes reports a session present only when it holds subscriptions
      await w.until('SUBACK', () => r.subacks.length === 1);
      w.wire.impair({ loss: 1 });                        // the link dies
      assert.ok(d.publish('res/q1', 'one', 1) > 0);
      assert.ok(d.publish('res/q2', 'two', 2) > 0);
      await w.until('the broken-link timeout', () => r.closed.length === 1);
      assert.deepEqual(r.closed, ['E_TIMEOUT']);
      assert.equal(d.inflight, 2);
      w.wire.impair({ loss });                           // back: aedes has not noticed yet (1.5 x keepalive)
      await w.until('the will', () => got.includes('will/resumer=resumer is gone q1'), 20_000);
      assert.equal(d.connect(), 0);
      await w.until('the resumed session', () => r.connected.length === 2, 30_000);
      assert.deepEqual(r.connected, [false, true]);
      assert.equal(d.dupSent, 2, 'both PUBLISHes re-sent with DUP');
      await w.until('both flows complete', () => r.published.length === 2, 30_000);
      assert.deepEqual(r.published.map((x) => `${x.qos} ${x.err}`).sort(), ['1 OK', '2 OK']);
      await w.until('the peer to get them', () => got.length === 3, 30_000);
      await w.sleep(2000);
      assert.deepEqual(got.slice(1).sort(), ['res/q1=one q1', 'res/q2=two q2'], 'each delivered once');
      d.disconnect();
      await w.until('closed', () => r.closed.length === 2);
      d.stop();
      await w.end(p);
    } finally {
      restore();
    }
  });
}

test('AS client + aedes: no will after a clean DISCONNECT', { timeout: 60_000 }, async () => {
  const w = await world(3528, 0);
  const restore = w.net.timers.install();
  try {
    const p = w.peer('watcher');
    await once(p as never, 'connect');
    const got: string[] = [];
    p.on('message', (topic) => got.push(topic));
    await p.subscribeAsync('will/#');
    const d = w.device({ keepalive: 2, will: { topic: 'will/dev', payload: 'gone', qos: 1 } });
    const r = record(d);
    d.connect();
    await w.until('CONNACK', () => r.connected.length === 1);
    await w.sleep(5000);                               // keepalive PINGREQs keep it up meanwhile
    assert.equal(r.closed.length, 0, 'PINGREQ/PINGRESP keep the session alive');
    d.disconnect();
    await w.until('closed', () => r.closed.length === 1);
    await w.sleep(6000);
    assert.deepEqual(got, [], 'no will after DISCONNECT (§3.1.2.5)');
    d.stop();
    await w.end(p);
  } finally {
    restore();
  }
});

test('the example app (build/mqtt-app.wasm): connects, subscribes, publishes telemetry, echoes commands', { timeout: 60_000 }, async () => {
  // The clock starts a minute in, as a board's counts from boot, and the first tick comes before the
  // handshake is done, as on a board: a connect stamped 0 (the app used to connect from app_start
  // with time 0) timed out at that tick.
  const w = await world(3529, 0, { wasm: APP, startMs: 60_000 });
  const x = w.a.x as unknown as Record<string, (...a: number[]) => number>;
  const connects: string[] = [];
  w.broker.on('client', (cl) => connects.push(cl.id));
  const p = w.peer('operator');
  await once(p as never, 'connect');
  const got: { topic: string; payload: string; qos: number }[] = [];
  p.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), qos: packet.qos }));
  await p.subscribeAsync({ 'dev/asnet/#': { qos: 2 } });
  assert.equal(w.a.callApp('app_start'), 0);
  w.a.onEvent((e) => w.a.callApp('app_event', e.handle, e.events));
  w.a.callApp('app_tick', w.sim.clock.now);             // a board's loop ticks right after its first poll
  const timer = w.net.timers.setInterval(() => w.a.callApp('app_tick', w.sim.clock.now), 100);
  try {
    await w.until('two telemetry messages', () => got.filter((m) => m.topic === 'dev/asnet/telemetry').length >= 2, 30_000);
    const tel = got.filter((m) => m.topic === 'dev/asnet/telemetry');
    assert.match(tel[0].payload, /^\{"seq":\d+,"uptime_ms":\d+,"rx":\d+\}$/);
    assert.equal(tel[0].qos, 1);
    for (const q of [0, 1, 2] as const) await p.publishAsync(`dev/asnet/cmd/q${q}`, `ping ${q}`, { qos: q });
    await w.until('three echoes', () => got.filter((m) => m.topic.startsWith('dev/asnet/echo/')).length === 3);
    assert.deepEqual(got.filter((m) => m.topic.startsWith('dev/asnet/echo/')).map((m) => `${m.topic}=${m.payload} q${m.qos}`).sort(),
      ['dev/asnet/echo/q0=ping 0 q0', 'dev/asnet/echo/q1=ping 1 q1', 'dev/asnet/echo/q2=ping 2 q2']);
    assert.equal(x.app_mqtt_state(), 3, 'connected');
    assert.deepEqual(connects.filter((id) => id === 'asnet-dev'), ['asnet-dev'], 'one connection, never closed');
    assert.equal(x.app_mqtt_last_error(), 0, 'no close on the way');
    assert.ok(x.app_mqtt_echoed() === 3);
  } finally {
    w.net.timers.clearInterval(timer);
  }
  await w.end(p);
});
