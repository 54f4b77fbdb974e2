// An MQTT device in AssemblyScript, compiled with the stack into one .wasm (`npm run build` ->
// build/mqtt-app.wasm) on the client of apps/mqtt: it connects to the broker (192.0.2.2:1883 unless
// app_mqtt_broker says otherwise) as "asnet-dev" with a will, subscribes to dev/asnet/cmd/# (QoS 2),
// publishes telemetry to dev/asnet/telemetry (QoS 1, once a second) and echoes every command to
// dev/asnet/echo/<rest of the topic> with the command's QoS. It reconnects 2 s after a close.
// The host drains ev_poll() into app_event and calls app_tick(now_ms) every 100 ms or so.
export * from "../../assembly/index";
import { stackEnter } from "../../assembly/app/net";
import { MQTT_CLIENT_BYTES, MQTT_CONNECTED, MQTT_IDLE, MQTT_INFLIGHT, MqttClient, MqttParser } from "../../apps/mqtt/index";

const ECHO_MAX: u32 = 512;                // longest command echoed (longer ones are counted, not echoed)
const TOPIC_MAX: u32 = 128;
const TELEMETRY_MS: u32 = 1000, RETRY_MS: u32 = 2000;

const clientMem = memory.data(MQTT_CLIENT_BYTES, 8);
const text = memory.data(256);            // the constant strings below, as UTF-8
const telBuf = memory.data(96);
const echoTopic = memory.data(MQTT_INFLIGHT * TOPIC_MAX);
const echoData = memory.data(MQTT_INFLIGHT * ECHO_MAX);
const echoLen = memory.data(MQTT_INFLIGHT * 8);   // { u32 topic length, u32 payload length }
const echoId = memory.data(MQTT_INFLIGHT * 4);    // packet id in flight; -1 free; 0 QoS 0 in flight
const echoOrder = memory.data(MQTT_INFLIGHT * 4); // when each echo was made
const rxTopic = memory.data(TOPIC_MAX);           // the command being received
const rxData = memory.data(ECHO_MAX);

let client: MqttClient = changetype<MqttClient>(0);
let brokerIp: u32 = 0xc0000202;           // 192.0.2.2
let tId: usize = 0, tIdLen: u32 = 0, tWill: usize = 0, tWillLen: u32 = 0, tGone: usize = 0, tGoneLen: u32 = 0;
let tTel: usize = 0, tTelLen: u32 = 0, tCmd: usize = 0, tCmdLen: u32 = 0, tEcho: usize = 0, tEchoLen: u32 = 0;
let textAt: u32 = 0;
let seq: u32 = 0, lastTel: u32 = 0, closedAt: u32 = 0, now: u32 = 0, telBusy = false;
// The first connect waits for the first app_tick: only the host's clock says what "now" is (a
// connect stamped 0 at app_start timed out at once on a board whose clock counts from boot).
let connectNow = true;
let received: u32 = 0, echoed: u32 = 0, dropped: u32 = 0, lastErr: i32 = 0;
let rxTopicLen: u32 = 0, rxLen: u32 = 0, rxTooBig = false;

// A constant string as UTF-8 in `text`: its address (the length goes to lastLen).
let lastLen: u32 = 0;
function utf8(s: string): usize {
  const at = text + textAt;
  lastLen = <u32>String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, at, false);
  textAt += lastLen;
  return at;
}

export function app_mqtt_broker(ip: u32): void { brokerIp = ip; }
export function app_mqtt_state(): u32 { return changetype<usize>(client) == 0 ? 0 : client.state; }
export function app_mqtt_echoed(): u32 { return echoed; }
export function app_mqtt_received(): u32 { return received; }
export function app_mqtt_dropped(): u32 { return dropped; }
export function app_mqtt_last_error(): i32 { return lastErr; }

export function app_start(): i32 {
  stackEnter();
  textAt = 0;
  tId = utf8("asnet-dev"); tIdLen = lastLen;
  tWill = utf8("dev/asnet/status"); tWillLen = lastLen;
  tGone = utf8("offline"); tGoneLen = lastLen;
  tTel = utf8("dev/asnet/telemetry"); tTelLen = lastLen;
  tCmd = utf8("dev/asnet/cmd/#"); tCmdLen = lastLen;
  tEcho = utf8("dev/asnet/echo/"); tEchoLen = lastLen;
  for (let i: u32 = 0; i < MQTT_INFLIGHT; i++) store<i32>(echoId + i * 4, -1);
  const c = MqttClient.at(clientMem);
  c.ip = brokerIp;
  c.port = 1883;
  const o = c.opts;
  o.clientId = tId; o.clientIdLen = tIdLen;
  o.willTopic = tWill; o.willTopicLen = tWillLen; o.willMsg = tGone; o.willLen = tGoneLen; o.willQos = 1; o.willRetain = true;
  o.keepaliveS = 30;
  o.cleanSession = true;
  c.onConnected = onConnected;
  c.onClosed = onClosed;
  c.onMessage = onMessage;
  c.onPublished = onPublished;
  client = c;
  connectNow = true;
  return 0;
}

