// The multicast build (`asc assembly/index.mcast.ts --target mcast`, build/stack.mcast.wasm): the
// whole stack with ASNET_MCAST=1 (ip/igmp.ts, the group MAC filter, group sends) plus two exports.
export * from "./index";
import { refreshNow } from "./core/time";
import { EPERM } from "./errors";
import { igmpJoin, igmpLeave, igmpReady } from "./ip/igmp";

// Joins / leaves an IPv4 group (host order): OK, EINVAL (not 224/4, or 224.0.0.1), ENOBUFS (the
// MCAST_GROUPS table is full), ENOENT (leave: not joined). UDP sockets bound to a port then also
// receive the group's datagrams to that port; udp_sendto to a group sends to its MAC.
export function mcast_join(group: u32): i32 { refreshNow(); return igmpReady ? igmpJoin(group) : EPERM; }
export function mcast_leave(group: u32): i32 { refreshNow(); return igmpReady ? igmpLeave(group) : EPERM; }
