// TCP protocol control blocks (RFC 9293 §3.3.1 "TCB"), their pool and the lwIP-style lists.
//
// Every PCB in use is on exactly one list: UNBOUND (fresh socket), BOUND (bind() done, not yet
// connected), ACTIVE (SYN_SENT .. LAST_ACK), or TIME_WAIT. Listeners have their own small PCBs
// (tcp/listen.ts). Lookup of an incoming segment walks ACTIVE then TIME_WAIT by 4-tuple.
import { MAX_TCP_PCBS, Sysctl, sysctl } from "../config";
import { Pool, makePool } from "../core/pool";
import { Stream } from "../core/stream";
import { count, Stat } from "../stats";
import {
  CLOSED, CLOSING, LAST_ACK, STATE_COUNT, SYN_RCVD, SYN_SENT, TIME_WAIT,
} from "../api/constants";
import { traceState } from "../api/trace";
import { pcbDestroy } from "./close";

export const NIL: u8 = 0xff;

export const LIST_NONE: u8 = 0;
export const LIST_UNBOUND: u8 = 1;
export const LIST_BOUND: u8 = 2;
export const LIST_ACTIVE: u8 = 3;
export const LIST_TW: u8 = 4;
const LIST_COUNT: i32 = 5;

// PCB flag bits.
export const F_ACK_NOW: u32 = 1 << 0;       // send an ACK before returning from input
export const F_ACK_DELAYED: u32 = 1 << 1;   // an ACK is owed; the fast timer sends it
export const F_FIN_QUEUED: u32 = 1 << 2;    // the application closed its sending side
export const F_FIN_SENT: u32 = 1 << 3;
export const F_SYN_ACKED: u32 = 1 << 4;     // our SYN is acknowledged (stream offsets start at snd_una)
export const F_NODELAY: u32 = 1 << 5;       // TCP_NODELAY: Nagle off
export const F_KEEPALIVE: u32 = 1 << 6;
export const F_REUSEADDR: u32 = 1 << 7;
export const F_TS: u32 = 1 << 8;            // timestamps negotiated (RFC 7323)
export const F_SACK: u32 = 1 << 9;          // SACK permitted both ways (RFC 2018)
export const F_WSCALE: u32 = 1 << 10;       // window scaling negotiated
export const F_IN_RECOVERY: u32 = 1 << 11;  // fast recovery (RFC 6582 / RFC 6675)
export const F_PERSIST: u32 = 1 << 12;      // the retransmit timer runs as the persist timer
export const F_RCV_SHUT: u32 = 1 << 13;     // shutdown(SHUT_RD): incoming data is discarded
export const F_FIN_RCVD: u32 = 1 << 14;     // peer's FIN consumed: end of stream
export const F_LINGER: u32 = 1 << 15;       // SO_LINGER on (linger seconds in lingerSec)
export const F_PASSIVE: u32 = 1 << 16;      // opened by a listener (RFC 9293: RST in SYN_RCVD returns to LISTEN)
export const F_ACKED_DATA_EVENT: u32 = 1 << 17; // the app saw EAGAIN/short send: raise EV_WRITABLE on room
export const F_KEEPALIVE_PROBING: u32 = 1 << 18;
export const F_SOFT_ERROR: u32 = 1 << 19;     // an ICMP soft error arrived (reported on timeout)
export const F_PROMPT_ACK: u32 = 1 << 20;     // the peer ACKs a lone segment at once (tcp/ack_delay.ts)
export const F_SMALL_SENT: u32 = 1 << 23;     // sndSml is set: a segment shorter than the MSS went (Nagle, tcp/output.ts)

@unmanaged export class Pcb {
  // Send buffer: bytes from the first unacknowledged data byte on (a core/stream.ts Stream view
  // covers the first 9 bytes; three u8 fields fill the rest of the 12).
  sndLen: u32; sndStart: u16; sndHead: u8; sndTail: u8; sndBlocks: u8;
  state: u8;
  list: u8;
  next: u8;           // list link
  // Receive buffer: readable bytes, then out-of-order bytes beyond them.
  rcvLen: u32; rcvStart: u16; rcvHead: u8; rcvTail: u8; rcvBlocks: u8;
  sock: u8;           // socket slot + 1; 0 for an orphan (closed by the application)
  dupacks: u8;
  backoff: u8;        // consecutive RTO expirations (also persist backoff)

  remoteIp: u32;
  localPort: u16;
  remotePort: u16;
  flags: u32;

