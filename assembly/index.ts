// The exported ABI of build/stack.wasm, and nothing else. docs/ABI.md is its contract.
import { ETH_HLEN } from "./wire/ethernet";
import { BLOCK_SIZE, FRAME_MAX, IO_BUFFER_SIZE, MAX_BLOCKS, MAX_SOCKETS, MAX_TCP_PCBS, sysctlReset, sysctlSet, sysctlValid, sysctl, Sysctl } from "./config";
import { ioBuf, rxFrame } from "./core/buf";
import { blocks } from "./core/stream";
import { inIoBuffer } from "./core/buf";
import { refreshNow, nowMs } from "./core/time";
import { EFAULT, EINVAL, EMSGSIZE, ENOPROTOOPT, EPERM, OK } from "./errors";
import { ethernetInput } from "./link/ethernet_input";
import { arpPool, arpReset } from "./link/arp_cache";
import { netifConfigure, netifSetAddr, netifSetLink } from "./link/netif";
import { ipReset, ipTimer } from "./ip/ip4";
import { Stat, count, statGet, statsReset } from "./stats";
import { POOL_ARP, POOL_BLOCKS, POOL_LISTEN_PCBS, POOL_RANGES, POOL_SOCKETS, POOL_SYN_QUEUE, POOL_TCP_PCBS, POOL_UDP_PCBS } from "./api/constants";
import { Socket, evPoll, sockets, socketsReset } from "./api/sockets";
import { tracePoll, traceReset } from "./api/trace";
import { netstatCount, netstatRow } from "./api/netstat";
import { checkInvariants } from "./api/invariants";
import {
  tcpAbort, tcpAccept, tcpBind, tcpClose, tcpConnect, tcpGetsockopt, tcpInfo, tcpListen, tcpPeer, tcpRecv,
  tcpAdvance, tcpSend, tcpSetsockopt, tcpWindow, tcpShutdown, tcpSocket,
  tcpState,
} from "./api/tcp_api";
import { Pcb, pcbReset, pcbs } from "./tcp/pcb";
import { Listener, listeners, listenersReset, synEntrySize, synQueue } from "./tcp/listen";
import { rangeSize, ranges } from "./tcp/ranges";
import { isnInit } from "./tcp/isn";
import { challengeReset } from "./tcp/challenge";
import { tcpDeadlines, tcpFastTimer, tcpSlowTimer } from "./tcp/timers";
import { ackHeld, flushHeldAck } from "./tcp/output";
import { abortInfo } from "./core/abort";
import { udpPcbs, udpReset } from "./udp/udp";
import { udpBind, udpClose, udpConnect, udpRecvfrom, udpSendto, udpSocket } from "./api/udp_api";
import { dhcpReset, dhcpTimer } from "./dhcp/client";
import { dnsReset, dnsTimer } from "./dns/resolver";
import {
  dhcpInfoCall, dhcpStartCall, dhcpStopCall, dnsCancelCall, dnsQueryCall, dnsResultCall, dnsSetServerCall,
} from "./api/netconf_api";

const FAST_MS: u32 = 250;
const SLOW_MS: u32 = 500;
let initialized = false;
let lastFast: u32 = 0;
let lastSlow: u32 = 0;

// ---- set-up ----

export function stack_init(mac_hi: u32, mac_lo: u32, ip: u32, netmask: u32, gw: u32): i32 {
  refreshNow();
  sysctlReset();
  statsReset();
  blocks.reset();
  ranges.reset();
  pcbReset();
  challengeReset();
  listenersReset();
  socketsReset();
  arpReset();
  ipReset();
  udpReset();
  dhcpReset();
  dnsReset();
  traceReset();
  isnInit();
  netifConfigure(mac_hi, mac_lo, ip, netmask, gw);
  lastFast = nowMs;
  lastSlow = nowMs;
  initialized = true;
  return OK;
}

export function netif_set_addr(ip: u32, netmask: u32, gw: u32): i32 {
  if (!initialized) return EPERM;
  netifSetAddr(ip, netmask, gw);
  return OK;
}

export function netif_set_link(up: i32): i32 {
  if (!initialized) return EPERM;
  netifSetLink(up != 0);
  return OK;
}

export function rx_buffer(): usize { return rxFrame; }
export function io_buffer(): usize { return ioBuf; }
export function io_buffer_size(): i32 { return IO_BUFFER_SIZE; }

export function netif_input(len: i32): i32 {
  if (!initialized) return EPERM;
  if (len < ETH_HLEN || len > FRAME_MAX) { count(Stat.rx_malformed); return EMSGSIZE; }
  refreshNow();
  flushHeldAck();
  ethernetInput(rxFrame, len);
  return <i32>ackHeld();               // 1: an ACK waits for the events this frame raised (docs/ABI.md)
}

