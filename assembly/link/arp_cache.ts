// ARP (RFC 826) for the one interface: a fixed cache with ageing, frames parked while their next
// hop resolves, requests retried by the slow timer, and replies to requests for our address.
//
// Spoofing: an unsolicited ARP that would change the MAC of a live (resolved, fresh) entry is
// ignored and counted; the entry picks up a genuine change when it goes stale and is re-resolved.
import { dhcpArpSeen } from "../dhcp/client";
import { ARP_PENDING_BUFFERS, FRAME_MAX, MAX_ARP_ENTRIES, Sysctl, sysctl } from "../config";
import { txFrame } from "../core/buf";
import { Pool, makePool } from "../core/pool";
import { nowMs } from "../core/time";
import { count, Stat } from "../stats";
import {
  ARP_LEN, ARP_REPLY, ARP_REQUEST, arpEmit, arpIsEthIpv4, arpOper, arpSha, arpSpa, arpTpa,
} from "../wire/arp";
import { ETH_HLEN, ETHERTYPE_ARP, ethEmit, macCopy, macEquals, macIsGroup } from "../wire/ethernet";
import { broadcastMac, netifSend, ourIp, ourMac, rxPeerIp, rxPeerMac, zeroMac } from "./netif";
import { BUCKET_BYTES, rateAllow } from "../core/ratelimit";

const PENDING: u8 = 1;
const RESOLVED: u8 = 2;
const MAX_REQUESTS: u8 = 3;
const RETRY_MS: u32 = 1000;

@unmanaged class ArpEntry {
  ip: u32;
  mac0: u32;          // 6 MAC bytes
  mac1: u16;
  state: u8;
  requests: u8;
  updated: u32;       // ms of the last confirmation (or of the first request while pending)
  lastRequest: u32;
}

const entryMem: usize = memory.data(offsetof<ArpEntry>() * MAX_ARP_ENTRIES);   // static: no base load per use
const entries: Pool = makePool(
  memory.data(offsetof<Pool>()), entryMem,
  memory.data(MAX_ARP_ENTRIES * 2), memory.data(MAX_ARP_ENTRIES), offsetof<ArpEntry>(), MAX_ARP_ENTRIES);
// Parked frames, lwIP ARP_QUEUEING-style but bounded: one shared pool of ARP_PENDING_BUFFERS frames,
// each tagged with the entry it waits for. One neighbour may hold them all, so two connections
// opened at once through an unresolved gateway both go out on the reply (before, the second frame
// replaced the first, which then waited for its RTO).
const parkedFrames: usize = memory.data(FRAME_MAX * ARP_PENDING_BUFFERS, 16);
const parkedLen: usize = memory.data(4 * ARP_PENDING_BUFFERS);      // 0: free
const parkedOwner: usize = memory.data(4 * ARP_PENDING_BUFFERS);    // entry index

// @ts-ignore: decorator
@inline function entry(i: i32): ArpEntry { return changetype<ArpEntry>(entryMem + <usize>(i * offsetof<ArpEntry>())); }
// @ts-ignore: decorator
@inline function macOf(e: ArpEntry): usize { return changetype<usize>(e) + offsetof<ArpEntry>("mac0"); }

export function arpPool(): Pool { return entries; }

export function arpReset(): void {
  entries.reset();
  memory.fill(requestBucket, 0, BUCKET_BYTES);
  memory.fill(parkedLen, 0, 4 * ARP_PENDING_BUFFERS);
}

function find(ip: u32): i32 {
  for (let i = 0; i < MAX_ARP_ENTRIES; i++) {
    if (entry(i).ip == ip && entries.isUsed(i)) return i;   // a free slot's memory stays readable
  }
  return -1;
}

// @ts-ignore: decorator
@inline function meta(table: usize, b: i32): usize { return table + (<usize>b << 2); }

// The first buffer parked for entry `i`, or -1.
function parkedFor(i: i32): i32 {
  for (let b = 0; b < ARP_PENDING_BUFFERS; b++) {
    if (load<u32>(meta(parkedLen, b)) != 0 && load<i32>(meta(parkedOwner, b)) == i) return b;
  }
  return -1;
}

function dropEntry(i: i32): void {
  for (let b = parkedFor(i); b >= 0; b = parkedFor(i)) store<u32>(meta(parkedLen, b), 0);
  entries.free(i);
}

