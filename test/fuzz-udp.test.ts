// Fuzzing the UDP side (issue 12 for issue 13's code): DHCP replies with the live xid and random
// options, DNS replies with the live ID and port and random answer sections (compression pointers,
// lying counts and lengths), and random datagrams to a bound socket and to closed ports. No trap,
// invariants after every frame, pools drain, and afterwards DHCP and DNS still work end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../host/rng.ts';
import { Stack, type PoolStats } from '../host/stack.ts';
import { Sim } from '../host/sim.ts';
import { POOL_BLOCKS } from '../host/abi.ts';
import { parseMac, RawHost, udpFrame } from './helpers/raw-host.ts';
import { DhcpServer } from './helpers/dhcp-server.ts';
import { DnsServer, encodeName } from './helpers/dns-server.ts';

const FRAMES = 200_000;
const SERVER_MAC = parseMac('02:00:00:00:00:67');

function bytes(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.below(256));
}

/** A DHCP BOOTREPLY for the client's xid and MAC with random fields and options. */
function dhcpReply(rng: Rng, xid: number, mac: Uint8Array): Uint8Array {
  const b = new Uint8Array(rng.chance(0.1) ? rng.below(300) : 240 + rng.below(300));
  b.set(bytes(rng, Math.min(b.length, 240)));
  const v = new DataView(b.buffer);
  if (b.length >= 240) {
    b[0] = rng.chance(0.9) ? 2 : b[0];
    v.setUint32(4, rng.chance(0.9) ? xid : rng.u32());
    if (rng.chance(0.9)) b.set(mac, 28);
    v.setUint32(236, rng.chance(0.95) ? 0x63825363 : rng.u32());
    if (rng.chance(0.5)) b.set([192, 0, 2, 100 + rng.below(3)], 16);
    let p = 240;
    while (p < b.length) {
      const code = rng.chance(0.3) ? [53, 54, 1, 3, 6, 51, 58, 59, 255, 0][rng.below(10)] : rng.below(256);
      const len = code === 53 && rng.chance(0.8) ? 1 : rng.chance(0.8) ? 4 : rng.below(256);
      b[p++] = code;
      if (p < b.length) b[p++] = len;
      for (let i = 0; i < len && p < b.length; i++) b[p++] = code === 53 ? 1 + rng.below(8) : rng.below(256);
    }
  }
  return b;
}

/** A DNS response for the live ID with the question echoed (mostly) and random answers. */
function dnsReply(rng: Rng, id: number, qname: number[]): Uint8Array {
  const out: number[] = [id >> 8, id & 255, rng.chance(0.9) ? 0x81 : rng.below(256), rng.below(256),
    0, rng.chance(0.9) ? 1 : rng.below(3), 0, rng.below(6), 0, 0, 0, 0];
  if (rng.chance(0.9)) out.push(...qname, 0, 1, 0, 1); else out.push(...bytes(rng, rng.below(40)));
  for (let n = rng.below(5); n > 0; n--) {
    const owner = rng.chance(0.5) ? [0xc0, rng.chance(0.7) ? 12 : rng.below(256)] : rng.chance(0.5) ? qname : bytes(rng, rng.below(20));
    const rdlen = rng.chance(0.7) ? 4 : rng.below(300);
    out.push(...owner, 0, rng.chance(0.7) ? 1 : rng.below(256), 0, 1, ...bytes(rng, 4), rdlen >> 8, rdlen & 255,
      ...bytes(rng, rng.chance(0.8) ? Math.min(rdlen, 64) : rng.below(64)));
  }
  return Uint8Array.from(out.slice(0, rng.chance(0.1) ? rng.below(out.length + 1) : out.length));
}

/** ARP request (RFC 826) from the server 192.0.2.1 for 192.0.2.100. */
function arpRequest(target: Uint8Array): Uint8Array {
  const b = new Uint8Array(42);
  b.fill(255, 0, 6); b.set(SERVER_MAC, 6); b[12] = 8; b[13] = 6;
  b.set([0, 1, 8, 0, 6, 4, 0, 1], 14); b.set(SERVER_MAC, 22); b.set([192, 0, 2, 1], 28);
  b.set([192, 0, 2, 100], 38);
  void target;
  return b;
}

