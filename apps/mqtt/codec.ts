// MQTT 3.1.1 (OASIS, 29 October 2014) packets, client side, in AssemblyScript: encoders for what a
// client sends and an incremental parser for what a server sends. Pure: no I/O, no time, no
// allocation (byte ranges are (address, length) pairs in linear memory), so it can be fuzzed alone.
// The design is the C client's (boards/common/apps/mqtt/mqtt_codec.c): the parser keeps every packet
// but PUBLISH whole in the caller's buffer (larger: MQTT_E_TOO_BIG); a PUBLISH keeps its variable
// header (topic, packet id) there and streams its payload as slices of the input, so a 256 KiB
// message needs no 256 KiB buffer. Section numbers are those of the OASIS standard.
import {
  MQTT_E_ARG, MQTT_E_FLAGS, MQTT_E_MALFORMED, MQTT_E_NOSPACE, MQTT_E_PACKET_ID, MQTT_E_PACKET_TYPE, MQTT_E_QOS,
  MQTT_E_REMAINING_LENGTH, MQTT_E_TOO_BIG, MQTT_E_TOPIC,
} from "./errors";

// Packet types (§2.2.1).
export const CONNECT: u8 = 1;
export const CONNACK: u8 = 2;
export const PUBLISH: u8 = 3;
export const PUBACK: u8 = 4;
export const PUBREC: u8 = 5;
export const PUBREL: u8 = 6;
export const PUBCOMP: u8 = 7;
export const SUBSCRIBE: u8 = 8;
export const SUBACK: u8 = 9;
export const UNSUBSCRIBE: u8 = 10;
export const UNSUBACK: u8 = 11;
export const PINGREQ: u8 = 12;
export const PINGRESP: u8 = 13;
export const DISCONNECT: u8 = 14;

const MAX_REMAINING: u32 = 268435455;   // §2.2.3: four length bytes

// ---- validation ----

