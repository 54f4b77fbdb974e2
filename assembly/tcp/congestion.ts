// RTT estimation and RTO (RFC 6298), congestion control (RFC 5681 slow start and congestion
// avoidance, RFC 6928 initial window), fast retransmit with NewReno recovery (RFC 6582) or, when
// SACK is in use, SACK-based loss recovery (RFC 6675).
import { Sysctl, sysctl } from "../config";
import { seqGeq, seqGt, seqMax } from "../core/seq";
import { deadlineIn, nowMs } from "../core/time";
import { count, Stat } from "../stats";
import { F_IN_RECOVERY, F_SACK, F_TS, Pcb } from "./pcb";
import { NIL, rangeBytesIn, rangeHighest } from "./ranges";
import { segmentPayloadMax } from "./output";

const INITIAL_RTO_MS: u32 = 1000;     // RFC 6298 §2.1
const DUPTHRESH: u8 = 3;              // RFC 5681 §3.2

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
}

function clampRto(ms: u32): u32 {
  return min(max(ms, <u32>sysctl(Sysctl.tcp_rto_min_ms)), <u32>sysctl(Sysctl.tcp_rto_max_ms));
}

// RFC 6298 §2.2-2.3 with alpha = 1/8, beta = 1/4 in fixed point.
export function rttSample(p: Pcb, rttMs: u32): void {
  const r = <i32>min(rttMs, 0x3fffffff);
  if (p.srtt == 0) {
    p.srtt = (r << 3) | 1;
    p.rttvar = r << 1;
  } else {
    let delta = r - (p.srtt >> 3);
    p.srtt += delta;
    if (p.srtt <= 0) p.srtt = 1;
    if (delta < 0) delta = -delta;
    p.rttvar += delta - (p.rttvar >> 2);
  }
  // RTO = SRTT + max(G, 4 * RTTVAR); G = 1 ms here, so the max is RTTVAR itself.
  p.rto = clampRto(<u32>(p.srtt >> 3) + max(<u32>p.rttvar, 1));
}

// Takes an RTT sample from the echoed timestamp (RFC 7323 §4.1) or from the timed segment.
function sampleRtt(p: Pcb, ack: u32, tsEcr: u32, hasTs: bool): void {
  if ((p.flags & F_TS) != 0 && hasTs && tsEcr != 0) {
    const r = nowMs - tsEcr;
    if (<i32>r >= 0) rttSample(p, r);
  } else if (p.rttStart != 0 && seqGeq(ack, p.rttSeq)) {
    rttSample(p, nowMs - (p.rttStart & ~1));
    p.rttStart = 0;
  }
}

// New data acknowledged: `acked` bytes, cumulative ACK `ack`.
export function onNewAck(p: Pcb, ack: u32, acked: u32, tsEcr: u32, hasTs: bool): void {
  sampleRtt(p, ack, tsEcr, hasTs);
  p.backoff = 0;
  p.dupacks = 0;
  const mss = segmentPayloadMax(p);
  if (p.flags & F_IN_RECOVERY) {
    if (seqGeq(ack, p.recover)) {
      // Full acknowledgment (RFC 6582 §3.2 step 6; RFC 6675 §5 end of recovery).
      p.flags &= ~F_IN_RECOVERY;
      const flight = p.sndNxt - ack;
      p.cwnd = min(p.ssthresh, max(flight, mss) + mss);
      p.rtxEnd = p.rtxNext;
    } else if ((p.flags & F_SACK) == 0) {
      // Partial acknowledgment (RFC 6582 §3.2 step 5): retransmit the first unacked segment,
      // deflate cwnd by the amount acked and add back one MSS.
      p.rtxNext = ack;
      p.rtxEnd = ack + mss;
      p.cwnd = (p.cwnd > acked ? p.cwnd - acked : 0) + (acked >= mss ? mss : 0);
      if (p.cwnd < mss) p.cwnd = mss;
    } else {
      markLostBySack(p);
    }
  } else if (!cwndLimited(p, acked, mss)) {
    // RFC 7661 §4.3: a window the application (or the peer's window) did not fill is not
    // validated, so it does not grow.
  } else if (p.cwnd < p.ssthresh) {
    p.cwnd += min(acked, mss);        // slow start, RFC 5681 §3.1 (byte counting, L = 1 SMSS)
  } else {
    p.cwnd += max(mss * mss / p.cwnd, 1); // congestion avoidance, RFC 5681 eq. (3)
  }
}

