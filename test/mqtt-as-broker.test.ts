// Issue 25, the AssemblyScript MQTT client (apps/mqtt, in the stack's module through
// examples/as-app/mqtt-harness.ts) against a malicious fake broker on a second stack: each
// connection gets the next scenario, and each protocol violation must close the client with its
// own error code (never a trap: a trap throws out of Stack.callApp and fails the test); the same
// client then connects to the next scenario. Also the incoming QoS 2 state machine (a duplicate
// PUBLISH before PUBREL is acknowledged, not delivered twice; the id reused after PUBCOMP is a new
// message) and a dropped connection's PUBLISH re-sent with DUP = 1 and the same id on resume.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from '../host/sim.ts';
import { HostNet, type Socket } from '../host/net.ts';
import { compileHarness, MqttAsClient } from './helpers/mqtt-as.ts';
import { CONNACK, pkt, reader, str, u16, type Packet } from './helpers/mqtt-packets.mjs';

let harness = '';
before(() => { harness = compileHarness(); }, { timeout: 200_000 });

type Ctx = { sock: Socket; rec: Record<string, unknown> };
type Scenario = {
  name: string; expect: string;
  /** What the broker sends right after the client's CONNECT (default: CONNACK). */
  start?: (c: Ctx) => void;
  /** Every later packet of the client. */
  packet?: (c: Ctx, p: Packet) => void;
  /** What the device does once connected. */
  device?: (d: MqttAsClient) => void;
  clean?: boolean;
};

const w = (c: Ctx, ...b: Buffer[]) => c.sock.write(Buffer.concat(b));
const idOf = (p: Packet) => { const tl = p.body.readUInt16BE(0); return p.body.readUInt16BE(2 + tl); };

