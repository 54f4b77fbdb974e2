// Issue 24: third-party code on the sockets layer — mbedTLS (Debian's libmbedtls-dev, with its own
// library/net_sockets.c compiled against asnet_compat.h) on the posix board in a network namespace
// this test creates (192.0.2.0/24):
// - a TLS 1.2 client (mbedtls_net_connect: getaddrinfo through the stack's DNS, served by dnsmasq in
//   the namespace) fetches a 1 MiB body from `openssl s_server -WWW`, verifying the certificate
//   against a CA this test makes; byte-exact (SHA-256), also under 2 % seeded loss (--impair);
//   against another CA the handshake must fail;
// - a TLS server on the board answers `curl --cacert` with 1 MiB, byte-exact, also under 2 % loss,
//   and with 10 ms delay: its last segments are still held when the application closes and returns,
//   so the board must run on until they are delivered (asnet_sock_stop drains closed connections).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOARD, buildSockets, Netns, boardCmd, lastJson, requireRoot, sh, sockBin, waitFor } from './helpers/sock-board.ts';

let ns: Netns;
let dir: string;
const MiB = 1 << 20;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A CA and a server certificate for NAME (DNS + IP subjectAltName) signed by it, EC P-256. */
function makeCa(tag: string): void {
  sh('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${tag}.key`,
    '-out', `${tag}.crt`, '-days', '2', '-subj', `/CN=asnet test CA ${tag}`], 20_000, dir);
}
function makeCert(ca: string, who: string, ip: string): void {
  sh('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`,
    '-subj', `/CN=${who}.asnet.test`], 20_000, dir);
  writeFileSync(join(dir, `${who}.ext`), `subjectAltName=DNS:${who}.asnet.test,IP:${ip}\nbasicConstraints=CA:FALSE\n` +
    'keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n');
  sh('openssl', ['x509', '-req', '-in', `${who}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${who}.crt`,
    '-days', '2', '-extfile', `${who}.ext`], 20_000, dir);
}

before(async () => {
  requireRoot('sockets-tls', [['openssl', 'openssl'], ['curl', 'curl'], ['dnsmasq', 'dnsmasq-base'], ['nm', 'binutils']]);
  buildSockets();
  dir = mkdtempSync(join(tmpdir(), 'asnet-tls-'));
  makeCa('ca'); makeCa('other');
  makeCert('ca', 'peer', '192.0.2.1');
  makeCert('ca', 'board', '192.0.2.2');
  const body = Buffer.alloc(MiB);
  for (let i = 0; i < MiB; i++) body[i] = (i * 2654435761 >>> 13) & 255;
  writeFileSync(join(dir, 'body.bin'), body);
  ns = new Netns('tls');
  const srv = ns.start(['openssl', 's_server', '-accept', '4433', '-cert', 'peer.crt', '-key', 'peer.key', '-WWW', '-tls1_2'], dir);
  const dns = ns.start(['dnsmasq', '--no-daemon', '--port=53', '--listen-address=192.0.2.1', '--bind-interfaces', '--no-resolv',
    '--no-hosts', '--address=/peer.asnet.test/192.0.2.1', '--pid-file=', '--user=root']);
  await waitFor(() => /ACCEPT/.test(srv.log()), 10_000, `openssl s_server: ${srv.log()}`);
  await waitFor(() => /started/.test(dns.log()), 10_000, `dnsmasq: ${dns.log()}`);
});

after(() => { ns?.close(); if (dir) rmSync(dir, { recursive: true, force: true }); });

test("mbedTLS' own net_sockets.c is compiled against the compat header: its socket calls are asnet's", () => {
  const undef = sh('nm', ['-u', join(BOARD, 'build', 'sock', 'net_sockets.o')]).split('\n').map((l) => l.trim().split(/\s+/).at(-1));
  for (const f of ['asnet_socket', 'asnet_connect', 'asnet_bind', 'asnet_listen', 'asnet_accept', 'asnet_select', 'asnet_getaddrinfo',
    'asnet_read', 'asnet_write', 'asnet_close', 'asnet_fcntl', 'asnet_setsockopt']) assert.ok(undef.includes(f), `net_sockets.o does not call ${f}`);
  for (const f of ['socket', 'connect', 'select', 'getaddrinfo', 'read', 'write', 'close']) assert.ok(!undef.includes(f), `net_sockets.o still calls the system's ${f}`);
  // and the program's mbedtls_net_connect is that object's, not libmbedtls.a's
  const defs = sh('nm', [sockBin()]);
  assert.match(defs, / T mbedtls_net_connect\n/);
});

