// The C MQTT client of boards/common/apps/mqtt (mqtt_client.c + mqtt_codec.c, compiled to
// boards/common/apps/mqtt/build/mqtt.wasm by `make -C boards/common/apps/mqtt wasm`) run in Node on a
// host/stack.ts Stack: the module's imports are the asnet.h calls the client makes
// (asnet_tcp_connect/send/recv/close/abort), served here by the Stack's typed methods, and one import
// per client callback, turned into events. Time is the simulation's clock, ticked every 50 ms on the
// given (virtual) timers.
//
//   const c = new MqttWasmClient({ stack: a, timers: net.timers, now: () => sim.clock.now, broker: '192.0.2.2', clientId: 'dev' });
//   c.on('connected', (sp) => c.subscribe('cmd/#', 2)); c.on('message', (m) => ...); c.connect();
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EINPROGRESS } from './abi.ts';
import { ipToU32, type Stack } from './stack.ts';

export const MQTT_WASM = fileURLToPath(new URL('../boards/common/apps/mqtt/build/mqtt.wasm', import.meta.url));

/** mqtt_codec.h's enum mqtt_err, by -code. */
export const MQTT_ERRORS = ['OK', 'E_REMAINING_LENGTH', 'E_PACKET_TYPE', 'E_TOO_BIG', 'E_FLAGS', 'E_MALFORMED', 'E_PACKET_ID',
  'E_QOS', 'E_TOPIC', 'E_PROTOCOL', 'E_REFUSED', 'E_TIMEOUT', 'E_TCP', 'E_NOSPACE', 'E_BUSY', 'E_STATE', 'E_ARG',
  'E_SESSION_LOST', 'E_QOS2_FULL'] as const;
export const mqttErrName = (e: number) => (e <= 0 && -e < MQTT_ERRORS.length ? MQTT_ERRORS[-e] : `E?${e}`);

export type MqttWasmOptions = {
  stack: Stack;
  timers: { setInterval(fn: () => void, ms: number): unknown; clearInterval(t: unknown): void };
  now: () => number;
  broker: string; port?: number;
  clientId: string; username?: string; password?: string;
  keepalive?: number; clean?: boolean; pingTimeoutMs?: number;
  will?: { topic: string; payload: string | Uint8Array; qos?: number; retain?: boolean };
};
export type MqttWasmMessage = { topic: string; payload: Buffer; qos: number; retain: boolean; dup: boolean };

type Exports = {
  memory: WebAssembly.Memory;
  arena(): number; arena_size(): number;
  init(...a: number[]): void;
  connect(now: number): number; disconnect(): number;
  publish(topic: number, payload: number, len: number, qos: number, retain: number): number;
  subscribe(filter: number, qos: number): number; unsubscribe(filter: number): number;
  tick(now: number): void; inflight(): number; state(): number; dup_sent(): number; connack_rc(): number;
  event(fn: number, h: number, events: number, ctx: number): void;
};

let compiled: WebAssembly.Module | null = null;

const CONFIG = 3072, SCRATCH = 1024;   // arena: config strings | scratch (filters) | publishes

export class MqttWasmClient extends EventEmitter {
  readonly x: Exports;
  private readonly routes = new Map<number, { fn: number; ctx: number }>();
  private readonly chunks: Buffer[] = [];
  private readonly unroute: () => void;
  private readonly timer: unknown;
  private cfgAt = 0;
  private pubAt = 0;

