// Fuzz target of the AssemblyScript MQTT codec and client (test/mqtt-as-fuzz.test.ts, and the long
// run `npx tsx apps/mqtt/test/fuzz-run.ts --inputs N`), the counterpart of the C client's
// boards/common/apps/mqtt/fuzz/mqtt_fuzz.c with the same inputs (test/fuzz/mqtt.ts). The host writes
// one input at fuzz_input() and calls fuzz_one(n). Byte 0 picks the mode:
//   bit 0 = 0  parser: MqttParser.parse over the rest, in chunks of 1..16 bytes (bits 1-4), buffer
//              of 16 or 512 bytes (bit 5); every event is checked against the packet it came from
//   bit 0 = 1  client: MqttClient over a fake transport (below): the rest of the record is what the
//              "server" sends, in chunks (bits 1-4); byte 1 shapes how much send accepts; the
//              application publishes QoS 0/1/2 and subscribes on connect, time advances 700 ms per
//              step so keepalive, PINGRESP and CONNACK timers fire; invariants checked per step
// A failed check stores its number (fuzz_failed()) and traps; canaries after the parser's buffer
// and the client's region catch writes past them; every connection opened is closed once, and
// the client ends each input idle with its ring, marks and input empty. Compiled with the runtime
// whose allocator traps (test/assembly/rt-trap.ts): any allocation is a trap too.
import {
  EV_CONNECTED, EV_READABLE, EV_WRITABLE, EAGAIN, FILTER_ENTRY, MQTT_CLIENT_BYTES, MQTT_E_QOS2_FULL, MQTT_IDLE, MQTT_INFLIGHT,
  MqttClient, MqttParser, MqttTransport, EV_PACKET, EV_PUB_DATA, EV_PUB_END, EV_PUB_START, CONNACK, PINGRESP, SUBACK, checkTopic,
} from "../index";

import "../../../assembly/core/abort";

const INPUT_MAX: u32 = 70000;
const CANARY: u64 = 0xa5c3_5a3c_f00d_beef;
const input = memory.data(INPUT_MAX, 16);
const pbuf = memory.data(512 + 8, 16);             // parser buffer + canary
const region = memory.data(MQTT_CLIENT_BYTES + 8, 16);
const payload = memory.data(300, 16);
const strs = memory.data(64, 8);                    // "fuzz", "w", "x", "t/x", "a/#", "+/b"
const filters = memory.data(2 * FILTER_ENTRY, 4);
const transportMem = memory.data(offsetof<MqttTransport>(), 8);

let failed: i32 = 0;
function check(ok: bool, id: i32): void { if (!ok) { failed = id; unreachable(); } }

// counters (fuzz_stat(i)): inputs, parser, client, events, messages, publishedOk, connects, closes[0..18]
const stats = memory.data(32 * 4, 8);
function bump(i: u32): void { store<u32>(stats + i * 4, load<u32>(stats + i * 4) + 1); }
const S_INPUTS: u32 = 0, S_PARSER: u32 = 1, S_CLIENT: u32 = 2, S_EVENTS: u32 = 3, S_MESSAGES: u32 = 4, S_PUB_OK: u32 = 5, S_CONNECTS: u32 = 6, S_CLOSES: u32 = 7;

export function fuzz_input(): usize { return input; }
export function fuzz_failed(): i32 { return failed; }
export function fuzz_stat(i: u32): u32 { return i < 32 ? load<u32>(stats + i * 4) : 0; }

// ---- parser mode ----

let pInPub = false, pRemaining: u32 = 0, pCap: u32 = 0;

function parserEvent(_ctx: usize, p: MqttParser, kind: i32): i32 {
  bump(S_EVENTS);
  if (kind == EV_PUB_START) {
    check(!pInPub && p.topicLen >= 1 && p.topicLen + 2 <= pCap && p.qos <= 2, 1);
    check(checkTopic(p.topic, p.topicLen) == 0, 2);
    check(p.qos == 0 || p.id != 0, 3);
    pInPub = true;
    pRemaining = p.payloadLen;
  } else if (kind == EV_PUB_DATA) {
    check(pInPub && p.len > 0 && p.len <= pRemaining, 4);
    check(p.data >= input && p.data + p.len <= input + INPUT_MAX, 5);      // a slice of the input
    pRemaining -= p.len;
  } else if (kind == EV_PUB_END) {
    check(pInPub && pRemaining == 0, 6);
    pInPub = false;
  } else {
    check(kind == EV_PACKET && !pInPub, 7);
    check(p.evType == CONNACK || p.evType == PINGRESP || p.id != 0, 8);
    if (p.evType == SUBACK) check(p.len >= 1 && p.data >= pbuf && p.data + p.len <= pbuf + pCap, 9);
  }
  return 0;
}

