// The socket calls behind the ABI (docs/ABI.md): argument checks, state checks and error codes;
// the protocol work is in tcp/.
import { BLOCK_SIZE, MAX_BLOCKS, Sysctl, sysctl } from "../config";
import { inIoBuffer } from "../core/buf";
import { nowMs } from "../core/time";
import {
  EADDRNOTAVAIL, EAGAIN, EALREADY, EBADF, EFAULT, EINPROGRESS, EINVAL, EISCONN, EMFILE, ENETDOWN, ENOBUFS,
  ENOPROTOOPT, ENOTCONN, EOPNOTSUPP, EPIPE, OK,
} from "../errors";
import { linkUp, ourIp } from "../link/netif";
import { count, Stat } from "../stats";
import {
  CLOSED, CLOSE_WAIT, ESTABLISHED, SHUT_RD, SHUT_RDWR, SHUT_WR, SO_ERROR, SO_KEEPALIVE, SO_LINGER, SO_RCVBUF,
  SO_REUSEADDR, SO_SNDBUF, SYN_RCVD, SYN_SENT, TCP_KEEPCNT, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_MAXSEG, TCP_NODELAY,
} from "./constants";
import { KIND_LISTEN, KIND_TCP, handleOf, sockAlloc, sockAt, sockFree, sockets, slotOf } from "./sockets";
import {
  F_ACK_NOW, F_ACKED_DATA_EVENT, F_FIN_QUEUED, F_FIN_RCVD, F_KEEPALIVE, F_LINGER, F_NODELAY, F_RCV_SHUT, F_REUSEADDR,
  F_SACK, F_TS, F_WSCALE, LIST_ACTIVE, LIST_BOUND, LIST_UNBOUND, Pcb, listMove, pcbAlloc, pcbAt, pcbFree,
  rcvq, setState, sndq,
} from "../tcp/pcb";
import { OUR_MSS, sendAck, sendSyn, tcpOutput, windowUpdateWorthIt } from "../tcp/output";
import { caState, ccInit, rtoInit, rttStamp } from "../tcp/congestion";
import { makeIsn } from "../tcp/isn";
import { bindConflict, claimTuple, listenConflict, pickEphemeral, reusedTw, reusedTwSndNxt } from "../tcp/ports";
import {
  Listener, acceptQueuePop, listenerAt, listenerClose, listeners, ourWscale,
} from "../tcp/listen";
import { closeByApp, closeReceiveSide, closeSendSide, pcbDestroy } from "../tcp/close";
import { sendRstFor } from "../tcp/output";
import { seqGt } from "../core/seq";
import { MIN_MSS } from "../wire/tcp_options";

const MAX_BUF: i32 = MAX_BLOCKS * BLOCK_SIZE;

// The PCB of a connection handle, or null.
function tcpOf(h: i32): Pcb | null {
  const i = pcbOr(h);
  return i < 0 ? null : pcbAt(i);
}

// The PCB index of a connection handle, or EBADF (no such handle) / EOPNOTSUPP (not a connection).
function pcbOr(h: i32): i32 {
  const s = slotOf(h);
  if (s < 0) return EBADF;
  return sockAt(s).kind == KIND_TCP ? <i32>sockAt(s).index : EOPNOTSUPP;
}

// The slot of a TCP connection or listener handle, or EBADF / EOPNOTSUPP.
function tcpSlotOr(h: i32): i32 {
  const s = slotOf(h);
  if (s < 0) return EBADF;
  return sockAt(s).kind <= KIND_LISTEN ? s : EOPNOTSUPP;
}

// The listener index of a handle, or EBADF / EOPNOTSUPP (not a listener).
function listenerOr(h: i32): i32 {
  const s = slotOf(h);
  if (s < 0) return EBADF;
  return sockAt(s).kind == KIND_LISTEN ? <i32>sockAt(s).index : EOPNOTSUPP;
}


export function tcpSocket(): i32 {
  if (sockets.used >= sockets.size) { count(Stat.pool_fail_socket); return EMFILE; }
  const i = pcbAlloc();
  if (i < 0) return ENOBUFS;
  const s = sockAlloc(KIND_TCP, i);
  pcbAt(i).sock = <u8>(s + 1);
  return handleOf(s);
}

