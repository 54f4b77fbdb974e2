// Hostile-network rules (issue 26) outside TCP: ICMP error rate limiting, martian sources, full-MTU
// echo, ARP request budgets and replies to the frame's sender. Each test attacks the way an
// outside tool did and asserts the stack's exact reaction; the last one keeps a legitimate 1 MiB
// transfer running byte-exact through the attack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, ipToU32 } from '../host/stack.ts';
import { EAGAIN, POOL_BLOCKS, POOL_TCP_PCBS } from '../host/abi.ts';
import { Clock } from '../host/clock.ts';
import { Rng } from '../host/rng.ts';
import { onesSum, udpFrame } from './helpers/raw-host.ts';
import { ACK, RST, SYN, tcpFrame } from './helpers/frames.ts';
import { runPair } from './helpers/pair.ts';
import { Peer } from './fuzz/peer.ts';

const MAC_A = Uint8Array.from([2, 0, 0, 0, 0, 1]);
const MAC_B = Uint8Array.from([2, 0, 0, 0, 0, 2]);
const MAC_X = Uint8Array.from([2, 0, 0, 0, 0, 0x66]);
const T = { timeout: 60_000 };

function stackB(): Stack {
  return new Stack({ name: 'B', mac: '02:00:00:00:00:02', ip: '192.0.2.2' });
}

const isArpRequest = (f: Uint8Array) => f[12] === 0x08 && f[13] === 0x06 && f[21] === 1;
const isIcmp = (f: Uint8Array, type: number) => f[12] === 0x08 && f[13] === 0 && f[23] === 1 && f[34] === type;
const isSynAck = (f: Uint8Array) => f[12] === 0x08 && f[13] === 0 && f[23] === 6 && (f[47] & 0x12) === 0x12;
const macOf = (f: Uint8Array) => Array.from(f.subarray(0, 6)).join(':');

function drain(s: Stack): Uint8Array[] {
  return s.outbox.splice(0, s.outbox.length);
}

/** Ethernet + IPv4 + ICMP echo request with `payload` bytes of data. */
function echoRequest(payload: number, srcIp = '192.0.2.1'): Uint8Array {
  const icmpLen = 8 + payload;
  const f = new Uint8Array(14 + 20 + icmpLen);
  const v = new DataView(f.buffer);
  f.set(MAC_B, 0); f.set(MAC_A, 6); v.setUint16(12, 0x0800);
  v.setUint8(14, 0x45); v.setUint16(16, 20 + icmpLen); v.setUint8(22, 64); v.setUint8(23, 1);
  v.setUint32(26, ipToU32(srcIp)); v.setUint32(30, ipToU32('192.0.2.2'));
  v.setUint16(24, ~onesSum(f.subarray(14, 34)) & 0xffff);
  f[34] = 8; v.setUint16(38, 0x1234); v.setUint16(40, 7);
  for (let i = 0; i < payload; i++) f[42 + i] = (i * 7 + 3) & 0xff;
  v.setUint16(36, ~onesSum(f.subarray(34)) & 0xffff);
  return f;
}

test('ICMP port unreachable is rate limited (icmp_msgs_per_sec, icmp_msgs_burst), and counted', T, () => {
  const b = stackB();
  const rate = b.sysctl('icmp_msgs_per_sec'), burst = b.sysctl('icmp_msgs_burst');
  const N = 20_000;
  for (let i = 0; i < N; i++) {
    b.clock.advance(0.05); // 20,000 datagrams in one virtual second
    b.input(udpFrame({ srcMac: MAC_A, dstMac: MAC_B, srcIp: '192.0.2.1', dstIp: '192.0.2.2', sport: 1000 + (i % 5000),
      dport: 9, data: new Uint8Array(8) }));
  }
  const replies = drain(b).filter((f) => isIcmp(f, 3)).length;
  assert.ok(replies >= rate && replies <= burst + rate + 1, `${replies} port-unreachables, rate ${rate}/s burst ${burst}`);
  assert.equal(b.stat('icmp_rate_limited'), N - replies);
  assert.equal(b.stat('udp_no_port'), N);
  // The budget refills: after a quiet second a burst is answered again.
  b.clock.advance(1000);
  for (let i = 0; i < burst; i++) b.input(udpFrame({ srcMac: MAC_A, dstMac: MAC_B, srcIp: '192.0.2.1', dstIp: '192.0.2.2', sport: 7, dport: 9, data: new Uint8Array(1) }));
  assert.equal(drain(b).filter((f) => isIcmp(f, 3)).length, burst);
  // 0 turns the limit off: every datagram is answered.
  assert.equal(b.setSysctl('icmp_msgs_per_sec', 0), 0);
  for (let i = 0; i < 500; i++) b.input(udpFrame({ srcMac: MAC_A, dstMac: MAC_B, srcIp: '192.0.2.1', dstIp: '192.0.2.2', sport: 7, dport: 9, data: new Uint8Array(1) }));
  assert.equal(drain(b).filter((f) => isIcmp(f, 3)).length, 500);
});

