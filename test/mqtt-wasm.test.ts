// Issue 25 (MQTT) in Node: the same C client (boards/common/apps/mqtt, compiled to wasm32 by clang-19,
// host/mqtt-wasm.ts wiring its asnet.h imports to a host/stack.ts Stack) against aedes on a second
// stack, with an mqtt.js peer, in virtual time at 0 % and 5 % loss: every QoS both ways, retained,
// 256 KiB each way byte-exact, unsubscribe; a dead link: the PINGRESP timeout closes the client,
// aedes publishes its will, and the resumed session (clean session 0) re-sends its QoS 1/2
// PUBLISHes with DUP once the link is back.
import { test, before, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { Aedes } from 'aedes';
import { Sim } from '../host/sim.ts';
import { HostNet } from '../host/net.ts';
import { MqttWasmClient, type MqttWasmMessage } from '../host/mqtt-wasm.ts';

const ROOT = join(import.meta.dirname, '..');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

before(() => {
  if (spawnSync('sh', ['-c', 'command -v clang-19 && command -v wasm-ld-19']).status !== 0) {
    assert.fail("mqtt-wasm: clang-19 / wasm-ld-19 are missing. Fix: apt-get install -y clang-19 lld-19");
  }
  execFileSync('make', ['-C', join(ROOT, 'boards', 'common', 'apps', 'mqtt'), '-s', 'wasm'], { stdio: 'pipe', timeout: 120_000 });
});

/** Worlds of the running test: shut down after it, so a failed assertion does not leave the loop running. */
const worlds: { net: HostNet; stop: () => void }[] = [];
afterEach(() => { for (const w of worlds.splice(0)) { w.stop(); w.net.shutdown(); } });

async function world(seed: number, loss: number) {
  const sim = new Sim({ seed });
  const a = sim.addStack({ name: 'device', mac: '02:00:00:00:00:01', ip: '192.0.2.1' });
  const b = sim.addStack({ name: 'broker', mac: '02:00:00:00:00:02', ip: '192.0.2.2' });
  const wire = sim.connect([a, b], { impair: { delayMs: 1, loss } });
  const net = new HostNet(sim, { stack: a });
  const broker = new Aedes();
  await broker.listen();
  const listener = net.createServer(b, (s) => broker.handle(s)).listen(1883);
  const peer = (id: string) => new mqtt.MqttClient(() => net.createConnection(1883, '192.0.2.2') as never,
    { clientId: id, protocolVersion: 4, reconnectPeriod: 0, keepalive: 30, timerVariant: net.timers.mqttTimer as never });
  const devices: MqttWasmClient[] = [];
  worlds.push({ net, stop: () => devices.forEach((d) => d.stop()) });
  const device = (opts: Partial<ConstructorParameters<typeof MqttWasmClient>[0]> = {}) => {
    const d = new MqttWasmClient({ stack: a, timers: net.timers, now: () => sim.clock.now, broker: '192.0.2.2', clientId: 'dev', ...opts });
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
  return { sim, a, b, wire, net, broker, listener, peer, device, sleep, until };
}

function record(c: MqttWasmClient) {
  const r = { messages: [] as MqttWasmMessage[], published: [] as { id: number; qos: number; err: string }[],
    closed: [] as string[], connected: [] as boolean[], subacks: [] as number[][] };
  c.on('message', (m) => r.messages.push(m));
  c.on('published', (p) => r.published.push(p));
  c.on('closed', (e) => r.closed.push(e));
  c.on('connected', (sp) => r.connected.push(sp));
  c.on('suback', (s) => r.subacks.push(s.codes));
  return r;
}

for (const loss of [0, 0.05]) {
  test(`C client (wasm) + aedes: QoS 0/1/2 both ways, retained, 256 KiB each way, unsubscribe (${loss * 100} % loss)`, { timeout: 120_000 }, async () => {
    const w = await world(2500 + loss * 100, loss);
    const p = w.peer('peer');
    await once(p as never, 'connect');
    await p.publishAsync('state/door', 'open', { qos: 1, retain: true });
    const fromDevice: string[] = [];
    p.on('message', (topic, payload, packet) => fromDevice.push(`${topic}=${payload.length > 64 ? sha(payload) : payload} q${packet.qos}${packet.retain ? ' r' : ''}`));
    await p.subscribeAsync({ 'up/#': { qos: 2 }, 'ret/#': { qos: 1 } });

    const d = w.device({ keepalive: 10 });
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

    for (const q of [0, 1, 2] as const) await p.publishAsync(`down/q${q}`, `peer ${q}`, { qos: q });
    await w.until('three messages to the device', () => r.messages.length === 4);
    assert.deepEqual(r.messages.slice(1).map((m) => `${m.topic}=${m.payload} q${m.qos}`).sort(),
      ['down/q0=peer 0 q0', 'down/q1=peer 1 q1', 'down/q2=peer 2 q2']);

    const big = Buffer.from(Uint8Array.from({ length: 256 * 1024 }, (_, i) => Math.imul(i, 2654435761) >>> 24));
    assert.ok(d.publish('up/big', big, 1) > 0);
    await w.until('256 KiB to the peer', () => fromDevice.length === 5, 120_000);
    assert.equal(fromDevice[4], `up/big=${sha(big)} q1`);
    const down = Buffer.from(Uint8Array.from({ length: 256 * 1024 }, (_, i) => (i * 7 + (i >> 11)) & 255));
    await p.publishAsync('down/big', down, { qos: 2 });
    await w.until('256 KiB to the device', () => r.messages.length === 5, 120_000);
    assert.equal(sha(r.messages[4].payload), sha(down));

    assert.ok(d.unsubscribe('down/#') > 0);
    await once(d, 'unsuback');
    await p.publishAsync('down/late', 'unsubscribed', { qos: 1 });
    await w.sleep(500);
    assert.equal(r.messages.length, 5, 'no message after UNSUBACK');

    assert.equal(d.disconnect(), 0);
    await w.until('the clean close', () => r.closed.length === 1);
    assert.deepEqual(r.closed, ['OK']);
    d.stop();
    await p.endAsync();
    await w.broker.close();
    w.listener.close();
    await w.net.idle();
  });
}

test('C client (wasm) + aedes: the in-flight window holds 4 publishes; the fifth is refused with E_BUSY until an ack frees a slot', { timeout: 60_000 }, async () => {
  const w = await world(2526, 0);
  const d = w.device({ keepalive: 60 });
  const r = record(d);
  d.connect();
  await w.until('CONNACK', () => r.connected.length === 1);
  w.wire.impair({ loss: 1 });                          // nothing is acknowledged meanwhile
  const ids = [1, 2, 3, 4].map((i) => d.publish(`win/${i}`, `m${i}`, i % 2 ? 1 : 2));
  assert.ok(ids.every((id) => id > 0), `ids ${ids}`);
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
  await w.broker.close();
  w.listener.close();
  await w.net.idle();
});

test('C client (wasm) + aedes: a dead link closes with E_TIMEOUT, aedes publishes the will, the resumed session re-sends QoS 1/2 with DUP', { timeout: 120_000 }, async () => {
  const w = await world(2525, 0);
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
    w.wire.impair({ loss: 0 });                        // back: aedes has not noticed yet (1.5 x keepalive)
    await w.until('the will', () => got.includes('will/resumer=resumer is gone q1'), 10_000);
    d.connect();
    await w.until('the resumed session', () => r.connected.length === 2);
    assert.deepEqual(r.connected, [false, true]);
    assert.equal(d.dupSent, 2, 'both PUBLISHes re-sent with DUP');
    await w.until('both flows complete', () => r.published.length === 2);
    assert.deepEqual(r.published.map((x) => `${x.qos} ${x.err}`).sort(), ['1 OK', '2 OK']);
    await w.until('the peer to get them', () => got.length === 3);
    assert.deepEqual(got.slice(1).sort(), ['res/q1=one q1', 'res/q2=two q2']);
    d.disconnect();
    await w.until('closed', () => r.closed.length === 2);
    d.stop();
    await p.endAsync();
    await w.broker.close();
    w.listener.close();
    await w.net.idle();
  } finally {
    restore();
  }
});
