// Named malformed and hostile frames (issue 12), one test each: the exact reaction of stack B to
// one frame sent on or next to an ESTABLISHED connection (or to its listener): which counter rose,
// which reply went out (none, RST, challenge ACK), and that the connection still works afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACK, FIN, PSH, RST, SYN, tcpFrame } from './helpers/frames.ts';
import { fixChecksums, type TcpView } from './fuzz/packet.ts';
import { arpReply, Peer } from './fuzz/peer.ts';
import { IP_A, IP_B, LISTEN_PORT, MAC_A, MAC_B } from './fuzz/target.ts';
import { EV_ERROR } from '../host/abi.ts';
import type { StatName } from '../host/abi.ts';

const URG = 32, ECE = 64, CWR = 128;
const T = { timeout: 10_000 };
const data = (s: string) => new TextEncoder().encode(s);

/** Sends `frame` to an established connection; asserts the counter rose by one and B stayed silent. */
function expectSilentDrop(frame: (p: Peer) => Uint8Array, counter: StatName): Peer {
  const p = new Peer().establish();
  const { result, d } = p.deltas(() => p.input(frame(p)));
  assert.equal(d(counter), 1, `${counter} should rise by 1`);
  assert.deepEqual(result, [], 'no reply expected');
  p.assertAlive();
  return p;
}

/** A data segment of the live connection, edited by `edit`, checksums fixed afterwards if `fix`. */
function edited(p: Peer, edit: (b: Uint8Array) => void, fix = true): Uint8Array {
  const b = p.seg({ payload: data('x'), flags: ACK | PSH });
  edit(b);
  if (fix) fixChecksums(b);
  return b;
}

function isChallengeAck(p: Peer, r: TcpView[]): boolean {
  return r.length === 1 && r[0].flags === ACK && r[0].ack === p.sndNxt;
}

test('bad IPv4 header checksum: dropped, ip_csum_err', T, () => {
  expectSilentDrop((p) => edited(p, (b) => { b[24] ^= 0x55; }, false), 'ip_csum_err');
});

test('bad TCP checksum: dropped, tcp_csum_err', T, () => {
  expectSilentDrop((p) => edited(p, (b) => { b[34 + 16] ^= 0x55; }, false), 'tcp_csum_err');
});

test('IHL < 5: dropped, ip_hdr_err', T, () => {
  expectSilentDrop((p) => edited(p, (b) => { b[14] = 0x44; }), 'ip_hdr_err');
});

test('IPv4 total length larger than the frame: dropped, ip_hdr_err', T, () => {
  expectSilentDrop((p) => edited(p, (b) => { const tl = b.length - 14 + 100; b[16] = tl >> 8; b[17] = tl & 255; }), 'ip_hdr_err');
});

test('TCP data offset < 5: dropped, tcp_hdr_err', T, () => {
  expectSilentDrop((p) => edited(p, (b) => { b[46] = 0x40; }), 'tcp_hdr_err');
});

test('TCP data offset beyond the segment: dropped, tcp_hdr_err', T, () => {
  expectSilentDrop((p) => edited(p, (b) => { b[46] = 0xf0; }), 'tcp_hdr_err');
});

for (const [name, opts] of [
  ['option length 0', [8, 0, 0, 0]],
  ['option length 1', [2, 1, 0, 0]],
  ['option length overrunning the header', [1, 1, 8, 10]],
] as const) {
  test(`${name}: segment dropped, tcp_hdr_err`, T, () => {
    expectSilentDrop((p) => p.seg({ payload: data('x'), flags: ACK | PSH, options: [...opts] }), 'tcp_hdr_err');
  });
}

function synTo(p: Peer, options: number[], flags = SYN, sport = 40100): TcpView[] {
  return p.input(tcpFrame({ srcMac: MAC_A, dstMac: MAC_B, srcIp: IP_A, dstIp: IP_B, sport, dport: LISTEN_PORT,
    seq: 777, flags, options }));
}

