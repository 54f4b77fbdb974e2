// IPv4 reassembly (RFC 791 §3.2 "reassembly", RFC 815 hole bookkeeping), a build option
// (`--use ASNET_IP_REASS=1`, lwIP's IP_REASSEMBLY): without it ip4.ts drops every fragment.
//
// A small fixed pool of datagrams, each with a buffer of REASS_MAX_BYTES and a bitmap of the
// 8-byte blocks received (RFC 815's holes, kept as bits). Strict about overlaps, in the spirit of
// RFC 5722 (written for IPv6; Linux applies it to IPv4 too): a fragment that overlaps data
// already held, other than an exact repeat of an earlier fragment, discards the whole datagram,
// so no overlap trick can change what the transport sees. Limits: REASS_PER_SOURCE datagrams per
// source address (a new one replaces that source's oldest), ipfrag_time seconds to complete (Linux's name; RFC 791 suggests 15 s), and
// REASS_MAX_BYTES of payload; everything refused is counted.
import { IP_REASS, REASS_DATAGRAMS, REASS_MAX_BYTES, REASS_PER_SOURCE, Sysctl, sysctl } from "../config";
import { put16 } from "../core/bytes";
import { checksum } from "../core/checksum";
import { deadlineIn, due } from "../core/time";
import { count, Stat } from "../stats";
import { IP_MF, IP_OFFMASK, ipDst, ipFragField, ipHeaderLen, ipProto, ipSrc, ipTotalLen } from "../wire/ipv4";

@unmanaged class Reass {
  src: u32;
  dst: u32;
  id: u16;
  proto: u8;
  used: u8;
  expires: u32;       // ms deadline
  total: i32;         // payload length once the last fragment (MF clear) arrived, else -1
  hlen: i32;          // header length of the first fragment, once it arrived, else 0
}

const BITMAP_BYTES: i32 = REASS_MAX_BYTES / 64;     // one bit per 8-byte block
const HDR_MAX: i32 = 60;

// Without the option the module is still compiled (its calls are folded away), so its static
// data must shrink to nothing too: 8 bytes instead of 8.4 KiB.
const slots: usize = memory.data(IP_REASS ? offsetof<Reass>() * REASS_DATAGRAMS : 8);
const bitmaps: usize = memory.data(IP_REASS ? BITMAP_BYTES * REASS_DATAGRAMS : 8);
const buffers: usize = memory.data(IP_REASS ? (HDR_MAX + REASS_MAX_BYTES) * REASS_DATAGRAMS : 8, 16);

// @ts-ignore: decorator
@inline function slot(i: i32): Reass { return changetype<Reass>(slots + <usize>(i * offsetof<Reass>())); }
// @ts-ignore: decorator
@inline function bitmap(i: i32): usize { return bitmaps + <usize>(i * BITMAP_BYTES); }
// The datagram is assembled with its header right before the payload, at a fixed place.
// @ts-ignore: decorator
@inline function payload(i: i32): usize { return buffers + <usize>(i * (HDR_MAX + REASS_MAX_BYTES) + HDR_MAX); }

export function reassReset(): void {
  memory.fill(slots, 0, offsetof<Reass>() * REASS_DATAGRAMS);
}

function drop(i: i32, why: Stat): void {
  slot(i).used = 0;
  count(why);
}

// @ts-ignore: decorator
@inline function idOf(h: usize): u16 { return load<u16>(h + 4); }

// RFC 791: fragments belong together when source, destination, protocol and identification match.
function find(h: usize): i32 {
  const src = ipSrc(h), dst = ipDst(h), id = idOf(h), proto = <u8>ipProto(h);
  for (let i = 0; i < REASS_DATAGRAMS; i++) {
    const r = slot(i);
    if (r.used && r.src == src && r.dst == dst && r.id == id && r.proto == proto) return i;
  }
  return -1;
}