// The entry to evict, in this order: an unresolved one holding no frame; an unresolved one that
// went a retry interval unanswered; the least recently learned resolved one. One of them always
// exists in a full cache: at most ARP_PENDING_BUFFERS (< MAX_ARP_ENTRIES) entries hold a frame. A
// flood of spoofed sources creates only the first kind (speculative resolutions park nothing),
// so it can push out neither hosts we talk to nor a resolution with a frame waiting on it: that
// one keeps its MAX_REQUESTS tries. (Evicting it once its first request went a second unanswered,
// as before, left a real neighbour one ARP try per TCP retransmission: with many of its replies
// lost in a flooded queue, a response could wait through every backoff, 130 s and more; reproduced
// in virtual time by test/hostile.test.ts.)
function victim(): i32 {
  let best = -1;
  for (let pass = 0; pass < 3 && best < 0; pass++) {
    for (let j = 0; j < MAX_ARP_ENTRIES; j++) {
      if (!evictable(j, pass)) continue;
      if (best < 0 || <i32>(entry(j).updated - entry(best).updated) < 0) best = j;
    }
  }
  return best;
}

function evictable(j: i32, pass: i32): bool {
  const e = entry(j);
  if (pass == 0) return e.state == PENDING && parkedFor(j) < 0;
  if (pass == 1) return e.state == PENDING && <u32>(nowMs - e.lastRequest) >= RETRY_MS;
  return e.state != PENDING;
}

// Takes a free entry, evicting one (see victim) when the cache is full.
function newEntry(ip: u32): i32 {
  let i = entries.alloc();
  if (i < 0) {
    dropEntry(victim());
    i = entries.alloc();
  }
  const e = entry(i);
  e.ip = ip;
  e.updated = nowMs;
  return i;
}

function sendArp(oper: u32, dstMac: usize, tha: usize, tpa: u32): void {
  const f = txFrame;
  ethEmit(f, dstMac, ourMac, ETHERTYPE_ARP);
  arpEmit(f + ETH_HLEN, oper, ourMac, ourIp, tha, tpa);
  count(Stat.arp_out);
  netifSend(f, ETH_HLEN + ARP_LEN);
}

// An ARP request for `ip` from our current address: a probe while we have none (RFC 5227 §2.1.1),
// an announcement when `ip` is our own (§2.3).
export function arpProbe(ip: u32): void {
  sendArp(ARP_REQUEST, broadcastMac, zeroMac, ip);
}

const requestBucket: usize = memory.data(BUCKET_BYTES);
const speculativeBucket: usize = memory.data(BUCKET_BYTES);

// One request per entry per RETRY_MS (RFC 1122 §2.3.2.1: at most one per second per destination),
// and all of them under a global budget, so a flood of spoofed on-link sources cannot make us
// broadcast without bound. Only a request that went out counts toward MAX_REQUESTS (§2.3.2.1
// flushes an entry whose requests go unanswered; one the budget refused was never asked), so a
// stale real neighbour's entry is not dropped while a flood spends the budget.
function sendRequest(e: ArpEntry): void {
  e.lastRequest = nowMs;
  if (!rateAllow(requestBucket, sysctl(Sysctl.arp_requests_per_sec), sysctl(Sysctl.arp_requests_per_sec))) {
    count(Stat.arp_rate_limited);
    return;
  }
  e.requests++;
  sendArp(ARP_REQUEST, broadcastMac, zeroMac, e.ip);
}

// Parks a frame for entry `i` in a free buffer; with none free it is dropped and counted (TCP
// retransmits it). Buffers go out in index order, which is arrival order unless another entry's
// buffer was freed in between: at worst two frames swap, which TCP tolerates.
function parkFrame(i: i32, frame: usize, len: i32): void {
  let b = 0;
  while (load<u32>(meta(parkedLen, b)) != 0) {
    if (++b == ARP_PENDING_BUFFERS) { count(Stat.arp_queue_drop); return; }
  }
  memory.copy(parkedFrames + <usize>(b * FRAME_MAX), frame, <usize>len);
  store<u32>(meta(parkedLen, b), <u32>len);
  store<i32>(meta(parkedOwner, b), i);
}

// True while the SYN queue retransmits (see arpSpeculative).
let speculative = false;

// Marks the sends until the next call as speculative (`on` = true) or not: the SYN queue's
// retransmissions of SYN-ACKs. The first SYN-ACK went straight back to the MAC the SYN came from;
// a retransmission to an on-link peer we never resolved is, under an on-link SYN flood, almost
// always one to a spoofed source, and parking it held the two parked-frame buffers against real
// traffic (16 entries retransmit in one tick). A real peer that lost our SYN-ACK retransmits its
// SYN, which is answered directly (tcp/listen.ts entryInput). Off-link peers go through the
// gateway, whose entry is resolved in practice; a resolved entry is used as for any send.
export function arpSpeculative(on: bool): void {
  speculative = on;
}

