// "A connection in state X, reached by way W": each setup drives a freshly reset stack through the
// real wire to the state and records the sequence variables (RFC 9293 §3.3.1) the oracle needs.
// Where the stack can have data in flight (ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING,
// LAST_ACK) it has 100 unacknowledged bytes out, so "an ACK in flight" exists.
import { stateName } from '../../host/abi.ts';
import { ACK, FIN, Host, LISTEN_PORT, MSS_OPT, PEER_ISS, PEER_WIN, SYN, type Seg } from './host.ts';

export type Way = 'none' | 'passive' | 'active' | 'simultaneous';
export type StateName = 'CLOSED' | 'LISTEN' | 'SYN_SENT' | 'SYN_RCVD' | 'ESTABLISHED' | 'FIN_WAIT_1' | 'FIN_WAIT_2' |
  'CLOSE_WAIT' | 'CLOSING' | 'LAST_ACK' | 'TIME_WAIT';

export type Ctx = {
  state: StateName; way: Way;
  /** The connection's handle, or null (CLOSED port, LISTEN, passive SYN_RCVD: no socket yet). */
  h: number | null;
  /** The listener's handle (LISTEN, passive ways). */
  listener: number | null;
  dport: number;
  iss: number; irs: number;
  /** RCV.NXT, RCV.WND: what the stack expects next and the window its last segment offered. */
  rcvNxt: number; rcvWnd: number;
  sndUna: number; sndNxt: number;
  /** The largest window the peer offered (RFC 5961 §5.2 MAX.SND.WND). */
  maxSndWnd: number;
};

const DATA = 100;

function expectOne(out: Seg[], flags: number, what: string): Seg {
  if (out.length !== 1 || out[0].flags !== flags) throw new Error(`setup: ${what}: expected one segment with flags ${flags}, got ${JSON.stringify(out)}`);
  return out[0];
}

function checkState(host: Host, h: number, want: StateName): void {
  const s = stateName(host.stack.state(h));
  if (s !== want) throw new Error(`setup: expected ${want}, the socket is ${s}`);
}

/** ESTABLISHED by the given way; returns the context with nothing in flight yet. */
function established(host: Host, way: Way): Ctx {
  const st = host.stack;
  if (way === 'passive') {
    const l = st.socket(); st.bind(l, 0, LISTEN_PORT); st.listen(l, 4);
    const sa = expectOne(host.send(LISTEN_PORT, PEER_ISS, 0, SYN, 0, PEER_WIN, MSS_OPT), SYN | ACK, 'SYN-ACK');
    const none = host.send(LISTEN_PORT, PEER_ISS + 1, sa.seq + 1, ACK);
    if (none.length) throw new Error(`setup: the handshake ACK got ${JSON.stringify(none)}`);
    const h = st.accept(l);
    if (h <= 0) throw new Error(`setup: accept() = ${h}`);
    return { state: 'ESTABLISHED', way, h, listener: l, dport: LISTEN_PORT, iss: sa.seq, irs: PEER_ISS,
      rcvNxt: PEER_ISS + 1, rcvWnd: sa.win, sndUna: sa.seq + 1, sndNxt: sa.seq + 1, maxSndWnd: PEER_WIN };
  }
  const { h, syn, lport } = host.connect();
  if (way === 'active') {
    const a = expectOne(host.send(lport, PEER_ISS, syn.seq + 1, SYN | ACK, 0, PEER_WIN, MSS_OPT), ACK, 'handshake ACK');
    return { state: 'ESTABLISHED', way, h, listener: null, dport: lport, iss: syn.seq, irs: PEER_ISS,
      rcvNxt: PEER_ISS + 1, rcvWnd: a.win, sndUna: syn.seq + 1, sndNxt: syn.seq + 1, maxSndWnd: PEER_WIN };
  }
  const sa = expectOne(host.send(lport, PEER_ISS, 0, SYN, 0, PEER_WIN, MSS_OPT), SYN | ACK, 'simultaneous SYN-ACK');
  checkState(host, h, 'SYN_RCVD');
  const none = host.send(lport, PEER_ISS + 1, syn.seq + 1, ACK);
  if (none.length) throw new Error(`setup: the simultaneous-open ACK got ${JSON.stringify(none)}`);
  return { state: 'ESTABLISHED', way, h, listener: null, dport: lport, iss: syn.seq, irs: PEER_ISS,
    rcvNxt: PEER_ISS + 1, rcvWnd: sa.win, sndUna: syn.seq + 1, sndNxt: syn.seq + 1, maxSndWnd: PEER_WIN };
}

function sendData(host: Host, c: Ctx): void {
  const r = host.stack.send(c.h!, new Uint8Array(DATA).fill(0x62));
  if (r !== DATA) throw new Error(`setup: send() = ${r}`);
  const d = expectOne(host.drain(), ACK | 8, 'data');
  if (d.seq >>> 0 !== c.sndNxt >>> 0 || d.len !== DATA) throw new Error(`setup: data at ${d.seq} len ${d.len}`);
  c.sndNxt += DATA;
}

function shutdownWr(host: Host, c: Ctx): void {
  if (host.stack.shutdown(c.h!, 1) !== 0) throw new Error('setup: shutdown failed');
  const f = expectOne(host.drain(), FIN | ACK, 'our FIN');
  if (f.seq >>> 0 !== c.sndNxt >>> 0) throw new Error(`setup: FIN at ${f.seq}, SND.NXT ${c.sndNxt}`);
  c.sndNxt += 1;
}

