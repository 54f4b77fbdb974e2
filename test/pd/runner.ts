// A packetdrill-style script runner (test/pd/README.md has the format): one stack under test at
// 192.0.2.2, the script plays the remote host 192.0.2.1 segment by segment, with a virtual clock
// that runs the stack's 250/500 ms timers as script time advances. Every line is checked, the
// stack's invariants are checked after every line, and a segment the stack sends that the script
// did not expect fails the run with the file and line.
import { Clock } from '../../host/clock.ts';
import { Stack, serverBuild, type Build, type Event } from '../../host/stack.ts';
import { ERRORS, EVENTS, SOCKOPTS, STATE_NAMES, type SockoptName, type StatName, type SysctlName } from '../../host/abi.ts';
import { tcpFrame } from '../helpers/frames.ts';

const LOCAL_IP = '192.0.2.2', REMOTE_IP = '192.0.2.1';
const LOCAL_MAC = [2, 0, 0, 0, 0, 2], REMOTE_MAC = [2, 0, 0, 0, 0, 1];
export const REMOTE_PORT = 40000;
const REMOTE_ISN = 1_000_000;
// packetdrill's flag letters: FIN SYN RST PSH ACK URG, E = ECE, W = CWR (RFC 3168 §6.1); '-' is none.
const FLAG = { F: 1, S: 2, R: 4, P: 8, '.': 16, U: 32, E: 64, W: 128 } as const;
/** The largest frame the stack's rx buffer takes (host/stack.ts input()). */
const RX_FRAME_MAX = 1536;
/** A blocking call must return within this many ms of the end of its `start...end` window. */
const BLOCK_TOLERANCE_MS = 25;
/** Outbound TS val, mapped to script space as packetdrill does, may differ by this many 1 ms ticks (packetdrill: 4 ms tolerance). */
const TS_TOLERANCE = 4;
/** errno spellings the stack reports under another name (Linux: EWOULDBLOCK == EAGAIN, ENOTSUP == EOPNOTSUPP). */
const ERRNO_ALIAS: Record<string, keyof typeof ERRORS> = { EWOULDBLOCK: 'EAGAIN', ENOTSUP: 'EOPNOTSUPP' };

export class ScriptError extends Error {}

type Out = { seq: number; ack: number; flags: number; win: number; urg: number; len: number; opts: Map<string, number[]>; at: number };

/** A blocking call (`+0...0.1 read(...)`): retried after every segment and tick until it returns. */
type Pending = { what: string; where: string; start: number; end: number; attempt: () => number | undefined; check: (r: number) => void };

export class Runner {
  readonly clock = new Clock(1000);
  readonly stack: Stack;
  private readonly handles = new Map<string, number>();
  private localPort = 0;
  private stackIsn: number | null = null;
  private lastTsVal = 0;
  private lastInTsVal = 0;
  /** packetdrill's TS mapping: the first outbound TS val in script and live space, and each script val seen. */
  private tsBase: { script: number; live: number } | null = null;
  private readonly tsMap = new Map<number, number>();
  private lastConn: string | null = null;
  /** The MSS option of the stack's last SYN (RFC 9293 §3.7.1: 536 without one). */
  private stackMss = 536;
  private blocking: Pending | null = null;
  private readonly pending: Out[] = [];
  /** Events drained after each input or call (collect()), read by the `event` directive. */
  private readonly events: Event[] = [];
  private statBase: Record<string, number> = {};
  private t0 = this.clock.now;
  private where = '';
  private wake = Infinity;

  /**
   * `packetdrill` (test/pd/packetdrill/): options compared as packetdrill does, the exact list of
   * kinds, and no list means none. `compact` (this runner's own scripts): each option listed must be
   * there with its value, others are not looked at (a list `<>` still means none).
   */
  readonly dialect: 'packetdrill' | 'compact';

