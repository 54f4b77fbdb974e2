// An MQTT 3.1.1 client for AssemblyScript applications compiled into the stack's .wasm, on the
// application socket API (assembly/app/net.ts, through transport.ts). The design is the C client's
// (boards/common/apps/mqtt/mqtt_client.c): event-driven (the stack's events through event(), called
// from the app's app_event), time as an input (tick(nowMs), called from a timer export the host
// calls), fixed buffers inside the client's own region, no allocation. Packets are built and parsed
// by codec.ts. Section numbers: OASIS MQTT 3.1.1.
//
// - Outgoing PUBLISH: topic and payload are NOT copied: they must stay valid until onPublished(id)
//   (QoS 0: once the bytes are in the TCP send buffer; QoS 1: PUBACK; QoS 2: PUBCOMP). At most
//   MQTT_INFLIGHT publishes are outstanding (MQTT_E_BUSY beyond). A session resumed with
//   cleanSession = false re-sends every unacknowledged PUBLISH with DUP and every PUBREL (§4.4) on
//   the next CONNACK, in their original order and with their original ids.
// - Incoming PUBLISH: the payload is streamed to onMessage (any size); QoS 1 is acknowledged after
//   its last byte, QoS 2 delivered once per packet id until its PUBREL (§4.3.3); those ids are
//   forgotten on a CONNACK without session present.
// - Every protocol violation of the server closes the connection (RST) and reports its error code
//   through onClosed; so does a missing CONNACK or PINGRESP (the broken-link timeout).
import {
  EAGAIN, EV_CLOSED, EV_CONNECTED, EV_ERROR, EV_READABLE, EV_WRITABLE, IO_BUFFER_SIZE, MqttTransport, ioBuffer, stackTransport,
} from "./transport";
import {
  CONNACK, DISCONNECT, EV_PACKET, EV_PUB_DATA, EV_PUB_END, EV_PUB_START, FILTER_ENTRY, MqttConnectOpts, MqttParser, PINGREQ,
  PINGRESP, PUBACK, PUBCOMP, PUBREC, PUBREL, SUBACK, UNSUBACK, encAck, encConnect, encEmpty, encPublishHead, encSubscribe,
  encUnsubscribe,
} from "./codec";
import {
  MQTT_E_ARG, MQTT_E_BUSY, MQTT_E_MALFORMED, MQTT_E_NOSPACE, MQTT_E_PACKET_ID, MQTT_E_PROTOCOL, MQTT_E_QOS2_FULL,
  MQTT_E_REFUSED, MQTT_E_SESSION_LOST, MQTT_E_STATE, MQTT_E_TCP, MQTT_E_TIMEOUT, MQTT_OK,
} from "./errors";

// Limits (the C client's defaults).
export const MQTT_INFLIGHT: u32 = 4;   // outgoing publishes outstanding (QoS 0 until sent, QoS 1/2 until acked)
export const MQTT_TX_RING: u32 = 1024; // encoded packets waiting for the TCP send buffer (a power of two)
export const MQTT_RX_BUF: u32 = 512;   // a whole server packet, or a PUBLISH topic + id
export const MQTT_RX_CHUNK: u32 = 512; // bytes read from TCP at a time
export const MQTT_QOS2_RX: u32 = 8;    // incoming QoS 2 ids between PUBLISH and PUBREL
export const MQTT_PENDING: u32 = 4;    // SUBSCRIBE / UNSUBSCRIBE awaiting their ack
export const MQTT_SUB_MAX: u32 = 256;  // largest SUBSCRIBE / UNSUBSCRIBE packet
export const MQTT_MAX_TOPIC: u32 = 128; // longest outgoing topic: the re-sent heads of a resumed session always fit the ring
export const MQTT_MAX_FILTERS: u32 = 16; // filters per SUBSCRIBE / UNSUBSCRIBE call
const HEAD_MAX: u32 = MQTT_MAX_TOPIC + 9;
// @ts-ignore: static checks of the sizes above
if (MQTT_INFLIGHT * HEAD_MAX + 16 > MQTT_TX_RING || (MQTT_TX_RING & (MQTT_TX_RING - 1)) != 0 || MQTT_RX_CHUNK > <u32>IO_BUFFER_SIZE) {
  ERROR("mqtt: the ring must hold every re-sent PUBLISH head plus an ack; rx chunk within the I/O buffer");
}