/** The peer's FIN at RCV.NXT acknowledging `ack`; the stack's ACK for it. */
function peerFin(host: Host, c: Ctx, ack: number): void {
  const a = expectOne(host.send(c.dport, c.rcvNxt, ack, FIN | ACK), ACK, 'ACK of the peer FIN');
  c.rcvNxt += 1;
  c.rcvWnd = a.win;
  if (a.ack >>> 0 !== c.rcvNxt >>> 0) throw new Error(`setup: FIN acked with ${a.ack}`);
}

function peerAck(host: Host, c: Ctx, ack: number): void {
  const out = host.send(c.dport, c.rcvNxt, ack, ACK);
  if (out.length) throw new Error(`setup: an ACK got ${JSON.stringify(out)}`);
  c.sndUna = ack;
}

/** Takes a freshly reset stack to `state` by `way`. */
export function setup(host: Host, state: StateName, way: Way): Ctx {
  const st = host.stack;
  let c: Ctx;
  switch (state) {
    case 'CLOSED': {
      // A port nobody listens on (RFC 9293 §3.10.7.1); the numbers are arbitrary.
      return { state, way, h: null, listener: null, dport: 9, iss: 0x1000, irs: PEER_ISS - 1, rcvNxt: PEER_ISS, rcvWnd: 8192,
        sndUna: 0x1000, sndNxt: 0x1000, maxSndWnd: PEER_WIN };
    }
    case 'LISTEN': {
      const l = st.socket(); st.bind(l, 0, LISTEN_PORT); st.listen(l, 4);
      return { state, way, h: null, listener: l, dport: LISTEN_PORT, iss: 0x1000, irs: PEER_ISS - 1, rcvNxt: PEER_ISS, rcvWnd: 8192,
        sndUna: 0x1000, sndNxt: 0x1000, maxSndWnd: PEER_WIN };
    }
    case 'SYN_SENT': {
      const { h, syn, lport } = host.connect();
      // No IRS yet: the "sequence positions" are taken around the ISN the peer is about to use.
      return { state, way, h, listener: null, dport: lport, iss: syn.seq, irs: PEER_ISS, rcvNxt: PEER_ISS + 1, rcvWnd: syn.win,
        sndUna: syn.seq, sndNxt: syn.seq + 1, maxSndWnd: 0 };
    }
    case 'SYN_RCVD': {
      if (way === 'passive') {
        const l = st.socket(); st.bind(l, 0, LISTEN_PORT); st.listen(l, 4);
        const sa = expectOne(host.send(LISTEN_PORT, PEER_ISS, 0, SYN, 0, PEER_WIN, MSS_OPT), SYN | ACK, 'SYN-ACK');
        return { state, way, h: null, listener: l, dport: LISTEN_PORT, iss: sa.seq, irs: PEER_ISS, rcvNxt: PEER_ISS + 1,
          rcvWnd: sa.win, sndUna: sa.seq, sndNxt: sa.seq + 1, maxSndWnd: PEER_WIN };
      }
      const { h, syn, lport } = host.connect();
      const sa = expectOne(host.send(lport, PEER_ISS, 0, SYN, 0, PEER_WIN, MSS_OPT), SYN | ACK, 'simultaneous SYN-ACK');
      checkState(host, h, 'SYN_RCVD');
      return { state, way, h, listener: null, dport: lport, iss: syn.seq, irs: PEER_ISS, rcvNxt: PEER_ISS + 1, rcvWnd: sa.win,
        sndUna: syn.seq, sndNxt: syn.seq + 1, maxSndWnd: PEER_WIN };
    }
    case 'ESTABLISHED': c = established(host, way); sendData(host, c); break;
    case 'FIN_WAIT_1': c = established(host, way); sendData(host, c); shutdownWr(host, c); break;
    case 'FIN_WAIT_2': c = established(host, way); sendData(host, c); shutdownWr(host, c); peerAck(host, c, c.sndNxt); break;
    case 'CLOSE_WAIT': c = established(host, way); peerFin(host, c, c.sndNxt); sendData(host, c); break;
    case 'LAST_ACK': c = established(host, way); peerFin(host, c, c.sndNxt); sendData(host, c); shutdownWr(host, c); break;
    case 'CLOSING': c = established(host, way); sendData(host, c); shutdownWr(host, c); peerFin(host, c, c.sndUna); break;
    case 'TIME_WAIT':
      c = established(host, way); sendData(host, c); shutdownWr(host, c); peerAck(host, c, c.sndNxt); peerFin(host, c, c.sndNxt);
      break;
  }
  c.state = state;
  checkState(host, c.h!, state);
  return c;
}

/** The ways into each state (RFC 9293 §3.5: passive, active, simultaneous open). */
export const WAYS: Record<StateName, Way[]> = {
  CLOSED: ['none'], LISTEN: ['passive'], SYN_SENT: ['active'], SYN_RCVD: ['passive', 'simultaneous'],
  ESTABLISHED: ['passive', 'active', 'simultaneous'], FIN_WAIT_1: ['passive', 'active', 'simultaneous'],
  FIN_WAIT_2: ['passive', 'active', 'simultaneous'], CLOSE_WAIT: ['passive', 'active', 'simultaneous'],
  CLOSING: ['passive', 'active', 'simultaneous'], LAST_ACK: ['passive', 'active', 'simultaneous'],
  TIME_WAIT: ['passive', 'active', 'simultaneous'],
};
