// Hand-built frames for tests that play a hostile or scripted peer: Ethernet + IPv4 + TCP with
// correct checksums, so that the stack's reaction is to the content, not to a bad checksum.

export function ipToBytes(ip: string): number[] {
  return ip.split('.').map(Number);
}

function sum16(b: Uint8Array, start: number, end: number, acc = 0): number {
  for (let i = start; i < end; i += 2) acc += (b[i] << 8) | (i + 1 < end ? b[i + 1] : 0);
  return acc;
}

function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 65536);
  return ~acc & 0xffff;
}

export type TcpFrame = {
  srcMac: ArrayLike<number>; dstMac: ArrayLike<number>;
  srcIp: string; dstIp: string; sport: number; dport: number;
  seq: number; ack?: number; flags: number; win?: number; options?: number[]; payload?: Uint8Array; ttl?: number;
  /** Urgent pointer (RFC 9293 §3.1), 0 unless given. */
  urg?: number;
};

export function tcpFrame(f: TcpFrame): Uint8Array {
  const opts = f.options ?? [];
  const hl = 20 + opts.length;
  const pl = f.payload ?? new Uint8Array(0);
  const total = 20 + hl + pl.length;
  const b = new Uint8Array(14 + total);
  const d = new DataView(b.buffer);
  b.set(f.dstMac, 0); b.set(f.srcMac, 6); d.setUint16(12, 0x0800);
  b[14] = 0x45; d.setUint16(16, total); b[20] = 0x40; b[22] = f.ttl ?? 64; b[23] = 6;
  b.set(ipToBytes(f.srcIp), 26); b.set(ipToBytes(f.dstIp), 30);
  d.setUint16(24, fold(sum16(b, 14, 34)));
  const t = 34;
  d.setUint16(t, f.sport); d.setUint16(t + 2, f.dport);
  d.setUint32(t + 4, f.seq >>> 0); d.setUint32(t + 8, (f.ack ?? 0) >>> 0);
  b[t + 12] = (hl / 4) << 4; b[t + 13] = f.flags; d.setUint16(t + 14, f.win ?? 65535); d.setUint16(t + 18, f.urg ?? 0);
  b.set(opts, t + 20); b.set(pl, t + hl);
  let acc = sum16(b, 26, 34) + 6 + hl + pl.length;
  acc = sum16(b, t, t + hl + pl.length, acc);
  d.setUint16(t + 16, fold(acc));
  return b;
}

export const FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16;
