// DHCP message view (RFC 2131 §2, options RFC 2132): the fixed BOOTP part, the magic cookie and
// a TLV option area. Parse reads the options the client uses into one scratch record.
import { get32, put16, put32 } from "../core/bytes";

export const BOOTP_FIXED: i32 = 236;
export const DHCP_OPTIONS: i32 = 240;          // fixed part + magic cookie
export const DHCP_MIN_LEN: i32 = 300;          // BOOTP minimum (RFC 1542 §2.1); we pad to it
export const MAGIC_COOKIE: u32 = 0x63825363;
export const BOOTREQUEST: u32 = 1;
export const BOOTREPLY: u32 = 2;

// Message types (option 53).
export const DHCPDISCOVER: u32 = 1;
export const DHCPOFFER: u32 = 2;
export const DHCPREQUEST: u32 = 3;
export const DHCPDECLINE: u32 = 4;
export const DHCPACK: u32 = 5;
export const DHCPNAK: u32 = 6;
export const DHCPRELEASE: u32 = 7;

// Options (RFC 2132).
export const OPT_PAD: u32 = 0;
export const OPT_SUBNET_MASK: u32 = 1;
export const OPT_ROUTER: u32 = 3;
export const OPT_DNS: u32 = 6;
export const OPT_NTP: u32 = 42;                 // RFC 2132 §8.3 NTP servers (the first is kept)
export const OPT_REQUESTED_IP: u32 = 50;
export const OPT_LEASE_TIME: u32 = 51;
export const OPT_MSG_TYPE: u32 = 53;
export const OPT_SERVER_ID: u32 = 54;
export const OPT_PARAM_LIST: u32 = 55;
export const OPT_MAX_MSG_SIZE: u32 = 57;
export const OPT_T1: u32 = 58;
export const OPT_T2: u32 = 59;
export const OPT_END: u32 = 255;

// @ts-ignore: decorator
@inline export function dhcpOp(m: usize): u32 { return <u32>load<u8>(m); }
// @ts-ignore: decorator
@inline export function dhcpXid(m: usize): u32 { return get32(m + 4); }
// @ts-ignore: decorator
@inline export function dhcpYiaddr(m: usize): u32 { return get32(m + 16); }
// @ts-ignore: decorator
@inline export function dhcpChaddr(m: usize): usize { return m + 28; }

@unmanaged export class DhcpOpts {
  msgType: u32;
  serverId: u32;
  mask: u32;
  router: u32;
  dns: u32;
  lease: u32;       // s, 0 when absent
  t1: u32;
  t2: u32;
  ntp: u32;
}

export const dopts = changetype<DhcpOpts>(memory.data(offsetof<DhcpOpts>()));

// Parses the option area [p, end). False when an option runs past the end (malformed).
// Option overload (52) into sname/file is not used by the servers we target and is ignored.
export function dhcpParseOptions(p: usize, end: usize): bool {
  memory.fill(changetype<usize>(dopts), 0, offsetof<DhcpOpts>());
  while (p < end) {
    const code = <u32>load<u8>(p);
    if (code == OPT_END) return true;
    if (code == OPT_PAD) { p++; continue; }
    if (p + 2 > end) return false;
    const len = <u32>load<u8>(p + 1);
    if (p + 2 + len > end) return false;
    dhcpOne(code, p + 2, len);
    p += 2 + len;
  }
  return true;
}

function dhcpOne(code: u32, v: usize, len: u32): void {
  if (code == OPT_MSG_TYPE && len == 1) { dopts.msgType = <u32>load<u8>(v); return; }
  if (len < 4) return;
  const x = get32(v);                     // lists (routers, DNS servers): the first one
  if (code == OPT_SERVER_ID) dopts.serverId = x;
  else if (code == OPT_SUBNET_MASK) dopts.mask = x;
  else if (code == OPT_ROUTER) dopts.router = x;
  else if (code == OPT_DNS) dopts.dns = x;
  else if (code == OPT_LEASE_TIME) dopts.lease = x;
  else if (code == OPT_T1) dopts.t1 = x;
  else if (code == OPT_T2) dopts.t2 = x;
  else if (code == OPT_NTP) dopts.ntp = x;
}

// Writes the fixed part of a BOOTREQUEST for our MAC and the magic cookie; returns the option
// area's first byte.
export function dhcpEmitHeader(m: usize, xid: u32, secs: u32, ciaddr: u32, mac: usize): usize {
  memory.fill(m, 0, <usize>DHCP_MIN_LEN);
  store<u8>(m, <u8>BOOTREQUEST);
  store<u8>(m + 1, 1);                    // htype Ethernet
  store<u8>(m + 2, 6);                    // hlen
  put32(m + 4, xid);
  put16(m + 8, min(secs, 0xffff));
  put32(m + 12, ciaddr);
  memory.copy(m + 28, mac, 6);
  put32(m + BOOTP_FIXED, MAGIC_COOKIE);
  return m + <usize>DHCP_OPTIONS;
}

export function dhcpEmitByte(p: usize, code: u32, v: u32): usize {
  store<u8>(p, <u8>code); store<u8>(p + 1, 1); store<u8>(p + 2, <u8>v);
  return p + 3;
}

export function dhcpEmitAddr(p: usize, code: u32, v: u32): usize {
  store<u8>(p, <u8>code); store<u8>(p + 1, 4); put32(p + 2, v);
  return p + 6;
}