const parserMem = memory.data(offsetof<MqttParser>() + 8, 8);

function runParser(n: u32): void {
  const mode = load<u8>(input);
  pCap = (mode & 32) != 0 ? 512 : 16;
  store<u64>(pbuf + pCap, CANARY);
  const p = changetype<MqttParser>(parserMem);
  p.init(pbuf, pCap, parserEvent, 0);
  pInPub = false;
  const chunk: u32 = 1 + ((mode >> 1) & 15);
  let pos: u32 = 1;
  while (pos < n) {
    const k = min(n - pos, chunk);
    const r = p.parse(input + pos, k);
    if (r < 0) {
      check(r >= MQTT_E_QOS2_FULL, 10);
      bump(S_CLOSES + <u32>(-r));
      check(p.parse(input, 1) == r, 11);                                   // sticky
      break;
    }
    check(r > 0 && <u32>r <= k, 12);                                       // progress: no hang
    pos += <u32>r;
  }
  check(load<u64>(pbuf + pCap) == CANARY, 13);
  bump(S_PARSER);
}

// ---- client mode: a fake transport with one connection ----

let tcpOpen = false, rxAt: u32 = 0, rxEnd: u32 = 0, rxPos: u32 = 0, rxChunk: u32 = 0, sendShape: u32 = 0, sendCalls: u32 = 0;
const H: i32 = 7;

function fConnect(_ip: u32, _port: u32): i32 { check(!tcpOpen, 20); tcpOpen = true; return H; }
function fSend(h: i32, ptr: usize, len: u32): i32 {
  check(h == H && tcpOpen && len > 0, 21);
  const k = (sendShape >> (sendCalls++ % 8)) & 1;
  if (sendShape == 0xff) return -104;                                      // ECONNRESET
  if (k != 0) return EAGAIN;
  return <i32>min(len, 37);                                                // short writes
}
function fRecv(h: i32, ptr: usize, cap: u32): i32 {
  check(h == H && tcpOpen, 22);
  if (rxPos == rxEnd) return EAGAIN;
  const k = min(min(rxEnd - rxPos, rxChunk), cap);
  memory.copy(ptr, input + rxPos, k);
  rxPos += k;
  return <i32>k;
}
function fClose(h: i32): i32 { check(h == H && tcpOpen, 23); tcpOpen = false; return 0; }

let client: MqttClient = changetype<MqttClient>(0);
let closedErr: i32 = 1;

function cConnected(_ctx: usize, _sp: bool): void {
  bump(S_CONNECTS);
  client.subscribeMany(filters, 2);
  for (let q: u8 = 0; q < 3; q++) client.publish(strs + 5, 3, payload, q == 2 ? 300 : 5, q, q == 1);
}
function cClosed(_ctx: usize, err: i32): void {
  check(err <= 0 && err >= MQTT_E_QOS2_FULL, 30);
  bump(S_CLOSES + <u32>(-err));
  closedErr = err;
}
function cMessage(_ctx: usize, m: MqttParser, offset: u32, last: bool): void {
  check(m.topicLen >= 1 && m.qos <= 2 && offset + m.len <= m.payloadLen && last == (offset + m.len == m.payloadLen), 31);
  if (last) bump(S_MESSAGES);
}
function cPublished(_ctx: usize, id: u32, qos: u8, err: i32): void {
  check(qos <= 2 && (qos == 0) == (id == 0), 32);
  if (err == 0) bump(S_PUB_OK);
}
function cSuback(_ctx: usize, id: u32, codes: usize, n: u32): void { check(id != 0 && (codes == 0 || n == 2), 33); }

