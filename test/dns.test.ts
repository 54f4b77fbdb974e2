// Issue 13: the DNS stub resolver against a scripted server (test/helpers/dns-server.ts): A
// answers, CNAME chains, NXDOMAIN / SERVFAIL / no-data errors, retries then ETIMEDOUT, the cache
// and its TTL, ID/port checks against spoofed replies, and the server learned from DHCP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from '../host/sim.ts';
import { EAGAIN, EBADF, EDESTADDRREQ, EFAULT, EINVAL, EIO, ENOBUFS, ENODATA, ENOENT, ETIMEDOUT, EV_READABLE } from '../host/abi.ts';
import type { Stack, DnsAnswer } from '../host/stack.ts';
import { RawHost, parseMac } from './helpers/raw-host.ts';
import { DnsServer, encodeName } from './helpers/dns-server.ts';
import { DhcpServer } from './helpers/dhcp-server.ts';

function world() {
  const sim = new Sim({ seed: 53 });
  const c = sim.addStack({ name: 'C', mac: '02:00:00:00:00:0c', ip: '192.0.2.2', build: 'debug' });
  const wire = sim.connect([c]);
  const host = new RawHost(wire, 'NS', parseMac('02:00:00:00:00:35'), '192.0.2.53');
  const dns = new DnsServer(host, {
    'device.example': { ip: '192.0.2.77', ttl: 300 },
    'www.example': { ip: '192.0.2.80', ttl: 60, cname: 'web.example' },
    'short.example': { ip: '192.0.2.81', ttl: 2 },
    'zero.example': { ip: '192.0.2.82', ttl: 0 },
    'broken.example': 'SERVFAIL',
    'mx-only.example': 'NODATA',
  }, () => sim.clock.now);
  c.dnsSetServer('192.0.2.53');
  const ready = new Set<number>();
  c.onEvent((e) => { if (e.events & EV_READABLE) ready.add(e.handle); });
  return { sim, c, wire, host, dns, ready };
}

function lookup(w: ReturnType<typeof world>, name: string, forMs = 500): { h: number; r: DnsAnswer | number } {
  const h = w.c.dnsQuery(name);
  if (h < 0) return { h, r: h };
  w.sim.run({ for: forMs });
  return { h, r: w.c.dnsResult(h) };
}

test('A record: answer, TTL, EV_READABLE, the handle is freed by dns_result', () => {
  const w = world();
  const { h, r } = lookup(w, 'Device.Example.');
  assert.deepEqual(r, { ip: '192.0.2.77', ttl: 300 });
  assert.ok(w.ready.has(h), 'EV_READABLE on the query handle');
  assert.equal(w.c.dnsResult(h), EBADF, 'freed');
  assert.equal(w.dns.log[0].name, 'device.example', 'lowercased, trailing dot removed');
  assert.equal(w.c.checkInvariants(), 0);
});

test('CNAME chain: the A record after the alias is used', () => {
  const w = world();
  assert.deepEqual(lookup(w, 'www.example').r, { ip: '192.0.2.80', ttl: 60 });
});

test('errors: NXDOMAIN -> ENOENT, SERVFAIL -> EIO, no A record -> ENODATA', () => {
  const w = world();
  assert.equal(lookup(w, 'nope.example').r, ENOENT);
  assert.equal(lookup(w, 'broken.example').r, EIO);
  assert.equal(lookup(w, 'mx-only.example').r, ENODATA);
});

test('retries after 1 s and 2 s, then ETIMEDOUT after 7 s; each query from a random port and ID', () => {
  const w = world();
  w.dns.ignore = 1000;
  const h = w.c.dnsQuery('device.example');
  w.sim.run({ for: 6500 });
  assert.equal(w.c.dnsResult(h), EAGAIN);
  w.sim.run({ for: 1000 });
  assert.equal(w.c.dnsResult(h), ETIMEDOUT);
  const at = w.dns.log.map((q) => q.at - w.dns.log[0].at);
  assert.equal(at.length, 3);
  assert.ok(at[1] >= 1000 && at[1] <= 1500 && at[2] - at[1] >= 2000 && at[2] - at[1] <= 2500, JSON.stringify(at));
  assert.equal(w.c.stat('dns_timeouts'), 1);
  const h2 = w.c.dnsQuery('device.example');
  w.sim.run({ for: 10 });
  w.c.dnsCancel(h2);
  const ports = new Set(w.dns.log.map((q) => q.sport)), ids = new Set(w.dns.log.map((q) => q.id));
  assert.ok(ids.size >= 3, 'a fresh ID per transmission');
  assert.ok(ports.size >= 2, 'a fresh source port per query (RFC 5452 §9.2)');
});

