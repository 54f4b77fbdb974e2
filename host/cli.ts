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

type Options = { loss: number; clients: number; synFlood: boolean; pcap: string; color: boolean; bytes: number };

const HELP = `usage: npm start -- [options]
  --loss P        drop a fraction P of frames on the wire (e.g. 0.05)
  --clients N     number of client nodes (default 1)
  --syn-flood     an attacker floods spoofed SYNs while the clients connect (SYN cookies at work)
  --bytes N       bytes each client sends (default 3000)
  --pcap FILE     where to write the capture (default demo.pcap)
  --no-color      plain output
  --help          this text`;

function parseArgs(argv: string[]): Options {
  const o: Options = { loss: 0, clients: 1, synFlood: false, pcap: 'demo.pcap', color: process.stdout.isTTY ?? false, bytes: 3000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a non-negative number`);
      return v;
    };
    if (a === '--help' || a === '-h') { console.log(HELP); process.exit(0); }
    else if (a === '--loss') o.loss = Math.min(num(), 0.5);
    else if (a === '--clients') o.clients = Math.max(1, Math.min(8, Math.floor(num())));
    else if (a === '--bytes') o.bytes = Math.floor(num());
    else if (a === '--syn-flood') o.synFlood = true;
    else if (a === '--pcap') o.pcap = argv[++i] ?? o.pcap;
    else if (a === '--no-color') o.color = false;
    else throw new Error(`unknown option ${a}\n${HELP}`);
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const paint = (code: number, s: string) => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
const ms = (t: number) => `${(t / 1000).toFixed(3).padStart(8)}s`;

// ---- a segment decoder for the timeline ----
function describe(f: Uint8Array): string | null {
  const d = new DataView(f.buffer, f.byteOffset, f.byteLength);
  if (d.getUint16(12) === 0x0806) {
    const mac = [...f.subarray(22, 28)].map((b) => b.toString(16).padStart(2, '0')).join(':');
    return d.getUint16(20) === 1 ? `ARP who-has ${[...f.subarray(38, 42)].join('.')}`
      : `ARP ${[...f.subarray(28, 32)].join('.')} is-at ${mac}`;
  }
  if (d.getUint16(12) !== 0x0800 || f[23] !== 6) return null;
  const ihl = (f[14] & 15) * 4, t = 14 + ihl, hl = (f[t + 12] >> 4) * 4;
  const len = d.getUint16(16) - ihl - hl, fl = f[t + 13];
  const flags = ['FIN', 'SYN', 'RST', 'PSH', 'ACK'].filter((_, i) => fl & (1 << i)).join(',');
  return `${[...f.subarray(26, 30)].join('.')}:${d.getUint16(t)} > ${[...f.subarray(30, 34)].join('.')}:${d.getUint16(t + 2)} ` +
    `[${flags}] seq=${d.getUint32(t + 4)} ack=${fl & 16 ? d.getUint32(t + 8) : '-'} win=${d.getUint16(t + 14)} len=${len}`;
}

// ---- the world ----
const sim = new Sim({ seed: 2026 });
const server = sim.addStack({ name: 'server', mac: '02:00:00:00:00:02', ip: '192.0.2.2' });
const clients: Stack[] = [];
for (let i = 0; i < opts.clients; i++) {
  clients.push(sim.addStack({ name: `client${i + 1}`, mac: `02:00:00:00:01:${(i + 1).toString(16).padStart(2, '0')}`, ip: `192.0.2.${10 + i}` }));
}
const wire = sim.connect([server, ...clients], { name: 'lan', impair: { loss: opts.loss, delayMs: 1 } });
const cap = capture(wire, { maxFrames: 200_000 });
const quiet = opts.synFlood || opts.clients > 2;
let shown = 0;
wire.tap((f, t, from) => {
  if (from === 'attacker' || (quiet && shown > 60)) return;
  const d = describe(f);
  if (d) { shown++; console.log(`${paint(90, ms(t))}  ${paint(36, from.padEnd(8))} ${d}`); }
}, 'tx');
for (const st of [server, ...clients]) {
  st.onTrace((tr) => console.log(`${paint(90, ms(sim.clock.now))}  ${paint(33, st.name.padEnd(8))} ` +
    paint(1, `${STATE_NAMES[tr.from]} -> ${STATE_NAMES[tr.to]}`)));
}

if (opts.synFlood) startFlood();

// ---- the application: an echo-like server that counts bytes, clients that send then close ----
const l = server.socket();
server.bind(l, 0, 80);
server.listen(l, 16);
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
    if (r.length === 0) { server.close(ev.handle); received.delete(ev.handle); break; }   // peer closed: close too
    received.set(ev.handle, (received.get(ev.handle) ?? 0) + r.length);
  }
});

console.log(paint(1, `\n== ${clients.length} client(s) connect to 192.0.2.2:80, send ${opts.bytes} bytes, close` +
  `${opts.loss ? `, ${opts.loss * 100}% loss` : ''}${opts.synFlood ? ', under a SYN flood' : ''} ==\n`));
const handles = clients.map((c) => { const h = c.socket(); c.connect(h, '192.0.2.2', 80); return h; });
const payload = new Uint8Array(opts.bytes).map((_, i) => 65 + (i % 26));
const sent = handles.map(() => 0);
const closed = handles.map(() => false);
const progress = setInterval(() => process.stderr.write(`\r  virtual time ${(sim.clock.now / 1000).toFixed(1)} s  `), 1000);
const lingering = (s: Stack, withTimeWait: boolean) => {
  const n = s.netstatCounts();
  return n.LAST_ACK + n.FIN_WAIT_1 + n.FIN_WAIT_2 + n.CLOSE_WAIT + n.CLOSING + n.SYN_SENT + (withTimeWait ? n.TIME_WAIT : 0) > 0;
};
const drive = (withTimeWait: boolean) => sim.run({
  maxSteps: 20_000_000, for: 300_000,
  while: () => {
    let busy = false;
    clients.forEach((c, i) => {
      if (closed[i]) return;
      busy = true;
      if (c.state(handles[i]) !== 4 && sent[i] === 0) return;          // not ESTABLISHED yet
      if (sent[i] < payload.length) {
        const n = c.send(handles[i], payload.subarray(sent[i]));
        if (n > 0) sent[i] += n;
      } else { c.close(handles[i]); closed[i] = true; }
    });
    return busy || [server, ...clients].some((s) => lingering(s, withTimeWait));
  },
});
drive(false);
console.log(paint(1, '\n== netstat on every node: the side that closed first waits in TIME_WAIT (2MSL) =='));
for (const st of [server, ...clients]) console.log(`${paint(36, st.name)}\n${netstat(st)}`);
console.log(paint(1, '== ... virtual time runs on until TIME_WAIT expires =='));
drive(true);
clearInterval(progress);
process.stderr.write('\r');

console.log(paint(1, '\n== netstat on the server at the end =='));
console.log(netstat(server));
if (opts.synFlood) {
  console.log(paint(1, '== server counters =='));
  for (const k of ['syncookies_sent', 'syncookies_recv', 'syncookies_failed', 'syn_queue_full', 'listen_drops', 'challenge_acks'] as const) {
    console.log(`  ${k.padEnd(20)} ${server.stat(k)}`);
  }
}
cap.stop();
writeFileSync(opts.pcap, cap.toBytes());
console.log(`\nThe whole exchange is in ${opts.pcap} (${cap.frames.length} frames): open it with ` +
  `\`wireshark ${opts.pcap}\` or \`tcpdump -nr ${opts.pcap}\`.`);
console.log(`Virtual time: ${(sim.clock.now / 1000).toFixed(1)} s (TIME_WAIT lasts 2 x tcp_msl = ${2 * server.sysctl('tcp_msl')} s).`);

function startFlood(): void {
  const attacker = { name: 'attacker', mac: Uint8Array.from([2, 0, 0, 0, 0xee, 0xee]), deliver: () => {} };
  wire.addPort(attacker);
  let x = 7;
  const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  const sum = (b: Uint8Array, s: number, e: number, acc = 0) => { for (let i = s; i < e; i += 2) acc += (b[i] << 8) | (b[i + 1] ?? 0); return acc; };
  const fold = (a: number) => { while (a > 0xffff) a = (a & 0xffff) + Math.floor(a / 65536); return ~a & 0xffff; };
  for (let i = 0; i < 5000; i++) {
    sim.clock.at(i * 1, () => {
      const f = new Uint8Array(54), d = new DataView(f.buffer), r = rnd();
      f.set(server.mac, 0); f.set(attacker.mac, 6); d.setUint16(12, 0x0800);
      f[14] = 0x45; d.setUint16(16, 40); f[22] = 64; f[23] = 6;
      f.set([192, 0, 2, 100 + (r % 150)], 26); f.set([192, 0, 2, 2], 30);
      d.setUint16(24, fold(sum(f, 14, 34)));
      d.setUint16(34, 1024 + (r >>> 20)); d.setUint16(36, 80); d.setUint32(38, rnd()); f[46] = 0x50; f[47] = 2; d.setUint16(48, 65535);
      d.setUint16(50, fold(sum(f, 34, 54, sum(f, 26, 34) + 6 + 20)));
      wire.send(attacker, f);
    });
  }
}
