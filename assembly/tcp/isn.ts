// Initial sequence numbers (RFC 6528) and SYN cookies.
//
// RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), with M a 4 µs
// clock and F a keyed PRF — here SipHash-2-4 with a 128-bit secret drawn from random() at init.
//
// SYN cookies: when the SYN queue would overflow (tcp_syncookies=1) or always (=2), the SYN-ACK's
// ISN carries everything needed to rebuild the connection from the final ACK:
//   bits 31..27  a 5-bit counter of 64-second periods (cookie age)
//   bits 26..25  an index into a 4-entry MSS table
//   bits 24..0   SipHash(secret ^ counter; 4-tuple, peer ISN), truncated
// A cookie is valid for the current and the two previous periods (up to ~3 minutes). Window scale
// and SACK-permitted travel in the low 5 bits of our timestamp when the peer uses timestamps,
// otherwise the connection goes on without them (as Linux does).
import { siphash16 } from "../core/siphash";
import { nowMs } from "../core/time";
import { random } from "../env";
import { ourIp } from "../link/netif";

let k0: u64 = 0;
let k1: u64 = 0;

const MSS_TABLE: StaticArray<u16> = [536, 1220, 1440, 1460];
const TS_OPT_BITS: u32 = 5;
const TS_OPT_MASK: u32 = (1 << TS_OPT_BITS) - 1;
const NO_WSCALE: u32 = 15;

export function isnInit(): void {
  k0 = (<u64>random() << 32) | <u64>random();
  k1 = (<u64>random() << 32) | <u64>random();
}

function tupleHash(rip: u32, rport: u32, lport: u32, extra: u32, keyTweak: u64): u64 {
  const m0 = (<u64>rip << 32) | <u64>ourIp;
  const m1 = (<u64>rport << 48) | (<u64>lport << 32) | <u64>extra;
  return siphash16(k0 ^ keyTweak, k1, m0, m1);
}

export function makeIsn(rip: u32, rport: u32, lport: u32): u32 {
  return nowMs * 250 + <u32>tupleHash(rip, rport, lport, 0, 0);
}

// ---- SYN cookies ----

function cookieCounter(): u32 {
  return (nowMs >>> 16) & 31;
}

// The largest table MSS not above the peer's.
export function mssIndexFor(mss: u32): u32 {
  let idx: u32 = 0;
  for (let i = 1; i < 4; i++) if (<u32>unchecked(MSS_TABLE[i]) <= mss) idx = <u32>i;
  return idx;
}

export function mssFromIndex(idx: u32): u32 {
  return <u32>unchecked(MSS_TABLE[idx & 3]);
}

function cookieHash(rip: u32, rport: u32, lport: u32, peerIsn: u32, counter: u32): u32 {
  return <u32>tupleHash(rip, rport, lport, peerIsn, <u64>counter * 0x9e3779b97f4a7c15) & 0x1ffffff;
}

export function makeCookie(rip: u32, rport: u32, lport: u32, peerIsn: u32, mssIdx: u32): u32 {
  const c = cookieCounter();
  return (c << 27) | ((mssIdx & 3) << 25) | cookieHash(rip, rport, lport, peerIsn, c);
}

// Checks the cookie our SYN-ACK carried (the final ACK acknowledges cookie + 1). Returns the MSS
// index, or -1 when forged or expired.
export function checkCookie(rip: u32, rport: u32, lport: u32, peerIsn: u32, cookie: u32): i32 {
  const c = cookie >>> 27;
  const age = (cookieCounter() - c) & 31;
  if (age > 2) return -1;
  if ((cookie & 0x1ffffff) != cookieHash(rip, rport, lport, peerIsn, c)) return -1;
  return <i32>((cookie >>> 25) & 3);
}

// Our timestamp value in a cookie SYN-ACK: the clock with its low bits replaced by the options.
export function cookieTsVal(wscale: i32, sackOk: bool): u32 {
  const ws: u32 = wscale < 0 ? NO_WSCALE : <u32>wscale;
  // One period below the clock, so that our later timestamps (the clock itself) are never older
  // than this one: otherwise the peer's PAWS check would reject them (RFC 7323 §5).
  return ((nowMs - TS_OPT_MASK - 1) & ~TS_OPT_MASK) | ws | (sackOk ? 16 : 0);
}

export function cookieTsWscale(tsEcr: u32): i32 {
  const ws = tsEcr & 15;
  return ws == NO_WSCALE ? -1 : <i32>ws;
}

export function cookieTsSack(tsEcr: u32): bool {
  return (tsEcr & 16) != 0;
}
