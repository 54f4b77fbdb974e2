// Building and sending segments: what to send now (retransmissions first, then new data under the
// peer's window, cwnd, Nagle and sender SWS avoidance), the options each segment carries, ACKs,
// window updates and resets.
import { poolRoom } from "./ooo_pressure";
import { rcvq } from "./pcb";
import { MTU } from "../config";
import { transportChecksum } from "../core/checksum";
import { seqGt, seqLt, seqMax, seqMin } from "../core/seq";
import { deadlineIn, nowMs } from "../core/time";
import { ipOutput, TX_L4 } from "../ip/ip4";
import { F_FORCE_TX, markLost, noteRetransmission, prrSent, restartAfterIdle, rttStamp, schedulePto } from "./congestion";
import { ourIp } from "../link/netif";
import { count, Stat } from "../stats";
import { PROTO_TCP } from "../wire/ipv4";
import { ACK, FIN, PSH, RST, SYN, TCP_HLEN, tcpEmit } from "../wire/tcp";
import {
  emitMss, emitSackBlock, emitSackHeader, emitSackPerm, emitTimestamps, emitWscale,
} from "../wire/tcp_options";
import {
  CLOSED, CLOSE_WAIT, CLOSING, ESTABLISHED, FIN_WAIT_1, LAST_ACK, LISTEN, SYN_RCVD, SYN_SENT, TIME_WAIT,
} from "../api/constants";
import {
  F_ACK_DELAYED, F_ACK_NOW, F_FIN_QUEUED, F_FIN_SENT, F_IN_RECOVERY, F_NODELAY, F_PERSIST, F_SACK, F_SMALL_SENT,
  F_SYN_ACKED, F_TS, F_WSCALE, LIST_ACTIVE, Pcb, sndq,
} from "./pcb";
import {
  NIL, rangeBytesIn, rangeContaining, rangeEnd, rangeHighest, rangeNext, rangeNextStartAfter, rangeStart,
} from "./ranges";

export const OUR_MSS: u32 = <u32>(MTU - 40);   // RFC 9293 §3.7.1: MTU minus fixed IP and TCP headers
const TS_OPTLEN: u32 = 12;

// ---- sequence-space helpers ----

// Sequence number of the first byte in the send buffer.
// @ts-ignore: decorator
@inline export function dataStart(p: Pcb): u32 {
  return (p.flags & F_SYN_ACKED) != 0 ? p.sndUna : p.iss + 1;
}

// @ts-ignore: decorator
@inline export function dataEnd(p: Pcb): u32 {
  return dataStart(p) + p.sndLen;
}

// Bytes believed in the network (RFC 6675 §4 "pipe"): outstanding, less what the peer SACKed, less
// what we marked lost and have not retransmitted yet. Without SACK, each duplicate ACK in recovery
// stands for one segment that left the network (RFC 6937 §3, RFC 6675 §4 note).
export function pipe(p: Pcb): u32 {
  let out = p.sndNxt - p.sndUna;
  if (p.sackHead != NIL) out -= rangeBytesIn(<i32>p.sackHead, p.sndUna, p.sndNxt);
  else if (p.flags & F_IN_RECOVERY) out -= min(out, <u32>p.dupacks * segmentPayloadMax(p));
  if (seqLt(p.rtxNext, p.rtxEnd)) {
    const from = seqMax(p.rtxNext, p.sndUna);
    if (seqLt(from, p.rtxEnd)) {
      let lost = p.rtxEnd - from;
      if (p.sackHead != NIL) lost -= rangeBytesIn(<i32>p.sackHead, from, p.rtxEnd);
      out = out > lost ? out - lost : 0;
    }
  }
  return <i32>out < 0 ? 0 : out;
}

// ---- receive window (RFC 9293 §3.8.6.2.2, receiver SWS avoidance) ----

// Moves the advertised right edge only when it grows by at least min(buffer/2, MSS), never
// shrinks it, and returns the window field to send.
export function windowToAdvertise(p: Pcb): u32 {
  const used = p.rcvLen;
  let space = p.rcvLimit > used ? p.rcvLimit - used : 0;
  const backed = rcvq(p).capacity - used + poolRoom();   // tcp/ooo_pressure.ts rule 3
  if (space > backed) space = backed;
  const maxWnd = <u32>0xffff << p.wsRcv;
  if (space > maxWnd) space = maxWnd;
  const edge = p.rcvNxt + space;
  if (seqLt(p.rcvAdv, p.rcvNxt)) p.rcvAdv = p.rcvNxt;
  if (seqGt(edge, p.rcvAdv)) {
    const grow = edge - p.rcvAdv;
    if (grow >= min(p.rcvLimit >> 1, OUR_MSS) || p.rcvAdv == p.rcvNxt && grow >= (p.rcvLimit >> 1)) p.rcvAdv = edge;
  }
  return (p.rcvAdv - p.rcvNxt) >> p.wsRcv;
}