// Sends an IPv4 frame whose Ethernet header still lacks the destination MAC. Resolves `nextHop`
// first when needed, parking the frame meanwhile.
export function arpOutput(nextHop: u32, frame: usize, len: i32): void {
  let i = find(nextHop);
  if (i >= 0 && entry(i).state == RESOLVED) {
    macCopy(frame, macOf(entry(i)));
    netifSend(frame, len);
    return;
  }
  // A reply to the on-link sender of the frame in hand goes back to the MAC it came from: a SYN-ACK
  // or cookie costs no broadcast and no parked frame. Nothing is learned from it (no cache
  // poisoning); resolution for later traffic starts as usual, under the request budget.
  const direct = nextHop == rxPeerIp && nextHop != 0;
  if (direct) {
    macCopy(frame, rxPeerMac);
    netifSend(frame, len);
  }
  // Resolving the sender of a frame we could answer directly, or the destination of a speculative
  // send, is speculative (for the traffic that may follow): it parks nothing and gets half the
  // request budget in a bucket of its own, so a flood of spoofed on-link sources cannot spend the
  // requests or the buffers a real neighbour's resolution needs.
  const spec = direct || speculative;
  if (i < 0) {
    const half = (sysctl(Sysctl.arp_requests_per_sec) + 1) >> 1;
    if (spec && !rateAllow(speculativeBucket, half, half)) {
      count(Stat.arp_rate_limited);
      return;
    }
    i = newEntry(nextHop);
    entry(i).state = PENDING;
    if (!spec) parkFrame(i, frame, len);
    sendRequest(entry(i));
    return;
  }
  if (!spec) parkFrame(i, frame, len);
}

// Sends entry `i`'s parked frames.
function flushParked(i: i32): void {
  for (let b = parkedFor(i); b >= 0; b = parkedFor(i)) {
    const f = parkedFrames + <usize>(b * FRAME_MAX);
    const len = <i32>load<u32>(meta(parkedLen, b));
    store<u32>(meta(parkedLen, b), 0);
    macCopy(f, macOf(entry(i)));
    netifSend(f, len);
  }
}

function learn(i: i32, sha: usize): void {
  const e = entry(i);
  macCopy(macOf(e), sha);
  e.state = RESOLVED;
  e.requests = 0;
  e.updated = nowMs;
  flushParked(i);
}

function isFresh(e: ArpEntry): bool {
  return <u32>(nowMs - e.updated) < <u32>sysctl(Sysctl.arp_stale_time) * 1000;
}

// Handles one ARP packet (the frame's payload at `a`, `len` bytes available).
export function arpInput(a: usize, len: i32): void {
  count(Stat.arp_in);
  if (len < ARP_LEN || !arpIsEthIpv4(a)) { count(Stat.rx_malformed); return; }
  const spa = arpSpa(a);
  const tpa = arpTpa(a);
  const sha = arpSha(a);
  dhcpArpSeen(spa, tpa, sha);
  if (macIsGroup(sha) || spa == 0 || spa == ourIp) return; // probes and conflicts are not learned
  let i = find(spa);
  if (i >= 0) {
    const e = entry(i);
    if (e.state == RESOLVED && !macEquals(macOf(e), sha) && isFresh(e)) {
      count(Stat.arp_spoof_ignored);
    } else {
      learn(i, sha);
    }
  } else if (tpa == ourIp) {
    learn(newEntry(spa), sha);          // RFC 826: merge the sender when we are the target
  }
  if (tpa == ourIp && arpOper(a) == ARP_REQUEST) {
    sendArp(ARP_REPLY, sha, sha, spa);
  }
}

// Slow-timer work: retry unresolved requests, expire stale and failed entries.
export function arpTimer(): void {
  for (let i = 0; i < MAX_ARP_ENTRIES; i++) {
    if (!entries.isUsed(i)) continue;
    const e = entry(i);
    if (e.state == RESOLVED && isFresh(e)) continue;
    // Pending, or stale: a stale entry stays in use while it is re-validated (RFC 1122 §2.3.2.1
    // (1)) and goes only when MAX_REQUESTS are unanswered. Dropping it at once, as before, parked
    // and dropped every frame to the gateway until it answered again: on the real TAP, with the
    // kernel's queue dropping 76 % of frames, that reply could take seconds (arp_queue_drop 1,900).
    if (<u32>(nowMs - e.lastRequest) < RETRY_MS) continue;
    if (e.requests >= MAX_REQUESTS) dropEntry(i);
    else sendRequest(e);
  }
}

// True when every parked frame belongs to a pending entry (invariant checker).
export function arpConsistent(): bool {
  if (!entries.checkConsistent()) return false;
  for (let b = 0; b < ARP_PENDING_BUFFERS; b++) {
    if (load<u32>(meta(parkedLen, b)) == 0) continue;
    const o = load<i32>(meta(parkedOwner, b));
    if (<u32>o >= <u32>MAX_ARP_ENTRIES || !entries.isUsed(o) || entry(o).state != PENDING) return false;
  }
  return true;
}
