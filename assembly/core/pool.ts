// Fixed-size pools (lwIP's memp model): N slots of S bytes carved from static memory at build time,
// a free list threaded through a side array of u16 links, and in-use / high-water / failure
// counters. alloc() and free() are O(1); nothing is allocated after init.

const NIL: u16 = 0xffff;

@unmanaged export class Pool {
  base: usize = 0;     // first slot
  links: usize = 0;    // u16 per slot: next free slot, or NIL
  inuse: usize = 0;    // u8 per slot: 1 when allocated (catches double free)
  slotSize: i32 = 0;
  size: i32 = 0;
  freeHead: i32 = 0;
  used: i32 = 0;
  highWater: i32 = 0;
  failures: i32 = 0;

  // Resets every slot to free and zeroes the slot memory.
  reset(): void {
    memory.fill(this.base, 0, <usize>(this.slotSize * this.size));
    memory.fill(this.inuse, 0, <usize>this.size);
    for (let i = 0; i < this.size; i++) {
      store<u16>(this.links + (<usize>i << 1), i + 1 < this.size ? <u16>(i + 1) : NIL);
    }
    this.freeHead = this.size > 0 ? 0 : <i32>NIL;
    this.used = 0;
    this.highWater = 0;
    this.failures = 0;
  }

  // Returns a free slot index, or -1 when the pool is empty. The slot's memory is zeroed unless
  // `zero` is false (stream blocks: every byte is written before it is read, see core/stream.ts).
  alloc(zero: bool = true): i32 {
    let i = this.freeHead;
    if (i == <i32>NIL) {
      this.failures++;
      return -1;
    }
    this.freeHead = <i32>load<u16>(this.links + (<usize>i << 1));
    store<u8>(this.inuse + <usize>i, 1);
    if (zero) memory.fill(this.slot(i), 0, <usize>this.slotSize);
    this.used++;
    if (this.used > this.highWater) this.highWater = this.used;
    return i;
  }

  // Returns a slot to the pool. Ignores indices that are out of range or already free.
  free(i: i32): bool {
    if (!this.isUsed(i)) return false;
    store<u8>(this.inuse + <usize>i, 0);
    store<u16>(this.links + (<usize>i << 1), <u16>this.freeHead);
    this.freeHead = i;
    this.used--;
    return true;
  }

  isUsed(i: i32): bool {
    return <u32>i < <u32>this.size && load<u8>(this.inuse + <usize>i) != 0;
  }

  // @ts-ignore: decorator
  @inline slot(i: i32): usize {
    return this.base + <usize>(i * this.slotSize);
  }

  // Counts the free list; used + free must equal size, and free slots must be marked free.
  checkConsistent(): bool {
    let n = 0;
    let i = this.freeHead;
    while (i != <i32>NIL) {
      if (<u32>i >= <u32>this.size || load<u8>(this.inuse + <usize>i) != 0) return false;
      if (++n > this.size) return false;
      i = <i32>load<u16>(this.links + (<usize>i << 1));
    }
    return n + this.used == this.size;
  }

  // Writes size, used, high water and failures as 4 x u32 (pool_stats export).
  writeStats(p: usize): void {
    store<u32>(p, this.size);
    store<u32>(p, this.used, 4);
    store<u32>(p, this.highWater, 8);
    store<u32>(p, this.failures, 12);
  }
}

// Creates a pool over static memory. Call only from top-level initialisers (memory.data needs
// constant sizes, so the callers pass `memory.data(...)` results in).
export function makePool(header: usize, base: usize, links: usize, inuse: usize, slotSize: i32, size: i32): Pool {
  const p = changetype<Pool>(header);
  p.base = base;
  p.links = links;
  p.inuse = inuse;
  p.slotSize = slotSize;
  p.size = size;
  p.reset();
  return p;
}
