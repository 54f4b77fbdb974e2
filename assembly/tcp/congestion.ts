// RTT estimation and RTO (RFC 6298), congestion control (RFC 5681 slow start and congestion
// avoidance, RFC 6928 initial window), loss detection and recovery: the DupAck rule with NewReno
// (RFC 6582) or SACK (RFC 6675 IsLost), RACK-TLP (RFC 8985) beside it, limited transmit (RFC 3042)
// and Proportional Rate Reduction (RFC 6937) for the sending rate during recovery.
//
// Timers: the one retransmission deadline (p.rtxAt) runs as the RTO, the persist timer (F_PERSIST),
// the RACK reordering timer (F_REO_TIMER) or the tail-loss probe timeout (F_TLP_TIMER), as Linux
// multiplexes icsk_retransmit_timer.
import { Sysctl, sysctl } from "../config";
import { seqGeq, seqGt, seqLt, seqMax, seqMin } from "../core/seq";
import { deadlineIn, nowMs } from "../core/time";
import { count, Stat } from "../stats";
import { F_IN_RECOVERY, F_PERSIST, F_PROMPT_ACK, F_SACK, F_TS, Pcb } from "./pcb";
import { NIL, rangeHighest, rangeEnd, rangeNext, rangeStart } from "./ranges";
import { armPersist, pipe, segmentPayloadMax, tcpOutput } from "./output";
import { lonePto, noteLoneAck } from "./ack_delay";

const INITIAL_RTO_MS: u32 = 1000;     // RFC 6298 §2.1
const DUPTHRESH: u32 = 3;             // RFC 5681 §3.2
const PTO_MIN_MS: u32 = 10;           // Linux's floor on the PTO (tcp_schedule_loss_probe): with a sub-ms
                                      // SRTT, 2 SRTT is shorter than the host's own scheduling jitter

// Loss-recovery flag bits (the high end of Pcb.flags; pcb.ts defines the low ones).
export const F_FORCE_TX: u32 = 1 << 31;      // the next segment goes out whatever pipe and cwnd say
export const F_REO_TIMER: u32 = 1 << 30;     // rtxAt is the RACK reordering timer (RFC 8985 §6.2 step 5)
export const F_TLP_TIMER: u32 = 1 << 29;     // rtxAt is the tail-loss probe timeout (RFC 8985 §7.2)
export const F_TLP_SENT: u32 = 1 << 28;      // a probe is out: no second one until new data is ACKed
export const F_REORDER_SEEN: u32 = 1 << 27;  // RACK.reordering_seen (RFC 8985 §6.2 step 2)
export const F_DSACK_ROUND: u32 = 1 << 21;   // reoSteps widened in this recovery episode (onDsack)
export const F_BIG_ADVANCE: u32 = 1 << 26;   // the last cumulative ACK advanced by more than 4 SMSS
export const F_HOLE_RESENT: u32 = 1 << 22;   // the hole at snd_una was resent (resendOldestHole): not again until it moves
const TIMER_KINDS: u32 = F_REO_TIMER | F_TLP_TIMER;

// tcp_recovery bit 0 (as Linux): RACK loss detection. tcp_early_retrans >= 3: tail-loss probes.
// @ts-ignore: decorator
@inline function rackOn(p: Pcb): bool { return (sysctl(Sysctl.tcp_recovery) & 1) != 0 && (p.flags & F_SACK) != 0; }

// PRR state (RFC 6937 prr_delivered, prr_out, in bytes). Recovery never times a segment (Karn's
// rule, RFC 6298 §3), so the two words of the RTT-timing pair (rttSeq, rttStart) hold them while
// F_IN_RECOVERY is set; they are cleared on entry and on exit.
// @ts-ignore: decorator
@inline function prrDelivered(p: Pcb): u32 { return p.rttSeq; }
// @ts-ignore: decorator
@inline function prrOut(p: Pcb): u32 { return p.rttStart; }
// Both words at once (adjacent in the Pcb): no segment timed, or PRR's counters at 0.
// @ts-ignore: decorator
@inline function clearRttPair(p: Pcb): void { store<u64>(changetype<usize>(p), 0, offsetof<Pcb>("rttSeq")); }
// @ts-ignore: compile-time check of the layout clearRttPair relies on
if (offsetof<Pcb>("rttStart") != offsetof<Pcb>("rttSeq") + 4) ERROR("congestion: rttStart must follow rttSeq");

