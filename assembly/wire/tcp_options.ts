// TCP options: parse into one scratch record, emit into a header (RFC 9293 §3.2, RFC 7323 window
// scale and timestamps, RFC 2018 SACK).
import { get16, get32, put16, put32 } from "../core/bytes";

export const OPT_END: u32 = 0;
export const OPT_NOP: u32 = 1;
export const OPT_MSS: u32 = 2;
export const OPT_WSCALE: u32 = 3;
export const OPT_SACK_PERM: u32 = 4;
export const OPT_SACK: u32 = 5;
export const OPT_TS: u32 = 8;

export const MAX_WSCALE: u32 = 14;   // RFC 7323 §2.3
export const MIN_MSS: u32 = 88;      // smallest MSS we honour (as Linux's TCP_MIN_MSS)
export const MAX_SACK_IN: i32 = 4;

// Parsed options of the segment being processed.
@unmanaged export class TcpOpts {
  mss: u32;           // 0 when absent
  wscale: i32;        // -1 when absent
  sackOk: bool;
  hasTs: bool;
  malformed: bool;    // a length was 0/1 or ran past the header: parsing stopped there
  tsVal: u32;
  tsEcr: u32;
  sackCount: i32;
  sackStart0: u32; sackEnd0: u32;
  sackStart1: u32; sackEnd1: u32;
  sackStart2: u32; sackEnd2: u32;
  sackStart3: u32; sackEnd3: u32;
}

export const opts = changetype<TcpOpts>(memory.data(offsetof<TcpOpts>()));

export function sackStart(i: i32): u32 {
  return load<u32>(changetype<usize>(opts) + offsetof<TcpOpts>("sackStart0") + (<usize>i << 3));
}
export function sackEnd(i: i32): u32 {
  return load<u32>(changetype<usize>(opts) + offsetof<TcpOpts>("sackEnd0") + (<usize>i << 3));
}

// Parses the options between p and end. Unknown options are skipped by their length.
export function parseOptions(p: usize, end: usize): void {
  opts.mss = 0;
  opts.wscale = -1;
  opts.sackOk = false;
  opts.hasTs = false;
  opts.malformed = false;
  opts.sackCount = 0;
  while (p < end) {
    const kind = <u32>load<u8>(p);
    if (kind == OPT_END) return;
    if (kind == OPT_NOP) { p++; continue; }
    if (p + 1 >= end) { opts.malformed = true; return; }
    const len = <usize>load<u8>(p + 1);
    if (len < 2 || p + len > end) { opts.malformed = true; return; }
    parseOne(kind, p, <i32>len);
    p += len;
  }
}

function parseOne(kind: u32, p: usize, len: i32): void {
  if (kind == OPT_MSS && len == 4) {
    opts.mss = max(get16(p + 2), MIN_MSS);           // MSS 0 or tiny: clamp, never divide by it
  } else if (kind == OPT_WSCALE && len == 3) {
    opts.wscale = <i32>min(<u32>load<u8>(p + 2), MAX_WSCALE);
  } else if (kind == OPT_SACK_PERM && len == 2) {
    opts.sackOk = true;
  } else if (kind == OPT_TS && len == 10) {
    opts.hasTs = true;
    opts.tsVal = get32(p + 2);
    opts.tsEcr = get32(p + 6);
  } else if (kind == OPT_SACK && len >= 10 && ((len - 2) & 7) == 0) {
    const n = min((len - 2) >> 3, MAX_SACK_IN);
    const base = changetype<usize>(opts) + offsetof<TcpOpts>("sackStart0");
    for (let i = 0; i < n; i++) {
      store<u32>(base + (<usize>i << 3), get32(p + 2 + (<usize>i << 3)));
      store<u32>(base + (<usize>i << 3) + 4, get32(p + 6 + (<usize>i << 3)));
    }
    opts.sackCount = n;
  }
}

// ---- emit: each writer returns the next free byte; callers keep the total a multiple of 4 ----

export function emitMss(p: usize, mss: u32): usize {
  store<u8>(p, <u8>OPT_MSS); store<u8>(p + 1, 4); put16(p + 2, mss);
  return p + 4;
}

export function emitWscale(p: usize, shift: u32): usize {
  store<u8>(p, <u8>OPT_NOP); store<u8>(p + 1, <u8>OPT_WSCALE); store<u8>(p + 2, 3); store<u8>(p + 3, <u8>shift);
  return p + 4;
}

export function emitSackPerm(p: usize): usize {
  store<u8>(p, <u8>OPT_NOP); store<u8>(p + 1, <u8>OPT_NOP); store<u8>(p + 2, <u8>OPT_SACK_PERM); store<u8>(p + 3, 2);
  return p + 4;
}

export function emitTimestamps(p: usize, val: u32, ecr: u32): usize {
  store<u8>(p, <u8>OPT_NOP); store<u8>(p + 1, <u8>OPT_NOP); store<u8>(p + 2, <u8>OPT_TS); store<u8>(p + 3, 10);
  put32(p + 4, val);
  put32(p + 8, ecr);
  return p + 12;
}

// SACK header (NOP NOP kind len); the caller then writes n blocks with emitSackBlock.
export function emitSackHeader(p: usize, n: i32): usize {
  store<u8>(p, <u8>OPT_NOP); store<u8>(p + 1, <u8>OPT_NOP); store<u8>(p + 2, <u8>OPT_SACK);
  store<u8>(p + 3, <u8>(2 + (n << 3)));
  return p + 4;
}

export function emitSackBlock(p: usize, start: u32, end: u32): usize {
  put32(p, start);
  put32(p + 4, end);
  return p + 8;
}
