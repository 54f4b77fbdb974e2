// Token buckets for messages the stack sends on its own initiative (ICMP errors, ARP requests):
// RFC 1812 §4.3.2.8 asks for a rate limit on ICMP errors; RFC 1122 §2.3.2.1 for ARP floods.
//
// A bucket is 8 bytes: the credit already spent (in 1/1000 message) and the time it was last
// updated. A fresh (zeroed) bucket is full; spending refills at `perSec` messages per second up
// to `burst` messages. perSec = 0 turns the limit off.
import { nowMs } from "./time";

export const BUCKET_BYTES: i32 = 8;

// True (and one message spent) when the bucket at `b` allows one more message now.
export function rateAllow(b: usize, perSec: i32, burst: i32): bool {
  if (perSec <= 0) return true;
  const refill = <u64>(nowMs - load<u32>(b, 4)) * <u64>perSec;
  const spent = load<u32>(b);
  const left: u64 = refill >= <u64>spent ? 0 : <u64>spent - refill;
  const ok = left + 1000 <= <u64>burst * 1000;
  store<u32>(b, nowMs, 4);
  store<u32>(b, <u32>(ok ? left + 1000 : left));
  return ok;
}
