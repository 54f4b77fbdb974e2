// IPv4 multicast + IGMPv2, the build option (issue 25): build/stack.mcast.wasm against frames
// built here. Join sends a Membership Report (RFC 2236 §3) in an IP header with Router Alert and
// TTL 1, repeated once; the MAC filter passes 01:00:5e + the group's low 23 bits and nothing else;
// UDP to a joined group is delivered, to an unjoined one sharing the MAC it is not; sends to a
// group go to its MAC with TTL 255 (224.0.0.0/24) or 1; queries (general, group-specific, v1) are
// answered within Max Response Time, another member's report suppresses ours, leave is sent only
// by the last reporter; the default build drops all of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Stack, ipToU32 } from '../host/stack.ts';
import { Rng } from '../host/rng.ts';
import { EINVAL, ENOBUFS, ENOENT, EPERM } from '../host/abi.ts';
import { onesSum, udpFrame } from './helpers/raw-host.ts';

const MCAST = fileURLToPath(new URL('../build/stack.mcast.wasm', import.meta.url));
const MAC_A = Uint8Array.from([2, 0, 0, 0, 0, 1]);
const MDNS = '224.0.0.251';

type X = { mcast_join(g: number): number; mcast_leave(g: number): number };
const mx = (b: Stack) => b.x as unknown as X;
const join = (b: Stack, g: string) => mx(b).mcast_join(ipToU32(g)) | 0;
const leave = (b: Stack, g: string) => mx(b).mcast_leave(ipToU32(g)) | 0;

function stack(wasmPath = MCAST): Stack {
  return new Stack({ name: 'B', mac: '02:00:00:00:00:02', ip: '192.0.2.2', wasmPath });
}

function groupMac(g: string): Uint8Array {
  const n = ipToU32(g);
  return Uint8Array.from([1, 0, 0x5e, (n >>> 16) & 0x7f, (n >>> 8) & 0xff, n & 0xff]);
}

type Igmp = { type: number; group: string; dst: string; ttl: number; ra: boolean; dstMac: string; maxResp: number };
const ipStr = (v: DataView, o: number) => [0, 1, 2, 3].map((i) => v.getUint8(o + i)).join('.');
const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

function igmpOut(b: Stack): Igmp[] {
  const out: Igmp[] = [];
  for (const f of b.outbox.splice(0)) {
    const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
    if (v.getUint16(12) !== 0x0800 || v.getUint8(23) !== 2) continue;
    const hl = (v.getUint8(14) & 15) * 4;
    assert.equal(onesSum(f.subarray(14, 14 + hl)), 0xffff, 'IP header checksum');
    assert.equal(onesSum(f.subarray(14 + hl, 14 + hl + 8)), 0xffff, 'IGMP checksum');
    out.push({ type: v.getUint8(14 + hl), group: ipStr(v, 14 + hl + 4), dst: ipStr(v, 30), ttl: v.getUint8(22),
      ra: hl === 24 && v.getUint32(34) === 0x94040000, dstMac: hex(f.subarray(0, 6)), maxResp: v.getUint8(14 + hl + 1) });
  }
  return out;
}

/** An IGMP message from 192.0.2.1 to dst. */
function igmpFrame(type: number, group: string, dst: string, maxResp = 0, badSum = false): Uint8Array {
  const f = new Uint8Array(14 + 20 + 8);
  const v = new DataView(f.buffer);
  f.set(groupMac(dst), 0); f.set(MAC_A, 6); v.setUint16(12, 0x0800);
  v.setUint8(14, 0x45); v.setUint16(16, 28); v.setUint8(22, 1); v.setUint8(23, 2);
  v.setUint32(26, ipToU32('192.0.2.1')); v.setUint32(30, ipToU32(dst));
  v.setUint16(24, ~onesSum(f.subarray(14, 34)) & 0xffff);
  v.setUint8(34, type); v.setUint8(35, maxResp); v.setUint32(38, group === '0.0.0.0' ? 0 : ipToU32(group));
  v.setUint16(36, (~onesSum(f.subarray(34, 42)) & 0xffff) ^ (badSum ? 1 : 0));
  return f;
}

function mcastUdp(group: string, dport: number, text: string, dstMac = groupMac(group)): Uint8Array {
  return udpFrame({ srcMac: MAC_A, dstMac, srcIp: '192.0.2.1', dstIp: group, sport: 5353, dport, data: new TextEncoder().encode(text) });
}

/** Advances virtual time in 50 ms steps, running the stack's timers. */
function run(b: Stack, ms: number): void {
  for (let t = 0; t < ms; t += 50) { b.clock.advance(50); b.runTimers(); }
}