// ---- timers ----

export function tcp_fasttmr(): i32 {
  if (!initialized) return EPERM;
  refreshNow();
  flushHeldAck();
  return <i32>tcpFastTimer();           // ms until the next retransmission deadline
}

// Fires the retransmission deadlines (RTO, persist, RACK reordering timer, tail-loss probe) that
// are due; returns ms until the next one (0x7fffffff: none). Hosts with their own 250/500 ms ticks
// call it after input and after application calls, which may arm a deadline shorter than a tick.
export function tcp_deadlines(): i32 {
  if (!initialized) return EPERM;
  refreshNow();
  return <i32>tcpDeadlines();
}

export function tcp_slowtmr(): i32 {
  if (!initialized) return EPERM;
  refreshNow();
  slowTick();
  return OK;
}

// The 500 ms tick: TCP (and ARP), IP reassembly, then the DHCP client and the DNS resolver.
function slowTick(): void {
  tcpSlowTimer();
  ipTimer();
  dhcpTimer();
  dnsTimer();
}

// Runs the timers due by now; a host that fell far behind (slept) catches up without a storm of
// ticks. Returns ms until the next tick is due.
export function timers_run(): i32 {
  if (!initialized) return EPERM;
  refreshNow();
  flushHeldAck();
  if (nowMs - lastFast > 8 * FAST_MS) lastFast = nowMs - FAST_MS;
  if (nowMs - lastSlow > 8 * SLOW_MS) lastSlow = nowMs - SLOW_MS;
  while (nowMs - lastFast >= FAST_MS) { lastFast += FAST_MS; tcpFastTimer(); }
  while (nowMs - lastSlow >= SLOW_MS) { lastSlow += SLOW_MS; slowTick(); }
  const rtx = tcpDeadlines();          // RTO/probe deadlines at ms resolution (tcp/timers.ts)
  return <i32>min(min(FAST_MS - (nowMs - lastFast), SLOW_MS - (nowMs - lastSlow)), rtx);
}

// ---- sockets ----

function enter(): bool { refreshNow(); return initialized; }

export function tcp_socket(): i32 { return enter() ? tcpSocket() : EPERM; }
export function tcp_bind(h: i32, ip: u32, port: u32): i32 { return enter() ? tcpBind(h, ip, port) : EPERM; }
export function tcp_listen(h: i32, backlog: i32): i32 { return enter() ? tcpListen(h, backlog) : EPERM; }
export function tcp_accept(h: i32): i32 { return enter() ? tcpAccept(h) : EPERM; }
export function tcp_connect(h: i32, ip: u32, port: u32): i32 { return enter() ? tcpConnect(h, ip, port) : EPERM; }
export function tcp_send(h: i32, ptr: u32, len: i32): i32 { return enter() ? tcpSend(h, ptr, len) : EPERM; }
export function tcp_recv(h: i32, ptr: u32, len: i32): i32 { return enter() ? tcpRecv(h, ptr, len) : EPERM; }
export function tcp_send_reserve(h: i32, max: i32, out: u32): i32 { return enter() ? tcpWindow(h, max, out, true) : EPERM; }
export function tcp_send_commit(h: i32, n: i32): i32 { return enter() ? tcpAdvance(h, n, true) : EPERM; }
export function tcp_recv_peek(h: i32, max: i32, out: u32): i32 { return enter() ? tcpWindow(h, max, out, false) : EPERM; }
export function tcp_recv_consume(h: i32, n: i32): i32 { return enter() ? tcpAdvance(h, n, false) : EPERM; }
export function tcp_shutdown(h: i32, how: i32): i32 { return enter() ? tcpShutdown(h, how) : EPERM; }
export function tcp_close(h: i32): i32 { return enter() ? tcpClose(h) : EPERM; }
export function tcp_abort(h: i32): i32 { return enter() ? tcpAbort(h) : EPERM; }
export function tcp_setsockopt(h: i32, opt: i32, val: i32): i32 { return enter() ? tcpSetsockopt(h, opt, val) : EPERM; }
export function tcp_getsockopt(h: i32, opt: i32): i32 { return enter() ? tcpGetsockopt(h, opt) : EPERM; }
export function tcp_state(h: i32): i32 { return enter() ? tcpState(h) : EPERM; }
export function tcp_info(h: i32, ptr: u32): i32 { return enter() ? tcpInfo(h, ptr) : EPERM; }
export function tcp_peer(h: i32, ptr: u32): i32 { return enter() ? tcpPeer(h, ptr) : EPERM; }

// ---- UDP (RFC 768) ----