test('martian source 127.0.0.1: a SYN is dropped before the SYN queue and ARP, and counted', T, () => {
  const b = stackB();
  const l = b.socket(); b.bind(l, 0, 80); b.listen(l, 8);
  b.input(tcpFrame({ srcMac: MAC_A, dstMac: MAC_B, srcIp: '127.0.0.1', dstIp: '192.0.2.2', sport: 4000, dport: 80, seq: 1, flags: SYN }));
  b.input(echoRequest(8, '127.0.0.5'));
  assert.deepEqual(drain(b), [], 'no SYN-ACK, no echo reply, no ARP request');
  assert.equal(b.stat('ip_martian_src'), 2);
  assert.equal(b.netstatCounts().SYN_RCVD ?? 0, 0);
  for (let i = 0; i < 130; i++) b.runTimers(), b.clock.advance(500);
  assert.deepEqual(drain(b), [], 'nothing retransmitted later either');
});

test('ICMP echo: a full-MTU request (ping -s 1472) is answered byte-exact; larger ones are counted', T, () => {
  const b = stackB();
  const req = echoRequest(1472);
  b.input(req);
  const reply = drain(b).find((f) => isIcmp(f, 0));
  assert.ok(reply, 'echo reply for 1472 bytes of payload');
  assert.equal(reply.length, 14 + 1500);
  assert.deepEqual(reply.subarray(42), req.subarray(42), 'payload echoed byte-exact');
  assert.equal(onesSum(reply.subarray(34)), 0xffff, 'ICMP checksum valid');
  assert.equal(macOf(reply), Array.from(MAC_A).join(':'), 'sent back to the requester');
  b.input(echoRequest(1473)); // 1501-byte datagram: only a peer with a larger MTU sends it
  assert.equal(drain(b).filter((f) => isIcmp(f, 0)).length, 0);
  assert.equal(b.stat('icmp_echo_dropped'), 1);
});

test('SYN flood from spoofed on-link sources: SYN-ACKs go to the frame\'s MAC, ARP requests stay in budget', T, () => {
  const b = stackB();
  const l = b.socket(); b.bind(l, 0, 80); b.listen(l, 8);
  const perSec = b.sysctl('arp_requests_per_sec');
  const N = 5000;
  for (let i = 0; i < N; i++) {
    b.clock.advance(0.2); // 5,000 SYNs in one virtual second, each from another address
    b.input(tcpFrame({ srcMac: MAC_X, dstMac: MAC_B, srcIp: `192.0.2.${10 + (i % 200)}`, dstIp: '192.0.2.2',
      sport: 1024 + i, dport: 80, seq: i * 1000, flags: SYN }));
  }
  const out = drain(b);
  const synacks = out.filter(isSynAck);
  const arps = out.filter(isArpRequest).length;
  assert.equal(synacks.length, N, 'every SYN answered (queue or cookie)');
  assert.ok(synacks.every((f) => macOf(f) === Array.from(MAC_X).join(':')), 'each SYN-ACK to the MAC the SYN came from');
  assert.ok(arps <= 2 * perSec + 1, `${arps} ARP requests in one second, budget ${perSec}/s`);
  assert.ok(b.stat('arp_rate_limited') > 0);
  assert.equal(b.stat('arp_queue_drop'), 0, 'no frame parked waiting for resolution');
});

