// Address configuration calls (docs/ABI.md "DHCP and DNS"): the DHCP client handle and DNS
// query handles. Both live in the socket table, so their completions arrive through ev_poll().
import { inIoBuffer } from "../core/buf";
import { EALREADY, EBADF, EFAULT, EMFILE, OK, EAGAIN } from "../errors";
import { KIND_DHCP, KIND_DNS, handleOf, kindSlotOf, sockAlloc, sockAt, sockFree } from "./sockets";
import { DHCP_OFF } from "./constants";
import { dhcpStart, dhcpState, dhcpStop, dhcpWriteInfo } from "../dhcp/client";
import { dnsFree, dnsResult, dnsSetServer, dnsStart } from "../dns/resolver";

export function dhcpStartCall(): i32 {
  if (dhcpState() != DHCP_OFF) return EALREADY;
  const s = sockAlloc(KIND_DHCP, 0);
  if (s < 0) return EMFILE;
  dhcpStart(s);
  return handleOf(s);
}

export function dhcpStopCall(h: i32): i32 {
  const s = kindSlotOf(h, KIND_DHCP);
  if (s < 0) return EBADF;
  dhcpStop();
  sockFree(s);
  return OK;
}

// Writes 10 x u32 (state, ip, mask, gateway, dns, server, lease, s to T1, T2, expiry); returns
// the state.
export function dhcpInfoCall(h: i32, ptr: u32): i32 {
  if (kindSlotOf(h, KIND_DHCP) < 0) return EBADF;
  if (!inIoBuffer(ptr, 40)) return EFAULT;
  dhcpWriteInfo(ptr);
  return <i32>dhcpState();
}

export function dnsSetServerCall(ip: u32): i32 {
  dnsSetServer(ip);
  return OK;
}

// Starts resolving the name (len bytes of the I/O buffer at ptr); returns a handle.
export function dnsQueryCall(ptr: u32, len: i32): i32 {
  if (len <= 0 || !inIoBuffer(ptr, <u32>len)) return EFAULT;
  const s = sockAlloc(KIND_DNS, 0);
  if (s < 0) return EMFILE;
  const q = dnsStart(s, ptr, len);
  if (q < 0) { sockFree(s); return q; }
  sockAt(s).index = <u8>q;
  return handleOf(s);
}

// EAGAIN while pending; otherwise the result (OK with ip, ttl as two u32 at ptr, or an error)
// and the handle is freed.
export function dnsResultCall(h: i32, ptr: u32): i32 {
  const s = kindSlotOf(h, KIND_DNS);
  if (s < 0) return EBADF;
  if (!inIoBuffer(ptr, 8)) return EFAULT;
  const q = <i32>sockAt(s).index;
  const r = dnsResult(q, ptr);
  if (r == EAGAIN) return r;
  dnsFree(q);
  sockFree(s);
  return r;
}

export function dnsCancelCall(h: i32): i32 {
  const s = kindSlotOf(h, KIND_DNS);
  if (s < 0) return EBADF;
  dnsFree(<i32>sockAt(s).index);
  sockFree(s);
  return OK;
}
