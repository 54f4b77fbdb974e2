// Byte streams over chains of fixed-size blocks from one shared pool: the send and receive buffers
// of every TCP connection. A stream covers the bytes [start, start + capacity) of its chain; the
// first `len` of them are valid and contiguous. The receive side may also hold out-of-order bytes
// beyond `len` (tcp/ooseq.ts tracks which), so capacity can run ahead of len.
//
// Blocks are taken lazily as data arrives and returned as soon as it is consumed, so idle
// connections hold no buffer memory (unlike per-socket ring buffers).
import { BLOCK_SIZE, MAX_BLOCKS } from "../config";
import { Pool, makePool } from "./pool";
import { count, Stat } from "../stats";

const NIL: u8 = 0xff;   // block indices are u8: MAX_BLOCKS must stay below 255
// @ts-ignore: compile-time check (a 384-block pool built and then corrupted a 16 MiB echo)
if (MAX_BLOCKS >= 255) ERROR("stream: block indices are u8: MAX_BLOCKS must stay below 255");

const blockMem: usize = memory.data(BLOCK_SIZE * MAX_BLOCKS);   // static: no base load per use
export const blocks: Pool = makePool(
  memory.data(offsetof<Pool>()), blockMem,
  memory.data(MAX_BLOCKS * 2), memory.data(MAX_BLOCKS), BLOCK_SIZE, MAX_BLOCKS);
const chainNext: usize = memory.data(MAX_BLOCKS);

// @ts-ignore: decorator
@inline function nextOf(b: i32): i32 { return <i32>load<u8>(chainNext + <usize>b); }
// @ts-ignore: decorator
@inline function setNext(b: i32, n: i32): void { store<u8>(chainNext + <usize>b, <u8>n); }
// @ts-ignore: decorator
@inline function blockPtr(b: i32): usize { return blockMem + <usize>(b * BLOCK_SIZE); }

// One cursor for the chain walk of readAt/writeAt: block `curB` is block number `curK` of the chain
// of the stream at `curStream`, whose head was `curHead`. Output reads the send stream at rising
// offsets, so most walks start from it instead of from the head. Only this file links blocks:
// reserve appends behind the cursor; consume moves it with the head; release, trimTail and init
// drop it.
let curStream: usize = 0;
let curHead: i32 = -1;
let curK: u32 = 0;
let curB: i32 = 0;

// @ts-ignore: compile-time check of the layout init's one 8-byte store relies on
if (offsetof<Stream>("head") != 6 || offsetof<Stream>("tail") != 7 || offsetof<Stream>("nblocks") != 8) ERROR("stream: layout changed");

// A view over 9 bytes inside a PCB (see tcp/pcb.ts, which packs other u8 fields after them).
@unmanaged export class Stream {
  len: u32;
  start: u16;
  head: u8;
  tail: u8;
  nblocks: u8;

  // len = 0, start = 0, head = tail = NIL as one 8-byte store, then nblocks = 0.
  init(): void {
    this.dropCursor();
    store<u64>(changetype<usize>(this), 0xffff000000000000);
    this.nblocks = 0;
  }

  // Bytes the chain can hold from `start` without taking more blocks.
  // @ts-ignore: decorator
  @inline get capacity(): u32 {
    return <u32>this.nblocks * <u32>BLOCK_SIZE - <u32>this.start;
  }

  // Makes the chain cover at least `upto` bytes from start. False when the block pool ran dry
  // (the blocks taken so far stay in the chain and are used by the next call).
  reserve(upto: u32): bool {
    while (this.capacity < upto) {
      const b = blocks.alloc(false);   // not zeroed: bytes are read only after writeAt (len, ooseq ranges)
      if (b < 0) { count(Stat.pool_fail_block); return false; }
      setNext(b, NIL);
      if (this.head == NIL) {
        this.head = <u8>b;
        this.start = 0;
      } else {
        setNext(this.tail, b);
      }
      this.tail = <u8>b;
      this.nblocks++;
    }
    return true;
  }

  // Block number k of the chain (k < nblocks), walking from the cursor when it is on this chain.
  private seek(k: u32): i32 {
    let b = <i32>this.head;
    let i: u32 = 0;
    if (curStream == changetype<usize>(this) && curHead == b && curK <= k) { b = curB; i = curK; }
    while (i < k) { b = nextOf(b); i++; }
    curStream = changetype<usize>(this);
    curHead = <i32>this.head;
    curK = k;
    curB = b;
    return b;
  }

