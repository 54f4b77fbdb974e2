// The stack's notion of "now": read from the host once per ABI entry, so that one call into the
// stack sees one consistent time (state machines take time as an input).
import { now_ms } from "../env";

export let nowMs: u32 = 0;

export function refreshNow(): void {
  nowMs = now_ms();
}

// @ts-ignore: decorator
@inline export function elapsed(since: u32): u32 {
  return nowMs - since;
}

// True once the deadline (an absolute ms time, 0 = not armed) has passed.
// @ts-ignore: decorator
@inline export function due(deadline: u32): bool {
  return deadline != 0 && <i32>(nowMs - deadline) >= 0;
}

// A non-zero deadline `ms` from now (0 is reserved for "not armed").
export function deadlineIn(ms: u32): u32 {
  const d = nowMs + ms;
  return d == 0 ? 1 : d;
}
