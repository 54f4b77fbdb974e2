// check_invariants(): the consistency rules every test asserts after every step. Returns 0, or a
// negative code naming the first broken rule.
import { MAX_BLOCKS, MAX_LISTEN_PCBS, MAX_SOCKETS, MAX_TCP_PCBS, MAX_UDP_PCBS } from "../config";
import { udpAt, udpBlocksHeld, udpPcbs } from "../udp/udp";
import { dnsSlotOf } from "../dns/resolver";
import { dhcpSock } from "../dhcp/client";
import { blocks } from "../core/stream";
import { arpConsistent } from "../link/arp_cache";
import { CLOSED, CLOSE_WAIT, ESTABLISHED, FIN_WAIT_1, LAST_ACK, CLOSING, TIME_WAIT } from "./constants";
import { KIND_DHCP, KIND_DNS, KIND_LISTEN, KIND_TCP, KIND_UDP, sockAt, sockets } from "./sockets";
import { F_PERSIST, pcbAt, pcbListsConsistent, pcbs, rcvq, sndq } from "../tcp/pcb";
import { listenConsistent, listenerAt, listeners } from "../tcp/listen";
import { rangeCount, ranges } from "../tcp/ranges";
import { seqLeq } from "../core/seq";
import { ENOSYS } from "../errors";

export const INV_POOLS: i32 = -1;
export const INV_PCB_LISTS: i32 = -2;
export const INV_BLOCKS: i32 = -3;
export const INV_RANGES: i32 = -4;
export const INV_SOCKETS: i32 = -5;
export const INV_LISTENERS: i32 = -6;
export const INV_ARP: i32 = -7;
export const INV_TIMERS: i32 = -8;
export const INV_SEQ: i32 = -9;

function blocksAccountedFor(): bool {
  if (!blocks.checkConsistent()) return false;
  let held = 0;
  for (let i = 0; i < MAX_TCP_PCBS; i++) {
    if (!pcbs.isUsed(i)) continue;
    const p = pcbAt(i);
    const s = sndq(p), r = rcvq(p);
    if (s.countChain() != <i32>s.nblocks || r.countChain() != <i32>r.nblocks) return false;
    if (s.len > s.capacity || r.len > r.capacity) return false;
    held += <i32>s.nblocks + <i32>r.nblocks;
  }
  const udp = udpBlocksHeld();
  if (udp < 0) return false;
  held += udp;
  return held == blocks.used && held <= MAX_BLOCKS;
}

function rangesAccountedFor(): bool {
  if (!ranges.checkConsistent()) return false;
  let held = 0;
  for (let i = 0; i < MAX_TCP_PCBS; i++) {
    if (!pcbs.isUsed(i)) continue;
    held += rangeCount(<i32>pcbAt(i).oooHead) + rangeCount(<i32>pcbAt(i).sackHead);
  }
  return held == ranges.used;
}

// Each socket names a live PCB/listener that names it back, and vice versa.
function socketsConsistent(): bool {
  if (!sockets.checkConsistent()) return false;
  for (let s = 0; s < MAX_SOCKETS; s++) {
    if (!sockets.isUsed(s)) continue;
    const k = sockAt(s);
    if (k.kind == KIND_TCP) {
      if (!pcbs.isUsed(<i32>k.index) || <i32>pcbAt(<i32>k.index).sock != s + 1) return false;
    } else if (k.kind == KIND_LISTEN) {
      if (!listeners.isUsed(<i32>k.index) || <i32>listenerAt(<i32>k.index).sock != s + 1) return false;
    } else if (k.kind == KIND_UDP) {
      if (!udpPcbs.isUsed(<i32>k.index) || <i32>udpAt(<i32>k.index).sock != s + 1) return false;
    } else if (k.kind == KIND_DNS) {
      if (dnsSlotOf(<i32>k.index) != s) return false;
    } else if (k.kind == KIND_DHCP) {
      if (dhcpSock() != s) return false;
    } else {
      return false;
    }
  }
  for (let i = 0; i < MAX_TCP_PCBS; i++) {
    if (!pcbs.isUsed(i)) continue;
    const sk = <i32>pcbAt(i).sock;
    if (sk != 0 && (!sockets.isUsed(sk - 1) || sockAt(sk - 1).kind != KIND_TCP || <i32>sockAt(sk - 1).index != i)) return false;
  }
  for (let u = 0; u < MAX_UDP_PCBS; u++) {
    if (!udpPcbs.isUsed(u)) continue;
    const sk = <i32>udpAt(u).sock;
    if (sk == 0 || !sockets.isUsed(sk - 1) || sockAt(sk - 1).kind != KIND_UDP || <i32>sockAt(sk - 1).index != u) return false;
  }
  for (let l = 0; l < MAX_LISTEN_PCBS; l++) {
    if (listeners.isUsed(l) && listenerAt(l).sock == 0) return false;
  }
  return true;
}

// Timers that must run: TIME_WAIT ends; unacknowledged data is watched by the retransmit timer.
function timersConsistent(): bool {
  for (let i = 0; i < MAX_TCP_PCBS; i++) {
    if (!pcbs.isUsed(i)) continue;
    const p = pcbAt(i);
    if (p.state == TIME_WAIT && p.timer2At == 0) return false;
    const synced = p.state == ESTABLISHED || p.state == CLOSE_WAIT || p.state == FIN_WAIT_1 ||
      p.state == CLOSING || p.state == LAST_ACK;
    if (synced && p.sndNxt != p.sndUna && p.rtxAt == 0) return false;
    if (p.state == CLOSED && (p.flags & F_PERSIST) != 0 && p.rtxAt != 0) return false;
  }
  return true;
}

function sequencesConsistent(): bool {
  for (let i = 0; i < MAX_TCP_PCBS; i++) {
    if (!pcbs.isUsed(i)) continue;
    const p = pcbAt(i);
    if (p.state != CLOSED && !seqLeq(p.sndUna, p.sndNxt)) return false;
  }
  return true;
}

export function checkInvariants(): i32 {
  // The release build (--noAssert) ships without the checker (2.4 KB of code); the checked and
  // debug builds, which the tests run, have it.
  if (ASC_NO_ASSERT) return ENOSYS;
  if (!pcbListsConsistent()) return INV_PCB_LISTS;
  if (!blocksAccountedFor()) return INV_BLOCKS;
  if (!rangesAccountedFor()) return INV_RANGES;
  if (!socketsConsistent()) return INV_SOCKETS;
  if (!listenConsistent()) return INV_LISTENERS;
  if (!arpConsistent()) return INV_ARP;
  if (!timersConsistent()) return INV_TIMERS;
  if (!sequencesConsistent()) return INV_SEQ;
  return 0;
}
