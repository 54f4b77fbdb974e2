// The simulation: stacks and wires sharing one Clock, run as a deterministic discrete-event loop.
// Each step runs the earliest clock event (a frame delivery or a stack's timers_run), then drains
// the events of every stack that was called and hands them to its listeners. Stack timers run
// exactly when timers_run() says the next tick is due (fast 250 ms, slow 500 ms after stack_init),
// so virtual runs are reproducible and a 2MSL wait costs microseconds.
// runRealtime() drives the same loop from wall time, for the demo and for real peers.
import { Clock, type EventId } from './clock.ts';
import { Rng } from './rng.ts';
import { Stack, type StackOptions } from './stack.ts';
import { Wire, type WireHost, type WireOptions } from './wire.ts';

export type RunOptions = {
  /** Stop at this absolute virtual time (ms); the clock ends exactly there. */
  until?: number;
  /** Stop after this many ms from now (alternative to `until`). */
  for?: number;
  /** Keep running while this is true; checked before every step. */
  while?: () => boolean;
  /** Safety bound on steps (default 1e6); exceeding it throws. */
  maxSteps?: number;
};

export type RunResult = {
  steps: number;
  now: number;
  /** 'until': deadline reached; 'while': predicate became false; 'idle': nothing left to run. */
  reason: 'until' | 'while' | 'idle' | 'aborted';
};

export type RealtimeOptions = RunOptions & {
  signal?: AbortSignal;
  /** Longest wall-clock sleep between checks (ms, default 20). */
  maxSleepMs?: number;
};

type Member = { stack: Stack; timer: EventId };

// Node's own timers, captured before anything (host/timers.ts install()) may replace the globals.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realSetImmediate = globalThis.setImmediate;

export type SimOptions = { seed?: number; startMs?: number; clock?: Clock };

export class Sim implements WireHost {
  readonly clock: Clock;
  readonly wires: Wire[] = [];
  private readonly rng: Rng;
  private readonly members = new Map<Stack, Member>();
  private wakeUp: (() => void) | null = null;

  constructor(opts: SimOptions = {}) {
    this.clock = opts.clock ?? new Clock(opts.startMs ?? 0);
    this.rng = new Rng(opts.seed ?? 1);
  }

  get stacks(): Stack[] {
    return [...this.members.keys()];
  }

  /** Creates a stack on this simulation's clock (seeded from the simulation's seed unless given). */
  addStack(opts: Omit<StackOptions, 'clock'>): Stack {
    const seed = opts.seed ?? this.rng.u32();
    return this.add(new Stack({ ...opts, seed, clock: this.clock }));
  }

  /** Registers an existing stack (it must use this simulation's clock) and starts its timers. */
  add(stack: Stack): Stack {
    if (stack.clock !== this.clock) throw new Error(`${stack.name} runs on another clock`);
    if (this.members.has(stack)) return stack;
    const member: Member = { stack, timer: -1 };
    this.members.set(stack, member);
    this.scheduleTimers(member, Math.floor(this.clock.now));
    return stack;
  }

  remove(stack: Stack): void {
    const m = this.members.get(stack);
    if (!m) return;
    this.clock.cancel(m.timer);
    this.members.delete(stack);
    for (const w of this.wires) w.detach(stack);
  }

  /** A new wire; `seed` defaults to one drawn from the simulation's seed. */
  wire(opts: WireOptions = {}): Wire {
    const w = new Wire(this, { ...opts, seed: opts.seed ?? this.rng.u32() });
    this.wires.push(w);
    return w;
  }

  /** Convenience: a wire joining the given stacks. */
  connect(stacks: Stack[], opts: WireOptions = {}): Wire {
    const w = this.wire(opts);
    for (const s of stacks) w.attach(s);
    return w;
  }

  /** WireHost: a frame was queued; wakes a sleeping real-time loop. */
  notify(): void {
    this.wakeUp?.();
  }

  /** Runs one clock event due by `limit`, then dispatches stack events. False if none was due. */
  step(limit = Infinity): boolean {
    if (!this.clock.runNext(limit)) return false;
    this.dispatchAll();
    return true;
  }

  /** Drains and dispatches the events of every stack (listeners may trigger more; bounded). */
  dispatchAll(): void {
    for (let round = 0; round < 16; round++) {
      let n = 0;
      for (const s of this.members.keys()) n += s.dispatch();
      if (n === 0) return;
    }
  }