export const MQTT_IDLE: u8 = 0, MQTT_TCP_CONNECTING: u8 = 1, MQTT_WAIT_CONNACK: u8 = 2, MQTT_CONNECTED: u8 = 3;
// Outgoing slot states: QoS 0 (until sent), 1 (PUBACK), 2 (PUBREC, PUBCOMP).
const OUT_FREE: u8 = 0, OUT_SENDING: u8 = 1, OUT_WAIT_ACK: u8 = 2, OUT_WAIT_REC: u8 = 3, OUT_WAIT_COMP: u8 = 4;

// Callbacks (top-level functions; ctx is the client's `ctx` field).
export type MqttOnConnected = (ctx: usize, sessionPresent: bool) => void;
// err: an error code (MQTT_OK after disconnect()). The client is idle: connect() again.
export type MqttOnClosed = (ctx: usize, err: i32) => void;
// The payload streamed: slices at offset 0.. of m.payloadLen; `last` on the final one (also for an
// empty payload). m.topic/topicLen, m.qos, m.retain, m.dup, m.data/len (this slice) are valid
// during the call only.
export type MqttOnMessage = (ctx: usize, m: MqttParser, offset: u32, last: bool) => void;
// A publish is complete (err 0) or was dropped (MQTT_E_SESSION_LOST, or MQTT_E_TCP for QoS 0).
export type MqttOnPublished = (ctx: usize, id: u32, qos: u8, err: i32) => void;
// SUBACK: one code per filter (0..2 granted QoS, 0x80 failure); UNSUBACK: codes 0, n 0.
export type MqttOnSuback = (ctx: usize, id: u32, codes: usize, n: u32) => void;

@unmanaged class Out {
  topic: usize = 0; payload: usize = 0;
  len: u32 = 0; seq: u32 = 0;          // seq: order of first send (re-sent in that order)
  id: u16 = 0; topicLen: u16 = 0;
  qos: u8 = 0; retain: bool = false; state: u8 = 0;
}

// Where each part of a client lives in its region (MQTT_CLIENT_BYTES from the address given to at()).
const OFF_PARSER: u32 = (offsetof<MqttClient>() + 7) & ~7;
const OFF_OPTS: u32 = (OFF_PARSER + offsetof<MqttParser>() + 7) & ~7;
const OFF_OUT: u32 = (OFF_OPTS + offsetof<MqttConnectOpts>() + 7) & ~7;
const OUT_SIZE: u32 = (offsetof<Out>() + 3) & ~3;
const OFF_MARKS: u32 = OFF_OUT + MQTT_INFLIGHT * OUT_SIZE;          // { u32 at, u32 slot } per mark
const OFF_QOS2: u32 = OFF_MARKS + MQTT_INFLIGHT * 8;                // u16 ids (0: free)
const OFF_PEND: u32 = OFF_QOS2 + MQTT_QOS2_RX * 2;                  // u16 ids
const OFF_PENDN: u32 = OFF_PEND + MQTT_PENDING * 2;                 // u8 filters per id (0: UNSUBSCRIBE)
const OFF_SCRATCH: u32 = (OFF_PENDN + MQTT_PENDING + 7) & ~7;       // SUBSCRIBE / PUBLISH head being built
const OFF_TX: u32 = OFF_SCRATCH + MQTT_SUB_MAX;
const OFF_RXPKT: u32 = OFF_TX + MQTT_TX_RING;
const OFF_RX: u32 = OFF_RXPKT + MQTT_RX_BUF;
export const MQTT_CLIENT_BYTES: u32 = OFF_RX + MQTT_RX_CHUNK;

