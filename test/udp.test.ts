// Issue 13: UDP sockets (RFC 768, RFC 1122 §4.1) between two stacks and against a raw host:
// echo byte-exact with the sender's address, connected sockets, ICMP port unreachable both ways,
// checksums (bad dropped, zero accepted), broadcast, receive-buffer limit and recovery,
// truncation, and every misuse answered with an error code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from '../host/sim.ts';
import {
  EADDRINUSE, EADDRNOTAVAIL, EAGAIN, EBADF, ECONNREFUSED, EDESTADDRREQ, EFAULT, EINVAL, EMSGSIZE, ENOBUFS,
  EOPNOTSUPP, EV_ERROR, EV_READABLE, POOL_BLOCKS, POOL_UDP_PCBS,
} from '../host/abi.ts';
import type { Datagram, PoolStats, Stack } from '../host/stack.ts';
import { RawHost, parseMac, udpFrame } from './helpers/raw-host.ts';

/** Resolves ARP both ways first: while ARP resolves, only the newest frame per destination is held (as lwIP without ARP_QUEUEING). */
function warm(sim: Sim, a: Stack, b: Stack): void {
  const x = a.udpSocket(), y = b.udpSocket();
  a.udpSendto(x, new Uint8Array(1), b.ip, 9); b.udpSendto(y, new Uint8Array(1), a.ip, 9);
  sim.run({ for: 50 });
  a.udpClose(x); b.udpClose(y);
}

function pair() {
  const sim = new Sim({ seed: 768 });
  const a = sim.addStack({ name: 'A', mac: '02:00:00:00:00:01', ip: '192.0.2.1', build: 'debug' });
  const b = sim.addStack({ name: 'B', mac: '02:00:00:00:00:02', ip: '192.0.2.2', build: 'debug' });
  const wire = sim.connect([a, b]);
  return { sim, a, b, wire };
}

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (d: Datagram | number) => (typeof d === 'number' ? `error ${d}` : new TextDecoder().decode(d.data));

test('echo: datagrams both ways, byte-exact, with the sender address; EV_READABLE', () => {
  const { sim, a, b } = pair();
  const srv = a.udpSocket(); assert.equal(a.udpBind(srv, 0, 7), 0);
  const cli = b.udpSocket();
  const evs: number[] = [];
  a.onEvent((e) => { if (e.handle === srv) evs.push(e.events); });
  const payload = Uint8Array.from({ length: 1472 }, (_, i) => (i * 7) & 255);
  assert.equal(b.udpSendto(cli, payload, '192.0.2.1', 7), 1472);
  sim.run({ for: 50 });
  assert.ok(evs.some((e) => e & EV_READABLE));
  const got = a.udpRecvfrom(srv) as Datagram;
  assert.deepEqual(got.data, payload);
  assert.equal(got.ip, '192.0.2.2');
  assert.ok(got.port >= 49152, `ephemeral source port ${got.port}`);
  assert.equal(a.udpSendto(srv, got.data, got.ip, got.port), 1472);
  sim.run({ for: 50 });
  const back = b.udpRecvfrom(cli) as Datagram;
  assert.deepEqual(back.data, payload);
  assert.deepEqual([back.ip, back.port], ['192.0.2.1', 7]);
  assert.equal(b.udpRecvfrom(cli), EAGAIN);
  assert.equal(a.checkInvariants(), 0);
  assert.equal(b.checkInvariants(), 0);
});

test('connected socket: default destination, filters other senders, ECONNREFUSED from ICMP port unreachable', () => {
  const { sim, a, b } = pair();
  const cli = b.udpSocket();
  assert.equal(b.udpBind(cli, 0, 6000), 0);
  assert.equal(b.udpConnect(cli, '192.0.2.1', 9999), 0);
  const evs: number[] = [];
  b.onEvent((e) => { if (e.handle === cli) evs.push(e.events); });
  assert.equal(b.udpSendto(cli, bytes('anyone?')), 7);
  sim.run({ for: 50 });
  assert.equal(a.stat('udp_no_port'), 1);
  assert.equal(a.stat('icmp_out'), 1, 'port unreachable sent (RFC 1122 §4.1.3.1)');
  assert.ok(evs.some((e) => e & EV_ERROR));
  assert.equal(b.udpRecvfrom(cli), ECONNREFUSED);
  assert.equal(b.udpRecvfrom(cli), EAGAIN, 'reported once');
  const srv = a.udpSocket(); a.udpBind(srv, 0, 9999);
  const other = a.udpSocket(); a.udpBind(other, 0, 5000);
  const me = 6000;
  a.udpSendto(other, bytes('stranger'), '192.0.2.2', me);
  a.udpSendto(srv, bytes('peer'), '192.0.2.2', me);
  sim.run({ for: 50 });
  assert.equal(text(b.udpRecvfrom(cli)), 'peer');
  assert.equal(b.udpRecvfrom(cli), EAGAIN, 'the stranger was filtered');
});

test('checksums: a bad one is dropped and counted; zero (none computed) is accepted', () => {
  const { sim, a, wire } = pair();
  const srv = a.udpSocket(); a.udpBind(srv, 0, 7);
  const raw = new RawHost(wire, 'R', parseMac('02:00:00:00:00:09'), '192.0.2.9');
  const frame = (data: string, noChecksum = false) => udpFrame({ srcMac: raw.mac, dstMac: a.mac, srcIp: raw.ip,
    dstIp: '192.0.2.1', sport: 1234, dport: 7, data: bytes(data), noChecksum });
  const bad = frame('corrupt'); bad[bad.length - 1] ^= 0x20;
  wire.send(raw.port, bad);
  wire.send(raw.port, frame('no checksum', true));
  sim.run({ for: 50 });
  assert.equal(a.stat('udp_csum_err'), 1);
  assert.equal(text(a.udpRecvfrom(srv)), 'no checksum');
  assert.equal(a.udpRecvfrom(srv), EAGAIN);
  const trunc = frame('short'); trunc[38] = 0; trunc[39] = 200;          // UDP length beyond the datagram
  wire.send(raw.port, trunc);
  sim.run({ for: 50 });
  assert.equal(a.stat('udp_hdr_err'), 1);
});

