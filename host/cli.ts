// `npm start`: two (or more) simulated nodes on a virtual Ethernet, showing the TCP life cycle the
// way the textbooks draw it — 3-way handshake, data, 4-way close, TIME_WAIT expiry — as a timeline
// of segments and state changes, then a netstat table per state. Writes a pcap of the wire.
// No network and no root needed: everything runs in virtual time inside this process.
import { writeFileSync } from 'node:fs';
import { Sim } from './sim.ts';
import type { Stack } from './stack.ts';
import { STATE_NAMES, EV_ACCEPT, EAGAIN } from './abi.ts';
import { capture } from './pcap.ts';
import { netstat } from './netstat.ts';

// Piped into `head` or a pager that quits: stop quietly, as command-line tools do.
process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); throw e; });

type Options = { loss: number; clients: number; synFlood: boolean; pcap: string; color: boolean; bytes: number; seed: number };

const HELP = `usage: npm start -- [options]
  --loss P        drop a fraction P of frames on the wire (e.g. 0.05)
  --clients N     number of client nodes (default 1)
  --syn-flood     an attacker floods spoofed SYNs while the clients connect (SYN cookies at work)
  --bytes N       bytes each client sends (default 3000)
  --seed N        seed of the simulation: loss pattern, ISNs, ports (default 2026)
  --pcap FILE     where to write the capture (default demo.pcap)
  --no-color      plain output
  --help          this text`;

/** A bad command line: printed as one line (no stack trace), exit status 2. */
class UsageError extends Error {}

const MAX_CLIENTS = 200;   // 192.0.2.10 .. 192.0.2.209 on the demo's /24