@unmanaged export class MqttClient {
  // configuration
  ip: u32 = 0; port: u32 = 1883;       // the broker (host order)
  connackTimeoutMs: u32 = 0;           // 0 at connect(): 10,000
  pingTimeoutMs: u32 = 0;              // PINGRESP wait before the link counts as broken; 0: keepalive/2 (>= 1 s)
  ctx: usize = 0;
  transport: MqttTransport = changetype<MqttTransport>(0);   // at(): the stack's (transport.ts)
  onConnected: MqttOnConnected | null = null;
  onClosed: MqttOnClosed | null = null;
  onMessage: MqttOnMessage | null = null;
  onPublished: MqttOnPublished | null = null;
  onSuback: MqttOnSuback | null = null;
  // state
  state: u8 = 0;
  pingOut: bool = false; pingQueued: bool = false;   // PINGREQ due (timer running), and in the ring
  closing: bool = false;               // DISCONNECT queued: FIN once the ring is empty
  connackRc: u8 = 0;                   // the last CONNACK return code (MQTT_E_REFUSED: why)
  rxEof: bool = false;
  tcp: i32 = -1;
  now: u32 = 0; stateSince: u32 = 0; lastTx: u32 = 0; pingSent: u32 = 0;   // ms
  nextId: u32 = 1; nextSeq: u32 = 0;
  closeErr: i32 = 0;
  statDupSent: u32 = 0; statRxDupQos2: u32 = 0;      // PUBLISHes re-sent with DUP; QoS 2 duplicates not delivered
  txHead: u32 = 0; txTail: u32 = 0;   // free-running ring positions: bytes [tail, head) wait
  markHead: u32 = 0; markTail: u32 = 0; markSent: u32 = 0;   // markSent: payload bytes of the first mark sent
  rxOff: u32 = 0; rxLen: u32 = 0;
  msgOffset: u32 = 0;                  // payload bytes of the current incoming PUBLISH delivered

  // A client in the MQTT_CLIENT_BYTES at `region` (e.g. memory.data(MQTT_CLIENT_BYTES, 8)), reset.
  static at(region: usize): MqttClient {
    memory.fill(region, 0, MQTT_CLIENT_BYTES);
    const c = changetype<MqttClient>(region);
    c.port = 1883;
    c.tcp = -1;
    c.nextId = 1;
    c.opts.cleanSession = true;
    c.transport = stackTransport();
    return c;
  }

  // CONNECT's fields (client id, credentials, clean session, will, keepalive): set before connect().
  @inline get opts(): MqttConnectOpts { return changetype<MqttConnectOpts>(this.base + OFF_OPTS); }
  @inline get parser(): MqttParser { return changetype<MqttParser>(this.base + OFF_PARSER); }
  @inline private get base(): usize { return changetype<usize>(this); }
  @inline private out(i: u32): Out { return changetype<Out>(this.base + OFF_OUT + i * OUT_SIZE); }
  @inline private markAt(i: u32): usize { return this.base + OFF_MARKS + (i % MQTT_INFLIGHT) * 8; }
  @inline private qos2(i: u32): usize { return this.base + OFF_QOS2 + i * 2; }
  @inline private pend(i: u32): usize { return this.base + OFF_PEND + i * 2; }
  @inline private pendN(i: u32): usize { return this.base + OFF_PENDN + i; }
  @inline private get scratch(): usize { return this.base + OFF_SCRATCH; }
  @inline private get tx(): usize { return this.base + OFF_TX; }
  @inline private get rx(): usize { return this.base + OFF_RX; }
  @inline private txUsed(): u32 { return this.txHead - this.txTail; }
  @inline private txFree(): u32 { return MQTT_TX_RING - this.txUsed(); }
  @inline private marks(): u32 { return this.markHead - this.markTail; }

  // Publishes still outstanding (in the window).
  inflight(): u32 {
    let n: u32 = 0;
    for (let i: u32 = 0; i < MQTT_INFLIGHT; i++) if (this.out(i).state != OUT_FREE) n++;
    return n;
  }

  // ---- closing ----

  private releaseOut(i: u32, err: i32): void {
    const o = this.out(i);
    const id = <u32>o.id, qos = o.qos;
    o.state = OUT_FREE;
    const fn = this.onPublished;
    if (fn) fn(this.ctx, id, qos, err);
  }

  // Ends the connection: RST on an error (the server must not take a half-sent packet for a whole
  // one), FIN after MQTT_OK. QoS 0 publishes not yet sent are dropped; QoS 1/2 stay for the session.
  private close(err: i32): void {
    if (this.state == MQTT_IDLE) return;
    if (this.tcp > 0) {
      const t = this.transport;
      const fn = err == MQTT_OK ? t.close : t.abort;
      if (fn) fn(this.tcp);
    }
    this.tcp = -1;
    this.state = MQTT_IDLE;
    this.closeErr = err;
    this.closing = false;
    this.txHead = this.txTail = 0;
    this.markHead = this.markTail = this.markSent = 0;
    this.rxOff = this.rxLen = 0;
    this.rxEof = false;
    this.pingOut = false;
    for (let i: u32 = 0; i < MQTT_PENDING; i++) store<u16>(this.pend(i), 0);
    for (let i: u32 = 0; i < MQTT_INFLIGHT; i++) {
      if (this.out(i).state == OUT_SENDING) this.releaseOut(i, err != 0 ? err : MQTT_E_TCP);
    }
    const fn = this.onClosed;
    if (fn) fn(this.ctx, err);
  }

