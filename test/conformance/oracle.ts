// The oracle: what RFC 9293 §3.10.7 (with RFC 5961 and RFC 1337) says a TCP must do with one
// arriving segment, written once, here in the test code and not in the stack. Input: the
// connection's context (state, way in, RCV.NXT, RCV.WND, SND.UNA, SND.NXT, ...) and one segment;
// output: the exact replies (now, and after one 250 ms fast-timer tick for a delayed ACK), the next
// state, SO_ERROR and the events raised.
//
// Where the RFC leaves a choice or real stacks agree on something else, the choice is marked
// "CHOICE" below and listed in /work/notes/i18a.md.
import { ACK, FIN, PSH, RST, SYN } from './host.ts';
import type { Ctx, StateName } from './setups.ts';
import { EV_ACCEPT, EV_CLOSED, EV_CONNECTED, EV_ERROR, EV_READABLE, EV_WRITABLE } from '../../host/abi.ts';

export const DATA_LEN = 10;

// The nine kinds of issue 18, and a SYN-ACK carrying text (issue 18 bug 2: its first octet is ISN+1).
export type Kind = 'SYN' | 'SYN-ACK' | 'ACK' | 'RST' | 'RST-ACK' | 'FIN-ACK' | 'SYN-FIN' | 'data' | 'data+FIN' | 'SYN-ACK+data';
export const KINDS: Kind[] = ['SYN', 'SYN-ACK', 'ACK', 'RST', 'RST-ACK', 'FIN-ACK', 'SYN-FIN', 'data', 'data+FIN', 'SYN-ACK+data'];

export const KIND_FLAGS: Record<Kind, number> = {
  'SYN': SYN, 'SYN-ACK': SYN | ACK, 'ACK': ACK, 'RST': RST, 'RST-ACK': RST | ACK, 'FIN-ACK': FIN | ACK,
  'SYN-FIN': SYN | FIN, 'data': PSH | ACK, 'data+FIN': FIN | PSH | ACK, 'SYN-ACK+data': SYN | PSH | ACK,
};
export const KIND_LEN: Record<Kind, number> = {
  'SYN': 0, 'SYN-ACK': 0, 'ACK': 0, 'RST': 0, 'RST-ACK': 0, 'FIN-ACK': 0, 'SYN-FIN': 0, 'data': DATA_LEN, 'data+FIN': DATA_LEN,
  'SYN-ACK+data': DATA_LEN,
};

export type In = { kind: Kind; flags: number; seq: number; ack: number; len: number };
/** seq '*' = a fresh ISN the oracle cannot know (a SYN-ACK from LISTEN). */
export type Reply = { flags: number; seq: number | '*'; ack: number; len: number };
export type Expect = { now: Reply[]; tick: Reply[]; state: string; soError: string | 0; events: number };

const u = (v: number) => v >>> 0;
/** a < b in sequence space (RFC 9293 §3.4), a <= b, ... */
const lt = (a: number, b: number) => ((a - b) | 0) < 0;
const le = (a: number, b: number) => u(a) === u(b) || lt(a, b);

/** RFC 9293 §3.10.7.4 first check, the four cases of the acceptability test. */
export function acceptable(seq: number, segLen: number, rcvNxt: number, rcvWnd: number): boolean {
  const inWnd = (x: number) => le(rcvNxt, x) && lt(x, rcvNxt + rcvWnd);
  if (segLen === 0) return rcvWnd === 0 ? u(seq) === u(rcvNxt) : inWnd(seq);
  if (rcvWnd === 0) return false;
  return inWnd(seq) || inWnd(seq + segLen - 1);
}

class Out {
  now: Reply[] = [];
  tick: Reply[] = [];
  soError: string | 0 = 0;
  events = 0;
  constructor(public state: string) {}
  done(): Expect { return { now: this.now, tick: this.tick, state: this.state, soError: this.soError, events: this.events }; }
}

export function oracle(c: Ctx, s: In): Expect {
  const e = byState(c, s);
  // An orphan has no socket: no SO_ERROR to report, nobody to raise events for.
  return c.orphan ? { ...e, soError: 0, events: 0 } : e;
}

function byState(c: Ctx, s: In): Expect {
  switch (c.state) {
    case 'CLOSED': return closed(s);
    case 'LISTEN': return listen(s);
    case 'SYN_SENT': return synSent(c, s);
    case 'TIME_WAIT': return timeWait(c, s);
    default: return synchronized(c, s);
  }
}

