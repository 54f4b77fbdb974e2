// A virtual Ethernet segment joining N ports (stacks, or raw endpoints such as a packetdrill-style
// test driver). A frame goes to every other port if its destination is a group address (I/G bit
// set: broadcast or multicast, IEEE 802.3 §3.2.3), else to the port owning that MAC; ports with a
// null MAC are promiscuous and see everything. Unknown unicast reaches nobody (a learning switch
// that never floods). Impairments are drawn from the wire's own seeded Rng, so a run with the
// same seed and the same traffic loses, duplicates, delays and corrupts the same frames.
import type { Clock } from './clock.ts';
import { Rng } from './rng.ts';
import { formatMac, Stack } from './stack.ts';

export interface Port {
  readonly name: string;
  /** The port's MAC (unicast frames to it are delivered), or null to receive every frame. */
  readonly mac: Uint8Array | null;
  /** Receives a frame. The array is shared between receivers: read it, do not modify it. */
  deliver(frame: Uint8Array): void;
}

export type Impairments = {
  /** Probability that a frame is dropped. */
  loss: number;
  /** Probability that a frame is delivered twice (the copy gets its own delay). */
  duplicate: number;
  /** Probability that a frame is held back by `reorderDelayMs`, letting later frames overtake it. */
  reorder: number;
  reorderDelayMs: number;
  /** Fixed one-way delay plus a uniform random [0, jitterMs) on top. */
  delayMs: number;
  jitterMs: number;
  /** Probability that one bit past the Ethernet header is flipped (IP/TCP checksums must catch it). */
  corrupt: number;
  /** Link down: every frame is dropped. */
  down: boolean;
  /** Bits per second; 0 = infinitely fast. Frames then queue behind each other (serialization). */
  rateBps: number;
  /** With a rate: frames waiting to be serialized beyond this many are tail-dropped (0 = no limit). */
  queueLimit: number;
};

export const NO_IMPAIRMENTS: Readonly<Impairments> = {
  loss: 0, duplicate: 0, reorder: 0, reorderDelayMs: 5, delayMs: 0, jitterMs: 0, corrupt: 0, down: false,
  rateBps: 0, queueLimit: 0,
};

export type WireStats = {
  sent: number; delivered: number; lost: number; duplicated: number; reordered: number; corrupted: number;
  downDropped: number; queueDropped: number; filtered: number; inputErrors: number;
};

/** 'tx': every frame as transmitted (before impairments); 'rx': each copy as it is delivered. */
export type TapPoint = 'tx' | 'rx';
export type Tap = (frame: Uint8Array, timeMs: number, from: string) => void;
/** Return false to drop the frame (counted in stats.filtered). Runs before the impairments. */
export type Filter = (frame: Uint8Array, from: string, timeMs: number) => boolean;

/** What a wire needs from its simulation: the clock, and a way to wake a real-time loop. */
export interface WireHost {
  readonly clock: Clock;
  notify(): void;
}

export type WireOptions = { name?: string; seed?: number; impair?: Partial<Impairments> };

export class Wire {
  readonly name: string;
  readonly stats: WireStats = {
    sent: 0, delivered: 0, lost: 0, duplicated: 0, reordered: 0, corrupted: 0, downDropped: 0, queueDropped: 0,
    filtered: 0, inputErrors: 0,
  };
  private params: Impairments;
  private readonly rng: Rng;
  private readonly ports: Port[] = [];
  private readonly stackPorts = new Map<Stack, Port>();
  private readonly taps: Record<TapPoint, Set<Tap>> = { tx: new Set(), rx: new Set() };
  private readonly filters = new Set<Filter>();
  private readonly departures: number[] = []; // serialization end times of queued frames (rate mode)

  constructor(private readonly host: WireHost, opts: WireOptions = {}) {
    this.name = opts.name ?? 'wire';
    this.rng = new Rng(opts.seed ?? 1);
    this.params = { ...NO_IMPAIRMENTS, ...opts.impair };
    validate(this.params);
  }

  /** Current impairment settings. */
  get impairments(): Readonly<Impairments> {
    return this.params;
  }

  /** Changes some impairments from now on (frames already in flight keep their fate). */
  impair(changes: Partial<Impairments>): void {
    const next = { ...this.params, ...changes };
    validate(next);
    this.params = next;
  }

  /**
   * Takes the link down or up. With `carrier`, attached stacks are told too (netif_set_link), as a
   * PHY would report loss of carrier; without it the cable is cut silently.
   */
  setDown(down: boolean, opts: { carrier?: boolean } = {}): void {
    this.impair({ down });
    if (opts.carrier) for (const s of this.stackPorts.keys()) s.setLink(!down);
  }

  /** Connects a stack: its output goes onto this wire, frames for its MAC are input to it. */
  attach(stack: Stack): Port {
    if (this.stackPorts.has(stack)) throw new Error(`${stack.name} is already on ${this.name}`);
    const port: Port = {
      name: stack.name,
      get mac() { return stack.mac; }, // follows a later stack.init() with another MAC
      deliver: (frame) => { if (stack.input(frame) < 0) this.stats.inputErrors++; },
    };
    this.stackPorts.set(stack, port);
    this.addPort(port);
    stack.onOutput = (frame) => this.send(port, frame);
    return port;
  }