export function rtoInit(p: Pcb): void {
  p.srtt = 0;
  p.rttvar = 0;
  p.rto = INITIAL_RTO_MS;
}

// RFC 6928 §2: IW = min(10*MSS, max(2*MSS, 14600)), with the segment count a tunable.
export function initialWindow(p: Pcb): u32 {
  const mss = segmentPayloadMax(p);
  const n = <u32>sysctl(Sysctl.tcp_init_cwnd);
  return min(n * mss, max(2 * mss, n * 1460));
}

export function ccInit(p: Pcb): void {
  p.cwnd = initialWindow(p);
  p.ssthresh = 0x7fffffff;             // RFC 5681 §3.1: arbitrarily high
  p.dupacks = 0;
  p.recover = p.iss;
  p.rtxNext = p.iss;                   // no lost stretch: [rtxNext, rtxEnd) empty inside the window
  p.rtxEnd = p.iss;
}

// Marks left from long ago (2 GiB of loss-free transfer since they were set) can lie beyond
// SND.NXT in sequence space: they would make [SND.UNA, rtxEnd) a huge "lost" stretch whose
// "retransmission" sends unsent data without advancing SND.NXT. Marks never pass SND.NXT.
function freshMarks(p: Pcb): void {
  if (seqGt(p.rtxEnd, p.sndNxt)) {
    p.rtxNext = p.sndUna;
    p.rtxEnd = p.sndUna;
  }
}


// The timed segment's send time (RFC 6298 §3: one segment timed at a time) is kept as the ms plus
// one, so that rttStart = 0 can mean "nothing timed" and the time keeps its low bit (it was kept as
// nowMs | 1 and read with the bit cleared: a segment sent at an odd ms measured one ms long). A send
// at ms 0xffffffff goes untimed.
export function rttStamp(): u32 { return nowMs + 1; }
export function rttSince(stamp: u32): u32 { return nowMs - (stamp - 1); }

function clampRto(ms: u32): u32 {
  return min(max(ms, <u32>sysctl(Sysctl.tcp_rto_min_ms)), <u32>sysctl(Sysctl.tcp_rto_max_ms));
}

// RFC 6298 §2.2-2.3 with alpha = 1/8, beta = 1/4 in fixed point. A sample is capped at 2^28 - 1 ms
// (3.1 days, beyond any RTO) so that SRTT << 3 and the RTTVAR sums stay below 2^31 (a bogus TS echo
// made SRTT negative and the PTO wrap to "now"). The error term compares with SRTT rounded to the
// nearest ms: truncated, SRTT stopped up to 7/8 ms above a steady RTT (10.875 for 10) when samples
// came from above, a PTO of 2 SRTT 1 ms late.
export function rttSample(p: Pcb, rttMs: u32): void {
  const r = <i32>min(rttMs, 0x0fffffff);
  if (p.srtt == 0) {
    p.srtt = (r << 3) | 1;
    p.rttvar = r << 1;
  } else {
    let delta = r - ((p.srtt + 4) >> 3);
    p.srtt += delta;                    // stays >= 1: r >= 0 and the rounded SRTT is below p.srtt
    if (delta < 0) delta = -delta;
    p.rttvar += delta - (p.rttvar >> 2);
  }
  // RTO = SRTT + max(G, 4 * RTTVAR); G = 1 ms here, so the max is RTTVAR itself.
  p.rto = clampRto(<u32>(p.srtt >> 3) + max(<u32>p.rttvar, 1));
}

// Takes an RTT sample from the echoed timestamp (RFC 7323 §4.1) or from the timed segment. `lone`:
// the ACK covers all that was in flight, at most one segment (tcp/ack_delay.ts).
function sampleRtt(p: Pcb, ack: u32, lone: bool, tsEcr: u32, hasTs: bool): void {
  let r: u32;
  if ((p.flags & F_TS) != 0 && hasTs && tsEcr != 0) {
    r = nowMs - tsEcr;
    if (<i32>r < 0) return;
  } else if ((p.flags & F_IN_RECOVERY) == 0 && p.rttStart != 0 && seqGeq(ack, p.rttSeq)) {
    r = rttSince(p.rttStart);
    p.rttStart = 0;
  } else return;
  if (lone) noteLoneAck(p, r, ptoBase(p));
  rttSample(p, r);
}

