// Virtual time for the host harness: a millisecond clock shared by every stack of a simulation,
// and the discrete-event queue that runs work (frame deliveries, stack timers) at virtual times.
// Events run in (time, scheduling order), so a run is fully determined by its inputs and seeds.

export type EventId = number;

type Scheduled = { time: number; seq: number; id: EventId; run: () => void };

export class Clock {
  private t: number;
  private seq = 0;
  private readonly heap: Scheduled[] = [];
  private readonly cancelled = new Set<EventId>();
  private source: (() => number) | null = null;

  /** `startMs` is the first value of now(); the stack sees it as now_ms (u32, wraps). */
  constructor(startMs = 0) {
    if (!Number.isFinite(startMs) || startMs < 0) throw new RangeError(`Clock: bad start time ${startMs}`);
    this.t = startMs;
  }

  /** Current virtual time in ms (may have a fraction: frames can be sub-millisecond apart). */
  get now(): number {
    if (this.source) {
      const v = this.source();
      if (v > this.t) this.t = v;
    }
    return this.t;
  }

  /**
   * Real-time mode: while a source is set, reading `now` first catches up with it (the source must
   * be monotonic, e.g. derived from performance.now()). Pass null to return to pure virtual time.
   */
  follow(source: (() => number) | null): void {
    this.source = source;
  }

  /** What the stack's `env.now_ms` import returns: whole ms as a wrapping u32. */
  nowMs(): number {
    return Math.floor(this.t) >>> 0;
  }

  /** Moves time forward to `time` without running anything (events due meanwhile stay queued). */
  advanceTo(time: number): void {
    if (!(time >= this.now)) throw new RangeError(`Clock: time cannot go back (${time} < ${this.t})`);
    this.t = time;
  }

  advance(ms: number): void {
    this.advanceTo(this.t + ms);
  }

  /** Runs `run` at virtual time `time` (not before now). Returns an id for cancel(). */
  at(time: number, run: () => void): EventId {
    if (!Number.isFinite(time)) throw new RangeError(`Clock: bad event time ${time}`);
    const ev: Scheduled = { time: Math.max(time, this.now), seq: this.seq, id: this.seq, run };
    this.seq++;
    this.push(ev);
    return ev.id;
  }

  after(ms: number, run: () => void): EventId {
    return this.at(this.now + Math.max(0, ms), run);
  }

  cancel(id: EventId): void {
    this.cancelled.add(id);
  }

  /** How many events were ever scheduled (grows with every at()/after(): a cheap activity counter). */
  get scheduled(): number {
    return this.seq;
  }

  /** Number of queued events (cancelled ones included until they reach the front). */
  get pending(): number {
    return this.heap.length;
  }

  /** Time of the earliest queued event, or undefined if none. */
  nextTime(): number | undefined {
    this.dropCancelledFront();
    return this.heap[0]?.time;
  }

  /**
   * Advances to the earliest event due at or before `limit` and runs it. Returns false (and leaves
   * time alone) when no event is due by then.
   */
  runNext(limit = Infinity): boolean {
    this.dropCancelledFront();
    const ev = this.heap[0];
    if (!ev || ev.time > limit) return false;
    this.pop();
    if (ev.time > this.t) this.t = ev.time;
    ev.run();
    return true;
  }

  private dropCancelledFront(): void {
    while (this.heap.length && this.cancelled.has(this.heap[0].id)) {
      this.cancelled.delete(this.heap[0].id);
      this.pop();
    }
  }

  // ---- binary min-heap on (time, seq) ----

  private before(a: Scheduled, b: Scheduled): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private push(ev: Scheduled): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private pop(): Scheduled | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length === 0 || last === undefined) return top;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && this.before(h[l], h[m])) m = l;
      if (r < h.length && this.before(h[r], h[m])) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
    return top;
  }
}
