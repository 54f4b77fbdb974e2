// The server side: listeners with a SYN queue and an accept queue, as Linux has them.
//
// - SYN queue: half-open (SYN_RCVD) entries in a small pool of their own, not full PCBs, bounded
//   per listener by tcp_max_syn_backlog. SYN-ACKs are retransmitted with exponential backoff up to
//   tcp_synack_retries, then the entry is dropped.
// - Accept queue: established connections (full PCBs) waiting for accept(), bounded by
//   min(backlog, somaxconn). When it is full the final ACK is dropped (the peer retransmits it),
//   or answered with RST when tcp_abort_on_overflow = 1.
// - SYN cookies (tcp/isn.ts) replace the SYN queue when it overflows (tcp_syncookies = 1) or
//   always (= 2): the connection is rebuilt from the final ACK alone.
import { BLOCK_SIZE, MAX_BLOCKS, MAX_LISTEN_PCBS, MAX_SYN_QUEUE, Sysctl, sysctl } from "../config";
import { transportChecksum } from "../core/checksum";
import { Pool, makePool } from "../core/pool";
import { deadlineIn, due, nowMs } from "../core/time";
import { ipOutput, TX_L4 } from "../ip/ip4";
import { ourIp } from "../link/netif";
import { arpSpeculative } from "../link/arp_cache";
import { count, Stat } from "../stats";
import { PROTO_TCP } from "../wire/ipv4";
import { ACK, FIN, RST, SYN, TCP_HLEN, tcpEmit } from "../wire/tcp";
import { emitMss, emitSackPerm, emitTimestamps, emitWscale, opts } from "../wire/tcp_options";
import { ESTABLISHED, EV_ACCEPT, SYN_RCVD } from "../api/constants";
import { sockNotify } from "../api/sockets";
import {
  F_KEEPALIVE, F_LINGER, F_NODELAY, F_PASSIVE, F_SACK, F_SYN_ACKED, F_TS, F_WSCALE, LIST_ACTIVE, NIL,
  Pcb, listMove, pcbAlloc, pcbAt, pcbCouldAlloc, pcbIndex, setState,
} from "./pcb";
import { checkCookie, cookieTsSack, cookieTsVal, cookieTsWscale, makeCookie, makeIsn, mssFromIndex, mssIndexFor } from "./isn";
import { OUR_MSS, sendRstFor, sendRstReply } from "./output";
import { ccInit, rtoInit } from "./congestion";
import { pcbDestroy } from "./close";
import { challengeAllowed, segAcceptable } from "./input";

@unmanaged export class Listener {
  port: u16;
  backlog: u16;
  sock: u8;            // socket slot + 1
  accHead: u8;
  accTail: u8;
  accCount: u8;
  synCount: u16;
  userMss: u16;        // TCP_MAXSEG, inherited by accepted connections
  flags: u32;          // PCB option bits inherited by accepted connections
  sndLimit: u32;
  rcvLimit: u32;
  keepIdle: u16;
  keepIntvl: u16;
  lingerSec: u16;
  keepCnt: u8;
}

@unmanaged class SynEntry {
  rip: u32;
  iss: u32;
  irs: u32;
  tsRecent: u32;
  deadline: u32;
  rport: u16;
  mss: u16;
  listener: u8;
  retries: u8;
  peerWscale: i8;      // -1: the peer sent no window scale option
  sackOk: u8;
  tsOk: u8;
}

// The slots' static addresses (constants: no load of a pool's base per use).
const listenerMem: usize = memory.data(offsetof<Listener>() * MAX_LISTEN_PCBS);
const synMem: usize = memory.data(offsetof<SynEntry>() * MAX_SYN_QUEUE);
export const listeners: Pool = makePool(
  memory.data(offsetof<Pool>()), listenerMem,
  memory.data(MAX_LISTEN_PCBS * 2), memory.data(MAX_LISTEN_PCBS), offsetof<Listener>(), MAX_LISTEN_PCBS);
export const synQueue: Pool = makePool(
  memory.data(offsetof<Pool>()), synMem,
  memory.data(MAX_SYN_QUEUE * 2), memory.data(MAX_SYN_QUEUE), offsetof<SynEntry>(), MAX_SYN_QUEUE);

// @ts-ignore: decorator
@inline export function listenerAt(i: i32): Listener { return changetype<Listener>(listenerMem + <usize>(i * offsetof<Listener>())); }
// @ts-ignore: decorator
@inline function synAt(i: i32): SynEntry { return changetype<SynEntry>(synMem + <usize>(i * offsetof<SynEntry>())); }

