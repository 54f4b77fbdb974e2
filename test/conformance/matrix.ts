// The generated conformance matrix: every state by every way in (setups.ts) x every arriving
// segment kind x sequence position x ACK position, each cell run on a freshly reset stack and
// compared with the oracle (oracle.ts): exact replies, next state, SO_ERROR, events.
import { ERRORS, EV_ACCEPT, stateName } from '../../host/abi.ts';
import { ACK, Host } from './host.ts';
import { KINDS, KIND_FLAGS, KIND_LEN, oracle, type Expect, type In, type Kind, type Reply } from './oracle.ts';
import { ORPHAN_STATES, setup, WAYS, type Ctx, type StateName, type Way } from './setups.ts';

export const SEQ_POS = ['outside-left', 'RCV.NXT-1', 'RCV.NXT', 'inside', 'right-edge', 'outside-right'] as const;
export const ACK_POS = ['far-below', 'below-SND.UNA', 'SND.UNA', 'in-flight', 'SND.NXT', 'above-SND.NXT'] as const;
export type SeqPos = (typeof SEQ_POS)[number];
export type AckPos = (typeof ACK_POS)[number];
export type Cell = { state: StateName; way: Way; orphan: boolean; kind: Kind; seqPos: SeqPos; ackPos: AckPos };

export function seqAt(c: Ctx, p: SeqPos): number {
  switch (p) {
    case 'outside-left': return c.rcvNxt - 1000;
    case 'RCV.NXT-1': return c.rcvNxt - 1;
    case 'RCV.NXT': return c.rcvNxt;
    case 'inside': return c.rcvNxt + 100;
    case 'right-edge': return c.rcvNxt + c.rcvWnd - 1;
    case 'outside-right': return c.rcvNxt + c.rcvWnd;
  }
}

/** The ACK value for a position, or null where the position does not exist (nothing in flight). */
export function ackAt(c: Ctx, p: AckPos): number | null {
  switch (p) {
    case 'far-below': return c.sndUna - c.maxSndWnd - 1000;          // RFC 5961 §5.2: below SND.UNA - MAX.SND.WND
    case 'below-SND.UNA': return c.sndUna - 1;
    case 'SND.UNA': return c.sndUna;
    case 'in-flight': return c.sndNxt - c.sndUna > 50 ? c.sndUna + 50 : null;
    case 'SND.NXT': return c.sndNxt;
    case 'above-SND.NXT': return c.sndNxt + 1000;
  }
}

