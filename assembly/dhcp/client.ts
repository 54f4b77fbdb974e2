// DHCP client (RFC 2131 §4.4, states of figure 5) for the one interface, driven by the slow timer:
// INIT -> SELECTING (DISCOVER) -> REQUESTING (REQUEST) -> CHECKING (RFC 5227 ARP probes) -> BOUND
// -> RENEWING at T1 (unicast) -> REBINDING at T2 (broadcast) -> expiry back to INIT. A NAK
// restarts from INIT; a conflicting ARP during CHECKING sends DECLINE and waits 10 s (§3.1.5).
// The application holds a handle: EV_CONNECTED when an address is bound, EV_ERROR when it is lost.
import { random } from "../env";
import { nowMs, due, deadlineIn } from "../core/time";
import { count, Stat } from "../stats";
import { netifSetAddr, ourIp, ourMac } from "../link/netif";
import { arpProbe } from "../link/arp_cache";
import { macEquals } from "../wire/ethernet";
import { TX_L4 } from "../ip/ip4";
import { UDP_HLEN } from "../wire/udp";
import {
  BOOTREPLY, DHCP_MIN_LEN, DHCP_OPTIONS, BOOTP_FIXED, MAGIC_COOKIE, DHCPACK, DHCPDECLINE, DHCPDISCOVER,
  DHCPNAK, DHCPOFFER, DHCPRELEASE, DHCPREQUEST, OPT_END, OPT_MAX_MSG_SIZE, OPT_MSG_TYPE, OPT_PARAM_LIST,
  OPT_REQUESTED_IP, OPT_SERVER_ID, dhcpChaddr, dhcpEmitAddr, dhcpEmitByte, dhcpEmitHeader, dhcpOp,
  dhcpParseOptions, dhcpXid, dhcpYiaddr, dopts,
} from "../wire/dhcp";
import { get32 } from "../core/bytes";
import { udpSend } from "../udp/udp";
import { sockNotify } from "../api/sockets";
import {
  DHCP_BOUND, DHCP_CHECKING, DHCP_INIT, DHCP_OFF, DHCP_REBINDING, DHCP_RENEWING, DHCP_REQUESTING, DHCP_SELECTING,
  EV_CONNECTED, EV_ERROR,
} from "../api/constants";
import { dnsSetServer } from "../dns/resolver";


const CLIENT_PORT: u32 = 68;
const SERVER_PORT: u32 = 67;
const MAX_LEASE_S: u32 = 0x1fffffff / 1000;     // keeps ms deadlines far from u32 wrap (6.2 days)
const PROBE_GAP_MS: u32 = 1000;                 // RFC 5227 §2.1.1 PROBE_MIN..PROBE_MAX, simplified
const PROBES: u32 = 2;
const ANNOUNCE_WAIT_MS: u32 = 2000;
const DECLINE_WAIT_MS: u32 = 10000;             // RFC 2131 §3.1.5
const REQUEST_TRIES: u32 = 4;

@unmanaged class Dhcp {
  state: u8;
  sock: u8;          // socket slot + 1
  tries: u8;
  xid: u32;
  started: u32;      // ms, start of this acquisition (secs field)
  nextAt: u32;       // next retransmission / probe / state step
  offered: u32;      // yiaddr of the offer or lease
  server: u32;
  mask: u32;
  router: u32;
  dns: u32;
  lease: u32;        // s
  leaseStart: u32;   // ms
  t1At: u32;
  t2At: u32;
  endAt: u32;
}

const d = changetype<Dhcp>(memory.data(offsetof<Dhcp>()));

export function dhcpReset(): void { memory.fill(changetype<usize>(d), 0, offsetof<Dhcp>()); }
export function dhcpState(): u8 { return d.state; }
export function dhcpSock(): i32 { return <i32>d.sock - 1; }

// Starts acquisition for the socket slot; clears any static address (RFC 2131 INIT).
export function dhcpStart(slot: i32): void {
  dhcpReset();
  d.sock = <u8>(slot + 1);
  netifSetAddr(0, 0, 0);
  enterInit(0);
}

// Stops the client: a bound lease is released (RFC 2131 §4.4.6) and the address removed.
export function dhcpStop(): void {
  if (d.state >= DHCP_BOUND) send(DHCPRELEASE, d.server, ourIp);
  if (d.state >= DHCP_CHECKING) netifSetAddr(0, 0, 0);
  dhcpReset();
}

// True when the datagram to `port` is ours (while the client runs).
export function dhcpClaims(port: u32): bool { return port == CLIENT_PORT && d.state != DHCP_OFF; }

// ---- sending ----