// Our receive window scale: enough for the largest buffer a socket can be given (RFC 7323 §2.2).
export function ourWscale(): u8 {
  let shift: u8 = 0;
  while (((<u32>MAX_BLOCKS * <u32>BLOCK_SIZE) >> shift) > 0xffff) shift++;
  return shift;
}

export function listenersReset(): void {
  listeners.reset();
  synQueue.reset();
}

export function listenerLookup(port: u32): i32 {
  for (let i = 0; i < MAX_LISTEN_PCBS; i++) {
    if (<u32>listenerAt(i).port == port && listeners.isUsed(i)) return i;   // a free slot's memory stays readable
  }
  return -1;
}

export function acceptQueueLimit(l: Listener): u32 {
  return min(<u32>l.backlog, <u32>sysctl(Sysctl.somaxconn));
}

function acceptQueueFull(l: Listener): bool {
  return <u32>l.accCount >= acceptQueueLimit(l);
}

// ---- accept queue ----

function acceptQueuePush(li: i32, p: Pcb): void {
  const l = listenerAt(li);
  const me = <u8>pcbIndex(p);
  p.listener = <u8>(li + 1);
  p.acceptNext = NIL;
  if (l.accHead == NIL) l.accHead = me;
  else pcbAt(l.accTail).acceptNext = me;
  l.accTail = me;
  l.accCount++;
  if (l.sock != 0) sockNotify(<i32>l.sock - 1, EV_ACCEPT);
}

// Takes the oldest established connection off the queue, or returns -1.
export function acceptQueuePop(li: i32): i32 {
  const l = listenerAt(li);
  const i = <i32>l.accHead;
  if (i == <i32>NIL) return -1;
  const p = pcbAt(i);
  l.accHead = p.acceptNext;
  if (l.accHead == NIL) l.accTail = NIL;
  l.accCount--;
  p.listener = 0;
  p.acceptNext = NIL;
  return i;
}

// Unlinks a queued connection that died before accept() (RST, timeout, recycling).
export function acceptQueueRemove(p: Pcb): void {
  const li = <i32>p.listener - 1;
  const l = listenerAt(li);
  const me = <u8>pcbIndex(p);
  let prev: u8 = NIL;
  let cur = l.accHead;
  while (cur != NIL && cur != me) { prev = cur; cur = pcbAt(cur).acceptNext; }
  if (cur == NIL) { p.listener = 0; return; }
  if (prev == NIL) l.accHead = p.acceptNext;
  else pcbAt(prev).acceptNext = p.acceptNext;
  if (l.accTail == me) l.accTail = prev;
  l.accCount--;
  p.listener = 0;
  p.acceptNext = NIL;
}

// ---- SYN queue ----

function synFind(li: i32, rip: u32, rport: u32): i32 {
  for (let i = 0; i < MAX_SYN_QUEUE; i++) {
    if (!synQueue.isUsed(i)) continue;
    const e = synAt(i);
    if (<i32>e.listener == li && e.rip == rip && <u32>e.rport == rport) return i;
  }
  return -1;
}

function synDrop(i: i32): void {
  listenerAt(<i32>synAt(i).listener).synCount--;
  synQueue.free(i);
}

export function synQueueCount(): i32 {
  return synQueue.used;
}

// SYN-ACK straight from listener state (no PCB exists yet), or with `flags` = ACK the bare ACK
// <SEQ=ISS+1><ACK=IRS+1> of a half-open entry (RFC 9293 §3.10.7.4 first check, RFC 5961 §3.2).
// Window unscaled (RFC 7323 §2.2). At most 12 parameters: the boards' wasm2c runtime registers
// no longer function types (boards/common/wasm_rt_static.c MAX_TYPE_ARITY).
function sendSynAck(l: Listener, rip: u32, rport: u32, iss: u32, ack: u32, peerWscale: i32, sackOk: bool,
                    tsOk: bool, tsVal: u32, tsEcr: u32, flags: u32): void {
  const userMss = <u32>l.userMss;
  const t = TX_L4;
  let o = t + <usize>TCP_HLEN;
  if (flags & SYN) {
    o = emitMss(o, userMss != 0 ? min(userMss, OUR_MSS) : OUR_MSS);
    if (peerWscale >= 0) o = emitWscale(o, ourWscale());
    if (sackOk) o = emitSackPerm(o);
  } else {
    iss++;
  }
  if (tsOk) o = emitTimestamps(o, tsVal, tsEcr);
  const hlen = <i32>(o - t);
  tcpEmit(t, l.port, rport, iss, ack, flags, min(l.rcvLimit, 0xffff), hlen);
  store<u16>(t + 16, bswap<u16>(<u16>transportChecksum(ourIp, rip, PROTO_TCP, t, hlen)));
  count(Stat.tcp_out);
  ipOutput(PROTO_TCP, rip, hlen, true);
}

