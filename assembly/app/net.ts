// The socket API for application code written in AssemblyScript and compiled into the same .wasm
// as the stack (examples/as-app/). The calls are the ABI's (docs/ABI.md), with the same handles,
// error codes and events; data passes through the I/O buffer (ioBuffer(), IO_BUFFER_SIZE bytes),
// which belongs to the application for the duration of each call into it. The host (Node or a
// board's main loop) drains ev_poll() and hands every event to the application's app_event export.
import { ioBuf } from "../core/buf";
import { tcpSocket as socket, tcpBind as bind, tcpListen as listen, tcpClose as close } from "../api/tcp_api";
export { IO_BUFFER_SIZE } from "../config";
export {
  tcpSocket, tcpBind, tcpListen, tcpAccept, tcpConnect, tcpSend, tcpRecv, tcpShutdown, tcpClose, tcpAbort,
  tcpSetsockopt, tcpGetsockopt, tcpState,
} from "../api/tcp_api";
export { udpSocket, udpBind, udpConnect, udpSendto, udpRecvfrom, udpClose } from "../api/udp_api";
export { dnsQueryCall as dnsQuery, dnsResultCall as dnsResult, dnsCancelCall as dnsCancel } from "../api/netconf_api";
export { EV_ACCEPT, EV_CLOSED, EV_CONNECTED, EV_ERROR, EV_READABLE, EV_WRITABLE } from "../api/constants";
export { EAGAIN, EINPROGRESS } from "../errors";
import { refreshNow } from "../core/time";

// The staging area every data call reads from or writes to.
export function ioBuffer(): usize { return ioBuf; }

// A listener on `port` with the given backlog: socket + bind + listen. Returns the handle or an error.
export function tcpListenOn(port: u32, backlog: i32): i32 {
  const h = socket();
  if (h < 0) return h;
  let r = bind(h, 0, port);
  if (r >= 0) r = listen(h, backlog);
  if (r < 0) { close(h); return r; }
  return h;
}

// Re-reads the host clock into the stack's notion of "now" (as every ABI entry does). An app export
// the host calls outside ev_poll (a timer, app_start) calls it first, so that what the stack does in
// that call (a connect, a send) is timed from the present.
export function stackEnter(): void { refreshNow(); }