// New data acknowledged: `acked` bytes, cumulative ACK `ack`; `sacked` bytes newly SACKed by the
// same ACK (RFC 6937 DeliveredData = acked + sacked).
export function onNewAck(p: Pcb, ack: u32, acked: u32, sacked: u32, tsEcr: u32, hasTs: bool): void {
  const mss = segmentPayloadMax(p);
  sampleRtt(p, ack, ack == p.sndNxt && acked <= mss, tsEcr, hasTs);
  p.backoff = 0;
  p.dupacks = 0;
  // RFC 6582 §4.1 ACK heuristic input; RFC 8985 §7.3: a new ACK ends the probe episode.
  p.flags = (p.flags & ~(F_BIG_ADVANCE | F_TLP_SENT | F_HOLE_RESENT)) | (acked > 4 * mss ? F_BIG_ADVANCE : 0);
  if (p.flags & F_IN_RECOVERY) {
    if (seqGeq(ack, p.recover)) {
      // Full acknowledgment (RFC 6582 §3.2 step 6; RFC 6675 §5; RFC 6937: cwnd = ssthresh).
      p.flags &= ~F_IN_RECOVERY;
      reoAfterRecovery(p);
      p.cwnd = p.ssthresh;
      p.rtxEnd = p.rtxNext;
      clearRttPair(p);
      return;
    }
    if ((p.flags & F_SACK) == 0) {
      // Partial acknowledgment (RFC 6582 §3.2 step 5): the first unacked segment goes at once.
      p.rtxNext = ack;
      p.rtxEnd = ack + mss;
      p.flags |= F_FORCE_TX;
    }
    prrOnAck(p, acked + sacked, mss);
  } else if (!cwndLimited(p, acked, mss)) {
    // RFC 7661 §4.3: a window the application (or the peer's window) did not fill is not
    // validated, so it does not grow.
  } else if (p.cwnd < p.ssthresh) {
    // Slow start with byte counting (RFC 3465 §2.2, L = 2 SMSS: against a receiver that ACKs every
    // other segment, cwnd doubles per RTT as lwIP's and Linux's do; RFC 5681 §3.1's L = 1 SMSS
    // grows it 1.5x). An ACK of data sent before an RTO (snd_una was below recover) adds 1 SMSS
    // at most (RFC 3465 §2.2): such ACKs can cover data that left long before.
    p.cwnd += min(acked, seqLt(p.sndUna - acked, p.recover) ? mss : 2 * mss);
  } else {
    // Congestion avoidance, RFC 5681 §3.1's recommended byte counting (RFC 3465 §2.1): one SMSS
    // per cwnd of bytes acknowledged, whatever the receiver's ACK ratio (eq. (3) per ACK grows
    // half as fast against a delayed-ACK receiver). "cwnd" counts the whole segments it lets out:
    // a cwnd of 8.5 SMSS sends 8 per round trip, and 8 SMSS acknowledged then grow it by one
    // (against 8.5: 0.94 SMSS per round trip, since ssthresh = FlightSize / 2 leaves half segments).
    const usable = max(p.cwnd / mss * mss, mss);
    p.cwnd += max(mss * min(acked, usable) / usable, 1);
  }
}

// Was the flight before this ACK using (nearly) all of cwnd? snd_una has already advanced.
function cwndLimited(p: Pcb, acked: u32, mss: u32): bool {
  const flightBefore = p.sndNxt - p.sndUna + acked;
  return flightBefore + 2 * mss >= p.cwnd;
}

// A duplicate ACK (RFC 5681 §2; with SACK, RFC 6675 §2: one that SACKs new data). `sacked` bytes
// newly SACKed. Counts toward the DupAck rule and, in NewReno recovery, stands for one delivered
// segment (RFC 6937 §3: DeliveredData without SACK).
export function onDupAck(p: Pcb, sacked: u32): void {
  if (p.dupacks < 255) p.dupacks++;
  if (p.flags & F_IN_RECOVERY) {
    const mss = segmentPayloadMax(p);
    prrOnAck(p, (p.flags & F_SACK) != 0 ? sacked : mss, mss);
  }
}

