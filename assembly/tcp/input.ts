// Segment arrival (RFC 9293 §3.10.7): validation, demultiplexing, and the per-state rules.
import { Sysctl, sysctl } from "../config";
import { transportChecksum } from "../core/checksum";
import { seqGeq, seqGt, seqLeq, seqLt } from "../core/seq";
import { deadlineIn, nowMs } from "../core/time";
import { ECONNREFUSED, ECONNRESET } from "../errors";
import { count, Stat } from "../stats";
import { PROTO_TCP } from "../wire/ipv4";
import {
  ACK, FIN, RST, SYN, TCP_HLEN, tcpAck, tcpDstPort, tcpFlags, tcpHeaderLen, tcpSeq, tcpSrcPort, tcpWindow,
} from "../wire/tcp";
import { opts, parseOptions, sackEnd, sackStart } from "../wire/tcp_options";
import {
  CLOSE_WAIT, CLOSING, ESTABLISHED, EV_CONNECTED, EV_READABLE, EV_WRITABLE, FIN_WAIT_1, FIN_WAIT_2,
  LAST_ACK, SYN_RCVD, SYN_SENT, TIME_WAIT,
} from "../api/constants";
import {
  F_ACKED_DATA_EVENT, F_ACK_DELAYED, F_ACK_NOW, F_FIN_RCVD, F_FIN_SENT, F_IN_RECOVERY, F_KEEPALIVE_PROBING, F_PERSIST,
  F_RCV_SHUT, F_SACK, F_SYN_ACKED, F_TS, F_WSCALE, NIL, Pcb, pcbAt, pcbLookup, rcvq, setState, sndq,
} from "./pcb";
import {
  rangeAdd, rangeBytesIn, rangeContaining, rangeEnd, rangeNext, rangeNextStartAfter, rangeStart, rangeTrimBelow,
} from "./ranges";
import {
  forgetDuplicate, holdAck, noteDuplicate, OUR_MSS, sendAck, sendRstFor, sendRstReply, sendSyn, tcpOutput,
} from "./output";
import {
  ccInit, detectLoss, F_REORDER_SEEN, onDsack, resendFirstHole, onDupAck, onNewAck, rearmAfterAck, rttSample, rttSince, zeroWindowInFlight,
} from "./congestion";
import {
  closeFinished, connectionFailed, enterTimeWait, notify, pcbDestroy, restartTimeWait, startFinWait2Timer,
} from "./close";
import { listenerLookup, listenInput } from "./listen";
import { challengeBudget, connChallengeAllowed } from "./challenge";
import { oooReclaim, oooRoom, rxReserve } from "./ooo_pressure";

// The segment being processed.
let segSrc: u32 = 0;
let segSport: u32 = 0;
let segDport: u32 = 0;
let segSeq: u32 = 0;
let segAck: u32 = 0;
let segFlags: u32 = 0;
let segWnd: u32 = 0;
let segData: usize = 0;
let segLen: u32 = 0;
let ackMayWait = false;   // the ACK this segment owes may wait for the application (output.ts holdAck)

const PAWS_IDLE_MS: u32 = 24 * 24 * 3600 * 1000;   // RFC 7323 §5.5: 24 days