export function tcpBind(h: i32, ip: u32, port: u32): i32 {
  const i = pcbOr(h);
  if (i < 0) return i;
  const p = pcbAt(i);
  if (p.state != CLOSED || p.list != LIST_UNBOUND) return EINVAL;
  if (ip != 0 && ip != ourIp) return EADDRNOTAVAIL;
  if (port > 0xffff) return EINVAL;
  if (port == 0) {
    const e = pickEphemeral(0, 0, p);
    if (e < 0) return e;
    port = <u32>e;
  } else {
    const c = bindConflict(port, p);
    if (c < 0) return c;
  }
  p.localPort = <u16>port;
  listMove(p, LIST_BOUND);
  return OK;
}

export function tcpListen(h: i32, backlog: i32): i32 {
  const s = tcpSlotOr(h);
  if (s < 0) return s;
  if (sockAt(s).kind == KIND_LISTEN) {              // listen() again: adjust the backlog
    listenerAt(<i32>sockAt(s).index).backlog = <u16>clampBacklog(backlog);
    return OK;
  }
  const p = pcbAt(<i32>sockAt(s).index);
  if (p.state != CLOSED || p.list == LIST_ACTIVE) return EINVAL;
  if (p.list == LIST_UNBOUND) {
    const e = pickEphemeral(0, 0, p);
    if (e < 0) return e;
    p.localPort = <u16>e;
  }
  const c = listenConflict(p.localPort, (p.flags & F_REUSEADDR) != 0, p);
  if (c < 0) return c;
  const li = listeners.alloc();
  if (li < 0) return ENOBUFS;
  copyToListener(p, listenerAt(li), backlog, s);
  pcbFree(p);
  sockAt(s).kind = KIND_LISTEN;
  sockAt(s).index = <u8>li;
  return OK;
}

function clampBacklog(b: i32): i32 {
  return b < 1 ? 1 : (b > 255 ? 255 : b);
}

function copyToListener(p: Pcb, l: Listener, backlog: i32, slot: i32): void {
  l.port = p.localPort;
  l.backlog = <u16>clampBacklog(backlog);
  l.sock = <u8>(slot + 1);
  l.accHead = 0xff;
  l.accTail = 0xff;
  optsFromPcb(p);
  optsToListener(l);
}

export function tcpAccept(h: i32): i32 {
  const li = listenerOr(h);
  if (li < 0) return li;
  if (listenerAt(li).accCount == 0) return EAGAIN;
  if (sockets.used >= sockets.size) { count(Stat.pool_fail_socket); return EMFILE; }
  const pi = acceptQueuePop(li);
  const s = sockAlloc(KIND_TCP, pi);
  pcbAt(pi).sock = <u8>(s + 1);
  return handleOf(s);
}

export function tcpConnect(h: i32, ip: u32, port: u32): i32 {
  const i = pcbOr(h);
  if (i < 0) return i;
  const p = pcbAt(i);
  if (p.state == SYN_SENT || p.state == SYN_RCVD) return EALREADY;
  if (p.state != CLOSED) return EISCONN;
  if (ip == 0 || port == 0 || port > 0xffff || ip == ourIp || ip == 0xffffffff) return EINVAL;
  if (!linkUp) return ENETDOWN;
  reusedTw = false;
  if (p.list == LIST_BOUND) {
    const c = claimTuple(p.localPort, ip, port, p);
    if (c < 0) return c;
  } else {
    const e = pickEphemeral(ip, port, p);
    if (e < 0) return e;
    p.localPort = <u16>e;
  }
  startActiveOpen(p, ip, port);
  return EINPROGRESS;
}