test('join: an IGMPv2 report to the group at once (Router Alert, TTL 1, group MAC), repeated once within 10 s', () => {
  const b = stack();
  assert.equal(join(b, MDNS), 0);
  const first = igmpOut(b);
  assert.deepEqual(first, [{ type: 0x16, group: MDNS, dst: MDNS, ttl: 1, ra: true, dstMac: '01:00:5e:00:00:fb', maxResp: 0 }]);
  run(b, 10_500);
  assert.deepEqual(igmpOut(b).map((r) => [r.type, r.group]), [[0x16, MDNS]], 'one unsolicited repeat');
  run(b, 20_000);
  assert.deepEqual(igmpOut(b), [], 'then silence until a query');
  assert.equal(b.stat('igmp_out'), 2);
});

test('join/leave errors: before stack_init, not a group, all-hosts, table full, leave of a group not joined', () => {
  const early = new Stack({ name: 'E', mac: '02:00:00:00:00:09', ip: '192.0.2.9', wasmPath: MCAST, init: false });
  assert.equal(join(early, MDNS), EPERM);
  assert.equal(leave(early, MDNS), EPERM);
  const b = stack();
  assert.equal(join(b, '192.0.2.9'), EINVAL);
  assert.equal(join(b, '224.0.0.1'), EINVAL);
  assert.equal(join(b, '240.0.0.1'), EINVAL);
  for (let i = 0; i < 4; i++) assert.equal(join(b, `239.1.1.${i}`), 0);
  assert.equal(join(b, '239.1.1.9'), ENOBUFS);
  assert.equal(join(b, '239.1.1.0'), 0, 'a second reference to a joined group');
  assert.equal(leave(b, '239.9.9.9'), ENOENT);
  assert.equal(leave(b, '239.1.1.0'), 0);
  assert.equal(join(b, '239.1.1.9'), ENOBUFS, 'the group still has one reference');
  assert.equal(leave(b, '239.1.1.0'), 0);
  assert.equal(join(b, '239.1.1.9'), 0, 'its slot is free again');
});

test('receive: UDP to a joined group is delivered; the MAC filter and the address check stop the rest', () => {
  const b = stack();
  const h = b.udpSocket();
  assert.equal(b.udpBind(h, 0, 5353), 0);
  b.input(mcastUdp(MDNS, 5353, 'before join'));
  assert.equal(b.udpRecvfrom(h), -11, 'not joined: filtered at the MAC');
  assert.equal(b.stat('mcast_filtered'), 1);
  assert.equal(join(b, MDNS), 0);
  b.input(mcastUdp(MDNS, 5353, 'hello group'));
  const d = b.udpRecvfrom(h);
  assert.ok(typeof d !== 'number', 'delivered');
  assert.equal(new TextDecoder().decode(d.data), 'hello group');
  assert.equal(d.ip, '192.0.2.1');
  // 224.128.0.251 maps to the same MAC (only 23 bits): passes the MAC filter, refused by address.
  b.input(mcastUdp('224.128.0.251', 5353, 'same MAC, other group', groupMac(MDNS)));
  assert.equal(b.udpRecvfrom(h), -11);
  // The right group with a MAC of another group: refused at the MAC.
  b.input(mcastUdp(MDNS, 5353, 'wrong MAC', groupMac('239.1.2.3')));
  assert.equal(b.udpRecvfrom(h), -11);
  assert.equal(b.stat('mcast_filtered'), 3);
  assert.equal(leave(b, MDNS), 0);
  b.input(mcastUdp(MDNS, 5353, 'after leave'));
  assert.equal(b.udpRecvfrom(h), -11);
  assert.equal(b.checkInvariants(), 0);
});

test('send: to the group MAC without ARP, TTL 255 for 224.0.0.0/24, TTL 1 beyond', () => {
  const b = stack();
  const h = b.udpSocket();
  assert.equal(b.udpBind(h, 0, 5353), 0);
  b.outbox.length = 0;
  assert.equal(b.udpSendto(h, new TextEncoder().encode('q'), MDNS, 5353), 1);
  assert.equal(b.udpSendto(h, new TextEncoder().encode('r'), '239.255.0.1', 9), 1);
  const [f1, f2] = b.outbox.splice(0);
  assert.equal(hex(f1.subarray(0, 6)), '01:00:5e:00:00:fb');
  assert.equal(f1[22], 255);
  assert.equal(hex(f2.subarray(0, 6)), '01:00:5e:7f:00:01');
  assert.equal(f2[22], 1);
  assert.equal(b.stat('arp_out'), 0, 'no ARP for a group');
});

