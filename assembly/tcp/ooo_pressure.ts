// Out-of-order data under memory pressure (issue 26: a dozen connections with one byte at the right
// edge of their windows used to pin the whole block pool).
//
// The receive stream keeps out-of-order bytes at their place in the window, so a segment far to
// the right reserves every block up to it. Three rules keep that from starving everyone else:
// 1. Out-of-order data may take new blocks only while the pool keeps OOO_RESERVE_BLOCKS free for
//    in-order data and sending (a segment that would need more is dropped and counted: the peer
//    resends it). No tighter per-connection cap: one below the receive window made a sender that
//    kept refilling the far end of the window stall (seen with undici at 5 % loss).
// 2. In-order data that finds the pool dry reclaims other connections' out-of-order data (as lwIP
//    frees its ooseq queues when pbufs run out and Linux prunes the ofo queue); a receiver may
//    renege on SACKed data (RFC 2018 §8), the sender keeps it until cumulatively acknowledged.
// 3. The advertised window never opens beyond what the pool can back, less TX_RESERVE_BLOCKS kept
//    for sending (tcp/output.ts); it never shrinks either (RFC 9293 §3.8.6.2.2).
// 4. Received data does not take those TX_RESERVE_BLOCKS (a window promised earlier may be worth
//    more than the pool holds now): a dropped segment is resent, a starved sender never is.
import { BLOCK_SIZE, MAX_BLOCKS } from "../config";
import { blocks, Stream } from "../core/stream";
import { count, Stat } from "../stats";
import { LIST_ACTIVE, NIL, Pcb, listHead, pcbAt, rcvq } from "./pcb";
import { rangeClear } from "./ranges";

export const OOO_RESERVE_BLOCKS: i32 = MAX_BLOCKS / 4;

// Bytes beyond the readable part that out-of-order data may cover in `p`'s stream now.
export function oooRoom(p: Pcb): u32 {
  const q = rcvq(p);
  const held = q.capacity - q.len;                 // already reserved past the readable bytes
  const spare = blocks.size - blocks.used - OOO_RESERVE_BLOCKS;
  return held + <u32>(spare > 0 ? spare : 0) * <u32>BLOCK_SIZE;
}

// Drops the out-of-order data of every active connection but `keep`; true when blocks came back.
export function oooReclaim(keep: Pcb): bool {
  const before = blocks.used;
  let i = listHead(LIST_ACTIVE);
  while (i != <i32>NIL) {
    const p = pcbAt(i);
    if (p != keep && p.oooHead != NIL) {
      rangeClear(changetype<usize>(p) + offsetof<Pcb>("oooHead"));
      p.oooLast = NIL;
      rcvq(p).trimTail();
      count(Stat.ooo_pruned);
    }
    i = p.next;
  }
  return blocks.used < before;
}

// Blocks a receive window may never promise: kept for send queues, so receivers that take every
// block freed by a read cannot starve a sender (an echo loop that writes before it reads again
// deadlocked when all blocks sat in receive queues; lwIP keeps RX pbufs and TX memory apart).
export const TX_RESERVE_BLOCKS: i32 = 2;

// Rule 4: received data may not take the send reserve either (the peer resends what is dropped).
// Makes `q` cover `upto` bytes unless that takes the send reserve; false when it cannot.
export function rxReserve(q: Stream, upto: u32): bool {
  const short = <i32>upto - <i32>q.capacity;
  const need = short > 0 ? (short + BLOCK_SIZE - 1) / BLOCK_SIZE : 0;
  return blocks.size - blocks.used - need >= TX_RESERVE_BLOCKS && q.reserve(upto);
}

// Blocks free in the pool beyond the send reserve, in bytes: what a window may still promise
// beyond reserved room.
export function poolRoom(): u32 {
  const spare = blocks.size - blocks.used - TX_RESERVE_BLOCKS;
  return <u32>(spare > 0 ? spare : 0) * <u32>BLOCK_SIZE;
}