// The window an update would open now (used to decide when reading should send an update).
export function windowUpdateWorthIt(p: Pcb): bool {
  const space = min(p.rcvLimit > p.rcvLen ? p.rcvLimit - p.rcvLen : 0, rcvq(p).capacity - p.rcvLen + poolRoom());
  const edge = p.rcvNxt + min(space, <u32>0xffff << p.wsRcv);
  if (!seqGt(edge, p.rcvAdv)) return false;
  const grow = edge - p.rcvAdv;
  return grow >= min(p.rcvLimit >> 1, OUR_MSS << 1) || (p.rcvAdv == p.rcvNxt && grow >= OUR_MSS);
}

// ---- options ----

function writeSynOptions(p: Pcb, o: usize): usize {
  // TCP_MAXSEG (p.mss before the handshake) caps what we announce too, as on Linux.
  o = emitMss(o, p.mss != 0 ? min(<u32>p.mss, OUR_MSS) : OUR_MSS);
  if (p.flags & F_WSCALE) o = emitWscale(o, p.wsRcv);
  if (p.flags & F_SACK) o = emitSackPerm(o);
  if (p.flags & F_TS) o = emitTimestamps(o, nowMs, p.tsRecent);
  return o;
}

// RFC 2018 §4: the first block reports the most recently received out-of-order segment, then the
// other ranges; at most 3 blocks fit beside timestamps (4 without).
// ---- D-SACK (RFC 2883): the duplicate a segment carried, reported by the ACK it gets ----

let dsackFor: usize = 0;      // the connection whose next pure ACK reports [dsackStart, dsackEnd)
let dsackStart: u32 = 0;
let dsackEnd: u32 = 0;

// RFC 2883 §4: a segment that repeats data already received is reported as the first SACK block
// of the ACK it gets, so that the sender can tell a spurious retransmission (and Linux, RFC 8985
// §6.2 step 4, widens its reordering window and undoes the needless recovery).
export function noteDuplicate(p: Pcb, start: u32, end: u32): void {
  dsackFor = (p.flags & F_SACK) != 0 ? changetype<usize>(p) : 0;
  dsackStart = start;
  dsackEnd = end;
}

export function forgetDuplicate(): void { dsackFor = 0; }

function writeSackBlocks(p: Pcb, o: usize, dsack: bool): usize {
  const maxBlocks = (p.flags & F_TS) != 0 ? 3 : 4;
  let n = dsack ? 1 : 0;
  let cur = <i32>p.oooHead;
  while (cur != <i32>NIL) { n++; cur = rangeNext(cur); }
  if (n > maxBlocks) n = maxBlocks;
  o = emitSackHeader(o, n);
  let written = 0;
  if (dsack) { o = emitSackBlock(o, dsackStart, dsackEnd); written++; }
  const first = <i32>p.oooLast;
  if (first != <i32>NIL) { o = emitSackBlock(o, rangeStart(first), rangeEnd(first)); written++; }
  cur = <i32>p.oooHead;
  while (cur != <i32>NIL && written < n) {
    if (cur != first) { o = emitSackBlock(o, rangeStart(cur), rangeEnd(cur)); written++; }
    cur = rangeNext(cur);
  }
  return o;
}

function writeOptions(p: Pcb, o: usize, flags: u32, len: u32): usize {
  if (flags & SYN) return writeSynOptions(p, o);
  if (p.flags & F_TS) o = emitTimestamps(o, nowMs, p.tsRecent);
  if (flags & RST) return o;
  // The D-SACK block rides a pure ACK only: segmentPayloadMax leaves no room for it beside data.
  const dsack = dsackFor == changetype<usize>(p) && len == 0;
  if (dsack) dsackFor = 0;
  if ((p.flags & F_SACK) != 0 && (p.oooHead != NIL || dsack)) o = writeSackBlocks(p, o, dsack);
  return o;
}

// ---- segment emission ----

