// Issue 25, mDNS: the responder of boards/common/apps/mdns on the posix board built with the
// multicast option (make MCAST=1: build/stack.mcast.wasm), in a network namespace this test creates
// (named with the pid): two TAPs on a bridge, the peer's address on the bridge, a private
// dbus-daemon and avahi-daemon there (no host daemon is touched; /run is a private tmpfs for
// avahi). avahi-resolve and avahi-browse find the board and its services (_http._tcp with TXT,
// _mqtt._tcp), dig asks the board's port 5353 directly (a legacy unicast query, RFC 6762 §6.7),
// and a second board with the same name renames itself (§9).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Netns, requireRoot, sh, stop, waitFor, type Proc } from './helpers/netns.ts';

const ROOT = join(import.meta.dirname, '..');
const BOARD = join(ROOT, 'boards', 'posix');
const BIN = join(BOARD, 'build-mcast', 'asnet-posix');
const dir = mkdtempSync(join(tmpdir(), 'asnet-mdns-'));
const BUS = `unix:path=${join(dir, 'bus')}`;
const T = { timeout: 120_000 };
let ns: Netns;
const inNs = (cmd: string[], timeout?: number) => ns.exec(cmd, timeout);
const start = (cmd: string[]) => ns.start(cmd);

function board(tap: string, ip: string, mac: string, name = 'asnet'): Proc {
  return start([BIN, '--tap', tap, '--static', '--ip', ip, '--mac', mac, '--service', 'http', '--mdns', name,
    '--mdns-service', '_http._tcp:80:path=/,model=asnet', '--mdns-service', '_mqtt._tcp:1883']);
}

async function avahi(): Promise<{ bus: Proc; daemon: Proc }> {
  writeFileSync(join(dir, 'bus.conf'), `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>${BUS}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/></policy>
</busconfig>\n`);
  writeFileSync(join(dir, 'avahi.conf'), ['[server]', 'host-name=peer', 'domain-name=local', 'use-ipv4=yes', 'use-ipv6=no',
    'allow-interfaces=br0', 'enable-dbus=yes', '[wide-area]', 'enable-wide-area=no', '[publish]', 'publish-hinfo=no',
    'publish-workstation=no', '[reflector]', 'enable-reflector=no', ''].join('\n'));
  rmSync(join(dir, 'bus'), { force: true });
  const bus = start(['dbus-daemon', `--config-file=${join(dir, 'bus.conf')}`, '--nofork', '--nopidfile']);
  await waitFor(() => existsSync(join(dir, 'bus')), 10_000, 'the private D-Bus socket', bus);
  // avahi-daemon writes /run/avahi-daemon/pid: give it a private /run in its own mount namespace.
  const daemon = start(['unshare', '-m', '--propagation', 'private', 'sh', '-c',
    `mount -t tmpfs tmpfs /run && exec avahi-daemon -f ${join(dir, 'avahi.conf')} --no-drop-root --no-chroot --no-rlimits`]);
  return { bus, daemon };
}