  // Send sequence space (RFC 9293 §3.3.1). snd_nxt is the next new byte; retransmissions run
  // separately from rtxNext to rtxEnd, so snd_nxt never moves backwards.
  iss: u32;
  sndUna: u32;
  sndNxt: u32;
  sndWnd: u32;        // peer's window, scaled
  maxSndWnd: u32;
  sndWl1: u32;
  sndWl2: u32;
  rtxNext: u32;
  rtxEnd: u32;
  recover: u32;       // RFC 6582 "recover"

  // Receive sequence space.
  irs: u32;           // handshake only; once our SYN is acknowledged it holds snd_sml (sndSml)
  rcvNxt: u32;
  rcvAdv: u32;        // right edge of the window we advertised

  // Timestamps (RFC 7323 §4 and §5). TS.Recent's age is taken from lastRecv: every segment that
  // updates it also updates lastRecv, and the rules that use the age (PAWS idle, TIME_WAIT
  // reuse) only need "when did we last hear from the peer".
  tsRecent: u32;

  // RTT and RTO (RFC 6298): srtt in ms << 3, rttvar in ms << 2.
  srtt: i32;
  rttvar: i32;
  rto: u32;
  rttSeq: u32;
  rttStart: u32;

  // Congestion control (RFC 5681).
  cwnd: u32;
  ssthresh: u32;

  // Timers: absolute ms deadlines, 0 = off.
  rtxAt: u32;         // retransmission or persist
  timer2At: u32;      // TIME_WAIT end, FIN_WAIT_2 timeout, keepalive, linger, SYN retry
  lastRecv: u32;      // ms of the last segment from the peer (keepalive idle, idle restart)

  sndLimit16: u16;    // SO_SNDBUF / 16 (see the sndLimit accessor)
  rcvLimit16: u16;    // SO_RCVBUF / 16
  mss: u16;           // send MSS (peer's option, our MTU, TCP_MAXSEG)
  keepIdle: u16;      // s, 0 = sysctl default
  keepIntvl: u16;
  lingerSec: u16;
  totalRetrans: u16;
  wsSnd: u8;          // shift applied to windows the peer sends
  wsRcv: u8;          // shift applied to windows we send
  keepCnt: u8;
  soError: u8;        // pending error as a positive errno
  listener: u8;       // listen PCB + 1 while on its accept queue
  acceptNext: u8;
  oooHead: u8;        // out-of-order ranges (tcp/ranges.ts)
  sackHead: u8;       // SACK scoreboard of the sender
  delackSegs: u8;     // full segments received since the last ACK
  oooLast: u8;        // range holding the most recent out-of-order segment (RFC 2018 §4)
  probes: u8;         // unanswered keepalive or zero-window probes
  challengeTick: u8;  // 512 ms tick of the last challenge ACK (tcp/challenge.ts)
  reoSteps: u8;       // RACK reo_wnd_mult - 1 (RFC 8985 §6.2 step 4: widened on D-SACK)
  reoByte: u8;        // low 5 bits: reoPersist; high 3 bits: undo (see the accessors)

  // Buffer limits are kept in 16-byte units (2 bytes each instead of 4, for the RAM budget).
  get sndLimit(): u32 { return <u32>this.sndLimit16 << 4; }
  set sndLimit(v: u32) { this.sndLimit16 = <u16>(min(v, 0xffff0) >> 4); }
  // Minshall's snd_sml (Nagle, tcp/output.ts): the end of the last segment shorter than the MSS,
  // valid while F_SMALL_SENT is set. IRS is only read before our SYN is acknowledged (SYN_SENT,
  // SYN_RCVD) and snd_sml only after, so they share the word.
  get sndSml(): u32 { return this.irs; }
  set sndSml(v: u32) { this.irs = v; }
  // Recoveries left before reoSteps falls back to 0 (RFC 8985 reo_wnd_persist, at most 16).
  get reoPersist(): u32 { return <u32>this.reoByte & 31; }
  set reoPersist(v: u32) { this.reoByte = <u8>((<u32>this.reoByte & ~31) | v); }
  // The undo state of the last recovery episode (tcp/congestion.ts undoOnDsack): 0 none, 1 entered
  // with nothing retransmitted, 2-7 that many retransmissions plus one not yet shown needless.
  get undo(): u32 { return <u32>this.reoByte >> 5; }
  set undo(v: u32) { this.reoByte = <u8>((<u32>this.reoByte & 31) | v << 5); }
  get rcvLimit(): u32 { return <u32>this.rcvLimit16 << 4; }
  set rcvLimit(v: u32) { this.rcvLimit16 = <u16>(min(v, 0xffff0) >> 4); }
}