function invariants(): void {
  const c = client;
  check(c.inflight() <= MQTT_INFLIGHT, 40);
  check(c.txHead - c.txTail <= 1024, 41);
  check(c.markHead - c.markTail <= MQTT_INFLIGHT, 42);
  check(c.rxOff <= c.rxLen && c.rxLen <= 512, 43);
  check((c.state == MQTT_IDLE) == !tcpOpen, 44);
}

function setup(): void {
  // "fuzz" at 0, "w" at 4, "t/x" at 5, "a/#" at 8, "+/b" at 11, "x" at 14
  const s = "fuzzwt/xa/#+/bx";
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, strs, false);
  for (let i: u32 = 0; i < 300; i++) store<u8>(payload + i, <u8>i);
  store<u32>(filters, <u32>(strs + 8)); store<u32>(filters, 3, 4); store<u8>(filters, 2, 8);
  store<u32>(filters + FILTER_ENTRY, <u32>(strs + 11)); store<u32>(filters + FILTER_ENTRY, 3, 4); store<u8>(filters + FILTER_ENTRY, 1, 8);
  const t = changetype<MqttTransport>(transportMem);
  t.connect = fConnect; t.send = fSend; t.recv = fRecv; t.close = fClose; t.abort = fClose;
}
let ready = false;

function runClient(n: u32): void {
  if (n < 2) return;
  const d0 = <u32>load<u8>(input), d1 = <u32>load<u8>(input, 1);
  const c = MqttClient.at(region);
  store<u64>(region + MQTT_CLIENT_BYTES, CANARY);
  c.transport = changetype<MqttTransport>(transportMem);
  c.ip = 0xc0000201;
  const o = c.opts;
  o.clientId = strs; o.clientIdLen = 4;
  o.keepaliveS = 1;
  o.cleanSession = (d0 >> 7) != 0;
  o.willTopic = strs + 4; o.willTopicLen = 1; o.willMsg = strs + 14; o.willLen = 1;
  c.onConnected = cConnected; c.onClosed = cClosed; c.onMessage = cMessage; c.onPublished = cPublished; c.onSuback = cSuback;
  client = c;
  rxAt = 2; rxEnd = n; rxPos = 2;
  rxChunk = 1 + ((d0 >> 1) & 15) * 9;
  sendShape = d1; sendCalls = 0;
  let now: u32 = 1000;
  for (let session = 0; session < 2; session++) {                 // a second session resumes (DUP) or starts clean
    closedErr = 1;
    if (c.connect(now) != 0) break;
    c.event(H, EV_CONNECTED | EV_WRITABLE);
    for (let step = 0; step < 64 && c.state != MQTT_IDLE; step++) {
      invariants();
      c.event(H, EV_READABLE | EV_WRITABLE);
      if (c.state == MQTT_IDLE) break;
      if ((d1 & 0x41) == 0x41 && step == 3) {                      // the stack trapped and restarted
        tcpOpen = false;
        c.forgetConnection();
        break;
      }
      now += 700;
      c.tick(now);
      if (rxPos == rxEnd && (step > 2 || (d0 & 64) != 0)) { c.disconnect(); c.event(H, EV_WRITABLE); }
    }
    invariants();
    if (c.state != MQTT_IDLE) { sendShape = 0; c.event(H, EV_WRITABLE); }
    if (c.state != MQTT_IDLE) { c.disconnect(); c.event(H, EV_WRITABLE); }
    check(c.state == MQTT_IDLE && !tcpOpen, 45);
    check(c.txHead == c.txTail && c.markHead == c.markTail && c.rxOff == c.rxLen, 46);   // nothing left behind
    if (rxPos == rxEnd) rxPos = rxAt;                              // the next session hears it again
  }
  check(load<u64>(region + MQTT_CLIENT_BYTES) == CANARY, 47);
  bump(S_CLIENT);
}

export function fuzz_one(n: u32): i32 {
  if (!ready) { setup(); ready = true; }
  if (n > INPUT_MAX) return -1;
  bump(S_INPUTS);
  if (n == 0) return 0;
  if ((load<u8>(input) & 1) != 0) runClient(n); else runParser(n);
  return 0;
}
