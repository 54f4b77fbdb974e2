// The socket table: handles the application holds, each naming a connection PCB or a listener,
// plus the event queue the host drains with ev_poll().
//
// A handle is (generation << 8) | (slot + 1), so a stale handle (slot reused since) is EBADF
// rather than someone else's connection. Events are a per-socket bit mask; a socket sits in the
// queue at most once, so the queue (one entry per slot) can never overflow and no event is lost.
import { MAX_SOCKETS } from "../config";
import { Pool, makePool } from "../core/pool";
import { count, Stat } from "../stats";

export const KIND_TCP: u8 = 1;
export const KIND_LISTEN: u8 = 2;
export const KIND_UDP: u8 = 3;
export const KIND_DNS: u8 = 4;      // a DNS query in flight or answered (dns/resolver.ts)
export const KIND_DHCP: u8 = 5;     // the DHCP client (dhcp/client.ts)

@unmanaged export class Socket {
  kind: u8;
  gen: u8;
  index: u8;          // PCB or listen-PCB index
  events: u8;         // pending EV_* bits
  queued: u8;
}

const sockMem: usize = memory.data(offsetof<Socket>() * MAX_SOCKETS);   // static: no base load per use
export const sockets: Pool = makePool(
  memory.data(offsetof<Pool>()), sockMem,
  memory.data(MAX_SOCKETS * 2), memory.data(MAX_SOCKETS), offsetof<Socket>(), MAX_SOCKETS);
const gens: usize = memory.data(MAX_SOCKETS);     // survives slot reuse (the pool zeroes slots)
const queue: usize = memory.data(MAX_SOCKETS);
let qHead: u32 = 0;
let qLen: u32 = 0;

// @ts-ignore: decorator
@inline export function sockAt(slot: i32): Socket { return changetype<Socket>(sockMem + <usize>(slot * offsetof<Socket>())); }

export function socketsReset(): void {
  sockets.reset();
  qHead = 0;
  qLen = 0;
}

// Allocates a slot; returns it or -1.
export function sockAlloc(kind: u8, index: i32): i32 {
  const s = sockets.alloc();
  if (s < 0) { count(Stat.pool_fail_socket); return -1; }
  const g = (load<u8>(gens + <usize>s) + 1) & 0x7f;
  store<u8>(gens + <usize>s, g == 0 ? 1 : g);
  const k = sockAt(s);
  k.kind = kind;
  k.index = <u8>index;
  k.gen = load<u8>(gens + <usize>s);
  sockQueuedFlagFix(s);
  return s;
}

export function sockFree(slot: i32): void {
  sockAt(slot).kind = 0;
  sockAt(slot).events = 0;
  sockets.free(slot);
}

export function handleOf(slot: i32): i32 {
  return (<i32>sockAt(slot).gen << 8) | (slot + 1);
}

// The slot a handle names, or -1 when the handle is not a live socket.
export function slotOf(h: i32): i32 {
  const slot = (h & 0xff) - 1;
  if (h <= 0 || h > 0x7fff || slot < 0 || slot >= MAX_SOCKETS) return -1;
  if (!sockets.isUsed(slot)) return -1;
  if (<i32>sockAt(slot).gen != (h >> 8)) return -1;
  return slot;
}

// The slot of a TCP connection or listener handle, or -1.
export function tcpSlotOf(h: i32): i32 {
  const s = slotOf(h);
  return s >= 0 && sockAt(s).kind <= KIND_LISTEN ? s : -1;
}

// The slot of a live handle of the given kind, or -1.
export function kindSlotOf(h: i32, kind: u8): i32 {
  const s = slotOf(h);
  return s >= 0 && sockAt(s).kind == kind ? s : -1;
}

// Raises events on a socket and queues it for ev_poll() if it is not queued yet.
export function sockNotify(slot: i32, ev: u8): void {
  const k = sockAt(slot);
  k.events |= ev;
  if (k.queued == 0) {
    k.queued = 1;
    store<u8>(queue + <usize>((qHead + qLen) % <u32>MAX_SOCKETS), <u8>slot);
    qLen++;
  }
}

// Next pending event as handle | events << 16, or 0 when none. Sockets closed since they were
// queued are skipped.
export function evPoll(): i32 {
  while (qLen > 0) {
    const slot = <i32>load<u8>(queue + <usize>(qHead % <u32>MAX_SOCKETS));
    qHead = (qHead + 1) % <u32>MAX_SOCKETS;
    qLen--;
    const k = sockAt(slot);
    if (!sockets.isUsed(slot)) continue;
    k.queued = 0;
    const ev = k.events;
    k.events = 0;
    if (ev != 0) return handleOf(slot) | (<i32>ev << 16);
  }
  return 0;
}

// A slot freed while queued keeps its queue entry; evPoll skips it. A slot reallocated while its
// old entry is still queued must not be queued twice: keep `queued` across reuse.
export function sockQueuedFlagFix(slot: i32): void {
  let inQueue = false;
  for (let i: u32 = 0; i < qLen; i++) {
    if (<i32>load<u8>(queue + <usize>((qHead + i) % <u32>MAX_SOCKETS)) == slot) inQueue = true;
  }
  sockAt(slot).queued = inQueue ? 1 : 0;
}
