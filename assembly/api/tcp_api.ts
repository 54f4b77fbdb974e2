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
import { KIND_LISTEN, KIND_TCP, handleOf, sockAlloc, sockAt, sockFree, sockets, slotOf, tcpSlotOf } from "./sockets";
import {
  F_ACKED_DATA_EVENT, F_FIN_QUEUED, F_FIN_RCVD, F_KEEPALIVE, F_LINGER, F_NODELAY, F_RCV_SHUT, F_REUSEADDR,
  F_SACK, F_TS, F_WSCALE, LIST_ACTIVE, LIST_BOUND, LIST_UNBOUND, Pcb, listMove, pcbAlloc, pcbAt, pcbFree,
  rcvq, setState, sndq,
} from "../tcp/pcb";
import { OUR_MSS, sendAck, sendSyn, tcpOutput, windowUpdateWorthIt } from "../tcp/output";
import { caState, ccInit, rtoInit } from "../tcp/congestion";
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

// The PCB of a connection handle, or null (the caller returns EBADF / EOPNOTSUPP).
function tcpOf(h: i32): Pcb | null {
  const s = slotOf(h);
  if (s < 0 || sockAt(s).kind != KIND_TCP) return null;
  return pcbAt(<i32>sockAt(s).index);
}

function listenerOf(h: i32): i32 {
  const s = slotOf(h);
  if (s < 0 || sockAt(s).kind != KIND_LISTEN) return -1;
  return <i32>sockAt(s).index;
}

// @ts-ignore: decorator
@inline function badHandle(h: i32): i32 { return slotOf(h) < 0 ? EBADF : EOPNOTSUPP; }

export function tcpSocket(): i32 {
  if (sockets.used >= sockets.size) { count(Stat.pool_fail_socket); return EMFILE; }
  const i = pcbAlloc();
  if (i < 0) return ENOBUFS;
  const s = sockAlloc(KIND_TCP, i);
  pcbAt(i).sock = <u8>(s + 1);
  return handleOf(s);
}

export function tcpBind(h: i32, ip: u32, port: u32): i32 {
  const p = tcpOf(h);
  if (p == null) return badHandle(h);
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
  const s = tcpSlotOf(h);
  if (s < 0) return badHandle(h);
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
  l.flags = p.flags;
  l.sndLimit = p.sndLimit;
  l.rcvLimit = p.rcvLimit;
  l.keepIdle = p.keepIdle;
  l.keepIntvl = p.keepIntvl;
  l.keepCnt = p.keepCnt;
  l.lingerSec = p.lingerSec;
  l.userMss = p.mss;
}

export function tcpAccept(h: i32): i32 {
  const li = listenerOf(h);
  if (li < 0) return badHandle(h);
  if (listenerAt(li).accCount == 0) return EAGAIN;
  if (sockets.used >= sockets.size) { count(Stat.pool_fail_socket); return EMFILE; }
  const pi = acceptQueuePop(li);
  const s = sockAlloc(KIND_TCP, pi);
  pcbAt(pi).sock = <u8>(s + 1);
  return handleOf(s);
}

export function tcpConnect(h: i32, ip: u32, port: u32): i32 {
  const p = tcpOf(h);
  if (p == null) return badHandle(h);
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
  p.rttStart = nowMs | 1;
  sendSyn(p);
}

function sendableState(p: Pcb): bool {
  const s = p.state;
  return s == ESTABLISHED || s == CLOSE_WAIT || s == SYN_SENT || s == SYN_RCVD;
}

export function tcpSend(h: i32, ptr: u32, len: i32): i32 {
  const p = tcpOf(h);
  if (p == null) return badHandle(h);
  if (len < 0 || !inIoBuffer(ptr, <u32>len)) return EFAULT;
  if (p.soError != 0) return -(<i32>p.soError);
  if ((p.flags & F_FIN_QUEUED) != 0) return EPIPE;
  if (!sendableState(p)) return p.state == CLOSED ? ENOTCONN : EPIPE;
  if (len == 0) return 0;
  const n = sndq(p).append(ptr, <u32>len, p.sndLimit);
  if (<i32>n < len) p.flags |= F_ACKED_DATA_EVENT;
  if (n == 0) return EAGAIN;
  tcpOutput(p);
  return <i32>n;
}