export function tcpInput(src: u32, dst: u32, seg: usize, len: i32): void {
  count(Stat.tcp_in);
  ackMayWait = false;
  forgetDuplicate();                         // a D-SACK reports this segment's duplicate only
  if (len < TCP_HLEN) { count(Stat.tcp_hdr_err); return; }
  const hlen = tcpHeaderLen(seg);
  if (hlen < TCP_HLEN || hlen > len) { count(Stat.tcp_hdr_err); return; }
  if (transportChecksum(src, dst, PROTO_TCP, seg, len) != 0) { count(Stat.tcp_csum_err); return; }
  segSrc = src;
  segSport = tcpSrcPort(seg);
  segDport = tcpDstPort(seg);
  if (segSport == 0 || segDport == 0) { count(Stat.tcp_hdr_err); return; }
  segSeq = tcpSeq(seg);
  segAck = tcpAck(seg);
  segFlags = tcpFlags(seg);
  segWnd = tcpWindow(seg);
  segData = seg + <usize>hlen;
  segLen = <u32>(len - hlen);
  parseOptions(seg + <usize>TCP_HLEN, seg + <usize>hlen);
  // RFC 9293 §3.1 (MUST-7): an illegal option length must be handled; we drop the segment
  // rather than act on a header we could not read to its end.
  if (opts.malformed) { count(Stat.tcp_hdr_err); return; }
  if ((segFlags & (SYN | RST)) == (SYN | RST)) {
    count(Stat.tcp_hdr_err);                 // never valid together; dropped without a reply
    return;
  }
  // SYN+FIN is demultiplexed like any segment (issue 18): a closed port resets it (RFC 9293
  // §3.10.7.1), SYN_SENT takes it as a SYN, synchronized states and TIME_WAIT challenge it (RFC 5961
  // §4.2). Only LISTEN drops it silently (toListenerOrClosed), as Linux does.
  const i = pcbLookup(src, segSport, segDport);
  if (i >= 0) {
    const p = pcbAt(i);
    if (p.state == TIME_WAIT) timeWaitInput(p);
    else connectionInput(p);
    return;
  }
  toListenerOrClosed();
}

function toListenerOrClosed(): void {
  const li = listenerLookup(segDport);
  if (li >= 0) {
    const pi = listenInput(li, segSrc, segSport, segSeq, segAck, segFlags);
    if (pi >= 0) {
      // The handshake completed on this segment: its window is the first one the peer gives us
      // (RFC 9293 §3.10.7.4, SYN-RECEIVED: set SND.WND, SND.WL1, SND.WL2), and it may carry data
      // or a FIN too.
      const p = pcbAt(pi);
      updateSendWindow(p);
      if (segLen > 0 || (segFlags & FIN) != 0) synchronizedInput(p);
    }
    return;
  }
  replyClosed();
}

// RFC 9293 §3.10.7.1: the connection does not exist.
function replyClosed(): void {
  if (segFlags & RST) return;
  if (segFlags & ACK) {
    sendRstReply(segSrc, segSport, segDport, segAck, 0, false);
  } else {
    sendRstReply(segSrc, segSport, segDport, 0, segSeq + segSpan(), true);
  }
}

// SEG.LEN of RFC 9293 §3.3.1: payload plus one for SYN and one for FIN.
function segSpan(): u32 {
  return segLen + ((segFlags & SYN) != 0 ? 1 : 0) + ((segFlags & FIN) != 0 ? 1 : 0);
}

// When we last heard from the peer before this segment (PAWS idle rule, RFC 7323 §5.5).
let prevRecv: u32 = 0;

function connectionInput(p: Pcb): void {
  prevRecv = p.lastRecv;
  p.lastRecv = nowMs;
  if (p.flags & F_KEEPALIVE_PROBING) { p.flags &= ~F_KEEPALIVE_PROBING; p.probes = 0; p.timer2At = 0; }
  if (p.flags & F_PERSIST) p.probes = 0;       // the peer is alive: persist probing may go on
  if (p.state == SYN_SENT) synSentInput(p);
  else synchronizedInput(p);
}

// ---- options negotiated by the SYN exchange (RFC 9293 §3.7.1, RFC 7323, RFC 2018) ----

function applySynOptions(p: Pcb): void {
  const peerMss = opts.mss != 0 ? opts.mss : 536;          // RFC 9293 §3.7.1 default
  p.mss = <u16>min(min(peerMss, OUR_MSS), p.mss != 0 ? <u32>p.mss : OUR_MSS);
  if ((p.flags & F_WSCALE) != 0 && opts.wscale >= 0) {
    p.wsSnd = <u8>opts.wscale;
  } else {
    p.flags &= ~F_WSCALE;
    p.wsSnd = 0;
    p.wsRcv = 0;
  }
  if (!opts.sackOk) p.flags &= ~F_SACK;
  if ((p.flags & F_TS) != 0 && opts.hasTs) {
    p.tsRecent = opts.tsVal;
  } else {
    p.flags &= ~F_TS;
  }
}

