// The client's TCP below it, as function references (the client never calls the socket layer by
// name): stackTransport() is the stack's application API (assembly/app/net.ts); a test or a fuzz
// target installs its own. Data passes through the I/O buffer, as the application API requires.
import {
  EAGAIN, EINPROGRESS, ioBuffer, tcpAbort, tcpClose, tcpConnect, tcpRecv, tcpSend, tcpSocket,
} from "../../assembly/app/net";
export { EAGAIN, EV_CLOSED, EV_CONNECTED, EV_ERROR, EV_READABLE, EV_WRITABLE, IO_BUFFER_SIZE, ioBuffer } from "../../assembly/app/net";

// connect: a handle (> 0) whose EV_CONNECTED comes later, or a negative errno. send/recv: bytes,
// EAGAIN, or another negative errno (recv: 0 at the peer's FIN). ptr is in the I/O buffer.
@unmanaged export class MqttTransport {
  connect: ((ip: u32, port: u32) => i32) | null = null;
  send: ((h: i32, ptr: usize, len: u32) => i32) | null = null;
  recv: ((h: i32, ptr: usize, cap: u32) => i32) | null = null;
  close: ((h: i32) => i32) | null = null;
  abort: ((h: i32) => i32) | null = null;
}

function stackConnect(ip: u32, port: u32): i32 {
  const h = tcpSocket();
  if (h < 0) return h;
  const r = tcpConnect(h, ip, port);
  if (r < 0 && r != EINPROGRESS) { tcpClose(h); return r; }
  return h;
}
function stackSend(h: i32, ptr: usize, len: u32): i32 { return tcpSend(h, <u32>ptr, <i32>len); }
function stackRecv(h: i32, ptr: usize, cap: u32): i32 { return tcpRecv(h, <u32>ptr, <i32>cap); }
function stackClose(h: i32): i32 { return tcpClose(h); }
function stackAbort(h: i32): i32 { return tcpAbort(h); }

const stackT = memory.data(offsetof<MqttTransport>(), 8);
let stackReady = false;
export function stackTransport(): MqttTransport {
  const t = changetype<MqttTransport>(stackT);
  if (!stackReady) {
    t.connect = stackConnect; t.send = stackSend; t.recv = stackRecv; t.close = stackClose; t.abort = stackAbort;
    stackReady = true;
  }
  return t;
}
