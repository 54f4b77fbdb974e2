// Counts data segments a sender puts on the wire again sooner than `withinMs` after the previous
// copy of the same sequence number. Nothing can tell a sender within one RTT that a copy it just
// sent was lost, so with `withinMs` at most the path's RTT every such repeat is wasted (a
// retransmission logic that re-reads old evidence on each ACK of a burst). For pair tests: pass
// `tapRepeats(...)` as runPair's setup.
import type { Wire } from '../../host/wire.ts';

export type Repeats = { count: number; examples: string[] };

export function tapRepeats(fromIp: string, withinMs: number, into: Repeats): (w: { wire: Wire }) => void {
  const src = fromIp.split('.').map(Number);
  const lastSent = new Map<number, number>();
  return ({ wire }) => {
    wire.tap((f, timeMs) => {
      if (f.length < 54 || f[12] !== 0x08 || f[13] !== 0x00 || f[23] !== 6) return;
      if (f[26] !== src[0] || f[27] !== src[1] || f[28] !== src[2] || f[29] !== src[3]) return;
      const ihl = (f[14] & 15) * 4;
      const ipLen = (f[16] << 8) | f[17];
      const t = 14 + ihl;
      const payload = ipLen - ihl - (f[t + 12] >> 4) * 4;
      if (payload <= 0) return;
      const seq = ((f[t + 4] << 24) | (f[t + 5] << 16) | (f[t + 6] << 8) | f[t + 7]) >>> 0;
      const prev = lastSent.get(seq);
      if (prev !== undefined && timeMs - prev < withinMs) {
        into.count++;
        if (into.examples.length < 5) into.examples.push(`seq ${seq} at ${prev} and ${timeMs} ms`);
      }
      lastSent.set(seq, timeMs);
    });
  };
}