test('a lost reply is retried and then answered', () => {
  const w = world();
  w.dns.ignore = 1;
  assert.deepEqual(lookup(w, 'device.example', 1500).r, { ip: '192.0.2.77', ttl: 300 });
  assert.equal(w.dns.log.length, 2);
});

test('cache: a second lookup is answered without a query until the TTL runs out; TTL 0 is not cached', () => {
  const w = world();
  assert.deepEqual(lookup(w, 'short.example').r, { ip: '192.0.2.81', ttl: 2 });
  const { h, r } = lookup(w, 'short.example', 0);
  assert.equal((r as DnsAnswer).ip, '192.0.2.81');
  assert.ok(h > 0 && w.dns.log.length === 1 && w.c.stat('dns_cache_hits') === 1);
  w.sim.run({ for: 2500 });
  lookup(w, 'short.example');
  assert.equal(w.dns.log.length, 2, 'expired entry: asked again');
  lookup(w, 'zero.example');
  lookup(w, 'zero.example');
  assert.equal(w.dns.log.length, 4);
});

test('spoofed replies (wrong ID, wrong source, wrong question) are ignored', () => {
  const w = world();
  w.dns.ignore = 1;                                   // the real answer comes after one retry
  const h = w.c.dnsQuery('device.example');
  w.sim.run({ for: 10 });
  const q = w.dns.log[0];
  const query = new Uint8Array([...[q.id >> 8, q.id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0], ...encodeName('device.example'), 0, 1, 0, 1]);
  const qEnd = query.length;
  const cMac = w.c.mac;
  w.dns.records['evil.example'] = { ip: '203.0.113.66', ttl: 300 };
  w.host.sendUdp(cMac, '192.0.2.2', 53, q.sport, w.dns.answer(query, { id: q.id ^ 1, name: 'device.example', qEnd }));
  w.host.sendUdp(cMac, '192.0.2.2', 53, q.sport, w.dns.answer(query, { id: q.id, name: 'device.example', qEnd }), '192.0.2.66');
  const wrongQ = w.dns.answer(new Uint8Array([...query.subarray(0, 12), ...encodeName('evil.example'), 0, 1, 0, 1]),
    { id: q.id, name: 'evil.example', qEnd: 12 + encodeName('evil.example').length + 4 });
  w.host.sendUdp(cMac, '192.0.2.2', 53, q.sport, wrongQ);
  w.sim.run({ for: 100 });
  assert.equal(w.c.dnsResult(h), EAGAIN, 'still waiting');
  assert.ok(w.c.stat('dns_bad_reply') >= 2);
  w.sim.run({ for: 1500 });
  assert.deepEqual(w.c.dnsResult(h), { ip: '192.0.2.77', ttl: 300 });
});

test('misuse: bad names, no server, all queries busy, bad handles', () => {
  const w = world();
  assert.equal(w.c.dnsQuery(''), EFAULT);
  assert.equal(w.c.dnsQuery('a..b'), EINVAL);
  assert.equal(w.c.dnsQuery('x'.repeat(64) + '.example'), EINVAL);
  assert.equal(w.c.dnsQuery('bad name.example'), EINVAL);
  const a = w.c.dnsQuery('device.example'), b = w.c.dnsQuery('www.example');
  assert.ok(a > 0 && b > 0);
  assert.equal(w.c.dnsQuery('short.example'), ENOBUFS);
  assert.equal(w.c.dnsCancel(a), 0);
  assert.equal(w.c.dnsCancel(a), EBADF);
  assert.equal(w.c.dnsResult(12345), EBADF);
  w.c.dnsCancel(b);
  w.c.dnsSetServer(0);
  assert.equal(w.c.dnsQuery('device.example'), EDESTADDRREQ);
  assert.equal(w.c.checkInvariants(), 0);
});

test('the DNS server comes from DHCP option 6', () => {
  const sim = new Sim({ seed: 7 });
  const c = sim.addStack({ name: 'C', mac: '02:00:00:00:00:0c', ip: '0.0.0.0', netmask: '0.0.0.0', build: 'debug' });
  const wire = sim.connect([c]);
  const host = new RawHost(wire, 'S', parseMac('02:00:00:00:00:67'), '192.0.2.1');
  new DhcpServer(host, { pool: '192.0.2.100', dns: '192.0.2.1' }, () => sim.clock.now);
  new DnsServer(host, { 'device.example': { ip: '192.0.2.77', ttl: 30 } }, () => sim.clock.now);
  c.dhcpStart();
  sim.run({ for: 6000 });
  const h = c.dnsQuery('device.example');
  sim.run({ for: 100 });
  assert.deepEqual(c.dnsResult(h), { ip: '192.0.2.77', ttl: 30 });
});
