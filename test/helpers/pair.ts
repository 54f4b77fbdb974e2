// Two stacks on one virtual wire, a server on B and a client on A, moving a seeded byte stream in
// one or both directions and hashing what arrives (sha256). Drives the application from the
// stacks' events, in virtual time, with a bound on both steps and virtual seconds.
import { createHash } from 'node:crypto';
import { Sim } from '../../host/sim.ts';
import type { Stack } from '../../host/stack.ts';
import type { Impairments, Wire } from '../../host/wire.ts';
import { EV_READABLE, EV_WRITABLE, EV_CONNECTED, EV_ACCEPT, EV_ERROR, EAGAIN } from '../../host/abi.ts';
import { withPcap } from '../../host/pcap.ts';
import type { SysctlName } from '../../host/abi.ts';

export type PairOptions = {
  seed: number;
  bytes: number;                 // per direction
  bidir?: boolean;
  impair?: Partial<Impairments>;
  maxVirtualMs?: number;
  sysctls?: Partial<Record<SysctlName, number>>;
  rcvbuf?: number;
  readChunk?: number;            // bytes the reader takes per READABLE (slow reader when small)
  pcapName?: string;
  expectComplete?: boolean;     // default true: throw (saving the pcap) if the transfer does not finish
  /** Called once the wire exists, before the transfer starts: e.g. to add an attacker's port. */
  setup?: (w: { sim: Sim; wire: Wire; a: Stack; b: Stack }) => void;
};

export type PairResult = {
  sentHash: [string, string];    // what A sent, what B sent
  gotHash: [string, string];     // what B got, what A got
  got: [number, number];
  virtualMs: number;
  retransmits: number;
  a: Stack; b: Stack; wire: Wire; sim: Sim;
};

/** A reproducible byte source: xorshift32 bytes, so both ends can tell the stream from its seed. */
export class Pattern {
  private s: number;
  constructor(seed: number) { this.s = (seed * 2654435761) >>> 0 || 1; }
  next(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let s = this.s;
    for (let i = 0; i < n; i++) { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; out[i] = s & 0xff; }
    this.s = s;
    return out;
  }
}

type End = { stack: Stack; h: number; toSend: number; sent: number; got: number; src: Pattern; pending: Uint8Array | null;
  txHash: ReturnType<typeof createHash>; rxHash: ReturnType<typeof createHash>; error: number };

function newEnd(stack: Stack, toSend: number, seed: number): End {
  return { stack, h: -1, toSend, sent: 0, got: 0, src: new Pattern(seed), pending: null,
    txHash: createHash('sha256'), rxHash: createHash('sha256'), error: 0 };
}

function pumpSend(e: End): void {
  while (e.h > 0 && e.sent < e.toSend) {
    const chunk = e.pending ?? e.src.next(Math.min(16384, e.toSend - e.sent));
    const n = e.stack.send(e.h, chunk);
    if (n === EAGAIN || n === 0) { e.pending = chunk; return; }
    if (n < 0) { e.error = n; return; }
    e.txHash.update(chunk.subarray(0, n));
    e.sent += n;
    e.pending = n < chunk.length ? chunk.subarray(n) : null;
  }
}

function pumpRecv(e: End, max: number): void {
  for (let i = 0; i < 1000 && e.h > 0; i++) {
    const r = e.stack.recv(e.h, max);
    if (typeof r === 'number') { if (r !== EAGAIN) e.error = r; return; }
    if (r.length === 0) return;
    e.rxHash.update(r);
    e.got += r.length;
  }
}

export function runPair(o: PairOptions): PairResult {
  const sim = new Sim({ seed: o.seed });
  const a = sim.addStack({ name: 'A', mac: '02:00:00:00:00:01', ip: '192.0.2.1' });
  const b = sim.addStack({ name: 'B', mac: '02:00:00:00:00:02', ip: '192.0.2.2' });
  for (const [k, v] of Object.entries(o.sysctls ?? {}) as [SysctlName, number][]) { a.setSysctl(k, v); b.setSysctl(k, v); }
  const wire = sim.connect([a, b], { seed: o.seed + 1, impair: o.impair });
  o.setup?.({ sim, wire, a, b });
  const A = newEnd(a, o.bytes, o.seed * 2 + 1);
  const B = newEnd(b, o.bidir ? o.bytes : 0, o.seed * 2 + 2);
  const chunk = o.readChunk ?? 16384;
  const l = b.socket();
  if (o.rcvbuf) b.setsockopt(l, 'SO_RCVBUF', o.rcvbuf);
  b.bind(l, 0, 5001);
  b.listen(l, 4);
  A.h = a.socket();
  if (o.rcvbuf) a.setsockopt(A.h, 'SO_RCVBUF', o.rcvbuf);
  a.connect(A.h, '192.0.2.2', 5001);
  const onEv = (e: End) => (ev: { handle: number; events: number }) => {
    if (e === B && ev.handle === l && (ev.events & EV_ACCEPT)) {
      const h = b.accept(l);
      if (h > 0) { B.h = h; pumpSend(B); pumpRecv(B, chunk); }
      return;
    }
    if (ev.handle !== e.h) return;
    if (ev.events & EV_ERROR) e.error = -e.stack.getsockopt(e.h, 'SO_ERROR');
    if (ev.events & (EV_CONNECTED | EV_WRITABLE)) pumpSend(e);
    if (ev.events & EV_READABLE) pumpRecv(e, chunk);
  };
  a.onEvent(onEv(A));
  b.onEvent(onEv(B));
  const done = () => B.got >= A.toSend && A.got >= B.toSend;
  const maxMs = o.maxVirtualMs ?? 600_000;
  const body = () => {
    const start = sim.clock.now;
    sim.run({ while: () => !done() && !A.error && !B.error && sim.clock.now - start < maxMs, maxSteps: 50_000_000 });
    // Readers that were flow-controlled get a last chance after the final event.
    pumpRecv(A, chunk); pumpRecv(B, chunk);
    if (o.expectComplete !== false && !done()) {
      throw new Error(`transfer incomplete after ${sim.clock.now - start} virtual ms: B got ${B.got}/${A.toSend}, ` +
        `A got ${A.got}/${B.toSend}, errors A=${A.error} B=${B.error}, states A=${a.state(A.h)} B=${B.h > 0 ? b.state(B.h) : 'not accepted'}`);
    }
    return sim.clock.now - start;
  };
  const virtualMs = o.pcapName ? withPcap(wire, o.pcapName, body) : body();
  return {
    sentHash: [A.txHash.digest('hex'), B.txHash.digest('hex')],
    gotHash: [B.rxHash.digest('hex'), A.rxHash.digest('hex')],
    got: [B.got, A.got], virtualMs,
    retransmits: a.stat('tcp_retrans') + b.stat('tcp_retrans'),
    a, b, wire, sim,
  };
}