export const PCB_SIZE: i32 = offsetof<Pcb>();

// The slots' static address, a constant: pcbAt/pcbIndex need no load of the pool's base.
const pcbMem: usize = memory.data(offsetof<Pcb>() * MAX_TCP_PCBS);
export const pcbs: Pool = makePool(
  memory.data(offsetof<Pool>()), pcbMem,
  memory.data(MAX_TCP_PCBS * 2), memory.data(MAX_TCP_PCBS), offsetof<Pcb>(), MAX_TCP_PCBS);

const listHeads: usize = memory.data(8);
const stateCounts: usize = memory.data(STATE_COUNT * 4);

// @ts-ignore: decorator
@inline export function pcbAt(i: i32): Pcb { return changetype<Pcb>(pcbMem + <usize>(i * PCB_SIZE)); }
// @ts-ignore: decorator
@inline export function pcbIndex(p: Pcb): i32 { return <i32>((changetype<usize>(p) - pcbMem) / <usize>PCB_SIZE); }
// @ts-ignore: decorator
@inline export function sndq(p: Pcb): Stream { return changetype<Stream>(changetype<usize>(p) + offsetof<Pcb>("sndLen")); }
// @ts-ignore: decorator
@inline export function rcvq(p: Pcb): Stream { return changetype<Stream>(changetype<usize>(p) + offsetof<Pcb>("rcvLen")); }

export function listHead(list: u8): i32 {
  return <i32>load<u8>(listHeads + <usize>list);
}

export function pcbReset(): void {
  pcbs.reset();
  memory.fill(listHeads, NIL, 8);
  memory.fill(stateCounts, 0, STATE_COUNT * 4);
}

export function stateCount(state: i32): i32 {
  return <i32>load<u32>(stateCounts + (<usize>state << 2));
}

function addStateCount(state: u8, d: i32): void {
  const p = stateCounts + (<usize>state << 2);
  store<u32>(p, load<u32>(p) + d);
}

function listRemove(p: Pcb): void {
  const me = <u8>pcbIndex(p);
  const headPtr = listHeads + <usize>p.list;
  let cur = load<u8>(headPtr);
  if (cur == me) {
    store<u8>(headPtr, p.next);
  } else {
    while (cur != NIL) {
      const c = pcbAt(cur);
      if (c.next == me) { c.next = p.next; break; }
      cur = c.next;
    }
  }
  p.next = NIL;
  p.list = LIST_NONE;
}

export function listMove(p: Pcb, list: u8): void {
  if (p.list == list) return;
  if (p.list != LIST_NONE) listRemove(p);
  if (list == LIST_NONE) return;
  const headPtr = listHeads + <usize>list;
  p.next = load<u8>(headPtr);
  store<u8>(headPtr, <u8>pcbIndex(p));
  p.list = list;
}

// The one place a PCB changes state: keeps per-state counts and the trace log.
export function setState(p: Pcb, s: u8): void {
  const old = p.state;
  if (old == s) return;
  addStateCount(old, -1);
  addStateCount(s, 1);
  p.state = s;
  traceState(pcbIndex(p), old, s);
}

// Fresh PCB in CLOSED on the UNBOUND list, with socket defaults; -1 when the pool stays empty
// after recycling (below).
export function pcbAlloc(): i32 {
  let i = pcbs.alloc();
  if (i < 0) i = recycleOne();
  if (i < 0) { count(Stat.pool_fail_pcb); return -1; }
  const p = pcbAt(i);
  sndq(p).init();
  rcvq(p).init();
  p.next = NIL;
  p.list = LIST_NONE;
  p.state = CLOSED;
  addStateCount(CLOSED, 1);
  p.oooHead = NIL;
  p.sackHead = NIL;
  p.oooLast = NIL;
  p.sndLimit = <u32>sysctl(Sysctl.tcp_wmem_default);
  p.rcvLimit = <u32>sysctl(Sysctl.tcp_rmem_default);
  listMove(p, LIST_UNBOUND);
  return i;
}