// §1.5.3: well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, <= U+10FFFF) and no U+0000
// (MQTT-1.5.3-2). 0 or MQTT_E_TOPIC.
export function checkUtf8(s: usize, n: u32): i32 {
  let i: u32 = 0;
  while (i < n) {
    const c = <u32>load<u8>(s + i);
    if (c == 0) return MQTT_E_TOPIC;
    if (c < 0x80) { i++; continue; }
    const extra: u32 = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 ? 1 : 0;
    if (extra == 0 || c > 0xf4 || n - i <= extra) return MQTT_E_TOPIC;
    let cp = c & (<u32>0x3f >> extra);
    for (let k: u32 = 1; k <= extra; k++) {
      const b = <u32>load<u8>(s + i + k);
      if ((b & 0xc0) != 0x80) return MQTT_E_TOPIC;
      cp = (cp << 6) | (b & 0x3f);
    }
    if ((extra == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (extra == 3 && (cp < 0x10000 || cp > 0x10ffff))) {
      return MQTT_E_TOPIC;
    }
    i += extra + 1;
  }
  return 0;
}

// §4.7.3: at least one character; §3.3.2.1: a topic name has no wildcards.
export function checkTopic(s: usize, n: u32): i32 {
  if (n == 0) return MQTT_E_TOPIC;
  for (let i: u32 = 0; i < n; i++) {
    const c = load<u8>(s + i);
    if (c == 0x2b || c == 0x23) return MQTT_E_TOPIC;          // '+', '#'
  }
  return checkUtf8(s, n);
}

// §4.7.1: '#' only as the whole last level; '+' only as a whole level.
export function checkFilter(s: usize, n: u32): i32 {
  if (n == 0) return MQTT_E_TOPIC;
  for (let i: u32 = 0; i < n; i++) {
    const c = load<u8>(s + i);
    const starts = i == 0 || load<u8>(s + i - 1) == 0x2f;
    const ends = i + 1 == n || load<u8>(s + i + 1) == 0x2f;
    if (c == 0x23 && (!starts || i + 1 != n)) return MQTT_E_TOPIC;
    if (c == 0x2b && (!starts || !ends)) return MQTT_E_TOPIC;
  }
  return checkUtf8(s, n);
}

// ---- encoders: bytes written, or MQTT_E_NOSPACE / MQTT_E_ARG / MQTT_E_TOPIC ----

// Bytes of the remaining-length field for v (§2.2.3); v <= MAX_REMAINING.
function lengthBytes(v: u32): u32 { return v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : 4; }

// Writes the remaining length of v at out (1..4 bytes) and returns the count, or MQTT_E_ARG.
export function encLength(out: usize, v: u32): i32 {
  if (v > MAX_REMAINING) return MQTT_E_ARG;
  let n: u32 = 0;
  do {
    const b = v & 0x7f;
    v >>= 7;
    store<u8>(out + n++, b | (v != 0 ? 0x80 : 0));
  } while (v != 0);
  return <i32>n;
}

// Fixed header (§2.2) of a packet with `remaining` bytes after it, once its total fits `cap`:
// the header's length, or MQTT_E_NOSPACE.
function fixedHeader(out: usize, cap: u32, first: u8, remaining: u32): i32 {
  if (remaining > MAX_REMAINING) return MQTT_E_ARG;
  const total = <u64>1 + lengthBytes(remaining) + remaining;
  if (total > <u64>cap) return MQTT_E_NOSPACE;
  store<u8>(out, first);
  return 1 + encLength(out + 1, remaining);
}

function put16(at: usize, v: u32): usize { store<u8>(at, <u8>(v >> 8)); store<u8>(at + 1, <u8>v); return at + 2; }
// §1.5.3: a 2-byte length, then the bytes.
function putStr(at: usize, s: usize, n: u32): usize { at = put16(at, n); memory.copy(at, s, n); return at + n; }

// What CONNECT carries (§3.1): byte ranges in linear memory that stay valid while the client may
// reconnect. An address of 0 means "absent" for username, password and will topic.
@unmanaged export class MqttConnectOpts {
  clientId: usize = 0; clientIdLen: u32 = 0;     // may be empty with cleanSession (§3.1.3.1)
  username: usize = 0; usernameLen: u32 = 0;
  password: usize = 0; passwordLen: u32 = 0;     // needs a username (§3.1.2.9)
  willTopic: usize = 0; willTopicLen: u32 = 0;
  willMsg: usize = 0; willLen: u32 = 0;
  willQos: u8 = 0; willRetain: bool = false; cleanSession: bool = true;
  keepaliveS: u16 = 0;
}

// §3.1: protocol name "MQTT", level 4, connect flags (§3.1.2.3), keepalive, then the payload in the
// order client id, will topic, will message, user name, password (§3.1.3).
export function encConnect(out: usize, cap: u32, o: MqttConnectOpts): i32 {
  const will = o.willTopic != 0, user = o.username != 0, pass = o.password != 0;
  if (o.willQos > 2 || (pass && !user)) return MQTT_E_ARG;                          // §3.1.2.9
  if (!will && (o.willQos != 0 || o.willRetain)) return MQTT_E_ARG;                 // §3.1.2.6, §3.1.2.7
  if (o.clientIdLen == 0 && !o.cleanSession) return MQTT_E_ARG;                     // §3.1.3.1
  if (o.clientIdLen > 0xffff || o.usernameLen > 0xffff || o.passwordLen > 0xffff || o.willTopicLen > 0xffff || o.willLen > 0xffff) {
    return MQTT_E_ARG;
  }
  if (will && checkTopic(o.willTopic, o.willTopicLen) != 0) return MQTT_E_TOPIC;
  if (checkUtf8(o.clientId, o.clientIdLen) != 0 || (user && checkUtf8(o.username, o.usernameLen) != 0)) return MQTT_E_ARG;
  let flags: u32 = (user ? 0x80 : 0) | (pass ? 0x40 : 0) | (o.cleanSession ? 0x02 : 0);
  if (will) flags |= 0x04 | (<u32>o.willQos << 3) | (o.willRetain ? 0x20 : 0);
  let rem: u32 = 10 + 2 + o.clientIdLen;
  if (will) rem += 4 + o.willTopicLen + o.willLen;
  if (user) rem += 2 + o.usernameLen;
  if (pass) rem += 2 + o.passwordLen;
  const h = fixedHeader(out, cap, CONNECT << 4, rem);
  if (h < 0) return h;
  let at = out + <usize>h;
  at = put16(at, 4);
  store<u32>(at, 0x5454514d);                                  // "MQTT"
  store<u8>(at + 4, 4);                                        // §3.1.2.2: level 4
  store<u8>(at + 5, <u8>flags);
  at = put16(at + 6, o.keepaliveS);
  at = putStr(at, o.clientId, o.clientIdLen);
  if (will) { at = putStr(at, o.willTopic, o.willTopicLen); at = putStr(at, o.willMsg, o.willLen); }
  if (user) at = putStr(at, o.username, o.usernameLen);
  if (pass) at = putStr(at, o.password, o.passwordLen);
  return <i32>(at - out);
}

// §3.3: DUP (bit 3), QoS (bits 2-1), RETAIN (bit 0); topic; packet id only for QoS 1 and 2. The
// payload of payloadLen bytes follows (the caller sends it).
export function encPublishHead(out: usize, cap: u32, topic: usize, topicLen: u32, id: u32, qos: u32, retain: bool, dup: bool,
  payloadLen: u32): i32 {
  if (qos > 2 || (qos != 0 && id == 0) || (dup && qos == 0) || id > 0xffff || topicLen > 0xffff) return MQTT_E_ARG;   // §2.3.1, §3.3.1.1
  if (checkTopic(topic, topicLen) != 0) return MQTT_E_TOPIC;
  const vh: u32 = 2 + topicLen + (qos != 0 ? 2 : 0);
  if (payloadLen > MAX_REMAINING - vh) return MQTT_E_ARG;
  const first = <u8>((<u32>PUBLISH << 4) | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0));
  const headLen: u32 = 1 + lengthBytes(vh + payloadLen) + vh;     // only the head goes to out
  if (headLen > cap) return MQTT_E_NOSPACE;
  store<u8>(out, first);
  let at = out + 1 + <usize>encLength(out + 1, vh + payloadLen);
  at = putStr(at, topic, topicLen);
  if (qos != 0) at = put16(at, id);
  return <i32>(at - out);
}

