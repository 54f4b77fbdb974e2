// The AssemblyScript MQTT client (apps/mqtt) inside the stack's own module, driven from Node: the
// module is examples/as-app/mqtt-harness.ts compiled with the stack (compileHarness), loaded as a
// host/stack.ts Stack; the stack's events go to its app_event (the client's event()), a virtual
// timer calls h_tick every 50 ms, and the callbacks' records are drained from the module's log after
// every call. Same events as host/mqtt-wasm.ts's MqttWasmClient, so the tests read alike.
import { EventEmitter } from 'node:events';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { mqttErrName, type MqttWasmMessage, type MqttWasmOptions } from '../../host/mqtt-wasm.ts';
import { ipToU32, type Stack } from '../../host/stack.ts';

const ROOT = join(import.meta.dirname, '..', '..');
export const HARNESS_WASM = join(ROOT, 'build', 'test', 'mqtt-as-harness.wasm');
export const HARNESS_PAGES = 20;

/** Compiles examples/as-app/mqtt-harness.ts with the stack (the app target's options, more memory).
 * $MQTT_AS_RUNTIME picks another runtime (test/mqtt-as-noalloc.test.ts: the allocator that traps). */
export function compileHarness(extra: string[] = [], out = HARNESS_WASM): string {
  const rt = process.env.MQTT_AS_RUNTIME;
  if (rt) { extra = ['--runtime', rt, ...extra]; out = out.replace(/\.wasm$/, '.rt.wasm'); }
  mkdirSync(join(out, '..'), { recursive: true });
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'assemblyscript', 'bin', 'asc.js'), 'examples/as-app/mqtt-harness.ts',
    '--target', 'app', '--initialMemory', String(HARNESS_PAGES), '--maximumMemory', String(HARNESS_PAGES), '--outFile', out, ...extra],
  { cwd: ROOT, stdio: 'pipe', timeout: 180_000 });
  return out;
}

/** The same options as the C client's Node module. */
export type MqttAsOptions = MqttWasmOptions;

type X = Record<string, (...a: number[]) => number> & { memory: WebAssembly.Memory };

const CONFIG = 3072, SCRATCH = 1024;   // arena: config strings | scratch (filters) | publishes

export class MqttAsClient extends EventEmitter {
  private readonly x: X;
  private readonly chunks: Buffer[] = [];
  private topic = '';
  private readonly unroute: () => void;
  private readonly timer: unknown;
  private cfgAt = 0;
  private pubAt = 0;
  /** Log records dropped by the module (its log full between two drains): must stay 0. */
  overflow = 0;

  constructor(private readonly o: MqttAsOptions) {
    super();
    const s = o.stack;
    this.x = s.x as unknown as X;
    this.unroute = s.onEvent((e) => this.call('app_event', e.handle, e.events));
    const range = (v: string | Uint8Array | undefined): [number, number] => (v === undefined ? [0, 0] : this.put(v));
    const will = o.will;
    const willMsg = will ? (typeof will.payload === 'string' ? Buffer.from(will.payload) : will.payload) : undefined;
    this.call('h_init', ipToU32(o.broker), o.port ?? 1883, o.keepalive ?? 60, o.clean === false ? 0 : 1, ...range(o.clientId),
      ...range(o.username), ...range(o.password), ...range(will?.topic), ...range(willMsg),
      will ? (will.qos ?? 0) | (will.retain ? 4 : 0) : 0, o.pingTimeoutMs ?? 0);
    this.timer = o.timers.setInterval(() => this.call('h_tick', o.now()), 50);
  }

  private mem(): Uint8Array { return new Uint8Array(this.x.memory.buffer); }

  /** One call into the module, then its callback records. */
  private call(name: string, ...args: number[]): number {
    const r = this.o.stack.callApp(name, ...args);
    this.drain();
    return r;
  }