function startActiveOpen(p: Pcb, ip: u32, port: u32): void {
  p.remoteIp = ip;
  p.remotePort = <u16>port;
  p.iss = makeIsn(ip, port, p.localPort);
  // A reused TIME_WAIT tuple: start above the old incarnation's window (as Linux does).
  if (reusedTw && !seqGt(p.iss, reusedTwSndNxt + 65537)) p.iss = reusedTwSndNxt + 65537;
  p.sndUna = p.iss;
  p.sndNxt = p.iss + 1;
  p.soError = 0;
  p.flags &= F_NODELAY | F_KEEPALIVE | F_REUSEADDR | F_LINGER;
  if (sysctl(Sysctl.tcp_window_scaling) != 0) { p.flags |= F_WSCALE; p.wsRcv = ourWscale(); }
  if (sysctl(Sysctl.tcp_sack) != 0) p.flags |= F_SACK;
  if (sysctl(Sysctl.tcp_timestamps) != 0) p.flags |= F_TS;
  rtoInit(p);
  ccInit(p);
  p.lastRecv = nowMs;
  listMove(p, LIST_ACTIVE);
  setState(p, SYN_SENT);
  count(Stat.tcp_active_opens);
  p.rttStart = rttStamp();
  sendSyn(p);
}

function sendableState(p: Pcb): bool {
  const s = p.state;
  return s == ESTABLISHED || s == CLOSE_WAIT || s == SYN_SENT || s == SYN_RCVD;
}

// Why p cannot queue data now (0 when it can): the checks of tcp_send and tcp_send_reserve.
function sendError(p: Pcb): i32 {
  if (p.soError != 0) return -(<i32>p.soError);
  if ((p.flags & F_FIN_QUEUED) != 0) return EPIPE;
  if (!sendableState(p)) return p.state == CLOSED ? ENOTCONN : EPIPE;
  return OK;
}

export function tcpSend(h: i32, ptr: u32, len: i32): i32 {
  const i = pcbOr(h);
  if (i < 0) return i;
  const p = pcbAt(i);
  if (len < 0 || !inIoBuffer(ptr, <u32>len)) return EFAULT;
  const e = sendError(p);
  if (e != OK) return e;
  if (len == 0) return 0;
  const n = sndq(p).append(ptr, <u32>len, p.sndLimit);
  if (<i32>n < len) p.flags |= F_ACKED_DATA_EVENT;
  if (n == 0) return EAGAIN;
  tcpOutput(p);
  return <i32>n;
}

// What tcp_recv and tcp_recv_peek return when nothing is queued: 0 at end of stream, or an error.
function recvEmpty(p: Pcb): i32 {
  if ((p.flags & (F_FIN_RCVD | F_RCV_SHUT)) != 0) return 0;
  if (p.soError != 0) return -(<i32>p.soError);
  if (p.state == CLOSED) return ENOTCONN;
  return EAGAIN;
}

// Drops n read bytes; RFC 9293 §3.8.6.2.2: tells the peer when that opened the window enough,
// and (as Linux's tcp_cleanup_rbuf) only once the window it knows is down to half the buffer:
// before that the ACKs of arriving data carry the new window, and a read of 1 KiB at a time
// (tcp_recv_consume) would otherwise send an update every few reads. A read that empties the
// queue tells it too: Linux reads a burst in one call and updates at its end, an application
// here reads it through the I/O buffer in pieces, and the update sent at the first piece left the
// peer a window short by the rest until the next ACK of data (bench: 25-31 segments per round
// trip against a 64 KiB window instead of 44). An ACK still owed (held for a reply, output.ts
// holdAck) carries the window when it goes: no separate update then.
function consumed(p: Pcb, n: u32): void {
  rcvq(p).consume(n);
  if (p.state == CLOSED || (p.flags & F_ACK_NOW) != 0) return;
  const known = p.rcvAdv - p.rcvNxt;
  const half = p.rcvLimit >> 1;
  // (An update opens at most rcvLimit - known: a drained queue below the threshold is not asked.)
  if ((known <= half || p.rcvLen == 0 && p.rcvLimit - known >= min(half, OUR_MSS << 1)) && windowUpdateWorthIt(p)) sendAck(p);
}

export function tcpRecv(h: i32, ptr: u32, len: i32): i32 {
  const i = pcbOr(h);
  if (i < 0) return i;
  const p = pcbAt(i);
  if (len < 0 || !inIoBuffer(ptr, <u32>len)) return EFAULT;
  const q = rcvq(p);
  if (q.len == 0) return recvEmpty(p);
  const n = min(<u32>len, q.len);
  q.readAt(0, ptr, n);
  consumed(p, n);
  return <i32>n;
}

// ---- zero-copy calls (docs/ABI.md "Zero-copy"): the application reads and writes the socket
// buffers in place. One send reservation is outstanding per stack: a reserve replaces the last one.