function updateSendWindow(p: Pcb): void {
  // RFC 7323 §2.2: the window in a SYN is never scaled.
  const wnd = (segFlags & SYN) != 0 ? segWnd : segWnd << p.wsSnd;
  p.sndWnd = wnd;
  p.sndWl1 = segSeq;
  p.sndWl2 = segAck;
  if (wnd > p.maxSndWnd) p.maxSndWnd = wnd;
  if (wnd > 0 && (p.flags & F_PERSIST) != 0) {
    p.flags &= ~F_PERSIST;
    p.rtxAt = 0;
    p.backoff = 0;
  }
}

function becomeEstablished(p: Pcb): void {
  p.flags |= F_SYN_ACKED;
  p.rtxAt = 0;
  p.backoff = 0;
  ccInit(p);
  setState(p, ESTABLISHED);
  notify(p, EV_CONNECTED | EV_WRITABLE);
}

// ---- SYN_SENT (RFC 9293 §3.10.7.3) ----

function synSentInput(p: Pcb): void {
  const hasAck = (segFlags & ACK) != 0;
  if (hasAck && (seqLeq(segAck, p.iss) || seqGt(segAck, p.sndNxt))) {
    if ((segFlags & RST) == 0) sendRstReply(segSrc, segSport, segDport, segAck, 0, false);
    return;
  }
  if (segFlags & RST) {
    if (hasAck) { count(Stat.tcp_rst_in); connectionFailed(p, ECONNREFUSED); }
    return;
  }
  if ((segFlags & SYN) == 0) return;
  p.irs = segSeq;
  p.rcvNxt = segSeq + 1;
  // Our SYN (and the SYN-ACK of a simultaneous open) advertised this window; RCV.NXT is known only
  // now, so this is where its right edge is set (issue 18: it was left at RCV.NXT, a zero window).
  p.rcvAdv = p.rcvNxt + min(p.rcvLimit, 0xffff);
  applySynOptions(p);
  if (hasAck) {
    if ((p.flags & F_TS) != 0 && opts.tsEcr != 0) rttSample(p, nowMs - opts.tsEcr);
    else if (p.backoff == 0 && p.rttStart != 0) rttSample(p, rttSince(p.rttStart));
    p.rttStart = 0;
    p.sndUna = segAck;
    updateSendWindow(p);
    becomeEstablished(p);
    p.flags |= F_ACK_NOW;
    // RFC 9293 §3.10.7.3: "if there are other controls or text in the segment, then continue
    // processing at the sixth step". The first data octet is ISN+1 (§3.4): the text starts at
    // RCV.NXT, not at the SYN's sequence number (issue 18: it was off by one). Queued, as FreeBSD
    // does; a FIN after it is taken too.
    segSeq = p.rcvNxt;
    segFlags &= ~SYN;
    textAndFin(p);
    return;
  }
  // Simultaneous open: both SYNs crossed (RFC 9293 §3.5, figure 8). Text or a FIN on the SYN is
  // not acknowledged (our SYN-ACK covers the SYN only) and comes again (Linux drops it too).
  p.sndWnd = segWnd;
  p.sndWl1 = segSeq;
  setState(p, SYN_RCVD);
  p.rtxAt = 0;
  sendSyn(p);
}

// ---- TIME_WAIT ----