  private drain(): void {
    const n = this.x.h_log_count() >>> 0;
    if (n === 0) return;
    const v = new DataView(this.x.memory.buffer);
    const base = this.x.h_log() >>> 0;
    const recs: number[][] = [];
    for (let i = 0; i < n; i++) recs.push(Array.from({ length: 8 }, (_, k) => v.getUint32(base + i * 32 + k * 4, true)));
    const m = this.mem();
    const bytes = (p: number, len: number) => Buffer.from(m.slice(p, p + len));
    const events: [string, unknown][] = [];
    for (const [kind, a, b, c, d, e, f, g] of recs) {
      if (kind === 1) events.push(['connected', a === 1]);
      else if (kind === 2) { this.chunks.length = 0; events.push(['closed', mqttErrName(a | 0)]); }
      else if (kind === 3) {
        if (b === 0) { this.chunks.length = 0; this.topic = bytes(f, g).toString(); }
        this.chunks.push(bytes(d, e));
        if (a & 16) {
          const payload = Buffer.concat(this.chunks);
          this.chunks.length = 0;
          if (payload.length !== c) throw new Error(`mqtt-as: message of ${payload.length} bytes, PUBLISH said ${c}`);
          events.push(['message', { topic: this.topic, payload, qos: a & 3, retain: !!(a & 4), dup: !!(a & 8) } satisfies MqttWasmMessage]);
        }
      } else if (kind === 4) events.push(['published', { id: a, qos: b, err: mqttErrName(c | 0) }]);
      else if (kind === 5) events.push([d ? 'suback' : 'unsuback', { id: a, codes: d ? [...m.slice(b, b + c)] : [] }]);
    }
    this.overflow += this.x.h_log_overflow();
    this.x.h_log_reset();
    for (const [name, arg] of events) this.emit(name, arg);
  }

  /** A copy in the config area (lives as long as the client): [address, length]. */
  private put(v: string | Uint8Array): [number, number] {
    const b = typeof v === 'string' ? Buffer.from(v) : v;
    if (this.cfgAt + b.length > CONFIG) throw new RangeError('mqtt-as: config strings over 3 KiB');
    const at = (this.x.h_arena() >>> 0) + this.cfgAt;
    this.mem().set(b, at);
    this.cfgAt += b.length;
    return [at, b.length];
  }

  private scratch(s: string): [number, number] {
    const b = Buffer.from(s);
    if (b.length > SCRATCH) throw new RangeError('mqtt-as: filter over 1 KiB');
    const at = (this.x.h_arena() >>> 0) + CONFIG;
    this.mem().set(b, at);
    return [at, b.length];
  }

  connect(): number { return this.call('h_connect', this.o.now()); }
  disconnect(): number { return this.call('h_disconnect'); }
  subscribe(filter: string, qos: number): number { return this.call('h_subscribe', ...this.scratch(filter), qos); }
  unsubscribe(filter: string): number { return this.call('h_unsubscribe', ...this.scratch(filter)); }
  /** Raw call with a filter table already in the arena's scratch area (tests of the argument checks). */
  subscribeMany(entries: { filter: string; qos: number }[]): number {
    const base = (this.x.h_arena() >>> 0) + CONFIG;
    const v = new DataView(this.x.memory.buffer);
    let at = base + entries.length * 12;
    entries.forEach((e, i) => {
      const b = Buffer.from(e.filter);
      this.mem().set(b, at);
      v.setUint32(base + i * 12, at, true); v.setUint32(base + i * 12 + 4, b.length, true); v.setUint8(base + i * 12 + 8, e.qos);
      at += b.length;
    });
    return this.call('h_subscribe_many', base, entries.length);
  }
  forget(): void { this.call('h_forget'); }
  get inflight(): number { return this.x.h_inflight(); }
  get state(): number { return this.x.h_state(); }
  get dupSent(): number { return this.x.h_dup_sent(); }
  get rxDupQos2(): number { return this.x.h_rx_dup_qos2(); }
  get connackRc(): number { return this.x.h_connack_rc(); }

  /** Topic and payload are copied into the module's arena (they stay there until 'published'); the
   * area is reused from its start once nothing is in flight. Returns the packet id (QoS 1/2), 0
   * (QoS 0) or a negative error. */
  publish(topic: string, payload: string | Uint8Array, qos: 0 | 1 | 2, retain = false): number {
    if (this.x.h_inflight() === 0) this.pubAt = 0;
    const t = Buffer.from(topic), p = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const base = (this.x.h_arena() >>> 0) + CONFIG + SCRATCH, room = this.x.h_arena_size() - CONFIG - SCRATCH;
    if (this.pubAt + t.length + p.length > room) return -14;          // E_BUSY: the area is full
    const at = base + this.pubAt;
    this.mem().set(t, at);
    this.mem().set(p, at + t.length);
    const r = this.call('h_publish', at, t.length, at + t.length, p.length, qos, retain ? 1 : 0);
    if (r >= 0) this.pubAt += t.length + p.length;
    return r;
  }

  /** Stops the tick timer and the event route (the connection is left as it is). */
  stop(): void {
    this.o.timers.clearInterval(this.timer);
    this.unroute();
  }
}
