// Compile-time pool sizes and runtime tunables.
//
// Pool sizes fix the stack's RAM: every pool is a static array carved at init (core/pool.ts) and
// nothing is allocated afterwards. Tunables are named after the Linux sysctls an operator already
// knows (Documentation/networking/ip-sysctl.rst) and are read/written through sysctl_get/set by id.

// ---- compile-time sizes ----
// Two builds (asconfig.json). The default ("mcu": release, checked, debug, noalloc, app) keeps the
// whole linear memory in ONE 64 KiB wasm page: pools, I/O staging, frames, everything (there is no
// AssemblyScript shadow stack with `--runtime stub`; test/size.test.ts checks both). That page is
// what WAMR asks the ESP32 heap for in one block, and what wasm2c places in .bss. The "server" build
// (`--use ASNET_SERVER=1`: stack.server.wasm, stack.server.checked.wasm) keeps the 3-page pools for
// PSRAM boards and the host.
//
// How the default sizes were chosen, against ESP-IDF's lwIP defaults (CONFIG_LWIP_MAX_SOCKETS 10,
// CONFIG_LWIP_MAX_ACTIVE_TCP 16, TCP_SND_BUF_DEFAULT = TCP_WND_DEFAULT = 5,760 = 4 x MSS 1440):
// - 16 TCP PCBs, as ESP-IDF: at 157 bytes a PCB is cheap; it is the buffers that cost RAM.
// - 24 sockets, not 10: a socket here is 10 bytes (slot, generation, queue link) where an lwIP socket
//   is a netconn + mailbox; 24 covers every PCB, listener and UDP PCB, so sockets never run out first.
// - 36 KiB of socket buffers (36 x 1 KiB blocks), shared and taken only as data is queued. The
//   default SO_SNDBUF/SO_RCVBUF stays 8 KiB in both builds (5.6 x MSS 1,460; ESP-IDF: 5,760 =
//   4 x MSS 1,440): it is a per-socket cap, not a reservation, so idle sockets hold nothing; two
//   connections can fill both directions at once, four can stream one way, and when the pool runs
//   dry the stack advertises a smaller window (pool_fail_block counts it). A socket can ask for up
//   to 36 KiB. What is left of the page is headroom for the rest.
// - 8 KiB I/O staging buffer (host <-> stack copies): a whole default send buffer per call. (With 4 KiB,
//   test/transfer.test.ts's bidirectional 256 KiB transfer under 5 % loss + reorder, seed 99,
//   stalls in ESTABLISHED: a loss-recovery bug that 4 KiB writes expose, left to the TCP owners.)
// - 16 SYN-queue entries (one listener's default tcp_max_syn_backlog), 32 out-of-order/SACK ranges.
// @ts-ignore: isDefined is a compile-time builtin; ASNET_SERVER comes from `--use ASNET_SERVER=1`
const SERVER: bool = isDefined(ASNET_SERVER);
// The "host" build (`--use ASNET_SERVER=1 --use ASNET_HOST=1`: stack.host.wasm, 8 pages) is the
// server build with a 254 KiB pool (the most blocks u8 indices address: core/stream.ts), for boards
// that are hosts (boards/posix `make HOST=1`): 96 KiB windows and send buffers per connection with
// the out-of-order reserve (MAX_BLOCKS / 4) left (issue 23: against Linux through 5 % loss, 64 KiB
// both ways in a 192 KiB pool left Linux waiting for its RTO far more often; bench/README.md).
// @ts-ignore: isDefined is a compile-time builtin; ASNET_HOST comes from `--use ASNET_HOST=1`
const HOST: bool = isDefined(ASNET_HOST);
export const MAX_SOCKETS: i32 = 24;        // socket handles (connections + listeners the app holds)
export const MAX_TCP_PCBS: i32 = 16;       // full TCP control blocks (active, orphaned, TIME_WAIT)
export const MAX_LISTEN_PCBS: i32 = 4;     // listeners (small PCBs, lwIP's tcp_pcb_listen)
export const MAX_SYN_QUEUE: i32 = SERVER ? 32 : 16; // half-open entries shared by all listeners
export const BLOCK_SIZE: i32 = 1024;       // send/receive buffer block
export const HOST_BLOCKS: i32 = 254;      // the host build's pool: the most blocks u8 indices address
export const MAX_BLOCKS: i32 = HOST ? HOST_BLOCKS : SERVER ? 96 : 36; // socket buffers (KiB): host, server, default
export const MAX_ARP_ENTRIES: i32 = 8;
export const ARP_PENDING_BUFFERS: i32 = 2; // frames parked while ARP resolves (a shared pool: link/arp_cache.ts)
export const MAX_RANGES: i32 = SERVER ? 64 : 32; // out-of-order / SACK scoreboard ranges shared by all PCBs
export const MAX_UDP_PCBS: i32 = 4;       // UDP sockets (DHCP and DNS use none)
export const MAX_DNS_QUERIES: i32 = 2;    // DNS queries in flight
export const MAX_DNS_CACHE: i32 = 4;      // cached A records
export const IO_BUFFER_SIZE: i32 = SERVER ? 16384 : 8192; // host <-> stack data staging area
export const MTU: i32 = 1500;
// IPv4 reassembly (ip/reass.ts) is a build option: `--use ASNET_IP_REASS=1` (stack.reass.wasm, 2
// pages: its 2 x 4 KiB datagram buffers, 8.4 KiB in all, do not fit beside the one-page pools).
// @ts-ignore: isDefined is a compile-time builtin
export const IP_REASS: bool = isDefined(ASNET_IP_REASS);
export const REASS_DATAGRAMS: i32 = 2;     // datagrams being reassembled at once
export const REASS_PER_SOURCE: i32 = 1;    // of which one source may hold
export const REASS_MAX_BYTES: i32 = 4096;  // payload of a reassembled datagram (a multiple of 64)
// IPv4 multicast with IGMPv2 (ip/igmp.ts) is a build option: `--use ASNET_MCAST=1`
// (stack.mcast.wasm, entry assembly/index.mcast.ts, which adds the mcast_join/mcast_leave exports).
// @ts-ignore: isDefined is a compile-time builtin
export const MCAST: bool = isDefined(ASNET_MCAST);
export const MCAST_GROUPS: i32 = 4;        // groups joined at once (224.0.0.1 is implicit)
export const FRAME_MAX: i32 = 1536;
export const TCP_BUF_DEFAULT: i32 = 8192; // default SO_SNDBUF / SO_RCVBUF: a cap, not a reservation
export const TCP_BUF_MAX: i32 = HOST_BLOCKS * BLOCK_SIZE; // tcp_rmem/wmem_default at most: the host build's whole pool