// The states where the setup leaves data in flight (setups.ts): only there does "in flight" exist.
const IN_FLIGHT: StateName[] = ['ESTABLISHED', 'FIN_WAIT_1', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK'];

/** Every cell: 11 states through each way in x 9 kinds x 6 sequence positions x 6 ACK positions (less "in flight" where nothing is). */
export function allCells(): Cell[] {
  const cells: Cell[] = [];
  for (const orphan of [false, true]) {
    for (const state of (orphan ? ORPHAN_STATES : Object.keys(WAYS)) as StateName[]) {
      for (const way of WAYS[state]) {
        for (const kind of KINDS) for (const seqPos of SEQ_POS) for (const ackPos of ACK_POS) {
          if (ackPos !== 'in-flight' || IN_FLIGHT.includes(state)) cells.push({ state, way, orphan, kind, seqPos, ackPos });
        }
      }
    }
  }
  return cells;
}

export type Observed = Expect;

const TICK_MS = 250;

/** Runs one cell: reset, set up, one segment, what came back (now and after one fast-timer tick). */
export function runCell(host: Host, cell: Cell): { ctx: Ctx; seg: In; got: Observed } {
  host.clock.advanceTo(host.clock.now + 1500);      // a fresh challenge-ACK second for every cell
  host.reset();
  const ctx = setup(host, cell.state, cell.way, cell.orphan);
  host.takeEvents();
  const flags = KIND_FLAGS[cell.kind];
  const len = KIND_LEN[cell.kind];
  const seq = seqAt(ctx, cell.seqPos) >>> 0;
  const a = ackAt(ctx, cell.ackPos);
  if (a === null) throw new Error(`${cellName(cell)}: the setup left nothing in flight`);
  const ack = a >>> 0;
  const seg: In = { kind: cell.kind, flags, seq, ack, len };
  const now = host.send(ctx.dport, seq, ack, flags, len).map(reply);
  const evNow = events(host, ctx);
  host.clock.advanceTo(host.clock.now + TICK_MS);
  host.stack.runTimers();
  const tick = host.drain().map(reply);
  const inv = host.stack.checkInvariants();
  if (inv !== 0) throw new Error(`${cellName(cell)}: check_invariants() = ${inv}`);
  return { ctx, seg, got: { now, tick, ...observeState(host, ctx), events: evNow | events(host, ctx) } };
}

function reply(s: { flags: number; seq: number; ack: number; len: number }): Reply {
  return { flags: s.flags & ~8, seq: s.seq >>> 0, ack: s.flags & ACK ? s.ack >>> 0 : 0, len: s.len };
}

function events(host: Host, c: Ctx): number {
  const h = c.h ?? c.listener;
  return host.takeEvents().filter((e) => e.handle === h).reduce((m, e) => m | e.events, 0);
}

function errName(v: number): string | 0 {
  if (v === 0) return 0;
  return Object.entries(ERRORS).find(([, e]) => e === -v)?.[0] ?? `errno ${v}`;
}

function observeState(host: Host, c: Ctx): { state: string; soError: string | 0 } {
  const st = host.stack;
  if (c.h !== null) return { state: stateName(st.state(c.h)), soError: errName(st.getsockopt(c.h, 'SO_ERROR')) };
  const n = st.netstatCounts();
  if (c.orphan) {
    // The one connection left, if any (the listener of a passive way is not counted).
    const live = Object.entries(n).filter(([k, v]) => k !== 'LISTEN' && k !== 'CLOSED' && v > 0);
    if (live.length > 1 || live.some(([, v]) => v > 1)) return { state: `several: ${JSON.stringify(live)}`, soError: 0 };
    return { state: live.length ? live[0][0] : 'CLOSED', soError: 0 };
  }
  if (c.state === 'CLOSED') {
    const any = Object.entries(n).filter(([k, v]) => k !== 'CLOSED' && v > 0);
    return { state: any.length ? `CLOSED+${any.map(([k]) => k).join(',')}` : 'CLOSED', soError: 0 };
  }
  const a = st.accept(c.listener!);
  if (a > 0) return { state: stateName(st.state(a)), soError: errName(st.getsockopt(a, 'SO_ERROR')) };
  return { state: n.SYN_RCVD > 0 ? 'SYN_RCVD' : 'LISTEN', soError: 0 };
}

function sameReply(want: Reply, got: Reply): boolean {
  return want.flags === got.flags && (want.seq === '*' || (want.seq >>> 0) === got.seq) &&
    (want.ack >>> 0) === got.ack && want.len === got.len;
}

/** '' when the stack did what the oracle says, else a description of every difference. */
export function compare(want: Expect, got: Observed): string {
  const d: string[] = [];
  for (const k of ['now', 'tick'] as const) {
    const w = want[k], g = got[k];
    if (w.length !== g.length || w.some((r, i) => !sameReply(r, g[i]))) d.push(`${k}: want ${fmtReplies(w)}, got ${fmtReplies(g)}`);
  }
  if (want.state !== got.state) d.push(`state: want ${want.state}, got ${got.state}`);
  if (want.soError !== got.soError) d.push(`SO_ERROR: want ${want.soError}, got ${got.soError}`);
  // EV_ACCEPT is raised on the listener; the others on the connection.
  if ((want.events & ~0) !== got.events) d.push(`events: want ${want.events}, got ${got.events}`);
  return d.join('; ');
}

const F = ['F', 'S', 'R', 'P', '.'];
export function fmtReplies(r: Reply[]): string {
  if (!r.length) return 'nothing';
  return r.map((x) => `${F.filter((_, i) => x.flags & (1 << i)).join('')} seq ${x.seq} ack ${x.ack} len ${x.len}`).join(' | ');
}

export function cellName(c: Cell): string {
  return `${c.state}(${c.way}${c.orphan ? ', orphan' : ''}) <- ${c.kind} seq ${c.seqPos} ack ${c.ackPos}`;
}

export function check(host: Host, cell: Cell, oracleFn = oracle): string {
  const { ctx, seg, got } = runCell(host, cell);
  const diff = compare(oracleFn(ctx, seg), got);
  return diff ? `${cellName(cell)}: ${diff}` : '';
}

export { EV_ACCEPT };
