// DNS stub resolver (RFC 1035, RFC 1123 §6.1.3): A records over UDP to one server (from DHCP or
// set by the host), a few queries in flight each with its own random ID and source port
// (RFC 5452 §9.2), retries at 1, 2, 4 s, and a small cache that honours TTLs. Each query is a
// socket handle: EV_READABLE when it has an answer or an error; dns_result() reads and frees it.
import { MAX_DNS_CACHE, MAX_DNS_QUERIES } from "../config";
import { random } from "../env";
import { nowMs, due, deadlineIn } from "../core/time";
import { get16, get32 } from "../core/bytes";
import { count, Stat } from "../stats";
import { sockNotify } from "../api/sockets";
import { EV_READABLE } from "../api/constants";
import { EAGAIN, EDESTADDRREQ, EIO, ENODATA, ENOENT, ENOBUFS, ETIMEDOUT, OK } from "../errors";
import { udpEphemeral, udpSend } from "../udp/udp";
import {
  CLASS_IN, DNS_HLEN, DNS_PORT, MAX_QNAME, RCODE_NXDOMAIN, TYPE_A, dnsAnCount, dnsEmitQuery, dnsEncodeName,
  dnsFlags, dnsId, dnsNameEquals, dnsQdCount, dnsSkipName,
} from "../wire/dns";

const TRIES: u8 = 3;
const FIRST_TIMEOUT_MS: u32 = 1000;
const MAX_TTL_S: u32 = 86400;
const CACHE_NAME: i32 = 64;           // longer names are resolved but not cached

@unmanaged class Query {
  state: i32;        // EAGAIN while pending, then OK or a negative error
  sock: u8;          // socket slot + 1; 0 = free
  tries: u8;
  qlen: u8;
  port: u16;
  id: u16;
  ip: u32;
  ttl: u32;
  retryAt: u32;
}

@unmanaged class CacheEntry {
  qlen: u8;
  ip: u32;
  expires: u32;      // ms
}

const queries = memory.data(offsetof<Query>() * MAX_DNS_QUERIES);
const qnames = memory.data(MAX_QNAME * MAX_DNS_QUERIES);
const cache = memory.data(offsetof<CacheEntry>() * MAX_DNS_CACHE);
const cnames = memory.data(CACHE_NAME * MAX_DNS_CACHE);
const scratch = memory.data(512);
let server: u32 = 0;

// @ts-ignore: decorator
@inline function queryAt(i: i32): Query { return changetype<Query>(queries + <usize>(i * offsetof<Query>())); }
// @ts-ignore: decorator
@inline function qnameOf(i: i32): usize { return qnames + <usize>(i * MAX_QNAME); }
// @ts-ignore: decorator
@inline function entryAt(i: i32): CacheEntry { return changetype<CacheEntry>(cache + <usize>(i * offsetof<CacheEntry>())); }

export function dnsReset(): void {
  memory.fill(queries, 0, offsetof<Query>() * MAX_DNS_QUERIES);
  memory.fill(cache, 0, offsetof<CacheEntry>() * MAX_DNS_CACHE);
  server = 0;
}

export function dnsSetServer(ip: u32): void { server = ip; }
export function dnsServer(): u32 { return server; }

export function dnsClaims(port: u32): bool {
  for (let i = 0; i < MAX_DNS_QUERIES; i++) {
    const q = queryAt(i);
    if (q.sock != 0 && q.state == EAGAIN && <u32>q.port == port) return true;
  }
  return false;
}

// Starts resolving the name at [name, name+len) for socket `slot`. Returns the query index or
// a negative error (EINVAL bad name, EDESTADDRREQ no server, ENOBUFS all queries busy).
export function dnsStart(slot: i32, name: usize, len: i32): i32 {
  let i = 0;
  while (i < MAX_DNS_QUERIES && queryAt(i).sock != 0) i++;
  if (i == MAX_DNS_QUERIES) return ENOBUFS;
  const qlen = dnsEncodeName(qnameOf(i), name, len);
  if (qlen < 0) return -22;                               // EINVAL
  const q = queryAt(i);
  memory.fill(changetype<usize>(q), 0, offsetof<Query>());
  q.sock = <u8>(slot + 1);
  q.qlen = <u8>qlen;
  if (fromCache(q, qnameOf(i))) return i;
  if (server == 0) { q.sock = 0; return EDESTADDRREQ; }
  const port = udpEphemeral(-1);
  if (port < 0) { q.sock = 0; return port; }
  q.port = <u16>port;
  q.state = EAGAIN;
  count(Stat.dns_queries);
  transmit(q, i);
  return i;
}

function fromCache(q: Query, qn: usize): bool {
  for (let c = 0; c < MAX_DNS_CACHE; c++) {
    const e = entryAt(c);
    if (e.qlen == 0 || e.qlen != q.qlen || <i32>(e.expires - nowMs) <= 0) continue;
    if (memory.compare(cnames + <usize>(c * CACHE_NAME), qn, <usize>q.qlen) != 0) continue;
    count(Stat.dns_cache_hits);
    finish(q, OK, e.ip, (e.expires - nowMs) / 1000);
    return true;
  }
  return false;
}