  constructor(private readonly file: string, dialect?: 'packetdrill' | 'compact', build?: Build) {
    this.dialect = dialect ?? (/(^|\/)packetdrill\//.test(file) ? 'packetdrill' : 'compact');
    this.stack = new Stack({ name: 'pd', mac: '02:00:00:00:00:02', ip: LOCAL_IP, clock: this.clock, seed: 7, build });
    this.arpWarmUp();
    this.statBase = { ...this.stack.stats() };
  }

  run(text: string): void {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i].replace(/(#|\/\/).*/, '').trim();
      const first = i;
      if (line.includes('%{') && !line.includes('}%')) {          // a code block spans lines up to }%
        while (++i < lines.length && !lines[i].includes('}%')) line += '\n' + lines[i];
        if (i >= lines.length) { this.where = `${this.file}:${first + 1}: ${line.split('\n')[0]}`; this.fail('%{ without }%'); }
        line += '\n' + lines[i];
      }
      if (!line) continue;
      this.where = `${this.file}:${first + 1}: ${line.split('\n')[0]}`;
      this.step(line);
      this.retryBlocking();
      const inv = this.stack.checkInvariants();
      if (inv !== 0) this.fail(`check_invariants() = ${inv}`);
    }
    if (this.blocking) { this.where = this.blocking.where; this.fail(`${this.blocking.what} still blocked at the end of the script`); }
    this.collect();
    if (this.pending.length) this.fail(`unexpected segment(s) at the end: ${this.pending.map(fmt).join(' | ')}`);
  }

  private fail(msg: string): never {
    throw new ScriptError(`${this.where}\n  ${msg}`);
  }

  // ---- a line: [time] command ----

  private step(line: string): void {
    const m = /^(\+?(?:\d+(?:\.\d*)?|\.\d+))(?:\.\.\.(\d+(?:\.\d*)?|\.\d+))?\s+([\s\S]*)$/.exec(line);
    const body = m ? m[3] : line;
    let end: number | null = null;
    if (m) {
      const rel = m[1].startsWith('+'), base = rel ? this.clock.now : this.t0;
      const start = base + secs(rel ? m[1].slice(1) : m[1], this.fail.bind(this));
      if (m[2] !== undefined) end = base + secs(m[2], this.fail.bind(this));   // packetdrill: both relative to the same base
      if (end !== null && end < start) this.fail(`the window ends before it starts`);
      this.advanceTo(start);
    }
    if (body.startsWith('%{')) { this.codeBlock(body); return; }
    if (end !== null) {
      if (!/^\w+\(.*\)\s*=/.test(body)) this.fail('a start...end time is only supported on a blocking system call');
      this.blockingCall(body, end);
      return;
    }
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
      const b = this.blocking;
      if (b && next > b.end + BLOCK_TOLERANCE_MS) {
        this.clock.advanceTo(Math.max(this.clock.now, b.end + BLOCK_TOLERANCE_MS));
        this.where = b.where;
        this.fail(`${b.what} still blocked at t=${this.clock.now - this.t0} ms, after its window ended at ${b.end - this.t0} ms`);
      }
      this.clock.advanceTo(next);
      const r = this.stack.runTimers();
      this.wake = r > 0 ? this.clock.now + r : Infinity;
      this.collect();
      this.retryBlocking();
    }
  }

  // ---- inbound segments ----

  private inbound(spec: string): void {
    const s = parseSeg(spec, this.fail.bind(this));
    if (s.anyOpts) this.fail('<...> (options not checked) only makes sense on an expected segment');
    const isn = this.stackIsn ?? 0;
    const options = encodeOptions(s.opts, isn, this.inboundEcr(s));
    if (s.opts.has('TS')) this.lastInTsVal = s.opts.get('TS')![0];
    const payload = new Uint8Array(s.len).fill(0x61);
    // A segment larger than one frame or the MSS the stack announced (packetdrill scripts inject
    // GRO-sized ones) arrives as the consecutive segments a link would carry: SYN on the first, FIN
    // and PSH on the last.
    const room = Math.min(RX_FRAME_MAX - 14 - 20 - 20 - options.length, this.stackMss);
    let seq = s.seq, off = 0;
    do {
      const n = Math.min(room, s.len - off), last = off + n === s.len;
      let flags = s.flags;
      if (off > 0) flags &= ~FLAG.S;
      if (!last) flags &= ~(FLAG.F | FLAG.P);
      this.stack.input(tcpFrame({
        srcMac: REMOTE_MAC, dstMac: LOCAL_MAC, srcIp: REMOTE_IP, dstIp: LOCAL_IP,
        sport: REMOTE_PORT, dport: this.localPort || s.port || 0, seq: (REMOTE_ISN + seq) >>> 0,
        ack: s.ack === undefined ? 0 : (isn + s.ack) >>> 0, flags, win: s.win ?? 65535, options, urg: s.urg,
        payload: payload.subarray(off, off + n),
      }));
      this.collect();
      seq += n + (off === 0 && flags & FLAG.S ? 1 : 0);
      off += n;
    } while (off < s.len);
  }