// ---- loss detection: run after every ACK once the scoreboard is up to date ----

// RFC 6675 §4 IsLost: an unSACKed byte is lost when more than (DupThresh - 1) * SMSS bytes, or
// DupThresh discontiguous ranges, are SACKed above it. Returns the start of the highest range that
// still has that much above it: every hole below it is lost (sndUna when there is none).
function lostEdge6675(p: Pcb, mss: u32): u32 {
  const head = <i32>p.sackHead;
  let above: u32 = 0;
  let ranges = 0;
  for (let c = head; c != <i32>NIL; c = rangeNext(c)) { above += rangeEnd(c) - rangeStart(c); ranges++; }
  let edge = p.sndUna;
  for (let c = head; c != <i32>NIL; c = rangeNext(c)) {
    if (above > (DUPTHRESH - 1) * mss || ranges >= <i32>DUPTHRESH) edge = rangeStart(c);
    above -= rangeEnd(c) - rangeStart(c);
    ranges--;
  }
  return edge;
}

// Marks what the ACK clock says is lost ([rtxNext, rtxEnd) is the lost, not yet retransmitted
// stretch) and enters recovery when the first loss is found. `delivered`: bytes this ACK
// acknowledged or SACKed (RFC 6937 DeliveredData; 0 for a duplicate ACK without SACK).
export function detectLoss(p: Pcb, delivered: u32): void {
  if (p.sndNxt == p.sndUna || (p.flags & F_PERSIST) != 0) return;
  const mss = segmentPayloadMax(p);
  let edge = p.sndUna;
  if (p.sackHead != NIL) {
    edge = lostEdge6675(p, mss);
    if (rackOn(p)) {
      // RACK (RFC 8985 §6.2): a segment sent before the most recently delivered one is lost once
      // reo_wnd has passed. Holes are original transmissions, sent before the SACKed data above
      // them (segments carry no send time here: a hole counts as sent with the SACKed segment).
      // reo_wnd (§6.2 step 4) is 0 with no reordering seen once DupThresh segments are SACKed
      // (IsLost above) or in recovery; else min_RTT / 4 (SRTT / 4 here: no min_RTT filter).
      const high = rangeHighest(<i32>p.sackHead, p.sndUna);
      if ((p.flags & F_REORDER_SEEN) == 0 && ((p.flags & F_IN_RECOVERY) != 0 || edge != p.sndUna)) {
        edge = high;
      } else {
        if (seqGt(high, p.rtxEnd)) armReoTimer(p, reoWnd(p));
        edge = p.sndUna;
      }
    }
  }
  // A lost retransmission (RFC 8985 §6.2, RACK's rule applied to the oldest hole): data sent after
  // the hole's retransmission (above recover) was SACKed, the hole was not: it goes again, and
  // recover moves up so that only data sent after this retransmission can repeat the verdict.
  // Checked whatever the reordering window says: the evidence is newer data delivered.
  if ((p.flags & F_IN_RECOVERY) != 0 && p.sackHead != NIL && seqGt(p.rtxNext, p.sndUna) &&
      seqGt(rangeHighest(<i32>p.sackHead, p.sndUna), p.recover)) {
    // Only the oldest hole is proven lost again: the holes above it may have gone after the data
    // SACKed above recover (resending them all sent the same segments twice in one burst).
    p.recover = p.sndNxt;
    resendOldestHole(p, mss);
  }
  if (seqGt(edge, p.sndUna)) markLost(p, edge);
  else if ((p.flags & F_SACK) != 0 || p.dupacks < DUPTHRESH) return;   // NewReno: the DupAck rule
  if ((p.flags & F_IN_RECOVERY) == 0) enterRecovery(p, mss, delivered != 0 ? delivered : mss);
}