const has = (s: In, f: number) => (s.flags & f) !== 0;
const span = (s: In) => s.len + (has(s, SYN) ? 1 : 0) + (has(s, FIN) ? 1 : 0);

// RFC 9293 §3.10.7.1: no connection. An RST is dropped; with ACK <SEQ=SEG.ACK><CTL=RST>, else
// <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
function closed(s: In): Expect {
  const o = new Out('CLOSED');
  if (has(s, RST)) return o.done();
  if (has(s, ACK)) o.now.push({ flags: RST, seq: s.ack, ack: 0, len: 0 });
  else o.now.push({ flags: RST | ACK, seq: 0, ack: s.seq + span(s), len: 0 });
  return o.done();
}

// RFC 9293 §3.10.7.2: LISTEN. RST ignored; any ACK <SEQ=SEG.ACK><CTL=RST>; a SYN gets
// <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and a SYN_RCVD entry. CHOICE: SYN+FIN is dropped (Linux).
function listen(s: In): Expect {
  const o = new Out('LISTEN');
  if (has(s, RST)) return o.done();
  if (has(s, ACK)) { o.now.push({ flags: RST, seq: s.ack, ack: 0, len: 0 }); return o.done(); }
  if (has(s, SYN) && !has(s, FIN)) {
    o.now.push({ flags: SYN | ACK, seq: '*', ack: s.seq + 1, len: 0 });
    o.state = 'SYN_RCVD';
  }
  return o.done();
}

// RFC 9293 §3.10.7.3: SYN-SENT.
function synSent(c: Ctx, s: In): Expect {
  const o = new Out('SYN_SENT');
  // First, the ACK bit: SEG.ACK =< ISS or SEG.ACK > SND.NXT is unacceptable.
  const ackOk = has(s, ACK) && lt(c.iss, s.ack) && le(s.ack, c.sndNxt);
  if (has(s, ACK) && !ackOk) {
    if (!has(s, RST)) o.now.push({ flags: RST, seq: s.ack, ack: 0, len: 0 });
    return o.done();
  }
  // Second, RST: only with an acceptable ACK (RFC 5961 §3.2 leaves SYN-SENT to this rule).
  if (has(s, RST)) {
    if (ackOk) { o.state = 'CLOSED'; o.soError = 'ECONNREFUSED'; o.events = EV_ERROR | EV_READABLE; }
    return o.done();
  }
  // Fourth, SYN.
  if (!has(s, SYN)) return o.done();
  let rcvNxt = s.seq + 1;
  if (ackOk) {
    // ESTABLISHED; text and FIN go on at the sixth step. The first text octet is ISN+1 (§3.4):
    // all of it is new, queued (CHOICE: FreeBSD's; Linux drops it and acknowledges the SYN only).
    o.state = 'ESTABLISHED';
    o.events = EV_CONNECTED | EV_WRITABLE | (s.len > 0 ? EV_READABLE : 0);
    rcvNxt += s.len;
    if (has(s, FIN)) { rcvNxt += 1; o.state = 'CLOSE_WAIT'; o.events |= EV_READABLE; }
    o.now.push({ flags: ACK, seq: c.sndNxt, ack: rcvNxt, len: 0 });
    return o.done();
  }
  // Simultaneous open: SYN_RCVD, <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. CHOICE: a FIN or text on
  // the SYN is not acknowledged (it comes again once ESTABLISHED), as on Linux.
  o.state = 'SYN_RCVD';
  o.now.push({ flags: SYN | ACK, seq: c.iss, ack: rcvNxt, len: 0 });
  return o.done();
}