  /**
   * The TS ecr to send (packetdrill's mapping, run_packet.c): `ecr *` echoes the stack's last TS
   * val; on an ACK a script value maps to the live TS val the stack sent for it, else through the
   * first outbound TS val; without either the script cannot be run as written.
   */
  private inboundEcr(s: Seg): number {
    const ts = s.opts.get('TS');
    if (!ts) return 0;
    const ecr = ts[1];
    if (Number.isNaN(ecr)) return this.lastTsVal;
    if (!(s.flags & FLAG['.'])) return ecr;
    const exact = this.tsMap.get(ecr);
    if (exact !== undefined) return exact;
    if (!this.tsBase) this.fail(`cannot map TS ecr ${ecr}: the stack has sent no TS val yet`);
    return (ecr - this.tsBase.script + this.tsBase.live) >>> 0;
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
    // Every other flag is (URG, ECE, CWR included).
    if ((got.flags & ~FLAG.P) !== (want.flags & ~FLAG.P)) this.fail(`flags: expected ${spec}, got ${fmt(got)}`);
    if (want.flags & FLAG.S && this.stackIsn === null) this.stackIsn = got.seq;
    const isn = this.stackIsn ?? 0;          // no SYN from the stack yet: numbers are absolute
    const rel = (got.seq - isn) >>> 0;
    if (rel !== want.seq || got.len !== want.len) this.fail(`seq: expected ${spec}, got ${fmt(got)}`);
    if (want.flags & FLAG['.'] && want.ack === undefined) this.fail(`an expected ACK segment needs its "ack N" (got ${fmt(got)})`);
    if (want.ack !== undefined && ((got.ack - REMOTE_ISN) >>> 0) !== want.ack) this.fail(`ack: expected ${want.ack}, got ${(got.ack - REMOTE_ISN) >>> 0}: ${fmt(got)}`);
    if (want.win !== undefined && got.win !== want.win) this.fail(`win: expected ${want.win}, got ${got.win}: ${fmt(got)}`);
    if (want.urg !== undefined && got.urg !== want.urg) this.fail(`urg: expected ${want.urg}, got ${got.urg}: ${fmt(got)}`);
    this.compareOptions(spec, want, got);
  }

  /**
   * Options as packetdrill compares them: the listed kinds exactly (no more, no fewer; NOP/EOL are
   * layout), each value (mss, wscale, SACK blocks relative to the remote's ISN, TS ecr exactly, TS
   * val mapped through the first outbound TS val). No list means no options; `<...>` means any,
   * not checked; `...` inside a list allows kinds not listed.
   */
  private compareOptions(spec: string, want: Seg, got: Out): void {
    if (want.anyOpts) return;
    const kinds = [...got.opts.keys()].sort().join(','), wanted = [...want.opts.keys()].sort().join(',');
    const exact = want.noOpts || (this.dialect === 'packetdrill' && !want.moreOpts);
    if (exact && kinds !== wanted) this.fail(`options: expected <${wanted}>, got <${kinds}>: ${fmt(got)} (for ${spec})`);
    for (const [k, v] of want.opts) {
      const g = got.opts.get(k);
      if (!g) this.fail(`option ${k} missing: got ${fmt(got)}`);
      if (k === 'TS') { this.compareTs(v, g); continue; }
      if (k === 'sack') {
        const rel = g.map((x) => (x - REMOTE_ISN) >>> 0);
        if (rel.join() !== v.join()) this.fail(`option sack: expected ${v.join(' ')}, got ${rel.join(' ')}`);
        continue;
      }
      if (v.join() !== g.join()) this.fail(`option ${k}: expected ${v.join(' ')}, got ${g.join(' ')}`);
    }
  }

  private compareTs([val, ecr]: number[], [liveVal, liveEcr]: number[]): void {
    if (!this.tsBase) this.tsBase = { script: val, live: liveVal };
    this.tsMap.set(val, liveVal);
    const mapped = (this.tsBase.script + ((liveVal - this.tsBase.live) | 0)) >>> 0;
    if (Math.abs((mapped - val) | 0) > TS_TOLERANCE) this.fail(`TS val: expected ${val}, got ${mapped} in script space (live ${liveVal}, first live ${this.tsBase.live} = script ${this.tsBase.script})`);
    const wantEcr = Number.isNaN(ecr) ? this.lastInTsVal : ecr;
    if (liveEcr !== wantEcr) this.fail(`TS ecr: expected ${wantEcr}, got ${liveEcr}`);
  }

