// A lossy log of state transitions of every PCB (orphans included), read by trace_poll(): what the
// demo's timeline and the boards' consoles print. 64 entries; when full the oldest is overwritten
// and Stat.trace_lost counts it.
import { count, Stat } from "../stats";

const SIZE: u32 = 64;
const ring: usize = memory.data(<i32>SIZE * 4);
let head: u32 = 0;   // next to read
let tail: u32 = 0;   // next to write

export function traceState(slot: i32, from: u8, to: u8): void {
  const t = tail;
  store<u32>(ring + (<usize>(t % SIZE) << 2), <u32>slot | (<u32>from << 8) | (<u32>to << 16));
  tail = t + 1;
  if (t - head == SIZE) { head++; count(Stat.trace_lost); }
}

// One entry, or -1 when empty.
export function tracePoll(): i32 {
  if (head == tail) return -1;
  const v = load<u32>(ring + (<usize>(head % SIZE) << 2));
  head++;
  return <i32>v;
}

export function traceReset(): void {
  head = 0;
  tail = 0;
}