let zcHandle: i32 = 0;     // handle of the outstanding reservation (0: none)
let zcAddr: u32 = 0;       // its address (where sndq's tail stays while ACKs consume its head)
let zcLen: u32 = 0;        // bytes reserved

// Up to max contiguous bytes in place: the send stream's tail to fill (send) or the receive
// stream's head to read; their address is stored at out (4 bytes in io_buffer). Returns how many,
// or an error: EAGAIN when the send buffer is full or nothing was received; 0 at end of stream.
export function tcpWindow(h: i32, max: i32, out: u32, send: bool): i32 {
  const i = pcbOr(h);
  if (i < 0) return i;
  const p = pcbAt(i);
  if (max <= 0) return EINVAL;
  if (!inIoBuffer(out, 4)) return EFAULT;
  let q = rcvq(p);
  let n = q.len;
  if (send) {
    const e = sendError(p);
    if (e != OK) return e;
    q = sndq(p);
    if (q.len >= p.sndLimit || !q.reserve(q.len + 1)) { p.flags |= F_ACKED_DATA_EVENT; return EAGAIN; }
    n = p.sndLimit - q.len;
  } else if (n == 0) return recvEmpty(p);
  const off = send ? q.len : 0;
  const at = <u32>q.addrAt(off);
  store<u32>(out, at);
  n = min(min(<u32>max, n), q.contiguousAt(off));
  if (send) { zcHandle = h; zcAddr = at; zcLen = n; }
  return <i32>n;
}

// Queues the first n bytes of the reservation and sends what may go (send: n 0 cancels; EINVAL
// when h holds no reservation, n exceeds it, or a tcp_send since moved the tail), or drops n bytes read in
// place from the receive stream (EINVAL beyond what is queued). Returns n or an error.
export function tcpAdvance(h: i32, n: i32, send: bool): i32 {
  const i = pcbOr(h);
  if (i < 0) return i;
  const p = pcbAt(i);
  if (!send) {
    if (n < 0 || <u32>n > rcvq(p).len) return EINVAL;
    consumed(p, <u32>n);
    return n;
  }
  const q = sndq(p);
  if (h != zcHandle || n < 0 || <u32>n > zcLen) return EINVAL;
  zcHandle = 0;
  const e = sendError(p);
  if (e != OK || n == 0) return e;
  if (q.capacity - q.len < <u32>n || <u32>q.addrAt(q.len) != zcAddr) return EINVAL;
  q.len += <u32>n;
  tcpOutput(p);
  return n;
}

export function tcpShutdown(h: i32, how: i32): i32 {
  const p = tcpOf(h);
  if (p == null) return slotOf(h) < 0 ? EBADF : ENOTCONN;
  if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return EINVAL;
  if (p.state == CLOSED || p.state == SYN_SENT) return ENOTCONN;
  if (how != SHUT_WR) closeReceiveSide(p);
  if (how != SHUT_RD) closeSendSide(p);
  return OK;
}

export function tcpClose(h: i32): i32 {
  const s = tcpSlotOr(h);
  if (s < 0) return s;
  const k = sockAt(s);
  if (k.kind == KIND_LISTEN) listenerClose(<i32>k.index);
  else closeByApp(pcbAt(<i32>k.index));
  sockFree(s);
  return OK;
}

export function tcpAbort(h: i32): i32 {
  const s = tcpSlotOr(h);
  if (s < 0) return s;
  const k = sockAt(s);
  if (k.kind == KIND_LISTEN) {
    listenerClose(<i32>k.index);
  } else {
    const p = pcbAt(<i32>k.index);
    sendRstFor(p);
    pcbDestroy(p);
  }
  sockFree(s);
  return OK;
}

export function tcpState(h: i32): i32 {
  const s = tcpSlotOr(h);
  if (s < 0) return s;
  if (sockAt(s).kind == KIND_LISTEN) return 1;
  return <i32>pcbAt(<i32>sockAt(s).index).state;
}

// ---- options ----