// ---- runtime tunables (sysctl ids) ----
export const enum Sysctl {
  tcp_fin_timeout = 0,        // s, FIN_WAIT_2 timeout for orphans
  tcp_max_syn_backlog = 1,    // half-open entries per listener
  tcp_synack_retries = 2,
  tcp_syn_retries = 3,
  tcp_keepalive_time = 4,     // s
  tcp_keepalive_intvl = 5,    // s
  tcp_keepalive_probes = 6,
  tcp_retries2 = 7,
  tcp_syncookies = 8,         // 0 off, 1 when the SYN queue overflows, 2 always
  somaxconn = 9,
  tcp_abort_on_overflow = 10,
  tcp_max_tw_buckets = 11,
  tcp_tw_reuse = 12,          // 0 off, 1 on (2, Linux's loopback-only default, means off here)
  tcp_msl = 13,               // s; TIME_WAIT lasts 2 * tcp_msl
  tcp_timestamps = 14,
  tcp_window_scaling = 15,
  tcp_sack = 16,
  tcp_challenge_ack_limit = 17, // challenge ACKs per second
  ip_local_port_range_min = 18,
  ip_local_port_range_max = 19,
  tcp_rto_min_ms = 20,        // above the 250 ms delayed-ACK tick, or every delayed ACK races the RTO
  tcp_rto_max_ms = 21,
  tcp_init_cwnd = 22,         // segments (RFC 6928)
  tcp_slow_start_after_idle = 23,
  tcp_rmem_default = 24,      // bytes, default SO_RCVBUF
  tcp_wmem_default = 25,      // bytes, default SO_SNDBUF
  ip_default_ttl = 26,
  icmp_echo_ignore_all = 27,
  arp_stale_time = 28,        // s, ARP entry lifetime
  tcp_orphan_retries = 29,    // retransmissions of an orphan's FIN before giving up (0 = tcp_retries2)
  tcp_delayed_ack = 30,       // 1: ACK every 2nd segment or on the next fast tick (RFC 1122 §4.2.3.2); 0: ACK each segment
  udp_rmem_default = 31,      // bytes of queued datagrams (with 8 bytes of header each) per UDP socket
  tcp_recovery = 32,          // bit 0: RACK loss detection (RFC 8985), as Linux; 0: RFC 6675 DupAck rule only
  tcp_early_retrans = 33,     // >= 3: tail-loss probes (RFC 8985 §7), as Linux; 0: off
  icmp_msgs_per_sec = 34,     // ICMP errors per second, all destinations (RFC 1812 §4.3.2.8); 0 = no limit
  icmp_msgs_burst = 35,       // ICMP errors sent back to back before the rate applies
  arp_requests_per_sec = 36,  // ARP requests per second, all targets (not a Linux sysctl); 0 = no limit
  ipfrag_time = 37,           // s to complete a datagram's reassembly (build option ASNET_IP_REASS)
  COUNT = 38,
}

