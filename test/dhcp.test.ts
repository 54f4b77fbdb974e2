// Issue 13: the DHCP client (RFC 2131) against a DHCP server written for the harness
// (test/helpers/dhcp-server.ts): acquisition with RFC 5227 probing, renew at T1, rebind at T2,
// expiry, NAK, retransmission backoff, conflict -> DECLINE, release on stop; then TCP on the
// leased address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from '../host/sim.ts';
import { EALREADY, EBADF, EV_CONNECTED, EV_ERROR } from '../host/abi.ts';
import type { Stack, DhcpInfo } from '../host/stack.ts';
import { RawHost, parseMac } from './helpers/raw-host.ts';
import { DhcpServer, DISCOVER, REQUEST, DECLINE, RELEASE } from './helpers/dhcp-server.ts';

const CLIENT_MAC = '02:00:00:00:00:0c';

function world(opts: { lease?: number; t1?: number; t2?: number } = {}) {
  const sim = new Sim({ seed: 13 });
  const c = sim.addStack({ name: 'C', mac: CLIENT_MAC, ip: '0.0.0.0', netmask: '0.0.0.0', build: 'debug' });
  const wire = sim.connect([c]);
  const host = new RawHost(wire, 'S', parseMac('02:00:00:00:00:67'), '192.0.2.1');
  const server = new DhcpServer(host, { pool: '192.0.2.100', router: '192.0.2.1', dns: '192.0.2.53', ...opts },
    () => sim.clock.now);
  const events: number[] = [];
  c.onEvent((e) => events.push(e.events));
  return { sim, c, wire, host, server, events };
}

function info(c: Stack, h: number): DhcpInfo {
  const i = c.dhcpInfo(h);
  assert.ok(typeof i === 'object', `dhcp_info returned ${String(i)}`);
  return i;
}

test('acquires a lease: DISCOVER, OFFER, REQUEST, ACK, ARP probes, announcement, EV_CONNECTED', () => {
  const { sim, c, host, server, events } = world();
  const h = c.dhcpStart();
  assert.ok(h > 0);
  sim.run({ for: 6000 });
  const [d, r] = server.log;
  assert.equal(d.type, DISCOVER);
  assert.equal(d.dstIp, '255.255.255.255');
  assert.equal(d.srcIp, '0.0.0.0');
  assert.deepEqual([1, 3, 6].filter((o) => d.paramList.includes(o)), [1, 3, 6]);
  assert.equal(r.type, REQUEST);
  assert.equal(r.xid, d.xid, 'REQUEST carries the xid of the DISCOVER (RFC 2131 §4.4.1)');
  assert.equal(r.requestedIp, '192.0.2.100');
  assert.equal(r.serverId, '192.0.2.1');
  const fromClient = host.arps.filter((a) => a.sha === CLIENT_MAC);
  assert.deepEqual(fromClient.slice(0, 3).map((a) => `${a.spa}>${a.tpa}`),
    ['0.0.0.0>192.0.2.100', '0.0.0.0>192.0.2.100', '192.0.2.100>192.0.2.100'], 'two probes then an announcement (RFC 5227)');
  const i = info(c, h);
  assert.equal(i.stateName, 'BOUND');
  assert.deepEqual([i.ip, i.netmask, i.gateway, i.dns, i.server], ['192.0.2.100', '255.255.255.0', '192.0.2.1', '192.0.2.53', '192.0.2.1']);
  assert.equal(i.lease, 3600);
  assert.ok(i.t1 > 1790 && i.t1 <= 1800 && i.t2 > 3140 && i.t2 <= 3150, JSON.stringify(i));
  assert.ok(events.some((e) => e & EV_CONNECTED));
  assert.equal(c.stat('dhcp_bound'), 1);
  assert.equal(c.checkInvariants(), 0);
});

test('the leased address carries TCP: a static host connects and exchanges data', () => {
  const { sim, c, wire } = world();
  const h = c.dhcpStart();
  sim.run({ for: 6000 });
  assert.equal(info(c, h).ip, '192.0.2.100');
  const peer = sim.addStack({ name: 'P', mac: '02:00:00:00:00:0d', ip: '192.0.2.9' });
  wire.attach(peer);
  const l = c.socket(); c.bind(l, 0, 80); c.listen(l, 1);
  const s = peer.socket(); peer.connect(s, '192.0.2.100', 80);
  sim.run({ for: 200 });
  const a = c.accept(l);
  assert.ok(a > 0, `accept ${a}`);
  peer.send(s, new TextEncoder().encode('hello lease'));
  sim.run({ for: 500 });
  assert.equal(new TextDecoder().decode(c.recv(a) as Uint8Array), 'hello lease');
});

test('renews at T1 by unicast to the server, stays BOUND', () => {
  const { sim, c, server } = world({ lease: 60, t1: 30, t2: 50 });
  const h = c.dhcpStart();
  sim.run({ for: 6000 });
  const bound = server.log.find((m) => m.type === REQUEST)!.at;     // ACK at the same virtual instant
  sim.run({ for: 30_000 });
  const renew = server.log.filter((m) => m.type === REQUEST).at(-1)!;
  assert.equal(renew.ciaddr, '192.0.2.100');
  assert.equal(renew.requestedIp, undefined, 'RENEWING: no requested-IP option (RFC 2131 §4.3.2)');
  assert.equal(renew.serverId, undefined);
  assert.equal(renew.dstIp, '192.0.2.1', 'unicast to the server');
  assert.ok(renew.at - bound >= 29_000 && renew.at - bound <= 31_000, `renewed after ${renew.at - bound} ms`);
  assert.equal(c.stat('dhcp_renewed'), 1);
  assert.equal(info(c, h).stateName, 'BOUND');
  assert.ok(info(c, h).expires > 50, "the lease was extended");
});

