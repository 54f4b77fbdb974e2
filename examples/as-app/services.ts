// Demo services written in AssemblyScript against assembly/app/net.ts and compiled into one .wasm
// with the stack (`npm run build` -> build/app.wasm): TCP echo on port 7 (RFC 862) and a one-page
// HTTP/1.0 server on port 80. The module exports the whole stack ABI plus app_start / app_event;
// the host drains ev_poll() and calls app_event(handle, events) for each event.
export * from "../../assembly/index";
import {
  EAGAIN, EV_ACCEPT, EV_CLOSED, EV_ERROR, EV_READABLE, EV_WRITABLE, IO_BUFFER_SIZE, ioBuffer, tcpAccept, tcpClose, tcpListenOn,
  tcpRecv, tcpSend,
} from "../../assembly/app/net";

const MAX_CONN: i32 = 8;
const STASH: i32 = 2048;             // echo bytes read but not yet accepted by tcp_send
const conns = memory.data(MAX_CONN * 4);           // handle per slot, 0 = free
const kinds = memory.data(MAX_CONN);               // 7 echo, 80 http
const stashLen = memory.data(MAX_CONN * 4);
const stash = memory.data(MAX_CONN * STASH);
let echoListener: i32 = 0;
let httpListener: i32 = 0;

const PAGE = "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: 48\r\nConnection: close\r\n\r\n" +
  "<html><body>asnet: hello from wasm</body></html>";

export function app_start(): i32 {
  echoListener = tcpListenOn(7, 4);
  if (echoListener < 0) return echoListener;
  httpListener = tcpListenOn(80, 4);
  return httpListener < 0 ? httpListener : 0;
}

// Returns 0 (an i32, so every host can call it through the same i32 ABI as the stack's exports).
export function app_event(h: i32, events: i32): i32 {
  if (h == echoListener || h == httpListener) { if (events & EV_ACCEPT) acceptAll(h); return 0; }
  const i = slotOf(h);
  if (i < 0) return 0;
  // An error, or the connection ended (LAST_ACK done, TIME_WAIT): nothing more can be sent, so the
  // handle goes back now (without this every session the peer closed first kept its slot).
  if (events & (EV_ERROR | EV_CLOSED)) { drop(i); return 0; }
  if (events & (EV_READABLE | EV_WRITABLE)) {
    if (load<u8>(kinds + <usize>i) == 7) echo(i, h);
    else http(i, h);
  }
  return 0;
}

function acceptAll(l: i32): void {
  for (let n = 0; n < 16; n++) {
    const h = tcpAccept(l);
    if (h < 0) return;
    const i = slotOf(0);
    if (i < 0) { tcpClose(h); continue; }          // full: close (RST if data arrived)
    store<i32>(conns + <usize>(i * 4), h);
    store<u8>(kinds + <usize>i, l == echoListener ? 7 : 80);
    store<i32>(stashLen + <usize>(i * 4), 0);
    app_event(h, EV_READABLE);                      // data may have arrived before accept
  }
}

function slotOf(h: i32): i32 {
  for (let i = 0; i < MAX_CONN; i++) if (load<i32>(conns + <usize>(i * 4)) == h) return i;
  return -1;
}

function drop(i: i32): void {
  tcpClose(load<i32>(conns + <usize>(i * 4)));
  store<i32>(conns + <usize>(i * 4), 0);
}

// Echo: first flush what tcp_send refused last time, then read only as much as the stash can hold,
// so no byte is ever lost when the send buffer is full (EV_WRITABLE resumes it).
function echo(i: i32, h: i32): void {
  const io = ioBuffer();
  const sl = stashLen + <usize>(i * 4);
  const st = stash + <usize>(i * STASH);
  for (let round = 0; round < 64; round++) {
    let pending = load<i32>(sl);
    if (pending > 0) {
      memory.copy(io, st, <usize>pending);
      const sent = tcpSend(h, <u32>io, pending);
      if (sent < 0 && sent != EAGAIN) { drop(i); return; }
      const n = sent < 0 ? 0 : sent;
      memory.copy(st, st + <usize>n, <usize>(pending - n));
      pending -= n;
      store<i32>(sl, pending);
      if (pending > 0) return;                     // wait for EV_WRITABLE
    }
    const r = tcpRecv(h, <u32>io, min(STASH, IO_BUFFER_SIZE));
    if (r == EAGAIN) return;
    if (r <= 0) { drop(i); return; }                // peer FIN, all echoed: close sends ours, frees the handle
    memory.copy(st, io, <usize>r);
    store<i32>(sl, r);
  }
}

// HTTP/1.0 (RFC 1945): wait for the end of the request head, answer one page, close.
function http(i: i32, h: i32): void {
  const io = ioBuffer();
  const sl = stashLen + <usize>(i * 4);
  let matched = load<i32>(sl);
  while (matched < 4) {                             // until EAGAIN: a FIN may already be queued
    const r = tcpRecv(h, <u32>io, 1024);
    if (r == EAGAIN) return;
    if (r <= 0) { drop(i); return; }                // the peer closed before its request ended
    matched = scanHead(io, r, matched);             // the head may arrive in pieces
    store<i32>(sl, matched);
  }
  const n = String.UTF8.encodeUnsafe(changetype<usize>(PAGE), PAGE.length, io, false);
  tcpSend(h, <u32>io, <i32>n);
  drop(i);                                          // graceful close: FIN after the page
}

// How much of CR LF CR LF has been seen, carried across reads; 4 = the head is complete.
function scanHead(p: usize, n: i32, matched: i32): i32 {
  for (let k = 0; k < n && matched < 4; k++) {
    const c = load<u8>(p + <usize>k);
    const want: u8 = (matched & 1) == 0 ? 13 : 10;
    matched = c == want ? matched + 1 : (c == 13 ? 1 : 0);
  }
  return matched;
}