function resendSynAck(i: i32): void {
  entrySend(i, SYN | ACK);
}

function entrySend(i: i32, flags: u32): void {
  const e = synAt(i);
  const l = listenerAt(<i32>e.listener);
  sendSynAck(l, e.rip, e.rport, e.iss, e.irs + 1, e.peerWscale, e.sackOk != 0, e.tsOk != 0, nowMs, e.tsRecent, flags);
}

function wantedOptions(): void {
  if (sysctl(Sysctl.tcp_window_scaling) == 0) opts.wscale = -1;
  if (sysctl(Sysctl.tcp_sack) == 0) opts.sackOk = false;
  if (sysctl(Sysctl.tcp_timestamps) == 0) opts.hasTs = false;
}

function answerWithCookie(li: i32, rip: u32, rport: u32, seq: u32): void {
  const l = listenerAt(li);
  const peerMss = opts.mss != 0 ? opts.mss : 536;
  const cookie = makeCookie(rip, rport, l.port, seq, mssIndexFor(peerMss));
  const tsVal = cookieTsVal(opts.wscale, opts.sackOk);
  count(Stat.syncookies_sent);
  sendSynAck(l, rip, rport, cookie, seq + 1, opts.wscale, opts.sackOk, opts.hasTs, tsVal, opts.tsVal, SYN | ACK);
}

function onSyn(li: i32, rip: u32, rport: u32, seq: u32): void {
  const l = listenerAt(li);
  if (acceptQueueFull(l)) { count(Stat.listen_overflows); count(Stat.listen_drops); return; }
  // No PCB could be had for this connection: a SYN-ACK (queued or cookie) would promise one. Stay
  // silent, as for a full accept queue; the peer retransmits its SYN and gets in when one frees.
  if (!pcbCouldAlloc()) { count(Stat.listen_no_pcb); count(Stat.listen_drops); return; }
  wantedOptions();
  const cookies = sysctl(Sysctl.tcp_syncookies);
  const queueFull = <i32>l.synCount >= sysctl(Sysctl.tcp_max_syn_backlog) || synQueue.used >= synQueue.size;
  if (cookies == 2 || (queueFull && cookies == 1)) { answerWithCookie(li, rip, rport, seq); return; }
  if (queueFull) { count(Stat.syn_queue_full); count(Stat.listen_drops); return; }
  const i = synQueue.alloc();
  const e = synAt(i);
  e.rip = rip;
  e.rport = <u16>rport;
  e.listener = <u8>li;
  e.irs = seq;
  e.iss = makeIsn(rip, rport, l.port);
  e.mss = <u16>(opts.mss != 0 ? opts.mss : 536);
  e.peerWscale = <i8>opts.wscale;
  e.sackOk = opts.sackOk ? 1 : 0;
  e.tsOk = opts.hasTs ? 1 : 0;
  e.tsRecent = opts.tsVal;
  e.deadline = deadlineIn(1000);                               // RFC 6298 §2.1 initial RTO
  l.synCount++;
  resendSynAck(i);
}

// Builds the established connection from a completed handshake and queues it for accept().
function spawn(li: i32, rip: u32, rport: u32, iss: u32, irs: u32, peerMss: u32, peerWscale: i32,
               sackOk: bool, tsOk: bool, tsRecent: u32): i32 {
  const l = listenerAt(li);
  const i = pcbAlloc();
  if (i < 0) return -1;
  const p = pcbAt(i);
  p.remoteIp = rip;
  p.remotePort = <u16>rport;
  p.localPort = l.port;
  p.flags = (l.flags & (F_NODELAY | F_KEEPALIVE | F_LINGER)) | F_PASSIVE | F_SYN_ACKED;
  p.sndLimit = l.sndLimit;
  p.rcvLimit = l.rcvLimit;
  p.keepIdle = l.keepIdle;
  p.keepIntvl = l.keepIntvl;
  p.keepCnt = l.keepCnt;
  p.lingerSec = l.lingerSec;
  p.iss = iss;
  p.sndUna = iss + 1;
  p.sndNxt = iss + 1;
  p.irs = irs;
  p.rcvNxt = irs + 1;
  p.rcvAdv = p.rcvNxt + min(p.rcvLimit, 0xffff);
  p.mss = <u16>min(min(peerMss, OUR_MSS), l.userMss != 0 ? <u32>l.userMss : OUR_MSS);
  if (peerWscale >= 0) {
    p.flags |= F_WSCALE;
    p.wsSnd = <u8>peerWscale;
    p.wsRcv = ourWscale();
  }
  if (sackOk) p.flags |= F_SACK;
  if (tsOk) {
    p.flags |= F_TS;
    p.tsRecent = tsRecent;
  }
  p.lastRecv = nowMs;
  rtoInit(p);
  ccInit(p);
  listMove(p, LIST_ACTIVE);
  setState(p, SYN_RCVD);
  setState(p, ESTABLISHED);
  count(Stat.tcp_passive_opens);
  acceptQueuePush(li, p);
  return i;
}

