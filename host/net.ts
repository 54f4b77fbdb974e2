// A node:net-like API over stacks on a virtual wire: servers, client connections and sockets that
// are real Node Duplex streams.
//
//   const net = new HostNet(sim);                       // drives `sim` while anything is open
//   net.createServer(b, (sock) => sock.pipe(sock)).listen(7);
//   const c = net.connect({ stack: a, host: '192.0.2.2', port: 7 }, () => c.end('hello'));
//
// - Backpressure both ways: write() returns false when the stack's send buffer did not take the
//   whole chunk (the rest waits for EV_WRITABLE, then 'drain'); reading stops while push() returns
//   false, so the stack's receive window closes and the remote sender stops (real flow control).
// - end() is a half-close (FIN, SHUT_WR); destroy() before both directions ended is an abort (RST);
//   errors carry err.code ECONNRESET / ETIMEDOUT / ECONNREFUSED (from SO_ERROR).
// - Time: by default virtual time runs as fast as possible whenever Node is idle (Sim.runAsync);
//   { realtime: true } paces it by the wall clock (Sim.runRealtime). Either way the loop stops by
//   itself once no server or socket is open, so scripts and tests exit.
import { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import type { Sim } from './sim.ts';
import type { Stack } from './stack.ts';
import {
  EAGAIN, EINPROGRESS, EV_ACCEPT, EV_CONNECTED, EV_ERROR, EV_READABLE, EV_WRITABLE, SHUT_WR, errName,
} from './abi.ts';

export type HostNetOptions = { realtime?: boolean };

/** One endpoint that receives the events of a handle. */
interface Routed { onEvents(events: number): void }

export class HostNet {
  private active = 0;
  private loop: Promise<unknown> | null = null;
  private readonly routes = new Map<Stack, Map<number, Routed>>();

  constructor(readonly sim: Sim, private readonly opts: HostNetOptions = {}) {}

  createServer(stack: Stack, listener?: (socket: Socket) => void): Server {
    const s = new Server(this, stack);
    if (listener) s.on('connection', listener);
    return s;
  }

  connect(o: { stack: Stack; host: string; port: number; localPort?: number }, onConnect?: () => void): Socket {
    const h = o.stack.socket();
    const sock = new Socket(this, o.stack, h, false);
    if (onConnect) sock.once('connect', onConnect);
    if (h < 0) { queueMicrotask(() => sock.destroy(stackError(h, 'socket'))); return sock; }
    const bound = o.localPort ? o.stack.bind(h, 0, o.localPort) : 0;
    const r = bound < 0 ? bound : o.stack.connect(h, o.host, o.port);
    if (r < 0 && r !== EINPROGRESS) queueMicrotask(() => sock.destroy(stackError(r, 'connect')));
    this.kick();
    return sock;
  }

  /** Resolves when nothing is open any more and the loop has stopped. */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
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

  open(): void { this.active++; this.kick(); }
  closed(): void { this.active = Math.max(0, this.active - 1); }

  /** Starts the simulation loop if it is not running; it runs while anything is open. */
  kick(): void {
    this.sim.notify();
    if (this.loop || this.active === 0) return;
    const opts = { while: () => this.active > 0, maxSteps: Number.MAX_SAFE_INTEGER };
    const run = this.opts.realtime ? this.sim.runRealtime(opts) : this.sim.runAsync(opts);
    this.loop = run.finally(() => { this.loop = null; if (this.active > 0) this.kick(); });
  }
}

function stackError(code: number, syscall: string): NodeJS.ErrnoException {
  const name = errName(code);
  const e: NodeJS.ErrnoException = new Error(`${syscall} ${name}`);
  e.code = name;
  e.errno = code;
  e.syscall = syscall;
  return e;
}

export class Server extends EventEmitter implements Routed {
  private handle = -1;
  private port = 0;

  constructor(private readonly net: HostNet, readonly stack: Stack) { super(); }

  listen(port: number, backlog = 16, cb?: () => void): this {
    if (cb) this.once('listening', cb);
    const h = this.stack.socket();
    const r = h < 0 ? h : this.stack.bind(h, 0, port);
    const l = r < 0 ? r : this.stack.listen(h, backlog);
    if (l < 0) {
      if (h > 0) this.stack.close(h);
      queueMicrotask(() => this.emit('error', stackError(l, 'listen')));
      return this;
    }
    this.handle = h;
    this.port = port || (this.stack.peer(h) as { localPort: number }).localPort;
    this.net.route(this.stack, h, this);
    this.net.open();
    queueMicrotask(() => this.emit('listening'));
    return this;
  }

  address(): { address: string; port: number; family: 'IPv4' } | null {
    return this.handle > 0 ? { address: this.stack.ip, port: this.port, family: 'IPv4' } : null;
  }

  /** Stops listening (connections already accepted stay open). */
  close(cb?: () => void): this {
    if (cb) this.once('close', cb);
    if (this.handle > 0) {
      this.net.route(this.stack, this.handle, null);
      this.stack.close(this.handle);
      this.handle = -1;
      this.net.closed();
    }
    queueMicrotask(() => this.emit('close'));
    return this;
  }

  onEvents(events: number): void {
    if (!(events & EV_ACCEPT)) return;
    for (let i = 0; i < 64; i++) {
      const h = this.stack.accept(this.handle);
      if (h < 0) break;
      this.emit('connection', new Socket(this.net, this.stack, h, true));
    }
  }
}

export class Socket extends Duplex implements Routed {
  bytesRead = 0;
  bytesWritten = 0;
  connecting: boolean;
  private pending: { data: Uint8Array; cb: (e?: Error | null) => void } | null = null;
  private wantRead = false;
  private gotEof = false;
  private sentFin = false;
  private released = false;

  constructor(private readonly net: HostNet, readonly stack: Stack, readonly handle: number, connected: boolean) {
    super({ allowHalfOpen: true });
    this.connecting = !connected;
    if (handle > 0) { net.route(stack, handle, this); net.open(); }
    if (connected) queueMicrotask(() => this.onEvents(EV_READABLE));   // data may have come before accept
  }

  get remoteAddress(): string | undefined { return this.peer()?.remoteIp; }
  get remotePort(): number | undefined { return this.peer()?.remotePort; }
  get localAddress(): string | undefined { return this.peer()?.localIp; }
  get localPort(): number | undefined { return this.peer()?.localPort; }

  private peer() {
    if (this.released) return undefined;
    const p = this.stack.peer(this.handle);
    return typeof p === 'number' ? undefined : p;
  }

  setNoDelay(noDelay = true): this {
    this.stack.setsockopt(this.handle, 'TCP_NODELAY', noDelay ? 1 : 0);
    return this;
  }

  /** Keepalive probes after `initialDelay` ms of idle (rounded up to seconds; 0 keeps the default). */
  setKeepAlive(enable = false, initialDelay = 0): this {
    this.stack.setsockopt(this.handle, 'SO_KEEPALIVE', enable ? 1 : 0);
    if (enable && initialDelay > 0) this.stack.setsockopt(this.handle, 'TCP_KEEPIDLE', Math.ceil(initialDelay / 1000));
    return this;
  }

  // ---- stack events ----

  onEvents(events: number): void {
    if (events & EV_ERROR) { this.failFromStack(); return; }
    if ((events & EV_CONNECTED) && this.connecting) {
      this.connecting = false;
      this.emit('connect');
      this.emit('ready');
    }
    if (events & EV_WRITABLE) this.flushPending();
    if (events & EV_READABLE && this.wantRead) this.pull();
  }

  private failFromStack(): void {
    const so = this.stack.getsockopt(this.handle, 'SO_ERROR');
    const code = so > 0 ? -so : -104;
    this.destroy(stackError(code, this.connecting ? 'connect' : 'read'));
  }

  // ---- Duplex ----

  override _read(): void {
    this.wantRead = true;
    this.pull();
  }

  /** Moves received bytes into the stream until it is full (push false) or the stack is empty. */
  private pull(): void {
    if (this.released || this.gotEof) return;
    for (let i = 0; i < 1024 && this.wantRead; i++) {
      const r = this.stack.recv(this.handle, 16 * 1024);
      if (r === EAGAIN) return;
      if (typeof r === 'number') { this.failFromStack(); return; }
      if (r.length === 0) { this.gotEof = true; this.push(null); this.maybeRelease(); return; }
      this.bytesRead += r.length;
      this.wantRead = this.push(r);
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.pending = { data: new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), cb };
    this.flushPending();
    this.net.kick();
  }

  private flushPending(): void {
    const p = this.pending;
    if (!p || this.released) return;
    const n = p.data.length ? this.stack.send(this.handle, p.data) : 0;
    if (n === EAGAIN) return;                                     // EV_WRITABLE resumes
    if (n < 0) { this.pending = null; p.cb(stackError(n, 'write')); return; }
    this.bytesWritten += n;
    if (n < p.data.length) { p.data = p.data.subarray(n); return; }
    this.pending = null;
    p.cb();
  }

  override _final(cb: (e?: Error | null) => void): void {
    const r = this.released ? 0 : this.stack.shutdown(this.handle, SHUT_WR);
    this.sentFin = true;
    this.net.kick();
    cb(r < 0 ? stackError(r, 'shutdown') : null);
    this.maybeRelease();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (!this.released && this.handle > 0) {
      // Both directions finished: a graceful close; otherwise destroy() is an abort (RST).
      if (this.sentFin && this.gotEof) this.stack.close(this.handle);
      else this.stack.abort(this.handle);
      this.release();
    }
    cb(err);
  }

  /** Once both FINs are through, the handle goes back to the stack (close, no RST). */
  private maybeRelease(): void {
    if (this.sentFin && this.gotEof && !this.released) {
      this.stack.close(this.handle);
      this.release();
    }
  }

  private release(): void {
    this.released = true;
    this.net.route(this.stack, this.handle, null);
    this.net.closed();
  }
}