// Was the flight before this ACK using (nearly) all of cwnd? snd_una has already advanced.
function cwndLimited(p: Pcb, acked: u32, mss: u32): bool {
  const flightBefore = p.sndNxt - p.sndUna + acked;
  return flightBefore + 2 * mss >= p.cwnd;
}

// RFC 6675 IsLost, simplified to "below the highest SACKed byte": those holes are retransmitted.
function markLostBySack(p: Pcb): void {
  const high = rangeHighest(<i32>p.sackHead, p.sndUna);
  if (seqGt(high, p.rtxEnd)) p.rtxEnd = high;
}

// A duplicate ACK (RFC 5681 §2 definition, checked by the caller).
export function onDupAck(p: Pcb): void {
  if (p.dupacks < 255) p.dupacks++;
  const mss = segmentPayloadMax(p);
  if (p.flags & F_IN_RECOVERY) {
    if (p.flags & F_SACK) markLostBySack(p);
    else p.cwnd += mss;                // RFC 6582 §3.2 step 4: inflate
    return;
  }
  const sacked = p.sackHead != NIL ? rangeBytesIn(<i32>p.sackHead, p.sndUna, p.sndNxt) : 0;
  const lossSignal = p.dupacks >= DUPTHRESH || sacked >= <u32>DUPTHRESH * mss;
  // RFC 6582 §3.2 step 2: no new recovery for dupacks that cover data sent before the last one.
  if (!lossSignal || !seqGt(p.sndUna, p.recover) && p.recover != p.iss) return;
  enterRecovery(p, mss);
}

function enterRecovery(p: Pcb, mss: u32): void {
  const flight = p.sndNxt - p.sndUna;
  p.ssthresh = max(flight >> 1, 2 * mss);   // RFC 5681 eq. (4)
  p.recover = p.sndNxt;
  p.flags |= F_IN_RECOVERY;
  p.rtxNext = p.sndUna;
  p.rttStart = 0;
  count(Stat.tcp_fast_retrans);
  if (p.flags & F_SACK) {
    count(Stat.tcp_sack_recoveries);
    p.cwnd = p.ssthresh;                    // RFC 6675 §5 step 4.2
    p.rtxEnd = seqMax(p.sndUna + mss, rangeHighest(<i32>p.sackHead, p.sndUna));
  } else {
    p.cwnd = p.ssthresh + 3 * mss;          // RFC 6582 §3.2 step 3
    p.rtxEnd = p.sndUna + mss;
  }
}

// Retransmission timeout (RFC 6298 §5.4-5.6, RFC 5681 §3.1 eq. (4)): back off, collapse cwnd to
// one segment and resend everything outstanding that the peer has not SACKed.
export function onRetransmitTimeout(p: Pcb): void {
  const mss = segmentPayloadMax(p);
  const flight = p.sndNxt - p.sndUna;
  if (p.backoff == 0) p.ssthresh = max(flight >> 1, 2 * mss);
  p.cwnd = mss;
  p.rto = min(p.rto << 1, <u32>sysctl(Sysctl.tcp_rto_max_ms));
  if (p.backoff < 255) p.backoff++;
  p.flags &= ~F_IN_RECOVERY;
  p.recover = p.sndNxt;
  p.dupacks = 0;
  p.rtxNext = p.sndUna;
  p.rtxEnd = p.sndNxt;
  p.rttStart = 0;
  p.rtxAt = deadlineIn(p.rto);
  count(Stat.tcp_timeouts);
}

// RFC 5681 §4.1: after an idle period longer than the RTO, restart from the initial window. With
// nothing in flight the last ACK came after the last send, so lastRecv dates the idle period.
export function restartAfterIdle(p: Pcb): void {
  if (sysctl(Sysctl.tcp_slow_start_after_idle) == 0) return;
  if (p.sndNxt != p.sndUna) return;
  if (nowMs - p.lastRecv > p.rto) p.cwnd = min(p.cwnd, initialWindow(p));
}

