// UDP socket calls (docs/ABI.md "UDP"): checks handles and host pointers, then calls udp/udp.ts.
import { IO_BUFFER_SIZE } from "../config";
import { inIoBuffer } from "../core/buf";
import { ourIp } from "../link/netif";
import {
  EADDRINUSE, EADDRNOTAVAIL, EBADF, EDESTADDRREQ, EFAULT, EINVAL, EMFILE, ENOBUFS, EAGAIN, OK,
} from "../errors";
import { KIND_UDP, handleOf, kindSlotOf, sockAlloc, sockAt, sockFree } from "./sockets";
import { UdpPcb, udpAlloc, udpAt, udpDequeue, udpEphemeral, udpFree, udpMem, udpPortUsed, udpSend } from "../udp/udp";

function udpOf(h: i32): UdpPcb | null {
  const s = kindSlotOf(h, KIND_UDP);
  return s < 0 ? null : udpAt(<i32>sockAt(s).index);
}

export function udpSocket(): i32 {
  const s = sockAlloc(KIND_UDP, 0);
  if (s < 0) return EMFILE;
  const i = udpAlloc(s);
  if (i < 0) { sockFree(s); return ENOBUFS; }
  sockAt(s).index = <u8>i;
  return handleOf(s);
}

// Binds to `port` (0: an ephemeral one). `ip` must be 0 (any) or our address.
export function udpBind(h: i32, ip: u32, port: u32): i32 {
  const p = udpOf(h);
  if (p == null) return EBADF;
  if (port > 0xffff) return EINVAL;
  if (p.localPort != 0) return EINVAL;                     // already bound
  if (ip != 0 && ip != ourIp) return EADDRNOTAVAIL;
  return bindPort(p, port);
}

function bindPort(p: UdpPcb, port: u32): i32 {
  const self = indexOf(p);
  if (port == 0) {
    const e = udpEphemeral(self);
    if (e < 0) return e;
    port = <u32>e;
  } else if (udpPortUsed(port, self)) {
    return EADDRINUSE;
  }
  p.localPort = <u16>port;
  return OK;
}

function indexOf(p: UdpPcb): i32 {
  return <i32>((changetype<usize>(p) - udpMem) / offsetof<UdpPcb>());
}

// Sets the default destination and accepts datagrams only from it (RFC 1122 §4.1.3.4 "connect");
// ip 0 disconnects.
export function udpConnect(h: i32, ip: u32, port: u32): i32 {
  const p = udpOf(h);
  if (p == null) return EBADF;
  if (port > 0xffff || (ip != 0 && port == 0)) return EINVAL;
  if (p.localPort == 0) { const r = bindPort(p, 0); if (r < 0) return r; }
  p.remoteIp = ip;
  p.remotePort = ip == 0 ? 0 : <u16>port;
  p.err = 0;
  return OK;
}

// Sends len bytes of the I/O buffer at ptr to ip:port (0:0 = the connected peer).
export function udpSendto(h: i32, ptr: u32, len: i32, ip: u32, port: u32): i32 {
  const p = udpOf(h);
  if (p == null) return EBADF;
  if (len < 0 || !inIoBuffer(ptr, <u32>len)) return EFAULT;
  if (ip == 0 && port == 0) {
    if (p.remotePort == 0) return EDESTADDRREQ;
    ip = p.remoteIp;
    port = p.remotePort;
  }
  if (ip == 0 || port == 0 || port > 0xffff) return EINVAL;
  if (p.err != 0) { const e = -<i32>p.err; p.err = 0; return e; }
  if (p.localPort == 0) { const r = bindPort(p, 0); if (r < 0) return r; }
  return udpSend(p.localPort, ip, port, ptr, len);
}

// Reads one datagram (up to len bytes) into the I/O buffer at ptr; the sender's address is
// written as two u32 (ip, port) at from unless from is 0. EAGAIN when none is queued.
export function udpRecvfrom(h: i32, ptr: u32, len: i32, from: u32): i32 {
  const p = udpOf(h);
  if (p == null) return EBADF;
  if (len < 0 || len > IO_BUFFER_SIZE || !inIoBuffer(ptr, <u32>len)) return EFAULT;
  if (from != 0 && !inIoBuffer(from, 8)) return EFAULT;
  if (p.err != 0) { const e = -<i32>p.err; p.err = 0; return e; }
  const n = udpDequeue(p, ptr, len, from);
  return n < 0 ? EAGAIN : n;
}

export function udpClose(h: i32): i32 {
  const s = kindSlotOf(h, KIND_UDP);
  if (s < 0) return EBADF;
  udpFree(<i32>sockAt(s).index);
  sockFree(s);
  return OK;
}