  // The stack was restarted: the connection handle is gone, so it is not closed; the client goes
  // idle with onClosed(MQTT_E_TCP), its session state kept for a resume.
  forgetConnection(): void {
    this.tcp = -1;
    this.close(MQTT_E_TCP);
  }

  // ---- output: the ring and its payload marks ----

  private ringPut(b: usize, n: u32): void {
    const at = this.txHead & (MQTT_TX_RING - 1);
    const first = min(n, MQTT_TX_RING - at);
    memory.copy(this.tx + at, b, first);
    memory.copy(this.tx, b + first, n - first);
    this.txHead += n;
    this.lastTx = this.now;
  }

  // Hands up to n bytes to TCP (through the I/O buffer): the count taken, 0 when full, or -1 (dead).
  private sendBytes(p: usize, n: u32): i32 {
    const k = min(n, <u32>IO_BUFFER_SIZE);
    const io = ioBuffer();
    memory.copy(io, p, k);
    const fn = this.transport.send;
    const r = fn ? fn(this.tcp, io, k) : -1;
    if (r == EAGAIN) return 0;
    return r < 0 ? -1 : r;
  }

  // One step of the output: ring bytes up to the next mark, then that mark's payload. 1 on
  // progress, 0 when TCP is full, MQTT_E_TCP when the connection failed.
  private flushOnce(): i32 {
    const limit = this.marks() != 0 ? load<u32>(this.markAt(this.markTail)) : this.txHead;
    let progress = 0;
    while (this.txTail != limit) {
      const at = this.txTail & (MQTT_TX_RING - 1);
      const n = min(limit - this.txTail, MQTT_TX_RING - at);
      const sent = this.sendBytes(this.tx + at, n);
      if (sent < 0) return MQTT_E_TCP;
      this.txTail += <u32>sent;
      if (<u32>sent < n) return 0;
      progress = 1;
    }
    if (this.marks() == 0) return progress;
    const slot = load<u32>(this.markAt(this.markTail), 4);
    const o = this.out(slot);
    while (this.markSent < o.len) {
      const sent = this.sendBytes(o.payload + this.markSent, o.len - this.markSent);
      if (sent < 0) return MQTT_E_TCP;
      if (sent == 0) return 0;
      this.markSent += <u32>sent;
    }
    this.markTail++;
    this.markSent = 0;
    if (o.state == OUT_SENDING) this.releaseOut(slot, MQTT_OK);       // QoS 0: done once sent
    return 1;
  }

  private flush(): void {
    let progress = 1;
    while (progress > 0 && this.tcp > 0 && this.state != MQTT_TCP_CONNECTING) {
      progress = this.flushOnce();
      if (progress < 0) { this.close(progress); return; }
    }
    if (this.closing && this.state != MQTT_IDLE && this.txUsed() == 0 && this.marks() == 0) this.close(MQTT_OK);
  }

  // Encoded bytes (n, or an encoder's error) at b into the ring.
  private queue(b: usize, n: i32): i32 {
    if (n < 0) return n;
    if (this.closing) return 0;         // §3.14.4: nothing follows a DISCONNECT (late acks, PINGREQ are dropped)
    if (<u32>n > this.txFree()) return MQTT_E_BUSY;
    this.ringPut(b, <u32>n);
    return 0;
  }

  private queueAck(type: u8, id: u32): i32 {
    const b = this.scratch;
    return this.queue(b, encAck(b, 4, type, id));
  }

  // PUBLISH head into the ring, then a mark for its payload.
  private queuePublish(slot: u32, dup: bool): i32 {
    const o = this.out(slot);
    const head = this.scratch;
    const n = encPublishHead(head, HEAD_MAX, o.topic, o.topicLen, o.id, o.qos, o.retain, dup, o.len);
    if (n < 0) return n;
    if (<u32>n > this.txFree() || this.marks() >= MQTT_INFLIGHT) return MQTT_E_BUSY;
    this.ringPut(head, <u32>n);
    const m = this.markAt(this.markHead++);
    store<u32>(m, this.txHead);
    store<u32>(m, slot, 4);
    if (dup) this.statDupSent++;
    return 0;
  }

