// TCP timers, lwIP's split: the fast timer (250 ms) sends delayed ACKs and handles retransmission
// and persist deadlines; the slow timer (500 ms) runs the connection-lifetime timers: SYN retries,
// keepalive, FIN_WAIT_2 timeout, TIME_WAIT (2MSL), linger, SYN-ACK retries, ARP ageing.
//
// Deviation from lwIP, on purpose: the retransmission deadline (RTO, persist, RACK reordering
// timer, tail-loss probe) is an absolute ms time checked on every timers_run() call, not only on
// the tick, and timers_run() returns the time until the earliest one, so a host that sleeps for
// that long fires an RTO of 300 ms (tcp_rto_min) at 300 ms, not rounded up to the 250 ms ticks
// (500 ms). The fast tick checks the deadlines too, for hosts that only call tcp_fasttmr.
import { MAX_TCP_PCBS, Sysctl, sysctl } from "../config";
import { deadlineIn, due, nowMs } from "../core/time";
import { EHOSTUNREACH, ETIMEDOUT } from "../errors";
import { count, Stat } from "../stats";
import {
  CLOSE_WAIT, CLOSED, CLOSING, ESTABLISHED, EV_WRITABLE, FIN_WAIT_1, FIN_WAIT_2, LAST_ACK, LISTEN, SYN_RCVD, SYN_SENT,
  TIME_WAIT,
} from "../api/constants";
import { arpTimer } from "../link/arp_cache";
import {
  F_ACKED_DATA_EVENT, F_ACK_DELAYED, F_KEEPALIVE, F_KEEPALIVE_PROBING, F_LINGER, F_PERSIST, F_SOFT_ERROR, F_SYN_ACKED, Pcb,
  pcbAt, pcbs, sndq,
} from "./pcb";
import { armPersist, sendAck, sendProbe, sendRstFor, sendSyn, tcpOutput } from "./output";
import { backOff, onRecoveryTimer, onRetransmitTimeout, zeroWindowInFlight } from "./congestion";
import { abortConnection, closeFinished, connectionFailed, notify, pcbDestroy } from "./close";
import { synQueueTimer } from "./listen";
import { blocks } from "../core/stream";

// The 250 ms tick; returns ms until the next retransmission deadline (0x7fffffff: none).
export function tcpFastTimer(): u32 {
  return pcbTimers(true);
}

// Fires the retransmission deadlines that are due; returns ms until the next one (0x7fffffff: none).
export function tcpDeadlines(): u32 {
  return pcbTimers(false);
}

// A send refused for want of stream blocks while nothing of this connection was queued gets no ACK
// to raise EV_WRITABLE on (processAck does that for ACKed data): the tick raises it once the shared
// pool has a free block again, so an event loop or the sockets layer that waits for it is not stuck.
function writableAgain(p: Pcb): void {
  if ((p.flags & F_ACKED_DATA_EVENT) == 0 || sndq(p).len != 0 || blocks.used >= blocks.size) return;
  p.flags &= ~F_ACKED_DATA_EVENT;
  notify(p, EV_WRITABLE);
}

// Both timers walk the PCBs: due deadlines fire; the fast tick also sends delayed ACKs and
// whatever was refused earlier (window, cwnd, pool).
function pcbTimers(tick: bool): u32 {
  let next: u32 = 0x7fffffff;
  for (let i = 0; i < MAX_TCP_PCBS; i++) {
    if (!pcbs.isUsed(i)) continue;
    const p = pcbAt(i);
    const s = p.state;
    if (s == CLOSED || s == LISTEN || s == TIME_WAIT) continue;
    if (due(p.rtxAt)) {
      retransmitTimerFired(p);
      if (!pcbs.isUsed(i) || p.state == CLOSED) continue;
    }
    if (tick) {
      if (p.flags & F_ACK_DELAYED) sendAck(p);
      tcpOutput(p);
      writableAgain(p);
    }
    const left = p.rtxAt - nowMs;
    if (p.rtxAt != 0 && <i32>left > 0 && left < next) next = left;
  }
  return next;
}

export function tcpSlowTimer(): void {
  for (let i = 0; i < MAX_TCP_PCBS; i++) {
    if (!pcbs.isUsed(i)) continue;
    slowTimerFor(pcbAt(i));
  }
  synQueueTimer();
  arpTimer();
}