export function tcpRecv(h: i32, ptr: u32, len: i32): i32 {
  const p = tcpOf(h);
  if (p == null) return badHandle(h);
  if (len < 0 || !inIoBuffer(ptr, <u32>len)) return EFAULT;
  const q = rcvq(p);
  if (q.len > 0) {
    const n = min(<u32>len, q.len);
    q.readAt(0, ptr, n);
    q.consume(n);
    // RFC 9293 §3.8.6.2.2: tell the peer when reading opened the window enough.
    if (p.state != CLOSED && windowUpdateWorthIt(p)) sendAck(p);
    return <i32>n;
  }
  if ((p.flags & (F_FIN_RCVD | F_RCV_SHUT)) != 0) return 0;
  if (p.soError != 0) return -(<i32>p.soError);
  if (p.state == CLOSED) return ENOTCONN;
  return EAGAIN;
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
  const s = tcpSlotOf(h);
  if (s < 0) return badHandle(h);
  const k = sockAt(s);
  if (k.kind == KIND_LISTEN) listenerClose(<i32>k.index);
  else closeByApp(pcbAt(<i32>k.index));
  sockFree(s);
  return OK;
}

export function tcpAbort(h: i32): i32 {
  const s = tcpSlotOf(h);
  if (s < 0) return badHandle(h);
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
  const s = tcpSlotOf(h);
  if (s < 0) return badHandle(h);
  if (sockAt(s).kind == KIND_LISTEN) return 1;
  return <i32>pcbAt(<i32>sockAt(s).index).state;
}

// ---- options ----

function setFlag(p: Pcb, f: u32, on: bool): void {
  if (on) p.flags |= f;
  else p.flags &= ~f;
}

export function tcpSetsockopt(h: i32, opt: i32, val: i32): i32 {
  const s = tcpSlotOf(h);
  if (s < 0) return badHandle(h);
  if (sockAt(s).kind == KIND_LISTEN) return listenerSetsockopt(listenerAt(<i32>sockAt(s).index), opt, val);
  const p = pcbAt(<i32>sockAt(s).index);
  if (opt == SO_REUSEADDR) setFlag(p, F_REUSEADDR, val != 0);
  else if (opt == SO_KEEPALIVE) setFlag(p, F_KEEPALIVE, val != 0);
  else if (opt == SO_LINGER) {
    if (val > 0xffff) return EINVAL;
    setFlag(p, F_LINGER, val >= 0);
    p.lingerSec = val >= 0 ? <u16>val : 0;
  } else if (opt == SO_RCVBUF || opt == SO_SNDBUF) {
    if (val <= 0) return EINVAL;
    const v = <u32>min(max(val, BLOCK_SIZE), MAX_BUF);
    if (opt == SO_RCVBUF) p.rcvLimit = v;
    else p.sndLimit = v;
  } else if (opt == TCP_NODELAY) {
    setFlag(p, F_NODELAY, val != 0);
    if (val != 0) tcpOutput(p);
  } else if (opt == TCP_MAXSEG) {
    if (p.state != CLOSED || val < <i32>MIN_MSS || val > <i32>OUR_MSS) return EINVAL;
    p.mss = <u16>val;
  } else if (opt == TCP_KEEPIDLE || opt == TCP_KEEPINTVL) {
    if (val < 1 || val > 32767) return EINVAL;
    if (opt == TCP_KEEPIDLE) p.keepIdle = <u16>val;
    else p.keepIntvl = <u16>val;
  } else if (opt == TCP_KEEPCNT) {
    if (val < 1 || val > 127) return EINVAL;
    p.keepCnt = <u8>val;
  } else if (opt == SO_ERROR) {
    return EINVAL;
  } else {
    return ENOPROTOOPT;
  }
  return OK;
}

function listenerSetsockopt(l: Listener, opt: i32, val: i32): i32 {
  if (opt == SO_REUSEADDR || opt == SO_KEEPALIVE || opt == TCP_NODELAY || opt == SO_LINGER) {
    const f = opt == SO_REUSEADDR ? F_REUSEADDR : opt == SO_KEEPALIVE ? F_KEEPALIVE : opt == TCP_NODELAY ? F_NODELAY : F_LINGER;
    if (opt == SO_LINGER) {
      if (val > 0xffff) return EINVAL;
      l.lingerSec = val >= 0 ? <u16>val : 0;
      if (val >= 0) l.flags |= f; else l.flags &= ~f;
    } else if (val != 0) l.flags |= f;
    else l.flags &= ~f;
    return OK;
  }
  if (opt == SO_RCVBUF || opt == SO_SNDBUF) {
    if (val <= 0) return EINVAL;
    const v = <u32>min(max(val, BLOCK_SIZE), MAX_BUF);
    if (opt == SO_RCVBUF) l.rcvLimit = v; else l.sndLimit = v;
    return OK;
  }
  if (opt == TCP_KEEPIDLE || opt == TCP_KEEPINTVL) {
    if (val < 1 || val > 32767) return EINVAL;
    if (opt == TCP_KEEPIDLE) l.keepIdle = <u16>val; else l.keepIntvl = <u16>val;
    return OK;
  }
  if (opt == TCP_KEEPCNT) {
    if (val < 1 || val > 127) return EINVAL;
    l.keepCnt = <u8>val;
    return OK;
  }
  if (opt == TCP_MAXSEG) {
    if (val < <i32>MIN_MSS || val > <i32>OUR_MSS) return EINVAL;
    l.userMss = <u16>val;
    return OK;
  }
  if (opt == SO_ERROR) return EINVAL;
  return ENOPROTOOPT;
}