  // ---- connecting ----

  // Opens TCP to ip:port; CONNECT follows once it is up. 0 or an error (MQTT_E_*, or the stack's
  // negative errno from tcp_socket / tcp_connect).
  connect(nowMs: u32): i32 {
    if (this.state != MQTT_IDLE) return MQTT_E_STATE;
    const n = encConnect(this.scratch, 0, this.opts);              // argument errors now, not at CONNACK time
    if (n != MQTT_E_NOSPACE) return n < 0 ? n : MQTT_E_ARG;
    if (this.connackTimeoutMs == 0) this.connackTimeoutMs = 10000;
    if (this.pingTimeoutMs == 0) this.pingTimeoutMs = max<u32>(1000, <u32>this.opts.keepaliveS * 500);
    this.now = this.stateSince = nowMs;
    this.parser.init(this.base + OFF_RXPKT, MQTT_RX_BUF, onParserEvent, this.base);
    this.closeErr = 0;
    const fn = this.transport.connect;
    const h = fn ? fn(this.ip, this.port) : MQTT_E_ARG;
    if (h < 0) return h;
    this.tcp = h;
    this.state = MQTT_TCP_CONNECTING;
    return 0;
  }

  private onTcpUp(): void {
    this.txHead = this.txTail = 0;                                  // empty since close(): encode in place
    const n = encConnect(this.tx, MQTT_TX_RING, this.opts);
    this.state = MQTT_WAIT_CONNACK;
    this.stateSince = this.now;
    if (n < 0) { this.close(n); return; }
    this.txHead = <u32>n;
    this.lastTx = this.now;
    this.flush();
  }

  // §4.4: a resumed session re-sends unacknowledged PUBLISHes (DUP = 1) and PUBRELs in order.
  // MQTT_E_BUSY when a re-send does not fit: the ring holds every re-sent head when it is empty at
  // CONNACK (the static check above), not when a server answers before it has read our CONNECT.
  private resumeSession(): i32 {
    let doneSeq: u32 = 0;
    for (let round: u32 = 0; round < MQTT_INFLIGHT; round++) {
      let pick: i32 = -1;
      for (let i: u32 = 0; i < MQTT_INFLIGHT; i++) {
        const o = this.out(i);
        if (o.state == OUT_FREE || o.seq < doneSeq) continue;
        if (pick < 0 || o.seq < this.out(<u32>pick).seq) pick = <i32>i;
      }
      if (pick < 0) return 0;
      const o = this.out(<u32>pick);
      doneSeq = o.seq + 1;
      const r = o.state == OUT_WAIT_COMP ? this.queueAck(PUBREL, o.id) : this.queuePublish(<u32>pick, true);
      if (r < 0) return r;
    }
    return 0;
  }

  onConnack(p: MqttParser): i32 {
    if (this.state != MQTT_WAIT_CONNACK) return MQTT_E_PROTOCOL;     // §3.2: one CONNACK, first
    this.connackRc = p.rc;
    if (p.rc != 0) return MQTT_E_REFUSED;                            // §3.2.2.3
    const clean = this.opts.cleanSession;
    if (clean && p.sessionPresent) return MQTT_E_PROTOCOL;           // §3.2.2.2
    this.state = MQTT_CONNECTED;
    this.stateSince = this.now;
    // §3.2.2.2: session present 0 = the server holds no state for us, so it never sends the PUBREL of
    // an incoming QoS 2 id we remember, and may reuse that id for a new message: forget them.
    if (!p.sessionPresent) for (let i: u32 = 0; i < MQTT_QOS2_RX; i++) store<u16>(this.qos2(i), 0);
    if (clean) {                                                     // §3.1.2.4: no state survives
      for (let i: u32 = 0; i < MQTT_INFLIGHT; i++) if (this.out(i).state != OUT_FREE) this.releaseOut(i, MQTT_E_SESSION_LOST);
    } else {
      const r = this.resumeSession();
      if (r < 0) return r;
    }
    const fn = this.onConnected;
    if (fn) fn(this.ctx, p.sessionPresent);
    return 0;
  }

  // ---- incoming packets ----

  private findOut(id: u32): i32 {
    for (let i: u32 = 0; i < MQTT_INFLIGHT; i++) {
      const o = this.out(i);
      if (o.state >= OUT_WAIT_ACK && <u32>o.id == id) return <i32>i;
    }
    return -1;
  }