// RFC 8985 §6.2 step 4: reo_wnd = min(reo_wnd_mult * min_RTT / 4, SRTT) (SRTT / 4 here: no
// min_RTT filter), at least 1 ms.
function reoWnd(p: Pcb): u32 {
  const srttMs = <u32>(p.srtt >> 3);
  return max(min((<u32>(p.srtt >> 5)) * (1 + <u32>p.reoSteps), srttMs), 1);
}

// RFC 8985 §6.2 step 4: a D-SACK says a retransmission was needless (the original arrived):
// widen the reordering window one step (at most once per recovery episode) and keep it for 16
// recoveries. A D-SACK answering our own tail-loss probe says nothing about reordering (RFC 8985
// §7.4: the probe's duplicate ends the probe episode), so it does not count.
export function onDsack(p: Pcb, start: u32, end: u32): void {
  if ((p.flags & F_TLP_SENT) != 0) return;
  undoOnDsack(p, start, end);
  if ((p.flags & F_DSACK_ROUND) != 0) return;
  p.flags |= F_DSACK_ROUND | F_REORDER_SEEN;
  if (p.reoSteps < 255) p.reoSteps++;
  p.reoPersist = 16;
}

// Undo (RFC 3708 detection; the response as Linux's tcp_try_undo_dsack): when every segment a
// recovery episode retransmitted (up to 6) comes back as a D-SACK, the originals had only been
// reordered and the episode's cwnd reduction was needless. It set ssthresh to FlightSize / 2, so
// 2 * ssthresh is the flight before it: ssthresh goes back to that and cwnd at least to it (slow
// start does not resume: the ssthresh before the episode is not kept). With no per-segment
// record, a D-SACK counts when it lies in the episode's flight, as older Linux's tcp_check_dsack
// (undo_marker .. snd_una): from recover - 2 * ssthresh (snd_una at entry) to recover (snd_nxt
// then). Episodes with more retransmissions, or an RTO, are not undone.
function undoOnDsack(p: Pcb, start: u32, end: u32): void {
  const u = p.undo;
  if (u < 2 || seqGt(end, p.recover) || seqLt(start, p.recover - (p.ssthresh << 1))) return;
  p.undo = u == 2 ? 0 : u - 1;          // one retransmission fewer left unexplained
  if (u != 2) return;
  p.ssthresh = p.ssthresh << 1;
  if (p.cwnd < p.ssthresh) p.cwnd = p.ssthresh;
  count(Stat.tcp_dsack_undo);
}

// Every retransmission moves the undo state on: in recovery it counts one more (a seventh rules
// the undo out), outside recovery (a probe, after an RTO) it rules it out.
export function noteRetransmission(p: Pcb): void {
  const u = p.undo;
  p.undo = u != 0 && u < 7 && (p.flags & F_IN_RECOVERY) != 0 ? u + 1 : 0;
}

// After each recovery (RFC 8985 §6.2 step 4): reo_wnd_persist counts down; at 0 the window
// returns to min_RTT / 4.
function reoAfterRecovery(p: Pcb): void {
  p.flags &= ~F_DSACK_ROUND;
  const left = p.reoPersist;
  if (left > 0) {
    p.reoPersist = left - 1;
    if (left == 1) p.reoSteps = 0;
  }
}

// Extends the lost stretch to `edge`; what was retransmitted already (below rtxNext) stays sent.
export function markLost(p: Pcb, edge: u32): void {
  freshMarks(p);
  if (!seqLt(p.rtxNext, p.rtxEnd)) p.rtxNext = seqMax(p.rtxNext, p.sndUna);
  edge = seqMin(edge, p.sndNxt);
  if (seqGt(edge, p.rtxEnd)) p.rtxEnd = edge;
}

// RFC 6582 §3.2 step 1 (with the §4.1 ACK heuristic): after an RTO, recover = SND.NXT of that
// time; a new recovery needs the cumulative ACK to reach it, or the ACK before the duplicates to
// have advanced by at most 4 SMSS (a new loss rather than the echo of needless retransmissions).
function mayEnterRecovery(p: Pcb): bool {
  return p.recover == p.iss || seqGeq(p.sndUna, p.recover) || (p.flags & F_BIG_ADVANCE) == 0;
}