// Sends one segment of this connection: `len` payload bytes from the send buffer at `seq`.
// Every segment but the first SYN carries ACK (RFC 9293 §3.10.7). Returns false without a route.
export function emitSegment(p: Pcb, seq: u32, len: u32, flags: u32): bool {
  const t = TX_L4;
  if (p.state != SYN_SENT || (flags & SYN) == 0) flags |= ACK;
  if ((flags & RST) != 0 && (p.state == SYN_SENT)) flags &= ~ACK;
  const optEnd = writeOptions(p, t + <usize>TCP_HLEN, flags, len);
  const hlen = <i32>(optEnd - t);
  if (len > 0) {
    sndq(p).readAt(seq - dataStart(p), optEnd, len);
    flags |= PSH;
  }
  const wnd = (flags & SYN) != 0 ? min(p.rcvLimit, 0xffff) : windowToAdvertise(p);
  tcpEmit(t, p.localPort, p.remotePort, seq, (flags & ACK) != 0 ? p.rcvNxt : 0, flags, wnd, hlen);
  const total = hlen + <i32>len;
  store<u16>(t + 16, bswap<u16>(<u16>transportChecksum(ourIp, p.remoteIp, PROTO_TCP, t, total)));
  count(Stat.tcp_out);
  if (flags & RST) count(Stat.tcp_rst_out);
  if (flags & ACK) {
    p.flags &= ~(F_ACK_NOW | F_ACK_DELAYED);
    p.delackSegs = 0;
  }
  return ipOutput(PROTO_TCP, p.remoteIp, total, true);
}

// Payload room in one segment: the send MSS less the options every segment carries.
export function segmentPayloadMax(p: Pcb): u32 {
  let room = <u32>p.mss;
  if (p.flags & F_TS) room -= TS_OPTLEN;
  const mtuRoom = <u32>MTU - 40 - (((p.flags & F_TS) != 0 ? TS_OPTLEN : 0) + ((p.flags & F_SACK) != 0 && p.oooHead != NIL ? 28 : 0));
  return min(room, mtuRoom);
}

// A pure ACK carries SND.NXT, or the right edge of the peer's window when the window shrank below
// it (zero window with data in flight): a receiver discards an ACK whose SEQ lies beyond its
// window (RFC 9293 §3.10.7.4 first check), as Linux's tcp_acceptable_seq() avoids.
export function sendAck(p: Pcb): void {
  const edge = p.sndUna + p.sndWnd;
  const seq = (p.flags & F_SYN_ACKED) != 0 && seqGt(p.sndNxt, edge) ? edge : p.sndNxt;
  emitSegment(p, seq, 0, ACK);
}

export function sendSyn(p: Pcb): void {
  const flags = p.state == SYN_RCVD ? SYN | ACK : SYN;
  emitSegment(p, p.iss, 0, flags);
  if (p.rtxAt == 0) p.rtxAt = deadlineIn(p.rto);
}

// RST for a connection we abort (RFC 9293 §3.10.5: in synchronized states SEQ = SND.NXT).
export function sendRstFor(p: Pcb): void {
  if (p.state == CLOSED || p.state == LISTEN || p.state == TIME_WAIT) return;
  emitSegment(p, p.sndNxt, 0, RST | (p.state == SYN_SENT ? 0 : ACK));
}

// RST answering a segment that belongs to no connection (RFC 9293 §3.10.7.1).
export function sendRstReply(rip: u32, rport: u32, lport: u32, seq: u32, ack: u32, withAck: bool): void {
  const t = TX_L4;
  tcpEmit(t, lport, rport, seq, ack, withAck ? RST | ACK : RST, 0, TCP_HLEN);
  store<u16>(t + 16, bswap<u16>(<u16>transportChecksum(ourIp, rip, PROTO_TCP, t, TCP_HLEN)));
  count(Stat.tcp_out);
  count(Stat.tcp_rst_out);
  ipOutput(PROTO_TCP, rip, TCP_HLEN, true);
}

// A segment with SEQ = SND.UNA - 1 and no data: the peer answers with an ACK. Used for keepalive
// (RFC 1122 §4.2.3.6) and zero-window probes.
export function sendProbe(p: Pcb): void {
  emitSegment(p, p.sndUna - 1, 0, ACK);
}

// ---- what to send now ----

function armRetransmit(p: Pcb): void {
  if (p.rtxAt == 0 || (p.flags & F_PERSIST) != 0) {
    p.flags &= ~F_PERSIST;
    p.rtxAt = deadlineIn(p.rto);
  }
}

function canSendData(p: Pcb): bool {
  const s = p.state;
  return s == ESTABLISHED || s == CLOSE_WAIT || s == FIN_WAIT_1 || s == LAST_ACK || s == CLOSING;
}