// TIME-WAIT: RFC 9293 §3.10.7.4 with RFC 1337 (no assassination) and RFC 5961 §4.2.
function timeWait(c: Ctx, s: In): Expect {
  const o = new Out('TIME_WAIT');
  const ackNow = () => o.now.push({ flags: ACK, seq: c.sndNxt, ack: c.rcvNxt, len: 0 });
  if (has(s, RST)) return o.done();                               // RFC 1337 §3 (TW-assassination fix 1)
  // A bare SYN above RCV.NXT opens a new incarnation once the application let go of the socket
  // (RFC 9293 §3.10.7.4 fourth check note, RFC 6191 without timestamps; RFC 1122 §4.2.2.13): the
  // TIME_WAIT goes and the SYN is processed as if it had found no connection. A held socket keeps
  // its TIME_WAIT, and the SYN gets an ACK like any other SYN (RFC 5961 §4.2 challenge ACK).
  if (has(s, SYN) && !has(s, ACK) && !has(s, FIN) && c.orphan && lt(c.rcvNxt, s.seq)) {
    return c.way === 'passive' ? listen(s) : closed(s);
  }
  if (has(s, SYN)) { ackNow(); return o.done(); }
  // The remote FIN again: "acknowledge it, and restart the 2 MSL timeout".
  if (has(s, FIN) && u(s.seq + s.len + 1) === u(c.rcvNxt)) { ackNow(); return o.done(); }
  // A bare ACK at RCV.NXT needs nothing. CHOICE: everything else (unacceptable segments per the
  // first check, and text or a new FIN, which "should not occur") gets an ACK, as on Linux.
  if (u(s.seq) === u(c.rcvNxt) && s.len === 0 && !has(s, FIN)) return o.done();
  ackNow();
  return o.done();
}

const RECEIVING: StateName[] = ['ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2'];

