// Virtual time (host/clock.ts) and the simulation loop (host/sim.ts): event order, cancellation,
// run bounds, and stack timers fired by timers_run() exactly on the 250 ms / 500 ms grid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Clock } from '../host/clock.ts';
import { Sim } from '../host/sim.ts';
import { Stack } from '../host/stack.ts';
import { ESTABLISHED, SYN_SENT, TIME_WAIT } from '../host/abi.ts';

test('events run in time order, ties in scheduling order; cancelled events never run', () => {
  const c = new Clock(100);
  const seen: string[] = [];
  c.at(300, () => seen.push('c@300'));
  c.at(200, () => seen.push('a@200'));
  const x = c.at(250, () => seen.push('x@250'));
  c.at(200, () => seen.push('b@200'));
  c.after(0, () => seen.push('now@100'));
  c.at(50, () => seen.push('past->now'));
  c.cancel(x);
  const times: number[] = [];
  while (c.runNext()) times.push(c.now);
  assert.deepEqual(seen, ['now@100', 'past->now', 'a@200', 'b@200', 'c@300']);
  assert.deepEqual(times, [100, 100, 200, 200, 300]);
  assert.equal(c.nextTime(), undefined);
});

test('runNext respects its limit; time never goes back; nowMs wraps as a u32', () => {
  const c = new Clock(0);
  c.at(10, () => {});
  assert.equal(c.runNext(5), false);
  assert.equal(c.now, 0);
  assert.equal(c.runNext(10), true);
  assert.equal(c.now, 10);
  assert.throws(() => c.advanceTo(5), RangeError);
  const w = new Clock(2 ** 32 + 7.9);
  assert.equal(w.nowMs(), 7);
});

test('sim.run stops at until/for/while, refuses unbounded runs, and throws past maxSteps', () => {
  const sim = new Sim();
  let ticks = 0;
  const tick = () => { ticks++; sim.clock.after(10, tick); };
  sim.clock.at(0, tick);
  assert.deepEqual(sim.run({ until: 95 }), { steps: 10, now: 95, reason: 'until' });
  assert.equal(ticks, 10);
  assert.equal(sim.run({ for: 100 }).now, 195);
  const r = sim.run({ while: () => ticks < 40 });
  assert.equal(r.reason, 'while');
  assert.equal(ticks, 40);
  assert.throws(() => sim.run({}), /unbounded/);
  assert.throws(() => sim.run({ while: () => true, maxSteps: 50 }), /50 steps/);
  assert.equal(new Sim().run({ while: () => true }).reason, 'idle');
});

test('timers_run is called exactly on the 250 ms grid from stack_init, its returned wait honoured', () => {
  const sim = new Sim({ startMs: 1000 });
  const s = sim.addStack({ mac: '02:00:00:00:00:01', ip: '192.0.2.1' });
  const calls: { t: number; r: number }[] = [];
  const original = s.runTimers.bind(s);
  s.runTimers = () => { const r = original(); calls.push({ t: sim.clock.now, r }); return r; };
  sim.run({ until: 3000 });
  const times = calls.map((c) => c.t);
  // The first call runs when the stack joins (t=1000); then one every fast period.
  assert.deepEqual(times, [1000, 1250, 1500, 1750, 2000, 2250, 2500, 2750, 3000]);
  for (const c of calls) assert.equal(c.r, 250, 'the next tick is always one fast period away');
});

test('a stack re-initialised off the grid gets its timers re-aligned by timers_run', () => {
  const sim = new Sim();
  const s = sim.addStack({ mac: '02:00:00:00:00:01', ip: '192.0.2.1' });
  sim.run({ until: 370 });
  s.reset();                                   // stack_init at t=370: ticks now due at 620, 870, ...
  const times: number[] = [];
  const original = s.runTimers.bind(s);
  s.runTimers = () => { times.push(sim.clock.now); return original(); };
  sim.run({ until: 1200 });
  assert.deepEqual(times, [500, 620, 870, 1120], 'one catch-up call at the old time, then the new grid');
});