// Accept queue full at the final ACK: drop it (the SYN-ACK timer will resend and the peer's ACK
// comes again), or reset when tcp_abort_on_overflow says so.
function overflow(rip: u32, rport: u32, lport: u32, ack: u32, entry: i32): void {
  count(Stat.listen_overflows);
  if (sysctl(Sysctl.tcp_abort_on_overflow) != 0) {
    if (entry >= 0) synDrop(entry);
    sendRstReply(rip, rport, lport, ack, 0, false);
  }
}

// A segment for a half-open entry: passive SYN-RECEIVED, checked in RFC 9293 §3.10.7.4 order.
// Returns the new PCB when the handshake completed, or -1 when the segment was consumed.
function entryInput(li: i32, e: i32, seq: u32, ack: u32, flags: u32): i32 {
  const s = synAt(e);
  const l = listenerAt(li);
  // A retransmitted SYN: send the SYN-ACK again (Linux and FreeBSD; RFC 9293's bare ACK would
  // not give a peer that lost our SYN-ACK what it needs).
  if ((flags & (SYN | ACK)) == SYN && seq == s.irs) { resendSynAck(e); return -1; }
  // First check: outside the window we offered, an ACK in reply unless it is an RST.
  if (!segAcceptable(s.irs + 1, min(l.rcvLimit, 0xffff))) {
    if ((flags & RST) == 0 && challengeAllowed(false)) entrySend(e, ACK);
    return -1;
  }
  // Second check, RFC 5961 §3.2 (it exempts only SYN_SENT): an RST exactly at RCV.NXT returns the
  // passive open to LISTEN; one elsewhere in the window gets a challenge ACK (issue 18: any
  // in-window RST removed the entry).
  if (flags & RST) {
    if (seq == s.irs + 1) { count(Stat.tcp_attempt_fails); synDrop(e); }
    else if (challengeAllowed(true)) entrySend(e, ACK);
    return -1;
  }
  // Fourth check: a SYN in the window of a passive open returns it to LISTEN.
  if (flags & SYN) { count(Stat.tcp_attempt_fails); synDrop(e); return -1; }
  if ((flags & ACK) == 0) return -1;
  // Fifth check: the ACK must acknowledge our SYN exactly, else <SEQ=SEG.ACK><CTL=RST>. The segment
  // may be any in-window one (the pure ACK can be lost and data arrive first).
  if (ack != s.iss + 1) { sendRstReply(s.rip, s.rport, l.port, ack, 0, false); return -1; }
  if (acceptQueueFull(l)) { overflow(s.rip, s.rport, l.port, ack, e); return -1; }
  const i = spawn(li, s.rip, s.rport, s.iss, s.irs, s.mss, s.peerWscale, s.sackOk != 0, s.tsOk != 0, opts.hasTs ? opts.tsVal : s.tsRecent);
  if (i < 0) { noPcb(s.rip, s.rport, l.port, ack, e); return -1; }
  synDrop(e);
  return i;
}

// The final ACK of a handshake answered with a SYN cookie (no entry). Returns the new PCB or -1.
function onAck(li: i32, rip: u32, rport: u32, seq: u32, ack: u32): i32 {
  const l = listenerAt(li);
  if (sysctl(Sysctl.tcp_syncookies) == 0) { sendRstReply(rip, rport, l.port, ack, 0, false); return -1; }
  const mssIdx = checkCookie(rip, rport, l.port, seq - 1, ack - 1);
  if (mssIdx < 0) {
    count(Stat.syncookies_failed);
    sendRstReply(rip, rport, l.port, ack, 0, false);
    return -1;
  }
  if (acceptQueueFull(l)) { overflow(rip, rport, l.port, ack, -1); return -1; }
  count(Stat.syncookies_recv);
  const tsOk = opts.hasTs && sysctl(Sysctl.tcp_timestamps) != 0;
  const ws = tsOk ? cookieTsWscale(opts.tsEcr) : -1;
  const sack = tsOk && cookieTsSack(opts.tsEcr);
  const i = spawn(li, rip, rport, ack - 1, seq - 1, mssFromIndex(<u32>mssIdx), ws, sack, tsOk, opts.tsVal);
  if (i < 0) noPcb(rip, rport, l.port, ack, -1);
  return i;
}