test('MSS 0 in a SYN: answered, the connection never sends segments below 64 bytes of payload', T, () => {
  const p = new Peer();
  const r = synTo(p, [2, 4, 0, 0]);
  assert.equal(r.length, 1); assert.equal(r[0].flags, SYN | ACK);
  p.input(tcpFrame({ srcMac: MAC_A, dstMac: MAC_B, srcIp: IP_A, dstIp: IP_B, sport: 40100, dport: LISTEN_PORT,
    seq: 778, ack: r[0].seq + 1, flags: ACK }));
  const h = p.b.accept(p.listener);
  assert.ok(h > 0);
  const info = p.b.info(h);
  assert.ok(typeof info !== 'number' && info.mss_send >= 64, `mss_send ${typeof info === 'number' ? info : info.mss_send}`);
  assert.equal(p.b.checkInvariants(), 0);
});

test('window scale > 14 in a SYN: answered, shift clamped to 14 (RFC 7323 §2.3)', T, () => {
  const p = new Peer();
  const r = synTo(p, [3, 3, 30, 1]);
  assert.equal(r.length, 1); assert.equal(r[0].flags, SYN | ACK);
  p.input(tcpFrame({ srcMac: MAC_A, dstMac: MAC_B, srcIp: IP_A, dstIp: IP_B, sport: 40100, dport: LISTEN_PORT,
    seq: 778, ack: r[0].seq + 1, flags: ACK }));
  const h = p.b.accept(p.listener);
  const info = p.b.info(h);
  assert.ok(typeof info !== 'number');
  assert.equal(info.snd_wscale_rcv_wscale & 0xff, 14);
});

for (const [name, flags] of [['SYN+FIN', SYN | FIN], ['SYN+RST', SYN | RST], ['Xmas (all flags)', 0xff]] as const) {
  test(`${name} to the listener: dropped without reply, no connection`, T, () => {
    const p = new Peer();
    const { result, d } = p.deltas(() => synTo(p, [], flags));
    assert.deepEqual(result, []);
    assert.equal(d('tcp_passive_opens') + d('syncookies_sent'), 0);
    assert.equal(p.b.netstatCounts().SYN_RCVD, 0);
    assert.equal(p.b.checkInvariants(), 0);
  });
}

test('segment with no flags on an established connection: dropped (RFC 9293 §3.10.7.4: no ACK bit)', T, () => {
  const p = new Peer().establish();
  const { result } = p.deltas(() => p.input(p.seg({ flags: 0, payload: data('zzz') })));
  assert.deepEqual(result, []);
  assert.equal(p.b.recv(p.conn), -11, 'no data may be delivered from a no-ACK segment');
  p.assertAlive();
});

test('Xmas segment (FIN|SYN|RST|PSH|ACK|URG|ECE|CWR) on an established connection: no reset', T, () => {
  const p = new Peer().establish();
  p.input(p.seg({ flags: FIN | SYN | RST | PSH | ACK | URG | ECE | CWR, seq: p.sndNxt + 10 }));
  p.assertAlive();
});

test('LAND (source = destination = B): dropped, ip_addr_drop', T, () => {
  const p = new Peer();
  const { result, d } = p.deltas(() => p.input(tcpFrame({ srcMac: MAC_B, dstMac: MAC_B, srcIp: IP_B, dstIp: IP_B,
    sport: LISTEN_PORT, dport: LISTEN_PORT, seq: 1, flags: SYN })));
  assert.deepEqual(result, []);
  assert.equal(d('ip_addr_drop'), 1);
  assert.equal(p.b.checkInvariants(), 0);
});

for (const src of ['255.255.255.255', '224.0.0.1', '192.0.2.255']) {
  test(`broadcast/multicast source ${src}: dropped, ip_addr_drop`, T, () => {
    const p = new Peer();
    const { result, d } = p.deltas(() => p.input(tcpFrame({ srcMac: MAC_A, dstMac: MAC_B, srcIp: src, dstIp: IP_B,
      sport: 1234, dport: LISTEN_PORT, seq: 1, flags: SYN })));
    assert.deepEqual(result, []);
    assert.equal(d('ip_addr_drop'), 1);
  });
}

test('IP fragment (MF set): dropped, ip_frag_drop', T, () => {
  expectSilentDrop((p) => edited(p, (b) => { b[20] = 0x20; }), 'ip_frag_drop');
});

test('IP fragment (offset != 0): dropped, ip_frag_drop', T, () => {
  expectSilentDrop((p) => edited(p, (b) => { b[20] = 0x00; b[21] = 0x10; }), 'ip_frag_drop');
});