function timeWaitInput(p: Pcb): void {
  if (segFlags & RST) return;                              // RFC 1337: ignore, no assassination
  if ((segFlags & (SYN | ACK | FIN)) == SYN) {
    // RFC 9293 §3.10.7.4 note / RFC 6191: a new SYN above the old sequence space (or with a newer
    // timestamp) may open a new incarnation of the connection.
    const newer = seqGt(segSeq, p.rcvNxt) ||
      ((p.flags & F_TS) != 0 && opts.hasTs && seqGt(opts.tsVal, p.tsRecent));
    if (newer && p.sock == 0) {
      pcbDestroy(p);
      toListenerOrClosed();
      return;
    }
    sendAck(p);
    return;
  }
  // RFC 5961 §4.2 (RFC 9293 §3.10.7.4 fourth check): any other SYN (SYN-ACK, SYN+FIN) gets a
  // challenge ACK, wherever it sits (issue 18: a SYN-ACK at RCV.NXT passed for a bare ACK).
  if (segFlags & SYN) { challengeAck(p); return; }
  if ((segFlags & FIN) != 0 && segSeq + segLen + 1 == p.rcvNxt) {
    restartTimeWait(p);                                    // retransmitted FIN: re-ACK, restart 2MSL
    sendAck(p);
    return;
  }
  // A pure ACK at rcv_nxt is acceptable and needs no answer: answering it would start an endless
  // ACK exchange with a peer that is in TIME_WAIT too (after a simultaneous close). Anything else
  // is unacceptable here and gets a (rate-limited) ACK, RFC 9293 §3.10.7.4.
  if (segSeq == p.rcvNxt && segLen == 0 && (segFlags & FIN) == 0) return;
  rateLimitedAck(p);
}

// ---- synchronized states ----

// RFC 9293 §3.10.7.4 first check: is the segment inside the window we advertised?
function acceptable(p: Pcb): bool {
  return segAcceptable(p.rcvNxt, seqGt(p.rcvAdv, p.rcvNxt) ? p.rcvAdv - p.rcvNxt : 0);
}

// The four cases of RFC 9293 §3.10.7.4 (first check) for the current segment against a receive
// window [rcvNxt, rcvNxt + wnd). Also used for half-open entries (tcp/listen.ts).
export function segAcceptable(rcvNxt: u32, wnd: u32): bool {
  const len = segSpan();
  if (len == 0) {
    if (wnd == 0) return segSeq == rcvNxt;
    return seqGeq(segSeq, rcvNxt) && seqLt(segSeq, rcvNxt + wnd);
  }
  if (wnd == 0) return false;
  const last = segSeq + len - 1;
  return (seqGeq(segSeq, rcvNxt) && seqLt(segSeq, rcvNxt + wnd)) ||
    (seqGeq(last, rcvNxt) && seqLt(last, rcvNxt + wnd));
}

// RFC 5961 §3.2, §4.2, §5.2: answer suspicious RST/SYN/ACK with an ACK of our own, at most
// tcp_challenge_ack_limit per second.
function challengeAck(p: Pcb): void {
  if (connChallengeAllowed(p) && challengeAllowed(true)) sendAck(p);
}

// The ACK owed for an unacceptable segment (RFC 9293 §3.10.7.4, RFC 7323 §5.3) shares the
// challenge-ACK budget: two stacks that each find the other's segments unacceptable must not
// ping-pong ACKs without bound (Linux rate-limits these too, tcp_invalid_ratelimit).
function rateLimitedAck(p: Pcb): void {
  if (challengeAllowed(false)) sendAck(p);
}

// One more ACK from the shared budget of tcp_challenge_ack_limit per second? (Also used for the
// challenge ACKs of half-open entries, tcp/listen.ts.)
export function challengeAllowed(challenge: bool): bool {
  if (!challengeBudget()) return false;       // tcp/challenge.ts: randomised per-second budget
  if (challenge) count(Stat.challenge_acks);
  return true;
}

// RFC 9293 §3.10.7.4 second check. SYN_RCVD reached from SYN_SENT reports "connection refused";
// every other state "connection reset", CLOSING and LAST_ACK included (issue 18: they reported no
// error; Linux and FreeBSD give ECONNRESET there too, so a closing application learns the peer
// aborted).
function resetReceived(p: Pcb): void {
  count(Stat.tcp_rst_in);
  connectionFailed(p, p.state == SYN_RCVD ? ECONNREFUSED : ECONNRESET);
}

