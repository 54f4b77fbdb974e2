// The fuzz driver: feeds generated frames straight into a stack's netif_input, checks the
// invariants (check_invariants on both stacks) after every structure-aware frame and every
// `checkEvery` frames otherwise, lets virtual time pass every 256 frames (wire deliveries and
// timers run, so the stacks' replies and retransmissions are part of the exchange), and stops at
// the first trap or broken invariant with a reproducible report (seed, frame index, frame hex).
import { createHash } from 'node:crypto';
import { Rng } from '../../host/rng.ts';
import type { Stack } from '../../host/stack.ts';
import { captureFrames } from './capture.ts';
import { mutateFrame, randomFrame, tcpSegment, type Generated } from './generators.ts';
import { toHex } from './packet.ts';
import { makeTarget, reviveTarget, type Target } from './target.ts';

export type GeneratorName = 'random' | 'mutate' | 'tcp';
export const GENERATORS: readonly GeneratorName[] = ['random', 'mutate', 'tcp'];

export type FuzzOptions = {
  seed: number;
  frames: number;
  /** Stop generating after this many wall-clock ms (the result says how many frames ran). */
  timeBudgetMs?: number;
  /** Invariant check interval for the random and mutation generators (tcp checks every frame). */
  checkEvery?: number;
  generators?: readonly GeneratorName[];
};

export type Failure = { kind: 'trap' | 'invariant'; seed: number; index: number; generator: GeneratorName;
  stack: string; detail: string; frameHex: string };

export type FuzzResult = {
  framesRun: number; perGenerator: Record<GeneratorName, number>; failure: Failure | null;
  wallMs: number; target: Target; revivals: number; witnessOk: boolean; witnessDetail: string;
};

function generate(name: GeneratorName, rng: Rng, t: Target, corpus: ReturnType<typeof captureFrames>): Generated {
  if (name === 'random') return randomFrame(rng);
  if (name === 'mutate') return mutateFrame(rng, corpus);
  return tcpSegment(rng, t);
}

function invariantFailure(stacks: Stack[]): { stack: string; code: number } | null {
  for (const s of stacks) {
    const code = s.checkInvariants();
    if (code !== 0) return { stack: s.name, code };
  }
  return null;
}

/** Feeds one frame; returns the failure it caused, or null. */
function feed(t: Target, g: Generated, check: boolean): { kind: 'trap' | 'invariant'; stack: string; detail: string } | null {
  const victim = g.toA ? t.a : t.b;
  try {
    victim.input(g.frame);
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) return { kind: 'trap', stack: victim.name, detail: e.message };
    throw e;
  }
  if (!check) return null;
  const bad = invariantFailure([t.a, t.b]);
  return bad ? { kind: 'invariant', stack: bad.stack, detail: `check_invariants() = ${bad.code}` } : null;
}

export function runFuzz(o: FuzzOptions): FuzzResult {
  const gens = o.generators ?? GENERATORS;
  const checkEvery = o.checkEvery ?? 64;
  const rng = new Rng(o.seed);
  const corpus = captureFrames(o.seed);
  const t = makeTarget(o.seed);
  const per = { random: 0, mutate: 0, tcp: 0 } as Record<GeneratorName, number>;
  const start = Date.now();
  let failure: Failure | null = null;
  let i = 0, revivals = 0;
  for (; i < o.frames && !failure; i++) {
    const gen = gens[i % gens.length];
    const g = generate(gen, rng, t, corpus);
    const f = feed(t, g, gen === 'tcp' || i % checkEvery === 0);
    per[gen]++;
    if (f) failure = { ...f, seed: o.seed, index: i, generator: gen, frameHex: toHex(g.frame) };
    if ((i & 255) === 255) {
      t.sim.run({ for: 2, maxSteps: 1_000_000 });
      if ((i & 4095) === 4095 && reviveTarget(t)) revivals++;
      if (o.timeBudgetMs !== undefined && Date.now() - start > o.timeBudgetMs) { i++; break; }
    }
  }
  if (!failure) {
    const bad = invariantFailure([t.a, t.b]);
    if (bad) failure = { kind: 'invariant', seed: o.seed, index: i, generator: gens[0], stack: bad.stack, detail: `at end: ${bad.code}`, frameHex: '' };
  }
  const wallMs = Date.now() - start;
  const w = failure ? { ok: false, detail: 'not checked after a failure' } : checkWitness(t, o.seed);
  return { framesRun: i, perGenerator: per, failure, wallMs, target: t, revivals, witnessOk: w.ok, witnessDetail: w.detail };
}

/** Byte stream of `n` bytes derived from `seed` (both ends can recompute it). */
export function pattern(seed: number, n: number): Uint8Array {
  const r = new Rng(seed);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = r.u32() & 255;
  return b;
}

/** Moves `data` from `from` to `to` over the witness connection in virtual time; returns what arrived. */
function transfer(t: Target, from: Stack, hf: number, to: Stack, ht: number, data: Uint8Array): Uint8Array {
  const got: Uint8Array[] = [];
  let sent = 0, n = 0;
  for (let round = 0; round < 20_000 && n < data.length; round++) {
    if (sent < data.length) { const r = from.send(hf, data.subarray(sent)); if (r > 0) sent += r; }
    t.sim.run({ for: 5, maxSteps: 1_000_000 });
    for (;;) {
      const r = to.recv(ht);
      if (typeof r === 'number' || r.length === 0) break;
      got.push(r); n += r.length;
    }
  }
  return Buffer.concat(got);
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The witness connection must still be ESTABLISHED and carry 64 KiB each way byte-exact. */
export function checkWitness(t: Target, seed: number): { ok: boolean; detail: string } {
  const [wa, wb] = t.witness;
  const states = [t.a.state(wa), t.b.state(wb)];
  if (states[0] !== 4 || states[1] !== 4) return { ok: false, detail: `witness states A=${states[0]} B=${states[1]}` };
  const up = pattern(seed ^ 0x5eed, 65536), down = pattern(seed ^ 0xd0e, 65536);
  const gotB = transfer(t, t.a, wa, t.b, wb, up);
  const gotA = transfer(t, t.b, wb, t.a, wa, down);
  const ok = sha(gotB) === sha(up) && sha(gotA) === sha(down);
  return { ok, detail: `A->B ${gotB.length}/${up.length} ${sha(gotB) === sha(up) ? 'exact' : 'MISMATCH'}, ` +
    `B->A ${gotA.length}/${down.length} ${sha(gotA) === sha(down) ? 'exact' : 'MISMATCH'}` };
}

/**
 * Closes every socket of the target and lets virtual time run out every timer (SYN_RCVD entries,
 * TIME_WAIT, orphans); returns the pools still in use per stack (ARP entries excluded: they are a
 * cache, kept until replaced).
 */
export function drainTarget(t: Target): Record<string, Record<string, number>> {
  t.a.close(t.conn[0]); t.b.close(t.conn[1]);
  t.a.close(t.witness[0]); t.b.close(t.witness[1]);
  t.sim.run({ for: 1000, maxSteps: 1_000_000 });
  t.b.close(t.listener); t.b.close(t.witnessListener);
  t.sim.run({ for: 120_000, maxSteps: 5_000_000 });
  const left: Record<string, Record<string, number>> = {};
  for (const s of [t.a, t.b]) {
    const used: Record<string, number> = {};
    for (const [name, p] of Object.entries(s.allPoolStats())) if (name !== 'POOL_ARP' && p.used !== 0) used[name] = p.used;
    left[s.name] = used;
  }
  return left;
}