test('virtual time makes the 2MSL TIME_WAIT of a closed connection pass in milliseconds of wall time', () => {
  const sim = new Sim({ seed: 3 });
  const a = sim.addStack({ name: 'a', mac: '02:00:00:00:00:01', ip: '192.0.2.1' });
  const b = sim.addStack({ name: 'b', mac: '02:00:00:00:00:02', ip: '192.0.2.2' });
  sim.connect([a, b], { impair: { delayMs: 1 } });
  const l = b.socket();
  assert.equal(b.bind(l, 0, 80), 0);
  assert.equal(b.listen(l, 4), 0);
  const c = a.socket();
  a.connect(c, '192.0.2.2', 80);
  assert.equal(a.state(c), SYN_SENT);
  sim.run({ for: 1000, while: () => a.state(c) !== ESTABLISHED });
  let h = -1;
  sim.run({ for: 1000, while: () => (h = b.accept(l)) < 0 });
  assert.ok(h > 0, `accept returned ${h}`);
  assert.equal(a.close(c), 0);                 // active close: a ends in TIME_WAIT
  sim.run({ for: 1000, while: () => b.recv(h) !== 0 && true });
  assert.equal(b.close(h), 0);
  sim.run({ for: 1000, while: () => a.netstatCounts().TIME_WAIT === 0 });
  assert.equal(a.netstatCounts().TIME_WAIT, 1);
  const entered = sim.clock.now;
  const wall = performance.now();
  const msl = a.sysctl('tcp_msl') * 1000;
  sim.run({ until: entered + 2 * msl + 1000, while: () => a.netstatCounts().TIME_WAIT > 0 });
  const waited = sim.clock.now - entered;
  assert.equal(a.netstatCounts().TIME_WAIT, 0);
  assert.ok(waited >= 2 * msl - 500 && waited <= 2 * msl + 500, `TIME_WAIT lasted ${waited} ms, 2MSL = ${2 * msl}`);
  assert.ok(performance.now() - wall < 2000, 'virtual time, not wall time');
  assert.equal(a.checkInvariants(), 0);
  assert.equal(b.checkInvariants(), 0);
  void TIME_WAIT;
});

test('real-time mode follows the wall clock and wakes for queued frames', async () => {
  const sim = new Sim();
  const s = sim.addStack({ mac: '02:00:00:00:00:01', ip: '192.0.2.1' });
  const w = sim.wire();
  w.attach(s);
  let seenAt = -1;
  w.addPort({ name: 'peer', mac: null, deliver: () => { if (seenAt < 0) seenAt = sim.clock.now; } });
  const wall = performance.now();
  setTimeout(() => { const h = s.socket(); s.connect(h, '192.0.2.9', 80); sim.notify(); }, 60); // ARP request
  const r = await sim.runRealtime({ for: 200 });
  const elapsed = performance.now() - wall;
  assert.equal(r.reason, 'until');
  assert.equal(r.now, 200);
  assert.ok(elapsed >= 190 && elapsed < 1500, `200 virtual ms took ${elapsed} wall ms`);
  assert.ok(seenAt >= 55 && seenAt < 150, `the ARP request reached the wire at virtual ${seenAt}`);
});

test('Stack instances are cheap: the module is compiled once', () => {
  const t0 = performance.now();
  const stacks = Array.from({ length: 200 }, (_, i) => new Stack({ mac: `02:00:00:00:01:${(i & 255).toString(16)}`, ip: `192.0.2.${(i % 250) + 2}`, seed: i }));
  const perStack = (performance.now() - t0) / stacks.length;
  assert.ok(perStack < 20, `${perStack.toFixed(2)} ms per stack`);
  assert.ok(stacks.every((s) => s.checkInvariants() === 0));
});

test('runAsync lets promise continuations run between virtual steps', async () => {
  const sim = new Sim();
  const order: string[] = [];
  sim.clock.at(10, () => { order.push('event@10'); void Promise.resolve().then(() => order.push('then@10')); });
  sim.clock.at(20, () => order.push('event@20'));
  const r = await sim.runAsync({ until: 30 });
  assert.deepEqual(order, ['event@10', 'then@10', 'event@20']);
  assert.equal(r.now, 30);
});