const expected = () => sha(readFileSync(join(dir, 'body.bin')));

for (const impair of ['', 'loss=2,seed=11', 'loss=2,seed=12']) {
  test(`TLS 1.2 client (mbedTLS) fetches 1 MiB from openssl s_server -WWW, certificate verified${impair ? `, ${impair}` : ''}`, async () => {
    const r = await ns.run(boardCmd('tls-client', ['peer.asnet.test', '4433', '/body.bin', join(dir, 'ca.crt')], { dns: '192.0.2.1', impair }), 120_000);
    const j = lastJson(r.out);
    assert.ok(j.ok, r.out);
    assert.equal(j.version, 'TLSv1.2');
    assert.equal(j.verify_flags, 0);
    assert.match(j.status, /^HTTP\/1\.0 200/);
    assert.equal(j.body_bytes, MiB);
    assert.equal(j.sha256, expected(), 'the body differs from the file');
    if (impair) assert.match(r.out, /impair: lost [1-9]/, 'frames were lost');
    console.log(`tls-client${impair ? ` (${impair})` : ''}: ${j.suite}, 1 MiB byte-exact; ${/impair: .*/.exec(r.out)?.[0] ?? ''}`);
  });
}

test('TLS client: a server certificate from another CA fails the handshake', async () => {
  const r = await ns.run(boardCmd('tls-client', ['peer.asnet.test', '4433', '/body.bin', join(dir, 'other.crt')], { dns: '192.0.2.1' }), 60_000);
  const j = lastJson(r.out);
  assert.equal(j.ok, false, r.out);
  assert.match(j.error, /^handshake: -0x2700 .*verification failed/i, r.out);
  assert.notEqual(r.code, 0);
});

test('getaddrinfo through the stack: a name the DNS server does not know fails mbedtls_net_connect', async () => {
  const r = await ns.run(boardCmd('tls-client', ['nosuch.asnet.test', '4433', '/body.bin', join(dir, 'ca.crt')], { dns: '192.0.2.1' }), 60_000);
  const j = lastJson(r.out);
  assert.equal(j.ok, false, r.out);
  assert.match(j.error, /^connect: -0x0052 /, r.out);                 // MBEDTLS_ERR_NET_UNKNOWN_HOST
});

/** The board's body, byte i (boards/posix/sockets/tls_common.h tls_body_byte). */
function boardBody(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >>> 10)) & 255;
  return b;
}

for (const impair of ['', 'loss=2,seed=21', 'delay=10']) {
  test(`TLS server on the board (mbedTLS) answers curl --cacert with 1 MiB byte-exact${impair ? `, ${impair}` : ''}`, async () => {
    const board = ns.start(boardCmd('tls-server', ['443', join(dir, 'board.crt'), join(dir, 'board.key'), String(MiB), '2'], { impair }));
    await waitFor(() => board.log().includes('tls-server: listening'), 10_000, 'the TLS server');
    const want = sha(boardBody(MiB));
    for (let k = 0; k < 2; k++) {
      const out = join(dir, `got-${k}.bin`);
      ns.exec(['curl', '-sS', '-m', '60', '--tlsv1.2', '--tls-max', '1.2', '--cacert', join(dir, 'ca.crt'),
        '--resolve', 'board.asnet.test:443:192.0.2.2', 'https://board.asnet.test/', '-o', out], 70_000);
      const got = readFileSync(out);
      assert.equal(got.length, MiB);
      assert.equal(sha(got), want, `session ${k}: the body differs`);
    }
    await waitFor(() => board.proc.exitCode !== null, 20_000, 'the server to finish');
    const j = lastJson(board.log());
    assert.ok(j.ok, board.log());
    assert.equal(j.sha256, want);
    if (impair.startsWith('loss')) assert.match(board.log(), /impair: lost [1-9]/);
    console.log(`tls-server${impair ? ` (${impair})` : ''}: 2 x 1 MiB to curl byte-exact; ${/impair: .*/.exec(board.log())?.[0] ?? ''}`);
  });
}