// Defaults, minimums and maximums, indexed by Sysctl id.
const DEFAULTS: StaticArray<i32> = [
  60, 16, 5, 6, 7200, 75, 9, 15, 1, 4096, 0, MAX_TCP_PCBS, 2, 30, 1, 1, 1, 1000,
  49152, 65535, 300, 120000, 10, 1, TCP_BUF_DEFAULT, TCP_BUF_DEFAULT, 64, 0, 60, 0, 1, 4096, 1, 3,
  100, 20, 50, 30,
];
const MINS: StaticArray<i32> = [
  1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0,
  1024, 1024, 10, 1000, 1, 0, 1024, 1024, 1, 0, 1, 0, 0, 256, 0, 0,
  0, 1, 0, 1,
];
const MAXS: StaticArray<i32> = [
  86400, 65535, 20, 20, 86400, 86400, 127, 50, 2, 65535, 1, 65535, 2, 3600, 1, 1, 1, 1000000,
  65535, 65535, 60000, 600000, 64, 1, TCP_BUF_MAX, TCP_BUF_MAX, 255, 1, 86400, 50, 1, 65535, 7, 4,
  10000, 1000, 10000, 120,
];

const values: usize = memory.data(Sysctl.COUNT * 4);

export function sysctlReset(): void {
  for (let i = 0; i < Sysctl.COUNT; i++) store<i32>(values + (<usize>i << 2), unchecked(DEFAULTS[i]));
}

// @inline keeps the hot-path reads a single load.
// @ts-ignore: decorator
@inline export function sysctl(id: Sysctl): i32 {
  return load<i32>(values + (<usize>id << 2));
}

export function sysctlValid(id: i32): bool {
  return id >= 0 && id < Sysctl.COUNT;
}

// Returns 0, or -22 (EINVAL) when the value is outside the tunable's range.
export function sysctlSet(id: i32, v: i32): i32 {
  if (v < unchecked(MINS[id]) || v > unchecked(MAXS[id])) return -22;
  store<i32>(values + (<usize>id << 2), v);
  return 0;
}