function synchronizedInput(p: Pcb): void {
  const isRst = (segFlags & RST) != 0;
  // A retransmitted SYN (SYN+FIN too) while our SYN-ACK is out: answer it again (Linux, FreeBSD;
  // RFC 9293 would send a bare ACK, which does not help a peer that lost our SYN-ACK).
  if (p.state == SYN_RCVD && (segFlags & (SYN | ACK)) == SYN && segSeq == p.irs) { sendSyn(p); return; }
  // Simultaneous open (RFC 9293 §3.5 figure 8): the peer's SYN-ACK repeats its SYN and acknowledges
  // ours; take it as the ACK at RCV.NXT that completes the handshake (Linux does the same).
  if (p.state == SYN_RCVD && (segFlags & (SYN | ACK)) == (SYN | ACK) && segSeq + 1 == p.rcvNxt && segAck == p.sndNxt) {
    segFlags &= ~SYN;
    segSeq = p.rcvNxt;
  }
  // RFC 7323 §5.3: PAWS.
  if ((p.flags & F_TS) != 0 && opts.hasTs && !isRst && seqLt(opts.tsVal, p.tsRecent) &&
      nowMs - prevRecv < PAWS_IDLE_MS) {
    count(Stat.paws_reject);
    rateLimitedAck(p);
    return;
  }
  if (!acceptable(p)) {
    count(Stat.window_drop);
    if (isRst) return;
    if (segFlags & SYN) { challengeAck(p); return; }  // RFC 5961 §4.2: any SYN, whatever its seq
    // RFC 9293 §3.10.7.4: with a zero receive window no segment is acceptable, "but special
    // allowance should be made to accept valid ACKs": the peer's data segments carry the ACKs and
    // SACKs our own recovery needs. The data is dropped; the ACK is processed. So too for a
    // segment at the right edge (RCV.NXT + RCV.WND: a peer that filled our window with a hole
    // below, its pure ACKs carry that SEQ), as Linux's tcp_sequence accepts; dropped, they left
    // our own data to the RTO (issue 23, test/impair.test.ts).
    if ((segFlags & ACK) != 0 && (!seqGt(p.rcvAdv, p.rcvNxt) || segSeq == p.rcvAdv)) {
      segSeq = p.rcvNxt;               // as if at RCV.NXT: SND.WL1 must not run ahead of the data
      segLen = 0;
      segFlags &= ~FIN;
      if (!processAck(p)) return;
      tcpOutput(p);
    }
    if (segLen > 0 && !seqGt(segSeq + segLen, p.rcvNxt)) noteDuplicate(p, segSeq, segSeq + segLen);  // RFC 2883 §4.1
    rateLimitedAck(p);
    return;
  }
  if (isRst) {
    if (segSeq == p.rcvNxt) resetReceived(p);
    else challengeAck(p);
    return;
  }
  if (segFlags & SYN) { challengeAck(p); return; }
  if ((segFlags & ACK) == 0) return;
  if (!processAck(p)) return;
  // RFC 7323 §4.3: remember the timestamp of the segment that covers rcv_nxt.
  if ((p.flags & F_TS) != 0 && opts.hasTs && seqLeq(segSeq, p.rcvNxt)) {
    p.tsRecent = opts.tsVal;
  }
  textAndFin(p);
}

// RFC 9293 §3.10.7.4 seventh and eighth checks (segment text, FIN), then whatever is owed.
function textAndFin(p: Pcb): void {
  if (segLen > 0) {
    const s = p.state;
    if (s == ESTABLISHED || s == FIN_WAIT_1 || s == FIN_WAIT_2) {
      if (p.sock == 0 && p.listener == 0 && (p.flags & F_RCV_SHUT) == 0) {
        // Data for a connection the application has closed (an orphan, not one still waiting
        // on an accept queue): nobody will read it (Linux's behaviour): reset.
        sendRstFor(p);
        connectionFailed(p, ECONNRESET);
        return;
      }
      receiveData(p);
    }
  }
  if ((segFlags & FIN) != 0 && (p.flags & F_FIN_RCVD) == 0) {
    if (segSeq + segLen == p.rcvNxt) {
      if (!finReceived(p)) return;
    } else if (seqGt(segSeq + segLen, p.rcvNxt)) {
      p.flags |= F_ACK_NOW;                 // RFC 5681 §4.2: an out-of-order FIN gets a duplicate ACK now
    }
  }
  if (ackMayWait && p.sock != 0) holdAck(p);
  tcpOutput(p);
}