test('an on-link SYN flood cannot spend the ARP requests a real neighbour needs', T, () => {
  // The posix board's flood test lost a request this way: speculative resolutions of spoofed SYN
  // sources (answered directly to their MAC) used up the whole request budget, so the resolution of
  // a host we really had to send to was refused for as long as the flood lasted.
  const b = stackB();
  const l = b.socket(); b.bind(l, 0, 80); b.listen(l, 8);
  const u = b.udpSocket();
  const wanted: number[] = [];
  for (let i = 0; i < 6000; i++) {
    b.clock.advance(0.5);                           // 2,000 spoofed SYNs a second for 3 s
    b.input(tcpFrame({ srcMac: MAC_X, dstMac: MAC_B, srcIp: `192.0.2.${10 + (i % 200)}`, dstIp: '192.0.2.2',
      sport: 1024 + (i % 60000), dport: 80, seq: i * 1000, flags: SYN }));
    if (i === 2000) b.udpSendto(u, new TextEncoder().encode('to a real host'), '192.0.2.250', 9);
    for (const f of drain(b)) if (isArpRequest(f) && f.subarray(38, 42).join('.') === '192.0.2.250') wanted.push(b.clock.now);
  }
  assert.ok(wanted.length > 0, 'the ARP request for the real neighbour went out during the flood');
  assert.ok(b.stat('arp_rate_limited') > 0, 'the flood itself was rate limited');
});

/** Ethernet + ARP reply from `ip` at `mac` to us (192.0.2.2). */
function arpReply(ip: string, mac: Uint8Array): Uint8Array {
  const f = new Uint8Array(42);
  const v = new DataView(f.buffer);
  f.set(MAC_B, 0); f.set(mac, 6); v.setUint16(12, 0x0806);
  v.setUint16(14, 1); v.setUint16(16, 0x0800); f[18] = 6; f[19] = 4; v.setUint16(20, 2);
  f.set(mac, 22); v.setUint32(28, ipToU32(ip)); f.set(MAC_B, 32); v.setUint32(38, ipToU32('192.0.2.2'));
  return f;
}
const arpTarget = (f: Uint8Array) => f.subarray(38, 42).join('.');
const spoofedSyn = (i: number, dport = 80) => tcpFrame({ srcMac: Uint8Array.from([2, 0x5e, 0, (i >> 16) & 255, (i >> 8) & 255, i & 255]),
  dstMac: MAC_B, srcIp: `192.0.2.${10 + (i % 200)}`, dstIp: '192.0.2.2', sport: 1024 + (i % 60000), dport, seq: i * 1000, flags: SYN });

test('ARP during an on-link SYN flood: a real neighbour\'s resolution keeps its three requests and its parked frame', T, () => {
  // What lost one request in 200 on the posix board's flood test (connected, then nothing for
  // 130 s): the client's ARP entry had to be resolved again, and under the flood (1) the entry,
  // holding the response, was evicted for the flood's speculative entries as soon as its first
  // request went a second unanswered, so each TCP retransmission got one ARP try; and (2) the SYN
  // queue's SYN-ACK retransmissions to the spoofed sources (16 in one tick) filled both parked-frame
  // buffers. The TAP loses about half of the client's replies, so the response waited through
  // every backoff.
  const b = stackB();
  const l = b.socket(); b.bind(l, 0, 80); b.listen(l, 8);
  const u = b.udpSocket();
  const MAC_R = Uint8Array.from([2, 0, 0, 0, 0, 0x25]);
  const asked: number[] = [];
  let delivered: Uint8Array | undefined;
  for (let i = 0; i < 8000; i++) {
    b.clock.advance(0.5);                           // 2,000 spoofed SYNs a second for 4 s
    b.runTimers();
    b.input(spoofedSyn(i));
    // At 750 ms: between two slow-timer ticks, so its request goes a second unanswered before the
    // tick that retries it (one sent on a tick is retried the moment it becomes evictable).
    if (i === 1500) b.udpSendto(u, new TextEncoder().encode('to a real host'), '192.0.2.250', 9);
    for (const f of drain(b)) {
      if (isArpRequest(f) && arpTarget(f) === '192.0.2.250') asked.push(Math.round(b.clock.now));
      if (f[23] === 17 && f.subarray(30, 34).join('.') === '192.0.2.250') delivered = f;
    }
    // The neighbour's first two replies are lost; the third request is answered.
    if (asked.length === 3 && i % 2 === 0 && !delivered) b.input(arpReply('192.0.2.250', MAC_R));
  }
  assert.ok(b.stat('synack_retrans') >= 16, `the SYN queue retransmitted meanwhile (${b.stat('synack_retrans')})`);
  assert.equal(asked.length, 3, `three requests for the real neighbour, at ${asked} ms`);
  assert.ok(asked[1] - asked[0] >= 990 && asked[2] - asked[1] >= 990, `one a second: ${asked}`);
  assert.ok(delivered, 'the datagram parked since 750 ms went out on the reply to the third request');
  assert.equal(macOf(delivered), Array.from(MAC_R).join(':'));
  assert.equal(b.stat('arp_queue_drop'), 0, 'the SYN-ACK retransmissions to spoofed sources parked nothing');
});

