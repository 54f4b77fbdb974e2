// Byte-level helpers shared by the fuzz generators: Internet checksums (RFC 1071) recomputed over
// an Ethernet/IPv4/TCP frame, and a reader of the TCP 4-tuple and sequence fields of a frame.

const ETH = 14;

function sum16(b: Uint8Array, start: number, end: number, acc = 0): number {
  for (let i = start; i < end; i += 2) acc += (b[i] << 8) | (i + 1 < end ? b[i + 1] : 0);
  return acc;
}

function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 65536);
  return ~acc & 0xffff;
}

/**
 * Rewrites the IPv4 header checksum and, for TCP, the TCP checksum over the pseudo-header
 * (RFC 9293 §3.1), so a mutated frame gets past the checksum checks and reaches deeper parsing.
 * Fields are clamped to the frame: a lying length field stays a lie, only the sums are fixed.
 */
export function fixChecksums(b: Uint8Array): void {
  if (b.length < ETH + 20 || b[12] !== 0x08 || b[13] !== 0x00) return;
  const ihl = (b[ETH] & 15) * 4;
  if (ihl < 20 || ETH + ihl > b.length) return;
  b[ETH + 10] = 0; b[ETH + 11] = 0;
  const ipSum = fold(sum16(b, ETH, ETH + ihl));
  b[ETH + 10] = ipSum >> 8; b[ETH + 11] = ipSum & 255;
  if (b[ETH + 9] !== 6) return;
  const total = Math.min((b[ETH + 2] << 8) | b[ETH + 3], b.length - ETH);
  const t = ETH + ihl;
  const tcpLen = total - ihl;
  if (tcpLen < 18) return;
  b[t + 16] = 0; b[t + 17] = 0;
  const acc = sum16(b, t, t + tcpLen, sum16(b, ETH + 12, ETH + 20) + 6 + tcpLen);
  const s = fold(acc);
  b[t + 16] = s >> 8; b[t + 17] = s & 255;
}

export type TcpView = {
  srcIp: number; dstIp: number; sport: number; dport: number;
  seq: number; ack: number; flags: number; win: number; payloadLen: number;
};

/** The TCP fields of a well-formed Ethernet/IPv4/TCP frame, or null for anything else. */
export function readTcp(b: Uint8Array): TcpView | null {
  if (b.length < ETH + 40 || b[12] !== 0x08 || b[13] !== 0x00 || b[ETH + 9] !== 6) return null;
  const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const ihl = (b[ETH] & 15) * 4;
  const t = ETH + ihl;
  if (t + 20 > b.length) return null;
  const total = d.getUint16(ETH + 2);
  const off = (b[t + 12] >> 4) * 4;
  return {
    srcIp: d.getUint32(ETH + 12), dstIp: d.getUint32(ETH + 16), sport: d.getUint16(t), dport: d.getUint16(t + 2),
    seq: d.getUint32(t + 4), ack: d.getUint32(t + 8), flags: b[t + 13], win: d.getUint16(t + 14),
    payloadLen: Math.max(0, total - ihl - off),
  };
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