function enterRecovery(p: Pcb, mss: u32, delivered: u32): void {
  if (!mayEnterRecovery(p)) return;
  freshMarks(p);
  const flight = p.sndNxt - p.sndUna;
  p.ssthresh = max(flight >> 1, 2 * mss);   // RFC 5681 eq. (4)
  p.recover = p.sndNxt;
  p.flags = (p.flags | F_IN_RECOVERY | F_FORCE_TX) & ~(TIMER_KINDS | F_TLP_SENT);
  p.undo = 1;
  p.rtxNext = p.sndUna;
  if (seqLt(p.rtxEnd, p.sndUna + mss)) p.rtxEnd = seqMin(p.sndUna + mss, p.sndNxt);
  p.rtxAt = deadlineIn(p.rto);
  schedulePto(p);
  clearRttPair(p);                          // PRR (RFC 6937 §3): prr_delivered = prr_out = 0
  count(Stat.tcp_fast_retrans);
  if (p.flags & F_SACK) count(Stat.tcp_sack_recoveries);
  // RFC 5681 §3.2 step 3 / RFC 6675 §5 step 4.3: the first segment goes now (F_FORCE_TX); then
  // PRR paces the rest from this ACK on.
  prrOnAck(p, delivered, mss);
}

// RFC 6937 §3: on each ACK in recovery, sndcnt = what may be sent; cwnd = pipe + sndcnt.
// RecoverFS (FlightSize at entry) is taken as 2 * ssthresh, exact whenever the flight was 4 SMSS
// or more (ssthresh = FlightSize / 2); below that the reduction is slightly more conservative.
function prrOnAck(p: Pcb, delivered: u32, mss: u32): void {
  p.rttSeq = prrDelivered(p) + delivered;
  const inPipe = pipe(p);
  const out = prrOut(p);
  let sndcnt: i32;
  if (inPipe > p.ssthresh) {
    sndcnt = <i32>((prrDelivered(p) + 1) >> 1) - <i32>out;          // proportional part
  } else {
    // Slow start reduction bound: catch up to ssthresh, at most one SMSS beyond what was delivered.
    const limit = max(<i32>(prrDelivered(p) - out), <i32>delivered) + <i32>mss;
    sndcnt = min(<i32>(p.ssthresh - inPipe), limit);
  }
  p.cwnd = inPipe + <u32>max(sndcnt, 0);
}

// Every data segment sent during recovery counts toward prr_out.
export function prrSent(p: Pcb, len: u32): void {
  if (p.flags & F_IN_RECOVERY) p.rttStart = prrOut(p) + len;
}

// A lost retransmission (RFC 8985 §6.2 with retransmission order for send times): holes are
// retransmitted in sequence order, so a duplicate ACK in recovery that SACKs retransmitted data
// above the first hole says that hole's retransmission, sent earlier, was lost. It goes again at
// once (only it: the holes above went later). Without this, a full send buffer (no new data to
// clock out) leaves it to the RTO.
export function resendFirstHole(p: Pcb): void {
  // Once per snd_una: the retransmissions SACKed by the next duplicate ACKs of the same burst went
  // before this resend, so they say nothing about it (it used to go again on every one of them).
  if ((p.flags & (F_IN_RECOVERY | F_HOLE_RESENT)) == F_IN_RECOVERY) resendOldestHole(p, segmentPayloadMax(p));
}

// Resends the hole at snd_una now (both lost-retransmission rules). The retransmissions SACKed so
// far went before this one, so neither rule may read them as evidence against it (F_HOLE_RESENT,
// cleared when snd_una moves).
function resendOldestHole(p: Pcb, mss: u32): void {
  p.flags |= F_HOLE_RESENT;
  sendNow(p, p.sndUna, p.sndUna + mss);
  schedulePto(p);                           // its own loss is the probe's (not when it is the probe)
}

// Sends [from, to) at once (F_FORCE_TX), then whatever else tcpOutput may; a lost stretch that
// was still to send stays marked.
function sendNow(p: Pcb, from: u32, to: u32): void {
  const next = p.rtxNext;
  const end = p.rtxEnd;
  p.rtxNext = from;
  p.rtxEnd = to;
  p.flags |= F_FORCE_TX;
  tcpOutput(p);
  // rtxNext also says how far this recovery has retransmitted (tcp/input.ts rtxTo): never back.
  p.rtxNext = seqMax(next, p.rtxNext);
  p.rtxEnd = seqLt(next, end) ? seqMax(end, p.rtxNext) : p.rtxNext;
}

