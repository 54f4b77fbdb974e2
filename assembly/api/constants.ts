// Constants of the socket ABI (docs/ABI.md). Mirrored into host/abi.ts and stack_abi.h.

// TCP states, numbered as in lwIP (RFC 9293 §3.3.2 names).
export const CLOSED: u8 = 0;
export const LISTEN: u8 = 1;
export const SYN_SENT: u8 = 2;
export const SYN_RCVD: u8 = 3;
export const ESTABLISHED: u8 = 4;
export const FIN_WAIT_1: u8 = 5;
export const FIN_WAIT_2: u8 = 6;
export const CLOSE_WAIT: u8 = 7;
export const CLOSING: u8 = 8;
export const LAST_ACK: u8 = 9;
export const TIME_WAIT: u8 = 10;
export const STATE_COUNT: i32 = 11;

// Event bits delivered by ev_poll().
export const EV_CONNECTED: u8 = 1;
export const EV_READABLE: u8 = 2;
export const EV_WRITABLE: u8 = 4;
export const EV_ACCEPT: u8 = 8;
export const EV_ERROR: u8 = 16;
export const EV_CLOSED: u8 = 32;

// Socket options.
export const SO_REUSEADDR: i32 = 1;
export const SO_KEEPALIVE: i32 = 2;
export const SO_LINGER: i32 = 3;
export const SO_RCVBUF: i32 = 4;
export const SO_SNDBUF: i32 = 5;
export const SO_ERROR: i32 = 6;
export const TCP_NODELAY: i32 = 7;
export const TCP_MAXSEG: i32 = 8;
export const TCP_KEEPIDLE: i32 = 9;
export const TCP_KEEPINTVL: i32 = 10;
export const TCP_KEEPCNT: i32 = 11;

// shutdown(how)
export const SHUT_RD: i32 = 0;
export const SHUT_WR: i32 = 1;
export const SHUT_RDWR: i32 = 2;

// Pool ids for pool_stats().
export const POOL_SOCKETS: i32 = 0;
export const POOL_TCP_PCBS: i32 = 1;
export const POOL_LISTEN_PCBS: i32 = 2;
export const POOL_SYN_QUEUE: i32 = 3;
export const POOL_BLOCKS: i32 = 4;
export const POOL_ARP: i32 = 5;
export const POOL_RANGES: i32 = 6;
export const POOL_UDP_PCBS: i32 = 7;
export const POOL_COUNT: i32 = 8;

// DHCP client states (dhcp_info), RFC 2131 figure 5 plus CHECKING (RFC 5227 probing).
export const DHCP_OFF: u8 = 0;
export const DHCP_INIT: u8 = 1;
export const DHCP_SELECTING: u8 = 2;
export const DHCP_REQUESTING: u8 = 3;
export const DHCP_CHECKING: u8 = 4;
export const DHCP_BOUND: u8 = 5;
export const DHCP_RENEWING: u8 = 6;
export const DHCP_REBINDING: u8 = 7;