const SCENARIOS: Scenario[] = [
  { name: 'remaining length of 5 bytes (§2.2.3)', expect: 'E_REMAINING_LENGTH', start: (c) => w(c, CONNACK(), Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f])) },
  { name: 'packet type 0', expect: 'E_PACKET_TYPE', start: (c) => w(c, CONNACK(), Buffer.from([0x00, 0x00])) },
  { name: 'packet type 15', expect: 'E_PACKET_TYPE', start: (c) => w(c, CONNACK(), Buffer.from([0xf0, 0x00])) },
  { name: 'a CONNECT from the server', expect: 'E_PACKET_TYPE', start: (c) => w(c, CONNACK(), Buffer.from([0x10, 0x00])) },
  { name: 'SUBACK of 10,000 bytes (over the 512-byte buffer)', expect: 'E_TOO_BIG', start: (c) => w(c, CONNACK(), pkt(0x90, [...u16(1), ...Buffer.alloc(9998, 1)])) },
  { name: 'PUBLISH with a 1,000-byte topic', expect: 'E_TOO_BIG', start: (c) => w(c, CONNACK(), pkt(0x30, [...str('t'.repeat(1000)), 1, 2, 3])) },
  { name: 'PUBACK for an id never sent', expect: 'E_PACKET_ID', start: (c) => w(c, CONNACK(), pkt(0x40, u16(77))) },
  { name: 'CONNACK return code 5', expect: 'E_REFUSED', start: (c) => w(c, CONNACK(0, 5)) },
  { name: 'PUBACK with flags 0001 (§2.2.2)', expect: 'E_FLAGS', start: (c) => w(c, CONNACK(), pkt(0x41, u16(1))) },
  { name: 'PUBREL with flags 0000 (§3.6.1)', expect: 'E_FLAGS', start: (c) => w(c, CONNACK(), pkt(0x60, u16(1))) },
  { name: 'PUBLISH with QoS 3', expect: 'E_QOS', start: (c) => w(c, CONNACK(), pkt(0x36, [...str('a/b'), ...u16(1), 9])) },
  { name: 'DUP on a QoS 0 PUBLISH (§3.3.1.1)', expect: 'E_QOS', start: (c) => w(c, CONNACK(), pkt(0x38, [...str('a/b'), 9])) },
  { name: 'PUBLISH before CONNACK', expect: 'E_PROTOCOL', start: (c) => w(c, pkt(0x30, [...str('a/b'), 9])) },
  { name: 'a second CONNACK', expect: 'E_PROTOCOL', start: (c) => w(c, CONNACK(), CONNACK()) },
  { name: 'session present on a clean session (§3.2.2.2)', expect: 'E_PROTOCOL', start: (c) => w(c, CONNACK(1, 0)) },
  { name: 'topic C0 80 (overlong NUL, §1.5.3)', expect: 'E_TOPIC', start: (c) => w(c, CONNACK(), pkt(0x30, [0, 2, 0xc0, 0x80, 9])) },
  { name: 'wildcard in a PUBLISH topic', expect: 'E_TOPIC', start: (c) => w(c, CONNACK(), pkt(0x30, [...str('a/#'), 9])) },
  { name: 'CONNACK with remaining length 3', expect: 'E_MALFORMED', start: (c) => w(c, Buffer.from([0x20, 3, 0, 0, 0])) },
  { name: 'CONNACK return code 6 (reserved)', expect: 'E_MALFORMED', start: (c) => w(c, CONNACK(0, 6)) },
  { name: 'PUBLISH whose topic length runs past the packet', expect: 'E_MALFORMED', start: (c) => w(c, CONNACK(), pkt(0x30, [0, 50, 0x61, 0x62])) },
  { name: 'PUBLISH QoS 1 with packet id 0', expect: 'E_PACKET_ID', start: (c) => w(c, CONNACK(), pkt(0x32, [...str('a/b'), 0, 0, 9])) },
  { name: 'SUBACK with two codes for one filter (§3.9.3)', expect: 'E_MALFORMED', device: (d) => d.subscribe('s/1', 1),
    packet: (c, p) => { if (p.type === 8) w(c, pkt(0x90, [...p.body.subarray(0, 2), 1, 1])); } },
  { name: 'SUBACK code 3', expect: 'E_QOS', device: (d) => d.subscribe('s/1', 1),
    packet: (c, p) => { if (p.type === 8) w(c, pkt(0x90, [...p.body.subarray(0, 2), 3])); } },
  { name: 'UNSUBACK for a SUBSCRIBE id', expect: 'E_PACKET_ID', device: (d) => d.subscribe('s/1', 1),
    packet: (c, p) => { if (p.type === 8) w(c, pkt(0xb0, [...p.body.subarray(0, 2)])); } },
  { name: 'PUBCOMP for a QoS 1 publish', expect: 'E_PACKET_ID', device: (d) => d.publish('p/1', 'x', 1),
    packet: (c, p) => { if (p.type === 3) w(c, pkt(0x70, u16(idOf(p)))); } },
  { name: 'PUBACK of a guessed id before the PUBLISH payload has left (§4.3.2)', expect: 'E_PROTOCOL',
    device: (d) => d.publish('p/big', new Uint8Array(65536).fill(7), 1),
    start: (c) => {
      w(c, CONNACK());
      c.sock.once('data', (d: Buffer) => {                   // the PUBLISH head: acked before its payload is all here
        let i = 1;
        while (d[i] & 0x80) i++;
        const tl = d.readUInt16BE(i + 1);
        w(c, pkt(0x40, u16(d.readUInt16BE(i + 3 + tl))));
      });
    } },
  { name: 'PUBACK for a QoS 2 publish', expect: 'E_PACKET_ID', device: (d) => d.publish('p/2', 'x', 2),
    packet: (c, p) => { if (p.type === 3) w(c, pkt(0x40, u16(idOf(p)))); } },
  { name: 'nine QoS 2 PUBLISHes never released (the client keeps eight ids)', expect: 'E_QOS2_FULL',
    start: (c) => w(c, CONNACK(), ...Array.from({ length: 9 }, (_, i) => pkt(0x34, [...str('f/q2'), ...u16(i + 1), 7]))) },
  { name: 'no PINGRESP (keepalive 2 s, timeout 1 s)', expect: 'E_TIMEOUT', start: (c) => w(c, CONNACK()),
    packet: (c, p) => { if (p.type === 12) c.rec.pingreqs = ((c.rec.pingreqs as number) ?? 0) + 1; } },
  { name: 'no CONNACK (10 s)', expect: 'E_TIMEOUT', start: () => {} },
  { name: 'the server closes', expect: 'E_TCP', start: (c) => { w(c, CONNACK()); c.sock.end(); } },
];

