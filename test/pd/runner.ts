// A packetdrill-style script runner (test/pd/README.md has the format): one stack under test at
// 192.0.2.2, the script plays the remote host 192.0.2.1 segment by segment, with a virtual clock
// that runs the stack's 250/500 ms timers as script time advances. Every line is checked, the
// stack's invariants are checked after every line, and a segment the stack sends that the script
// did not expect fails the run with the file and line.
import { Clock } from '../../host/clock.ts';
import { Stack } from '../../host/stack.ts';
import { ERRORS, EVENTS, SOCKOPTS, STATE_NAMES, type SockoptName, type StatName, type SysctlName } from '../../host/abi.ts';
import { tcpFrame } from '../helpers/frames.ts';

const LOCAL_IP = '192.0.2.2', REMOTE_IP = '192.0.2.1';
const LOCAL_MAC = [2, 0, 0, 0, 0, 2], REMOTE_MAC = [2, 0, 0, 0, 0, 1];
export const REMOTE_PORT = 40000;
const REMOTE_ISN = 1_000_000;
const FLAG = { F: 1, S: 2, R: 4, P: 8, '.': 16 } as const;

export class ScriptError extends Error {}

type Out = { seq: number; ack: number; flags: number; win: number; len: number; opts: Map<string, number[]>; at: number };

export class Runner {
  readonly clock = new Clock(1000);
  readonly stack: Stack;
  private readonly handles = new Map<string, number>();
  private localPort = 0;
  private stackIsn: number | null = null;
  private lastTsVal = 0;
  private readonly pending: Out[] = [];
  private statBase: Record<string, number> = {};
  private t0 = this.clock.now;
  private where = '';
  private wake = Infinity;

  constructor(private readonly file: string) {
    this.stack = new Stack({ name: 'pd', mac: '02:00:00:00:00:02', ip: LOCAL_IP, clock: this.clock, seed: 7 });
    this.arpWarmUp();
    this.statBase = { ...this.stack.stats() };
  }