// The options a connection and a listener both keep, staged here by tcpSetsockopt (loaded from
// the socket, changed by optSet, stored back when it succeeds) and by listen (PCB to listener).
let oFlags: u32 = 0, oRcv: u32 = 0, oSnd: u32 = 0;
let oLinger: u16 = 0, oMss: u16 = 0, oIdle: u16 = 0, oIntvl: u16 = 0;
let oCnt: u8 = 0;

export function tcpSetsockopt(h: i32, opt: i32, val: i32): i32 {
  const s = tcpSlotOr(h);
  if (s < 0) return s;
  const i = <i32>sockAt(s).index;
  if (sockAt(s).kind == KIND_LISTEN) {
    const l = listenerAt(i);
    optsFromListener(l);
    const r = optSet(opt, val);
    if (r == OK) optsToListener(l);
    return r;
  }
  const p = pcbAt(i);
  if (opt == TCP_MAXSEG && p.state != CLOSED) return EINVAL;   // the MSS is agreed on at the handshake
  optsFromPcb(p);
  const r = optSet(opt, val);
  if (r != OK) return r;
  p.flags = oFlags; p.rcvLimit = oRcv; p.sndLimit = oSnd; p.lingerSec = oLinger; p.mss = oMss;
  p.keepIdle = oIdle; p.keepIntvl = oIntvl; p.keepCnt = oCnt;
  if (opt == TCP_NODELAY && val != 0) tcpOutput(p);           // queued small segments may go now
  return OK;
}

function optsFromPcb(p: Pcb): void {
  oFlags = p.flags; oRcv = p.rcvLimit; oSnd = p.sndLimit; oLinger = p.lingerSec; oMss = p.mss;
  oIdle = p.keepIdle; oIntvl = p.keepIntvl; oCnt = p.keepCnt;
}

function optsFromListener(l: Listener): void {
  oFlags = l.flags; oRcv = l.rcvLimit; oSnd = l.sndLimit; oLinger = l.lingerSec; oMss = l.userMss;
  oIdle = l.keepIdle; oIntvl = l.keepIntvl; oCnt = l.keepCnt;
}

function optsToListener(l: Listener): void {
  l.flags = oFlags; l.rcvLimit = oRcv; l.sndLimit = oSnd; l.lingerSec = oLinger; l.userMss = oMss;
  l.keepIdle = oIdle; l.keepIntvl = oIntvl; l.keepCnt = oCnt;
}

function setFlag(f: u32, on: bool): void {
  if (on) oFlags |= f;
  else oFlags &= ~f;
}

// Checks val for opt and changes the staged options; OK, EINVAL or ENOPROTOOPT.
function optSet(opt: i32, val: i32): i32 {
  if (opt == SO_REUSEADDR) setFlag(F_REUSEADDR, val != 0);
  else if (opt == SO_KEEPALIVE) setFlag(F_KEEPALIVE, val != 0);
  else if (opt == TCP_NODELAY) setFlag(F_NODELAY, val != 0);
  else if (opt == SO_LINGER) {
    if (val > 0xffff) return EINVAL;
    setFlag(F_LINGER, val >= 0);
    oLinger = val >= 0 ? <u16>val : 0;
  } else if (opt == SO_RCVBUF || opt == SO_SNDBUF) {
    if (val <= 0) return EINVAL;
    const v = <u32>min(max(val, BLOCK_SIZE), MAX_BUF);
    if (opt == SO_RCVBUF) oRcv = v;
    else oSnd = v;
  } else if (opt == TCP_MAXSEG) {
    if (val < <i32>MIN_MSS || val > <i32>OUR_MSS) return EINVAL;
    oMss = <u16>val;
  } else if (opt == TCP_KEEPIDLE || opt == TCP_KEEPINTVL) {
    if (val < 1 || val > 32767) return EINVAL;
    if (opt == TCP_KEEPIDLE) oIdle = <u16>val;
    else oIntvl = <u16>val;
  } else if (opt == TCP_KEEPCNT) {
    if (val < 1 || val > 127) return EINVAL;
    oCnt = <u8>val;
  } else {
    return opt == SO_ERROR ? EINVAL : ENOPROTOOPT;
  }
  return OK;
}

