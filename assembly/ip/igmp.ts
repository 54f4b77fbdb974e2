// IPv4 multicast for a host (RFC 1112 §3-§7, level 2) with IGMPv2 (RFC 2236), a build option
// (`--use ASNET_MCAST=1`, lwIP's LWIP_IGMP): without it the module is compiled but every call is
// folded away and its table shrinks to 8 bytes.
//
// A fixed table of MCAST_GROUPS groups, reference-counted (two sockets may join one group). Joining
// sends an unsolicited Membership Report at once and repeats it after a random delay up to the
// Unsolicited Report Interval (§3). A Query starts a random report timer of at most Max Response Time
// per group it covers (general: every group; group-specific: that one); a report from another
// member for the same group cancels ours (suppression, §3) and makes it the last reporter, so our
// Leave Group (to 224.0.0.2) is sent only when we reported last. An IGMPv1 query (Max Response Time
// 0, §4) means a v1 router: reports go out as v1 and leaves are skipped for 400 s (§4: Version 1
// Router Present Timeout). 224.0.0.1 (all hosts) is always a member and never reported (§6).
// Timers run on the 500 ms slow tick.
import { MCAST, MCAST_GROUPS } from "../config";
import { txFrame } from "../core/buf";
import { get32, put16, put32 } from "../core/bytes";
import { checksum } from "../core/checksum";
import { deadlineIn, due, nowMs } from "../core/time";
import { random } from "../env";
import { EINVAL, ENOBUFS, ENOENT, OK } from "../errors";
import { count, Stat } from "../stats";
import { ETH_HLEN, ETHERTYPE_IPV4 } from "../wire/ethernet";
import { netifSend, ourIp, ourMac } from "../link/netif";
import { macCopy } from "../wire/ethernet";

export const PROTO_IGMP: u32 = 2;
const ALL_HOSTS: u32 = 0xe0000001;        // 224.0.0.1
const ALL_ROUTERS: u32 = 0xe0000002;      // 224.0.0.2, where leaves go (§3)
const QUERY: u32 = 0x11;
const V1_REPORT: u32 = 0x12;
const V2_REPORT: u32 = 0x16;
const LEAVE: u32 = 0x17;
const IGMP_LEN: i32 = 8;
const IP_RA_HLEN: i32 = 24;               // IPv4 header with the Router Alert option (RFC 2113)
const UNSOLICITED_MS: u32 = 10000;        // §8.10 Unsolicited Report Interval
const V1_ROUTER_MS: u32 = 400000;         // §8.11 Version 1 Router Present Timeout
const V1_MAX_RESP: u32 = 100;             // §4: a v1 query means 10 s (in 1/10 s)

const LAST_REPORTER: u8 = 1;

@unmanaged class Group {
  addr: u32;          // 0 = free
  timer: u32;         // deadline of a pending report, 0 = none
  refs: u8;
  flags: u8;
}

const table: usize = memory.data(MCAST ? offsetof<Group>() * MCAST_GROUPS : 8);
let v1Until: u32 = 0;                      // a v1 router was heard (deadline), 0 = none
export let igmpReady: bool = false;       // set by igmpReset (stack_init)

// @ts-ignore: decorator
@inline function group(i: i32): Group { return changetype<Group>(table + <usize>(i * offsetof<Group>())); }

export function igmpReset(): void {
  memory.fill(table, 0, offsetof<Group>() * MCAST_GROUPS);
  v1Until = 0;
  igmpReady = true;
}

function find(addr: u32): i32 {
  for (let i = 0; i < MCAST_GROUPS; i++) if (group(i).addr == addr) return i;
  return -1;
}

// @ts-ignore: decorator
@inline function isGroup(a: u32): bool { return (a >>> 28) == 14; }

// True when datagrams to `dst` (a class D address) are for us.
export function igmpMember(dst: u32): bool {
  return dst == ALL_HOSTS || (dst != 0 && find(dst) >= 0);
}

// RFC 1112 §6.4: 01:00:5e followed by the low 23 bits of the group.
export function mcastMac(m: usize, grp: u32): void {
  store<u8>(m, 0x01);
  store<u8>(m + 1, 0x00);
  store<u8>(m + 2, 0x5e);
  store<u8>(m + 3, <u8>((grp >>> 16) & 0x7f));
  store<u8>(m + 4, <u8>(grp >>> 8));
  store<u8>(m + 5, <u8>grp);
}

// The Ethernet filter: a group MAC (frame's destination at `m`) is accepted when one of our groups
// maps to it. 32 groups share each MAC, so ipInput still checks the address (igmpMember).
export function igmpMacAccept(m: usize): bool {
  if (load<u8>(m) != 0x01 || load<u8>(m + 1) != 0 || load<u8>(m + 2) != 0x5e) return false;
  const low = (<u32>load<u8>(m + 3) << 16) | (<u32>load<u8>(m + 4) << 8) | <u32>load<u8>(m + 5);
  if (low == (ALL_HOSTS & 0x7fffff)) return true;
  for (let i = 0; i < MCAST_GROUPS; i++) {
    const a = group(i).addr;
    if (a != 0 && (a & 0x7fffff) == low) return true;
  }
  count(Stat.mcast_filtered);
  return false;
}

