// Error codes returned by every ABI call: negative POSIX errno values (Linux numbering).
// docs/ABI.md explains when each is returned. Mirrored by scripts/gen-abi.ts into host/abi.ts
// and boards/common/stack_abi.h.
export const OK: i32 = 0;
export const EPERM: i32 = -1;
export const ENOENT: i32 = -2;      // DNS: the name does not exist (NXDOMAIN)
export const EIO: i32 = -5;         // DNS: the server failed (SERVFAIL, REFUSED, ...)
export const EBADF: i32 = -9;
export const EAGAIN: i32 = -11;
export const EFAULT: i32 = -14;
export const EINVAL: i32 = -22;
export const EMFILE: i32 = -24;
export const EPIPE: i32 = -32;
export const ENOSYS: i32 = -38;     // check_invariants in the release build (no self-check compiled in)
export const ENODATA: i32 = -61;    // DNS: the name exists but has no A record
export const EDESTADDRREQ: i32 = -89;
export const EMSGSIZE: i32 = -90;
export const ENOPROTOOPT: i32 = -92;
export const EOPNOTSUPP: i32 = -95;
export const EADDRINUSE: i32 = -98;
export const EADDRNOTAVAIL: i32 = -99;
export const ENETDOWN: i32 = -100;
export const ECONNABORTED: i32 = -103;
export const ECONNRESET: i32 = -104;
export const ENOBUFS: i32 = -105;
export const EISCONN: i32 = -106;
export const ENOTCONN: i32 = -107;
export const ETIMEDOUT: i32 = -110;
export const ECONNREFUSED: i32 = -111;
export const EHOSTUNREACH: i32 = -113;
export const EALREADY: i32 = -114;
export const EINPROGRESS: i32 = -115;
