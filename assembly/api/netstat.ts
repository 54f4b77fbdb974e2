// The operator's view: connections per state and one row per connection, like `netstat -tn`.
import { MAX_LISTEN_PCBS, MAX_SYN_QUEUE, MAX_TCP_PCBS } from "../config";
import { inIoBuffer } from "../core/buf";
import { EFAULT, EINVAL } from "../errors";
import { ourIp } from "../link/netif";
import { CLOSED, LISTEN, STATE_COUNT, SYN_RCVD } from "./constants";
import { pcbAt, pcbIndex, pcbs, rcvq, sndq, stateCount } from "../tcp/pcb";
import { listenerAt, listeners, synEntryRow, synQueue } from "../tcp/listen";

// Connections in a state. LISTEN counts listeners; SYN_RCVD includes SYN-queue entries.
export function netstatCount(state: i32): i32 {
  if (state < 0 || state >= STATE_COUNT) return EINVAL;
  if (state == LISTEN) return listeners.used;
  if (state == SYN_RCVD) return stateCount(SYN_RCVD) + synQueue.used;
  return stateCount(state);
}

function writeRow(out: usize, state: u32, lport: u32, rip: u32, rport: u32, sendq: u32, recvq: u32, slot: u32): void {
  store<u32>(out, state);
  store<u32>(out, ourIp, 4);
  store<u32>(out, lport, 8);
  store<u32>(out, rip, 12);
  store<u32>(out, rport, 16);
  store<u32>(out, sendq, 20);
  store<u32>(out, recvq, 24);
  store<u32>(out, slot, 28);
}

// Row i (listeners, then half-open entries, then connections not CLOSED); EINVAL past the end.
export function netstatRow(i: i32, out: u32): i32 {
  if (!inIoBuffer(out, 32)) return EFAULT;
  if (i < 0) return EINVAL;
  for (let k = 0; k < MAX_LISTEN_PCBS; k++) {
    if (!listeners.isUsed(k)) continue;
    if (i-- == 0) {
      const l = listenerAt(k);
      writeRow(out, LISTEN, l.port, 0, 0, 0, l.accCount, k);
      return 0;
    }
  }
  const tmp = memory.data(12);
  for (let k = 0; k < MAX_SYN_QUEUE; k++) {
    if (!synEntryRow(k, tmp)) continue;
    if (i-- == 0) {
      writeRow(out, SYN_RCVD, load<u32>(tmp, 8), load<u32>(tmp), load<u32>(tmp, 4), 0, 0, k);
      return 0;
    }
  }
  for (let k = 0; k < MAX_TCP_PCBS; k++) {
    if (!pcbs.isUsed(k)) continue;
    const p = pcbAt(k);
    if (p.state == CLOSED) continue;
    if (i-- == 0) {
      writeRow(out, p.state, p.localPort, p.remoteIp, p.remotePort, sndq(p).len, rcvq(p).len, pcbIndex(p));
      return 0;
    }
  }
  return EINVAL;
}