  private dropCursor(): void {
    if (curStream == changetype<usize>(this)) curStream = 0;
  }

  // Copies n bytes from src to stream offset off (relative to start). Caller reserved the room.
  writeAt(off: u32, src: usize, n: u32): void { this.copyAt(off, src, n, true); }

  // Copies n bytes at stream offset off (relative to start) to dst. Caller checked the range.
  readAt(off: u32, dst: usize, n: u32): void { this.copyAt(off, dst, n, false); }

  private copyAt(off: u32, p: usize, n: u32, toStream: bool): void {
    let pos = off + <u32>this.start;
    let b = this.seek(pos / <u32>BLOCK_SIZE);
    pos %= <u32>BLOCK_SIZE;
    while (n > 0) {
      const chunk = min(n, <u32>BLOCK_SIZE - pos);
      const q = blockPtr(b) + pos;
      memory.copy(toStream ? q : p, toStream ? p : q, chunk);
      p += chunk;
      n -= chunk;
      pos = 0;
      b = nextOf(b);
    }
  }

  // Address of stream offset off (relative to start; the caller reserved it). The bytes from there
  // to the end of its block are contiguous: contiguousAt(off) of them (the zero-copy calls).
  // The head and tail blocks are taken directly: the cursor stays where output and input use it.
  addrAt(off: u32): usize {
    const pos = off + <u32>this.start;
    const k = pos / <u32>BLOCK_SIZE;
    const b = k == 0 ? <i32>this.head : k + 1 == <u32>this.nblocks ? <i32>this.tail : this.seek(k);
    return blockPtr(b) + <usize>(pos % <u32>BLOCK_SIZE);
  }

  // @ts-ignore: decorator
  @inline contiguousAt(off: u32): u32 {
    return <u32>BLOCK_SIZE - (off + <u32>this.start) % <u32>BLOCK_SIZE;
  }

  // Appends up to n bytes; returns how many fit (limited by `limit` total and by the pool).
  append(src: usize, n: u32, limit: u32): u32 {
    if (this.len >= limit) return 0;
    n = min(n, limit - this.len);
    if (!this.reserve(this.len + n)) n = min(n, this.capacity - this.len);
    if (n == 0) return 0;
    this.writeAt(this.len, src, n);
    this.len += n;
    return n;
  }

  // Drops n bytes from the front and returns wholly consumed blocks to the pool.
  consume(n: u32): void {
    if (n > this.len) n = this.len;
    this.len -= n;
    let pos = <u32>this.start + n;
    while (pos >= <u32>BLOCK_SIZE && this.head != NIL) {
      const b = <i32>this.head;
      const nx = nextOf(b);
      blocks.free(b);
      this.nblocks--;
      pos -= <u32>BLOCK_SIZE;
      this.head = <u8>nx;
      if (curStream == changetype<usize>(this)) {     // the cursor moves with the head
        if (curK == 0) curStream = 0; else { curK--; curHead = <i32>nx; }
      }
      if (nx == <i32>NIL) this.tail = NIL;
    }
    this.start = this.head == NIL ? 0 : <u16>pos;
  }

  // Returns every block to the pool.
  release(): void {
    this.dropCursor();
    let b = <i32>this.head;
    while (b != <i32>NIL) {
      const nx = nextOf(b);
      blocks.free(b);
      b = nx;
    }
    this.init();
  }

  // Drops reserved blocks that hold no valid byte (after the receive side discards out-of-order
  // data, or to give memory back when idle).
  trimTail(): void {
    this.dropCursor();
    const needed = this.len + <u32>this.start;
    const keep = (needed + <u32>BLOCK_SIZE - 1) / <u32>BLOCK_SIZE;
    if (<u32>this.nblocks <= keep) return;
    if (keep == 0) { this.release(); return; }
    let b = <i32>this.head;
    for (let i: u32 = 1; i < keep; i++) b = nextOf(b);
    let x = nextOf(b);
    setNext(b, NIL);
    this.tail = <u8>b;
    while (x != <i32>NIL) {
      const nx = nextOf(x);
      blocks.free(x);
      this.nblocks--;
      x = nx;
    }
  }

  // Blocks in this chain (for the invariant checker).
  countChain(): i32 {
    let n = 0;
    let b = <i32>this.head;
    while (b != <i32>NIL && n <= MAX_BLOCKS) { n++; b = nextOf(b); }
    return n;
  }
}

export function streamAt(p: usize): Stream {
  return changetype<Stream>(p);
}