  /** Moves what the stack sent into `pending` (answering its ARP requests). */
  private collect(): void {
    // A board's loop drains the events after every input; an ACK held for the application
    // (netif_input returned 1) goes out once ev_poll() finds no more.
    this.events.push(...this.stack.pollEvents());
    while (this.stack.outbox.length) {
      const f = this.stack.outbox.shift()!;
      if (f[12] === 0x08 && f[13] === 0x06) { if (f[21] === 1) this.arpReply(); continue; }
      const o = readOut(f, this.clock.now);
      if (!o) continue;
      if (process.env.PD_DEBUG) console.log(`  [t=${this.clock.now - this.t0}] stack sent ${fmt(o)}`);
      if (o.opts.has('TS')) this.lastTsVal = o.opts.get('TS')![0];
      if (o.flags & FLAG.S) this.stackMss = o.opts.get('mss')?.[0] ?? 536;
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
    const want = this.expected(rhs);
    if (want === null) { this.handles.set(rhs, r); if (r <= 0) this.fail(`${op} returned ${errText(r)}, expected a handle`); return; }
    if (r !== want) this.fail(`${op} returned ${errText(r)}, expected ${rhs}`);
  }

  /** An expected result: a number, an errno name (aliases included), or null for a handle name. */
  private expected(rhs: string): number | null {
    if (/^-?\d+$/.test(rhs)) return Number(rhs);
    const name = ERRNO_ALIAS[rhs] ?? rhs;
    if (name in ERRORS) return ERRORS[name as keyof typeof ERRORS];
    if (/^E[A-Z0-9]+$/.test(rhs)) this.fail(`errno ${rhs} is not one this stack returns (host/abi.ts ERRORS)`);
    return null;
  }

  /**
   * Real packetdrill system-call lines: `socket(..., SOCK_STREAM, IPPROTO_TCP) = 3`, `bind(3, ..., ...) = 0`
   * (local port 8080, packetdrill's default), `listen(3, 1) = 0`, `accept(3, ..., ...) = 4`,
   * `connect(3, ..., ...) = -1 EINPROGRESS (...)`, `write(4, ..., 1000) = 1000`, `read(4, ..., 1000) = 1000`,
   * `shutdown(4, SHUT_WR) = 0`, `close(4) = 0`, `setsockopt(3, SOL_SOCKET|IPPROTO_TCP, NAME, [V], 4) = 0`,
   * `getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0`; errno results `= -1 EAGAIN (...)`
   * (EWOULDBLOCK too). Anything else fails with "unsupported packetdrill line".
   */
  private syscall(body: string): void {
    const c = this.parseSyscall(body);
    if (c.fn === 'getsockopt') { this.getsockoptCall(c); return; }
    const r = this.syscallResult(c);
    if (r !== undefined) this.checkSyscall(c, r);
  }

  private parseSyscall(body: string): Syscall {
    const m = /^(\w+)\((.*)\)\s*=\s*(-?\d+)(?:\s+(E[A-Z0-9]+)(?:\s*\(.*\))?)?\s*$/.exec(body);
    if (!m) this.fail(`unsupported packetdrill line (cannot parse the call)`);
    const [, fn, argText, retText, errno] = m;
    if (retText === '-1' && !errno) this.fail('-1 needs its errno (e.g. = -1 EAGAIN (Resource temporarily unavailable))');
    if (errno && retText !== '-1') this.fail(`an errno goes with -1, not ${retText}`);
    const a = argText.split(',').map((x) => x.trim());
    return { fn, argText, a, fd: `fd${a[0]}`, ret: Number(retText), errno: errno ? ERRNO_ALIAS[errno] ?? errno : undefined };
  }

  /** Runs the call once: its raw result, or undefined for calls checked inside (socket). */
  private syscallResult(c: Syscall): number | undefined {
    const st = this.stack, a = c.a;
    switch (c.fn) {
      case 'socket':
        if (!c.argText.includes('SOCK_STREAM')) this.fail('unsupported packetdrill line (only SOCK_STREAM sockets)');
        this.invoke('socket', [`fd${c.ret}`], undefined); return undefined;
      case 'bind': return this.invoke('bind', [c.fd, '8080'], undefined);
      case 'listen': return this.invoke('listen', [c.fd, a[1]], undefined);
      case 'accept': {
        const v = st.accept(this.h(c.fd));
        if (v > 0) { this.handles.set(`fd${c.ret}`, v); this.lastConn = `fd${c.ret}`; }
        return v > 0 ? c.ret : v;
      }
      case 'connect': this.lastConn = c.fd; return this.invoke('connect', [c.fd], undefined);
      case 'write': case 'send': this.noFlags(c, 3); this.lastConn = c.fd; return this.invoke('send', [c.fd, a[2]], undefined);
      case 'read': case 'recv': this.noFlags(c, 3); this.lastConn = c.fd; return this.invoke('recv', [c.fd, a[2]], undefined);
      case 'shutdown': return this.invoke('shutdown', [c.fd, a[1].replace('SHUT_', '')], undefined);
      case 'close': return this.invoke('close', [c.fd], undefined);
      case 'setsockopt': {
        const v = /\[(\d+)\]/.exec(c.argText)?.[1] ?? /l_linger=(\d+)/.exec(c.argText)?.[1];
        if (v === undefined || !(a[2] in SOCKOPTS)) this.fail(`unsupported packetdrill line (option ${a[2]})`);
        return this.invoke('setsockopt', [c.fd, a[2], v], undefined);
      }
      default: return this.fail(`unsupported packetdrill line (${c.fn} is not supported by this runner)`);
    }
  }

  private noFlags(c: Syscall, i: number): void {
    if (c.a[i] !== undefined && c.a[i] !== '0') this.fail(`unsupported packetdrill line (${c.fn} flags ${c.a[i]})`);
  }

  private checkSyscall(c: Syscall, r: number): void {
    const want = c.errno ? ERRORS[c.errno as keyof typeof ERRORS] : c.ret;
    if (c.errno && !(c.errno in ERRORS)) this.fail(`errno ${c.errno} is not one this stack returns (host/abi.ts ERRORS)`);
    if (r !== want) this.fail(`${c.fn} returned ${r < 0 ? `-1 ${errText(r)}` : r}, expected ${c.errno ? `-1 ${c.errno}` : c.ret}`);
  }

  /** `getsockopt(fd, LEVEL, NAME, [V], [4]) = 0`: the option's value is compared (an errno name for SO_ERROR). */
  private getsockoptCall(c: Syscall): void {
    const name = c.a[2], v = /\[([A-Z0-9_-]+)\]/.exec(c.a[3] ?? '')?.[1];
    if (!(name in SOCKOPTS) || v === undefined) this.fail(`unsupported packetdrill line (getsockopt ${name} ${c.a[3] ?? ''})`);
    const got = this.stack.getsockopt(this.h(c.fd), name as SockoptName);
    if (got < 0) { this.checkSyscall(c, got); return; }
    this.checkSyscall(c, 0);
    const errno = ERRNO_ALIAS[v] ?? v;
    const want = /^-?\d+$/.test(v) ? Number(v) : errno in ERRORS ? -ERRORS[errno as keyof typeof ERRORS] : this.fail(`getsockopt: ${v} is not a number or an errno this stack returns`);
    if (got !== want) this.fail(`getsockopt ${name}: expected ${v}, got ${got}${name === 'SO_ERROR' && got ? ` (${errText(-got)})` : ''}`);
  }

  /**
   * `+0...0.1 read(4, ..., 1000) = 1000`: the call starts now and must return (packetdrill runs it in
   * a thread) within BLOCK_TOLERANCE_MS of the window's end; later lines run meanwhile. A blocked
   * read/accept sees EAGAIN, a blocked write keeps writing, a blocked connect waits for the handshake.
   */
  private blockingCall(body: string, end: number): void {
    if (this.blocking) this.fail(`a blocking call is already waiting (${this.blocking.what})`);
    const c = this.parseSyscall(body);
    if (!['read', 'recv', 'write', 'send', 'accept', 'connect'].includes(c.fn)) this.fail(`unsupported packetdrill line (blocking ${c.fn})`);
    let attempt: () => number | undefined;
    if (c.fn === 'read' || c.fn === 'recv' || c.fn === 'accept') {
      attempt = () => { const r = this.syscallResult(c)!; return r === ERRORS.EAGAIN ? undefined : r; };
    } else if (c.fn === 'write' || c.fn === 'send') {
      this.noFlags(c, 3);
      let left = Number(c.a[2]), total = 0;
      attempt = () => {
        const r = this.stack.send(this.h(c.fd), new Uint8Array(left).fill(0x62));
        if (r === ERRORS.EAGAIN) return undefined;
        if (r < 0) return total > 0 ? total : r;
        total += r; left -= r;
        return left === 0 ? total : undefined;
      };
      this.lastConn = c.fd;
    } else {
      let started = false;
      attempt = () => {
        if (!started) { started = true; const r = this.syscallResult(c)!; if (r !== ERRORS.EINPROGRESS) return r; }
        const s = STATE_NAMES[this.stack.state(this.h(c.fd))];
        if (s === 'ESTABLISHED' || s === 'CLOSE_WAIT') return 0;
        if (s === 'CLOSED') { const e = this.stack.getsockopt(this.h(c.fd), 'SO_ERROR'); return e > 0 ? -e : ERRORS.ECONNREFUSED; }
        return undefined;
      };
    }
    this.blocking = { what: `${c.fn}(${c.argText})`, where: this.where, start: this.clock.now, end, attempt, check: (r) => this.checkSyscall(c, r) };
  }

  private retryBlocking(): void {
    const b = this.blocking;
    if (!b) return;
    const r = b.attempt();
    if (r === undefined) return;
    this.blocking = null;
    const at = this.clock.now, here = this.where;
    this.where = b.where;
    if (Math.abs(at - b.end) > BLOCK_TOLERANCE_MS) {
      this.fail(`${b.what} returned at t=${at - this.t0} ms, its window ends at t=${b.end - this.t0} ms (±${BLOCK_TOLERANCE_MS} ms)`);
    }
    b.check(r);
    this.where = here;
  }

  /**
   * packetdrill's `%{ ... }%` Python block, for what scripts use it for: `assert EXPR[, message]`
   * lines over `tcpi_*` names, read from this stack's tcp_info of the last connection a system call
   * used (Linux units: µs for RTT/RTO, segments for cwnd/ssthresh/unacked). Anything else, or a
   * tcpi_ field tcp_info has no equivalent for, fails the line.
   */
  private codeBlock(body: string): void {
    const m = /^%\{([\s\S]*)\}%\s*$/.exec(body);
    if (!m) this.fail('cannot parse the %{ }% block');
    if (!this.lastConn) this.fail('%{ }%: no connection yet (tcp_info is read from the last socket a system call used)');
    const info = this.stack.info(this.h(this.lastConn));
    if (typeof info === 'number') this.fail(`tcp_info: ${errText(info)}`);
    const vars = tcpiVars(info);
    for (const stmt of m[1].split(/\n|;/).map((x) => x.trim()).filter(Boolean)) {
      const a = /^assert\s+(.+?)(?:\s*,\s*(.+))?$/.exec(stmt);
      if (!a) this.fail(`%{ }%: only "assert EXPR[, message]" is supported, got "${stmt}"`);
      const ok = evalExpr(a[1], vars, this.fail.bind(this));
      if (!ok) {
        const shown = [...new Set(a[1].match(/\btcpi_\w+/g) ?? [])].map((n) => `${n}=${vars[n]}`).join(' ');
        this.fail(`assert ${a[1]} failed (${shown})${a[2] ? `: ${a[2]}` : ''}`);
      }
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
      case 'accept': { const v = st.accept(this.h(a[0])); if (a[1] && v > 0) { this.handles.set(a[1], v); this.lastConn = a[1]; } return rhs === undefined && v < 0 ? this.fail(`accept: ${errText(v)}`) : v; }
      case 'connect': {
        this.lastConn = a[0];
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
        this.collect();
        const got = this.events.splice(0).filter((e) => e.handle === this.h(a[0])).reduce((m, e) => m | e.events, 0);
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

function secs(s: string, fail: (m: string) => never): number {
  const v = Number(s);
  if (!Number.isFinite(v)) fail(`bad time ${s}`);
  return Math.round(v * 1000);
}

function errText(v: number): string {
  const e = Object.entries(ERRORS).find(([, c]) => c === v);
  return e ? e[0] : String(v);
}

type Syscall = { fn: string; argText: string; a: string[]; fd: string; ret: number; errno?: string };

// Linux's tcp_info (include/uapi/linux/tcp.h) in terms of this stack's record (docs/ABI.md).
const LINUX_STATE: Record<string, number> = {
  ESTABLISHED: 1, SYN_SENT: 2, SYN_RCVD: 3, FIN_WAIT_1: 4, FIN_WAIT_2: 5, TIME_WAIT: 6, CLOSED: 7,
  CLOSE_WAIT: 8, LAST_ACK: 9, LISTEN: 10, CLOSING: 11,
};

function tcpiVars(i: Record<string, number>): Record<string, number> {
  const mss = Math.max(1, i.mss_send);
  const v: Record<string, number> = {
    tcpi_state: LINUX_STATE[STATE_NAMES[i.state]] ?? -1,
    tcpi_rto: i.rto_ms * 1000, tcpi_rtt: i.srtt_ms * 1000, tcpi_rttvar: i.rttvar_ms * 1000,
    tcpi_snd_cwnd: Math.floor(i.cwnd / mss), tcpi_snd_ssthresh: Math.floor(i.ssthresh / mss),
    tcpi_retransmits: i.retransmits, tcpi_total_retrans: i.total_retrans,
    tcpi_unacked: Math.ceil(i.bytes_in_flight / mss), tcpi_snd_mss: i.mss_send,
    tcpi_snd_wnd: i.snd_wnd, tcpi_rcv_wnd: i.rcv_wnd, tcpi_options: i.options,
    tcpi_snd_wscale: i.snd_wscale_rcv_wscale & 255, tcpi_rcv_wscale: (i.snd_wscale_rcv_wscale >> 8) & 255,
    tcpi_notsent_bytes: Math.max(0, i.send_queue - i.bytes_in_flight),
    TCPI_OPT_TIMESTAMPS: 1, TCPI_OPT_SACK: 2, TCPI_OPT_WSCALE: 4,
  };
  for (const [k, n] of Object.entries(LINUX_STATE)) v[`TCP_${k.replace('_RCVD', '_RECV').replace('FIN_WAIT_', 'FIN_WAIT').replace('CLOSED', 'CLOSE')}`] = n;
  return v;
}

/**
 * A small expression language for the asserts (Python's subset they use): integers, names,
 * ( ), unary - and not, * / // %, + -, & |, comparisons (chained as in Python), and, or.
 */
function evalExpr(src: string, vars: Record<string, number>, fail: (m: string) => never): number {
  const toks = src.match(/\s*(\d+|[A-Za-z_]\w*|\/\/|==|!=|<=|>=|[-+*/%()<>&|])/gy)?.map((t) => t.trim()) ?? [];
  if (toks.join('') !== src.replace(/\s+/g, '')) fail(`assert: cannot read "${src}"`);
  let i = 0;
  const peek = () => toks[i], next = () => toks[i++];
  function primary(): number {
    const t = next();
    if (t === undefined) fail(`assert: "${src}" ends early`);
    if (t === '(') { const v = or(); if (next() !== ')') fail(`assert: missing ) in "${src}"`); return v; }
    if (t === '-') return -primary();
    if (t === 'not') return primary() ? 0 : 1;
    if (/^\d+$/.test(t)) return Number(t);
    if (t === 'True') return 1;
    if (t === 'False') return 0;
    if (/^[A-Za-z_]/.test(t)) {
      if (!(t in vars)) fail(`assert: ${t} is not available (${t.startsWith('tcpi_') ? "this stack's tcp_info has no such field" : 'unknown name'})`);
      return vars[t];
    }
    return fail(`assert: unexpected "${t}" in "${src}"`);
  }
  function mul(): number {
    let v = primary();
    for (;;) {
      const op = peek();
      if (op === '*') { next(); v *= primary(); } else if (op === '/' || op === '//') { next(); const d = primary(); if (d === 0) fail('assert: division by zero'); v = Math.floor(v / d); }
      else if (op === '%') { next(); v %= primary(); } else return v;
    }
  }
  function add(): number {
    let v = mul();
    for (;;) { const op = peek(); if (op === '+') { next(); v += mul(); } else if (op === '-') { next(); v -= mul(); } else return v; }
  }
  function bits(): number {
    let v = add();
    for (;;) { const op = peek(); if (op === '&') { next(); v &= add(); } else if (op === '|') { next(); v |= add(); } else return v; }
  }
  function cmp(): number {
    let left = bits(), ok = 1, any = false;
    for (;;) {
      const op = peek();
      if (!['==', '!=', '<', '<=', '>', '>='].includes(op ?? '')) return any ? ok : left;
      next(); any = true;
      const right = bits();
      const r = op === '==' ? left === right : op === '!=' ? left !== right : op === '<' ? left < right : op === '<=' ? left <= right : op === '>' ? left > right : left >= right;
      ok = ok && r ? 1 : 0;
      left = right;
    }
  }
  function and(): number { let v = cmp(); while (peek() === 'and') { next(); const r = cmp(); v = v && r ? 1 : 0; } return v; }
  function or(): number { let v = and(); while (peek() === 'or') { next(); const r = and(); v = v || r ? 1 : 0; } return v; }
  const v = or();
  if (i !== toks.length) fail(`assert: unexpected "${toks[i]}" in "${src}"`);
  return v;
}

type Seg = { flags: number; seq: number; len: number; ack?: number; win?: number; urg?: number; port?: number;
  opts: Map<string, number[]>; noOpts: boolean; anyOpts: boolean; moreOpts: boolean };

/**
 * "S. 0:0(0) ack 1 win 8192 <mss 1460,sackOK,TS val 5 ecr 0,nop,wscale 7>": flags (F S R P . U E W,
 * or - for none), seq:end(len), then any of `ack N`, `win N`, `urg N` with any spacing, then the
 * option list. A word the runner does not know fails the line: no field is ever skipped.
 */
function parseSeg(spec: string, fail: (m: string) => never): Seg {
  const m = /^([FSRP.UEW]+|-)\s+(\d+):(\d+)\((\d+)\)\s*(.*)$/.exec(spec);
  if (!m) fail(`cannot parse segment "${spec}"`);
  let flags = 0;
  if (m[1] !== '-') for (const c of m[1]) {
    const f = FLAG[c as keyof typeof FLAG];
    if (flags & f) fail(`flag ${c} twice in "${spec}"`);
    flags |= f;
  }
  const seg: Seg = { flags, seq: Number(m[2]), len: Number(m[4]), opts: new Map(), noOpts: false, anyOpts: false, moreOpts: false };
  if (Number(m[3]) - Number(m[2]) !== seg.len) fail(`seq range and length disagree in "${spec}"`);
  let rest = m[5];
  const o = /<([^>]*)>\s*$/.exec(rest);
  if (o) { rest = rest.slice(0, o.index); parseOptions(o[1], seg, fail); }
  const words = rest.trim() ? rest.trim().split(/\s+/) : [];
  for (let i = 0; i < words.length; i += 2) {
    const k = words[i], v = words[i + 1];
    if (k !== 'ack' && k !== 'win' && k !== 'urg') fail(`unknown field "${k}" in segment "${spec}" (known: ack, win, urg, <options>)`);
    if (v === undefined || !/^\d+$/.test(v)) fail(`${k} needs a number in "${spec}"`);
    if (seg[k] !== undefined) fail(`${k} given twice in "${spec}"`);
    seg[k] = Number(v);
  }
  return seg;
}

function parseOptions(text: string, seg: Seg, fail: (m: string) => never): void {
  if (text.trim() === '') { seg.noOpts = true; return; }
  if (text.trim() === '...') { seg.anyOpts = true; return; }
  for (const item of text.split(',').map((s) => s.trim())) {
    const w = item.split(/\s+/);
    const num = (i: number) => { if (!/^\d+$/.test(w[i] ?? '')) fail(`option "${item}": a number expected`); return Number(w[i]); };
    if (w[0] === 'mss') seg.opts.set('mss', [num(1)]);
    else if (w[0] === 'wscale' || w[0] === 'wS') seg.opts.set('wscale', [num(1)]);
    else if (w[0] === 'sackOK') seg.opts.set('sackOK', []);
    else if (w[0] === 'TS') {
      if (w[1] !== 'val' || w[3] !== 'ecr' || w.length !== 5) fail(`option "${item}": TS val V ecr E expected`);
      seg.opts.set('TS', [num(2), w[4] === '*' ? NaN : num(4)]);
    } else if (w[0] === 'sack') seg.opts.set('sack', w.slice(1).flatMap((b) => {
      const r = /^(\d+):(\d+)$/.exec(b);
      if (!r) fail(`option "${item}": sack blocks are start:end`);
      return [Number(r[1]), Number(r[2])];
    }));
    else if (w[0] === '...') seg.moreOpts = true;
    else if (w[0] === 'nop' || w[0] === 'eol') { /* layout only */ }
    else fail(`unknown option ${item}`);
  }
}

function u32(v: number): number[] { v >>>= 0; return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]; }

/** Inbound options in a fixed layout; SACK blocks are relative to the stack's ISN, `ecr` is already live. */
function encodeOptions(opts: Map<string, number[]>, stackIsn: number, ecr: number): number[] {
  const out: number[] = [];
  if (opts.has('mss')) { const m = opts.get('mss')![0]; out.push(2, 4, m >> 8, m & 255); }
  if (opts.has('sackOK')) out.push(1, 1, 4, 2);
  if (opts.has('wscale')) out.push(1, 3, 3, opts.get('wscale')![0]);
  if (opts.has('TS')) out.push(1, 1, 8, 10, ...u32(opts.get('TS')![0]), ...u32(ecr));
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
    else if (k === 3) opts.set('wscale', [f[p + 2]]);
    else if (k === 4) opts.set('sackOK', []);
    else if (k === 8) opts.set('TS', [d.getUint32(p + 2), d.getUint32(p + 6)]);
    else if (k === 5) opts.set('sack', Array.from({ length: (l - 2) / 4 }, (_, i) => d.getUint32(p + 2 + 4 * i)));
    else opts.set(`kind${k}`, []);
    p += Math.max(2, l);
  }
  return { seq: d.getUint32(t + 4), ack: d.getUint32(t + 8), flags: f[t + 13], win: d.getUint16(t + 14), urg: d.getUint16(t + 18),
    len: d.getUint16(16) - ihl - off, opts, at };
}

function fmt(o: Out): string {
  const f = (['F', 'S', 'R', 'P', '.', 'U', 'E', 'W'] as const).filter((_, i) => o.flags & (1 << i)).join('') || '-';
  const opts = [...o.opts].map(([k, v]) => (v.length ? `${k} ${v.join(' ')}` : k)).join(',');
  return `${f} seq ${o.seq} ack ${o.ack} win ${o.win}${o.urg ? ` urg ${o.urg}` : ''} len ${o.len} <${opts}>`;
}

/** Runs one script file's text; throws ScriptError with file:line on the first mismatch. */
export function runScript(file: string, text: string, dialect?: 'packetdrill' | 'compact'): Runner {
  // A comment line `asnet-build: server` runs the script on the server-pool build (96 KiB of
  // buffers, window scale 1) instead of the default one-page build.
  const server = /^(?:#|\/\/)\s*asnet-build: server\b/m.test(text);
  const r = new Runner(file, dialect, server ? serverBuild() : undefined);
  r.run(text);
  return r;
}

export { SOCKOPTS };