// PUBACK, PUBREC, PUBREL (flags 0010, §3.6.1), PUBCOMP: 4 bytes.
export function encAck(out: usize, cap: u32, type: u8, id: u32): i32 {
  if (type < PUBACK || type > PUBCOMP || id == 0 || id > 0xffff) return MQTT_E_ARG;
  if (cap < 4) return MQTT_E_NOSPACE;
  store<u8>(out, (type << 4) | (type == PUBREL ? 2 : 0));
  store<u8>(out + 1, 2);
  put16(out + 2, id);
  return 4;
}

// A list of topic filters: n entries of FILTER_ENTRY bytes, { u32 address, u32 length, u8 qos }.
export const FILTER_ENTRY: u32 = 12;
@inline function fAddr(f: usize, i: u32): usize { return <usize>load<u32>(f + i * FILTER_ENTRY); }
@inline function fLen(f: usize, i: u32): u32 { return load<u32>(f + i * FILTER_ENTRY, 4); }
@inline function fQos(f: usize, i: u32): u8 { return load<u8>(f + i * FILTER_ENTRY, 8); }

// §3.8 and §3.10: flags 0010, packet id, then (filter, requested QoS) or filters.
function encFilters(out: usize, cap: u32, type: u8, id: u32, f: usize, n: u32): i32 {
  if (n == 0 || id == 0 || id > 0xffff) return MQTT_E_ARG;                            // §3.8.3-3, §3.10.3-2
  const sub = type == SUBSCRIBE;
  let rem: u32 = 2;
  for (let i: u32 = 0; i < n; i++) {
    const len = fLen(f, i);
    if (len > 0xffff) return MQTT_E_ARG;
    if (checkFilter(fAddr(f, i), len) != 0) return MQTT_E_TOPIC;
    if (sub && fQos(f, i) > 2) return MQTT_E_ARG;
    rem += 2 + len + (sub ? 1 : 0);
    if (rem > cap) return MQTT_E_NOSPACE;                      // also keeps the sum from wrapping
  }
  const h = fixedHeader(out, cap, (type << 4) | 2, rem);
  if (h < 0) return h;
  let at = put16(out + <usize>h, id);
  for (let i: u32 = 0; i < n; i++) {
    at = putStr(at, fAddr(f, i), fLen(f, i));
    if (sub) { store<u8>(at, fQos(f, i)); at++; }
  }
  return <i32>(at - out);
}