// ACK processing (RFC 9293 §3.10.7.4 fifth check, RFC 5961 §5.2). False when the segment is done.
function processAck(p: Pcb): bool {
  if (p.state == SYN_RCVD) {
    if (!seqGt(segAck, p.sndUna) || seqGt(segAck, p.sndNxt)) {
      sendRstReply(segSrc, segSport, segDport, segAck, 0, false);
      return false;
    }
    p.sndUna = p.iss + 1;
    updateSendWindow(p);
    becomeEstablished(p);
  }
  if (seqGt(segAck, p.sndNxt)) { count(Stat.ack_unsent_drop); sendAck(p); return false; }
  if (seqLt(segAck, p.sndUna - p.maxSndWnd)) { count(Stat.ack_unsent_drop); sendAck(p); return false; }
  const una = p.sndUna;
  // The lowest SACKed byte before this ACK: the cumulative ACK passing it filled a hole (RACK).
  const sackLow = p.sackHead != NIL ? rangeStart(<i32>p.sackHead) : una;
  const rtxTo = seqGt(p.rtxNext, una) ? p.rtxNext : una;   // retransmitted so far in this recovery
  const rtxSacked = p.sackHead != NIL ? rangeBytesIn(<i32>p.sackHead, una, rtxTo) : 0;
  const sacked = (p.flags & F_SACK) != 0 && opts.sackCount > 0 ? updateScoreboard(p) : 0;
  const wndScaled = segWnd << p.wsSnd;
  if (seqGt(segAck, p.sndUna)) {
    ackNewData(p, sacked, seqGt(sackLow, una) && seqGeq(segAck, sackLow));
  } else if (segAck == p.sndUna && p.sndNxt != p.sndUna && (segFlags & FIN) == 0 &&
             (sacked > 0 || (segLen == 0 && wndScaled == p.sndWnd && opts.sackCount == 0))) {
    // Duplicate ACK: RFC 5681 §2 (no data, same window), or with SACK any ACK that SACKs new
    // data, whatever its window or payload (RFC 6675 §2; the peer's autotuning moves the window).
    onDupAck(p, sacked);
    if (sacked > 0 && rangeBytesIn(<i32>p.sackHead, una, rtxTo) > rtxSacked) resendFirstHole(p);
  }
  detectLoss(p, p.sndUna - una + sacked);   // also after a cumulative ACK with SACK info (IsLost)
  if (seqLt(p.sndWl1, segSeq) || (p.sndWl1 == segSeq && seqLeq(p.sndWl2, segAck))) updateSendWindow(p);
  zeroWindowInFlight(p);
  if (p.rtxAt == 0 && p.sndNxt != p.sndUna) rearmAfterAck(p);   // a window reopened after persist
  return afterAckStateChange(p);
}

function ourFinAcked(p: Pcb): bool {
  return (p.flags & F_FIN_SENT) != 0 && p.sndUna == p.sndNxt;
}

function afterAckStateChange(p: Pcb): bool {
  const s = p.state;
  if (s == FIN_WAIT_1 && ourFinAcked(p)) {
    // FIN+ACK in one segment goes straight to TIME_WAIT in finReceived.
    const finHere = (segFlags & FIN) != 0 && segSeq + segLen == p.rcvNxt;
    if (!finHere) { setState(p, FIN_WAIT_2); p.rtxAt = 0; startFinWait2Timer(p); }
  } else if (s == CLOSING && ourFinAcked(p)) {
    enterTimeWait(p);
    return false;
  } else if (s == LAST_ACK && ourFinAcked(p)) {
    closeFinished(p);
    return false;
  }
  return true;
}