  run(text: string): void {
    const lines = text.split('\n');
    lines.forEach((raw, i) => {
      const line = raw.replace(/(#|\/\/).*/, '').trim();
      if (!line) return;
      this.where = `${this.file}:${i + 1}: ${line}`;
      this.step(line);
      const inv = this.stack.checkInvariants();
      if (inv !== 0) this.fail(`check_invariants() = ${inv}`);
    });
    this.collect();
    if (this.pending.length) this.fail(`unexpected segment(s) at the end: ${this.pending.map(fmt).join(' | ')}`);
  }

  private fail(msg: string): never {
    throw new ScriptError(`${this.where}\n  ${msg}`);
  }

  // ---- a line: [time] command ----

  private step(line: string): void {
    const m = /^(\+?[0-9.]+)\s+(.*)$/.exec(line);
    const body = m ? m[2] : line;
    if (m) this.advanceTo(m[1].startsWith('+') ? this.clock.now + secs(m[1].slice(1)) : this.t0 + secs(m[1]));
    if (/^\w+\(.*\)\s*=/.test(body)) { this.syscall(body); return; }      // packetdrill syscall syntax
    for (const part of body.split(';').map((s) => s.trim()).filter(Boolean)) {
      if (part.startsWith('<')) this.inbound(part.slice(1).trim());
      else if (part.startsWith('>')) this.outbound(part.slice(1).trim());
      else this.call(part);
    }
  }

  /** Moves the clock to `t`, running the stack's timers at every tick on the way. */
  private advanceTo(t: number): void {
    if (t < this.clock.now) this.fail(`time goes backwards (${t} < ${this.clock.now})`);
    const r0 = this.stack.runTimers();            // due at this instant: nothing, or a deadline
    this.wake = r0 > 0 ? this.clock.now + r0 : Infinity;
    this.collect();
    while (this.clock.now < t) {
      // The next 250 ms tick, or sooner when timers_run() said a deadline (an RTO) falls earlier.
      const next = Math.min(t, (Math.floor(this.clock.now / 250) + 1) * 250, this.wake);
      this.clock.advanceTo(next);
      const r = this.stack.runTimers();
      this.wake = r > 0 ? this.clock.now + r : Infinity;
      this.collect();
    }
  }

  // ---- inbound segments ----

  private inbound(spec: string): void {
    const s = parseSeg(spec, this.fail.bind(this));
    const isn = this.stackIsn ?? 0;
    const options = encodeOptions(s.opts, isn, this.lastTsVal);
    this.stack.input(tcpFrame({
      srcMac: REMOTE_MAC, dstMac: LOCAL_MAC, srcIp: REMOTE_IP, dstIp: LOCAL_IP,
      sport: REMOTE_PORT, dport: this.localPort || s.port || 0, seq: (REMOTE_ISN + s.seq) >>> 0,
      ack: s.ack === undefined ? 0 : (isn + s.ack) >>> 0, flags: s.flags, win: s.win ?? 65535, options,
      payload: new Uint8Array(s.len).fill(0x61),
    }));
    this.collect();
  }

  // ---- outbound expectations ----

  private outbound(spec: string): void {
    this.collect();
    if (spec === '*') { this.pending.length = 0; return; }
    const want = parseSeg(spec, this.fail.bind(this));
    const got = this.pending.shift();
    if (!got) this.fail(`expected ${spec}, but the stack sent nothing`);
    // On time: within one fast-timer tick (250 ms) plus 50 ms before the line's time.
    if (this.clock.now - got.at > 300) this.fail(`expected ${spec} at t=${this.clock.now - this.t0} ms, it left at t=${got.at - this.t0} ms`);
    // PSH is advisory (RFC 9293 §3.9.1): stacks differ on which segments carry it; not compared.
    if ((got.flags & ~FLAG.P) !== (want.flags & ~FLAG.P)) this.fail(`flags: expected ${spec}, got ${fmt(got)}`);
    if (want.flags & FLAG.S && this.stackIsn === null) this.stackIsn = got.seq;
    const isn = this.stackIsn ?? 0;          // no SYN from the stack yet: numbers are absolute
    const rel = (got.seq - isn) >>> 0;
    if (rel !== want.seq || got.len !== want.len) this.fail(`seq: expected ${spec}, got ${fmt(got)}`);
    if (want.ack !== undefined && ((got.ack - REMOTE_ISN) >>> 0) !== want.ack) this.fail(`ack: expected ${spec}, got ${fmt(got)}`);
    if (want.win !== undefined && got.win !== want.win) this.fail(`win: expected ${spec}, got ${fmt(got)}`);
    for (const [k, v] of want.opts) {
      const g = got.opts.get(k);
      if (!g) this.fail(`option ${k} missing: got ${fmt(got)}`);
      if (k !== 'TS' && v.length && v[0] !== g[0]) this.fail(`option ${k}: expected ${v[0]}, got ${g[0]}`);
    }
    if (want.noOpts && got.opts.size) this.fail(`expected no options, got ${[...got.opts.keys()].join(',')}`);
  }

  /** Moves what the stack sent into `pending` (answering its ARP requests). */
  private collect(): void {
    while (this.stack.outbox.length) {
      const f = this.stack.outbox.shift()!;
      if (f[12] === 0x08 && f[13] === 0x06) { if (f[21] === 1) this.arpReply(); continue; }
      const o = readOut(f, this.clock.now);
      if (!o) continue;
      if (process.env.PD_DEBUG) console.log(`  [t=${this.clock.now - this.t0}] stack sent ${fmt(o)}`);
      if (o.opts.has('TS')) this.lastTsVal = o.opts.get('TS')![0];
      this.pending.push(o);
    }
  }

  private arpWarmUp(): void {
    const f = new Uint8Array(42);
    f.fill(255, 0, 6); f.set(REMOTE_MAC, 6); f[12] = 8; f[13] = 6;
    f.set([0, 1, 8, 0, 6, 4, 0, 1], 14); f.set(REMOTE_MAC, 22); f.set([192, 0, 2, 1], 28); f.set([192, 0, 2, 2], 38);
    this.stack.input(f);
    this.stack.outbox.length = 0;
  }

  private arpReply(): void {
    const f = new Uint8Array(42);
    f.set(LOCAL_MAC, 0); f.set(REMOTE_MAC, 6); f[12] = 8; f[13] = 6;
    f.set([0, 1, 8, 0, 6, 4, 0, 2], 14); f.set(REMOTE_MAC, 22); f.set([192, 0, 2, 1], 28);
    f.set(LOCAL_MAC, 32); f.set([192, 0, 2, 2], 38);
    this.stack.input(f);
  }

  // ---- API calls: name args [= expected] ----

  private call(text: string): void {
    const [lhs, rhs] = text.split('=').map((s) => s.trim());
    const [op, ...args] = lhs.split(/\s+/);
    const r = this.invoke(op, args, rhs);
    if (rhs === undefined || r === undefined) return;
    const want = rhs in ERRORS ? ERRORS[rhs as keyof typeof ERRORS] : /^-?\d+$/.test(rhs) ? Number(rhs) : null;
    if (want === null) { this.handles.set(rhs, r); if (r <= 0) this.fail(`${op} returned ${errText(r)}, expected a handle`); return; }
    if (r !== want) this.fail(`${op} returned ${errText(r)}, expected ${rhs}`);
  }

  /**
   * Real packetdrill system-call lines: `socket(..., SOCK_STREAM, IPPROTO_TCP) = 3`, `bind(3, ..., ...) = 0`
   * (local port 8080, packetdrill's default), `listen(3, 1) = 0`, `accept(3, ..., ...) = 4`,
   * `connect(3, ..., ...) = -1 EINPROGRESS (...)`, `write(4, ..., 1000) = 1000`, `read(4, ..., 1000) = 1000`,
   * `shutdown(4, SHUT_WR) = 0`, `close(4) = 0`, `setsockopt(3, SOL_SOCKET|IPPROTO_TCP, NAME, [V], 4) = 0`.
   * Anything else fails with "unsupported packetdrill line".
   */
  private syscall(body: string): void {
    const m = /^(\w+)\((.*)\)\s*=\s*(-?\d+)(?:\s+(E[A-Z]+))?/.exec(body);
    if (!m) this.fail(`unsupported packetdrill line (cannot parse the call)`);
    const [, fn, argText, retText, errno] = m;
    const a = argText.split(',').map((x) => x.trim());
    const fd = `fd${a[0]}`, want = errno ?? retText;
    const ret = (v: string) => (v === '-1' ? undefined : v);
    switch (fn) {
      case 'socket':
        if (!argText.includes('SOCK_STREAM')) this.fail('unsupported packetdrill line (only SOCK_STREAM sockets)');
        this.invoke('socket', [`fd${retText}`], undefined); return;
      case 'bind': this.call(`bind ${fd} 8080 = ${want}`); return;
      case 'listen': this.call(`listen ${fd} ${a[1]} = ${want}`); return;
      case 'accept': this.call(ret(retText) ? `accept ${fd} fd${retText}` : `accept ${fd} = ${want}`); return;
      case 'connect': this.call(`connect ${fd} = ${want}`); return;
      case 'write': case 'send': this.call(`send ${fd} ${a[2]} = ${want}`); return;
      case 'read': case 'recv': this.call(`recv ${fd} ${a[2]} = ${want}`); return;
      case 'shutdown': this.call(`shutdown ${fd} ${a[1].replace('SHUT_', '')} = ${want}`); return;
      case 'close': this.call(`close ${fd} = ${want}`); return;
      case 'setsockopt': {
        const v = /\[(\d+)\]/.exec(argText)?.[1] ?? /l_linger=(\d+)/.exec(argText)?.[1];
        if (v === undefined || !(a[2] in SOCKOPTS)) this.fail(`unsupported packetdrill line (option ${a[2]})`);
        this.call(`setsockopt ${fd} ${a[2]} ${v} = ${want}`); return;
      }
      default: this.fail(`unsupported packetdrill line (${fn} is not supported by this runner)`);
    }
  }

  private h(name: string): number {
    const v = this.handles.get(name);
    if (v === undefined) this.fail(`unknown handle ${name}`);
    return v;
  }

  private invoke(op: string, a: string[], rhs: string | undefined): number | undefined {
    const st = this.stack;
    switch (op) {
      case 'socket': { const v = st.socket(); this.handles.set(a[0], v); return v; }
      case 'bind': this.localPort = Number(a[1]); return st.bind(this.h(a[0]), 0, Number(a[1]));
      case 'listen': return st.listen(this.h(a[0]), Number(a[1] ?? 4));
      case 'accept': { const v = st.accept(this.h(a[0])); if (a[1] && v > 0) this.handles.set(a[1], v); return rhs === undefined && v < 0 ? this.fail(`accept: ${errText(v)}`) : v; }
      case 'connect': {
        const v = st.connect(this.h(a[0]), REMOTE_IP, REMOTE_PORT);
        const peer = st.peer(this.h(a[0]));
        if (typeof peer !== 'number') this.localPort = peer.localPort;
        return v;
      }
      case 'send': return st.send(this.h(a[0]), new Uint8Array(Number(a[1])).fill(0x62));
      case 'recv': { const r = st.recv(this.h(a[0]), Number(a[1] ?? 65536)); return typeof r === 'number' ? r : r.length; }
      case 'shutdown': return st.shutdown(this.h(a[0]), a[1] === 'RD' ? 0 : a[1] === 'RDWR' ? 2 : 1);
      case 'close': return st.close(this.h(a[0]));
      case 'abort': return st.abort(this.h(a[0]));
      case 'setsockopt': return st.setsockopt(this.h(a[0]), a[1] as SockoptName, Number(a[2]));
      case 'getsockopt': return st.getsockopt(this.h(a[0]), a[1] as SockoptName);
      case 'sysctl': { const [k, v] = a[0].split(':'); const r = st.setSysctl(k as SysctlName, Number(v)); if (r !== 0) this.fail(`sysctl ${k}: ${errText(r)}`); return undefined; }
      case 'state': {
        const s = st.state(this.h(a[0]));
        if (STATE_NAMES[s] !== a[1]) this.fail(`state: expected ${a[1]}, got ${STATE_NAMES[s] ?? errText(s)}`);
        return undefined;
      }
      case 'netstat': {
        const n = st.netstatCounts()[a[0]];
        if (n !== Number(a[1])) this.fail(`netstat ${a[0]}: expected ${a[1]}, got ${n}`);
        return undefined;
      }
      case 'stat': {
        const name = a[0] as StatName, want = Number(a[1]);
        const delta = st.stat(name) - (this.statBase[name] ?? 0);
        if (delta !== want) this.fail(`stat ${name}: expected +${want} since the start, got +${delta}`);
        return undefined;
      }
      case 'event': {
        const got = st.pollEvents().filter((e) => e.handle === this.h(a[0])).reduce((m, e) => m | e.events, 0);
        for (const n of a.slice(1)) if (!(got & EVENTS[n as keyof typeof EVENTS])) this.fail(`event ${n} not raised (got ${got})`);
        return undefined;
      }
      case 'soerror': {
        const v = st.getsockopt(this.h(a[0]), 'SO_ERROR');
        const want = -ERRORS[a[1] as keyof typeof ERRORS];
        if (v !== want) this.fail(`SO_ERROR: expected ${a[1]}, got ${v}`);
        return undefined;
      }
      default: return this.fail(`unknown command ${op}`);
    }
  }
}

function secs(s: string): number {
  const v = Number(s);
  if (!Number.isFinite(v)) throw new ScriptError(`bad time ${s}`);
  return Math.round(v * 1000);
}

function errText(v: number): string {
  const e = Object.entries(ERRORS).find(([, c]) => c === v);
  return e ? e[0] : String(v);
}

type Seg = { flags: number; seq: number; len: number; ack?: number; win?: number; port?: number;
  opts: Map<string, number[]>; noOpts: boolean };

/** "S. 0:0(0) ack 1 win 8192 <mss 1460,sackOK,TS val 5 ecr 0,nop,wscale 7>" */
function parseSeg(spec: string, fail: (m: string) => never): Seg {
  const m = /^([SFRP.]+)\s+(\d+):(\d+)\((\d+)\)(.*)$/.exec(spec);
  if (!m) fail(`cannot parse segment "${spec}"`);
  let flags = 0;
  for (const c of m[1]) flags |= FLAG[c as keyof typeof FLAG];
  const seg: Seg = { flags, seq: Number(m[2]), len: Number(m[4]), opts: new Map(), noOpts: false };
  if (Number(m[3]) - Number(m[2]) !== seg.len) fail(`seq range and length disagree in "${spec}"`);
  let rest = m[5];
  const o = /<([^>]*)>/.exec(rest);
  if (o) { rest = rest.replace(o[0], ''); parseOptions(o[1], seg, fail); }
  const ack = /ack (\d+)/.exec(rest); if (ack) seg.ack = Number(ack[1]);
  const win = /win (\d+)/.exec(rest); if (win) seg.win = Number(win[1]);
  return seg;
}

function parseOptions(text: string, seg: Seg, fail: (m: string) => never): void {
  if (text.trim() === '') { seg.noOpts = true; return; }
  for (const item of text.split(',').map((s) => s.trim())) {
    const w = item.split(/\s+/);
    if (w[0] === 'mss') seg.opts.set('mss', [Number(w[1])]);
    else if (w[0] === 'wscale' || w[0] === 'wS') seg.opts.set('wscale', [Number(w[1])]);
    else if (w[0] === 'sackOK') seg.opts.set('sackOK', []);
    else if (w[0] === 'TS') seg.opts.set('TS', [Number(w[2]), w[4] === '*' ? NaN : Number(w[4])]);
    else if (w[0] === 'sack') seg.opts.set('sack', w.slice(1).flatMap((b) => b.split(':').map(Number)));
    else if (w[0] === 'nop' || w[0] === '...' || w[0] === 'eol') { /* layout only */ }
    else fail(`unknown option ${item}`);
  }
}

function u32(v: number): number[] { v >>>= 0; return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]; }

/** Inbound options in a fixed layout; SACK blocks are relative to the stack's ISN, "ecr *" echoes its last TSval. */
function encodeOptions(opts: Map<string, number[]>, stackIsn: number, lastTsVal: number): number[] {
  const out: number[] = [];
  if (opts.has('mss')) { const m = opts.get('mss')![0]; out.push(2, 4, m >> 8, m & 255); }
  if (opts.has('sackOK')) out.push(1, 1, 4, 2);
  if (opts.has('wscale')) out.push(1, 3, 3, opts.get('wscale')![0]);
  if (opts.has('TS')) { const [val, ecr] = opts.get('TS')!; out.push(1, 1, 8, 10, ...u32(val), ...u32(Number.isNaN(ecr) ? lastTsVal : ecr)); }
  if (opts.has('sack')) {
    const b = opts.get('sack')!;
    out.push(1, 1, 5, 2 + 4 * b.length);
    for (const v of b) out.push(...u32(stackIsn + v));
  }
  return out;
}

function readOut(f: Uint8Array, at: number): Out | null {
  if (f.length < 54 || f[12] !== 8 || f[13] !== 0 || f[23] !== 6) return null;
  const d = new DataView(f.buffer, f.byteOffset, f.byteLength);
  const ihl = (f[14] & 15) * 4, t = 14 + ihl, off = (f[t + 12] >> 4) * 4;
  const opts = new Map<string, number[]>();
  for (let p = t + 20; p < t + off;) {
    const k = f[p];
    if (k === 0) break;
    if (k === 1) { p++; continue; }
    const l = f[p + 1];
    if (k === 2) opts.set('mss', [d.getUint16(p + 2)]);
    if (k === 3) opts.set('wscale', [f[p + 2]]);
    if (k === 4) opts.set('sackOK', []);
    if (k === 8) opts.set('TS', [d.getUint32(p + 2), d.getUint32(p + 6)]);
    if (k === 5) opts.set('sack', []);
    p += Math.max(2, l);
  }
  return { seq: d.getUint32(t + 4), ack: d.getUint32(t + 8), flags: f[t + 13] & 0x1f, win: d.getUint16(t + 14),
    len: d.getUint16(16) - ihl - off, opts, at };
}

function fmt(o: Out): string {
  const f = (['F', 'S', 'R', 'P', '.'] as const).filter((_, i) => o.flags & (1 << i)).join('');
  return `${f} seq ${o.seq} ack ${o.ack} win ${o.win} len ${o.len} <${[...o.opts.keys()].join(',')}>`;
}

/** Runs one script file's text; throws ScriptError with file:line on the first mismatch. */
export function runScript(file: string, text: string): Runner {
  const r = new Runner(file);
  r.run(text);
  return r;
}

export { SOCKOPTS };