  constructor(private readonly o: MqttWasmOptions) {
    super();
    compiled ??= new WebAssembly.Module(readFileSync(MQTT_WASM));
    const s = o.stack;
    const mem = () => new Uint8Array(this.x.memory.buffer);
    const env = {
      asnet_tcp_connect: (ip: number, port: number, fn: number, ctx: number) => {
        const h = s.socket();
        if (h < 0) return h;
        const r = s.connect(h, ip >>> 0, port);
        if (r < 0 && r !== EINPROGRESS) { s.close(h); return r; }
        this.routes.set(h, { fn, ctx });
        return h;
      },
      asnet_tcp_send: (h: number, p: number, n: number) => s.send(h, mem().slice(p, p + n)),
      asnet_tcp_recv: (h: number, p: number, cap: number) => {
        const r = s.recv(h, cap);
        if (typeof r === 'number') return r;
        mem().set(r, p);
        return r.length;
      },
      asnet_tcp_close: (h: number) => { this.routes.delete(h); return s.close(h); },
      asnet_tcp_abort: (h: number) => { this.routes.delete(h); return s.abort(h); },
      on_connected: (sp: number) => this.emit('connected', sp === 1),
      on_closed: (err: number) => { this.chunks.length = 0; this.emit('closed', mqttErrName(err)); },
      on_message: (tp: number, tl: number, dp: number, len: number, _off: number, _total: number, flags: number) => {
        this.chunks.push(Buffer.from(mem().slice(dp, dp + len)));
        if (!(flags & 16)) return;
        const payload = Buffer.concat(this.chunks);
        this.chunks.length = 0;
        this.emit('message', { topic: Buffer.from(mem().slice(tp, tp + tl)).toString(), payload, qos: flags & 3,
          retain: !!(flags & 4), dup: !!(flags & 8) } satisfies MqttWasmMessage);
      },
      on_published: (id: number, qos: number, err: number) => this.emit('published', { id, qos, err: mqttErrName(err) }),
      on_suback: (id: number, codes: number, n: number) =>
        this.emit(codes ? 'suback' : 'unsuback', { id, codes: codes ? [...mem().slice(codes, codes + n)] : [] }),
    };
    this.x = new WebAssembly.Instance(compiled, { env }).exports as unknown as Exports;
    this.unroute = s.onEvent((e) => {
      const r = this.routes.get(e.handle);
      if (r) this.x.event(r.fn, e.handle, e.events, r.ctx);
    });
    const str = (v: string | Uint8Array | undefined) => (v === undefined ? 0 : this.put(v));
    const will = o.will;
    const willMsg = will ? (typeof will.payload === 'string' ? Buffer.from(will.payload) : will.payload) : undefined;
    this.x.init(ipToU32(o.broker), o.port ?? 1883, o.keepalive ?? 60, o.clean === false ? 0 : 1, str(o.clientId),
      str(o.username), str(o.password), o.password ? Buffer.byteLength(o.password) : 0, str(will?.topic),
      willMsg ? str(willMsg) : 0, willMsg?.length ?? 0, will ? (will.qos ?? 0) | (will.retain ? 4 : 0) : 0, o.pingTimeoutMs ?? 0);
    this.timer = o.timers.setInterval(() => this.x.tick(o.now()), 50);
  }

  /** A NUL-terminated copy in the config area (lives as long as the client). */
  private put(v: string | Uint8Array): number {
    const b = typeof v === 'string' ? Buffer.from(v) : v;
    if (this.cfgAt + b.length + 1 > CONFIG) throw new RangeError('mqtt-wasm: config strings over 3 KiB');
    const at = this.x.arena() + this.cfgAt;
    new Uint8Array(this.x.memory.buffer).set(b, at);
    new Uint8Array(this.x.memory.buffer)[at + b.length] = 0;
    this.cfgAt += b.length + 1;
    return at;
  }

  private scratch(s: string): number {
    const b = Buffer.from(s + '\0');
    if (b.length > SCRATCH) throw new RangeError('mqtt-wasm: filter over 1 KiB');
    const at = this.x.arena() + CONFIG;
    new Uint8Array(this.x.memory.buffer).set(b, at);
    return at;
  }

  connect(): number { return this.x.connect(this.o.now()); }
  disconnect(): number { return this.x.disconnect(); }
  subscribe(filter: string, qos: number): number { return this.x.subscribe(this.scratch(filter), qos); }
  unsubscribe(filter: string): number { return this.x.unsubscribe(this.scratch(filter)); }
  get inflight(): number { return this.x.inflight(); }
  get dupSent(): number { return this.x.dup_sent(); }

  /** Topic and payload are copied into the module (they stay there until 'published', as the C API
   * requires); the publish area is reused from its start once nothing is in flight. Returns the
   * packet id (QoS 1/2), 0 (QoS 0) or a negative mqtt_err. */
  publish(topic: string, payload: string | Uint8Array, qos: 0 | 1 | 2, retain = false): number {
    if (this.x.inflight() === 0) this.pubAt = 0;
    const t = Buffer.from(topic + '\0'), p = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const base = this.x.arena() + CONFIG + SCRATCH, room = this.x.arena_size() - CONFIG - SCRATCH;
    if (this.pubAt + t.length + p.length > room) return -14;          // E_BUSY: the area is full
    const at = base + this.pubAt;
    const m = new Uint8Array(this.x.memory.buffer);
    m.set(t, at);
    m.set(p, at + t.length);
    const r = this.x.publish(at, at + t.length, p.length, qos, retain ? 1 : 0);
    if (r >= 0) this.pubAt += t.length + p.length;
    return r;
  }

  /** Stops the tick timer and the event route (the connection is left as it is). */
  stop(): void {
    this.o.timers.clearInterval(this.timer);
    this.unroute();
  }
}