export function tcpGetsockopt(h: i32, opt: i32): i32 {
  const s = tcpSlotOf(h);
  if (s < 0) return badHandle(h);
  if (sockAt(s).kind == KIND_LISTEN) return listenerGetsockopt(listenerAt(<i32>sockAt(s).index), opt);
  const p = pcbAt(<i32>sockAt(s).index);
  if (opt == SO_REUSEADDR) return (p.flags & F_REUSEADDR) != 0 ? 1 : 0;
  if (opt == SO_KEEPALIVE) return (p.flags & F_KEEPALIVE) != 0 ? 1 : 0;
  if (opt == SO_LINGER) return (p.flags & F_LINGER) != 0 ? <i32>p.lingerSec : -1;
  if (opt == SO_RCVBUF) return <i32>p.rcvLimit;
  if (opt == SO_SNDBUF) return <i32>p.sndLimit;
  if (opt == SO_ERROR) { const e = <i32>p.soError; p.soError = 0; return e; }
  if (opt == TCP_NODELAY) return (p.flags & F_NODELAY) != 0 ? 1 : 0;
  if (opt == TCP_MAXSEG) return p.mss != 0 ? <i32>p.mss : <i32>OUR_MSS;
  if (opt == TCP_KEEPIDLE) return p.keepIdle != 0 ? <i32>p.keepIdle : sysctl(Sysctl.tcp_keepalive_time);
  if (opt == TCP_KEEPINTVL) return p.keepIntvl != 0 ? <i32>p.keepIntvl : sysctl(Sysctl.tcp_keepalive_intvl);
  if (opt == TCP_KEEPCNT) return p.keepCnt != 0 ? <i32>p.keepCnt : sysctl(Sysctl.tcp_keepalive_probes);
  return ENOPROTOOPT;
}

function listenerGetsockopt(l: Listener, opt: i32): i32 {
  if (opt == SO_REUSEADDR) return (l.flags & F_REUSEADDR) != 0 ? 1 : 0;
  if (opt == SO_KEEPALIVE) return (l.flags & F_KEEPALIVE) != 0 ? 1 : 0;
  if (opt == SO_LINGER) return (l.flags & F_LINGER) != 0 ? <i32>l.lingerSec : -1;
  if (opt == SO_RCVBUF) return <i32>l.rcvLimit;
  if (opt == SO_SNDBUF) return <i32>l.sndLimit;
  if (opt == SO_ERROR) return 0;
  if (opt == TCP_NODELAY) return (l.flags & F_NODELAY) != 0 ? 1 : 0;
  if (opt == TCP_MAXSEG) return l.userMss != 0 ? <i32>l.userMss : <i32>OUR_MSS;
  if (opt == TCP_KEEPIDLE) return l.keepIdle != 0 ? <i32>l.keepIdle : sysctl(Sysctl.tcp_keepalive_time);
  if (opt == TCP_KEEPINTVL) return l.keepIntvl != 0 ? <i32>l.keepIntvl : sysctl(Sysctl.tcp_keepalive_intvl);
  if (opt == TCP_KEEPCNT) return l.keepCnt != 0 ? <i32>l.keepCnt : sysctl(Sysctl.tcp_keepalive_probes);
  return ENOPROTOOPT;
}

// ---- read-outs ----

export function tcpInfo(h: i32, ptr: u32): i32 {
  const s = tcpSlotOf(h);
  if (s < 0) return badHandle(h);
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
  const s = tcpSlotOf(h);
  if (s < 0) return badHandle(h);
  if (!inIoBuffer(ptr, 16)) return EFAULT;
  store<u32>(ptr, ourIp);
  if (sockAt(s).kind == KIND_LISTEN) {
    store<u32>(ptr, listenerAt(<i32>sockAt(s).index).port, 4);
    store<u32>(ptr, 0, 8);
    store<u32>(ptr, 0, 12);
    return OK;
  }
  const p = pcbAt(<i32>sockAt(s).index);
  store<u32>(ptr, p.localPort, 4);
  store<u32>(ptr, p.remoteIp, 8);
  store<u32>(ptr, p.remotePort, 12);
  return OK;
}