// RFC 1122 §3.2.1.7: a host MUST NOT discard a datagram just because its TTL is below 2; the stack
// counts TTL 0 (a sender bug) and delivers the data.
test('TTL 0: counted as ip_ttl_zero and still delivered (RFC 1122 §3.2.1.7)', T, () => {
  const p = new Peer().establish();
  const { d } = p.deltas(() => p.input(edited(p, (b) => { b[22] = 0; })));
  assert.equal(d('ip_ttl_zero'), 1);
  p.sndNxt = (p.sndNxt + 1) >>> 0;
  const got = p.b.recv(p.conn);
  assert.ok(got instanceof Uint8Array && new TextDecoder().decode(got) === 'x', String(got));
  p.assertAlive();
});

test('ARP spoofing of a live entry: ignored, arp_spoof_ignored, B keeps sending to the real MAC', T, () => {
  const p = new Peer().establish();
  const { d } = p.deltas(() => p.b.input(arpReply([2, 0, 0, 0, 0, 0x66])));
  assert.equal(d('arp_spoof_ignored'), 1);
  p.b.send(p.conn, data('to the real peer'));
  const f = p.b.outbox.find((x) => x[12] === 0x08 && x[13] === 0x00);
  assert.ok(f, 'B sent the data');
  assert.deepEqual([...f.subarray(0, 6)], MAC_A);
  p.b.outbox.length = 0;
  p.assertAlive();
});

test('RST outside the window: dropped silently (RFC 5961 §3.2)', T, () => {
  const p = new Peer().establish();
  const r = p.input(p.seg({ flags: RST, seq: p.sndNxt + 1_000_000 }));
  assert.deepEqual(r, []);
  p.assertAlive();
});

test('RST inside the window but not at RCV.NXT: challenge ACK, connection kept (RFC 5961 §3.2)', T, () => {
  const p = new Peer().establish();
  const { result, d } = p.deltas(() => p.input(p.seg({ flags: RST, seq: p.sndNxt + 100 })));
  assert.ok(isChallengeAck(p, result), JSON.stringify(result));
  assert.equal(d('challenge_acks'), 1);
  p.assertAlive();
});

test('RST exactly at RCV.NXT: connection reset, EV_ERROR with ECONNRESET', T, () => {
  const p = new Peer().establish();
  const { d } = p.deltas(() => p.input(p.seg({ flags: RST })));
  assert.equal(d('tcp_estab_resets'), 1);
  const ev = p.b.pollEvents().find((e) => e.handle === p.conn);
  assert.ok(ev && (ev.events & EV_ERROR));
  assert.equal(p.b.getsockopt(p.conn, 'SO_ERROR'), 104);
  assert.equal(p.b.checkInvariants(), 0);
});

for (const [where, off] of [['inside', 100], ['outside', 5_000_000]] as const) {
  test(`SYN ${where} the window on an established connection: challenge ACK, connection kept (RFC 5961 §4.2)`, T, () => {
    const p = new Peer().establish();
    const { result, d } = p.deltas(() => p.input(p.seg({ flags: SYN, seq: p.sndNxt + off, ack: 0 })));
    assert.ok(isChallengeAck(p, result), JSON.stringify(result));
    assert.equal(d('challenge_acks'), 1);
    p.assertAlive();
  });
}

test('data beyond the receive window: dropped, window_drop, ACK sent', T, () => {
  const p = new Peer().establish();
  const { result, d } = p.deltas(() => p.input(p.seg({ seq: p.sndNxt + 200_000, payload: data('beyond'), flags: ACK | PSH })));
  assert.equal(d('window_drop'), 1);
  assert.ok(result.length === 1 && result[0].flags === ACK && result[0].ack === p.sndNxt, JSON.stringify(result));
  assert.equal(p.b.recv(p.conn), -11);
  p.assertAlive();
});

test('ACK of unsent data: dropped, ack_unsent_drop, ACK sent (RFC 9293 §3.10.7.4)', T, () => {
  const p = new Peer().establish();
  const { result, d } = p.deltas(() => p.input(p.seg({ ack: p.rcvNxt + 50_000, payload: data('bogus'), flags: ACK | PSH })));
  assert.equal(d('ack_unsent_drop'), 1);
  assert.ok(result.length === 1 && result[0].flags === ACK && result[0].ack === p.sndNxt, JSON.stringify(result));
  assert.equal(p.b.recv(p.conn), -11, 'the data of a segment acking unsent data is not accepted');
  p.assertAlive();
});