test(`AS client against a malicious broker: ${SCENARIOS.length} violations, each closes with its own error, the client reconnects after each`, { timeout: 300_000 }, async () => {
  const sim = new Sim({ seed: 4525 });
  const a = sim.addStack({ name: 'device', mac: '02:00:00:00:00:01', ip: '192.0.2.1', wasmPath: harness });
  const b = sim.addStack({ name: 'fake-broker', mac: '02:00:00:00:00:02', ip: '192.0.2.2' });
  sim.connect([a, b], { impair: { delayMs: 1 } });
  const net = new HostNet(sim, { stack: b });
  let next = 0;
  const recs: Record<string, unknown>[] = [];
  const server = net.createServer(b, (sock) => {
    const sc = SCENARIOS[next++];
    const c: Ctx = { sock, rec: { scenario: sc?.name } };
    recs.push(c.rec);
    sock.on('error', () => {});
    let connected = false;
    reader(sock, (p) => {
      if (!connected) { connected = p.type === 1; c.rec.first = p.type; (sc?.start ?? ((x: Ctx) => w(x, CONNACK())))(c); return; }
      if (p.type === 12 && sc?.expect !== 'E_TIMEOUT') sock.write(Buffer.from([0xd0, 0]));
      sc?.packet?.(c, p);
    });
  }).listen(1883);
  const d = new MqttAsClient({ stack: a, timers: net.timers, now: () => sim.clock.now, broker: '192.0.2.2', clientId: 'victim',
    keepalive: 2, pingTimeoutMs: 1000 });
  const closed: string[] = [];
  d.on('closed', (e) => closed.push(e));
  // Pool use on the device (the ARP cache keeps the broker's entry: not a leak).
  const used = () => Object.fromEntries(Object.entries(a.allPoolStats()).filter(([k]) => k !== 'POOL_ARP').map(([k, v]) => [k, v.used]));
  const before = used();
  let current: Scenario | undefined;
  d.on('connected', () => current?.device?.(d));
  const sleep = (ms: number) => new Promise<void>((r) => net.timers.setTimeout(() => r(), ms));
  try {
    for (const [i, sc] of SCENARIOS.entries()) {
      current = sc;
      assert.equal(d.connect(), 0, `${sc.name}: connect`);
      const end = sim.clock.now + 30_000;
      while (closed.length === i) {
        if (sim.clock.now > end) assert.fail(`${sc.name}: the client never closed`);
        await sleep(10);
      }
      assert.equal(closed[i], sc.expect, `${sc.name}: closed with ${closed[i]}, want ${sc.expect}`);
      assert.equal(d.state, 0, `${sc.name}: idle afterwards`);
      if (sc.expect === 'E_REFUSED') assert.equal(d.connackRc, 5);
    }
    assert.equal(recs.length, SCENARIOS.length, 'one connection per scenario');
    assert.ok(recs.every((r) => r.first === 1), 'every connection began with CONNECT');
    assert.ok((recs.find((r) => r.scenario === SCENARIOS.find((s) => s.expect === 'E_TIMEOUT')!.name)!.pingreqs as number) >= 1, 'a PINGREQ was sent');
    assert.equal(d.overflow, 0);
    await sleep(1000);
    assert.equal(a.netstatCounts().ESTABLISHED ?? 0, 0, 'no connection left open on the device');
    assert.deepEqual(used(), before, "the device stack's pools are back where they were (no PCB, socket or buffer block leaked)");
  } finally {
    d.stop();
    server.close();
    net.shutdown();
  }
});

