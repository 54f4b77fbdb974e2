// A thin export layer over the AssemblyScript MQTT client (apps/mqtt) for the tests that drive it
// from Node (test/mqtt-as.test.ts through test/helpers/mqtt-as.ts): the stack ABI, app_start /
// app_event, and h_* calls taking scalars and addresses in an arena the host fills (a publish's
// topic and payload stay there until its h_published record). Callbacks are written as 32-byte
// records to a log the host drains after every call into the module; message slices and SUBACK
// codes are copied to the log's data area. Compiled by the tests themselves (not by npm run build).
export * from "../../assembly/index";
import { stackEnter } from "../../assembly/app/net";
import { MQTT_CLIENT_BYTES, MqttClient, MqttParser } from "../../apps/mqtt/index";

const ARENA: u32 = 600 * 1024;
const LOG_RECS: u32 = 8192;                  // 32-byte records
const LOG_DATA: u32 = 288 * 1024;
const arenaMem = memory.data(ARENA, 16);
const logMem = memory.data(LOG_RECS * 32, 16);
const logData = memory.data(LOG_DATA, 16);
const clientMem = memory.data(MQTT_CLIENT_BYTES, 16);
let logN: u32 = 0, logDataN: u32 = 0, logOverflow: u32 = 0;
let client: MqttClient = changetype<MqttClient>(0);

const K_CONNECTED = 1, K_CLOSED = 2, K_MESSAGE = 3, K_PUBLISHED = 4, K_SUBACK = 5;

function rec(kind: u32, a: u32, b: u32, c: u32, d: u32, e: u32, f: u32, g: u32): void {
  if (logN == LOG_RECS) { logOverflow++; return; }
  const r = logMem + logN++ * 32;
  store<u32>(r, kind); store<u32>(r, a, 4); store<u32>(r, b, 8); store<u32>(r, c, 12);
  store<u32>(r, d, 16); store<u32>(r, e, 20); store<u32>(r, f, 24); store<u32>(r, g, 28);
}

// A copy of n bytes in the log's data area: its address, or 0 when full (counted).
function keep(p: usize, n: u32): u32 {
  if (LOG_DATA - logDataN < n) { logOverflow++; return 0; }
  const at = logData + logDataN;
  memory.copy(at, p, n);
  logDataN += n;
  return <u32>at;
}

function onConnected(_ctx: usize, sp: bool): void { rec(K_CONNECTED, sp ? 1 : 0, 0, 0, 0, 0, 0, 0); }
function onClosed(_ctx: usize, err: i32): void { rec(K_CLOSED, <u32>err, 0, 0, 0, 0, 0, 0); }
function onMessage(_ctx: usize, m: MqttParser, offset: u32, last: bool): void {
  const flags = <u32>m.qos | (m.retain ? 4 : 0) | (m.dup ? 8 : 0) | (last ? 16 : 0);
  const topic = offset == 0 ? keep(m.topic, m.topicLen) : 0;
  rec(K_MESSAGE, flags, offset, m.payloadLen, keep(m.data, m.len), m.len, topic, offset == 0 ? m.topicLen : 0);
}
function onPublished(_ctx: usize, id: u32, qos: u8, err: i32): void { rec(K_PUBLISHED, id, qos, <u32>err, 0, 0, 0, 0); }
function onSuback(_ctx: usize, id: u32, codes: usize, n: u32): void { rec(K_SUBACK, id, codes != 0 ? keep(codes, n) : 0, n, codes != 0 ? 1 : 0, 0, 0, 0); }

export function app_start(): i32 { return 0; }
export function app_event(h: i32, events: i32): i32 {
  if (changetype<usize>(client) != 0) client.event(h, events);
  return 0;
}

export function h_arena(): usize { return arenaMem; }
export function h_arena_size(): u32 { return ARENA; }
export function h_log(): usize { return logMem; }
export function h_log_count(): u32 { return logN; }
export function h_log_overflow(): u32 { return logOverflow; }
export function h_log_reset(): void { logN = 0; logDataN = 0; }
export function h_client_bytes(): u32 { return MQTT_CLIENT_BYTES; }

// Byte ranges in the arena (address 0: absent); they must outlive the client.
export function h_init(ip: u32, port: u32, keepalive: u32, clean: u32, id: usize, idLen: u32, user: usize, userLen: u32,
  pass: usize, passLen: u32, willTopic: usize, willTopicLen: u32, willMsg: usize, willLen: u32, willQosRetain: u32,
  pingTimeoutMs: u32): void {
  const c = MqttClient.at(clientMem);
  c.ip = ip;
  c.port = port;
  c.pingTimeoutMs = pingTimeoutMs;
  const o = c.opts;
  o.keepaliveS = <u16>keepalive;
  o.cleanSession = clean != 0;
  o.clientId = id; o.clientIdLen = idLen;
  o.username = user; o.usernameLen = userLen;
  o.password = pass; o.passwordLen = passLen;
  o.willTopic = willTopic; o.willTopicLen = willTopicLen;
  o.willMsg = willMsg; o.willLen = willLen;
  o.willQos = <u8>(willQosRetain & 3);
  o.willRetain = (willQosRetain & 4) != 0;
  c.onConnected = onConnected;
  c.onClosed = onClosed;
  c.onMessage = onMessage;
  c.onPublished = onPublished;
  c.onSuback = onSuback;
  client = c;
}

export function h_connect(now: u32): i32 { stackEnter(); return client.connect(now); }
export function h_disconnect(): i32 { stackEnter(); return client.disconnect(); }
export function h_publish(topic: usize, tl: u32, payload: usize, len: u32, qos: u32, retain: u32): i32 {
  stackEnter();
  return client.publish(topic, tl, payload, len, <u8>qos, retain != 0);
}
export function h_subscribe(f: usize, len: u32, qos: u32): i32 { stackEnter(); return client.subscribe(f, len, <u8>qos); }
export function h_subscribe_many(table: usize, n: u32): i32 { stackEnter(); return client.subscribeMany(table, n); }
export function h_unsubscribe(f: usize, len: u32): i32 { stackEnter(); return client.unsubscribe(f, len); }
export function h_tick(now: u32): void { stackEnter(); client.tick(now); }
export function h_inflight(): u32 { return client.inflight(); }
export function h_state(): u32 { return client.state; }
export function h_dup_sent(): u32 { return client.statDupSent; }
export function h_rx_dup_qos2(): u32 { return client.statRxDupQos2; }
export function h_connack_rc(): u32 { return client.connackRc; }
export function h_forget(): void { client.forgetConnection(); }