export function app_event(h: i32, events: i32): i32 {
  if (changetype<usize>(client) != 0) client.event(h, events);
  return 0;
}

export function app_tick(nowMs: u32): i32 {
  stackEnter();
  now = nowMs;
  if (changetype<usize>(client) == 0) return 0;
  client.tick(nowMs);
  if (client.state == MQTT_IDLE && (connectNow || nowMs - closedAt >= RETRY_MS)) {
    connectNow = false;
    const r = client.connect(nowMs);
    if (r < 0) { lastErr = r; closedAt = nowMs; }       // refused at once (no socket): retry in RETRY_MS
  }
  if (client.state == MQTT_CONNECTED && !telBusy && nowMs - lastTel >= TELEMETRY_MS) telemetry();
  return 0;
}

function onConnected(_ctx: usize, _sp: bool): void {
  client.subscribe(tCmd, tCmdLen, 2);
  lastTel = now - TELEMETRY_MS;
}

function onClosed(_ctx: usize, err: i32): void {
  lastErr = err;
  closedAt = now;
  telBusy = false;
  for (let i: u32 = 0; i < MQTT_INFLIGHT; i++) store<i32>(echoId + i * 4, -1);   // clean session: nothing resumes
}

// {"seq":N,"uptime_ms":N,"rx":N}
function telemetry(): void {
  let p = telBuf;
  p = put(p, "{\"seq\":"); p = putNum(p, seq);
  p = put(p, ",\"uptime_ms\":"); p = putNum(p, now);
  p = put(p, ",\"rx\":"); p = putNum(p, received);
  p = put(p, "}");
  const r = client.publish(tTel, tTelLen, telBuf, <u32>(p - telBuf), 1, false);
  if (r < 0) return;                                 // busy: next tick
  seq++;
  telBusy = true;
  lastTel = now;
}

function put(p: usize, s: string): usize { return p + String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, p, false); }
function putNum(p: usize, v: u32): usize {
  let digits: u32 = 1;
  for (let t = v; t >= 10; t /= 10) digits++;
  for (let i = digits; i > 0; i--) { store<u8>(p + i - 1, <u8>(0x30 + v % 10)); v /= 10; }
  return p + digits;
}

function onMessage(_ctx: usize, m: MqttParser, offset: u32, last: bool): void {
  if (offset == 0) {
    rxTooBig = m.payloadLen > ECHO_MAX || m.topicLen > TOPIC_MAX;
    rxLen = 0;
    rxTopicLen = min(m.topicLen, TOPIC_MAX);
    memory.copy(rxTopic, m.topic, rxTopicLen);
  }
  if (!rxTooBig) { memory.copy(rxData + rxLen, m.data, m.len); rxLen += m.len; }
  if (!last) return;
  received++;
  if (rxTooBig) { dropped++; return; }
  echo(m.qos);
}

// dev/asnet/cmd/<rest> -> dev/asnet/echo/<rest>, same payload and QoS, from a free echo slot.
function echo(qos: u8): void {
  const prefix = tCmdLen - 1;                        // "dev/asnet/cmd/"
  const rest = rxTopicLen - min(rxTopicLen, prefix);
  let slot: i32 = -1;
  for (let i: u32 = 0; i < MQTT_INFLIGHT && slot < 0; i++) if (load<i32>(echoId + i * 4) == -1) slot = <i32>i;
  if (slot < 0 || tEchoLen + rest > TOPIC_MAX) { dropped++; return; }
  const s = <u32>slot;
  const t = echoTopic + s * TOPIC_MAX, d = echoData + s * ECHO_MAX;
  memory.copy(t, tEcho, tEchoLen);
  memory.copy(t + tEchoLen, rxTopic + prefix, rest);
  memory.copy(d, rxData, rxLen);
  const r = client.publish(t, tEchoLen + rest, d, rxLen, qos, false);
  if (r < 0) { dropped++; return; }
  store<i32>(echoId + s * 4, r);
  store<u32>(echoOrder + s * 4, echoed++);
}

function onPublished(_ctx: usize, id: u32, qos: u8, _err: i32): void {
  if (!releaseEcho(id, qos) && qos == 1) telBusy = false;   // not an echo: the telemetry message
}

// Frees the echo slot of packet id `id`; QoS 0 publishes (id 0) complete in the order they were
// made, so the oldest QoS 0 slot is the one done.
function releaseEcho(id: u32, qos: u8): bool {
  let pick: i32 = -1;
  for (let i: u32 = 0; i < MQTT_INFLIGHT; i++) {
    if (load<i32>(echoId + i * 4) != <i32>id) continue;
    if (qos != 0 || pick < 0 || load<u32>(echoOrder + i * 4) < load<u32>(echoOrder + <u32>pick * 4)) pick = <i32>i;
    if (qos != 0) break;
  }
  if (pick < 0) return false;
  store<i32>(echoId + <u32>pick * 4, -1);
  return true;
}