// ---- timers: RTO, RACK reordering timer, tail-loss probe ----

// RFC 6298 §5.2-5.3 after an ACK of new data; then RFC 8985 §7.2: the PTO when a probe may help,
// never with nothing in flight (nothing to probe for; Linux's tcp_schedule_loss_probe also asks
// packets_out). The other caller, output, has just sent.
export function rearmAfterAck(p: Pcb): void {
  p.flags &= ~TIMER_KINDS;
  if (p.sndUna == p.sndNxt) { p.rtxAt = 0; return; }
  p.rtxAt = deadlineIn(p.rto);
  schedulePto(p);
}

// RFC 8985 §7.2: 2 SRTT, not below PTO_MIN_MS.
function ptoBase(p: Pcb): u32 {
  return max(<u32>(p.srtt >> 2), PTO_MIN_MS);
}

// RFC 8985 §7.2: PTO = 2 SRTT (+ the peer's worst delayed ACK when one segment flies, unless the
// peer is seen to ACK a lone segment at once: tcp/ack_delay.ts), armed only when it falls before
// the RTO, in the open state with SACK and no probe already out.
// Also in recovery (beyond §7.2, which keeps the PTO out of it), armed at entry, after each
// partial ACK, after each resend of the hole at snd_una and after the reordering timer (which
// shares the deadline), once per snd_una (F_TLP_SENT): a lost retransmission with nothing sent
// after it (a full send buffer all in flight) is revealed by no ACK, and waited for the RTO; the
// probe resends the hole at snd_una 2 SRTT on (recovery-probe.pkt, recovery-probe-reo.pkt).
export function schedulePto(p: Pcb): void {
  if (sysctl(Sysctl.tcp_early_retrans) < 3 || (p.flags & (F_SACK | F_TLP_SENT | F_PERSIST | F_REO_TIMER)) != F_SACK) return;
  if (p.srtt == 0 || ((p.flags & F_IN_RECOVERY) == 0 && caState(p) > 1)) return;
  let pto = ptoBase(p);
  if (p.sndNxt - p.sndUna <= segmentPayloadMax(p)) pto = lonePto(p, pto);
  const at = deadlineIn(pto);
  if (<i32>(p.rtxAt - at) < 0 && (p.flags & F_TLP_TIMER) == 0) return;   // the RTO comes first
  p.rtxAt = at;
  p.flags |= F_TLP_TIMER;
}

function armReoTimer(p: Pcb, wnd: u32): void {
  const at = deadlineIn(wnd);
  if ((p.flags & F_REO_TIMER) != 0 && <i32>(p.rtxAt - at) <= 0) return;
  p.rtxAt = at;
  p.flags = (p.flags & ~F_TLP_TIMER) | F_REO_TIMER;
}

// The multiplexed deadline fired (not the persist timer). False when it was the real RTO, which
// the caller handles (give-up limits, SYN retries).
export function onRecoveryTimer(p: Pcb): bool {
  const kind = p.flags & TIMER_KINDS;
  if (kind == 0) return false;
  p.flags &= ~TIMER_KINDS;
  p.rtxAt = deadlineIn(p.rto);
  const mss = segmentPayloadMax(p);
  if (kind == F_REO_TIMER) {
    // RFC 8985 §6.3: the reordering window has passed: the holes below the highest SACK are lost.
    count(Stat.tcp_rack_reo_timeouts);
    markLost(p, rangeHighest(<i32>p.sackHead, p.sndUna));
    // As Linux (tcp_rack_reo_timeout), the timer counts as one delivered segment for PRR: with the
    // slow-start reduction bound two segments go, so a lost ACK cannot leave the second hole to
    // the RTO when the peer has nothing more to send.
    if ((p.flags & F_IN_RECOVERY) == 0 && seqGt(p.rtxEnd, p.sndUna)) enterRecovery(p, mss, mss);
    schedulePto(p);
  } else {
    // RFC 8985 §7.3: send one new segment if the peer's window allows, else the last one again;
    // also when output refuses the new data (sender SWS avoidance into a window with less than
    // a segment left, Nagle): a probe that sends nothing leaves the tail to the RTO.
    count(Stat.tcp_loss_probes);
    p.flags = (p.flags | F_TLP_SENT) & ~F_PROMPT_ACK;   // the probe spends the evidence (tcp/ack_delay.ts)
    if (p.flags & F_IN_RECOVERY) { resendOldestHole(p, mss); return true; }   // see schedulePto
    let from = p.sndNxt;
    if (p.sndUna + p.sndLen == p.sndNxt || !seqGt(p.sndUna + p.sndWnd, p.sndNxt)) {
      from -= min(p.sndNxt - p.sndUna, mss);
    }
    sendNow(p, from, p.sndNxt);
    if (p.sndNxt == from) sendNow(p, from - min(from - p.sndUna, mss), from);
    p.rtxNext = p.sndUna;             // the probe marks nothing lost: the holes are RACK's to find
    p.rtxEnd = p.sndUna;
  }
  return true;
}

