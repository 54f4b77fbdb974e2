// A node:net-shaped API over stacks on a virtual wire: Server, Socket (a real Duplex stream),
// createServer / connect / createConnection, plus virtual-time timers (host/timers.ts).
//
//   const net = new HostNet(sim, { stack: a });          // `stack`: default for calls without one
//   net.createServer({ stack: b }, (sock) => sock.pipe(sock)).listen(7);
//   const c = net.connect(7, '192.0.2.2', () => c.end('hello'));
//
// Semantics follow node:net (docs/host-api.md lists what stays different):
// - destroy() closes the descriptor: FIN after the data already handed to the stack; RST only when
//   unread data is pending in the stack or SO_LINGER is {1, 0} (tcp_close, RFC 9293 §3.10.4, RFC 2525).
//   resetAndDestroy() sends RST (tcp_abort).
// - allowHalfOpen defaults to false: the peer's FIN ends our side too, then the socket is destroyed.
// - Backpressure both ways: write() returns false while the stack's send buffer is full; reading
//   stops while push() returns false, so the receive window closes (real flow control).
// - Time: virtual time runs as fast as possible whenever Node is idle (Sim.runAsync), or paced by
//   the wall clock with { realtime: true }. The loop runs while a ref'd server, socket or timer
//   exists or a closed connection is still finishing (SYN_SENT/FIN_WAIT/CLOSING/LAST_ACK), then stops.
import { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import type { Sim } from './sim.ts';
import type { Peer, Stack } from './stack.ts';
import { VirtualTimers, type VirtualTimeout } from './timers.ts';
import {
  EAGAIN, EINPROGRESS, EV_ACCEPT, EV_CONNECTED, EV_ERROR, EV_READABLE, EV_WRITABLE, SHUT_WR, errName,
  ENOENT, ENODATA, ETIMEDOUT,
} from './abi.ts';

export type HostNetOptions = {
  /** Pace virtual time by the wall clock (for libraries whose timers cannot be virtual). */
  realtime?: boolean;
  /** The stack used by connect()/createServer() calls that name none. */
  stack?: Stack;
};

export type LookupFunction = (host: string, opts: { family: 4 }, cb: (err: Error | null, address?: string, family?: number) => void) => void;

export type ConnectOptions = {
  stack?: Stack;
  host?: string;
  port: number | string;
  localAddress?: string;
  localPort?: number;
  timeout?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  allowHalfOpen?: boolean;
  lookup?: LookupFunction;
  family?: number;
  [other: string]: unknown;
};

export type ServerOptions = {
  stack?: Stack;
  allowHalfOpen?: boolean;
  pauseOnConnect?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
};

export type ListenOptions = { port?: number | string; host?: string; backlog?: number };

/** One endpoint that receives the events of a handle. */
interface Routed { onEvents(events: number): void }

const UNSETTLED = ['SYN_SENT', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSING', 'LAST_ACK'] as const;

export class HostNet {
  readonly timers: VirtualTimers;
  private refs = 0;
  private loop: Promise<unknown> | null = null;
  private readonly routes = new Map<Stack, Map<number, Routed>>();

  constructor(readonly sim: Sim, private readonly opts: HostNetOptions = {}) {
    this.timers = new VirtualTimers(sim.clock, { ref: () => this.ref(), unref: () => this.unref() });
    // Detachable like node:net's functions: `{ createConnection: net.createConnection }`.
    this.connect = this.connect.bind(this);
    this.createConnection = this.connect;
    this.createServer = this.createServer.bind(this);
  }

  /** createServer([stack | options][, connectionListener]) */
  createServer(a?: Stack | ServerOptions | ((s: Socket) => void), b?: ((s: Socket) => void) | ServerOptions): Server {
    const isStack = (x: unknown): x is Stack => typeof x === 'object' && x !== null && 'socket' in x && 'netstatCounts' in x;
    let opts: ServerOptions = {};
    let listener: ((s: Socket) => void) | undefined;
    for (const x of [a, b]) {
      if (typeof x === 'function') listener = x;
      else if (isStack(x)) opts = { ...opts, stack: x };
      else if (x && typeof x === 'object') opts = { ...opts, ...x };
    }
    const s = new Server(this, this.stackOf(opts.stack, 'createServer'), opts);
    if (listener) s.on('connection', listener);
    return s;
  }

  /** connect(options[, cb]) | connect(port[, host][, cb]) — also as createConnection. */
  connect(a: ConnectOptions | number | string, b?: string | (() => void), c?: () => void): Socket {
    const o: ConnectOptions = typeof a === 'object' ? a : { port: a, host: typeof b === 'string' ? b : undefined };
    const cb = typeof b === 'function' ? b : c;
    const port = validPort(o.port, 'Port');
    const stack = this.stackOf(o.stack, 'connect');
    const sock = new Socket(this, stack, -1, { allowHalfOpen: o.allowHalfOpen ?? false });
    if (cb) sock.once('connect', cb);
    sock.startConnect({ ...o, port, host: o.host ?? 'localhost' });
    return sock;
  }

  createConnection: HostNet['connect'];

  /** Resolves when nothing is open any more, every closed connection has settled, and the loop has stopped. */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  /**
   * Teardown (no node:net equivalent: there the process exit does it): destroys every socket, closes
   * every server and drops every ref, so the simulation loop stops once the last connections settle.
   * For tests that fail half-way and for embedding programs that shut a HostNet down.
   */
  shutdown(): void {
    for (const m of this.routes.values()) {
      for (const r of [...m.values()]) {
        if (r instanceof Socket) r.destroy();
        else if (r instanceof Server && r.listening) r.close();
      }
    }
    this.refs = 0;
  }

  // ---- used by Server and Socket ----

  route(stack: Stack, handle: number, to: Routed | null): void {
    let m = this.routes.get(stack);
    if (!m) {
      m = new Map();
      this.routes.set(stack, m);
      const table = m;
      stack.onEvent((e) => table.get(e.handle)?.onEvents(e.events));
    }
    if (to) m.set(handle, to); else m.delete(handle);
  }

  /** Something that keeps the loop alive (a ref'd server, socket or timer) appeared. */
  ref(): void { this.refs++; this.kick(); }
  unref(): void { this.refs = Math.max(0, this.refs - 1); }

  /** Resolves `host` through the stack's DNS resolver (dns_query); IPv4 literals pass through. */
  resolve(stack: Stack, host: string, cb: (err: NodeJS.ErrnoException | null, ip?: string) => void): void {
    if (isIPv4(host)) { queueMicrotask(() => cb(null, host)); return; }
    const h = stack.dnsQuery(host);
    const fail = (code: number) => {
      const name = code === ENOENT ? 'ENOTFOUND' : code === ENODATA ? 'ENODATA' : code === ETIMEDOUT ? 'EAI_AGAIN' : errName(code);
      const e: NodeJS.ErrnoException = new Error(`getaddrinfo ${name} ${host}`);
      Object.assign(e, { errno: code, code: name, syscall: 'getaddrinfo', hostname: host });
      cb(e);
    };
    if (h < 0) { queueMicrotask(() => fail(h)); return; }
    this.ref();
    const answer = () => {
      const r = stack.dnsResult(h);
      if (r === EAGAIN) return;
      this.route(stack, h, null);
      this.unref();
      if (typeof r === 'number') fail(r); else cb(null, r.ip);
    };
    this.route(stack, h, { onEvents: answer });
    this.kick();
  }

  /** Starts the simulation loop if it is not running; it runs while anything keeps it busy. */
  kick(): void {
    this.sim.notify();
    if (this.loop || !this.busy()) return;
    const opts = { while: () => this.busy(), maxSteps: Number.MAX_SAFE_INTEGER };
    const run = this.opts.realtime ? this.sim.runRealtime(opts) : this.sim.runAsync(opts);
    this.loop = run.finally(() => { this.loop = null; if (this.busy()) this.kick(); });
  }

  private busy(): boolean {
    return this.refs > 0 || this.unsettled();
  }

  /** A closed connection still exchanging its last segments (so idle() does not stop mid-close). */
  private unsettled(): boolean {
    for (const s of this.sim.stacks) {
      const n = s.netstatCounts();
      if (UNSETTLED.some((k) => n[k] > 0)) return true;
    }
    return false;
  }

  private stackOf(stack: Stack | undefined, what: string): Stack {
    const s = stack ?? this.opts.stack;
    if (!s) throw new TypeError(`HostNet.${what}: no stack given and no default ({ stack } in new HostNet(sim, { stack }))`);
    return s;
  }
}

// ---------------------------------------------------------------- helpers

export function isIPv4(s: string): boolean {
  const p = s.split('.');
  return p.length === 4 && p.every((x) => /^\d{1,3}$/.test(x) && Number(x) < 256);
}

function validPort(p: unknown, what: string): number {
  const n = typeof p === 'string' && p.trim() !== '' ? Number(p) : p;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) {
    const e = new RangeError(`${what} should be >= 0 and < 65536. Received ${JSON.stringify(p)}.`) as RangeError & { code: string };
    e.code = 'ERR_SOCKET_BAD_PORT';
    throw e;
  }
  return n;
}

/** An errno exception as Node builds them: `connect ECONNREFUSED 192.0.2.2:7`, code, errno, syscall. */
function stackError(code: number, syscall: string, address?: string, port?: number): NodeJS.ErrnoException & { address?: string; port?: number } {
  const name = errName(code);
  const where = address !== undefined ? ` ${address}${port !== undefined ? `:${port}` : ''}` : '';
  const e: NodeJS.ErrnoException & { address?: string; port?: number } = new Error(`${syscall} ${name}${where}`);
  e.errno = code;
  e.code = name;
  e.syscall = syscall;
  if (address !== undefined) { e.address = address; if (port !== undefined) e.port = port; }
  return e;
}

function nodeError(code: string, message: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(message);
  e.code = code;
  return e;
}

// ---------------------------------------------------------------- Server

export class Server extends EventEmitter implements Routed {
  /** Node: further connections are closed (and 'drop' emitted) once this many are open. */
  maxConnections?: number;
  private handle = -1;
  private bound: { address: string; port: number } | null = null;
  private readonly conns = new Set<Socket>();
  private refed = true;
  private holding = false;

  constructor(private readonly net: HostNet, readonly stack: Stack, private readonly opts: ServerOptions = {}) { super(); }

  get listening(): boolean { return this.handle > 0; }

  /** listen([port[, host[, backlog]]][, cb]) | listen({ port, host, backlog }[, cb]) */
  listen(...args: unknown[]): this {
    let port: unknown = 0, host = '0.0.0.0', backlog = 511;
    let cb: (() => void) | undefined;
    const first = args[0];
    if (first && typeof first === 'object') {
      const o = first as ListenOptions;
      port = o.port ?? 0; host = o.host ?? host; backlog = o.backlog ?? backlog;
      args = args.slice(1);
    } else if (typeof first === 'number' || typeof first === 'string') {
      port = first; args = args.slice(1);
      if (typeof args[0] === 'string') { host = args[0]; args = args.slice(1); }
      if (typeof args[0] === 'number') { backlog = args[0]; args = args.slice(1); }
    } else if (first === undefined || first === null) args = args.slice(1);
    if (typeof args[0] === 'function') cb = args[0] as () => void;
    const p = validPort(port, 'options.port');
    if (this.listening) throw nodeError('ERR_SERVER_ALREADY_LISTEN', 'Listen method has been called more than once without closing.');
    if (cb) this.once('listening', cb);
    if (!isIPv4(host)) throw new TypeError(`Server.listen: host must be an IPv4 address here, got ${JSON.stringify(host)}`);
    const h = this.stack.socket();
    const r = h < 0 ? h : this.stack.bind(h, host, p);
    const l = r < 0 ? r : this.stack.listen(h, Math.max(1, Math.min(backlog, 0x7fff)));
    if (l < 0) {
      if (h > 0) this.stack.close(h);
      const e = stackError(l, 'listen', host, p);
      queueMicrotask(() => this.emit('error', e));
      return this;
    }
    this.handle = h;
    const local = this.stack.peer(h);
    this.bound = { address: host, port: p || (typeof local === 'number' ? 0 : local.localPort) };
    this.net.route(this.stack, h, this);
    this.hold();
    queueMicrotask(() => this.emit('listening'));
    return this;
  }

  address(): { address: string; port: number; family: 'IPv4' } | null {
    return this.listening && this.bound ? { ...this.bound, family: 'IPv4' } : null;
  }

  /** Stops accepting; 'close' (and cb) once every connection has ended. cb(ERR_SERVER_NOT_RUNNING) if not listening. */
  close(cb?: (err?: Error) => void): this {
    if (cb) {
      if (!this.listening) this.once('close', () => cb(nodeError('ERR_SERVER_NOT_RUNNING', 'Server is not running.')));
      else this.once('close', cb);
    }
    if (this.listening) {
      this.net.route(this.stack, this.handle, null);
      this.stack.close(this.handle);
      this.handle = -1;
      this.hold();
    }
    this.emitCloseIfDrained();
    return this;
  }

  getConnections(cb: (err: Error | null, count: number) => void): this {
    const n = this.conns.size;
    queueMicrotask(() => cb(null, n));
    return this;
  }

  ref(): this { this.refed = true; this.hold(); return this; }
  unref(): this { this.refed = false; this.hold(); return this; }

  onEvents(events: number): void {
    if (!(events & EV_ACCEPT)) return;
    for (let i = 0; i < 64 && this.listening; i++) {
      const h = this.stack.accept(this.handle);
      if (h < 0) break;
      if (this.maxConnections !== undefined && this.conns.size >= this.maxConnections) { this.drop(h); continue; }
      const sock = new Socket(this.net, this.stack, h, { allowHalfOpen: this.opts.allowHalfOpen ?? false, accepted: true });
      sock.server = this;
      this.conns.add(sock);
      sock.once('close', () => { this.conns.delete(sock); this.emitCloseIfDrained(); });
      if (this.opts.noDelay) sock.setNoDelay(true);
      if (this.opts.keepAlive) sock.setKeepAlive(true, this.opts.keepAliveInitialDelay ?? 0);
      if (this.opts.pauseOnConnect) sock.pause();
      this.emit('connection', sock);
    }
  }

  /** Over maxConnections: Node closes the new connection and emits 'drop' with its addresses. */
  private drop(h: number): void {
    const p = this.stack.peer(h);
    this.stack.close(h);
    if (typeof p !== 'number') {
      this.emit('drop', { localAddress: p.localIp, localPort: p.localPort, localFamily: 'IPv4',
        remoteAddress: p.remoteIp, remotePort: p.remotePort, remoteFamily: 'IPv4' });
    }
  }

  private emitCloseIfDrained(): void {
    if (this.listening || this.conns.size > 0) return;
    process.nextTick(() => this.emit('close'));
  }

  private hold(): void {
    const want = this.refed && this.listening;
    if (want === this.holding) return;
    this.holding = want;
    if (want) this.net.ref(); else this.net.unref();
  }
}

// ---------------------------------------------------------------- Socket

type SocketInit = { allowHalfOpen: boolean; accepted?: boolean };

export class Socket extends Duplex implements Routed {
  bytesRead = 0;
  connecting: boolean;
  server?: Server;
  private h: number;
  private queued: { data: Uint8Array; cb: (e?: Error | null) => void } | null = null;
  private written = 0;
  private wantRead = false;
  private gotEof = false;
  private released = false;
  private resetting = false;
  private refed = true;
  private holding = false;
  private addrs: Peer | undefined;
  private target: { host: string; port: number } | undefined;
  private timeoutMs = 0;
  private idleTimer: VirtualTimeout | null = null;
  private opts: { noDelay?: boolean; keepAlive?: [boolean, number] } = {};
  private finalAfterConnect: ((e?: Error | null) => void) | null = null;

  constructor(private readonly net: HostNet, readonly stack: Stack, handle: number, init: SocketInit) {
    // Node's net.Socket emits 'close' itself, with hadError (emitClose false).
    super({ allowHalfOpen: init.allowHalfOpen, emitClose: false, decodeStrings: true });
    this.h = handle;
    this.connecting = !init.accepted;
    if (handle > 0) this.attach(handle);
    if (init.accepted) queueMicrotask(() => this.onEvents(EV_READABLE));   // data may have come before accept
    this.hold();
  }

  /** The stack's handle (-1 before a host name is resolved). */
  get handle(): number { return this.h; }

  get remoteAddress(): string | undefined { return this.peer()?.remoteIp; }
  get remotePort(): number | undefined { return this.peer()?.remotePort; }
  get remoteFamily(): 'IPv4' | undefined { return this.peer() ? 'IPv4' : undefined; }
  get localAddress(): string | undefined { return this.peer()?.localIp; }
  get localPort(): number | undefined { return this.peer()?.localPort; }
  get localFamily(): 'IPv4' | undefined { return this.peer() ? 'IPv4' : undefined; }
  get bytesWritten(): number { return this.written; }
  /** Node: true until connected (also before the host name resolved). */
  get pending(): boolean { return this.h <= 0 || this.connecting; }
  get timeout(): number | undefined { return this.timeoutMs || undefined; }

  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable && !this.writable) return 'readOnly';
    if (!this.readable && this.writable) return 'writeOnly';
    return 'closed';
  }

  /** Deprecated in Node: bytes waiting to be written (the stream's queue). */
  get bufferSize(): number | undefined {
    return this.released ? undefined : this.writableLength;
  }

  address(): { address: string; port: number; family: 'IPv4' } | Record<string, never> {
    const p = this.peer();
    return p ? { address: p.localIp, port: p.localPort, family: 'IPv4' } : {};
  }

  private peer(): Peer | undefined {
    if (!this.addrs && this.h > 0 && !this.released && !this.connecting) {
      const p = this.stack.peer(this.h);
      if (typeof p !== 'number' && p.remotePort !== 0) this.addrs = p;
    }
    return this.addrs;
  }

  setNoDelay(noDelay = true): this {
    this.opts.noDelay = noDelay;
    if (this.h > 0 && !this.released) this.stack.setsockopt(this.h, 'TCP_NODELAY', noDelay ? 1 : 0);
    return this;
  }

  /** Keepalive probes after `initialDelay` ms of idle (rounded up to seconds; 0 keeps the default). */
  setKeepAlive(enable = false, initialDelay = 0): this {
    this.opts.keepAlive = [enable, initialDelay];
    if (this.h > 0 && !this.released) {
      this.stack.setsockopt(this.h, 'SO_KEEPALIVE', enable ? 1 : 0);
      if (enable && initialDelay > 0) this.stack.setsockopt(this.h, 'TCP_KEEPIDLE', Math.max(1, Math.ceil(initialDelay / 1000)));
    }
    return this;
  }

  /** 'timeout' after `ms` of inactivity (virtual time; 0 disables). The socket stays open (Node). */
  setTimeout(ms: number, cb?: () => void): this {
    if (typeof ms !== 'number' || !(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`The value of "msecs" is out of range. Received ${ms}`);
    this.timeoutMs = ms;
    if (ms === 0) {
      this.idleTimer?.close();
      this.idleTimer = null;
      if (cb) this.removeListener('timeout', cb);
      return this;
    }
    if (cb) this.once('timeout', cb);
    this.idleTimer?.close();
    this.idleTimer = this.released ? null : this.net.timers.setTimeout(() => this.emit('timeout'), ms).unref();
    return this;
  }

  /** Node: a ref'd socket keeps the event loop (here: the simulation loop) alive; unref'd does not. */
  ref(): this { this.refed = true; this.hold(); return this; }
  unref(): this { this.refed = false; this.hold(); return this; }

  /** end(), then destroy() once the queued data is flushed to the stack. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /** Closes with RST (tcp_abort): unsent data is discarded, the peer sees ECONNRESET. */
  resetAndDestroy(): this {
    this.resetting = true;
    this.destroy();
    return this;
  }

  // ---- connecting ----

  /** Resolves the host (stack DNS or options.lookup), emits 'lookup', then connects. */
  startConnect(o: ConnectOptions & { port: number; host: string }): void {
    if (o.timeout) this.setTimeout(o.timeout);
    if (o.noDelay) this.setNoDelay(true);
    if (o.keepAlive) this.setKeepAlive(true, o.keepAliveInitialDelay ?? 0);
    const done = (err: Error | null, ip?: string) => {
      if (this.destroyed) return;
      if (err || !ip) { this.destroy(err ?? new Error(`lookup of ${o.host} gave no address`)); return; }
      this.open(ip, o);
    };
    if (isIPv4(o.host)) { this.open(o.host, o); return; }
    const emitLookup = (err: Error | null, ip?: string) => {
      this.emit('lookup', err, ip, 4, o.host);
      done(err, ip);
    };
    if (o.lookup) o.lookup(o.host, { family: 4 }, (err, ip) => emitLookup(err, ip));
    else this.net.resolve(this.stack, o.host, emitLookup);
  }

  private open(ip: string, o: ConnectOptions & { port: number }): void {
    this.target = { host: ip, port: o.port };
    const h = this.stack.socket();
    if (h < 0) { queueMicrotask(() => this.destroy(stackError(h, 'connect', ip, o.port))); return; }
    this.attach(h);
    const bound = o.localPort || o.localAddress ? this.stack.bind(h, o.localAddress ?? 0, o.localPort ?? 0) : 0;
    const r = bound < 0 ? bound : this.stack.connect(h, ip, o.port);
    if (r < 0 && r !== EINPROGRESS) { queueMicrotask(() => this.destroy(stackError(r, 'connect', ip, o.port))); return; }
    this.net.kick();
  }

  private attach(h: number): void {
    this.h = h;
    this.net.route(this.stack, h, this);
    if (this.opts.noDelay !== undefined) this.setNoDelay(this.opts.noDelay);
    if (this.opts.keepAlive) this.setKeepAlive(...this.opts.keepAlive);
  }

  // ---- stack events ----

  onEvents(events: number): void {
    if (this.released) return;
    if (events & EV_ERROR) { this.failFromStack(); return; }
    if ((events & EV_CONNECTED) && this.connecting) {
      this.connecting = false;
      this.peer();
      this.flushQueued();
      if (this.finalAfterConnect) { const cb = this.finalAfterConnect; this.finalAfterConnect = null; this._final(cb); }
      this.emit('connect');
      this.emit('ready');
    }
    if (events & EV_WRITABLE) this.flushQueued();
    if (events & EV_READABLE && this.wantRead) this.pull();
  }

  private failFromStack(): void {
    const so = this.stack.getsockopt(this.h, 'SO_ERROR');
    const code = so > 0 ? -so : -104;
    if (this.connecting) this.destroy(stackError(code, 'connect', this.target?.host, this.target?.port));
    else this.destroy(stackError(code, this.queued ? 'write' : 'read'));
  }

  private touch(): void {
    this.idleTimer?.refresh();
  }

  // ---- Duplex ----

  override _read(): void {
    this.wantRead = true;
    this.pull();
  }

  /** Moves received bytes into the stream until it is full (push false) or the stack is empty. */
  private pull(): void {
    if (this.released || this.gotEof || this.h <= 0 || this.connecting) return;
    for (let i = 0; i < 1024 && this.wantRead; i++) {
      const r = this.stack.recv(this.h, 16 * 1024);
      if (r === EAGAIN) return;
      if (typeof r === 'number') { this.failFromStack(); return; }
      if (r.length === 0) { this.gotEof = true; this.push(null); return; }
      this.bytesRead += r.length;
      this.touch();
      this.wantRead = this.push(r);
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.queued = { data: new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), cb };
    if (!this.connecting) this.flushQueued();
  }

  /** Corked or queued writes go to the stack in one send (one segment where they fit, not one per write). */
  override _writev(chunks: { chunk: Buffer }[], cb: (e?: Error | null) => void): void {
    const all = chunks.length === 1 ? chunks[0].chunk : Buffer.concat(chunks.map((c) => c.chunk));
    this._write(all, 'binary', cb);
  }

  private flushQueued(): void {
    const p = this.queued;
    if (!p || this.released || this.connecting) return;
    const n = p.data.length ? this.stack.send(this.h, p.data) : 0;
    if (n === EAGAIN) return;                                     // EV_WRITABLE resumes
    if (n < 0) { this.queued = null; p.cb(stackError(n, 'write')); return; }
    this.written += n;
    if (n > 0) this.touch();
    this.net.kick();
    if (n < p.data.length) { p.data = p.data.subarray(n); return; }
    this.queued = null;
    p.cb();
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (this.connecting) { this.finalAfterConnect = cb; return; }
    const r = this.released ? 0 : this.stack.shutdown(this.h, SHUT_WR);
    this.net.kick();
    cb(r < 0 ? stackError(r, 'shutdown') : null);
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.idleTimer?.close();
    this.idleTimer = null;
    if (!this.released && this.h > 0) {
      this.peer();
      // Node's close(2): FIN after the data the stack holds; the stack itself sends RST when unread
      // data is pending or SO_LINGER is {1,0}. resetAndDestroy() aborts.
      if (this.resetting) this.stack.abort(this.h); else this.stack.close(this.h);
      this.net.route(this.stack, this.h, null);
      this.net.kick();
    }
    this.released = true;
    this.connecting = false;
    this.hold();
    cb(err);
    process.nextTick(() => this.emit('close', err != null));
  }

  private hold(): void {
    const want = this.refed && !this.released;
    if (want === this.holding) return;
    this.holding = want;
    if (want) this.net.ref(); else this.net.unref();
  }
}