test('queries: general and group-specific answered within Max Response Time; suppression; leave by the last reporter', () => {
  const b = stack();
  assert.equal(join(b, MDNS), 0);
  assert.equal(join(b, '239.1.1.1'), 0);
  run(b, 11_000);
  igmpOut(b);
  // General query, Max Response Time 2 s: both groups report within 2 s (and not before the query).
  b.input(igmpFrame(0x11, '0.0.0.0', '224.0.0.1', 20));
  run(b, 2_100);
  assert.deepEqual(igmpOut(b).map((r) => r.group).sort(), ['224.0.0.251', '239.1.1.1']);
  // Group-specific query for 239.1.1.1 (sent to that group): only it reports.
  b.input(igmpFrame(0x11, '239.1.1.1', '239.1.1.1', 10));
  run(b, 1_100);
  assert.deepEqual(igmpOut(b).map((r) => r.group), ['239.1.1.1']);
  // Another member reports first: ours is suppressed, and we are not the last reporter, so no leave.
  b.input(igmpFrame(0x11, '0.0.0.0', '224.0.0.1', 100));
  b.input(igmpFrame(0x16, MDNS, MDNS));
  run(b, 10_100);
  assert.deepEqual(igmpOut(b).map((r) => r.group), ['239.1.1.1'], 'only the unsuppressed group reported');
  assert.equal(leave(b, MDNS), 0);
  assert.deepEqual(igmpOut(b), [], 'no leave: another host reported last');
  assert.equal(leave(b, '239.1.1.1'), 0);
  const lv = igmpOut(b);
  assert.deepEqual(lv.map((r) => [r.type, r.group, r.dst, r.ttl, r.ra]), [[0x17, '239.1.1.1', '224.0.0.2', 1, true]]);
  // A bad checksum is dropped and counted.
  b.input(igmpFrame(0x11, '0.0.0.0', '224.0.0.1', 10, true));
  assert.equal(b.stat('igmp_bad'), 1);
});

test('IGMPv1 query: v1 reports for 400 s, no leave meanwhile', () => {
  const b = stack();
  assert.equal(join(b, MDNS), 0);
  run(b, 11_000);
  igmpOut(b);
  b.input(igmpFrame(0x11, '0.0.0.0', '224.0.0.1', 0));
  run(b, 10_100);
  assert.deepEqual(igmpOut(b).map((r) => r.type), [0x12]);
  assert.equal(leave(b, MDNS), 0);
  assert.deepEqual(igmpOut(b), [], 'no leave while a v1 router is present');
});

test('the default build drops group traffic and cannot send to a group', () => {
  const b = stack(fileURLToPath(new URL('../build/stack.wasm', import.meta.url)));
  assert.equal((b.x as unknown as Partial<X>).mcast_join, undefined, 'no multicast exports');
  const h = b.udpSocket();
  assert.equal(b.udpBind(h, 0, 5353), 0);
  b.input(mcastUdp(MDNS, 5353, 'x'));
  assert.equal(b.udpRecvfrom(h), -11);
  assert.ok(b.udpSendto(h, new Uint8Array(1), MDNS, 5353) < 0);
});

test('20,000 random IGMP and group frames: no trap, invariants hold, membership still works', () => {
  const b = stack();
  const r = new Rng(2236);
  assert.equal(join(b, MDNS), 0);
  for (let i = 0; i < 20_000; i++) {
    const type = [0x11, 0x12, 0x16, 0x17, r.u32() & 0xff][r.u32() % 5];
    const grp = [MDNS, '0.0.0.0', '224.0.0.1', '239.1.1.1', `224.${r.u32() & 255}.${r.u32() & 255}.${r.u32() & 255}`][r.u32() % 5];
    const f = igmpFrame(type, grp, r.u32() % 2 ? '224.0.0.1' : MDNS, r.u32() & 0xff, r.u32() % 8 === 0);
    if (r.u32() % 4 === 0) f[14 + 20 + (r.u32() % 8)] ^= 1 << (r.u32() % 8);
    const cut = r.u32() % 6 === 0 ? f.subarray(0, 14 + 20 + (r.u32() % 8)) : f;
    if (cut !== f) new DataView(cut.buffer).setUint16(16, cut.length - 14);
    b.input(cut);
    if (i % 64 === 0) { run(b, 100); b.outbox.length = 0; assert.equal(b.checkInvariants(), 0); }
  }
  const h = b.udpSocket();
  assert.equal(b.udpBind(h, 0, 5353), 0);
  b.input(mcastUdp(MDNS, 5353, 'still here'));
  assert.ok(typeof b.udpRecvfrom(h) !== 'number');
});