test('broadcast: received by a bound socket, never answered with ICMP', () => {
  const { sim, a, b } = pair();
  const srv = a.udpSocket(); a.udpBind(srv, 0, 5353);
  const cli = b.udpSocket();
  b.udpSendto(cli, bytes('hello all'), '255.255.255.255', 5353);
  b.udpSendto(cli, bytes('hello subnet'), '192.0.2.255', 5353);
  b.udpSendto(cli, bytes('nobody'), '255.255.255.255', 5354);
  sim.run({ for: 50 });
  assert.equal(text(a.udpRecvfrom(srv)), 'hello all');
  assert.equal(text(a.udpRecvfrom(srv)), 'hello subnet');
  assert.equal(a.stat('icmp_out'), 0);
  assert.equal(b.stat('arp_out'), 0, 'broadcasts need no ARP');
});

test('receive buffer: a flood is bounded by udp_rmem_default, counted, and the blocks come back', () => {
  const { sim, a, b } = pair();
  const srv = a.udpSocket(); a.udpBind(srv, 0, 7);
  const cli = b.udpSocket();
  warm(sim, a, b);
  for (let i = 0; i < 20; i++) b.udpSendto(cli, new Uint8Array(1000).fill(i), '192.0.2.1', 7);
  sim.run({ for: 100 });
  const kept = 4096 / 1008 | 0;
  assert.equal(a.stat('udp_rcvbuf_drop'), 20 - kept);
  for (let i = 0; i < kept; i++) assert.equal((a.udpRecvfrom(srv) as Datagram).data[0], i, 'in order');
  assert.equal(a.udpRecvfrom(srv), EAGAIN);
  assert.equal((a.poolStats(POOL_BLOCKS) as PoolStats).used, 0);
  assert.equal(a.setSysctl('udp_rmem_default', 65535), 0);
  for (let i = 0; i < 20; i++) b.udpSendto(cli, new Uint8Array(1000).fill(i), '192.0.2.1', 7);
  sim.run({ for: 100 });
  let n = 0;
  while (typeof a.udpRecvfrom(srv) === 'object') n++;
  assert.equal(n, 20, 'recovers once the application reads');
  assert.equal(a.checkInvariants(), 0);
});

test('truncation: a short read gets the head of the datagram, the rest is discarded', () => {
  const { sim, a, b } = pair();
  const srv = a.udpSocket(); a.udpBind(srv, 0, 7);
  const cli = b.udpSocket();
  warm(sim, a, b);
  b.udpSendto(cli, bytes('0123456789'), '192.0.2.1', 7);
  b.udpSendto(cli, bytes('next'), '192.0.2.1', 7);
  sim.run({ for: 50 });
  assert.equal(text(a.udpRecvfrom(srv, 4)), '0123');
  assert.equal(text(a.udpRecvfrom(srv)), 'next');
});

test('misuse: every wrong call returns an error code', () => {
  const { a } = pair();
  const u = a.udpSocket();
  assert.equal(a.udpBind(u, '192.0.2.77', 7), EADDRNOTAVAIL);
  assert.equal(a.udpBind(u, 0, 70000), EINVAL);
  assert.equal(a.udpBind(u, 0, 7), 0);
  assert.equal(a.udpBind(u, 0, 8), EINVAL, 'already bound');
  const v = a.udpSocket();
  assert.equal(a.udpBind(v, 0, 7), EADDRINUSE);
  assert.equal(a.udpSendto(v, bytes('x')), EDESTADDRREQ);
  assert.equal(a.udpSendto(v, new Uint8Array(1473), '192.0.2.2', 7), EMSGSIZE);
  assert.equal(a.udpSendto(v, bytes('x'), '192.0.2.2', 0), EINVAL);
  assert.equal(a.udpConnect(v, '192.0.2.2', 0), EINVAL);
  assert.equal(a.x.udp_sendto(v, 0, 10, 0xc0000202, 7), EFAULT);
  assert.equal(a.x.udp_recvfrom(v, a.x.io_buffer(), 10, 4), EFAULT);
  const t = a.socket();
  assert.equal(a.udpSendto(t, bytes('x'), '192.0.2.2', 7), EBADF, 'a TCP handle is not a UDP socket');
  assert.equal(a.send(u, bytes('x')), EOPNOTSUPP, 'a UDP handle is not a TCP socket');
  assert.equal(a.close(u), EOPNOTSUPP);
  const w = a.udpSocket(), x = a.udpSocket();
  assert.ok(w > 0 && x > 0);
  assert.equal(a.udpSocket(), ENOBUFS, 'the UDP pool (4) is empty');
  assert.equal((a.poolStats(POOL_UDP_PCBS) as PoolStats).used, 4);
  for (const h of [u, v, w, x]) assert.equal(a.udpClose(h), 0);
  assert.equal(a.udpClose(u), EBADF);
  assert.equal(a.udpRecvfrom(u), EBADF);
  assert.equal((a.poolStats(POOL_UDP_PCBS) as PoolStats).used, 0);
  assert.equal(a.checkInvariants(), 0);
});