test('ARP: a request the budget refuses does not count as unanswered; a stale neighbour stays in use', T, () => {
  const b = stackB();
  assert.equal(b.setSysctl('arp_stale_time', 5), 0);
  assert.equal(b.setSysctl('arp_requests_per_sec', 2), 0);
  const req = arpReplyFromA(); req[21] = 1;                // a request from 192.0.2.1 for us: learned
  b.input(req);
  const u = b.udpSocket();
  const data = new TextEncoder().encode('x');
  // For 12 s, frames to 10 new on-link hosts a second spend the whole request budget.
  for (let t = 0, n = 0; t < 12_000; t += 100) {
    b.clock.advance(100);
    b.runTimers();
    b.udpSendto(u, data, `192.0.2.${100 + (n++ % 150)}`, 9);
  }
  drain(b);
  assert.ok(b.stat('arp_rate_limited') > 20, `the budget was spent (${b.stat('arp_rate_limited')} refused)`);
  b.udpSendto(u, data, '192.0.2.1', 9);
  const out = drain(b).filter((f) => f[23] === 17 && f[33] === 1);
  assert.equal(out.length, 1, 'a datagram to the stale neighbour goes out at once');
  assert.equal(macOf(out[0]), Array.from(MAC_A).join(':'));
});

/**
 * The board-flood test's on-link phase in virtual time: a real client (an asnet stack at
 * 192.0.2.1) makes `requests` HTTP-like requests one after another, 500 ms apart, to B's port 80
 * while 2,000 SYNs a second from spoofed on-link sources (a MAC each) hit B. The client's frames
 * share the flooded TAP queue: `loss` of its segments and `arpLoss` of its ARP replies are dropped
 * (seeded); B's frames all arrive. B answers each request after input, as the board's service does
 * (so not as a direct reply). Returns the requests that did not complete within 130 s.
 */
