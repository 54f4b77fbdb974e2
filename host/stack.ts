// class Stack: one instance of build/stack.wasm with typed methods for every export of docs/ABI.md.
//
// - Loaded with @assemblyscript/loader; the hot calls go to the raw exports. The compiled
//   WebAssembly.Module is cached per file, so a test can start hundreds of stacks cheaply.
// - Imports: env.now_ms from a Clock, env.random from a seeded Rng (reproducible runs), and
//   env.netif_output, which copies the frame and hands it to `onOutput`. docs/ABI.md's re-entrancy
//   rule: that sink must only queue the frame, never call back into the stack.
// - Stack errors are the stack's negative errno results (see host/abi.ts errName). Exceptions are
//   only for host misuse (bad address strings, unknown sysctl names) and for traps, which are bugs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { instantiateSync, type Imports } from '@assemblyscript/loader';
import { Clock } from './clock.ts';
import { Rng } from './rng.ts';
import {
  NETSTAT_ROW_FIELDS, PEER_FIELDS, POOL_COUNT, POOL_NAMES, POOL_STATS_FIELDS, SOCKOPTS, STATE_NAMES, STAT, STAT_NAMES,
  SYSCTL, SYSCTL_NAMES, TCP_INFO_FIELDS, DHCP_STATE_NAMES, type SockoptName, type StatName, type SysctlName,
} from './abi.ts';

/** The raw exports of build/stack.wasm (docs/ABI.md); every value is an i32. */
export interface StackExports {
  memory: WebAssembly.Memory;
  stack_init(macHi: number, macLo: number, ip: number, netmask: number, gw: number): number;
  netif_set_addr(ip: number, netmask: number, gw: number): number;
  netif_set_link(up: number): number;
  rx_buffer(): number;
  netif_input(len: number): number;
  io_buffer(): number;
  io_buffer_size(): number;
  timers_run(): number;
  tcp_fasttmr(): number;
  tcp_slowtmr(): number;
  tcp_socket(): number;
  tcp_bind(h: number, ip: number, port: number): number;
  tcp_listen(h: number, backlog: number): number;
  tcp_accept(h: number): number;
  tcp_connect(h: number, ip: number, port: number): number;
  tcp_send(h: number, ptr: number, len: number): number;
  tcp_recv(h: number, ptr: number, len: number): number;
  tcp_send_reserve(h: number, max: number, out: number): number;
  tcp_send_commit(h: number, n: number): number;
  tcp_recv_peek(h: number, max: number, out: number): number;
  tcp_recv_consume(h: number, n: number): number;
  tcp_shutdown(h: number, how: number): number;
  tcp_close(h: number): number;
  tcp_abort(h: number): number;
  tcp_setsockopt(h: number, opt: number, val: number): number;
  tcp_getsockopt(h: number, opt: number): number;
  tcp_state(h: number): number;
  tcp_info(h: number, ptr: number): number;
  tcp_peer(h: number, ptr: number): number;
  ev_poll(): number;
  trace_poll(): number;
  sysctl_set(id: number, val: number): number;
  sysctl_get(id: number): number;
  stats_get(id: number): number;
  netstat_count(state: number): number;
  netstat_row(i: number, ptr: number): number;
  pool_stats(pool: number, ptr: number): number;
  udp_socket(): number;
  udp_bind(h: number, ip: number, port: number): number;
  udp_connect(h: number, ip: number, port: number): number;
  udp_sendto(h: number, ptr: number, len: number, ip: number, port: number): number;
  udp_recvfrom(h: number, ptr: number, len: number, from: number): number;
  udp_close(h: number): number;
  dhcp_start(): number;
  dhcp_stop(h: number): number;
  dhcp_info(h: number, ptr: number): number;
  dns_set_server(ip: number): number;
  dns_query(ptr: number, len: number): number;
  dns_result(h: number, ptr: number): number;
  dns_cancel(h: number): number;
  check_invariants(): number;
  footprint(ptr: number): number;
  abort_info(): number;
}

