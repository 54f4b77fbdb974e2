// The MQTT client alone for apps/mqtt/size.ts: the stack plus one client whose every call is
// reachable from an export taking scalars (no application logic), so the difference from the stack
// alone is the client's own code and static RAM.
export * from "../../../assembly/index";
import { MQTT_CLIENT_BYTES, MqttClient, MqttParser } from "../index";

const mem = memory.data(MQTT_CLIENT_BYTES, 8);
let c: MqttClient = changetype<MqttClient>(0);
let sink: u32 = 0;
function onConnected(_x: usize, sp: bool): void { sink += sp ? 1 : 0; }
function onClosed(_x: usize, err: i32): void { sink += <u32>err; }
function onMessage(_x: usize, m: MqttParser, off: u32, last: bool): void { sink += m.len + off + (last ? 1 : 0); }
function onPublished(_x: usize, id: u32, _q: u8, err: i32): void { sink += id + <u32>err; }
function onSuback(_x: usize, id: u32, _c: usize, n: u32): void { sink += id + n; }

export function m_init(ip: u32, id: usize, idLen: u32, keep: u32): void {
  c = MqttClient.at(mem);
  c.ip = ip;
  c.opts.clientId = id; c.opts.clientIdLen = idLen; c.opts.keepaliveS = <u16>keep;
  c.onConnected = onConnected; c.onClosed = onClosed; c.onMessage = onMessage; c.onPublished = onPublished; c.onSuback = onSuback;
}
export function m_connect(now: u32): i32 { return c.connect(now); }
export function app_event(h: i32, ev: i32): i32 { c.event(h, ev); return 0; }
export function m_tick(now: u32): void { c.tick(now); }
export function m_publish(t: usize, tl: u32, p: usize, n: u32, q: u32, r: u32): i32 { return c.publish(t, tl, p, n, <u8>q, r != 0); }
export function m_subscribe(f: usize, n: u32): i32 { return c.subscribeMany(f, n); }
export function m_unsubscribe(f: usize, n: u32): i32 { return c.unsubscribeMany(f, n); }
export function m_disconnect(): i32 { return c.disconnect(); }