// Retransmits the next lost piece in [rtxNext, rtxEnd), skipping what the peer SACKed. Returns
// true when it sent something (so the caller loops), false when nothing is due or cwnd is full.
function sendOneRetransmission(p: Pcb): bool {
  if (seqLt(p.rtxNext, p.sndUna)) p.rtxNext = p.sndUna;
  while (seqLt(p.rtxNext, p.rtxEnd)) {
    const r = p.sackHead != NIL ? rangeContaining(<i32>p.sackHead, p.rtxNext) : -1;
    if (r < 0) break;
    p.rtxNext = rangeEnd(r);
  }
  if (!seqLt(p.rtxNext, p.rtxEnd)) return false;
  // Only what was sent goes again: a resend of the hole at snd_una asks for a full segment
  // (tcp/congestion.ts sendNow), and bytes past snd_nxt in it were never sent: the peer's ACK of
  // them would ACK "unsent" data, dropped with the segment carrying it (RFC 9293 §3.10.7.4).
  const end = seqMin(dataEnd(p), p.sndNxt);
  const finSeq = (p.flags & F_FIN_SENT) != 0 ? end : end + 1;  // FIN occupies end when sent
  let segEnd = seqMin(p.rtxNext + segmentPayloadMax(p), p.rtxEnd);
  if (p.sackHead != NIL) segEnd = seqMin(segEnd, rangeNextStartAfter(<i32>p.sackHead, p.rtxNext, segEnd));
  const dataTo = seqMin(segEnd, end);
  const len = seqGt(dataTo, p.rtxNext) ? dataTo - p.rtxNext : 0;
  const fin = (p.flags & F_FIN_SENT) != 0 && seqGt(segEnd, end) && finSeq == end;
  if (len == 0 && !fin) { p.rtxNext = segEnd; return seqLt(p.rtxNext, p.rtxEnd); }
  // The peer's window bounds retransmissions too (after a zero window it dropped that data).
  if (seqGt(p.rtxNext + len, p.sndUna + p.sndWnd) && len > 0) return false;
  // RFC 5681 §3.2 step 3 / RFC 6675 §5 step 4.3: the first retransmission goes whatever pipe says.
  const outstanding = pipe(p);
  if ((p.flags & F_FORCE_TX) == 0 && outstanding > 0 && outstanding + len > p.cwnd) return false;
  p.flags &= ~F_FORCE_TX;
  // The lost-retransmission rule (tcp/congestion.ts detectLoss) reads data SACKed above `recover`
  // as sent after the hole at snd_una went again. A hole first retransmitted late in the episode
  // (found lost after a partial ACK) goes after new data: recover moves up to keep that true (else
  // the next duplicate ACK of the same burst resent it). Moving it on every retransmission also
  // kept the holes above from that, but held recovery (and cwnd) longer: 16 MiB at 1-5 % loss
  // took 34 % longer (bench/loss.ts, seeds 1, 2, 3, 7).
  if (p.rtxNext == p.sndUna && (p.flags & F_IN_RECOVERY) != 0) p.recover = seqMax(p.recover, p.sndNxt);
  emitSegment(p, p.rtxNext, len, fin ? FIN : 0);
  prrSent(p, len);
  p.rtxNext += len + (fin ? 1 : 0);
  p.rttStart = 0;                       // Karn: never time a retransmitted segment
  p.totalRetrans++;
  count(Stat.tcp_retrans);
  noteRetransmission(p);
  armRetransmit(p);
  return true;
}