test('AS client: incoming QoS 2 duplicates before PUBREL are acknowledged, not delivered; the id reused after PUBCOMP is new; a dropped PUBLISH is re-sent with DUP and its id', { timeout: 120_000 }, async () => {
  const sim = new Sim({ seed: 4526 });
  const a = sim.addStack({ name: 'device', mac: '02:00:00:00:00:01', ip: '192.0.2.1', wasmPath: harness });
  const b = sim.addStack({ name: 'fake-broker', mac: '02:00:00:00:00:02', ip: '192.0.2.2' });
  sim.connect([a, b], { impair: { delayMs: 1 } });
  const net = new HostNet(sim, { stack: b });
  const log: string[] = [];
  let conn = 0, dropped: { id: number; dup: number; qos: number } | null = null;
  const server = net.createServer(b, (sock) => {
    const n = conn++;
    let started = false, pubrecs = 0;
    sock.on('error', () => {});
    reader(sock, (p) => {
      if (!started) {
        started = true;
        if (n === 0) {
          // QoS 2 id 5 twice (the second with DUP): delivered once, PUBREC for each.
          sock.write(Buffer.concat([CONNACK(), pkt(0x34, [...str('in/q2'), ...u16(5), ...Buffer.from('once')]),
            pkt(0x3c, [...str('in/q2'), ...u16(5), ...Buffer.from('once')])]));
        } else {
          sock.write(CONNACK(1, 0));                      // session present: expects the re-sent PUBLISH
        }
        return;
      }
      log.push(`${n}:${p.type}/${p.flags}`);
      if (p.type === 12) sock.write(Buffer.from([0xd0, 0]));
      if (n === 0 && p.type === 5) {
        if (++pubrecs === 2) sock.write(pkt(0x62, u16(5)));                          // PUBREL after both PUBRECs
      }
      if (n === 0 && p.type === 7) sock.write(pkt(0x34, [...str('in/q2'), ...u16(5), ...Buffer.from('again')]));   // id 5 again: new
      if (n === 0 && p.type === 3) { dropped = { id: idOf(p), dup: (p.flags >> 3) & 1, qos: (p.flags >> 1) & 3 }; sock.destroy(); }
      if (n === 1 && p.type === 3) {
        log.push(`resent id ${idOf(p)} dup ${(p.flags >> 3) & 1}`);
        sock.write(pkt(0x50, u16(idOf(p))));                                          // PUBREC
      }
      if (n === 1 && p.type === 6) sock.write(pkt(0x70, p.body));                    // PUBCOMP
    });
  }).listen(1883);
  const d = new MqttAsClient({ stack: a, timers: net.timers, now: () => sim.clock.now, broker: '192.0.2.2', clientId: 'q2', clean: false, keepalive: 30 });
  const msgs: string[] = [], closed: string[] = [], published: string[] = [];
  d.on('message', (m) => msgs.push(`${m.topic}=${m.payload} q${m.qos}${m.dup ? ' dup' : ''}`));
  d.on('closed', (e) => closed.push(e));
  d.on('published', (p) => published.push(`${p.qos} ${p.err}`));
  const sleep = (ms: number) => new Promise<void>((r) => net.timers.setTimeout(() => r(), ms));
  const until = async (what: string, pred: () => boolean) => {
    const end = sim.clock.now + 30_000;
    while (!pred()) { if (sim.clock.now > end) assert.fail(`timed out waiting for ${what}: ${log.join(' ')}`); await sleep(10); }
  };
  try {
    d.connect();
    await until('two deliveries', () => msgs.length === 2);
    assert.deepEqual(msgs, ['in/q2=once q2', 'in/q2=again q2']);
    assert.equal(d.rxDupQos2, 1, 'one duplicate held back');
    assert.deepEqual(log.filter((l) => l.startsWith('0:')).slice(0, 4), ['0:5/0', '0:5/0', '0:7/0', '0:5/0'], 'PUBREC, PUBREC, PUBCOMP, PUBREC');
    assert.ok(d.publish('out/q2', 'keep me', 2) > 0);
    await until('the drop', () => closed.length === 1);
    assert.deepEqual(closed, ['E_TCP']);
    const dr = dropped as { id: number; dup: number; qos: number } | null;
    assert.deepEqual(dr && { dup: dr.dup, qos: dr.qos }, { dup: 0, qos: 2 });
    d.connect();
    await until('the resumed flow', () => published.length === 1);
    assert.deepEqual(published, ['2 OK']);
    assert.ok(log.includes(`resent id ${dr!.id} dup 1`), `re-sent with DUP and id ${dr!.id}: ${log.join(' ')}`);
    assert.equal(d.dupSent, 1);
    d.disconnect();
    await until('closed', () => closed.length === 2);
    assert.equal(closed[1], 'OK');
  } finally {
    d.stop();
    server.close();
    net.shutdown();
  }
});
