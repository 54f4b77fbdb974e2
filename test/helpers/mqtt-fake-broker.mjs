// A tiny fake MQTT broker for test/mqtt-board.test.ts: each TCP connection gets the next scenario
// of argv[3..] (argv[2] = listen address). It reads the client's CONNECT, then misbehaves the way
// the scenario says; one JSON line per connection on stdout. Scenarios:
//   bad-length    CONNACK, then a PUBLISH whose remaining length has 5 bytes (MQTT 3.1.1 §2.2.3)
//   type-0 / type-15 / type-connect   CONNACK, then a packet of a reserved or client-only type
//   too-big       CONNACK, then a SUBACK of 10,000 bytes (over the client's 512-byte buffer)
//   big-topic     CONNACK, then a PUBLISH whose topic is 1,000 bytes
//   wrong-id      CONNACK, then PUBACK for packet id 77 (never sent)
//   refused       CONNACK with return code 5 (not authorized)
//   bad-flags     CONNACK, then PUBACK with flags 0001
//   qos3          CONNACK, then PUBLISH with QoS 3
//   before-connack  PUBLISH instead of CONNACK
//   bad-utf8      CONNACK, then PUBLISH with topic C0 80 (overlong NUL)
//   connack-len   CONNACK with remaining length 3
//   no-pingresp   CONNACK, then silence (PINGREQ unanswered)
//   drop-unacked  CONNACK, takes the first PUBLISH without acknowledging it, closes (records it)
//   expect-dup    CONNACK (session present), expects the PUBLISH of drop-unacked again with DUP = 1 and
//                 the same id, acknowledges it (PUBACK or PUBREC/PUBREL/PUBCOMP), reports ok, closes
//   qos2-dup      CONNACK, a QoS 2 PUBLISH (id 5) twice (the second with DUP), PUBREL once both PUBRECs
//                 came, then after PUBCOMP the same id again as a new message; closes after its PUBREC
//   qos2-flood    CONNACK, nine QoS 2 PUBLISHes never released (the client keeps eight ids)
//   ok            CONNACK and PINGRESPs, acknowledges publishes (the board's sanity after the others)
import net from 'node:net';
import { CONNACK, pkt, reader, str, u16 } from './mqtt-packets.mjs';

const [, , host, ...scenarios] = process.argv;
let next = 0;
let unacked = null;           // { id, qos, topic, payload } from drop-unacked
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

function parseConnect(b) {
  let at = 0;
  const field = () => { const n = b.readUInt16BE(at); const v = b.subarray(at + 2, at + 2 + n); at += 2 + n; return v; };
  const c = { protocol: field().toString(), level: b[at], flags: b[at + 1], keepalive: b.readUInt16BE(at + 2) };
  at += 4;
  c.cleanSession = (c.flags >> 1) & 1;
  c.clientId = field().toString();
  if (c.flags & 4) { c.willTopic = field().toString(); c.willMsg = field().toString(); c.willQos = (c.flags >> 3) & 3; c.willRetain = (c.flags >> 5) & 1; }
  if (c.flags & 0x80) c.username = field().toString();
  if (c.flags & 0x40) c.password = field().toString();
  c.trailing = b.length - at;
  return c;
}

function publishOf(p) {
  const tl = p.body.readUInt16BE(0), qos = (p.flags >> 1) & 3;
  const id = qos ? p.body.readUInt16BE(2 + tl) : 0;
  return { id, qos, dup: (p.flags >> 3) & 1, topic: p.body.subarray(2, 2 + tl).toString(), payload: p.body.subarray(2 + tl + (qos ? 2 : 0)).toString('hex') };
}

const server = net.createServer((sock) => {
  const scenario = scenarios[next++] ?? 'ok';
  const rec = { scenario };
  sock.on('error', () => {});
  sock.on('close', () => out({ ...rec, closed: true }));
  let connected = false;
  reader(sock, (p) => {
    if (!connected) {
      if (p.type !== 1) { rec.error = `first packet type ${p.type}`; sock.destroy(); return; }
      connected = true;
      rec.connect = parseConnect(p.body);
      act(scenario, sock, rec);
      return;
    }
    if (p.type === 5 && scenario === 'qos2-dup') return onPubrec(sock, rec, p.body.readUInt16BE(0));
    if (p.type === 7 && scenario === 'qos2-dup') {
      rec.pubcomps = (rec.pubcomps ?? 0) + 1;
      sock.write(pkt(0x30 | 4, [...str('in/q2'), ...u16(5), ...Buffer.from('again')]));    // id 5 reused: a new message
      return;
    }
    if (p.type === 12 && scenario !== 'no-pingresp') sock.write(Buffer.from([0xd0, 0]));
    if (p.type === 12) rec.pingreqs = (rec.pingreqs ?? 0) + 1;
    if (p.type === 3) onPublish(scenario, sock, rec, publishOf(p));
    if (p.type === 6) { sock.write(pkt(0x70, u16(p.body.readUInt16BE(0)))); if (scenario === 'expect-dup') done(sock, rec); }
  });
});

