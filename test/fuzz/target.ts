// The fuzz target: two stacks on one virtual wire with a listener on B (port 5001), a "target"
// connection A:40001 -> B:5001 that the structure-aware generator attacks from both ends, and a
// "witness" connection A:40002 -> B:5002 that no generator aims at and that must still carry a
// byte-exact stream once fuzzing is over. A wire tap follows the sequence numbers each end of the
// target connection has sent, so generated segments can land near or far from the windows.
import { Sim } from '../../host/sim.ts';
import type { Stack } from '../../host/stack.ts';
import type { Wire } from '../../host/wire.ts';
import { readTcp } from './packet.ts';
import { pinnedBuild } from '../helpers/build.ts';

export const MAC_A = [2, 0, 0, 0, 0, 1], MAC_B = [2, 0, 0, 0, 0, 2];
export const IP_A = '192.0.2.1', IP_B = '192.0.2.2';
export const LISTEN_PORT = 5001, WITNESS_PORT = 5002;
export const TARGET_CLIENT_PORT = 40001, WITNESS_CLIENT_PORT = 40002;

/** Short timers so that whatever the fuzz leaves behind (SYN_RCVD, TIME_WAIT, orphans) ends soon. */
export const FUZZ_SYSCTLS: Record<string, number> = {
  tcp_msl: 1, tcp_fin_timeout: 2, tcp_synack_retries: 1, tcp_syn_retries: 1, tcp_retries2: 3,
  tcp_rto_max_ms: 2000, tcp_orphan_retries: 1, arp_stale_time: 2,
};

/** What one end of the target connection last put on the wire. */
export type EndSeen = { nextSeq: number; ack: number; win: number };

export type Target = {
  sim: Sim; wire: Wire; a: Stack; b: Stack;
  listener: number; witnessListener: number;
  /** Handles: [on A, on B]. */
  conn: [number, number]; witness: [number, number];
  /** Last seen from A and from B on the target 4-tuple. */
  seen: { a: EndSeen; b: EndSeen };
};

function acceptOne(t: { sim: Sim; b: Stack }, listener: number): number {
  t.sim.run({ for: 200, maxSteps: 100_000 });
  const h = t.b.accept(listener);
  if (h < 0) throw new Error(`fuzz target: no connection to accept on listener ${listener} (${h})`);
  return h;
}

function connectFrom(a: Stack, port: number, dport: number): number {
  const h = a.socket();
  if (a.bind(h, 0, port) !== 0) throw new Error(`fuzz target: bind ${port} failed`);
  a.connect(h, IP_B, dport);
  return h;
}

function trackSeq(wire: Wire, seen: { a: EndSeen; b: EndSeen }): void {
  wire.tap((frame) => {
    const v = readTcp(frame);
    if (!v) return;
    const fromA = v.sport === TARGET_CLIENT_PORT && v.dport === LISTEN_PORT;
    const fromB = v.sport === LISTEN_PORT && v.dport === TARGET_CLIENT_PORT;
    if (!fromA && !fromB) return;
    const end = fromA ? seen.a : seen.b;
    const span = v.payloadLen + (v.flags & 2 ? 1 : 0) + (v.flags & 1 ? 1 : 0);
    end.nextSeq = (v.seq + span) >>> 0;
    if (v.flags & 16) end.ack = v.ack;
    end.win = v.win;
  });
}

/**
 * Re-opens the target connection if the fuzz legitimately killed it (an RST with the exact
 * sequence number is accepted, RFC 5961 §3.2), so later segments keep hitting an ESTABLISHED
 * connection. Returns true if it had to.
 */
export function reviveTarget(t: Target): boolean {
  const [ca, cb] = t.conn;
  if (t.a.state(ca) === 4 && t.b.state(cb) === 4) return false;
  t.a.abort(ca); t.b.abort(cb);
  t.sim.run({ for: 10, maxSteps: 100_000 });
  const na = connectFrom(t.a, TARGET_CLIENT_PORT, LISTEN_PORT);
  t.sim.run({ for: 200, maxSteps: 100_000 });
  let nb = t.b.accept(t.listener);
  // The listener may hold fuzz-made connections in its queue first; take them until ours comes.
  for (let i = 0; i < 16 && nb > 0; i++) {
    const p = t.b.peer(nb);
    if (typeof p !== 'number' && p.remotePort === TARGET_CLIENT_PORT) break;
    t.b.abort(nb);
    nb = t.b.accept(t.listener);
  }
  t.conn = [na, nb];
  return true;
}

/** Builds the pair and opens both connections (virtual time only). */
export function makeTarget(seed: number): Target {
  const sim = new Sim({ seed });
  const a = sim.addStack({ name: 'A', mac: '02:00:00:00:00:01', ip: IP_A, build: pinnedBuild() });
  const b = sim.addStack({ name: 'B', mac: '02:00:00:00:00:02', ip: IP_B, build: pinnedBuild() });
  for (const [k, v] of Object.entries(FUZZ_SYSCTLS)) { a.setSysctl(k as never, v); b.setSysctl(k as never, v); }
  const wire = sim.connect([a, b], { seed: seed + 1 });
  const seen = { a: { nextSeq: 0, ack: 0, win: 0 }, b: { nextSeq: 0, ack: 0, win: 0 } };
  trackSeq(wire, seen);
  const listener = b.socket(); b.bind(listener, 0, LISTEN_PORT); b.listen(listener, 8);
  const witnessListener = b.socket(); b.bind(witnessListener, 0, WITNESS_PORT); b.listen(witnessListener, 2);
  const t = { sim, wire, a, b, listener, witnessListener, seen };
  const ca = connectFrom(a, TARGET_CLIENT_PORT, LISTEN_PORT);
  const cb = acceptOne(t, listener);
  const wa = connectFrom(a, WITNESS_CLIENT_PORT, WITNESS_PORT);
  const wb = acceptOne(t, witnessListener);
  sim.run({ for: 100, maxSteps: 100_000 });
  a.pollEvents(); b.pollEvents();
  return { ...t, conn: [ca, cb], witness: [wa, wb] };
}