  /** Connects a raw endpoint; it transmits with wire.send(port, frame). */
  addPort(port: Port): Port {
    if (this.ports.includes(port)) throw new Error(`port ${port.name} is already on ${this.name}`);
    this.ports.push(port);
    return port;
  }

  /** Disconnects a stack or port; frames in flight to it are not delivered. */
  detach(what: Stack | Port): void {
    let port: Port | undefined = what as Port;
    if (what instanceof Stack) {
      port = this.stackPorts.get(what);
      if (!port) return;
      this.stackPorts.delete(what);
      what.onOutput = (frame) => { what.outbox.push(frame); };
    }
    const i = this.ports.indexOf(port);
    if (i >= 0) this.ports.splice(i, 1);
  }

  /** Observes frames at a tap point (for pcaps and tests). Returns a function that removes it. */
  tap(fn: Tap, point: TapPoint = 'tx'): () => void {
    this.taps[point].add(fn);
    return () => { this.taps[point].delete(fn); };
  }

  /** Adds a predicate that may drop frames (e.g. "drop the third data segment"). Returns its remover. */
  addFilter(fn: Filter): () => void {
    this.filters.add(fn);
    return () => { this.filters.delete(fn); };
  }

  /**
   * Transmits a frame from `from` at the current virtual time. Only queues: deliveries run later as
   * clock events, so this is safe inside a stack's netif_output (docs/ABI.md re-entrancy rule).
   */
  send(from: Port, frame: Uint8Array): void {
    const now = this.host.clock.now;
    this.stats.sent++;
    for (const t of this.taps.tx) t(frame, now, from.name);
    if (!this.passesFilters(frame, from, now)) return;
    if (this.params.down) { this.stats.downDropped++; return; }
    if (this.rng.chance(this.params.loss)) { this.stats.lost++; return; }
    const departure = this.serialize(frame.length, now);
    if (departure === undefined) { this.stats.queueDropped++; return; }
    const copies = this.rng.chance(this.params.duplicate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let c = 0; c < copies; c++) this.schedule(from, this.maybeCorrupt(frame), departure);
    this.host.notify();
  }

  private passesFilters(frame: Uint8Array, from: Port, now: number): boolean {
    for (const f of this.filters) {
      if (!f(frame, from.name, now)) { this.stats.filtered++; return false; }
    }
    return true;
  }

  /** With a rate: when the frame has left the sender, or undefined if the queue is full. */
  private serialize(len: number, now: number): number | undefined {
    const { rateBps, queueLimit } = this.params;
    if (rateBps <= 0) return now;
    while (this.departures.length && this.departures[0] <= now) this.departures.shift();
    if (queueLimit > 0 && this.departures.length >= queueLimit) return undefined;
    const start = this.departures.length ? this.departures[this.departures.length - 1] : now;
    // Ethernet on the wire: preamble+SFD 8, CRC 4, inter-frame gap 12 bytes (IEEE 802.3 §4.4.2).
    const end = start + ((Math.max(len, 60) + 24) * 8 * 1000) / rateBps;
    this.departures.push(end);
    return end;
  }

  private maybeCorrupt(frame: Uint8Array): Uint8Array {
    if (frame.length <= 14 || !this.rng.chance(this.params.corrupt)) return frame;
    const copy = frame.slice();
    const bit = 14 * 8 + this.rng.below((frame.length - 14) * 8);
    copy[bit >> 3] ^= 0x80 >> (bit & 7);
    this.stats.corrupted++;
    return copy;
  }

  private schedule(from: Port, frame: Uint8Array, departure: number): void {
    const { delayMs, jitterMs, reorder, reorderDelayMs } = this.params;
    let delay = delayMs + (jitterMs > 0 ? this.rng.float() * jitterMs : 0);
    if (this.rng.chance(reorder)) { delay += reorderDelayMs; this.stats.reordered++; }
    this.host.clock.at(departure + delay, () => this.deliver(from, frame));
  }

  private deliver(from: Port, frame: Uint8Array): void {
    const now = this.host.clock.now;
    const group = frame.length >= 6 && (frame[0] & 1) === 1;
    for (const t of this.taps.rx) t(frame, now, from.name);
    for (const port of [...this.ports]) {
      if (port === from || !this.ports.includes(port)) continue;
      if (port.mac === null || group || sameMac(frame, port.mac)) {
        this.stats.delivered++;
        port.deliver(frame);
      }
    }
  }

  describe(): string {
    const names = this.ports.map((p) => `${p.name}${p.mac ? ` (${formatMac(p.mac)})` : ' (promiscuous)'}`);
    return `${this.name}: ${names.join(', ')}`;
  }
}

function sameMac(frame: Uint8Array, mac: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (frame[i] !== mac[i]) return false;
  return true;
}

function validate(p: Impairments): void {
  for (const k of ['loss', 'duplicate', 'reorder', 'corrupt'] as const) {
    if (!(p[k] >= 0 && p[k] <= 1)) throw new RangeError(`impairment ${k} must be a probability, got ${p[k]}`);
  }
  for (const k of ['reorderDelayMs', 'delayMs', 'jitterMs', 'rateBps', 'queueLimit'] as const) {
    if (!(p[k] >= 0 && Number.isFinite(p[k]))) throw new RangeError(`impairment ${k} must be >= 0, got ${p[k]}`);
  }
}