// Sends new data (and the FIN once all data is out). Returns true if it sent a segment.
function sendOneNew(p: Pcb): bool {
  const end = dataEnd(p);
  const avail = seqGt(end, p.sndNxt) ? end - p.sndNxt : 0;
  const finPending = (p.flags & (F_FIN_QUEUED | F_FIN_SENT)) == F_FIN_QUEUED;
  if (avail == 0 && !finPending) return false;
  const flight = p.sndNxt - p.sndUna;
  const wndRoom = seqGt(p.sndUna + p.sndWnd, p.sndNxt) ? p.sndUna + p.sndWnd - p.sndNxt : 0;
  const outstanding = pipe(p);
  const maxSeg = segmentPayloadMax(p);
  // RFC 3042 limited transmit: the first two duplicate ACKs each let one new segment out beyond
  // cwnd (SACK's pipe already discounts the SACKed data); a tail-loss probe (F_FORCE_TX) sends one
  // regardless.
  let wnd = p.cwnd;
  if ((p.flags & F_IN_RECOVERY) == 0 && p.sackHead == NIL && p.dupacks < 3) wnd += <u32>p.dupacks * maxSeg;
  let cwndRoom = wnd > outstanding ? wnd - outstanding : 0;
  if (p.flags & F_FORCE_TX) cwndRoom = max(cwndRoom, maxSeg);
  const len = min(min(avail, maxSeg), min(wndRoom, cwndRoom));
  if (avail > 0 && len == 0) {
    if (wndRoom == 0 && flight == 0 && p.rtxAt == 0) armPersist(p);
    return false;
  }
  if (len < avail || (len < maxSeg && avail > 0 && !finPending)) {
    // Nagle (RFC 896, RFC 9293 §3.7.4) with Minshall's refinement, as Linux's: hold a small
    // segment while a small segment sent earlier is unacknowledged (snd_sml above snd_una). Full
    // segments in flight do not hold it, so the short tail of a write goes at once instead of
    // waiting for the peer's delayed ACK of the last full segment.
    // (Only while data is in flight: a snd_sml left 2 GiB behind can read as ahead, and then this
    // is plain Nagle, never a stall. Not kept under TCP_NODELAY.)
    if (len < maxSeg && flight > 0 && (p.flags & (F_SMALL_SENT | F_NODELAY)) == F_SMALL_SENT &&
        seqGt(p.sndSml, p.sndUna)) return false;
    // Sender SWS avoidance (RFC 9293 §3.8.6.2.1): no small segment into a window that is still
    // opening, unless nothing is in flight (the override that keeps us from stalling).
    if (len < maxSeg && len < avail && len < (p.maxSndWnd >> 1) && flight > 0) return false;
  }
  const fin = finPending && p.sndNxt + len == end;
  if (len == 0 && !fin) return false;
  if (len > 0 && p.rttStart == 0 && (p.flags & (F_TS | F_IN_RECOVERY)) == 0) {
    p.rttStart = rttStamp();
    p.rttSeq = p.sndNxt + len;
  }
  p.flags &= ~F_FORCE_TX;
  if (len > 0 && len < maxSeg && (p.flags & (F_SYN_ACKED | F_NODELAY)) == F_SYN_ACKED) {
    p.flags |= F_SMALL_SENT;
    p.sndSml = p.sndNxt + len;
  }
  emitSegment(p, p.sndNxt, len, fin ? FIN : 0);
  prrSent(p, len);
  p.sndNxt += len;
  if (fin) { p.sndNxt++; p.flags |= F_FIN_SENT; }
  armRetransmit(p);
  schedulePto(p);                       // RFC 8985 §7.2: (re)start the PTO after new data
  return true;
}

// RFC 6675 NextSeg rule 3: in recovery, with room in cwnd and no new data to send, the holes below
// the highest SACK that are not (yet) lost go too. False when there is nothing more to mark.
function rescueHoles(p: Pcb): bool {
  if ((p.flags & F_IN_RECOVERY) == 0 || p.sackHead == NIL || pipe(p) >= p.cwnd) return false;
  const high = rangeHighest(<i32>p.sackHead, p.sndUna);
  if (!seqGt(high, p.rtxEnd)) return false;
  markLost(p, high);
  return true;
}

export function armPersist(p: Pcb): void {
  p.flags |= F_PERSIST;
  const shift = min(<u32>p.backoff, 6);
  p.rtxAt = deadlineIn(max(p.rto, 500) << shift);
}

// Sends everything the windows allow, then any ACK that is owed. At most 256 segments per call,
// which bounds the work of one call whatever the windows say.
export function tcpOutput(p: Pcb): void {
  if (canSendData(p)) {
    if (p.sndNxt == p.sndUna) restartAfterIdle(p);
    for (let n = 0; n < 256; n++) {
      if (sendOneRetransmission(p)) continue;
      if (!sendOneNew(p) && !rescueHoles(p)) break;
    }
  }
  if ((p.flags & F_ACK_NOW) != 0 && changetype<usize>(p) != held) sendAck(p);
}

// ---- the ACK held for the application ----

// An ACK owed after input (the second full segment's, RFC 5681 §4.2; a FIN's, RFC 9293 §3.10.7.4
// eighth check) may wait until the application has had the events that input raised, so that an
// echo's data or a close's FIN carries it, as lwIP's receive callback does inside tcp_input. One
// connection at a time; it goes out when the host's ev_poll() finds no more events, or at its next
// input or timer call, whichever comes first.
let held: usize = 0;

export function holdAck(p: Pcb): void {
  if (held != changetype<usize>(p)) flushHeldAck();
  held = changetype<usize>(p);
}

export function ackHeld(): bool { return held != 0; }

// @ts-ignore: decorator
@inline export function flushHeldAck(): void {
  if (held != 0) sendHeldAck();          // inline: most frames and ticks find nothing held
}

function sendHeldAck(): void {
  const p = changetype<Pcb>(held);
  held = 0;
  if ((p.flags & F_ACK_NOW) != 0 && p.list == LIST_ACTIVE) sendAck(p);   // not freed or CLOSED since
}