// Under pool pressure, lwIP's order: the oldest TIME_WAIT, then LAST_ACK, then CLOSING (their
// peers have what they need or will retransmit into an RST). Returns a freed slot, or -1.
// No array literal for the order: under the stub runtime one allocates on every call and is never
// freed (issue 18: a trap after ~2,055 recycles). The three states are picked arithmetically.
function recycleOne(): i32 {
  for (let k = 0; k < 3; k++) {
    const victim = oldestIn(k == 0 ? TIME_WAIT : k == 1 ? LAST_ACK : CLOSING);
    if (victim >= 0) {
      count(k == 0 ? Stat.tw_recycled : Stat.pcb_recycled);
      pcbDestroy(pcbAt(victim));
      return pcbs.alloc();
    }
  }
  return -1;
}

// True when pcbAlloc() would succeed now: a free slot, or one recycleOne() may take. A listener
// asks before it answers a SYN (issue 26: handshakes completed for connections that could never
// get a PCB).
export function pcbCouldAlloc(): bool {
  return pcbs.used < pcbs.size || oldestIn(TIME_WAIT) >= 0 || oldestIn(LAST_ACK) >= 0 || oldestIn(CLOSING) >= 0;
}

// Oldest = the one whose last segment from the peer is furthest in the past.
// TIME_WAIT PCBs are exactly the TIME_WAIT list; LAST_ACK and CLOSING ones are on the ACTIVE list.
function oldestIn(state: u8): i32 {
  let best = -1;
  let bestRecv: u32 = 0;
  for (let i = listHead(state == TIME_WAIT ? LIST_TW : LIST_ACTIVE); i != <i32>NIL;) {
    const p = pcbAt(i);
    if (p.state == state && p.sock == 0 && (best < 0 || <i32>(p.lastRecv - bestRecv) < 0)) {
      best = i;
      bestRecv = p.lastRecv;
    }
    i = <i32>p.next;
  }
  return best;
}

// Returns the PCB to the pool. Its buffers and ranges must be released already.
export function pcbFree(p: Pcb): void {
  listMove(p, LIST_NONE);
  addStateCount(p.state, -1);
  if (p.state != CLOSED) traceState(pcbIndex(p), p.state, CLOSED);
  pcbs.free(pcbIndex(p));
}

// Finds the connection for an incoming segment: ACTIVE first, then TIME_WAIT (the next list). The
// two ports are compared as one word (localPort and remotePort are adjacent u16 fields).
// @ts-ignore: compile-time check of the layout the one-word compare relies on
if (offsetof<Pcb>("remotePort") != offsetof<Pcb>("localPort") + 2) ERROR("pcb: remotePort must follow localPort");
export function pcbLookup(rip: u32, rport: u32, lport: u32): i32 {
  const ports = lport | (rport << 16);
  for (let l = LIST_ACTIVE; l <= LIST_TW; l++) {
    for (let i = listHead(l); i != <i32>NIL; i = <i32>pcbAt(i).next) {
      const p = pcbAt(i);
      if (p.remoteIp == rip && load<u32>(changetype<usize>(p), offsetof<Pcb>("localPort")) == ports) return i;
    }
  }
  return -1;
}

// True when `state` is one of the states where our SYN is out but the handshake is not done.
export function inHandshake(p: Pcb): bool {
  return p.state == SYN_SENT || p.state == SYN_RCVD;
}

// Invariant: each used PCB is on exactly the list its `list` field names, free ones on none,
// and the per-state counts match.
export function pcbListsConsistent(): bool {
  if (!pcbs.checkConsistent()) return false;
  const seen = memory.data(MAX_TCP_PCBS);
  memory.fill(seen, 0, MAX_TCP_PCBS);
  for (let l: u8 = 1; l < <u8>LIST_COUNT; l++) {
    let i = listHead(l);
    let n = 0;
    while (i != <i32>NIL) {
      if (!pcbs.isUsed(i) || pcbAt(i).list != l || load<u8>(seen + <usize>i) != 0) return false;
      store<u8>(seen + <usize>i, 1);
      if (++n > MAX_TCP_PCBS) return false;
      i = pcbAt(i).next;
    }
  }
  const counts = memory.data(STATE_COUNT * 4);
  memory.fill(counts, 0, STATE_COUNT * 4);
  for (let i = 0; i < MAX_TCP_PCBS; i++) {
    if (!pcbs.isUsed(i)) continue;
    if (load<u8>(seen + <usize>i) == 0) return false;
    const c = counts + (<usize>pcbAt(i).state << 2);
    store<u32>(c, load<u32>(c) + 1);
  }
  for (let s = 0; s < STATE_COUNT; s++) {
    if (load<u32>(counts + (<usize>s << 2)) != load<u32>(stateCounts + (<usize>s << 2))) return false;
  }
  return true;
}