// Sends one message; the REQUEST variants follow the table in RFC 2131 §4.4.1.
function send(type: u32, dst: u32, ciaddr: u32): void {
  const m = TX_L4 + <usize>UDP_HLEN;
  let p = dhcpEmitHeader(m, d.xid, (nowMs - d.started) / 1000, ciaddr, ourMac);
  p = dhcpEmitByte(p, OPT_MSG_TYPE, type);
  const selecting = type == DHCPREQUEST && d.state == DHCP_REQUESTING;
  if (type == DHCPDECLINE || selecting) p = dhcpEmitAddr(p, OPT_REQUESTED_IP, d.offered);
  if (type == DHCPDECLINE || type == DHCPRELEASE || selecting) p = dhcpEmitAddr(p, OPT_SERVER_ID, d.server);
  if (type == DHCPDISCOVER || type == DHCPREQUEST) {
    store<u8>(p, <u8>OPT_MAX_MSG_SIZE); store<u8>(p + 1, 2); store<u16>(p + 2, bswap<u16>(576)); p += 4;
    store<u8>(p, <u8>OPT_PARAM_LIST); store<u8>(p + 1, 7);
    store<u32>(p + 2, 0x3a060301);        // 1 mask, 3 router, 6 DNS, 58 T1
    store<u32>(p + 6, 0x2a333b);          // 59 T2, 51 lease, 42 NTP servers (the 4th byte is overwritten)
    p += 9;
  }
  store<u8>(p, <u8>OPT_END);
  const len = max(<i32>(p + 1 - m), DHCP_MIN_LEN);
  count(Stat.dhcp_out);
  udpSend(CLIENT_PORT, dst, SERVER_PORT, m, len);
}

// RFC 2131 §4.1: 4 s, 8 s, ... 64 s, each randomized by +-1 s.
function backoffMs(tries: u32): u32 {
  const base = <u32>4000 << min(tries, 4);
  return base - 1000 + random() % 2001;
}

function enterInit(delayMs: u32): void {
  d.state = DHCP_INIT;
  d.tries = 0;
  d.nextAt = deadlineIn(delayMs == 0 ? 1 + random() % 1000 : delayMs);  // §4.4.1: wait 1..10 s; we use < 1 s
}

function discover(): void {
  if (d.state == DHCP_INIT) { d.xid = random(); d.started = nowMs; d.tries = 0; }
  d.state = DHCP_SELECTING;
  send(DHCPDISCOVER, 0xffffffff, 0);
  d.nextAt = deadlineIn(backoffMs(d.tries));
  if (d.tries < 255) d.tries++;
}

function request(): void {
  send(DHCPREQUEST, 0xffffffff, 0);
  d.nextAt = deadlineIn(backoffMs(d.tries));
  d.tries++;
}

// ---- receiving ----

export function dhcpInput(src: u32, m: usize, len: i32): void {
  count(Stat.dhcp_in);
  if (len < DHCP_OPTIONS || dhcpOp(m) != BOOTREPLY || dhcpXid(m) != d.xid) return;
  if (get32(m + BOOTP_FIXED) != MAGIC_COOKIE || !macEquals(dhcpChaddr(m), ourMac)) return;
  if (!dhcpParseOptions(m + <usize>DHCP_OPTIONS, m + <usize>len)) { count(Stat.rx_malformed); return; }
  const t = dopts.msgType;
  if (t == DHCPOFFER && d.state == DHCP_SELECTING) takeOffer(m);
  else if (t == DHCPACK && waitingForAck()) takeAck(m);
  else if (t == DHCPNAK && waitingForAck()) takeNak();
}

function waitingForAck(): bool {
  return d.state == DHCP_REQUESTING || d.state == DHCP_RENEWING || d.state == DHCP_REBINDING;
}

function takeOffer(m: usize): void {
  const ip = dhcpYiaddr(m);
  if (ip == 0 || dopts.serverId == 0) return;
  d.offered = ip;
  d.server = dopts.serverId;
  d.state = DHCP_REQUESTING;
  d.tries = 0;
  request();
}

function takeAck(m: usize): void {
  const ip = dhcpYiaddr(m);
  if (ip == 0) return;
  const renewing = d.state != DHCP_REQUESTING;
  if (renewing && ip != ourIp) { lose(); return; }     // a different address: start over
  d.offered = ip;
  if (dopts.serverId != 0) d.server = dopts.serverId;
  d.mask = dopts.mask != 0 ? dopts.mask : 0xffffff00;  // RFC 2132 §3.3 absent: assume /24
  d.router = dopts.router;
  d.dns = dopts.dns;
  setLeaseTimes();
  if (renewing) { d.state = DHCP_BOUND; count(Stat.dhcp_renewed); return; }
  d.state = DHCP_CHECKING;                              // RFC 5227 §2.1: probe before use
  d.tries = 0;
  d.nextAt = deadlineIn(1);
}