  /** The virtual-time loop. Needs a bound: until/for, or while (plus maxSteps). */
  run(opts: RunOptions): RunResult {
    const deadline = this.deadline(opts);
    const maxSteps = opts.maxSteps ?? 1_000_000;
    this.dispatchAll();
    for (let steps = 0; ; steps++) {
      const done = this.stepOrStop(opts, deadline, steps, maxSteps);
      if (done) return done;
    }
  }

  /** One turn of the loop: a result when it must stop, else null after running one step. */
  private stepOrStop(opts: RunOptions, deadline: number, steps: number, maxSteps: number): RunResult | null {
    if (opts.while && !opts.while()) return { steps, now: this.clock.now, reason: 'while' };
    if (!this.step(deadline)) {
      if (deadline === Infinity) return { steps, now: this.clock.now, reason: 'idle' };
      this.clock.advanceTo(Math.max(deadline, this.clock.now));
      return { steps, now: this.clock.now, reason: 'until' };
    }
    if (steps + 1 >= maxSteps) {
      throw new Error(`sim: ${maxSteps} steps without reaching the stop condition (virtual t=${this.clock.now} ms)`);
    }
    return null;
  }

  /**
   * The virtual-time loop for async code (node:net-style streams, promises): the same steps as
   * run(), but after each one it yields to Node's event loop (setImmediate), so callbacks and
   * promise continuations scheduled by listeners run before virtual time moves on.
   */
  async runAsync(opts: RunOptions): Promise<RunResult> {
    const deadline = this.deadline(opts);
    const maxSteps = opts.maxSteps ?? 1_000_000;
    this.dispatchAll();
    for (let steps = 0; ; steps++) {
      await new Promise<void>((resolve) => realSetImmediate(resolve));
      this.dispatchAll();
      const done = this.stepOrStop(opts, deadline, steps, maxSteps);
      if (done) return done;
    }
  }

  /** Runs for `ms` of virtual time. */
  runFor(ms: number): RunResult {
    return this.run({ for: ms });
  }

  /**
   * The same loop paced by wall time: virtual time follows performance.now(). Wakes when a frame is
   * queued (notify) or the next event is due. Needs a bound: until/for, while, or an AbortSignal.
   */
  async runRealtime(opts: RealtimeOptions): Promise<RunResult> {
    const deadline = this.deadline(opts, opts.signal !== undefined);
    const maxSteps = opts.maxSteps ?? Number.MAX_SAFE_INTEGER;
    const maxSleep = opts.maxSleepMs ?? 20;
    const wallStart = performance.now();
    const virtStart = this.clock.now;
    // Calls made between loop turns (timers, sockets of the app) read the current time too.
    this.clock.follow(() => Math.min(deadline, virtStart + (performance.now() - wallStart)));
    try {
      let steps = 0;
      this.dispatchAll();
      for (;;) {
        if (opts.signal?.aborted) return { steps, now: this.clock.now, reason: 'aborted' };
        if (opts.while && !opts.while()) return { steps, now: this.clock.now, reason: 'while' };
        const target = this.clock.now;
        while (steps < maxSteps && this.step(target)) steps++;
        if (steps >= maxSteps) throw new Error(`sim.runRealtime: ${maxSteps} steps reached`);
        this.dispatchAll();
        if (target >= deadline) return { steps, now: this.clock.now, reason: 'until' };
        const next = this.clock.nextTime() ?? Infinity;
        const now = this.clock.now;
        await this.sleep(Math.max(0, Math.min(next - now, deadline - now, maxSleep)), opts.signal);
      }
    } finally {
      this.clock.follow(null);
    }
  }

  private deadline(opts: RunOptions, hasSignal = false): number {
    if (opts.until !== undefined && opts.for !== undefined) throw new Error('sim.run: give until or for, not both');
    const deadline = opts.until ?? (opts.for !== undefined ? this.clock.now + opts.for : Infinity);
    if (deadline === Infinity && !opts.while && !hasSignal) throw new Error('sim.run: unbounded (give until, for or while)');
    if (Number.isNaN(deadline)) throw new RangeError('sim.run: deadline is NaN');
    return deadline;
  }

  /** Sleeps up to `ms`, returning early on notify() or abort. */
  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        realClearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.wakeUp = null;
        resolve();
      };
      const timer = realSetTimeout(done, ms);
      this.wakeUp = done;
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Calls timers_run at `at`, then again when it says the next tick is due. */
  private scheduleTimers(member: Member, at: number): void {
    member.timer = this.clock.at(at, () => {
      const r = member.stack.runTimers();
      const wait = r > 0 ? r : 250; // negative: not initialised yet; poll at the fast-timer rate
      this.scheduleTimers(member, Math.floor(this.clock.now) + wait);
    });
  }
}