// One IGMP message in its own frame: IPv4 header with Router Alert, TTL 1 (RFC 2236 §2).
function send(type: u32, grp: u32, dst: u32): void {
  const f = txFrame;
  mcastMac(f, dst);
  macCopy(f + 6, ourMac);
  put16(f + 12, ETHERTYPE_IPV4);
  const h = f + <usize>ETH_HLEN;
  store<u8>(h, 0x46);                                  // version 4, IHL 6
  store<u8>(h + 1, 0);
  put16(h + 2, <u32>(IP_RA_HLEN + IGMP_LEN));
  store<u32>(h + 4, 0);                               // id 0, no fragmentation
  store<u8>(h + 8, 1);                                 // TTL 1
  store<u8>(h + 9, <u8>PROTO_IGMP);
  store<u16>(h + 10, 0);
  put32(h + 12, ourIp);
  put32(h + 16, dst);
  put32(h + 20, 0x94040000);                           // Router Alert, value 0 (RFC 2113 §2.1)
  put16(h + 10, checksum(h, IP_RA_HLEN));
  const g = h + <usize>IP_RA_HLEN;
  store<u8>(g, <u8>type);
  store<u8>(g + 1, 0);
  store<u16>(g + 2, 0);
  put32(g + 4, grp);
  put16(g + 2, checksum(g, IGMP_LEN));
  count(Stat.igmp_out);
  netifSend(f, ETH_HLEN + IP_RA_HLEN + IGMP_LEN);
}

function v1Router(): bool {
  if (v1Until != 0 && due(v1Until)) v1Until = 0;
  return v1Until != 0;
}

function report(g: Group): void {
  send(v1Router() ? V1_REPORT : V2_REPORT, g.addr, g.addr);
  g.flags |= LAST_REPORTER;
}

// Joins `grp`: OK, EINVAL (not a group, or all-hosts), ENOBUFS (table full).
export function igmpJoin(grp: u32): i32 {
  if (!MCAST) return EINVAL;
  if (!isGroup(grp) || grp == ALL_HOSTS) return EINVAL;
  let i = find(grp);
  if (i >= 0) {
    if (group(i).refs < 255) group(i).refs++;
    return OK;
  }
  i = find(0);
  if (i < 0) return ENOBUFS;
  const g = group(i);
  g.addr = grp;
  g.refs = 1;
  g.flags = 0;
  report(g);                                           // §3: report at once, repeat once later
  g.timer = deadlineIn(1 + random() % UNSOLICITED_MS);
  return OK;
}

// Drops one reference; the last one leaves the group (a Leave Group if we reported last, §3).
export function igmpLeave(grp: u32): i32 {
  if (!MCAST) return EINVAL;
  const i = grp == 0 ? -1 : find(grp);
  if (i < 0) return ENOENT;
  const g = group(i);
  if (--g.refs != 0) return OK;
  if ((g.flags & LAST_REPORTER) != 0 && !v1Router()) send(LEAVE, grp, ALL_ROUTERS);
  g.addr = 0;
  g.timer = 0;
  return OK;
}

// Starts (or shortens) the report timer of a group to a random delay within maxMs (§3).
function arm(g: Group, maxMs: u32): void {
  const delay = 1 + random() % max<u32>(maxMs, 1);
  if (g.timer == 0 || <i32>(g.timer - nowMs) > <i32>delay) g.timer = deadlineIn(delay);
}

// One IGMP message (`len` bytes at `m`) sent to `dst`.
export function igmpInput(dst: u32, m: usize, len: i32): void {
  count(Stat.igmp_in);
  if (len < IGMP_LEN || checksum(m, len) != 0) { count(Stat.igmp_bad); return; }
  const type = <u32>load<u8>(m);
  const grp = get32(m + 4);
  if (type == QUERY) {
    let resp = <u32>load<u8>(m + 1);
    if (resp == 0) { resp = V1_MAX_RESP; v1Until = deadlineIn(V1_ROUTER_MS); }
    if (grp != 0 && (!isGroup(grp) || grp != dst)) { count(Stat.igmp_bad); return; }   // §2.1 group-specific: sent to the group
    for (let i = 0; i < MCAST_GROUPS; i++) {
      const g = group(i);
      if (g.addr != 0 && (grp == 0 || g.addr == grp)) arm(g, resp * 100);
    }
  } else if (type == V1_REPORT || type == V2_REPORT) {
    const i = grp == 0 ? -1 : find(grp);
    if (i < 0) return;
    const g = group(i);                                 // §3: another member answered, ours is not needed
    g.timer = 0;
    g.flags &= ~LAST_REPORTER;
  }
}

// Slow-timer work: reports whose delay ran out.
export function igmpTimer(): void {
  for (let i = 0; i < MCAST_GROUPS; i++) {
    const g = group(i);
    if (g.addr == 0 || !due(g.timer)) continue;
    g.timer = 0;
    report(g);
  }
}