before(() => {
  requireRoot('mdns-board', [['avahi-daemon', 'avahi-daemon'], ['avahi-resolve', 'avahi-utils'], ['dbus-daemon', 'dbus-daemon'],
    ['dig', 'bind9-dnsutils']]);
  sh('make', ['-C', BOARD, '-s', 'MCAST=1'], 300_000);
  ns = new Netns('mdns', { tap: false, env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: BUS } });
  inNs(['ip', 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
  for (const t of ['tap0', 'tap1']) {
    inNs(['ip', 'tuntap', 'add', 'dev', t, 'mode', 'tap']);
    inNs(['ip', 'link', 'set', t, 'master', 'br0']);
    inNs(['ip', 'link', 'set', t, 'up']);
  }
  inNs(['ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'br0']);
  inNs(['ip', 'link', 'set', 'br0', 'up']);
});

after(() => {
  ns?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('avahi-resolve, avahi-browse and dig find the board, its services and their TXT', T, async () => {
  const dump = start(['tcpdump', '-l', '-n', '-tt', '-i', 'br0', 'udp port 5353 and src host 192.0.2.2']);
  await waitFor(() => /listening on br0/.test(dump.log()), 10_000, 'tcpdump', dump);
  const b = board('tap0', '192.0.2.2', '02:00:00:00:00:02');
  await waitFor(() => /mdns: ready asnet\.local/.test(b.log()), 10_000, 'probing and announcing', b);
  assert.match(b.log(), /mdns: probing asnet\.local[\s\S]*mdns: ready asnet\.local/);
  // On the wire (§8.1, §8.3): three probes (QU questions of type ANY for the host and both instances,
  // three proposals in Authority) 250 ms apart, then two announcements of all 9 records 1 s apart.
  await waitFor(() => (dump.log().match(/ \d+\/0\/0 /g) ?? []).length >= 2, 5_000, 'the announcements in tcpdump', dump);
  const pkts = [...dump.log().matchAll(/^(\d+\.\d+) IP 192\.0\.2\.2\.5353 > 224\.0\.0\.251\.5353: (.*)$/gm)].map((m) => ({ t: Number(m[1]) * 1000, what: m[2] }));
  const probes = pkts.filter((p) => /^0 \[3q\] \[3n\] ANY \(QU\)\? asnet\.local\. ANY \(QU\)\? asnet\._http\._tcp\.local\. ANY \(QU\)\? asnet\._mqtt\._tcp\.local\./.test(p.what));
  const announces = pkts.filter((p) => /^0\*- \[0q\] 9\/0\/0 \(Cache flush\) A 192\.0\.2\.2,/.test(p.what));
  assert.equal(probes.length, 3, dump.log());
  assert.equal(announces.length, 2, dump.log());
  assert.equal(pkts.indexOf(announces[0]), 3, 'probes first, nothing else before the announcements');
  const gaps = [probes[1].t - probes[0].t, probes[2].t - probes[1].t, announces[0].t - probes[2].t, announces[1].t - announces[0].t];
  for (const g of gaps.slice(0, 3)) assert.ok(g >= 240 && g < 450, `probe spacing ${gaps.map(Math.round)} ms`);
  assert.ok(gaps[3] >= 950 && gaps[3] < 1300, `announcement spacing ${Math.round(gaps[3])} ms`);
  await stop(dump);
  // avahi starts after the announcements, so it has nothing cached: it must ask over multicast.
  const { bus, daemon } = await avahi();
  await waitFor(() => /Server startup complete/.test(daemon.log()), 15_000, 'avahi-daemon', daemon, bus);
  assert.equal(inNs(['timeout', '10', 'avahi-resolve', '-4', '-n', 'asnet.local']).trim(), 'asnet.local\t192.0.2.2');
  const http = inNs(['timeout', '15', 'avahi-browse', '-rtp', '_http._tcp'], 20_000);
  assert.match(http, /^=;br0;IPv4;asnet;Web Site;local;asnet\.local;192\.0\.2\.2;80;"model=asnet" "path=\/"$/m, http);
  const mqtt = inNs(['timeout', '15', 'avahi-browse', '-rtp', '_mqtt._tcp'], 20_000);
  assert.match(mqtt, /^=;br0;IPv4;asnet;_mqtt._tcp;local;asnet\.local;192\.0\.2\.2;1883;$/m, mqtt);
  const types = inNs(['timeout', '15', 'avahi-browse', '-atp'], 20_000);
  assert.match(types, /asnet;Web Site;local/, types);
  // (inNs is synchronous: the board's output is read once the event loop runs again)
  await waitFor(() => /mdns: answered 192\.0\.2\.1:5353 with \d+ records \(multicast\)/.test(b.log()), 5_000,
    'the board to answer avahi\'s multicast queries', b, daemon);
  // dig: a legacy unicast query to the board's port 5353 gets the ID back, the question, TTL 10.
  const a = inNs(['dig', '+time=3', '+tries=2', '-p', '5353', '@192.0.2.2', 'asnet.local', 'A']);
  assert.match(a, /status: NOERROR/);
  assert.match(a, /^asnet\.local\.\s+10\s+IN\s+A\s+192\.0\.2\.2$/m, a);
  const ptr = inNs(['dig', '+time=3', '+tries=2', '-p', '5353', '@192.0.2.2', '_services._dns-sd._udp.local', 'PTR']);
  assert.match(ptr, /_services\._dns-sd\._udp\.local\.\s+10\s+IN\s+PTR\s+_http\._tcp\.local\./, ptr);
  assert.match(ptr, /_services\._dns-sd\._udp\.local\.\s+10\s+IN\s+PTR\s+_mqtt\._tcp\.local\./, ptr);
  const srv = inNs(['dig', '+time=3', '+tries=2', '-p', '5353', '@192.0.2.2', 'asnet._http._tcp.local', 'SRV']);
  assert.match(srv, /asnet\._http\._tcp\.local\.\s+10\s+IN\s+SRV\s+0 0 80 asnet\.local\./, srv);
  const aaaa = inNs(['dig', '+time=3', '+tries=2', '-p', '5353', '@192.0.2.2', 'asnet.local', 'AAAA']);
  assert.match(aaaa, /^asnet\.local\.\s+10\s+IN\s+NSEC\s+asnet\.local\. A$/m, `no AAAA: an NSEC says only A exists (§6.1)\n${aaaa}`);
  const none = spawnSync('ip', ['netns', 'exec', ns.name, 'dig', '+time=2', '+tries=1', '-p', '5353', '@192.0.2.2', 'other.local', 'A'],
    { encoding: 'utf8', timeout: 10_000 });
  assert.equal(none.status, 9, `a name we do not own gets no answer (§6): dig exits 9 (no reply)\n${none.stdout}`);
  await stop(b);
  await waitFor(() => /posix: stopped/.test(b.log()), 5_000, 'the board\'s last line (stdout may trail its exit)', b);
  // The goodbye (TTL 0, §10.1) makes avahi forget the board at once.
  await waitFor(() => !/asnet/.test(inNs(['timeout', '5', 'avahi-browse', '-tpc', '_http._tcp'], 10_000)), 10_000, 'avahi to drop the goodbye\'d service', daemon);
  await stop(daemon);
  await stop(bus);
  console.log('mdns: avahi-resolve, avahi-browse (_http._tcp + TXT, _mqtt._tcp) and dig find the board');
});

test('a second board with the same name renames itself to asnet-2.local; avahi sees both', T, async () => {
  await ns.stopAll();
  const { bus, daemon } = await avahi();
  await waitFor(() => /Server startup complete/.test(daemon.log()), 15_000, 'avahi-daemon', daemon, bus);
  const b1 = board('tap0', '192.0.2.2', '02:00:00:00:00:02');
  await waitFor(() => /mdns: ready asnet\.local/.test(b1.log()), 10_000, 'board 1', b1);
  const b2 = board('tap1', '192.0.2.3', '02:00:00:00:00:03');
  await waitFor(() => /mdns: ready /.test(b2.log()), 15_000, 'board 2', b2, b1);
  await new Promise((r) => setTimeout(r, 100));
  assert.match(b2.log(), /mdns: probing asnet\.local\n[\s\S]*mdns: conflict, renamed to asnet-2\.local\n[\s\S]*mdns: ready asnet-2\.local/);
  assert.doesNotMatch(b1.log(), /conflict/, 'the board that owned the name keeps it');
  assert.equal(inNs(['timeout', '10', 'avahi-resolve', '-4', '-n', 'asnet.local']).trim(), 'asnet.local\t192.0.2.2');
  assert.equal(inNs(['timeout', '10', 'avahi-resolve', '-4', '-n', 'asnet-2.local']).trim(), 'asnet-2.local\t192.0.2.3');
  const http = inNs(['timeout', '15', 'avahi-browse', '-rtp', '_http._tcp'], 20_000);
  assert.match(http, /^=;br0;IPv4;asnet;Web Site;local;asnet\.local;192\.0\.2\.2;80;/m, http);
  assert.match(http, /^=;br0;IPv4;asnet-2;Web Site;local;asnet-2\.local;192\.0\.2\.3;80;/m, http);
  await stop(b2);
  await stop(b1);
  await stop(daemon);
  await stop(bus);
});

test('with a DHCP lease (dnsmasq on the bridge) the responder starts on the leased address', T, async () => {
  await ns.stopAll();
  if (spawnSync('dnsmasq', ['--version']).status !== 0) assert.fail('dnsmasq is missing. Fix: apt-get install -y dnsmasq-base');
  const dnsmasq = start(['dnsmasq', '--no-daemon', '--conf-file=/dev/null', '--interface=br0', '--bind-interfaces', '--port=0',
    '--dhcp-range=192.0.2.100,192.0.2.150,255.255.255.0,2m', `--dhcp-leasefile=${join(dir, 'leases')}`, '--pid-file', '--log-facility=-']);
  await waitFor(() => /started, version/.test(dnsmasq.log()), 5_000, 'dnsmasq', dnsmasq);
  const b = start([BIN, '--tap', 'tap0', '--mac', '02:00:00:00:00:44', '--service', 'http', '--mdns', 'leased',
    '--mdns-service', '_http._tcp:80']);
  await waitFor(() => /mdns: ready leased\.local/.test(b.log()), 30_000, 'a lease, then probing and announcing', b, dnsmasq);
  const ip = /dhcp: bound (192\.0\.2\.\d+)/.exec(b.log())?.[1];
  assert.ok(ip, b.log());
  const { bus, daemon } = await avahi();
  await waitFor(() => /Server startup complete/.test(daemon.log()), 15_000, 'avahi-daemon', daemon, bus);
  assert.equal(inNs(['timeout', '10', 'avahi-resolve', '-4', '-n', 'leased.local']).trim(), `leased.local\t${ip}`);
  await stop(b);
  await stop(daemon);
  await stop(bus);
  await stop(dnsmasq);
});