/**
 * The builds (asconfig.json). Default pools (one 64 KiB page of linear memory, for MCUs): release,
 * checked, debug, noalloc. Server pools (3 pages, for PSRAM boards and the host): server,
 * server-checked. Host pools (8 pages, 254 KiB of buffers: boards/posix `make HOST=1`): host.
 */
export type Build = 'release' | 'checked' | 'debug' | 'noalloc' | 'server' | 'server-checked' | 'host';

const BUILD_FILES: Record<Build, string> = {
  release: 'stack.wasm',
  checked: 'stack.checked.wasm',
  debug: 'stack.debug.wasm',
  noalloc: 'stack.noalloc.wasm',
  server: 'stack.server.wasm',
  'server-checked': 'stack.server.checked.wasm',
  host: 'stack.host.wasm',
};

/**
 * The server-pool build matching the default one: server-checked when the default is checked or
 * debug (under the test runner), server otherwise. For tests that need the bigger pools.
 */
export function serverBuild(): Build {
  const b = defaultBuild();
  return b === 'release' || b === 'server' ? 'server' : 'server-checked';
}

export type StackOptions = {
  /** Shown in errors, traces and pcaps. */
  name?: string;
  /** '02:00:00:00:00:01'. */
  mac: string;
  /** Dotted quad. */
  ip: string;
  netmask?: string;
  gateway?: string;
  /** Time source; a fresh Clock at 0 if absent. Stacks of one simulation share one clock. */
  clock?: Clock;
  /** Seed of env.random (default 1). Ignored when `random` is given. */
  seed?: number;
  /** Entropy source returning 32 bits, e.g. crypto for the demo. */
  random?: () => number;
  /**
   * Which build to load, or an explicit path to a .wasm. Default: $ASNET_BUILD, else release. The
   * test runner sets ASNET_BUILD=checked: release optimisations plus the invariant checker.
   */
  build?: Build;
  wasmPath?: string;
  /** Call stack_init in the constructor (default true). */
  init?: boolean;
};

export type Event = { handle: number; events: number };
export type Transition = { slot: number; from: number; to: number };
export type TcpInfo = Record<(typeof TCP_INFO_FIELDS)[number], number>;
export type Peer = { localIp: string; localPort: number; remoteIp: string; remotePort: number };
export type NetstatRow = {
  state: number; stateName: string; localIp: string; localPort: number; remoteIp: string; remotePort: number;
  sendQueue: number; recvQueue: number; slot: number;
};
export type Datagram = { data: Uint8Array; ip: string; port: number };
export type DhcpInfo = {
  state: number; stateName: string; ip: string; netmask: string; gateway: string; dns: string; server: string;
  lease: number; t1: number; t2: number; expires: number;
};
export type DnsAnswer = { ip: string; ttl: number };
export type PoolStats = Record<(typeof POOL_STATS_FIELDS)[number], number>;
export type Footprint = {
  pcbBytes: number; listenPcbBytes: number; synEntryBytes: number; socketBytes: number; blockBytes: number;
  rangeBytes: number; staticEnd: number; tcpPcbs: number; blocks: number; sockets: number;
};

// ---------------------------------------------------------------- addresses

/** '192.0.2.2' -> 0xC0000202 (docs/ABI.md "Numbers"). Throws on a malformed address. */
export function ipToU32(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) < 256)) {
    throw new TypeError(`not an IPv4 address: ${JSON.stringify(ip)}`);
  }
  return parts.reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0);
}

export function u32ToIp(v: number): string {
  return [24, 16, 8, 0].map((s) => (v >>> s) & 255).join('.');
}