function retransmitLimit(p: Pcb): i32 {
  if (p.state == SYN_SENT) return sysctl(Sysctl.tcp_syn_retries);
  if (p.state == SYN_RCVD) return sysctl(Sysctl.tcp_synack_retries);
  const orphan = sysctl(Sysctl.tcp_orphan_retries);
  if (p.sock == 0 && orphan > 0) return orphan;
  return sysctl(Sysctl.tcp_retries2);
}

function timeoutErrno(p: Pcb): i32 {
  return (p.flags & F_SOFT_ERROR) != 0 ? EHOSTUNREACH : ETIMEDOUT;
}

function retransmitTimerFired(p: Pcb): void {
  if (p.flags & F_PERSIST) { persistTimerFired(p); return; }
  if (onRecoveryTimer(p)) { tcpOutput(p); return; }  // RACK reordering timer or tail-loss probe
  if (p.sndWnd == 0 && p.sndNxt != p.sndUna && (p.flags & F_SYN_ACKED) != 0) {
    zeroWindowInFlight(p);            // RFC 9293 §3.8.6.1: a closed window is probed, not timed out
    return;
  }
  if (<i32>p.backoff >= retransmitLimit(p)) {
    // RFC 9293 §3.8.3 R2 / RFC 1122 §4.2.3.5: give up and tell the application.
    if (p.state == SYN_SENT) connectionFailed(p, timeoutErrno(p));
    else abortConnection(p, timeoutErrno(p));
    return;
  }
  if (p.state == SYN_SENT || p.state == SYN_RCVD) {
    backOff(p);
    p.rtxAt = 0;
    p.rttStart = 0;
    count(Stat.tcp_retrans);
    sendSyn(p);
    return;
  }
  onRetransmitTimeout(p);
  tcpOutput(p);
}

// RFC 9293 §3.8.6.1: probe a zero window with backoff; give up only when probes go unanswered
// (the peer acknowledging probes keeps the connection alive, as in Linux).
function persistTimerFired(p: Pcb): void {
  if (<i32>p.probes >= sysctl(Sysctl.tcp_retries2)) { abortConnection(p, ETIMEDOUT); return; }
  p.probes++;
  sendProbe(p);
  if (p.backoff < 255) p.backoff++;
  armPersist(p);
}

function slowTimerFor(p: Pcb): void {
  const s = p.state;
  if (s == TIME_WAIT) {
    if (due(p.timer2At)) closeFinished(p);
  } else if (s == FIN_WAIT_2) {
    if (due(p.timer2At)) {
      count(Stat.fin_wait2_timeouts);
      sendRstFor(p);
      pcbDestroy(p);
    }
  } else if (s == FIN_WAIT_1 || s == CLOSING || s == LAST_ACK) {
    if ((p.flags & F_LINGER) != 0 && p.sock == 0 && due(p.timer2At)) abortConnection(p, ETIMEDOUT);
  } else if (s == ESTABLISHED || s == CLOSE_WAIT) {
    if (p.flags & F_KEEPALIVE) keepaliveTick(p);
  }
}

function keepIdleMs(p: Pcb): u32 {
  return (p.keepIdle != 0 ? <u32>p.keepIdle : <u32>sysctl(Sysctl.tcp_keepalive_time)) * 1000;
}
function keepIntvlMs(p: Pcb): u32 {
  return (p.keepIntvl != 0 ? <u32>p.keepIntvl : <u32>sysctl(Sysctl.tcp_keepalive_intvl)) * 1000;
}
function keepCount(p: Pcb): i32 {
  return p.keepCnt != 0 ? <i32>p.keepCnt : sysctl(Sysctl.tcp_keepalive_probes);
}

// RFC 1122 §4.2.3.6: after keepidle of silence, probe every keepintvl; keepcnt unanswered probes
// mean the peer is gone: reset and report ETIMEDOUT.
function keepaliveTick(p: Pcb): void {
  if (p.sndNxt != p.sndUna) return;          // data in flight: the retransmit timer watches the peer
  if ((p.flags & F_KEEPALIVE_PROBING) == 0) {
    if (nowMs - p.lastRecv < keepIdleMs(p)) return;
    p.flags |= F_KEEPALIVE_PROBING;
    p.probes = 0;
    p.timer2At = 0;
  }
  if (p.timer2At != 0 && !due(p.timer2At)) return;
  if (<i32>p.probes >= keepCount(p)) {
    count(Stat.keepalive_timeouts);
    abortConnection(p, ETIMEDOUT);
    return;
  }
  p.probes++;
  count(Stat.keepalive_probes);
  sendProbe(p);
  p.timer2At = deadlineIn(keepIntvlMs(p));
}