export function udp_socket(): i32 { return enter() ? udpSocket() : EPERM; }
export function udp_bind(h: i32, ip: u32, port: u32): i32 { return enter() ? udpBind(h, ip, port) : EPERM; }
export function udp_connect(h: i32, ip: u32, port: u32): i32 { return enter() ? udpConnect(h, ip, port) : EPERM; }
export function udp_sendto(h: i32, ptr: u32, len: i32, ip: u32, port: u32): i32 { return enter() ? udpSendto(h, ptr, len, ip, port) : EPERM; }
export function udp_recvfrom(h: i32, ptr: u32, len: i32, from: u32): i32 { return enter() ? udpRecvfrom(h, ptr, len, from) : EPERM; }
export function udp_close(h: i32): i32 { return enter() ? udpClose(h) : EPERM; }

// ---- DHCP client (RFC 2131) and DNS resolver (RFC 1035) ----

export function dhcp_start(): i32 { return enter() ? dhcpStartCall() : EPERM; }
export function dhcp_stop(h: i32): i32 { return enter() ? dhcpStopCall(h) : EPERM; }
export function dhcp_info(h: i32, ptr: u32): i32 { return enter() ? dhcpInfoCall(h, ptr) : EPERM; }
export function dns_set_server(ip: u32): i32 { return enter() ? dnsSetServerCall(ip) : EPERM; }
export function dns_query(ptr: u32, len: i32): i32 { return enter() ? dnsQueryCall(ptr, len) : EPERM; }
export function dns_result(h: i32, ptr: u32): i32 { return enter() ? dnsResultCall(h, ptr) : EPERM; }
export function dns_cancel(h: i32): i32 { return enter() ? dnsCancelCall(h) : EPERM; }

// ---- events and trace ----

export function ev_poll(): i32 {
  if (!initialized) return 0;
  const v = evPoll();
  if (v == 0) flushHeldAck();          // the application has had every event: the held ACK goes
  return v;
}
export function trace_poll(): i32 { return initialized ? tracePoll() : -1; }

// ---- operator view ----

export function sysctl_get(id: i32): i32 {
  if (!sysctlValid(id)) return ENOPROTOOPT;
  return sysctl(<Sysctl>id);
}

export function sysctl_set(id: i32, val: i32): i32 {
  if (!sysctlValid(id)) return ENOPROTOOPT;
  return sysctlSet(id, val);
}

export function stats_get(id: i32): i32 {
  if (id < 0 || id >= Stat.COUNT) return ENOPROTOOPT;
  return <i32>statGet(id);
}

export function netstat_count(state: i32): i32 { return initialized ? netstatCount(state) : EPERM; }
export function netstat_row(i: i32, ptr: u32): i32 { return initialized ? netstatRow(i, ptr) : EPERM; }

export function pool_stats(pool: i32, ptr: u32): i32 {
  if (!inIoBuffer(ptr, 16)) return EFAULT;
  if (pool == POOL_SOCKETS) sockets.writeStats(ptr);
  else if (pool == POOL_TCP_PCBS) pcbs.writeStats(ptr);
  else if (pool == POOL_LISTEN_PCBS) listeners.writeStats(ptr);
  else if (pool == POOL_SYN_QUEUE) synQueue.writeStats(ptr);
  else if (pool == POOL_BLOCKS) blocks.writeStats(ptr);
  else if (pool == POOL_ARP) arpPool().writeStats(ptr);
  else if (pool == POOL_RANGES) ranges.writeStats(ptr);
  else if (pool == POOL_UDP_PCBS) udpPcbs.writeStats(ptr);
  else return EINVAL;
  return OK;
}

export function check_invariants(): i32 { return initialized ? checkInvariants() : OK; }

// Where the last internal abort happened (line, column): for post-mortems after a trap.
export function abort_info(): usize { return abortInfo(); }

// Footprint of the build (npm run size, bench): writes 10 x u32 at ptr — bytes per TCP PCB,
// listen PCB, SYN-queue entry, socket, buffer block, range; end of static data; and the pool
// sizes of TCP PCBs, buffer blocks and sockets.
export function footprint(ptr: u32): i32 {
  if (!inIoBuffer(ptr, 40)) return EFAULT;
  store<u32>(ptr, offsetof<Pcb>());
  store<u32>(ptr, offsetof<Listener>(), 4);
  store<u32>(ptr, synEntrySize(), 8);
  store<u32>(ptr, offsetof<Socket>(), 12);
  store<u32>(ptr, BLOCK_SIZE, 16);
  store<u32>(ptr, rangeSize(), 20);
  store<u32>(ptr, <u32>__heap_base, 24);
  store<u32>(ptr, MAX_TCP_PCBS, 28);
  store<u32>(ptr, MAX_BLOCKS, 32);
  store<u32>(ptr, MAX_SOCKETS, 36);
  return OK;
}