// SYN-RECEIVED and the synchronized states, RFC 9293 §3.10.7.4 checks one to eight.
function synchronized(c: Ctx, s0: In): Expect {
  const passive = c.way === 'passive' && c.state === 'SYN_RCVD';
  const o = new Out(c.state);
  let s = { ...s0 };
  let rcvNxt = c.rcvNxt;
  let sndUna = c.sndUna;
  const ackNow = () => o.now.push({ flags: ACK, seq: c.sndNxt, ack: rcvNxt, len: 0 });
  if (c.state === 'SYN_RCVD') {
    // CHOICE: the peer's SYN again (no ACK, at IRS) gets our SYN-ACK again (Linux, FreeBSD), not
    // the bare ACK of the first check.
    if (has(s, SYN) && !has(s, ACK) && u(s.seq) === u(c.irs)) {
      o.now.push({ flags: SYN | ACK, seq: c.iss, ack: c.irs + 1, len: 0 });
      return o.done();
    }
    // CHOICE (simultaneous open, RFC 9293 §3.5 figure 8): the peer's SYN-ACK, which repeats its SYN
    // and acknowledges ours, is the ACK at RCV.NXT that completes the handshake (Linux).
    if (!passive && has(s, SYN) && has(s, ACK) && u(s.seq) === u(c.irs) && u(s.ack) === u(c.sndNxt)) {
      s = { ...s, flags: s.flags & ~SYN, seq: c.rcvNxt };
    }
  }
  // First check: sequence number acceptable? If not, an ACK (unless RST). RFC 5961 §4.2: a SYN
  // outside the window gets the same ACK.
  // CHOICE (Linux's tcp_sequence, issue 23): a segment starting exactly at RCV.NXT + RCV.WND, one
  // past the window, still has its ACK processed (its text and FIN are dropped) and gets an ACK: a
  // peer that filled our window above a hole sends its pure ACKs there. Not for a half-open entry
  // of a listener (passive SYN-RECEIVED, tcp/listen.ts), which keeps the strict test.
  let edgeAck = false;
  if (!acceptable(s.seq, span(s), rcvNxt, c.rcvWnd)) {
    edgeAck = !passive && has(s, ACK) && !has(s, RST) && !has(s, SYN) && u(s.seq) === u(rcvNxt + c.rcvWnd);
    if (!edgeAck) {
      if (!has(s, RST)) ackNow();
      return o.done();
    }
    s = { ...s, seq: rcvNxt, len: 0, flags: s.flags & ~FIN };
  }
  // Second check, RST (RFC 5961 §3.2): exactly RCV.NXT resets, elsewhere a challenge ACK.
  if (has(s, RST)) {
    if (u(s.seq) !== u(rcvNxt)) { ackNow(); return o.done(); }
    if (passive) { o.state = 'LISTEN'; return o.done(); }                     // back to LISTEN
    o.state = 'CLOSED';
    // SYN-RECEIVED from an active open: "connection refused"; all others "connection reset"
    // (CLOSING and LAST_ACK included: Linux and FreeBSD report ECONNRESET there too).
    o.soError = c.state === 'SYN_RCVD' ? 'ECONNREFUSED' : 'ECONNRESET';
    o.events = EV_ERROR | EV_READABLE;
    return o.done();
  }
  // Fourth check, SYN: a passive open returns to LISTEN; otherwise the RFC 5961 §4.2 challenge ACK.
  if (has(s, SYN)) {
    if (passive) { o.state = 'LISTEN'; return o.done(); }
    ackNow();
    return o.done();
  }
  // Fifth check, ACK.
  if (!has(s, ACK)) return o.done();
  let state: string = c.state;
  if (state === 'SYN_RCVD') {
    if (!(lt(sndUna, s.ack) && le(s.ack, c.sndNxt))) {
      o.now.push({ flags: RST, seq: s.ack, ack: 0, len: 0 });          // <SEQ=SEG.ACK><CTL=RST>
      return o.done();
    }
    state = 'ESTABLISHED';
    o.events |= passive ? EV_ACCEPT : EV_CONNECTED | EV_WRITABLE;
    sndUna = s.ack;
  } else {
    // RFC 9293: an ACK of something not yet sent gets an ACK and the segment is dropped; RFC 5961
    // §5.2: so does one below SND.UNA - MAX.SND.WND. A duplicate (below SND.UNA) is ignored.
    if (lt(c.sndNxt, s.ack) || lt(s.ack, c.sndUna - c.maxSndWnd)) { ackNow(); return o.done(); }
    if (lt(sndUna, s.ack)) sndUna = s.ack;
  }
  const ourFinAcked = (state === 'FIN_WAIT_1' || state === 'CLOSING' || state === 'LAST_ACK') && u(sndUna) === u(c.sndNxt);
  if (ourFinAcked && state === 'FIN_WAIT_1') state = 'FIN_WAIT_2';
  if (ourFinAcked && state === 'CLOSING') { o.state = 'TIME_WAIT'; o.events |= EV_CLOSED; return o.done(); }
  if (ourFinAcked && state === 'LAST_ACK') { o.state = 'CLOSED'; o.events |= EV_CLOSED; return o.done(); }
  // Seventh check, text: queued in ESTABLISHED / FIN-WAIT-1/2, trimmed to the window; ignored in
  // CLOSE-WAIT, CLOSING, LAST-ACK ("should not occur since a FIN has been received").
  let fin = has(s, FIN);
  let immediate = false, delayed = false;
  const receiving = RECEIVING.includes(state as StateName);
  if (s.len > 0 && receiving && c.orphan) {
    // CHOICE (Linux; RFC 9293 §3.10.4 leaves it open): text for a connection the application has
    // closed cannot be delivered; the connection is reset, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>.
    o.now.push({ flags: RST | ACK, seq: c.sndNxt, ack: rcvNxt, len: 0 });
    o.state = 'CLOSED';
    return o.done();
  }
  if (s.len > 0 && receiving) {
    let start = s.seq;
    let end = s.seq + s.len;
    if (lt(start, rcvNxt)) start = rcvNxt;
    const limit = rcvNxt + c.rcvWnd;
    if (lt(limit, end)) { end = limit; fin = false; }                      // a FIN beyond the window goes
    if (u(start) === u(rcvNxt)) {
      rcvNxt = end;
      o.events |= passive ? 0 : EV_READABLE;
      delayed = true;                                                     // RFC 1122 §4.2.3.2 delayed ACK
    } else {
      immediate = true;                                                   // RFC 5681 §4.2 out of order: ACK now
    }
  }
  // Eighth check, FIN: in order it is consumed and acknowledged at once.
  if (fin && receiving) {
    if (u(s.seq + s.len) === u(rcvNxt)) {
      rcvNxt += 1;
      o.events |= passive ? 0 : EV_READABLE;
      immediate = true;
      if (state === 'ESTABLISHED') state = 'CLOSE_WAIT';
      else if (state === 'FIN_WAIT_1') state = 'CLOSING';
      else { state = 'TIME_WAIT'; o.events |= EV_CLOSED; }
    } else if (lt(rcvNxt, s.seq + s.len)) {
      immediate = true;                                                   // RFC 5681 §4.2: out of order, ACK now
    }
  }
  o.state = state;
  if (immediate || edgeAck) ackNow();
  else if (delayed) o.tick.push({ flags: ACK, seq: c.sndNxt, ack: rcvNxt, len: 0 });
  return o.done();
}
