// Local port rules: bind conflicts (Linux semantics for SO_REUSEADDR), connect-time 4-tuple
// uniqueness, ephemeral ports from ip_local_port_range, and TIME_WAIT reuse (tcp_tw_reuse).
import { MAX_TCP_PCBS, Sysctl, sysctl } from "../config";
import { nowMs } from "../core/time";
import { random } from "../env";
import { EADDRINUSE, EADDRNOTAVAIL, OK } from "../errors";
import { count, Stat } from "../stats";
import { CLOSED, TIME_WAIT } from "../api/constants";
import { F_REUSEADDR, F_TS, LIST_UNBOUND, Pcb, pcbAt, pcbs } from "./pcb";
import { listenerLookup } from "./listen";
import { pcbDestroy } from "./close";

// bind(): a port held by a listener is never shared; one held by connections (any state,
// TIME_WAIT included) or by another bound socket is shared only when the binder set SO_REUSEADDR.
export function bindConflict(port: u32, self: Pcb): i32 {
  if (listenerLookup(port) >= 0) return EADDRINUSE;
  if ((self.flags & F_REUSEADDR) != 0) return OK;
  for (let i = 0; i < MAX_TCP_PCBS; i++) {
    if (!pcbs.isUsed(i)) continue;
    const p = pcbAt(i);
    if (p == self || p.list == LIST_UNBOUND) continue;
    if (<u32>p.localPort == port) return EADDRINUSE;
  }
  return OK;
}

// listen(): a second listener on a port is refused; connections on it (e.g. TIME_WAIT after a
// restart) are fine only with SO_REUSEADDR — the seeds' server-restart case.
export function listenConflict(port: u32, reuse: bool, self: Pcb): i32 {
  if (listenerLookup(port) >= 0) return EADDRINUSE;
  if (reuse) return OK;
  for (let i = 0; i < MAX_TCP_PCBS; i++) {
    if (!pcbs.isUsed(i)) continue;
    const p = pcbAt(i);
    if (p == self || p.list == LIST_UNBOUND || p.state == CLOSED) continue;
    if (<u32>p.localPort == port) return EADDRINUSE;
  }
  return OK;
}

// Linux tcp_twsk_unique: a TIME_WAIT 4-tuple may be reused by an outgoing connect when
// tcp_tw_reuse = 1, timestamps were in use (PAWS protects the new incarnation from old
// duplicates) and the last timestamp is over a second old.
function twReusable(p: Pcb): bool {
  return sysctl(Sysctl.tcp_tw_reuse) == 1 && (p.flags & F_TS) != 0 && nowMs - p.lastRecv >= 1000;
}

// The TIME_WAIT PCB we reused, so the caller can pick an ISN above its sequence space.
export let reusedTwSndNxt: u32 = 0;
export let reusedTw: bool = false;

// One pass over the PCBs holding local port `port` (the port compared first: a free slot's stale
// port is only looked at, its slot memory stays valid). Returns PORT_FREE, PORT_TAKEN, or the index
// of a TIME_WAIT holder of (port, rip, rport) that may be reused (tcp_tw_reuse) and must be
// destroyed before the port is used. rip = 0 (bind/listen): taken by any bound or connected PCB.
// bound: a port reserved by bind() on another, unconnected socket is taken too (ephemeral picks).
const PORT_FREE: i32 = -1;
const PORT_TAKEN: i32 = -2;
function portScan(port: u32, rip: u32, rport: u32, self: Pcb, bound: bool): i32 {
  let victim = PORT_FREE;
  for (let i = 0; i < MAX_TCP_PCBS; i++) {
    const p = pcbAt(i);
    if (<u32>p.localPort != port || p == self || !pcbs.isUsed(i)) continue;
    if (p.state == CLOSED) {
      if ((rip == 0 || bound) && p.list != LIST_UNBOUND) return PORT_TAKEN;
      continue;
    }
    if (rip == 0) return PORT_TAKEN;
    if (p.remoteIp != rip || <u32>p.remotePort != rport) continue;
    if (p.state == TIME_WAIT && p.sock == 0 && twReusable(p) && victim == PORT_FREE) { victim = i; continue; }
    return PORT_TAKEN;
  }
  return victim;
}

// Uses a scan's answer: EADDRINUSE when taken, else OK after destroying the reusable TIME_WAIT
// holder, if any (its snd_nxt kept so the caller can pick an ISN above its sequence space).
function claim(r: i32): i32 {
  if (r == PORT_TAKEN) return EADDRINUSE;
  if (r >= 0) {
    const p = pcbAt(r);
    reusedTw = true;
    reusedTwSndNxt = p.sndNxt;
    count(Stat.tw_reuse);
    pcbDestroy(p);
  }
  return OK;
}

// Checks that (lport, rip, rport) names no other connection. A reusable TIME_WAIT holder is
// destroyed to make room. Returns OK or EADDRINUSE.
export function claimTuple(lport: u32, rip: u32, rport: u32, self: Pcb): i32 {
  return claim(portScan(lport, rip, rport, self, false));
}

// An ephemeral port for a connection to (rip, rport), or for bind/listen when rip = 0 (then the
// port must be entirely unused). Starts at a random offset in the range (RFC 6056 §3.3.1-style).
export function pickEphemeral(rip: u32, rport: u32, self: Pcb): i32 {
  const lo = <u32>sysctl(Sysctl.ip_local_port_range_min);
  const hi = <u32>sysctl(Sysctl.ip_local_port_range_max);
  if (hi < lo) return EADDRNOTAVAIL;
  const n = hi - lo + 1;
  const start = random() % n;
  for (let k: u32 = 0; k < n; k++) {
    const port = lo + (start + k) % n;
    if (listenerLookup(port) >= 0) continue;
    const r = portScan(port, rip, rport, self, true);
    if (r != PORT_TAKEN) { claim(r); return <i32>port; }
  }
  return EADDRNOTAVAIL;
}