// The final ACK found no PCB (the pool ran out since the SYN). A half-open entry stays and its
// SYN-ACK timer retries, unless tcp_abort_on_overflow says reset; a cookie connection has no state
// to keep, so the peer is told at once with an RST (Linux's abort_on_overflow behaviour) rather
// than learning it from an RST to its first data.
function noPcb(rip: u32, rport: u32, lport: u32, ack: u32, entry: i32): void {
  count(Stat.listen_no_pcb);
  if (entry >= 0 && sysctl(Sysctl.tcp_abort_on_overflow) == 0) return;
  if (entry >= 0) synDrop(entry);
  sendRstReply(rip, rport, lport, ack, 0, false);
}

// A segment for a listening port (RFC 9293 §3.10.7.2). Returns a PCB index when the segment
// completed a handshake and its remaining content (data, FIN) must be processed on it.
export function listenInput(li: i32, rip: u32, rport: u32, seq: u32, ack: u32, flags: u32): i32 {
  const e = synFind(li, rip, rport);
  if (e >= 0) return entryInput(li, e, seq, ack, flags);
  if (flags & RST) return -1;
  // SYN+FIN: dropped without a reply in LISTEN (Linux does the same; issue 18).
  if ((flags & (SYN | FIN)) == (SYN | FIN)) { count(Stat.tcp_hdr_err); return -1; }
  if (flags & ACK) {
    if (flags & SYN) { sendRstReply(rip, rport, listenerAt(li).port, ack, 0, false); return -1; }
    return onAck(li, rip, rport, seq, ack);
  }
  if (flags & SYN) onSyn(li, rip, rport, seq);
  return -1;
}

// Slow-timer work: SYN-ACK retransmission with backoff, then give up (tcp_synack_retries).
export function synQueueTimer(): void {
  for (let i = 0; i < MAX_SYN_QUEUE; i++) {
    if (!synQueue.isUsed(i)) continue;
    const e = synAt(i);
    if (!due(e.deadline)) continue;
    if (<i32>e.retries >= sysctl(Sysctl.tcp_synack_retries)) { synDrop(i); continue; }
    e.retries++;
    count(Stat.synack_retrans);
    arpSpeculative(true);                                      // never parked (link/arp_cache.ts)
    resendSynAck(i);
    arpSpeculative(false);
    e.deadline = deadlineIn(<u32>1000 << min(<u32>e.retries, 6));
  }
}

// Closing a listener: half-open entries vanish, queued connections are reset (RFC 9293 §3.10.4
// "any outstanding RECEIVEs ... reset").
export function listenerClose(li: i32): void {
  for (let i = 0; i < MAX_SYN_QUEUE; i++) {
    if (synQueue.isUsed(i) && <i32>synAt(i).listener == li) synDrop(i);
  }
  for (let n = 0; n < 256; n++) {
    const pi = acceptQueuePop(li);
    if (pi < 0) break;
    const p = pcbAt(pi);
    sendRstFor(p);
    pcbDestroy(p);
  }
  listeners.free(li);
}

// Per-listener count of SYN-queue entries (netstat) and pool consistency (invariants).
export function listenConsistent(): bool {
  if (!listeners.checkConsistent() || !synQueue.checkConsistent()) return false;
  for (let li = 0; li < MAX_LISTEN_PCBS; li++) {
    if (!listeners.isUsed(li)) continue;
    const l = listenerAt(li);
    let n = 0;
    let cur = l.accHead;
    while (cur != NIL) {
      if (<i32>pcbAt(cur).listener != li + 1) return false;
      if (++n > 255) return false;
      cur = pcbAt(cur).acceptNext;
    }
    if (n != <i32>l.accCount) return false;
    let s = 0;
    for (let i = 0; i < MAX_SYN_QUEUE; i++) if (synQueue.isUsed(i) && <i32>synAt(i).listener == li) s++;
    if (s != <i32>l.synCount) return false;
  }
  return true;
}

// Row data for netstat: SYN-queue entry i as (remote ip, remote port, local port), or false.
export function synEntryRow(i: i32, out: usize): bool {
  if (!synQueue.isUsed(i)) return false;
  const e = synAt(i);
  store<u32>(out, e.rip);
  store<u32>(out, e.rport, 4);
  store<u32>(out, listenerAt(<i32>e.listener).port, 8);
  return true;
}

export function synEntrySize(): u32 { return offsetof<SynEntry>(); }