function ackNewData(p: Pcb, sacked: u32, holeFilled: bool): void {
  const acked = segAck - p.sndUna;
  const q = sndq(p);
  const dataAcked = min(acked, q.len);
  q.consume(dataAcked);
  // RFC 8985 §6.2 step 2: a hole below data SACKed before this ACK, filled with no retransmission
  // (no recovery, no RTO), was reordering.
  if (holeFilled && p.backoff == 0 && (p.flags & F_IN_RECOVERY) == 0 && !seqLt(p.rtxNext, p.rtxEnd)) p.flags |= F_REORDER_SEEN;
  p.sndUna = segAck;
  onNewAck(p, segAck, acked, sacked, opts.tsEcr, opts.hasTs);
  if (p.sackHead != NIL) rangeTrimBelow(changetype<usize>(p) + offsetof<Pcb>("sackHead"), p.sndUna);
  if (p.flags & F_PERSIST) { p.flags &= ~F_PERSIST; }
  rearmAfterAck(p);                   // RFC 6298 §5.2-5.3, RFC 8985 §7.2
  if ((p.flags & F_ACKED_DATA_EVENT) != 0 && q.len < p.sndLimit) {
    p.flags &= ~F_ACKED_DATA_EVENT;
    notify(p, EV_WRITABLE);
  }
}

// RFC 2018 §3 / RFC 6675 §3: record what the peer holds above snd_una. Returns the bytes newly
// SACKed. A first block at or below the cumulative ACK is a D-SACK (RFC 2883 §4): ignored.
function updateScoreboard(p: Pcb): u32 {
  const head = changetype<usize>(p) + offsetof<Pcb>("sackHead");
  const before = rangeBytesIn(<i32>p.sackHead, p.sndUna, p.sndNxt);
  // RFC 2883 §4: the first block is a D-SACK when it lies at or below the cumulative ACK, or
  // inside the second block.
  if (opts.sackCount > 0) {
    const s0 = sackStart(0), e0 = sackEnd(0);
    if (seqLeq(e0, segAck) || (opts.sackCount > 1 && !seqLt(s0, sackStart(1)) && !seqGt(e0, sackEnd(1)))) onDsack(p, s0, e0);
  }
  for (let i = 0; i < opts.sackCount; i++) {
    const s = sackStart(i);
    const e = sackEnd(i);
    // Ignore blocks outside (snd_una, snd_nxt] (stale or forged; the D-SACK too: it goes to
    // onDsack above, never into the scoreboard).
    if (!seqLt(s, e) || seqLeq(e, p.sndUna) || seqGt(e, p.sndNxt) || seqLt(s, p.sndUna)) continue;
    rangeAdd(head, s, e);
  }
  return rangeBytesIn(<i32>p.sackHead, p.sndUna, p.sndNxt) - before;
}

// ---- data (RFC 9293 §3.10.7.4 seventh check) ----

function receiveData(p: Pcb): void {
  let seq = segSeq;
  let data = segData;
  let len = segLen;
  if (seqLt(seq, p.rcvNxt)) {               // drop what we already have
    const skip = p.rcvNxt - seq;
    noteDuplicate(p, seq, skip >= len ? seq + len : p.rcvNxt);   // RFC 2883 §4.1: the repeated part
    if (skip >= len) { p.flags |= F_ACK_NOW; return; }
    seq += skip; data += skip; len -= skip;
  }
  const q = rcvq(p);
  const space = p.rcvLimit > q.len ? p.rcvLimit - q.len : 0;
  const limit = p.rcvNxt + space;
  if (seqGt(seq + len, limit)) {            // trim to the window (and drop a FIN beyond it)
    if (!seqGt(limit, seq)) { count(Stat.window_drop); p.flags |= F_ACK_NOW; return; }
    len = limit - seq;
    segFlags &= ~FIN;
  }
  if (p.flags & F_RCV_SHUT) {               // shutdown(SHUT_RD): accept and discard in-order data
    if (seq == p.rcvNxt) { p.rcvNxt += len; p.flags |= F_ACK_NOW; }
    return;
  }
  const off = (seq - p.rcvNxt) + q.len;
  if (seq != p.rcvNxt) {                    // tcp/ooo_pressure.ts rule 1: bounded out-of-order room
    // A segment that does not fit is dropped whole (a partial copy would leave a SACK edge inside
    // a segment the sender will resend anyway).
    if (off + len - q.len > oooRoom(p)) { count(Stat.ooo_drop); p.flags |= F_ACK_NOW; return; }
  }
  // Rule 2: in-order data that finds the pool dry takes back other connections' out-of-order data.
  const upto = off + len;                  // rule 4: never the send reserve
  if (!rxReserve(q, upto) && !(seq == p.rcvNxt && oooReclaim(p) && rxReserve(q, upto))) {
    count(Stat.window_drop); p.flags |= F_ACK_NOW; return;
  }
  // Overlapping out-of-order data: the first copy wins (as Linux): only the gaps are written.
  for (let s = seq; seqLt(s, seq + len);) {
    const r = rangeContaining(<i32>p.oooHead, s);
    if (r >= 0) { s = rangeEnd(r); continue; }
    const gapEnd = rangeNextStartAfter(<i32>p.oooHead, s, seq + len);
    const n = (seqLt(gapEnd, seq + len) ? gapEnd : seq + len) - s;
    q.writeAt(off + (s - seq), data + (s - seq), n);
    s += n;
  }
  if (seq == p.rcvNxt) inOrderData(p, len);
  else outOfOrderData(p, seq, len);
}