  // True while a payload of slot `s` still waits in the output for the wire.
  private payloadQueued(s: u32): bool {
    for (let m = this.markTail; m != this.markHead; m++) if (load<u32>(this.markAt(m), 4) == s) return true;
    return false;
  }

  private onAck(p: MqttParser): i32 {
    const i = this.findOut(p.id);
    if (i < 0) return MQTT_E_PACKET_ID;
    // §4.3.2/§4.3.3: an ack of a PUBLISH whose payload has not left yet cannot be genuine (a guessed
    // id); taking it would free the slot under its queued payload.
    if (this.payloadQueued(<u32>i)) return MQTT_E_PROTOCOL;
    const o = this.out(<u32>i);
    if (p.evType == PUBACK) {                                        // §4.3.2
      if (o.state != OUT_WAIT_ACK) return MQTT_E_PACKET_ID;
      this.releaseOut(<u32>i, MQTT_OK);
      return 0;
    }
    if (p.evType == PUBREC) {                                        // §4.3.3: a repeated PUBREC gets PUBREL again
      if (o.state != OUT_WAIT_REC && o.state != OUT_WAIT_COMP) return MQTT_E_PACKET_ID;
      o.state = OUT_WAIT_COMP;
      return this.queueAck(PUBREL, o.id);
    }
    if (o.state != OUT_WAIT_COMP) return MQTT_E_PACKET_ID;           // PUBCOMP
    this.releaseOut(<u32>i, MQTT_OK);
    return 0;
  }

  private qos2Find(id: u32): i32 {
    for (let i: u32 = 0; i < MQTT_QOS2_RX; i++) if (<u32>load<u16>(this.qos2(i)) == id) return <i32>i;
    return -1;
  }

  // §4.3.3 (receiver, method B): deliver on the first PUBLISH of an id, PUBREC every time, forget
  // the id at PUBREL (answered with PUBCOMP even when unknown).
  private onPubrel(id: u32): i32 {
    const i = this.qos2Find(id);
    if (i >= 0) store<u16>(this.qos2(<u32>i), 0);
    return this.queueAck(PUBCOMP, id);
  }

  private onSubackPacket(p: MqttParser): i32 {
    for (let i: u32 = 0; i < MQTT_PENDING; i++) {
      if (<u32>load<u16>(this.pend(i)) != p.id) continue;
      const want = <u32>load<u8>(this.pendN(i));
      const sub = want > 0;
      if ((p.evType == SUBACK) != sub) return MQTT_E_PACKET_ID;
      if (sub && p.len != want) return MQTT_E_MALFORMED;            // §3.9.3: one code per filter
      store<u16>(this.pend(i), 0);
      const fn = this.onSuback;
      if (fn) fn(this.ctx, p.id, sub ? p.data : 0, sub ? p.len : 0);
      return 0;
    }
    return MQTT_E_PACKET_ID;
  }

  private onPublish(p: MqttParser, kind: i32): i32 {
    const dup = p.qos == 2 && this.qos2Find(p.id) >= 0;            // already delivered, PUBREL not yet seen
    if (kind == EV_PUB_START) {
      this.msgOffset = 0;
      if (p.qos == 2 && !dup && this.qos2Find(0) < 0) return MQTT_E_QOS2_FULL;
      return 0;
    }
    if (kind == EV_PUB_DATA || (kind == EV_PUB_END && p.payloadLen == 0)) {
      const last = this.msgOffset + p.len == p.payloadLen;
      const fn = this.onMessage;
      if (!dup && fn) fn(this.ctx, p, this.msgOffset, last);
      this.msgOffset += p.len;
      if (this.state != MQTT_CONNECTED) return MQTT_E_STATE;         // the application closed meanwhile
    }
    if (kind != EV_PUB_END) return 0;
    if (p.qos == 1) return this.queueAck(PUBACK, p.id);
    if (p.qos == 2) {
      if (dup) this.statRxDupQos2++;
      else store<u16>(this.qos2(<u32>this.qos2Find(0)), <u16>p.id);
      return this.queueAck(PUBREC, p.id);
    }
    return 0;
  }

  handle(p: MqttParser, kind: i32): i32 {
    if (kind == EV_PACKET && p.evType == CONNACK) return this.onConnack(p);
    if (this.state != MQTT_CONNECTED) return MQTT_E_PROTOCOL;       // nothing before CONNACK (§3.2)
    if (kind != EV_PACKET) return this.onPublish(p, kind);
    const t = p.evType;
    if (t == PINGRESP) { this.pingOut = false; return 0; }
    if (t == PUBREL) return this.onPubrel(p.id);
    if (t == SUBACK || t == UNSUBACK) return this.onSubackPacket(p);
    return this.onAck(p);
  }

