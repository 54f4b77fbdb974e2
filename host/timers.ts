// Timers on a simulation's virtual clock, shaped like Node's: setTimeout / clearTimeout /
// setInterval / clearInterval return Timeout-like objects (ref, unref, hasRef, refresh, close,
// a numeric primitive), so libraries that accept a timers object (mqtt's `timerVariant`) or call the
// global functions (after `install()`) run their keepalives and timeouts in the same time as TCP.
//
// - A callback runs when the clock reaches its time (Sim steps), never early, never late in virtual
//   time. Delays follow Node's rule: not a number in [1, 2^31-1] -> 1 ms.
// - ref'd timers keep the HostNet loop running (`hooks.ref/unref`), unref'd ones do not, as in Node.
// - setImmediate / clearImmediate are Node's own: "after the current I/O" takes no virtual time.
// - An exception thrown by a callback is re-thrown on a fresh tick (an uncaughtException, as in Node),
//   not into the simulation loop.
import type { Clock, EventId } from './clock.ts';

export type TimerHooks = { ref(): void; unref(): void };

const TIMEOUT_MAX = 2 ** 31 - 1;

/** Node's coercion of a delay (lib/internal/timers.js): out of range or NaN -> 1 ms. */
function delayOf(ms: unknown): number {
  const n = Number(ms);
  return n >= 1 && n <= TIMEOUT_MAX ? n : 1;
}

export class VirtualTimeout {
  private event: EventId | -1 = -1;
  private refed = true;
  private holding = false;
  private destroyed = false;

  constructor(
    private readonly owner: VirtualTimers, readonly id: number, private readonly fn: (...a: unknown[]) => void,
    private readonly ms: number, private readonly args: unknown[], readonly repeat: boolean,
  ) {}

  /** Schedules the next firing `ms` from now (replacing a scheduled one). */
  start(): this {
    this.owner.cancelEvent(this.event);
    this.event = this.owner.schedule(this.ms, () => this.fire());
    this.hold(this.refed);
    return this;
  }

  private fire(): void {
    this.event = -1;
    if (this.repeat) this.start(); else { this.hold(false); this.owner.forget(this); }
    try {
      this.fn(...this.args);
    } catch (e) {
      process.nextTick(() => { throw e; });
    }
  }

  /** Keeps the loop alive while scheduled and ref'd. */
  private hold(want: boolean): void {
    const on = want && this.event !== -1;
    if (on === this.holding) return;
    this.holding = on;
    if (on) this.owner.hooks.ref(); else this.owner.hooks.unref();
  }

  ref(): this { this.refed = true; this.hold(true); return this; }
  unref(): this { this.refed = false; this.hold(false); return this; }
  hasRef(): boolean { return this.refed; }

  /** Restarts the countdown from now (Node: timeout.refresh()). */
  refresh(): this {
    if (!this.destroyed) this.start();
    return this;
  }

  close(): this {
    this.destroyed = true;
    this.owner.cancelEvent(this.event);
    this.event = -1;
    this.hold(false);
    this.owner.forget(this);
    return this;
  }

  get pendingAt(): boolean { return this.event !== -1; }

  [Symbol.toPrimitive](): number { return this.id; }
}

type TimerArg = VirtualTimeout | number | string | undefined | null | NodeJS.Timeout;

export class VirtualTimers {
  private nextId = 1;
  private readonly live = new Map<number, VirtualTimeout>();

  constructor(private readonly clock: Clock, readonly hooks: TimerHooks = { ref() {}, unref() {} }) {
    // Usable detached, like the globals: `const { setTimeout } = net.timers`.
    this.setTimeout = this.setTimeout.bind(this);
    this.clearTimeout = this.clearTimeout.bind(this);
    this.setInterval = this.setInterval.bind(this);
    this.clearInterval = this.clearInterval.bind(this);
  }

  setTimeout<A extends unknown[]>(fn: (...args: A) => void, ms?: number, ...args: A): VirtualTimeout {
    return this.create(fn as (...a: unknown[]) => void, ms, args, false);
  }

  setInterval<A extends unknown[]>(fn: (...args: A) => void, ms?: number, ...args: A): VirtualTimeout {
    return this.create(fn as (...a: unknown[]) => void, ms, args, true);
  }

  clearTimeout(t: TimerArg): void {
    const v = t instanceof VirtualTimeout ? t : typeof t === 'number' || typeof t === 'string' ? this.live.get(Number(t)) : undefined;
    v?.close();
  }

  clearInterval(t: TimerArg): void {
    this.clearTimeout(t);
  }

  readonly setImmediate = setImmediate;
  readonly clearImmediate = clearImmediate;

  /** The `{ set, clear }` pair mqtt.js takes as `timerVariant` (set has setInterval semantics). */
  get mqttTimer(): { set: (fn: () => void, ms: number) => VirtualTimeout; clear: (t: VirtualTimeout) => void } {
    return { set: (fn, ms) => this.setInterval(fn, ms), clear: (t) => this.clearInterval(t) };
  }

  /** Virtual ms since the simulation started (what Date.now() differences mean to a library). */
  now(): number {
    return this.clock.now;
  }

  /** Number of scheduled timers (ref'd or not). */
  get count(): number {
    return this.live.size;
  }

  /**
   * Replaces globalThis.setTimeout/clearTimeout/setInterval/clearInterval with these, for libraries
   * that take no timers object (aedes' keepalive, ws' close timer). Real Node timers created before
   * stay clearable. Returns the function that puts the originals back. Date.now() stays wall time.
   */
  install(): () => void {
    const g = globalThis as unknown as Record<string, unknown>;
    const saved = { setTimeout: g.setTimeout, clearTimeout: g.clearTimeout, setInterval: g.setInterval, clearInterval: g.clearInterval };
    const realClear = saved.clearTimeout as (t: unknown) => void;
    const clear = (t: unknown) => {
      if (t instanceof VirtualTimeout || typeof t === 'number' || typeof t === 'string') this.clearTimeout(t as TimerArg);
      else realClear(t);
    };
    g.setTimeout = this.setTimeout;
    g.setInterval = this.setInterval;
    g.clearTimeout = clear;
    g.clearInterval = clear;
    return () => { Object.assign(g, saved); };
  }

  // ---- used by VirtualTimeout ----

  schedule(ms: number, run: () => void): EventId {
    return this.clock.after(ms, run);
  }

  cancelEvent(id: EventId | -1): void {
    if (id !== -1) this.clock.cancel(id);
  }

  forget(t: VirtualTimeout): void {
    this.live.delete(t.id);
  }

  private create(fn: (...a: unknown[]) => void, ms: unknown, args: unknown[], repeat: boolean): VirtualTimeout {
    if (typeof fn !== 'function') {
      const e = new TypeError(`The "callback" argument must be of type function. Received ${typeof fn}`) as NodeJS.ErrnoException;
      e.code = 'ERR_INVALID_ARG_TYPE';
      throw e;
    }
    const t = new VirtualTimeout(this, this.nextId++, fn, delayOf(ms), args, repeat);
    this.live.set(t.id, t);
    return t.start();
  }
}