test('server gone: rebinds by broadcast at T2, then the lease expires and the address is dropped', () => {
  const { sim, c, server, events } = world({ lease: 60, t1: 30, t2: 50 });
  const h = c.dhcpStart();
  sim.run({ for: 6000 });
  const bound = server.log.find((m) => m.type === REQUEST)!.at;     // ACK at the same virtual instant
  server.silent = true;
  sim.run({ for: 51_000 });
  assert.equal(info(c, h).stateName, 'REBINDING');
  const rebind = server.log.filter((m) => m.type === REQUEST && m.dstIp === '255.255.255.255' && m.ciaddr !== '0.0.0.0');
  assert.ok(rebind.length >= 1 && rebind[0].at - bound >= 49_000, 'broadcast REQUEST at T2');
  sim.run({ for: 10_000 });
  const i = info(c, h);
  assert.equal(i.ip, '0.0.0.0');
  assert.ok(['INIT', 'SELECTING'].includes(i.stateName), i.stateName);
  assert.equal(c.stat('dhcp_expired'), 1);
  assert.ok(events.some((e) => e & EV_ERROR), 'EV_ERROR when the address is lost');
  assert.ok(server.log.filter((m) => m.type === DISCOVER).length >= 2, 'starts over with DISCOVER');
});

test('NAK while renewing: address dropped, EV_ERROR, acquisition restarts', () => {
  const { sim, c, server, events } = world({ lease: 60, t1: 30, t2: 50 });
  const h = c.dhcpStart();
  sim.run({ for: 6000 });
  server.nakNext = true;
  sim.run({ for: 30_000 });
  assert.equal(c.stat('dhcp_nak'), 1);
  assert.ok(events.some((e) => e & EV_ERROR));
  sim.run({ for: 6000 });
  assert.equal(info(c, h).stateName, 'BOUND', 'bound again after a fresh DISCOVER');
  assert.equal(c.stat('dhcp_bound'), 2);
});

test('retransmits DISCOVER with exponential backoff (4, 8, 16 s, +-1 s) keeping the xid', () => {
  const { sim, c, server } = world();
  server.ignore = 3;
  const h = c.dhcpStart();
  sim.run({ for: 40_000 });
  const disc = server.log.filter((m) => m.type === DISCOVER);
  assert.ok(disc.length >= 4);
  const gaps = disc.slice(1, 4).map((m, i) => m.at - disc[i].at);
  for (const [i, base] of [4000, 8000, 16000].entries()) {
    assert.ok(gaps[i] >= base - 1000 && gaps[i] <= base + 1000 + 500, `gap ${i}: ${gaps[i]} ms`);
  }
  assert.ok(disc.slice(0, 4).every((m) => m.xid === disc[0].xid));
  assert.ok(disc[3].secs >= 27, 'secs counts from the first DISCOVER');
  assert.equal(info(c, h).stateName, 'BOUND');
});

test('address conflict during probing: DECLINE, 10 s pause, next address', () => {
  const { sim, c, wire, server } = world();
  const squatter = new RawHost(wire, 'X', parseMac('02:00:00:00:00:99'), '192.0.2.100');
  void squatter;
  const h = c.dhcpStart();
  sim.run({ for: 6000 });
  const decline = server.log.find((m) => m.type === DECLINE);
  assert.ok(decline, 'DECLINE sent');
  assert.equal(decline.requestedIp, '192.0.2.100');
  assert.equal(c.stat('dhcp_conflicts'), 1);
  const rediscover = server.log.find((m) => m.type === DISCOVER && m.at > decline.at);
  sim.run({ for: 15_000 });
  const again = server.log.find((m) => m.type === DISCOVER && m.at > decline.at)!;
  assert.ok(!rediscover || rediscover.at - decline.at >= 10_000);
  assert.ok(again.at - decline.at >= 10_000, `waited ${again.at - decline.at} ms (RFC 2131 §3.1.5)`);
  assert.equal(info(c, h).ip, '192.0.2.101');
});

test('dhcp_stop releases the lease and clears the address; misuse returns error codes', () => {
  const { sim, c, server } = world();
  const h = c.dhcpStart();
  assert.equal(c.dhcpStart(), EALREADY);
  sim.run({ for: 6000 });
  assert.equal(c.dhcpStop(h), 0);
  sim.run({ for: 100 });
  const rel = server.log.find((m) => m.type === RELEASE);
  assert.ok(rel && rel.ciaddr === '192.0.2.100' && rel.serverId === '192.0.2.1');
  assert.equal(c.dhcpInfo(h), EBADF);
  assert.equal(c.dhcpStop(h), EBADF);
  assert.equal(c.udpClose(h), EBADF);
  assert.equal(c.close(h), EBADF);
  const h2 = c.dhcpStart();
  assert.ok(h2 > 0, 'can start again');
  assert.equal(c.checkInvariants(), 0);
});