function parseArgs(argv: string[]): Options {
  const o: Options = { loss: 0, clients: 1, synFlood: false, pcap: 'demo.pcap', color: process.stdout.isTTY ?? false, bytes: 3000, seed: 2026 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      return v;
    };
    const num = (min: number, max: number, integer: boolean): number => {
      const raw = value(), v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
        throw new UsageError(`${a} ${raw}: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
      }
      return v;
    };
    if (a === '--help' || a === '-h') { console.log(HELP); process.exit(0); }
    else if (a === '--loss') o.loss = num(0, 1, false);
    else if (a === '--clients') o.clients = num(1, MAX_CLIENTS, true);
    else if (a === '--bytes') o.bytes = num(0, 64 * 1024 * 1024, true);
    else if (a === '--seed') o.seed = num(0, 2 ** 32 - 1, true);
    else if (a === '--syn-flood') o.synFlood = true;
    else if (a === '--pcap') o.pcap = value();
    else if (a === '--no-color') o.color = false;
    else throw new UsageError(`unknown option ${a} (see --help)`);
  }
  return o;
}

function parseOrExit(argv: string[]): Options {
  try {
    return parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`asnet demo: ${e.message}`);
    process.exit(2);
  }
}

const opts = parseOrExit(process.argv.slice(2));
const paint = (code: number, s: string) => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
const ms = (t: number) => `${(t / 1000).toFixed(3).padStart(8)}s`;

// ---- a segment decoder for the timeline ----
function describe(f: Uint8Array): { conn?: number; text: string } | null {
  const d = new DataView(f.buffer, f.byteOffset, f.byteLength);
  if (d.getUint16(12) === 0x0806) {
    const mac = [...f.subarray(22, 28)].map((b) => b.toString(16).padStart(2, '0')).join(':');
    return { text: d.getUint16(20) === 1 ? `ARP who-has ${[...f.subarray(38, 42)].join('.')}`
      : `ARP ${[...f.subarray(28, 32)].join('.')} is-at ${mac}` };
  }
  if (d.getUint16(12) !== 0x0800 || f[23] !== 6) return null;
  const ihl = (f[14] & 15) * 4, t = 14 + ihl, hl = (f[t + 12] >> 4) * 4;
  const len = d.getUint16(16) - ihl - hl, fl = f[t + 13];
  const flags = ['FIN', 'SYN', 'RST', 'PSH', 'ACK'].filter((_, i) => fl & (1 << i)).join(',');
  const src = `${[...f.subarray(26, 30)].join('.')}:${d.getUint16(t)}`, dst = `${[...f.subarray(30, 34)].join('.')}:${d.getUint16(t + 2)}`;
  // The window field is scaled (RFC 7323 §2.3) except in SYNs; show the scaled value: the one that counts.
  const wscale = windowScale(src, dst);
  const win = fl & 2 ? `${d.getUint16(t + 14)}` : `${d.getUint16(t + 14) << wscale}${wscale ? ` (${d.getUint16(t + 14)}<<${wscale})` : ''}`;
  if (fl & 2) learnScale(f, t, hl, src, dst);
  return { conn: connOf(src, dst), text: `${src} > ${dst} [${flags}] seq=${d.getUint32(t + 4)} ack=${fl & 16 ? d.getUint32(t + 8) : '-'} win=${win} len=${len}` };
}

// Window scale per direction, learned from the SYN options (kind 3); used only once both SYNs had it.
const scales = new Map<string, number>();
function learnScale(f: Uint8Array, t: number, hl: number, src: string, dst: string): void {
  for (let i = t + 20; i < t + hl;) {
    const kind = f[i];
    if (kind === 0) break;
    if (kind === 1) { i++; continue; }
    if (kind === 3) { scales.set(`${src}>${dst}`, f[i + 2]); return; }
    i += Math.max(2, f[i + 1]);
  }
  scales.set(`${src}>${dst}`, -1);
}
function windowScale(src: string, dst: string): number {
  const mine = scales.get(`${src}>${dst}`), theirs = scales.get(`${dst}>${src}`);
  return mine !== undefined && mine >= 0 && theirs !== undefined && theirs >= 0 ? mine : 0;
}

// ---- the world ----
const sim = new Sim({ seed: opts.seed });
// The server's default route is 192.0.2.1: with --syn-flood a router port answers for it, so the
// SYN-ACKs to the flood's off-link (spoofed) sources really leave the server.
const server = sim.addStack({ name: 'server', mac: '02:00:00:00:00:02', ip: '192.0.2.2', gateway: '192.0.2.1' });
const clients: Stack[] = [];
for (let i = 0; i < opts.clients; i++) {
  clients.push(sim.addStack({ name: `client${i + 1}`, mac: `02:00:00:00:01:${(i + 1).toString(16).padStart(2, '0')}`, ip: `192.0.2.${10 + i}` }));
}
const wire = sim.connect([server, ...clients], { name: 'lan', impair: { loss: opts.loss, delayMs: 1 } });
// The pcap holds what arrived (the receive side): frames the wire dropped are not in it.
const MAX_PCAP_FRAMES = 200_000;
const cap = capture(wire, { point: 'rx', maxFrames: MAX_PCAP_FRAMES });
const quiet = opts.synFlood || opts.clients > 2;
const MAX_SHOWN = 60;
let shown = 0, hidden = 0;

// Connection ids: one per 4-tuple, in order of first appearance; every line names its connection.
const connIds = new Map<string, number>();
const connOf = (a: string, b: string) => {
  const key = [a, b].sort().join(' ');
  let id = connIds.get(key);
  if (id === undefined) { id = connIds.size + 1; connIds.set(key, id); }
  return id;
};
const slotConn = new Map<Stack, Map<number, number>>();
const tag = (id: number | undefined) => paint(35, (id === undefined ? '' : `#${id}`).padEnd(4));

// Segments are printed one simulation step late, after the state changes of the call that sent them
// (transitions are drained when the call returns, frames are seen while it runs). A frame is marked
// LOST when the wire's loss counter moved while it was being sent.
type Pending = { line: string; lostBefore: number; lost?: boolean };
const pending: Pending[] = [];
const dropped = () => wire.stats.lost + wire.stats.downDropped + wire.stats.queueDropped;
const settleLast = () => {
  const last = pending[pending.length - 1];
  if (last && last.lost === undefined) last.lost = dropped() > last.lostBefore;
};
wire.tap((f, t, from) => {
  settleLast();
  if (from === 'attacker' || (f[12] === 8 && f[13] === 0 && f[30] === 198)) return;   // the flood and its SYN-ACKs: counted below
  const d = describe(f);
  if (!d) return;
  if (quiet && shown >= MAX_SHOWN) { hidden++; return; }
  shown++;
  pending.push({ line: `${paint(90, ms(t))}  ${tag(d.conn)} ${paint(36, from.padEnd(8))} ${d.text}`, lostBefore: dropped() });
}, 'tx');
function flush(): void {
  settleLast();
  for (const p of pending.splice(0)) console.log(p.lost ? `${p.line}  ${paint(31, 'LOST')}` : p.line);
}
for (const st of [server, ...clients]) {
  const slots = new Map<number, number>();
  slotConn.set(st, slots);
  st.onTrace((tr) => {
    // SYN-queue entries are numbered apart from PCB slots: among rows with this slot and state,
    // prefer the connection the timeline already knows (its segments were seen).
    const key = (r: { localIp: string; localPort: number; remoteIp: string; remotePort: number }) =>
      [`${r.localIp}:${r.localPort}`, `${r.remoteIp}:${r.remotePort}`].sort().join(' ');
    const rows = st.netstatRows().filter((r) => r.slot === tr.slot && r.remotePort !== 0);
    const row = rows.find((r) => connIds.has(key(r))) ?? rows.find((r) => r.state === tr.to);
    if (row && !(tr.to === 0 && slots.has(tr.slot))) slots.set(tr.slot, connOf(`${row.localIp}:${row.localPort}`, `${row.remoteIp}:${row.remotePort}`));
    console.log(`${paint(90, ms(sim.clock.now))}  ${tag(slots.get(tr.slot))} ${paint(33, st.name.padEnd(8))} ` +
      paint(1, `${STATE_NAMES[tr.from]} -> ${STATE_NAMES[tr.to]}`));
  });
}

const FLOOD_SYNS = 5000;
let synAcksOut = 0;
if (opts.synFlood) startFlood();

// ---- the application: an echo-like server that counts bytes, clients that send then close ----
const l = server.socket();
server.bind(l, 0, 80);
server.listen(l, 16);
console.log(`${paint(90, ms(sim.clock.now))}  ${tag(undefined)} ${paint(33, server.name.padEnd(8))} ${paint(1, 'CLOSED -> LISTEN')} on 0.0.0.0:80`);
const received = new Map<number, number>();
server.onEvent((ev) => {
  if (ev.handle === l && (ev.events & EV_ACCEPT)) {
    for (let h = server.accept(l); h > 0; h = server.accept(l)) received.set(h, 0);
    return;
  }
  if (!received.has(ev.handle)) return;
  for (;;) {
    const r = server.recv(ev.handle);
    if (typeof r === 'number') { if (r !== EAGAIN) { server.close(ev.handle); received.delete(ev.handle); } break; }
    if (r.length === 0) {
      // Peer closed: close too, 20 virtual ms later, so the ACK of its FIN goes first and the
      // client shows FIN_WAIT_2, the textbook 4-way close. Closing here, from the handler, would
      // let our FIN carry that ACK (docs/ABI.md "The held ACK"): a 3-way close.
      const h = ev.handle;
      received.delete(h);
      sim.clock.after(20, () => { server.close(h); });
      break;
    }
    received.set(ev.handle, (received.get(ev.handle) ?? 0) + r.length);
  }
});

console.log(paint(1, `\n== ${clients.length} client(s) connect to 192.0.2.2:80, send ${opts.bytes} bytes, close` +
  `${opts.loss ? `, ${opts.loss * 100}% loss` : ''}${opts.synFlood ? ', under a SYN flood' : ''} ==\n`));
// Under a SYN flood the clients connect only once the server's SYN queue is full, so the cookie is
// what lets them in (the timeline says so when the server validates one).
const handles: number[] = [];
const startClients = () => { for (const c of clients) { const h = c.socket(); c.connect(h, '192.0.2.2', 80); handles.push(h); } };
if (!opts.synFlood) startClients();
let cookiesSeen = 0;
const floodWatch = () => {
  if (!opts.synFlood) return;
  // tcp_syncookies 1: cookies are sent only once the SYN queue is full.
  if (handles.length === 0 && server.stat('syncookies_sent') > 0) {
    console.log(paint(1, `${ms(sim.clock.now)}  the server's SYN queue is full (tcp_max_syn_backlog ${server.sysctl('tcp_max_syn_backlog')}; ` +
      `${server.stat('syncookies_sent')} SYN(s) answered with a cookie so far): the real client(s) connect now`));
    startClients();
  }
  const v = server.stat('syncookies_recv');
  if (v > cookiesSeen) {
    console.log(`${paint(90, ms(sim.clock.now))}       ${paint(33, server.name.padEnd(8))} ${paint(1, `SYN cookie validated: ${v - cookiesSeen} connection(s) ` +
      'rescued from the full SYN queue (syncookies_recv ' + v + ')')}`);
    cookiesSeen = v;
  }
};
const payload = new Uint8Array(opts.bytes).map((_, i) => 65 + (i % 26));
const sent = clients.map(() => 0);
const closed = clients.map(() => false);
const progress = setInterval(() => process.stderr.write(`\r  virtual time ${(sim.clock.now / 1000).toFixed(1)} s  `), 1000);
const lingering = (s: Stack, withTimeWait: boolean) => {
  const n = s.netstatCounts();
  return n.LAST_ACK + n.FIN_WAIT_1 + n.FIN_WAIT_2 + n.CLOSE_WAIT + n.CLOSING + n.SYN_SENT + (withTimeWait ? n.TIME_WAIT : 0) > 0;
};
const drive = (withTimeWait: boolean) => sim.run({
  maxSteps: 20_000_000, for: 300_000,
  while: () => {
    flush();
    floodWatch();
    let busy = false;
    clients.forEach((c, i) => {
      if (closed[i]) return;
      busy = true;
      if (handles[i] === undefined) return;                              // waiting for the full SYN queue
      if (c.state(handles[i]) !== 4 && sent[i] === 0) return;          // not ESTABLISHED yet
      if (sent[i] < payload.length) {
        const n = c.send(handles[i], payload.subarray(sent[i]));
        if (n > 0) sent[i] += n;
      } else { c.close(handles[i]); closed[i] = true; }
    });
    sim.dispatchAll();                                                  // state changes of these calls first,
    flush();                                                            // then the segments they sent
    return busy || [server, ...clients].some((s) => lingering(s, withTimeWait));
  },
});
drive(false);
flush();
console.log(paint(1, '\n== netstat on every node: the side that closed first waits in TIME_WAIT (2MSL) =='));
for (const st of [server, ...clients]) console.log(`${paint(36, st.name)}\n${netstat(st)}`);
console.log(paint(1, '== ... virtual time runs on until TIME_WAIT expires =='));
drive(true);
flush();
if (hidden > 0) console.log(`(${hidden} more segments not shown: with --clients > 2 or --syn-flood the timeline stops after ${MAX_SHOWN}; all are in ${opts.pcap})`);
clearInterval(progress);
process.stderr.write('\r');

console.log(paint(1, '\n== netstat on the server at the end =='));
console.log(netstat(server));
if (opts.synFlood) {
  console.log(paint(1, '== server counters =='));
  console.log(`  ${'flood SYNs'.padEnd(20)} ${FLOOD_SYNS} from 198.51.100.0/24 (off-link, via the router 192.0.2.1)`);
  console.log(`  ${'SYN-ACKs to them'.padEnd(20)} ${synAcksOut} (sent to the router, as the routing table says)`);
  for (const k of ['syncookies_sent', 'syncookies_recv', 'syncookies_failed', 'syn_queue_full', 'listen_drops', 'challenge_acks'] as const) {
    console.log(`  ${k.padEnd(20)} ${server.stat(k)}`);
  }
}
cap.stop();
writeFileSync(opts.pcap, cap.toBytes());
if (wire.stats.delivered > MAX_PCAP_FRAMES) console.log(`(the pcap keeps the last ${MAX_PCAP_FRAMES} frames of ${wire.stats.delivered})`);
console.log(`\nThe whole exchange is in ${opts.pcap} (${cap.frames.length} frames): open it with ` +
  `\`wireshark ${opts.pcap}\` or \`tcpdump -nr ${opts.pcap}\`.`);
console.log(`Virtual time: ${(sim.clock.now / 1000).toFixed(1)} s (TIME_WAIT lasts 2 x tcp_msl = ${2 * server.sysctl('tcp_msl')} s).`);

function startFlood(): void {
  const routerMac = Uint8Array.from([2, 0, 0, 0, 0xee, 0xee]);
  // The attacker sits behind the router 192.0.2.1: it answers ARP for the gateway, swallows what the
  // server routes to the spoofed sources (198.51.100.0/24, off-link), and injects the SYNs.
  const router = {
    name: 'attacker', mac: routerMac,
    deliver: (f: Uint8Array) => {
      const d = new DataView(f.buffer, f.byteOffset, f.byteLength);
      if (d.getUint16(12) !== 0x0806 || d.getUint16(20) !== 1 || f.subarray(38, 42).join('.') !== '192.0.2.1') {
        if (d.getUint16(12) === 0x0800 && f[30] === 198) synAcksOut++;
        return;
      }
      const r = new Uint8Array(42), v = new DataView(r.buffer);
      r.set(f.subarray(6, 12), 0); r.set(routerMac, 6); v.setUint16(12, 0x0806);
      v.setUint16(14, 1); v.setUint16(16, 0x0800); r[18] = 6; r[19] = 4; v.setUint16(20, 2);
      r.set(routerMac, 22); r.set([192, 0, 2, 1], 28); r.set(f.subarray(22, 28), 32); r.set(f.subarray(28, 32), 38);
      wire.send(router, r);
    },
  };
  wire.addPort(router);
  let x = opts.seed | 7;
  const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  const sum = (b: Uint8Array, s: number, e: number, acc = 0) => { for (let i = s; i < e; i += 2) acc += (b[i] << 8) | (b[i + 1] ?? 0); return acc; };
  const fold = (a: number) => { while (a > 0xffff) a = (a & 0xffff) + Math.floor(a / 65536); return ~a & 0xffff; };
  for (let i = 0; i < FLOOD_SYNS; i++) {
    sim.clock.at(i * 1, () => {
      const f = new Uint8Array(54), d = new DataView(f.buffer), r = rnd();
      f.set(server.mac, 0); f.set(routerMac, 6); d.setUint16(12, 0x0800);
      f[14] = 0x45; d.setUint16(16, 40); f[22] = 64; f[23] = 6;
      f.set([198, 51, 100, 1 + (r % 254)], 26); f.set([192, 0, 2, 2], 30);
      d.setUint16(24, fold(sum(f, 14, 34)));
      d.setUint16(34, 1024 + (r >>> 20)); d.setUint16(36, 80); d.setUint32(38, rnd()); f[46] = 0x50; f[47] = 2; d.setUint16(48, 65535);
      d.setUint16(50, fold(sum(f, 34, 54, sum(f, 26, 34) + 6 + 20)));
      wire.send(router, f);
    });
  }
}