  // Reads and parses while the ring has room for the ack a packet may need (backpressure: the rest
  // waits in rx and in the stack until EV_WRITABLE or the next tick).
  private readPump(): void {
    for (let round = 0; round < 256 && this.state >= MQTT_WAIT_CONNACK; round++) {
      if (this.rxOff == this.rxLen) {
        const io = ioBuffer();
        const fn = this.transport.recv;
        const r = fn ? fn(this.tcp, io, MQTT_RX_CHUNK) : -1;
        if (r == EAGAIN) return;
        if (r <= 0) { this.close(MQTT_E_TCP); return; }              // the server closed or reset
        if (this.pingOut) this.pingSent = this.now;   // bytes arrive: the link is alive, PINGRESP may queue behind them
        memory.copy(this.rx, io, <usize>r);
        this.rxOff = 0;
        this.rxLen = <u32>r;
      }
      if (this.txFree() < 16) {
        this.flush();
        if (this.state == MQTT_IDLE || this.txFree() < 16) return;
      }
      const n = this.parser.parse(this.rx + this.rxOff, this.rxLen - this.rxOff);
      if (this.state == MQTT_IDLE) return;                           // closed from a callback
      if (n < 0) { this.close(n); return; }
      this.rxOff += <u32>n;
      this.flush();
    }
  }

  // The stack's events for handle h (from app_event). True when h is this client's connection.
  event(h: i32, events: i32): bool {
    if (h != this.tcp || this.state == MQTT_IDLE) return false;
    if ((events & EV_ERROR) != 0) { this.close(MQTT_E_TCP); return true; }
    if ((events & EV_CONNECTED) != 0 && this.state == MQTT_TCP_CONNECTING) this.onTcpUp();
    if (this.state == MQTT_IDLE) return true;
    if ((events & EV_WRITABLE) != 0) this.flush();
    if ((events & (EV_READABLE | EV_WRITABLE | EV_CLOSED)) != 0) this.readPump();
    return true;
  }

  // ---- the application's calls ----

  private newId(): u32 {
    for (let tries: u32 = 0; tries <= MQTT_INFLIGHT + MQTT_PENDING; tries++) {   // at most 8 ids in use
      const id = this.nextId++;
      if (this.nextId > 0xffff) this.nextId = 1;
      let used = false;
      for (let i: u32 = 0; i < MQTT_INFLIGHT; i++) {
        const o = this.out(i);
        if (o.state != OUT_FREE && <u32>o.id == id) used = true;
      }
      for (let i: u32 = 0; i < MQTT_PENDING; i++) if (<u32>load<u16>(this.pend(i)) == id) used = true;
      if (!used) return id;
    }
    return 0;                                                        // unreachable: a free id is always found
  }

  // Publishes len bytes at payload to the topic (topicLen bytes at topic, at most MQTT_MAX_TOPIC).
  // Both must stay valid until onPublished. Returns the packet id (QoS 1/2), 0 (QoS 0), or
  // MQTT_E_BUSY / MQTT_E_STATE / MQTT_E_ARG / MQTT_E_TOPIC.
  publish(topic: usize, topicLen: u32, payload: usize, len: u32, qos: u8, retain: bool): i32 {
    if (this.state != MQTT_CONNECTED || this.closing) return MQTT_E_STATE;
    if (qos > 2 || topicLen > MQTT_MAX_TOPIC) return MQTT_E_ARG;
    let slot: i32 = -1;
    for (let i: u32 = 0; i < MQTT_INFLIGHT && slot < 0; i++) if (this.out(i).state == OUT_FREE) slot = <i32>i;
    if (slot < 0) return MQTT_E_BUSY;
    const o = this.out(<u32>slot);
    o.topic = topic;
    o.topicLen = <u16>topicLen;
    o.payload = payload;
    o.len = len;
    o.seq = this.nextSeq;
    o.id = qos != 0 ? <u16>this.newId() : 0;
    o.qos = qos;
    o.retain = retain;
    const r = this.queuePublish(<u32>slot, false);
    if (r != 0) return r;                                            // the slot stays free
    this.nextSeq++;
    o.state = qos == 0 ? OUT_SENDING : qos == 1 ? OUT_WAIT_ACK : OUT_WAIT_REC;
    const id = <i32>o.id;
    this.flush();
    return id;
  }

