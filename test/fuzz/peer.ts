// A scripted peer for the malformed-input and exhaustion tests: stack B (debug build, so
// check_invariants is live) with a listener on 5001, and a hand-driven "A" that answers B's ARP
// requests, performs the handshake with tcpFrame segments and keeps the sequence numbers, so a
// test can send one exact hostile frame and read B's exact reaction (frames out, counters).
import { Stack } from '../../host/stack.ts';
import type { StatName } from '../../host/abi.ts';
import { ACK, SYN, tcpFrame, type TcpFrame } from '../helpers/frames.ts';
import { readTcp, type TcpView } from './packet.ts';
import { IP_A, IP_B, LISTEN_PORT, MAC_A, MAC_B } from './target.ts';
import { pinnedBuild } from '../helpers/build.ts';

export const PEER_ISS = 0x10000000;

/** ARP reply (RFC 826) "IP_A is at MAC_A" (or the given MAC), addressed to B. */
export function arpReply(mac: number[] = MAC_A, ip = IP_A): Uint8Array {
  const b = new Uint8Array(42);
  b.set(MAC_B, 0); b.set(mac, 6); b[12] = 0x08; b[13] = 0x06;
  b.set([0, 1, 8, 0, 6, 4, 0, 2], 14);
  b.set(mac, 22); b.set(ip.split('.').map(Number), 28);
  b.set(MAC_B, 32); b.set(IP_B.split('.').map(Number), 38);
  return b;
}

export class Peer {
  readonly b: Stack;
  readonly listener: number;
  conn = -1;
  sport = 40000;
  /** Our next sequence number, and the next one we expect from B. */
  sndNxt = PEER_ISS;
  rcvNxt = 0;
  /** Every TCP segment B sent, parsed, in order. */
  readonly out: TcpView[] = [];

  constructor(sysctls: Record<string, number> = {}) {
    this.b = new Stack({ name: 'B', mac: '02:00:00:00:00:02', ip: IP_B, build: pinnedBuild() });
    for (const [k, v] of Object.entries(sysctls)) this.b.setSysctl(k as never, v);
    this.listener = this.b.socket();
    this.b.bind(this.listener, 0, LISTEN_PORT);
    this.b.listen(this.listener, 4);
  }

  /** Feeds one frame to B and returns the TCP segments B sent in reaction (ARP handled here). */
  input(frame: Uint8Array): TcpView[] {
    const r = this.b.input(frame);
    if (r < 0) throw new Error(`netif_input returned ${r}`);
    return this.drain();
  }

  /** B's output since the last call: ARP requests are answered, TCP segments returned. */
  drain(): TcpView[] {
    const got: TcpView[] = [];
    for (let i = 0; i < 100 && this.b.outbox.length; i++) {
      const f = this.b.outbox.shift()!;
      if (f[12] === 0x08 && f[13] === 0x06 && f[21] === 1) { this.b.input(arpReply()); continue; }
      const v = readTcp(f);
      if (v) { got.push(v); this.out.push(v); }
    }
    return got;
  }

  /** A segment on the connection's 4-tuple with our current numbers unless overridden. */
  seg(f: Partial<TcpFrame>): Uint8Array {
    return tcpFrame({ srcMac: MAC_A, dstMac: MAC_B, srcIp: IP_A, dstIp: IP_B, sport: this.sport, dport: LISTEN_PORT,
      seq: this.sndNxt, ack: this.rcvNxt, flags: ACK, win: 65535, ...f });
  }

  /** Three-way handshake (RFC 9293 §3.5) with MSS 1460; leaves `conn` ESTABLISHED on B. */
  establish(): this {
    const synack = this.input(this.seg({ seq: this.sndNxt, ack: 0, flags: SYN, options: [2, 4, 0x05, 0xb4] }))
      .find((s) => (s.flags & 0x12) === 0x12);
    if (!synack) throw new Error('no SYN-ACK from B');
    this.sndNxt = (this.sndNxt + 1) >>> 0;
    this.rcvNxt = (synack.seq + 1) >>> 0;
    this.input(this.seg({}));
    this.conn = this.b.accept(this.listener);
    if (this.conn < 0) throw new Error(`accept failed: ${this.conn}`);
    return this;
  }

  /** Sends `data` in order; returns B's reaction. */
  sendData(data: Uint8Array, flags = ACK | 8): TcpView[] {
    const r = this.input(this.seg({ payload: data, flags }));
    this.sndNxt = (this.sndNxt + data.length) >>> 0;
    return r;
  }

  stat(name: StatName): number {
    return this.b.stat(name);
  }

  /** Counter deltas caused by `fn`. */
  deltas<T>(fn: () => T): { result: T; d: (n: StatName) => number } {
    const before = this.b.stats();
    const result = fn();
    const after = this.b.stats();
    return { result, d: (n) => after[n] - before[n] };
  }

  /** The connection still works: in-order data is ACKed and readable byte-exact; invariants hold. */
  assertAlive(): void {
    const data = new TextEncoder().encode(`alive ${this.sndNxt}`);
    const r = this.sendData(data);
    this.b.fasttmr(); this.b.fasttmr();
    const acks = [...r, ...this.drain()].filter((s) => (s.flags & ACK) && s.ack === this.sndNxt);
    if (!acks.length) throw new Error(`connection did not ACK new data (state ${this.b.state(this.conn)})`);
    const got = this.b.recv(this.conn);
    if (typeof got === 'number' || Buffer.compare(Buffer.from(got.subarray(got.length - data.length)), Buffer.from(data)) !== 0) {
      throw new Error(`connection did not deliver the data: ${typeof got === 'number' ? got : Buffer.from(got).toString()}`);
    }
    const inv = this.b.checkInvariants();
    if (inv !== 0) throw new Error(`check_invariants() = ${inv}`);
  }
}