/** qos2-dup: PUBREL after the PUBRECs of both copies; the last PUBREC (for "again") ends it. */
function onPubrec(sock, rec, id) {
  rec.pubrecs = (rec.pubrecs ?? 0) + 1;
  if (id !== 5) { rec.error = `PUBREC for id ${id}`; sock.destroy(); return; }
  if (rec.pubrecs === 2) sock.write(pkt(0x62, u16(5)));
  if (rec.pubrecs === 3) done(sock, rec);
}

/** The re-sent flow completed: end this connection so the client moves on to the next scenario. */
function done(sock, rec) { rec.ok = true; setTimeout(() => sock.end(), 100); }

function onPublish(scenario, sock, rec, pub) {
  if (scenario === 'drop-unacked') {
    if (!rec.dropped) { unacked = pub; rec.dropped = pub; setTimeout(() => sock.destroy(), 100); }
    return;
  }
  if (scenario === 'expect-dup') {
    rec.resent = pub;
    const same = unacked && pub.dup === 1 && pub.id === unacked.id && pub.topic === unacked.topic && pub.payload === unacked.payload;
    if (!same) { rec.error = `expected the dropped PUBLISH again with DUP: ${JSON.stringify(unacked)}`; sock.destroy(); return; }
    if (pub.qos === 1) { sock.write(pkt(0x40, u16(pub.id))); done(sock, rec); }
    else sock.write(pkt(0x50, u16(pub.id)));             // PUBREC; ok once PUBREL comes (above)
    return;
  }
  if (pub.qos === 1) sock.write(pkt(0x40, u16(pub.id)));
  if (pub.qos === 2) sock.write(pkt(0x50, u16(pub.id)));
}

function act(scenario, sock, rec) {
  const w = (...bufs) => sock.write(Buffer.concat(bufs));
  switch (scenario) {
    case 'bad-length': return w(CONNACK(), Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]));
    case 'type-0': return w(CONNACK(), Buffer.from([0x00, 0x00]));
    case 'type-15': return w(CONNACK(), Buffer.from([0xf0, 0x00]));
    case 'type-connect': return w(CONNACK(), Buffer.from([0x10, 0x00]));
    case 'too-big': return w(CONNACK(), pkt(0x90, [...u16(1), ...Buffer.alloc(9998, 1)]));
    case 'big-topic': return w(CONNACK(), pkt(0x30, [...str('t'.repeat(1000)), 1, 2, 3]));
    case 'wrong-id': return w(CONNACK(), pkt(0x40, u16(77)));
    case 'refused': return w(CONNACK(0, 5));
    case 'bad-flags': return w(CONNACK(), pkt(0x41, u16(1)));
    case 'qos3': return w(CONNACK(), pkt(0x36, [...str('a/b'), ...u16(1), 9]));
    case 'before-connack': return w(pkt(0x30, [...str('a/b'), 9]));
    case 'bad-utf8': return w(CONNACK(), pkt(0x30, [0, 2, 0xc0, 0x80, 9]));
    case 'connack-len': return w(Buffer.from([0x20, 3, 0, 0, 0]));
    case 'expect-dup': return w(CONNACK(1, 0));
    case 'qos2-dup': return w(CONNACK(), pkt(0x34, [...str('in/q2'), ...u16(5), ...Buffer.from('once')]),
      pkt(0x3c, [...str('in/q2'), ...u16(5), ...Buffer.from('once')]));
    case 'qos2-flood': return w(CONNACK(), ...Array.from({ length: 9 }, (_, i) => pkt(0x34, [...str('f/q2'), ...u16(i + 1), 7])));
    default: return w(CONNACK());       // no-pingresp, drop-unacked, ok
  }
}

server.listen(1884, host, () => out({ listening: `${host}:1884` }));