export function tcpGetsockopt(h: i32, opt: i32): i32 {
  const s = tcpSlotOr(h);
  if (s < 0) return s;
  const i = <i32>sockAt(s).index;
  if (sockAt(s).kind == KIND_LISTEN) {
    if (opt == SO_ERROR) return 0;
    optsFromListener(listenerAt(i));
  } else {
    const p = pcbAt(i);
    if (opt == SO_ERROR) { const e = <i32>p.soError; p.soError = 0; return e; }
    optsFromPcb(p);
  }
  return optGet(opt);
}

function flagOn(f: u32): i32 {
  return (oFlags & f) != 0 ? 1 : 0;
}

// An option's value from the staged options (0 = the default).
function optGet(opt: i32): i32 {
  if (opt == SO_REUSEADDR) return flagOn(F_REUSEADDR);
  if (opt == SO_KEEPALIVE) return flagOn(F_KEEPALIVE);
  if (opt == SO_LINGER) return (oFlags & F_LINGER) != 0 ? <i32>oLinger : -1;
  if (opt == SO_RCVBUF) return <i32>oRcv;
  if (opt == SO_SNDBUF) return <i32>oSnd;
  if (opt == TCP_NODELAY) return flagOn(F_NODELAY);
  if (opt == TCP_MAXSEG) return oMss != 0 ? <i32>oMss : <i32>OUR_MSS;
  if (opt == TCP_KEEPIDLE) return oIdle != 0 ? <i32>oIdle : sysctl(Sysctl.tcp_keepalive_time);
  if (opt == TCP_KEEPINTVL) return oIntvl != 0 ? <i32>oIntvl : sysctl(Sysctl.tcp_keepalive_intvl);
  if (opt == TCP_KEEPCNT) return oCnt != 0 ? <i32>oCnt : sysctl(Sysctl.tcp_keepalive_probes);
  return ENOPROTOOPT;
}

// ---- read-outs ----

export function tcpInfo(h: i32, ptr: u32): i32 {
  const s = tcpSlotOr(h);
  if (s < 0) return s;
  if (!inIoBuffer(ptr, 68)) return EFAULT;
  memory.fill(ptr, 0, 68);
  if (sockAt(s).kind == KIND_LISTEN) { store<u32>(ptr, 1); return OK; }
  const p = pcbAt(<i32>sockAt(s).index);
  store<u32>(ptr, p.state);
  store<u32>(ptr, p.rto, 4);
  store<u32>(ptr, <u32>(p.srtt >> 3), 8);
  store<u32>(ptr, <u32>(p.rttvar >> 2), 12);
  store<u32>(ptr, p.cwnd, 16);
  store<u32>(ptr, p.ssthresh, 20);
  store<u32>(ptr, p.backoff, 24);
  store<u32>(ptr, p.totalRetrans, 28);
  store<u32>(ptr, p.sndNxt - p.sndUna, 32);
  store<u32>(ptr, sndq(p).len, 36);
  store<u32>(ptr, rcvq(p).len, 40);
  store<u32>(ptr, p.mss, 44);
  store<u32>(ptr, p.sndWnd, 48);
  store<u32>(ptr, p.rcvAdv - p.rcvNxt, 52);
  store<u32>(ptr, ((p.flags & F_TS) != 0 ? 1 : 0) | ((p.flags & F_SACK) != 0 ? 2 : 0) | ((p.flags & F_WSCALE) != 0 ? 4 : 0), 56);
  store<u32>(ptr, <u32>p.wsSnd | (<u32>p.wsRcv << 8), 60);
  store<u32>(ptr, caState(p), 64);
  return OK;
}

export function tcpPeer(h: i32, ptr: u32): i32 {
  const s = tcpSlotOr(h);
  if (s < 0) return s;
  if (!inIoBuffer(ptr, 16)) return EFAULT;
  const i = <i32>sockAt(s).index;
  let port: u32 = 0, rip: u32 = 0, rport: u32 = 0;
  if (sockAt(s).kind == KIND_LISTEN) {
    port = listenerAt(i).port;
  } else {
    const p = pcbAt(i);
    port = p.localPort;
    rip = p.remoteIp;
    rport = p.remotePort;
  }
  store<u32>(ptr, ourIp);
  store<u32>(ptr, port, 4);
  store<u32>(ptr, rip, 8);
  store<u32>(ptr, rport, 12);
  return OK;
}