test(`UDP/DHCP/DNS fuzz: ${FRAMES} frames, no trap, invariants, still working afterwards`, { timeout: 120_000 }, () => {
  const rng = new Rng(20261124);
  const c = new Stack({ name: 'C', mac: '02:00:00:00:00:0c', ip: '0.0.0.0', netmask: '0.0.0.0', build: 'debug' });
  const dhcp = c.dhcpStart();
  c.clock.advance(1500); c.runTimers();
  const discover = c.outbox.find((f) => f[23] === 17 && f[37] === 67)!;
  assert.ok(discover, 'DISCOVER sent');
  const xid = new DataView(discover.buffer, discover.byteOffset).getUint32(42 + 4);
  const sock = c.udpSocket(); c.udpBind(sock, 0, 7);
  let dnsPort = 0, dnsId = 0;
  const queries: number[] = [];
  const qname = encodeName('device.example');
  const started = Date.now();
  let n = 0;
  for (; n < FRAMES && Date.now() - started < 90_000; n++) {
    if (n === FRAMES / 2) {                      // second half: a configured address and a DNS query in flight
      c.setAddr('192.0.2.100', '255.255.255.0', '192.0.2.1');
      c.dnsSetServer('192.0.2.1');
      c.input(arpRequest(c.mac));              // the server asks for us: C learns its MAC, queries go out at once
    }
    if (n >= FRAMES / 2 && n % 16 === 0) {          // a fresh query every 16 frames: the parser sees many replies
      const prev = queries.pop();
      if (prev !== undefined && c.dnsResult(prev) === -11) c.dnsCancel(prev);
      c.outbox.length = 0;
      const q = c.dnsQuery(rng.chance(0.5) ? 'device.example' : 'Device.Example.');
      if (q > 0) queries.push(q);
      const f = c.outbox.find((x) => x[23] === 17 && x[37] === 53);
      if (f) { const v = new DataView(f.buffer, f.byteOffset); dnsPort = v.getUint16(34); dnsId = v.getUint16(42); }
    }
    const kind = rng.below(4);
    const dst = n < FRAMES / 2 ? '255.255.255.255' : '192.0.2.100';
    let sport = 67, dport = 68, data: Uint8Array;
    if (kind === 0) data = dhcpReply(rng, xid, c.mac);
    else if (kind === 1) { sport = 53; dport = dnsPort || 53; data = dnsReply(rng, dnsId, qname); }
    else { sport = rng.below(65536); dport = rng.chance(0.5) ? 7 : rng.below(65536); data = Uint8Array.from(bytes(rng, rng.below(1400))); }
    const frame = udpFrame({ srcMac: SERVER_MAC, dstMac: c.mac, srcIp: '192.0.2.1', dstIp: dst, sport, dport, data,
      noChecksum: rng.chance(0.3) });
    if (rng.chance(0.05)) frame[14 + 20 + 4] = rng.below(256);         // lying UDP length (checksum then fails or not)
    c.input(frame);
    if (n % 64 === 0) { c.clock.advance(50); c.runTimers(); c.outbox.length = 0; c.pollEvents(); }
    if (n % 7 === 0) while (typeof c.udpRecvfrom(sock) === 'object');
    const inv = c.checkInvariants();
    if (inv !== 0) assert.fail(`check_invariants() = ${inv} after frame ${n}`);
  }
  assert.ok(n >= 100_000, `only ${n} frames in the time budget`);
  assert.ok(c.stat('dns_bad_reply') > 0 && c.stat('dhcp_in') > 0, 'the generators reach the DHCP and DNS parsers');
  // Drain: every DNS query answered, timed out or cancelled; the UDP socket closed.
  c.clock.advance(10_000); c.runTimers();
  c.pollEvents();
  for (const q of queries) if (c.dnsResult(q) === -11) c.dnsCancel(q);     // answered, failed or still pending
  c.udpClose(sock);
  c.dhcpStop(dhcp);
  assert.equal(c.checkInvariants(), 0);
  // Still working: a real DHCP exchange and a real DNS answer on a fresh simulation with this stack.
  const sim = new Sim({ clock: c.clock });
  sim.add(c);
  const wire = sim.connect([c]);
  const host = new RawHost(wire, 'S', SERVER_MAC, '192.0.2.1');
  new DhcpServer(host, { pool: '192.0.2.100', dns: '192.0.2.1' }, () => sim.clock.now);
  // A name the fuzzer never asked for: replies forged with the right ID and port were cached, as they would be.
  new DnsServer(host, { 'sensor.example': { ip: '192.0.2.77', ttl: 30 } }, () => sim.clock.now);
  const h = c.dhcpStart();
  sim.run({ for: 6000 });
  const info = c.dhcpInfo(h);
  assert.ok(typeof info === 'object' && info.stateName === 'BOUND', JSON.stringify(info));
  const q = c.dnsQuery('Sensor.Example');
  sim.run({ for: 200 });
  const r = c.dnsResult(q);
  assert.ok(typeof r === 'object' && r.ip === '192.0.2.77', `dns after fuzz: ${JSON.stringify(r)}`);
  assert.equal((c.poolStats(POOL_BLOCKS) as PoolStats).used, 0);
  console.log(`fuzz-udp: ${n} frames in ${Date.now() - started} ms; udp_in ${c.stat('udp_in')}, dhcp_in ${c.stat('dhcp_in')}, ` +
    `dns_bad_reply ${c.stat('dns_bad_reply')}, udp_csum_err ${c.stat('udp_csum_err')}, rx_malformed ${c.stat('rx_malformed')}`);
});