function transmit(q: Query, i: i32): void {
  q.id = <u16>random();
  const n = dnsEmitQuery(scratch, q.id, qnameOf(i), <i32>q.qlen);
  udpSend(q.port, server, DNS_PORT, scratch, n);
  q.retryAt = deadlineIn(FIRST_TIMEOUT_MS << q.tries);
  q.tries++;
}

function finish(q: Query, state: i32, ip: u32, ttl: u32): void {
  q.state = state;
  q.ip = ip;
  q.ttl = ttl;
  q.retryAt = 0;
  sockNotify(<i32>q.sock - 1, EV_READABLE);
}

// A datagram to one of our query ports from `src`:`sport`.
export function dnsInput(src: u32, sport: u32, m: usize, len: i32): void {
  if (src != server || sport != DNS_PORT || len < DNS_HLEN) { count(Stat.dns_bad_reply); return; }
  for (let i = 0; i < MAX_DNS_QUERIES; i++) {
    const q = queryAt(i);
    if (q.sock == 0 || q.state != EAGAIN || <u32>q.id != dnsId(m)) continue;
    if (answer(q, i, m, m + <usize>len)) return;
  }
  count(Stat.dns_bad_reply);                               // wrong ID or question: ignored (RFC 5452)
}

// Checks the reply matches the question and finishes the query. False when it is not ours.
function answer(q: Query, i: i32, m: usize, end: usize): bool {
  const flags = dnsFlags(m);
  if ((flags & 0x8000) == 0 || dnsQdCount(m) != 1) return false;        // QR set, one question
  const qn = m + <usize>DNS_HLEN;
  if (!dnsNameEquals(qn, end, qnameOf(i), <i32>q.qlen)) return false;
  let p = qn + <usize>q.qlen;
  if (p + 4 > end || get16(p) != TYPE_A || get16(p + 2) != CLASS_IN) return false;
  p += 4;
  const rcode = flags & 15;
  if (rcode == RCODE_NXDOMAIN) { finish(q, ENOENT, 0, 0); return true; }
  if (rcode != 0) { finish(q, EIO, 0, 0); return true; }
  for (let n = dnsAnCount(m); n > 0; n--) {
    p = dnsSkipName(p, end);
    if (p == 0 || p + 10 > end) break;
    const type = get16(p), cls = get16(p + 2), ttl = get32(p + 4), rdlen = <usize>get16(p + 8);
    p += 10;
    if (p + rdlen > end) break;
    if (type == TYPE_A && cls == CLASS_IN && rdlen == 4) {
      const t = min(ttl, MAX_TTL_S);
      remember(qnameOf(i), <i32>q.qlen, get32(p), t);
      finish(q, OK, get32(p), t);
      return true;
    }
    p += rdlen;                                            // CNAME and others: the A record follows
  }
  finish(q, ENODATA, 0, 0);
  return true;
}

// Caches an answer in the free or soonest-expiring entry; TTL 0 is not cached (RFC 1035 §3.2.1).
function remember(qn: usize, qlen: i32, ip: u32, ttl: u32): void {
  if (ttl == 0 || qlen > CACHE_NAME) return;
  let victim = 0;
  for (let c = 0; c < MAX_DNS_CACHE; c++) {
    const e = entryAt(c);
    if (e.qlen == 0 || <i32>(e.expires - nowMs) <= 0) { victim = c; break; }
    if (<i32>(e.expires - entryAt(victim).expires) < 0) victim = c;
  }
  const e = entryAt(victim);
  e.qlen = <u8>qlen;
  e.ip = ip;
  e.expires = deadlineIn(ttl * 1000);
  memory.copy(cnames + <usize>(victim * CACHE_NAME), qn, <usize>qlen);
}

// Slow timer: retransmit or time out pending queries.
export function dnsTimer(): void {
  for (let i = 0; i < MAX_DNS_QUERIES; i++) {
    const q = queryAt(i);
    if (q.sock == 0 || q.state != EAGAIN || !due(q.retryAt)) continue;
    if (q.tries >= TRIES || server == 0) { count(Stat.dns_timeouts); finish(q, ETIMEDOUT, 0, 0); }
    else transmit(q, i);
  }
}

// The query of a socket, by index; the API layer keeps the index in the socket.
export function dnsResult(i: i32, ptr: usize): i32 {
  const q = queryAt(i);
  if (q.state == EAGAIN) return EAGAIN;
  if (q.state == OK) { store<u32>(ptr, q.ip); store<u32>(ptr, q.ttl, 4); }
  return q.state;
}

export function dnsFree(i: i32): void { queryAt(i).sock = 0; }
export function dnsSlotOf(i: i32): i32 { return <i32>queryAt(i).sock - 1; }