/** '02:00:00:00:00:01' -> 6 bytes. Throws on a malformed address. */
export function parseMac(mac: string): Uint8Array {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new TypeError(`not a MAC address: ${JSON.stringify(mac)}`);
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function formatMac(mac: Uint8Array): string {
  return Array.from(mac.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

function ipArg(ip: string | number): number {
  return typeof ip === 'number' ? ip >>> 0 : ipToU32(ip);
}

// ---------------------------------------------------------------- module cache

const modules = new Map<string, WebAssembly.Module>();

/** Path of a build's .wasm under build/. */
/** $ASNET_BUILD when it names a build; else checked under node's test runner, release otherwise. */
export function defaultBuild(): Build {
  const b = process.env.ASNET_BUILD;
  if (b !== undefined && b in BUILD_FILES) return b as Build;
  return process.env.NODE_TEST_CONTEXT !== undefined ? 'checked' : 'release';
}

export function wasmPath(build: Build = defaultBuild()): string {
  return fileURLToPath(new URL(`../build/${BUILD_FILES[build]}`, import.meta.url));
}

/** Compiles a .wasm once per process; later calls return the cached module. */
export function compileStack(path: string = wasmPath()): WebAssembly.Module {
  let mod = modules.get(path);
  if (!mod) {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(readFileSync(path));
    } catch (e) {
      throw new Error(`cannot read ${path} (run \`npm run build\` first): ${(e as Error).message}`);
    }
    mod = new WebAssembly.Module(bytes);
    modules.set(path, mod);
  }
  return mod;
}

// ---------------------------------------------------------------- the Stack

export class Stack {
  readonly name: string;
  readonly clock: Clock;
  readonly x: StackExports;
  /** Receives a copy of every frame the stack transmits. Must only queue (docs/ABI.md). */
  onOutput: (frame: Uint8Array) => void;
  /** Frames sent while no other sink was installed (the default onOutput appends here). */
  readonly outbox: Uint8Array[] = [];
  private readonly eventListeners = new Set<(ev: Event) => void>();
  private readonly traceListeners = new Set<(t: Transition) => void>();
  private readonly entropy: () => number;
  private inCall = false;
  private touched = true; // called since the last dispatch (events may be pending)
  private u8 = new Uint8Array(0);
  private rxPtr = 0;
  private ioPtr = 0;
  private ioSize = 0;
  private config: { mac: Uint8Array; ip: number; netmask: number; gateway: number };

  constructor(opts: StackOptions) {
    this.name = opts.name ?? opts.ip;
    this.clock = opts.clock ?? new Clock();
    this.config = {
      mac: parseMac(opts.mac), ip: ipToU32(opts.ip),
      netmask: ipToU32(opts.netmask ?? '255.255.255.0'), gateway: ipToU32(opts.gateway ?? '0.0.0.0'),
    };
    const rng = new Rng(opts.seed ?? 1);
    this.entropy = opts.random ?? (() => rng.u32());
    this.onOutput = (frame) => { this.outbox.push(frame); };
    const module = compileStack(opts.wasmPath ?? wasmPath(opts.build));
    const env: Imports['env'] & Record<string, unknown> = {
      now_ms: (): number => this.clock.nowMs() | 0,
      random: (): number => this.entropy() | 0,
      netif_output: (ptr: number, len: number): void => this.output(ptr, len),
    };
    this.x = instantiateSync<Record<string, unknown>>(module, { env }).instance.exports as unknown as StackExports;
    this.rxPtr = this.x.rx_buffer() >>> 0;
    this.ioPtr = this.x.io_buffer() >>> 0;
    this.ioSize = this.x.io_buffer_size();
    if (opts.init ?? true) this.reset();
  }

  /** The MAC address in use, as 6 bytes. */
  get mac(): Uint8Array {
    return this.config.mac;
  }

  get ip(): string {
    return u32ToIp(this.config.ip);
  }

  get ioBufferSize(): number {
    return this.ioSize;
  }

  // ---- set-up ----

  /** stack_init with new addresses; resets every pool and connection. */
  init(mac: string, ip: string, netmask = '255.255.255.0', gateway = '0.0.0.0'): number {
    this.config = { mac: parseMac(mac), ip: ipToU32(ip), netmask: ipToU32(netmask), gateway: ipToU32(gateway) };
    return this.reset();
  }

  /** stack_init again with the current addresses. */
  reset(): number {
    const m = this.config.mac;
    const hi = (m[0] << 8) | m[1];
    const lo = ((m[2] << 24) | (m[3] << 16) | (m[4] << 8) | m[5]) >>> 0;
    return this.call(() => this.x.stack_init(hi, lo, this.config.ip, this.config.netmask, this.config.gateway));
  }

  setAddr(ip: string, netmask = '255.255.255.0', gateway = '0.0.0.0'): number {
    const c = { ip: ipToU32(ip), netmask: ipToU32(netmask), gateway: ipToU32(gateway) };
    const r = this.call(() => this.x.netif_set_addr(c.ip, c.netmask, c.gateway));
    if (r === 0) this.config = { ...this.config, ...c };
    return r;
  }

  setLink(up: boolean): number {
    return this.call(() => this.x.netif_set_link(up ? 1 : 0));
  }

  /** Copies one received Ethernet frame (no CRC) into rx_buffer and processes it. */
  input(frame: Uint8Array): number {
    if (frame.length > 1536) throw new RangeError(`${this.name}: frame of ${frame.length} bytes exceeds rx_buffer`);
    this.mem().set(frame, this.rxPtr);
    return this.run1(this.x.netif_input, frame.length);
  }

  // ---- timers ----

  /** timers_run(): runs the ticks due by now; returns ms until the next one (or a negative code). */
  runTimers(): number {
    return this.run0(this.x.timers_run);
  }

  fasttmr(): number {
    return this.call(() => this.x.tcp_fasttmr());
  }

  slowtmr(): number {
    return this.call(() => this.x.tcp_slowtmr());
  }

  // ---- sockets ----

  socket(): number {
    return this.run0(this.x.tcp_socket);
  }

  /** ip 0 / '0.0.0.0' = any; port 0 = ephemeral. */
  bind(h: number, ip: string | number, port: number): number {
    const a = ipArg(ip);
    return this.call(() => this.x.tcp_bind(h, a, port));
  }

  listen(h: number, backlog: number): number {
    return this.call(() => this.x.tcp_listen(h, backlog));
  }

  accept(h: number): number {
    return this.run1(this.x.tcp_accept, h);
  }

  connect(h: number, ip: string | number, port: number): number {
    const a = ipArg(ip);
    return this.run3(this.x.tcp_connect, h, a, port);
  }

  /**
   * Queues as much of `data` as the socket accepts, copying through io_buffer in chunks of its size.
   * Returns the bytes accepted (may be fewer than data.length), or the error of the first chunk.
   */
  send(h: number, data: Uint8Array): number {
    let sent = 0;
    do {
      const chunk = data.subarray(sent, sent + this.ioSize);
      this.mem().set(chunk, this.ioPtr);
      const r = this.run3(this.x.tcp_send, h, this.ioPtr, chunk.length);
      if (r < 0) return sent > 0 ? sent : r;
      sent += r;
      if (r < chunk.length) break;
    } while (sent < data.length);
    return sent;
  }

  /**
   * Reads up to `max` bytes (default: one io_buffer). Returns the bytes; an empty array at end of
   * stream; or a negative code (EAGAIN when nothing is there yet).
   */
  recv(h: number, max = this.ioSize): Uint8Array | number {
    if (!(max > 0)) throw new RangeError(`${this.name}: recv max must be positive, got ${max}`);
    const parts: Uint8Array[] = [];
    let total = 0;
    while (total < max) {
      const want = Math.min(max - total, this.ioSize);
      const r = this.run3(this.x.tcp_recv, h, this.ioPtr, want);
      if (r <= 0) {
        if (total === 0) return r === 0 ? new Uint8Array(0) : r;
        break;
      }
      parts.push(this.mem().slice(this.ioPtr, this.ioPtr + r));
      total += r;
      if (r < want) break;
    }
    return parts.length === 1 ? parts[0] : concat(parts, total);
  }

  /**
   * Reads up to `dst.length` bytes into `dst` (no allocation: for loops that reuse one buffer).
   * Returns the bytes read; 0 at end of stream; or a negative code (EAGAIN when nothing is there yet).
   */
  recvInto(h: number, dst: Uint8Array): number {
    let total = 0;
    while (total < dst.length) {
      const want = Math.min(dst.length - total, this.ioSize);
      const r = this.run3(this.x.tcp_recv, h, this.ioPtr, want);
      if (r <= 0) return total > 0 ? total : r;
      dst.set(this.mem().subarray(this.ioPtr, this.ioPtr + r), total);
      total += r;
      if (r < want) break;
    }
    return total;
  }

  // ---- zero-copy (docs/ABI.md "Zero-copy"): views into the socket buffers themselves ----

  /**
   * Up to `max` bytes of the send buffer's free tail, as a view into linear memory to fill in place
   * (contiguous: at most one buffer block), then `sendCommit(h, n)`. One reservation per stack; the
   * view is valid until the next call into the stack. A negative code on error (EAGAIN: full).
   */
  sendReserve(h: number, max = this.ioSize): Uint8Array | number {
    const n = this.run3(this.x.tcp_send_reserve, h, max, this.ioPtr);
    if (n < 0) return n;
    const at = this.word(this.ioPtr);
    return this.mem().subarray(at, at + n);
  }

  /** Queues the first `n` bytes written into the last `sendReserve` view (0 cancels). n or an error. */
  sendCommit(h: number, n: number): number {
    return this.run2(this.x.tcp_send_commit, h, n);
  }

  /**
   * Up to `max` received bytes in place (contiguous: at most one block), left queued until
   * `recvConsume`. An empty view at end of stream; a negative code on error (EAGAIN: nothing yet).
   * The view is valid until the next call into the stack.
   */
  recvPeek(h: number, max = this.ioSize): Uint8Array | number {
    const n = this.run3(this.x.tcp_recv_peek, h, max, this.ioPtr);
    if (n < 0) return n;
    const at = this.word(this.ioPtr);
    return this.mem().subarray(at, at + n);
  }

  /** Drops `n` bytes from the head of the receive buffer (after `recvPeek`). n or an error. */
  recvConsume(h: number, n: number): number {
    return this.run2(this.x.tcp_recv_consume, h, n);
  }

  private word(at: number): number {
    const m = this.mem();
    return (m[at] | (m[at + 1] << 8) | (m[at + 2] << 16) | (m[at + 3] << 24)) >>> 0;
  }

  shutdown(h: number, how: number): number {
    return this.call(() => this.x.tcp_shutdown(h, how));
  }

  close(h: number): number {
    return this.run1(this.x.tcp_close, h);
  }

  abort(h: number): number {
    return this.call(() => this.x.tcp_abort(h));
  }

  setsockopt(h: number, opt: number | SockoptName, val: number): number {
    const id = typeof opt === 'number' ? opt : SOCKOPTS[opt];
    return this.call(() => this.x.tcp_setsockopt(h, id, val));
  }

  getsockopt(h: number, opt: number | SockoptName): number {
    const id = typeof opt === 'number' ? opt : SOCKOPTS[opt];
    return this.call(() => this.x.tcp_getsockopt(h, id));
  }

  state(h: number): number {
    return this.call(() => this.x.tcp_state(h));
  }

  /** The decoded tcp_info record, or a negative code. */
  info(h: number): TcpInfo | number {
    const r = this.call(() => this.x.tcp_info(h, this.ioPtr));
    return r < 0 ? r : this.record(TCP_INFO_FIELDS) as TcpInfo;
  }

  peer(h: number): Peer | number {
    const r = this.call(() => this.x.tcp_peer(h, this.ioPtr));
    if (r < 0) return r;
    const w = this.record(PEER_FIELDS);
    return { localIp: u32ToIp(w.local_ip), localPort: w.local_port, remoteIp: u32ToIp(w.remote_ip), remotePort: w.remote_port };
  }

  // ---- UDP ----

  udpSocket(): number {
    return this.call(() => this.x.udp_socket());
  }

  udpBind(h: number, ip: string | number, port: number): number {
    const a = ipArg(ip);
    return this.call(() => this.x.udp_bind(h, a, port));
  }

  udpConnect(h: number, ip: string | number, port: number): number {
    const a = ipArg(ip);
    return this.call(() => this.x.udp_connect(h, a, port));
  }

  /** Sends one datagram (to the connected peer when ip is 0 and port 0). Returns its length or an error. */
  udpSendto(h: number, data: Uint8Array, ip: string | number = 0, port = 0): number {
    if (data.length > this.ioSize) throw new RangeError(`${this.name}: datagram larger than io_buffer`);
    const a = ipArg(ip);
    this.mem().set(data, this.ioPtr);
    return this.call(() => this.x.udp_sendto(h, this.ioPtr, data.length, a, port));
  }

  /** Reads one datagram (at most `max` bytes, the rest discarded) or returns a negative code. */
  udpRecvfrom(h: number, max = 2048): Datagram | number {
    const from = this.ioPtr + this.ioSize - 8;
    const r = this.call(() => this.x.udp_recvfrom(h, this.ioPtr, Math.min(max, this.ioSize - 8), from));
    if (r < 0) return r;
    const v = new DataView(this.x.memory.buffer, from, 8);
    return { data: this.mem().slice(this.ioPtr, this.ioPtr + r), ip: u32ToIp(v.getUint32(0, true)), port: v.getUint32(4, true) };
  }

  udpClose(h: number): number {
    return this.call(() => this.x.udp_close(h));
  }

  // ---- DHCP client and DNS resolver ----

  dhcpStart(): number {
    return this.call(() => this.x.dhcp_start());
  }

  dhcpStop(h: number): number {
    return this.call(() => this.x.dhcp_stop(h));
  }

  dhcpInfo(h: number): DhcpInfo | number {
    const r = this.call(() => this.x.dhcp_info(h, this.ioPtr));
    if (r < 0) return r;
    const v = new DataView(this.x.memory.buffer, this.ioPtr, 40);
    const u = (i: number) => v.getUint32(i * 4, true);
    return {
      state: u(0), stateName: DHCP_STATE_NAMES[u(0)] ?? String(u(0)), ip: u32ToIp(u(1)), netmask: u32ToIp(u(2)),
      gateway: u32ToIp(u(3)), dns: u32ToIp(u(4)), server: u32ToIp(u(5)), lease: u(6), t1: u(7), t2: u(8), expires: u(9),
    };
  }

  dnsSetServer(ip: string | number): number {
    const a = ipArg(ip);
    return this.call(() => this.x.dns_set_server(a));
  }

  /** Starts resolving `name`; returns a query handle (EV_READABLE when answered) or an error. */
  dnsQuery(name: string): number {
    const bytes = new TextEncoder().encode(name);
    if (bytes.length === 0 || bytes.length > this.ioSize) return this.call(() => this.x.dns_query(this.ioPtr, 0));
    this.mem().set(bytes, this.ioPtr);
    return this.call(() => this.x.dns_query(this.ioPtr, bytes.length));
  }

  /** EAGAIN while pending; then the answer or the error (ENOENT, ENODATA, EIO, ETIMEDOUT); frees the handle. */
  dnsResult(h: number): DnsAnswer | number {
    const r = this.call(() => this.x.dns_result(h, this.ioPtr));
    if (r < 0) return r;
    const v = new DataView(this.x.memory.buffer, this.ioPtr, 8);
    return { ip: u32ToIp(v.getUint32(0, true)), ttl: v.getUint32(4, true) };
  }

  dnsCancel(h: number): number {
    return this.call(() => this.x.dns_cancel(h));
  }

  // ---- events ----

  /** Drains ev_poll() (bounded: each socket is queued at most once). */
  pollEvents(): Event[] {
    const out: Event[] = [];
    for (let i = 0, ev = this.nextEvent(); ev && i < 4096; i++, ev = this.nextEvent()) out.push(ev);
    return out;
  }

  /** One ev_poll(): the next event, or null (then the stack sends an ACK it held, docs/ABI.md). */
  private nextEvent(): Event | null {
    const v = this.call(() => this.x.ev_poll(), false);
    return v === 0 ? null : { handle: v & 0xffff, events: (v >>> 16) & 0xff };
  }

  /** Drains trace_poll() (the ring holds at most 64 entries). */
  pollTrace(): Transition[] {
    const out: Transition[] = [];
    for (let i = 0; i < 4096; i++) {
      const v = this.call(() => this.x.trace_poll(), false);
      if (v === -1) break;
      out.push({ slot: v & 0xff, from: (v >>> 8) & 0xff, to: (v >>> 16) & 0xff });
    }
    return out;
  }

  /** Calls `fn` for each event dispatch() drains. Returns a function that removes it. */
  onEvent(fn: (ev: Event) => void): () => void {
    this.eventListeners.add(fn);
    return () => { this.eventListeners.delete(fn); };
  }

  /** Calls `fn` for each state transition dispatch() drains. Returns a function that removes it. */
  onTrace(fn: (t: Transition) => void): () => void {
    this.traceListeners.add(fn);
    return () => { this.traceListeners.delete(fn); };
  }

  /**
   * Drains events (and, if anyone listens, transitions) and hands them to the listeners.
   * Listeners may call into the stack; what that raises is drained too (bounded rounds).
   * Returns the number of events dispatched.
   */
  dispatch(): number {
    let n = 0;
    for (let round = 0; round < 64 && this.touched; round++) {
      this.touched = false;
      const trace = this.traceListeners.size ? this.pollTrace() : [];
      for (const t of trace) for (const fn of [...this.traceListeners]) fn(t);
      // One event at a time, each handed to the listeners before the next ev_poll(): an ACK the
      // stack holds for the application (docs/ABI.md, netif_input) goes out when ev_poll() finds
      // none left, so a listener's reply or close carries it.
      for (let i = 0, ev = this.nextEvent(); ev && i < 4096; i++, ev = this.nextEvent()) {
        for (const fn of [...this.eventListeners]) fn(ev);
        n++;
      }
    }
    return n;
  }

  /**
   * Calls an export an application build adds (app_start, app_event, an app's timer, ...) under the
   * same guard as the stack's own calls, so the frames it sends and the events it raises are
   * dispatched like those of any other call.
   */
  callApp(name: string, ...args: number[]): number {
    const f = (this.x as unknown as Record<string, unknown>)[name];
    if (typeof f !== 'function') throw new TypeError(`${this.name}: the module exports no ${name}()`);
    return this.call(() => (f as (...a: number[]) => number)(...args));
  }

  // ---- operator view ----

  sysctl(name: SysctlName): number {
    const id = sysctlId(name);
    return this.call(() => this.x.sysctl_get(id));
  }

  setSysctl(name: SysctlName, value: number): number {
    const id = sysctlId(name);
    return this.call(() => this.x.sysctl_set(id, value));
  }

  /** Every sysctl by name. */
  sysctls(): Record<SysctlName, number> {
    return Object.fromEntries(SYSCTL_NAMES.map((n) => [n, this.sysctl(n)])) as Record<SysctlName, number>;
  }

  stat(name: StatName): number {
    const id = STAT[name];
    if (id === undefined) throw new TypeError(`unknown stat ${JSON.stringify(name)}`);
    return this.call(() => this.x.stats_get(id)) >>> 0;
  }

  /** Every counter by name (u32). */
  stats(): Record<StatName, number> {
    return Object.fromEntries(STAT_NAMES.map((n) => [n, this.stat(n)])) as Record<StatName, number>;
  }

  /** Connections per state name (netstat_count). */
  netstatCounts(): Record<string, number> {
    return Object.fromEntries(STATE_NAMES.map((s, i) => [s, this.call(() => this.x.netstat_count(i))]));
  }

  /** Every row of netstat_row (bounded by the pool sizes). */
  netstatRows(): NetstatRow[] {
    const rows: NetstatRow[] = [];
    for (let i = 0; i < 1024; i++) {
      if (this.call(() => this.x.netstat_row(i, this.ioPtr)) < 0) break;
      const w = this.record(NETSTAT_ROW_FIELDS);
      rows.push({
        state: w.state, stateName: STATE_NAMES[w.state] ?? `STATE?${w.state}`,
        localIp: u32ToIp(w.local_ip), localPort: w.local_port, remoteIp: u32ToIp(w.remote_ip), remotePort: w.remote_port,
        sendQueue: w.send_queue, recvQueue: w.recv_queue, slot: w.slot,
      });
    }
    return rows;
  }

  poolStats(pool: number): PoolStats | number {
    const r = this.call(() => this.x.pool_stats(pool, this.ioPtr));
    return r < 0 ? r : this.record(POOL_STATS_FIELDS) as PoolStats;
  }

  /** pool_stats of every pool, by pool name. */
  allPoolStats(): Record<string, PoolStats> {
    const out: Record<string, PoolStats> = {};
    for (let p = 0; p < POOL_COUNT; p++) {
      const s = this.poolStats(p);
      if (typeof s !== 'number') out[POOL_NAMES[p]] = s;
    }
    return out;
  }

  /** 0, or the negative code of the broken rule (docs/ABI.md check_invariants). */
  checkInvariants(): number {
    return this.call(() => this.x.check_invariants());
  }

  footprint(): Footprint {
    const r = this.call(() => this.x.footprint(this.ioPtr));
    if (r < 0) throw new Error(`${this.name}: footprint() returned ${r}`);
    const w = this.words(this.ioPtr, 10);
    return {
      pcbBytes: w[0], listenPcbBytes: w[1], synEntryBytes: w[2], socketBytes: w[3], blockBytes: w[4],
      rangeBytes: w[5], staticEnd: w[6], tcpPcbs: w[7], blocks: w[8], sockets: w[9],
    };
  }

  /** Line and column of the last internal abort (after a trap). */
  abortInfo(): { line: number; column: number } {
    const p = this.x.abort_info() >>> 0;
    const [line, column] = this.words(p, 2);
    return { line, column };
  }

  // ---- internals ----

  /** A view of linear memory (refreshed if the buffer was replaced by memory.grow). */
  private mem(): Uint8Array {
    if (this.u8.buffer !== this.x.memory.buffer) this.u8 = new Uint8Array(this.x.memory.buffer);
    return this.u8;
  }

  /** Reads consecutive u32 fields at io_buffer into a record keyed by field name. */
  private record<F extends readonly string[]>(fields: F): Record<F[number], number> {
    const w = this.words(this.ioPtr, fields.length);
    return Object.fromEntries(fields.map((f, i) => [f, w[i]])) as Record<F[number], number>;
  }

  /** `n` little-endian u32 words at `ptr` (wasm memory is little-endian; no alignment needed). */
  private words(ptr: number, n: number): number[] {
    const v = new DataView(this.mem().buffer);
    return Array.from({ length: n }, (_, i) => v.getUint32(ptr + 4 * i, true));
  }

  /** env.netif_output: copy the frame out before returning (the buffer is reused). */
  private output(ptr: number, len: number): void {
    const p = ptr >>> 0;
    this.onOutput(this.mem().slice(p, p + len));
  }

  /** Runs one export; refuses re-entrant calls (from inside netif_output) and names traps. */
  private call(fn: () => number, touch = true): number {
    this.enter(touch);
    try {
      return fn();
    } catch (e) {
      throw this.named(e);
    } finally {
      this.inCall = false;
    }
  }

  // The hot exports go through run0/run1/run3: the same guard as call() without allocating a
  // closure per call (bench/node.ts measures the difference).
  private run0(f: () => number): number {
    this.enter(true);
    try { return f(); } catch (e) { throw this.named(e); } finally { this.inCall = false; }
  }

  private run1(f: (a: number) => number, a: number): number {
    this.enter(true);
    try { return f(a); } catch (e) { throw this.named(e); } finally { this.inCall = false; }
  }

  private run2(f: (a: number, b: number) => number, a: number, b: number): number {
    this.enter(true);
    try { return f(a, b); } catch (e) { throw this.named(e); } finally { this.inCall = false; }
  }

  private run3(f: (a: number, b: number, c: number) => number, a: number, b: number, c: number): number {
    this.enter(true);
    try { return f(a, b, c); } catch (e) { throw this.named(e); } finally { this.inCall = false; }
  }

  private enter(touch: boolean): void {
    if (touch) this.touched = true;
    if (this.inCall) throw new Error(`${this.name}: re-entrant call into the stack (from netif_output?); queue frames instead`);
    this.inCall = true;
  }

  private named(e: unknown): unknown {
    if (e instanceof WebAssembly.RuntimeError) {
      const at = this.abortInfo();
      e.message = `${this.name}: stack trapped (${e.message}; last abort at line ${at.line}:${at.column})`;
    }
    return e;
  }
}

function sysctlId(name: SysctlName): number {
  const s = SYSCTL[name];
  if (s === undefined) throw new TypeError(`unknown sysctl ${JSON.stringify(name)}`);
  return s.id;
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}
