// A scripted remote host for the conformance tests: one Stack (192.0.2.2) driven directly with
// hand-built segments from 192.0.2.1, with "a connection in state X" helpers that take the stack
// there through the real wire (passive, active or simultaneous open), and a reader of what the
// stack sent back. No text scripts: thousands of cells must run in seconds.
import { Stack, type Build, type Event } from '../../host/stack.ts';
import { Clock } from '../../host/clock.ts';
import { EINPROGRESS } from '../../host/abi.ts';
import { tcpFrame } from '../helpers/frames.ts';
import { readTcp, type TcpView } from '../fuzz/packet.ts';

export const FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16;
export const LOCAL_IP = '192.0.2.2', REMOTE_IP = '192.0.2.1';
const LOCAL_MAC = [2, 0, 0, 0, 0, 2], REMOTE_MAC = [2, 0, 0, 0, 0, 1];
export const LISTEN_PORT = 8080;
export const PEER_ISS = 0x7ffffff0;   // close to a sign boundary on purpose: sequence arithmetic wraps
export const PEER_WIN = 65535;

export type Seg = { seq: number; ack: number; flags: number; win: number; len: number };

export class Host {
  readonly clock = new Clock(1000);
  readonly stack: Stack;
  sport = 40000;
  private readonly events: Event[] = [];
  /** What netif_input returned for the last send() (1: an ACK is held for the application). */
  lastInput = 0;

  constructor(build?: Build, wasmPath?: string) {
    this.stack = new Stack({ name: 'conf', mac: '02:00:00:00:00:02', ip: LOCAL_IP, clock: this.clock, seed: 7, build, wasmPath });
    this.arp();
  }

  /** stack_init again (all pools empty), the ARP entry for the peer learned again. */
  reset(): void {
    const r = this.stack.reset();
    if (r !== 0) throw new Error(`stack_init returned ${r}`);
    this.arp();
  }

  /** An ARP request from the peer teaches the stack its MAC; the reply is discarded. */
  private arp(): void {
    const f = new Uint8Array(42);
    f.fill(255, 0, 6); f.set(REMOTE_MAC, 6); f[12] = 8; f[13] = 6;
    f.set([0, 1, 8, 0, 6, 4, 0, 1], 14); f.set(REMOTE_MAC, 22); f.set([192, 0, 2, 1], 28); f.set([192, 0, 2, 2], 38);
    this.stack.input(f);
    this.stack.outbox.length = 0;
  }

  /** Sends one segment from the peer to `dport` and returns every TCP segment the stack sent in reply. */
  send(dport: number, seq: number, ack: number, flags: number, len = 0, win = PEER_WIN, options: number[] = [],
       payload = new Uint8Array(len).fill(0x41), drainEvents = true): Seg[] {
    const r = this.lastInput = this.stack.input(tcpFrame({
      srcMac: REMOTE_MAC, dstMac: LOCAL_MAC, srcIp: REMOTE_IP, dstIp: LOCAL_IP, sport: this.sport, dport,
      seq: seq >>> 0, ack: ack >>> 0, flags, win, options, payload,
    }));
    if (r < 0) throw new Error(`netif_input returned ${r}`);
    if (drainEvents) this.pollEvents();
    return this.drain();
  }

  /**
   * Drains the events into `events`, as a board's loop does after every input: an ACK the stack
   * holds for the application (netif_input returned 1) goes out once ev_poll() finds no more.
   */
  pollEvents(): void {
    this.events.push(...this.stack.pollEvents());
  }

  /** The events raised since the last call. */
  takeEvents(): Event[] {
    this.pollEvents();
    return this.events.splice(0);
  }

  /** What the stack sent since the last call (TCP only; anything else is an error here). */
  drain(): Seg[] {
    const out: Seg[] = [];
    for (const f of this.stack.outbox.splice(0)) {
      const v: TcpView | null = readTcp(f);
      if (!v) throw new Error(`the stack sent a frame that is not TCP (ethertype ${f[12]}.${f[13]})`);
      out.push({ seq: v.seq, ack: v.ack, flags: v.flags & 0x1f, win: v.win, len: v.payloadLen });
    }
    return out;
  }

  /** Active open: socket + connect to the peer; returns the handle, the stack's SYN and its port. */
  connect(): { h: number; syn: Seg; lport: number } {
    const h = this.stack.socket();
    if (h <= 0) throw new Error(`socket() = ${h}`);
    const r = this.stack.connect(h, REMOTE_IP, this.sport);
    if (r !== EINPROGRESS) throw new Error(`connect() = ${r}`);
    const out = this.drain();
    if (out.length !== 1 || out[0].flags !== SYN) throw new Error(`connect sent ${JSON.stringify(out)}`);
    const peer = this.stack.peer(h);
    if (typeof peer === 'number') throw new Error(`peer() = ${peer}`);
    return { h, syn: out[0], lport: peer.localPort };
  }
}

/** TCP options the peer sends on its SYN: just MSS 1460 (no timestamps, so PAWS never interferes). */
export const MSS_OPT = [2, 4, 0x05, 0xb4];