function setLeaseTimes(): void {
  const lease: u32 = min<u32>(dopts.lease == 0 ? 3600 : dopts.lease, MAX_LEASE_S);
  const t1 = dopts.t1 != 0 && dopts.t1 < lease ? dopts.t1 : lease / 2;
  const t2 = dopts.t2 != 0 && dopts.t2 < lease && dopts.t2 > t1 ? dopts.t2 : lease - lease / 8;
  d.lease = lease;
  d.leaseStart = nowMs;
  d.t1At = deadlineIn(t1 * 1000);
  d.t2At = deadlineIn(t2 * 1000);
  d.endAt = deadlineIn(lease * 1000);
}

function takeNak(): void {
  count(Stat.dhcp_nak);
  if (d.state != DHCP_REQUESTING) lose();
  else enterInit(0);
}

// The address is gone (expiry, NAK while bound, different address): unconfigure and restart.
function lose(): void {
  netifSetAddr(0, 0, 0);
  if (d.sock != 0) sockNotify(<i32>d.sock - 1, EV_ERROR);
  enterInit(0);
}

function bind(): void {
  d.state = DHCP_BOUND;
  netifSetAddr(d.offered, d.mask, d.router);
  if (d.dns != 0) dnsSetServer(d.dns);
  arpProbe(d.offered);                  // RFC 5227 §2.3 announcement (sender = target = us)
  count(Stat.dhcp_bound);
  if (d.sock != 0) sockNotify(<i32>d.sock - 1, EV_CONNECTED);
}

// An ARP packet seen on the wire (before the ARP cache handles it): while probing, a reply or
// a probe from another host for the offered address is a conflict (RFC 5227 §2.1.1).
export function dhcpArpSeen(spa: u32, tpa: u32, sha: usize): void {
  if (d.state != DHCP_CHECKING || macEquals(sha, ourMac)) return;
  if (spa != d.offered && !(spa == 0 && tpa == d.offered)) return;
  count(Stat.dhcp_conflicts);
  send(DHCPDECLINE, 0xffffffff, 0);
  enterInit(DECLINE_WAIT_MS);
}

// ---- timer (slow, 500 ms) ----

export function dhcpTimer(): void {
  const s = d.state;
  if (s == DHCP_OFF) return;
  if (s >= DHCP_BOUND && due(d.endAt)) { count(Stat.dhcp_expired); lose(); return; }
  if (s == DHCP_BOUND) { if (due(d.t1At)) renew(DHCP_RENEWING); return; }
  if (s == DHCP_RENEWING && due(d.t2At)) { renew(DHCP_REBINDING); return; }
  if (!due(d.nextAt)) return;
  if (s == DHCP_INIT || s == DHCP_SELECTING) discover();
  else if (s == DHCP_REQUESTING) { if (d.tries >= <u8>REQUEST_TRIES) enterInit(0); else request(); }
  else if (s == DHCP_CHECKING) probeStep();
  else renew(s);
}

function probeStep(): void {
  if (<u32>d.tries < PROBES) {
    arpProbe(d.offered);                 // sender IP still 0: a probe, not a claim
    d.tries++;
    d.nextAt = deadlineIn(d.tries == <u8>PROBES ? ANNOUNCE_WAIT_MS : PROBE_GAP_MS);
  } else {
    bind();
  }
}

// RENEWING: unicast to the server; REBINDING: broadcast. Retransmit after half the time left to
// T2 (or to the lease end), at least 60 s (RFC 2131 §4.4.5).
function renew(s: u8): void {
  if (s != d.state) { d.state = s; d.xid = random(); d.started = nowMs; }
  send(DHCPREQUEST, s == DHCP_RENEWING ? d.server : 0xffffffff, ourIp);
  const until = s == DHCP_RENEWING ? d.t2At : d.endAt;
  const left = <i32>(until - nowMs) > 0 ? until - nowMs : 0;
  d.nextAt = deadlineIn(max(left / 2, 60000));
}

// Lease information for dhcp_info(): 11 x u32 at ptr (the 11th, the NTP server, is read by the SNTP app).
export function dhcpWriteInfo(ptr: usize): void {
  store<u32>(ptr, d.state);
  store<u32>(ptr, d.state >= DHCP_BOUND ? d.offered : 0, 4);
  store<u32>(ptr, d.mask, 8);
  store<u32>(ptr, d.router, 12);
  store<u32>(ptr, d.dns, 16);
  store<u32>(ptr, d.server, 20);
  store<u32>(ptr, d.lease, 24);
  store<u32>(ptr, secondsUntil(d.t1At), 28);
  store<u32>(ptr, secondsUntil(d.t2At), 32);
  store<u32>(ptr, secondsUntil(d.endAt), 36);
  store<u32>(ptr, dopts.ntp, 40);          // as parsed from the last message for our xid (the ACK)
}

function secondsUntil(t: u32): u32 {
  if (d.state < DHCP_BOUND || <i32>(t - nowMs) <= 0) return 0;
  return (t - nowMs) / 1000;
}