  // SUBSCRIBE (qos table given) or UNSUBSCRIBE: `filters` holds n entries of FILTER_ENTRY bytes.
  private subUnsub(filters: usize, n: u32, sub: bool): i32 {
    if (this.state != MQTT_CONNECTED || this.closing) return MQTT_E_STATE;
    if (n == 0 || n > MQTT_MAX_FILTERS) return MQTT_E_ARG;
    let slot: i32 = -1;
    for (let i: u32 = 0; i < MQTT_PENDING && slot < 0; i++) if (load<u16>(this.pend(i)) == 0) slot = <i32>i;
    if (slot < 0) return MQTT_E_BUSY;
    const id = this.newId();
    const b = this.scratch;
    const len = sub ? encSubscribe(b, MQTT_SUB_MAX, id, filters, n) : encUnsubscribe(b, MQTT_SUB_MAX, id, filters, n);
    const r = this.queue(b, len);
    if (r != 0) return r;
    store<u16>(this.pend(<u32>slot), <u16>id);
    store<u8>(this.pendN(<u32>slot), sub ? <u8>n : 0);
    this.flush();
    return <i32>id;
  }

  // Filters: n entries of FILTER_ENTRY (12) bytes, { u32 address, u32 length, u8 qos }. Returns the
  // packet id, or an error (MQTT_E_NOSPACE over MQTT_SUB_MAX bytes, MQTT_E_TOPIC for a bad filter).
  subscribeMany(filters: usize, n: u32): i32 { return this.subUnsub(filters, n, true); }
  unsubscribeMany(filters: usize, n: u32): i32 { return this.subUnsub(filters, n, false); }

  subscribe(filter: usize, len: u32, qos: u8): i32 { return this.subUnsub(oneFilter(filter, len, qos), 1, true); }
  unsubscribe(filter: usize, len: u32): i32 { return this.subUnsub(oneFilter(filter, len, 0), 1, false); }

  // DISCONNECT, then a graceful close once it is sent; onClosed(MQTT_OK).
  disconnect(): i32 {
    if (this.state != MQTT_CONNECTED) { this.close(MQTT_OK); return 0; }
    const b = this.scratch;
    const r = this.queue(b, encEmpty(b, 2, DISCONNECT));            // §3.14: then close the connection
    if (r != 0) return r;
    this.closing = true;                                             // FIN once the ring is empty
    this.flush();
    return 0;
  }

  // §3.1.2.10: a PINGREQ when nothing was sent for keepalive seconds; no PINGRESP within
  // pingTimeoutMs (or no CONNACK within connackTimeoutMs) means the link is broken. Call at least
  // every 100 ms.
  tick(nowMs: u32): void {
    this.now = nowMs;
    if (this.state == MQTT_IDLE) return;
    if (this.state != MQTT_CONNECTED) {
      if (nowMs - this.stateSince >= this.connackTimeoutMs) this.close(MQTT_E_TIMEOUT);
      return;
    }
    const keep = <u32>this.opts.keepaliveS * 1000;
    if (this.pingOut && nowMs - this.pingSent >= this.pingTimeoutMs) { this.close(MQTT_E_TIMEOUT); return; }
    if (keep != 0 && !this.pingOut && nowMs - this.lastTx >= keep) {
      this.pingOut = true;                // the timer runs even while a full ring holds the PINGREQ back
      this.pingSent = nowMs;
      this.pingQueued = false;
    }
    if (this.pingOut && !this.pingQueued) {
      const b = this.scratch;
      this.pingQueued = this.queue(b, encEmpty(b, 2, PINGREQ)) == 0;
    }
    this.flush();
    this.readPump();
  }
}

// One filter entry for subscribe()/unsubscribe(), in static memory (the calls do not nest).
const one = memory.data(FILTER_ENTRY, 4);
function oneFilter(filter: usize, len: u32, qos: u8): usize {
  store<u32>(one, <u32>filter);
  store<u32>(one, len, 4);
  store<u8>(one, qos, 8);
  return one;
}

// The parser's handler: ctx is the client's address.
function onParserEvent(ctx: usize, p: MqttParser, kind: i32): i32 {
  return changetype<MqttClient>(ctx).handle(p, kind);
}