export function encSubscribe(out: usize, cap: u32, id: u32, filters: usize, n: u32): i32 {
  return encFilters(out, cap, SUBSCRIBE, id, filters, n);
}

export function encUnsubscribe(out: usize, cap: u32, id: u32, filters: usize, n: u32): i32 {
  return encFilters(out, cap, UNSUBSCRIBE, id, filters, n);
}

// PINGREQ, DISCONNECT: 2 bytes.
export function encEmpty(out: usize, cap: u32, type: u8): i32 {
  if (type != PINGREQ && type != DISCONNECT) return MQTT_E_ARG;
  if (cap < 2) return MQTT_E_NOSPACE;
  store<u8>(out, type << 4);
  store<u8>(out + 1, 0);
  return 2;
}

// ---- the parser ----

// Event kinds handed to the parser's handler.
export const EV_PACKET: i32 = 0;      // a whole non-PUBLISH packet: evType, id, sessionPresent/rc, data/len (SUBACK codes)
export const EV_PUB_START: i32 = 1;   // a PUBLISH's variable header: topic, id, qos/retain/dup, payloadLen
export const EV_PUB_DATA: i32 = 2;    // a slice of its payload: data/len
export const EV_PUB_END: i32 = 3;     // its last byte was delivered

const ST_HEADER: u8 = 0, ST_LENGTH: u8 = 1, ST_BODY: u8 = 2, ST_PUB_VH: u8 = 3, ST_PUB_PAYLOAD: u8 = 4;

// Called for every event (ctx: the caller's value); a negative return stops the parser with it.
export type MqttEventFn = (ctx: usize, p: MqttParser, kind: i32) => i32;

@unmanaged export class MqttParser {
  buf: usize = 0; cap: u32 = 0;       // the caller's buffer (bodies, PUBLISH variable headers)
  stage: u8 = 0; header: u8 = 0; lenBytes: u8 = 0;
  remaining: u32 = 0; got: u32 = 0;   // remaining length; bytes of the current stage taken
  vhLen: u32 = 0;                     // PUBLISH: variable-header length once known
  err: i32 = 0;                       // sticky: once failed, every call returns it
  // the current event
  evType: u8 = 0;                     // EV_PACKET: CONNACK, PUBACK..PUBCOMP, SUBACK, UNSUBACK, PINGRESP
  id: u32 = 0;                        // acks, SUBACK, UNSUBACK, PUBLISH with QoS > 0
  qos: u8 = 0; retain: bool = false; dup: bool = false;      // PUBLISH
  sessionPresent: bool = false; rc: u8 = 0;                  // CONNACK
  topic: usize = 0; topicLen: u32 = 0;                       // PUBLISH (in buf until EV_PUB_END)
  payloadLen: u32 = 0;                                       // PUBLISH: the whole payload
  data: usize = 0; len: u32 = 0;                             // EV_PUB_DATA: a slice; SUBACK: the return codes
  handler: MqttEventFn | null = null;
  ctx: usize = 0;

  init(buf: usize, cap: u32, handler: MqttEventFn, ctx: usize): void {
    memory.fill(changetype<usize>(this), 0, offsetof<MqttParser>());
    this.buf = buf;
    this.cap = cap;
    this.handler = handler;
    this.ctx = ctx;
  }