function floodedClient(seed: number, requests: number, loss: number, arpLoss: number, staleS = 60): string[] {
  const clock = new Clock(1000);
  const a = new Stack({ name: 'A', mac: '02:00:00:00:00:01', ip: '192.0.2.1', clock, seed });
  const b = new Stack({ name: 'B', mac: '02:00:00:00:00:02', ip: '192.0.2.2', clock, seed: seed + 1 });
  b.setSysctl('arp_stale_time', staleS);
  const rng = new Rng(seed + 7);
  const toA: Uint8Array[] = [], toB: Uint8Array[] = [];
  const forA = (f: Uint8Array) => f[0] === 0xff || f.subarray(0, 6).every((x, k) => x === MAC_A[k]);
  b.onOutput = (f) => { if (forA(f)) toA.push(f.slice()); };
  a.onOutput = (f) => { if (rng.float() >= (f[12] === 8 && f[13] === 6 ? arpLoss : loss)) toB.push(f.slice()); };
  const l = b.socket(); b.bind(l, 0, 80); b.listen(l, 64);
  const served = new Set<number>();
  const page = new Uint8Array(600).fill(0x41);
  let spoof = 0;
  const tick = () => {
    toB.push(spoofedSyn(spoof++), spoofedSyn(spoof++));
    for (let n = 0; n < 100 && (toA.length || toB.length); n++) {
      while (toB.length) b.input(toB.shift()!);
      while (toA.length) a.input(toA.shift()!);
    }
    for (let h = b.accept(l); h >= 0; h = b.accept(l)) served.add(h);
    for (const h of served) {
      const r = b.recv(h);
      if (r === EAGAIN) continue;
      if (typeof r !== 'number' && r.length > 0) b.send(h, page);   // the whole request is one segment
      b.close(h);
      served.delete(h);
    }
    clock.advance(1);
    a.runTimers(); b.runTimers();
  };
  const failed: string[] = [];
  for (let r = 0; r < requests; r++) {
    const c = a.socket(); a.connect(c, '192.0.2.2', 80);
    const t0 = clock.now;
    let sent = false, got = 0, done = false;
    while (!done) {
      tick();
      if (!sent && a.state(c) === 4) sent = a.send(c, new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n')) > 0;
      for (let x = sent ? a.recv(c) : EAGAIN; typeof x !== 'number'; x = a.recv(c)) {
        if (x.length === 0) { done = true; if (got !== page.length) failed.push(`request ${r}: ${got} bytes then FIN`); break; }
        got += x.length;
      }
      if (!done && clock.now - t0 > 130_000) { done = true; failed.push(`request ${r}: ${sent ? 'connected, sent, ' : ''}${got} bytes in 130 s`); }
    }
    a.close(c);
    for (let g = 0; g < 500; g++) tick();
  }
  return failed;
}

test('on-link SYN flood in virtual time: every request of a client behind the lossy queue completes (board-flood, fixed seeds)', T, () => {
  // 10 % of the client's segments and 60 % of its ARP replies lost (the posix board's pcap of the
  // flood: 2 of 5 replies lost at light load), the ARP entry re-validated every 5 s instead of 60
  // (so a 150-request run sees as many re-resolutions as a long loaded board run). Before the fix
  // seeds 1, 6 and 15 lost requests exactly as the board did (connected, request acknowledged, then
  // no byte of the response for 130 s): 1, 1 and 2 of 150.
  for (const seed of [1, 6, 15]) assert.deepEqual(floodedClient(seed, 150, 0.1, 0.6, 5), [], `seed ${seed}`);
});

test('a legitimate 1 MiB transfer completes byte-exact during the SYN, ARP and ICMP floods', T, () => {
  const r = runPair({
    seed: 26, bytes: 1 << 20, bidir: true,
    // The virtual wire has no serialisation delay, so the attack is paced by the transfer itself:
    // for every frame the two stacks send, the attacker sends two SYNs from spoofed on-link sources
    // and a datagram to a closed port, plus a martian SYN every tenth frame.
    setup: ({ wire }) => {
      const port = wire.addPort({ name: 'X', mac: MAC_X, deliver: () => {} });
      let i = 0;
      wire.tap((_f, _t, from) => {
        if (from === 'X' || i >= 60_000) return;
        for (let k = 0; k < 2; k++, i++) {
          wire.send(port, tcpFrame({ srcMac: MAC_X, dstMac: MAC_B, srcIp: `192.0.2.${10 + (i % 200)}`, dstIp: '192.0.2.2',
            sport: 1024 + (i % 60000), dport: 5001, seq: i, flags: SYN }));
        }
        wire.send(port, udpFrame({ srcMac: MAC_X, dstMac: MAC_B, srcIp: '192.0.2.99', dstIp: '192.0.2.2', sport: 7,
          dport: 9, data: new Uint8Array(4) }));
        if (i % 20 === 0) wire.send(port, tcpFrame({ srcMac: MAC_X, dstMac: MAC_B, srcIp: '127.0.0.1', dstIp: '192.0.2.2', sport: 9, dport: 5001, seq: 1, flags: SYN }));
      });
    },
  });
  assert.equal(r.gotHash[0], r.sentHash[0]);
  assert.equal(r.gotHash[1], r.sentHash[1]);
  const st = r.b.stats();
  assert.ok(st.syncookies_sent > 0, `the flood reached the listener: ${st.syncookies_sent} cookies`);
  assert.ok(st.icmp_rate_limited > 0, `${st.icmp_rate_limited} ICMP errors limited (${st.udp_no_port} to no port, ${st.udp_in} in, ${st.icmp_out} out, ${r.virtualMs} ms)`);
  assert.ok(st.ip_martian_src > 0, `${st.ip_martian_src} martians dropped`);
  console.log(`during the floods: ${r.virtualMs} virtual ms for 2 x 1 MiB, ${st.syncookies_sent} cookies, ` +
    `${st.icmp_rate_limited} ICMP errors limited, ${st.arp_rate_limited} ARP requests limited, ${st.ip_martian_src} martians`);
});

/**
 * CVE-2016-5696 as the issue measured it: off path, 300 spoofed SYNs on a guessed 4-tuple, then
 * 1,100 in-window RSTs on the attacker's own connection in the same second. Returns how many
 * challenge ACKs the attacker's connection got back.
 */
function sideChannel(seed: number, victimExists: boolean, stepMs = 0): number {
  const p = new Peer({}, seed);
  const victimPort = 41000;
  if (victimExists) {
    const syn = tcpFrame({ srcMac: MAC_A, dstMac: MAC_B, srcIp: '192.0.2.1', dstIp: '192.0.2.2', sport: victimPort, dport: 5001, seq: 5000, flags: SYN });
    const synack = p.input(syn).find((s) => (s.flags & 0x12) === 0x12)!;
    p.input(tcpFrame({ srcMac: MAC_A, dstMac: MAC_B, srcIp: '192.0.2.1', dstIp: '192.0.2.2', sport: victimPort, dport: 5001, seq: 5001, ack: synack.seq + 1, flags: ACK }));
  }
  p.establish();
  for (let i = 0; i < 300; i++) {
    p.input(tcpFrame({ srcMac: MAC_A, dstMac: MAC_B, srcIp: '192.0.2.1', dstIp: '192.0.2.2', sport: victimPort, dport: 5001, seq: i * 7919, flags: SYN }));
  }
  let acks = 0;
  for (let i = 0; i < 1100; i++) {
    if (stepMs) p.b.clock.advance(stepMs);
    acks += p.input(p.seg({ seq: (p.sndNxt + 10) >>> 0, flags: RST })).filter((s) => s.flags === ACK).length;
  }
  return acks;
}

test('challenge-ACK budget: what the attacker counts does not tell whether the victim exists (CVE-2016-5696)', T, () => {
  const withVictim: number[] = [], without: number[] = [];
  for (let seed = 1; seed <= 12; seed++) { withVictim.push(sideChannel(seed, true)); without.push(sideChannel(seed + 100, false)); }
  const range = (a: number[]) => [Math.min(...a), Math.max(...a)];
  const [wLo, wHi] = range(withVictim), [oLo, oHi] = range(without);
  console.log(`challenge ACKs seen by the attacker: victim present ${wLo}..${wHi}, absent ${oLo}..${oHi}`);
  // Before any shared budget, each connection sends at most one challenge ACK per 512 ms tick
  // (Linux's per-socket tcp_invalid_ratelimit), so the attacker's own connection gets the same
  // count whatever the victim used up. (With only the randomised global budget the counts were
  // 202..934 vs 556..1,100: overlapping but still biased; a fixed budget gave exactly 700 vs 1,000.)
  assert.deepEqual(withVictim, without, 'the attacker counts the same with and without a victim');
  assert.ok(withVictim.every((n) => n === 1), `one challenge ACK in the same tick: ${withVictim}`);
  // Spread over 1.1 s (1 ms apart) the connection gets one per tick: 3, with or without a victim.
  const spread = [sideChannel(7, true, 1), sideChannel(107, false, 1)];
  assert.deepEqual(spread, [3, 3], `one per 512 ms tick over 1.1 s: ${spread}`);
});

/**
 * Issue 26 item 1: attackers open connections and send a few 1-byte segments spread over their
 * receive window (never the byte at RCV.NXT), so the stack would reserve blocks for the whole
 * window of each. Driven on the wire while a legitimate transfer runs through the same listener
 * stack. Returns the attackers' ports.
 */
function pinAttack(wire: import('../host/wire.ts').Wire, sim: import('../host/sim.ts').Sim, b: Stack, conns: number, port: number): void {
  const l = b.socket(); b.bind(l, 0, port); b.listen(l, 32);
  const isn = new Map<number, { seq: number; win: number }>();
  const x = wire.addPort({
    name: 'X', mac: MAC_X,
    deliver: (f) => {
      if (f[23] !== 6 || (f[47] & 0x12) !== 0x12) return;
      const v = new DataView(f.buffer, f.byteOffset);
      isn.set(v.getUint16(36), { seq: v.getUint32(38), win: v.getUint16(48) });
    },
  });
  const src = (i: number) => `192.0.2.${50 + i}`;
  const frame = (i: number, seq: number, ack: number, flags: number, payload?: Uint8Array) =>
    tcpFrame({ srcMac: MAC_X, dstMac: MAC_B, srcIp: src(i), dstIp: '192.0.2.2', sport: 30000 + i, dport: port, seq, ack, flags, payload, win: 65535 });
  for (let i = 0; i < conns; i++) wire.send(x, frame(i, 1000, 0, SYN));
  sim.clock.after(5, () => {
    for (let i = 0; i < conns; i++) {
      const s = isn.get(30000 + i);
      if (!s) continue;
      wire.send(x, frame(i, 1001, s.seq + 1, ACK));
      // Seven bytes from just past RCV.NXT to the right edge of the advertised window.
      for (let k = 1; k <= 7; k++) {
        const off = Math.floor((s.win - 1) * k / 7);
        wire.send(x, frame(i, 1001 + off, s.seq + 1, ACK, Uint8Array.of(0x41)));
      }
    }
  });
}

test('out-of-order pinning: a dozen connections cannot take the buffer pool; a 1 MiB transfer stays byte-exact', T, () => {
  let pool = { used: 0, size: 0 };
  const r = runPair({
    // 1 ms one-way delay: the transfer takes a few hundred virtual ms, so the attack (at 5 ms) and
    // the pool snapshot (at 20 ms) happen while it runs.
    seed: 261, bytes: 1 << 20, bidir: true, impair: { delayMs: 1 },
    setup: ({ sim, wire, b }) => {
      pinAttack(wire, sim, b, 12, 6000);
      sim.clock.after(20, () => { const s = b.poolStats(POOL_BLOCKS) as { used: number; size: number }; pool = s; });
    },
  });
  assert.equal(r.gotHash[0], r.sentHash[0]);
  assert.equal(r.gotHash[1], r.sentHash[1]);
  const st = r.b.stats();
  console.log(`pinning attack: ${st.ooo_in} out-of-order segments, ${st.ooo_drop} dropped, ${st.ooo_pruned} pruned, ` +
    `blocks in use after the attack ${pool.used}/${pool.size}, ${r.virtualMs} virtual ms for 2 x 1 MiB`);
  assert.ok(st.ooo_in >= 12, 'the attack reached the connections');
  assert.ok(pool.size > 0 && r.virtualMs > 20, 'the pool was sampled while the transfer ran');
  assert.ok(pool.used <= pool.size - Math.floor(pool.size / 4) + 2, `attack holds ${pool.used}/${pool.size} blocks`);
});

/** A raw client of B's listener on port 80: SYN, and the final ACK once B answered. */
class RawClient {
  synack: { seq: number } | null = null;
  constructor(readonly b: Stack, readonly port: number) {}
  frame(seq: number, ack: number, flags: number): Uint8Array {
    return tcpFrame({ srcMac: MAC_A, dstMac: MAC_B, srcIp: '192.0.2.1', dstIp: '192.0.2.2', sport: this.port, dport: 80, seq, ack, flags });
  }
  syn(): void {
    this.b.input(this.frame(7000, 0, SYN));
    for (const f of drain(this.b)) {
      if (isSynAck(f) && new DataView(f.buffer, f.byteOffset).getUint16(36) === this.port) this.synack = { seq: new DataView(f.buffer, f.byteOffset).getUint32(38) };
    }
  }
  /** Sends the final ACK; returns true when B answered it with an RST. */
  ack(): boolean {
    this.b.input(this.frame(7001, this.synack!.seq + 1, ACK));
    return drain(this.b).some((f) => f[23] === 6 && (f[47] & RST) !== 0);
  }
}

for (const cookies of [1, 2]) {
  test(`PCB pool full (tcp_syncookies=${cookies}): no SYN is answered as if it could get a PCB, none completes unseen`, T, () => {
    const b = stackB();
    assert.equal(b.setSysctl('tcp_syncookies', cookies), 0);
    const l = b.socket(); b.bind(l, 0, 80); b.listen(l, 64);
    const pcbs = (b.poolStats(POOL_TCP_PCBS) as { size: number }).size;
    const held: number[] = [];
    let answered = 0, silent = 0;
    for (let i = 0; i < 3 * pcbs; i++) {
      const c = new RawClient(b, 20000 + i);
      c.syn();
      if (!c.synack) { silent++; continue; }
      answered++;
      assert.equal(c.ack(), false, 'an answered handshake completes');
      const h = b.accept(l);
      assert.ok(h > 0, `accept after handshake ${i}: ${h}`);
      held.push(h);                                  // the application keeps every connection
    }
    assert.equal(answered, pcbs, 'exactly as many handshakes answered as there are PCBs');
    assert.equal(silent, 2 * pcbs);
    assert.equal(b.stat('listen_no_pcb'), 2 * pcbs);
    // The pool runs out between SYN and final ACK: two SYNs answered while one PCB is left.
    b.abort(held.pop()!);                           // RST: the PCB is free at once
    drain(b);
    const c1 = new RawClient(b, 30001), c2 = new RawClient(b, 30002);
    c1.syn(); c2.syn();
    assert.ok(c1.synack && c2.synack, 'both answered while a PCB could be had');
    assert.equal(c1.ack(), false);
    const rst = c2.ack();
    if (cookies === 2) assert.equal(rst, true, 'a cookie handshake without a PCB is reset at once');
    else assert.equal(rst, false, 'a queued handshake without a PCB keeps its entry (SYN-ACK retried)');
    assert.equal(b.stat('listen_no_pcb'), 2 * pcbs + 1);
  });
}

/** Ethernet + ARP reply from 192.0.2.1 (MAC_A) to us. */
function arpReplyFromA(): Uint8Array {
  const f = new Uint8Array(42);
  const v = new DataView(f.buffer);
  f.set(MAC_B, 0); f.set(MAC_A, 6); v.setUint16(12, 0x0806);
  v.setUint16(14, 1); v.setUint16(16, 0x0800); f[18] = 6; f[19] = 4; v.setUint16(20, 2);
  f.set(MAC_A, 22); v.setUint32(28, ipToU32('192.0.2.1')); f.set(MAC_B, 32); v.setUint32(38, ipToU32('192.0.2.2'));
  return f;
}

// Issue 26 remainder: ARP parked one frame per neighbour, so when two clients behind an unresolved
// gateway connected at once the second SYN-ACK replaced the first, which then waited for the SYN
// queue's 1 s retransmission. The parked frames are now a shared pool (ARP_PENDING_BUFFERS = 2).
test('ARP: two SYN-ACKs parked for one unresolved gateway both go out on its reply; the pool bound holds', T, () => {
  const b = new Stack({ name: 'B', mac: '02:00:00:00:00:02', ip: '192.0.2.2', gateway: '192.0.2.1' });
  const l = b.socket(); b.bind(l, 0, 80); b.listen(l, 8);
  const syn = (src: string) => tcpFrame({ srcMac: MAC_A, dstMac: MAC_B, srcIp: src, dstIp: '192.0.2.2', sport: 40000, dport: 80, seq: 1, flags: SYN });
  b.input(syn('198.51.100.10'));
  b.input(syn('198.51.100.11'));
  let out = drain(b);
  assert.equal(out.filter(isArpRequest).length, 1, 'one request for the gateway');
  assert.equal(out.filter(isSynAck).length, 0, 'the SYN-ACKs wait for the gateway\'s MAC');
  b.input(arpReplyFromA());
  out = drain(b).filter(isSynAck);
  assert.equal(out.length, 2, `both SYN-ACKs on the reply (got ${out.length})`);
  assert.deepEqual(out.map((f) => f[33]).sort(), [10, 11], 'one to each client');
  assert.ok(out.every((f) => macOf(f) === Array.from(MAC_A).join(':')));
  assert.equal(b.stat('arp_queue_drop'), 0);
  // Three clients at once through the unresolved gateway:
  // the pool holds two frames, the third is dropped and counted, the two go out.
  const c = new Stack({ name: 'C', mac: '02:00:00:00:00:02', ip: '192.0.2.2', gateway: '192.0.2.1' });
  const lc = c.socket(); c.bind(lc, 0, 80); c.listen(lc, 8);
  for (const src of ['198.51.100.20', '198.51.100.21', '198.51.100.22']) c.input(syn(src));
  drain(c);
  assert.equal(c.stat('arp_queue_drop'), 1, 'the third frame found the pool full');
  c.input(arpReplyFromA());
  assert.equal(drain(c).filter(isSynAck).length, 2);
});

// On the real TAP the gateway's entry went stale every arp_stale_time and was dropped at once:
// frames to it were parked (two) or dropped until its reply made it through the overflowing TAP
// queue. A stale entry now stays in use while it is re-validated.
test('ARP: a stale entry stays in use while it is re-validated, and goes when the requests are unanswered', T, () => {
  const b = stackB();
  assert.equal(b.setSysctl('arp_stale_time', 5), 0);
  const req = arpReplyFromA(); req[21] = 1;                // a request from 192.0.2.1 for us: learned
  b.input(req);
  drain(b);
  const tick = (ms: number) => { for (let t = 0; t < ms; t += 250) { b.clock.advance(250); b.runTimers(); } };
  tick(5500);
  const asks = (out: Uint8Array[]) => out.filter((f) => isArpRequest(f) && f[41] === 1).length;
  assert.equal(asks(drain(b)), 1, 'stale: one request to re-validate');
  const s = b.socket();
  b.connect(s, '192.0.2.1', 7);
  const syns = drain(b).filter((f) => f[12] === 0x08 && f[13] === 0 && f[23] === 6 && (f[47] & 0x12) === 0x02);
  assert.equal(syns.length, 1, 'the SYN goes out at once, to the cached MAC');
  assert.equal(macOf(syns[0]), Array.from(MAC_A).join(':'));
  b.abort(s);                                             // (no SYN retransmission to re-resolve it)
  drain(b);
  tick(3000);                                             // two more requests, none answered: gone
  assert.equal(asks(drain(b)), 2);
  const s2 = b.socket();
  b.connect(s2, '192.0.2.1', 8);
  const out = drain(b);
  assert.equal(asks(out), 1, 'resolved afresh');
  assert.equal(out.filter((f) => f[23] === 6 && (f[47] & 0x12) === 0x02 && f[37] === 8).length, 0, 'that SYN waits for the reply');
});