// RFC 6298 §5.5: the RTO doubles (up to tcp_rto_max_ms) with every expiry; backoff counts them.
export function backOff(p: Pcb): void {
  p.rto = min(p.rto << 1, <u32>sysctl(Sysctl.tcp_rto_max_ms));
  if (p.backoff < 255) p.backoff++;
}

// Retransmission timeout (RFC 6298 §5.4-5.6, RFC 5681 §3.1 eq. (4)): back off, collapse cwnd to
// one segment and resend everything outstanding that the peer has not SACKed.
export function onRetransmitTimeout(p: Pcb): void {
  const mss = segmentPayloadMax(p);
  const flight = p.sndNxt - p.sndUna;
  if (p.backoff == 0) p.ssthresh = max(flight >> 1, 2 * mss);
  p.cwnd = mss;
  backOff(p);
  // As Linux's tcp_enter_loss, an RTO forgets the reordering seen (RACK falls back to reo_wnd 0).
  p.flags &= ~(F_IN_RECOVERY | TIMER_KINDS | F_TLP_SENT | F_REORDER_SEEN);
  p.undo = 0;
  p.recover = p.sndNxt;
  p.dupacks = 0;
  p.rtxNext = p.sndUna;
  p.rtxEnd = p.sndNxt;
  p.rttStart = 0;
  p.rtxAt = deadlineIn(p.rto);
  count(Stat.tcp_timeouts);
}

// RFC 9293 §3.8.6.1: a zero window with data in flight is the persist timer's job. The peer
// dropped what lay beyond its window, so that goes again once the window opens; probes the peer
// answers do not count toward tcp_retries2 (the probe counter resets on every segment received).
export function zeroWindowInFlight(p: Pcb): void {
  if (p.sndWnd != 0 || p.sndNxt == p.sndUna || (p.flags & F_PERSIST) != 0) return;
  p.flags &= ~(F_IN_RECOVERY | TIMER_KINDS);
  p.rtxNext = p.sndUna;
  p.rtxEnd = p.sndNxt;
  p.backoff = 0;
  armPersist(p);
}

// RFC 5681 §4.1: after an idle period longer than the RTO, restart from the initial window. With
// nothing in flight the last ACK came after the last send, so lastRecv dates the idle period.
export function restartAfterIdle(p: Pcb): void {
  if (sysctl(Sysctl.tcp_slow_start_after_idle) == 0) return;
  if (p.sndNxt != p.sndUna) return;
  if (nowMs - p.lastRecv > p.rto) p.cwnd = min(p.cwnd, initialWindow(p));
}

// Linux's tcpi_ca_state: 0 open, 1 disorder (SACKed or duplicate-ACKed data, no loss yet),
// 3 recovery, 4 loss (after an RTO, until the retransmissions are acknowledged).
export function caState(p: Pcb): u32 {
  if (p.flags & F_IN_RECOVERY) return 3;
  if (p.backoff != 0 || seqLt(p.rtxNext, p.rtxEnd)) return 4;
  return p.sackHead != NIL || p.dupacks != 0 ? 1 : 0;
}