  // Consumes up to n bytes at `input`, emitting events; stops after each complete packet so the
  // caller can apply backpressure. Returns the bytes consumed (>= 0) or a negative error (sticky).
  parse(input: usize, n: u32): i32 {
    let used: u32 = 0;
    if (this.err != 0) return this.err;
    while (used < n) {
      const st = this.stage;
      if (st == ST_HEADER) {
        const h = load<u8>(input + used);
        const r = checkHeader(h);
        if (r != 0) return this.fail(r);
        this.header = h;
        used++;
        this.remaining = 0;
        this.lenBytes = 0;
        this.stage = ST_LENGTH;
      } else if (st == ST_LENGTH) {                                 // §2.2.3: at most 4 bytes
        const b = <u32>load<u8>(input + used++);
        this.remaining |= (b & 0x7f) << (7 * <u32>this.lenBytes);
        if (++this.lenBytes == 4 && (b & 0x80) != 0) return this.fail(MQTT_E_REMAINING_LENGTH);
        if ((b & 0x80) != 0) continue;
        const r = this.startBody();
        if (r != 0) return this.fail(r);
        if (this.stage == ST_BODY && this.remaining == 0) {
          this.packetDone();
          const e = this.decodeBody();
          if (e != 0) return this.fail(e);
          return <i32>used;
        }
      } else if (st == ST_BODY) {
        used = this.gather(this.remaining, input, n, used);
        if (this.got < this.remaining) continue;
        this.packetDone();
        const e = this.decodeBody();
        if (e != 0) return this.fail(e);
        return <i32>used;
      } else if (st == ST_PUB_VH) {
        if (this.vhLen == 0) {                                      // first the 2 topic-length bytes
          used = this.gather(2, input, n, used);
          if (this.got < 2) continue;
          this.vhLen = 2 + be16(this.buf) + (((this.header >> 1) & 3) != 0 ? 2 : 0);
          if (this.vhLen > this.remaining) return this.fail(MQTT_E_MALFORMED);
          if (this.vhLen > this.cap) return this.fail(MQTT_E_TOO_BIG);
        }
        if (this.got < this.vhLen) {
          used = this.gather(this.vhLen, input, n, used);
          if (this.got < this.vhLen) continue;
        }
        const r = this.decodePublishVh();
        if (r != 0) return this.fail(r);
        this.got = 0;
        this.stage = ST_PUB_PAYLOAD;
        if (this.payloadLen == 0) return this.pubEnd(used);
      } else {                                                      // ST_PUB_PAYLOAD
        const take = min(this.payloadLen - this.got, n - used);
        this.data = input + used;
        this.len = take;
        used += take;
        this.got += take;
        const r = this.emit(EV_PUB_DATA);
        if (r != 0) return this.fail(r);
        if (this.got < this.payloadLen) continue;
        return this.pubEnd(used);
      }
    }
    return <i32>used;
  }

  private pubEnd(used: u32): i32 {
    this.packetDone();
    this.data = 0;
    this.len = 0;
    const r = this.emit(EV_PUB_END);
    if (r != 0) return this.fail(r);
    return <i32>used;
  }

  private emit(kind: i32): i32 {
    const fn = this.handler;
    return fn ? fn(this.ctx, this, kind) : 0;
  }

  private fail(err: i32): i32 { this.err = err; return err; }

  private packetDone(): void { this.stage = ST_HEADER; this.got = 0; }

  // Takes up to `want` bytes of the current stage into buf; returns the new `used`.
  private gather(want: u32, input: usize, n: u32, used: u32): u32 {
    const take = min(want - this.got, n - used);
    memory.copy(this.buf + this.got, input + used, take);
    this.got += take;
    return used + take;
  }

