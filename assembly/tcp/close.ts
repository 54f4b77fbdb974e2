// The end of connections: the application's close/shutdown (RFC 9293 §3.10.4), TIME_WAIT entry
// with its bucket limit, errors that kill a connection, and returning a PCB's resources.
import { Sysctl, sysctl } from "../config";
import { deadlineIn } from "../core/time";
import { count, Stat } from "../stats";
import {
  CLOSED, CLOSE_WAIT, CLOSING, ESTABLISHED, EV_CLOSED, EV_ERROR, EV_READABLE, EV_WRITABLE, FIN_WAIT_1,
  FIN_WAIT_2, LAST_ACK, SYN_RCVD, SYN_SENT, TIME_WAIT,
} from "../api/constants";
import { sockNotify } from "../api/sockets";
import {
  F_FIN_QUEUED, F_LINGER, F_RCV_SHUT, LIST_TW, LIST_UNBOUND, Pcb, listMove, pcbFree, rcvq, setState,
  sndq, stateCount,
} from "./pcb";
import { rangeClear } from "./ranges";
import { sendRstFor, tcpOutput } from "./output";
import { acceptQueueRemove } from "./listen";

// @ts-ignore: decorator
@inline export function notify(p: Pcb, ev: u8): void {
  if (p.sock != 0) sockNotify(<i32>p.sock - 1, ev);
}

// Gives back buffers and ranges; the PCB itself stays.
export function releaseResources(p: Pcb): void {
  sndq(p).release();
  rcvq(p).release();
  rangeClear(changetype<usize>(p) + offsetof<Pcb>("oooHead"));
  rangeClear(changetype<usize>(p) + offsetof<Pcb>("sackHead"));
  p.oooLast = 0xff;
}

// The end of an orderly close: the send side and the scoreboards go; bytes the peer sent before its
// FIN stay in the receive queue while the application holds the socket and has not read them.
function releaseAllButUnread(p: Pcb): void {
  const keep = p.sock != 0 && rcvq(p).len > 0;
  if (!keep) { releaseResources(p); return; }
  sndq(p).release();
  rcvq(p).trimTail();
  rangeClear(changetype<usize>(p) + offsetof<Pcb>("oooHead"));
  rangeClear(changetype<usize>(p) + offsetof<Pcb>("sackHead"));
  p.oooLast = 0xff;
}

// Frees a PCB and everything it holds (also used to recycle one under pool pressure).
export function pcbDestroy(p: Pcb): void {
  if (p.listener != 0) acceptQueueRemove(p);
  releaseResources(p);
  pcbFree(p);
}

// The connection is over. A PCB the application still holds stays, CLOSED, until tcp_close; an
// orphan is freed now.
function finish(p: Pcb, ev: u8): void {
  p.rtxAt = 0;
  p.timer2At = 0;
  if (p.sock == 0) { pcbDestroy(p); return; }   // orphans, and connections never accepted
  if (ev == EV_CLOSED) releaseAllButUnread(p);  // an orderly end: unread data stays readable
  else releaseResources(p);
  setState(p, CLOSED);
  listMove(p, LIST_UNBOUND);
  notify(p, ev);
}

// A fatal error (RST, retransmission or keepalive limit, ICMP hard error): remember it for
// SO_ERROR and tell the application.
export function connectionFailed(p: Pcb, errno: i32): void {
  if (p.state == SYN_SENT || p.state == SYN_RCVD) count(Stat.tcp_attempt_fails);
  if (p.state == ESTABLISHED || p.state == CLOSE_WAIT) count(Stat.tcp_estab_resets);
  p.soError = <u8>(-errno);
  finish(p, EV_ERROR | EV_READABLE);
}

// Both FINs are acknowledged and no TIME_WAIT is due (LAST_ACK), or TIME_WAIT ended.
export function closeFinished(p: Pcb): void {
  finish(p, EV_CLOSED);
}

// RFC 9293 §3.10.7.4: TIME_WAIT for 2 MSL. Beyond tcp_max_tw_buckets the connection closes at
// once, as Linux does (counted in tw_bucket_overflow).
export function enterTimeWait(p: Pcb): void {
  if (stateCount(TIME_WAIT) >= sysctl(Sysctl.tcp_max_tw_buckets)) {
    count(Stat.tw_bucket_overflow);
    closeFinished(p);
    return;
  }
  releaseAllButUnread(p);
  setState(p, TIME_WAIT);
  listMove(p, LIST_TW);
  p.rtxAt = 0;
  restartTimeWait(p);
  notify(p, EV_CLOSED);
}

export function restartTimeWait(p: Pcb): void {
  p.timer2At = deadlineIn(<u32>sysctl(Sysctl.tcp_msl) * 2000);
}

// Sends RST (where the state calls for one) and ends the connection: abort(), linger 0, unread
// data at close, timeouts.
export function abortConnection(p: Pcb, errno: i32): void {
  sendRstFor(p);
  connectionFailed(p, errno);
}

// shutdown(SHUT_WR) and the sending half of close: queue our FIN (RFC 9293 §3.10.4).
export function closeSendSide(p: Pcb): void {
  if (p.flags & F_FIN_QUEUED) return;
  if (p.state == ESTABLISHED || p.state == SYN_RCVD) {
    p.flags |= F_FIN_QUEUED;
    setState(p, FIN_WAIT_1);
  } else if (p.state == CLOSE_WAIT) {
    p.flags |= F_FIN_QUEUED;
    setState(p, LAST_ACK);
  } else {
    return;
  }
  tcpOutput(p);
}

export function closeReceiveSide(p: Pcb): void {
  p.flags |= F_RCV_SHUT;
  const q = rcvq(p);
  q.consume(q.len);
}

// The application lets go of the connection. Returns true if the PCB was freed.
export function closeByApp(p: Pcb): void {
  const s = p.state;
  p.sock = 0;
  if (s == CLOSED || s == SYN_SENT) { pcbDestroy(p); return; }
  if (s == TIME_WAIT) { rcvq(p).release(); return; }   // unread data of a finished connection
  // RFC 9293 §3.10.4 / RFC 2525 §2.17: closing with unread data resets the connection;
  // SO_LINGER {on, 0} asks for the same.
  const lingerZero = (p.flags & F_LINGER) != 0 && p.lingerSec == 0;
  if (rcvq(p).len > 0 || lingerZero) {
    sendRstFor(p);
    pcbDestroy(p);
    return;
  }
  closeSendSide(p);
  if (p.state == FIN_WAIT_2) startFinWait2Timer(p);
  if ((p.flags & F_LINGER) != 0 && (p.state == FIN_WAIT_1 || p.state == LAST_ACK || p.state == CLOSING)) {
    p.timer2At = deadlineIn(<u32>p.lingerSec * 1000);
  }
}

// tcp_fin_timeout applies to orphans (Linux semantics): a half-closed socket the application
// still holds may stay in FIN_WAIT_2 as long as it likes.
export function startFinWait2Timer(p: Pcb): void {
  if (p.sock == 0) p.timer2At = deadlineIn(<u32>sysctl(Sysctl.tcp_fin_timeout) * 1000);
  else p.timer2At = 0;
}