// A new datagram takes a free slot. A source already holding REASS_PER_SOURCE datagrams gives
// up its oldest (a sender that moved on after a lost fragment, or the remnant of a datagram
// discarded for an overlap); no source can take a slot held by another.
function start(h: usize): i32 {
  const src = ipSrc(h);
  let free = -1, fromSrc = 0, oldest = -1;
  for (let i = 0; i < REASS_DATAGRAMS; i++) {
    const r = slot(i);
    if (!r.used) { if (free < 0) free = i; continue; }
    if (r.src != src) continue;
    fromSrc++;
    if (oldest < 0 || <i32>(r.expires - slot(oldest).expires) < 0) oldest = i;
  }
  if (fromSrc >= REASS_PER_SOURCE) { drop(oldest, Stat.ip_reass_fail); free = oldest; }
  if (free < 0) { count(Stat.ip_reass_fail); return -1; }
  const r = slot(free);
  r.src = src; r.dst = ipDst(h); r.id = idOf(h); r.proto = <u8>ipProto(h);
  r.used = 1; r.total = -1; r.hlen = 0;
  r.expires = deadlineIn(<u32>sysctl(Sysctl.ipfrag_time) * 1000);
  memory.fill(bitmap(free), 0, BITMAP_BYTES);
  return free;
}

// Counts the received blocks in [first, last]: 0 = none, n = all of them.
function blocksHeld(bm: usize, first: i32, last: i32): i32 {
  let n = 0;
  for (let b = first; b <= last; b++) n += (load<u8>(bm + <usize>(b >> 3)) >> <u8>(b & 7)) & 1;
  return n;
}

function markBlocks(bm: usize, first: i32, last: i32): void {
  for (let b = first; b <= last; b++) {
    const p = bm + <usize>(b >> 3);
    store<u8>(p, load<u8>(p) | <u8>(<i32>1 << (b & 7)));
  }
}

// Adds one fragment (header at h, `total` bytes); true when the datagram is now whole.
function addFragment(i: i32, h: usize, hlen: i32, total: i32): bool {
  const r = slot(i);
  const frag = ipFragField(h);
  const off = <i32>(frag & IP_OFFMASK) << 3;
  const len = total - hlen;
  const more = (frag & IP_MF) != 0;
  // RFC 791: every fragment but the last carries a multiple of 8 bytes.
  if (len <= 0 || (more && (len & 7) != 0) || off + len > REASS_MAX_BYTES) { drop(i, Stat.ip_reass_fail); return false; }
  if (!more && r.total >= 0 && r.total != off + len) { drop(i, Stat.ip_reass_fail); return false; }
  if (r.total >= 0 && off + len > r.total) { drop(i, Stat.ip_reass_fail); return false; }
  const bm = bitmap(i);
  const first = off >> 3, last = (off + len - 1) >> 3;
  const held = blocksHeld(bm, first, last);
  const p = payload(i) + <usize>off;
  if (held != 0) {
    // An exact repeat (a duplicated frame) is harmless; any other overlap ends the datagram.
    if (held == last - first + 1 && memory.compare(p, h + <usize>hlen, <usize>len) == 0) return false;
    drop(i, Stat.ip_reass_overlap);
    return false;
  }
  memory.copy(p, h + <usize>hlen, <usize>len);
  markBlocks(bm, first, last);
  if (!more) r.total = off + len;
  if (off == 0) { r.hlen = hlen; memory.copy(payload(i) - <usize>hlen, h, <usize>hlen); }
  return r.total >= 0 && r.hlen > 0 && blocksHeld(bm, 0, (r.total - 1) >> 3) == ((r.total - 1) >> 3) + 1;
}

// Takes a fragment; returns the header of the whole datagram when this one completed it (valid
// until the next call), or 0. The returned datagram has MF and offset cleared, its total length
// set and a valid header checksum, so ipInput can treat it as if it had arrived in one piece.
export function reassInput(h: usize): usize {
  const hlen = ipHeaderLen(h);
  const total = ipTotalLen(h);
  let i = find(h);
  if (i < 0) i = start(h);
  if (i < 0) return 0;
  if (!addFragment(i, h, hlen, total)) return 0;
  const r = slot(i);
  const whole = payload(i) - <usize>r.hlen;
  put16(whole + 2, <u32>(r.hlen + r.total));
  put16(whole + 6, 0);
  store<u16>(whole + 10, 0);
  put16(whole + 10, checksum(whole, r.hlen));
  r.used = 0;
  count(Stat.ip_reass_ok);
  return whole;
}

// Slow-timer work: datagrams not completed within ipfrag_time are discarded (RFC 791 §3.2).
export function reassTimer(): void {
  for (let i = 0; i < REASS_DATAGRAMS; i++) {
    if (slot(i).used && due(slot(i).expires)) drop(i, Stat.ip_reass_timeout);
  }
}