  // After the remaining length: where the packet goes.
  private startBody(): i32 {
    this.got = 0;
    if ((this.header >> 4) != PUBLISH) {
      if (this.remaining > this.cap) return MQTT_E_TOO_BIG;
      this.stage = ST_BODY;
      return 0;
    }
    const least: u32 = 2 + (((this.header >> 1) & 3) != 0 ? 2 : 0);   // topic length (+ id)
    if (this.remaining < least) return MQTT_E_MALFORMED;
    if (this.cap < 2) return MQTT_E_TOO_BIG;
    this.vhLen = 0;                                                    // known once the topic length is in
    this.stage = ST_PUB_VH;
    return 0;
  }

  // A complete non-PUBLISH body in buf: checked field by field, then emitted.
  private decodeBody(): i32 {
    const b = this.buf, n = this.remaining, type = this.header >> 4;
    this.evType = type;
    this.id = 0;
    this.data = 0;
    this.len = 0;
    if (type == CONNACK) {                                             // §3.2: flags byte, return code
      if (n != 2 || (load<u8>(b) & 0xfe) != 0) return MQTT_E_MALFORMED;
      if (load<u8>(b, 1) > 5) return MQTT_E_MALFORMED;                  // §3.2.2.3: 6-255 reserved
      this.sessionPresent = (load<u8>(b) & 1) != 0;
      this.rc = load<u8>(b, 1);
    } else if (type == PINGRESP) {
      if (n != 0) return MQTT_E_MALFORMED;
    } else if (type == SUBACK) {                                       // §3.9: id + one code per filter
      if (n < 3) return MQTT_E_MALFORMED;
      for (let i: u32 = 2; i < n; i++) {
        const c = load<u8>(b + i);
        if (c > 2 && c != 0x80) return MQTT_E_QOS;                     // §3.9.3
      }
      this.data = b + 2;
      this.len = n - 2;
      this.id = be16(b);
      if (this.id == 0) return MQTT_E_PACKET_ID;
    } else {                                                           // PUBACK..PUBCOMP, UNSUBACK: id
      if (n != 2) return MQTT_E_MALFORMED;
      this.id = be16(b);
      if (this.id == 0) return MQTT_E_PACKET_ID;
    }
    return this.emit(EV_PACKET);
  }

  // PUBLISH variable header in buf: topic (validated), packet id for QoS > 0.
  private decodePublishVh(): i32 {
    const h = this.header, tl = be16(this.buf);
    this.evType = PUBLISH;
    this.qos = (h >> 1) & 3;
    this.retain = (h & 1) != 0;
    this.dup = (h & 8) != 0;
    this.topic = this.buf + 2;
    this.topicLen = tl;
    this.id = 0;
    this.data = 0;
    this.len = 0;
    const r = checkTopic(this.topic, tl);
    if (r != 0) return r;
    if (this.qos != 0) {
      this.id = be16(this.buf + 2 + tl);
      if (this.id == 0) return MQTT_E_PACKET_ID;
    }
    this.payloadLen = this.remaining - this.vhLen;
    return this.emit(EV_PUB_START);
  }
}

@inline function be16(b: usize): u32 { return (<u32>load<u8>(b) << 8) | <u32>load<u8>(b, 1); }

// §2.2.2: the flags every server-to-client type must carry.
function checkHeader(h: u8): i32 {
  const type = h >> 4, flags = h & 15;
  if (type == PUBLISH) {
    if (((flags >> 1) & 3) == 3) return MQTT_E_QOS;                   // §3.3.1.2
    if ((flags & 8) != 0 && (flags & 6) == 0) return MQTT_E_QOS;       // §3.3.1.1: DUP on QoS 0
    return 0;
  }
  if (type == PUBREL) return flags == 2 ? 0 : MQTT_E_FLAGS;
  if (type == CONNACK || type == PUBACK || type == PUBREC || type == PUBCOMP || type == SUBACK || type == UNSUBACK || type == PINGRESP) {
    return flags == 0 ? 0 : MQTT_E_FLAGS;
  }
  return MQTT_E_PACKET_TYPE;                // 0, 15 (reserved) and the client-only types
}