function inOrderData(p: Pcb, len: u32): void {
  const q = rcvq(p);
  q.len += len;
  p.rcvNxt += len;
  const hadHoles = p.oooHead != NIL;
  if (hadHoles) {
    const head = changetype<usize>(p) + offsetof<Pcb>("oooHead");
    while (p.oooHead != NIL && seqLeq(rangeStart(<i32>p.oooHead), p.rcvNxt)) {
      const end = rangeEnd(<i32>p.oooHead);
      if (seqGt(end, p.rcvNxt)) { q.len += end - p.rcvNxt; p.rcvNxt = end; }
      rangeTrimBelow(head, p.rcvNxt);
    }
    if (p.oooLast != NIL && !inList(<i32>p.oooHead, <i32>p.oooLast)) p.oooLast = NIL;
    p.flags |= F_ACK_NOW;                   // RFC 5681 §4.2: ACK at once when a hole fills
  } else {
    // RFC 1122 §4.2.3.2 / RFC 5681 §4.2: ACK at least every second full-sized segment.
    p.delackSegs++;
    const quick = sysctl(Sysctl.tcp_delayed_ack) == 0;
    // Held for the application only where it has answered before (sent data): a sink's ACKs
    // would wait for nothing, and its host would drain events after every second frame.
    if (quick || p.delackSegs >= 2) { p.flags |= F_ACK_NOW; ackMayWait = !quick && p.sndNxt - p.iss > 1; }
    else p.flags |= F_ACK_DELAYED;
  }
  notify(p, EV_READABLE);
}

function inList(head: i32, r: i32): bool {
  while (head != <i32>NIL) { if (head == r) return true; head = rangeNext(head); }
  return false;
}

function outOfOrderData(p: Pcb, seq: u32, len: u32): void {
  count(Stat.ooo_in);
  const r = rangeAdd(changetype<usize>(p) + offsetof<Pcb>("oooHead"), seq, seq + len);
  if (r < 0) count(Stat.ooo_drop);         // no range to track it: the bytes are as good as lost
  else p.oooLast = <u8>r;
  if (p.oooLast != NIL && !inList(<i32>p.oooHead, <i32>p.oooLast)) p.oooLast = NIL;
  p.flags |= F_ACK_NOW;                     // RFC 5681 §4.2: immediate duplicate ACK
}

// ---- FIN (RFC 9293 §3.10.7.4 eighth check). False when the connection left the active list. ----

function finReceived(p: Pcb): bool {
  p.rcvNxt++;
  p.flags |= F_FIN_RCVD;
  notify(p, EV_READABLE);
  const s = p.state;
  // In ESTABLISHED the application may close at once: its FIN then carries this ACK.
  if (s == ESTABLISHED) { p.flags |= F_ACK_NOW; ackMayWait = true; }
  else sendAck(p);
  if (s == ESTABLISHED || s == SYN_RCVD) {
    setState(p, CLOSE_WAIT);
  } else if (s == FIN_WAIT_1) {
    if (ourFinAcked(p)) { enterTimeWait(p); return false; }
    setState(p, CLOSING);
  } else if (s == FIN_WAIT_2) {
    enterTimeWait(p);
    return false;
  }
  return true;
}

