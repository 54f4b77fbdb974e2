// Sorted, non-overlapping sequence ranges from one shared pool. Two uses per connection:
// - the receiver's out-of-order map (which bytes beyond rcv_nxt are buffered; RFC 9293 §3.10.7.4
//   "segments with higher beginning sequence numbers may be held"), source of the SACK blocks we
//   send (RFC 2018 §4);
// - the sender's SACK scoreboard (RFC 6675 §3): which bytes beyond snd_una the peer holds.
// Lists are short (bounded by the pool), so a linear walk is the right structure.
import { MAX_RANGES } from "../config";
import { Pool, makePool } from "../core/pool";
import { seqGeq, seqGt, seqLeq, seqLt, seqMax, seqMin } from "../core/seq";

export const NIL: u8 = 0xff;

@unmanaged class Range {
  start: u32;
  end: u32;
  next: u8;
}

const rangeMem: usize = memory.data(offsetof<Range>() * MAX_RANGES);   // static: no base load per use
export const ranges: Pool = makePool(
  memory.data(offsetof<Pool>()), rangeMem,
  memory.data(MAX_RANGES * 2), memory.data(MAX_RANGES), offsetof<Range>(), MAX_RANGES);

// @ts-ignore: decorator
@inline function r(i: i32): Range { return changetype<Range>(rangeMem + <usize>(i * offsetof<Range>())); }

export function rangeStart(i: i32): u32 { return r(i).start; }
export function rangeEnd(i: i32): u32 { return r(i).end; }
export function rangeNext(i: i32): i32 { return <i32>r(i).next; }

// Adds [start, end) to the list whose head byte is at headPtr, merging neighbours. Returns the
// index of the range now holding it, or -1 if the pool had no room for a new range.
export function rangeAdd(headPtr: usize, start: u32, end: u32): i32 {
  if (seqGeq(start, end)) return -1;
  let prev: i32 = -1;
  let cur = <i32>load<u8>(headPtr);
  while (cur != <i32>NIL && seqLt(r(cur).end, start)) { prev = cur; cur = r(cur).next; }
  if (cur != <i32>NIL && seqLeq(r(cur).start, end)) {
    // Overlaps or touches cur: widen it and swallow the following ranges it now reaches.
    const c = r(cur);
    c.start = seqMin(c.start, start);
    c.end = seqMax(c.end, end);
    let nx = <i32>c.next;
    while (nx != <i32>NIL && seqLeq(r(nx).start, c.end)) {
      c.end = seqMax(c.end, r(nx).end);
      const after = r(nx).next;
      ranges.free(nx);
      nx = after;
    }
    c.next = <u8>nx;
    return cur;
  }
  const n = ranges.alloc();
  if (n < 0) return -1;
  r(n).start = start;
  r(n).end = end;
  r(n).next = <u8>cur;
  if (prev < 0) store<u8>(headPtr, <u8>n);
  else r(prev).next = <u8>n;
  return n;
}

// Removes everything below seq (ranges that end at or before it, and the front of the one that
// straddles it).
export function rangeTrimBelow(headPtr: usize, seq: u32): void {
  let cur = <i32>load<u8>(headPtr);
  while (cur != <i32>NIL && seqLeq(r(cur).end, seq)) {
    const nx = r(cur).next;
    ranges.free(cur);
    cur = nx;
  }
  if (cur != <i32>NIL && seqLt(r(cur).start, seq)) r(cur).start = seq;
  store<u8>(headPtr, <u8>cur);
}

export function rangeClear(headPtr: usize): void {
  let cur = <i32>load<u8>(headPtr);
  while (cur != <i32>NIL) {
    const nx = r(cur).next;
    ranges.free(cur);
    cur = nx;
  }
  store<u8>(headPtr, NIL);
}

// Bytes of the list that fall inside [a, b).
export function rangeBytesIn(head: i32, a: u32, b: u32): u32 {
  let n: u32 = 0;
  while (head != <i32>NIL) {
    const s = seqMax(r(head).start, a);
    const e = seqMin(r(head).end, b);
    if (seqGt(e, s)) n += e - s;
    head = r(head).next;
  }
  return n;
}

// Highest end in the list (or `dflt` when empty).
export function rangeHighest(head: i32, dflt: u32): u32 {
  let h = dflt;
  while (head != <i32>NIL) { h = seqMax(h, r(head).end); head = r(head).next; }
  return h;
}

// The range containing seq, or -1.
export function rangeContaining(head: i32, seq: u32): i32 {
  while (head != <i32>NIL) {
    if (seqLeq(r(head).start, seq) && seqLt(seq, r(head).end)) return head;
    if (seqGt(r(head).start, seq)) return -1;
    head = r(head).next;
  }
  return -1;
}

// Start of the first range beginning after seq (or `dflt`).
export function rangeNextStartAfter(head: i32, seq: u32, dflt: u32): u32 {
  while (head != <i32>NIL) {
    if (seqGt(r(head).start, seq)) return r(head).start;
    head = r(head).next;
  }
  return dflt;
}

export function rangeCount(head: i32): i32 {
  let n = 0;
  while (head != <i32>NIL && n <= MAX_RANGES) { n++; head = r(head).next; }
  return n;
}

export function rangeSize(): u32 { return offsetof<Range>(); }
