// Issue 25 (MQTT): the MQTT 3.1.1 client of boards/common/apps/mqtt on the posix board
// (boards/posix/build/asnet-mqtt: the wasm2c-compiled stack on a TAP) against Debian's mosquitto in
// a network namespace this test creates (192.0.2.1 = kernel side + broker, 192.0.2.2 = the board),
// with mosquitto_sub / mosquitto_pub on the other side: every QoS both ways, 256 KiB each way
// byte-exact, retained messages, the will when the board dies (SIGKILL, TAP down) and not after a
// clean DISCONNECT, a resumed session re-sending its unacknowledged QoS 1/2 PUBLISHes with DUP, all
// of it again under 1 % loss (--impair), and a fake broker (test/helpers/mqtt-fake-broker.mjs)
// breaking the protocol in every way the client must catch. Every process and the namespace are
// removed; every wait is bounded.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const BOARD_DIR = join(ROOT, 'boards', 'posix');
const BIN = join(BOARD_DIR, 'build', 'asnet-mqtt');
const FAKE = join(ROOT, 'test', 'helpers', 'mqtt-fake-broker.mjs');
const NS = `asnet-mqtt-${process.pid}`;
const BIG = 256 * 1024;
const procs: Proc[] = [];
let broker: Proc;
let dir = '';

const sh = (cmd: string, args: string[], timeout = 20_000) =>
  execFileSync(cmd, args, { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (cmd: string[], timeout?: number) => sh('ip', ['netns', 'exec', NS, ...cmd], timeout);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The board's pubbig payload: byte i = (i * 2654435761) >> 24 (mqtt_main.c). */
const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => Math.imul(i, 2654435761) >>> 24);
function fnv1a(b: Uint8Array): string {
  let h = 2166136261;
  for (const x of b) h = Math.imul(h ^ x, 16777619) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** A process in the namespace whose output is collected; waitFor() looks at it from a mark on. */
class Proc {
  p: ChildProcess;
  log = '';
  constructor(argv: string[], stdin = false) {
    this.p = spawn('ip', ['netns', 'exec', NS, ...argv], { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    this.p.stdout!.on('data', (d) => { this.log += d; });
    this.p.stderr!.on('data', (d) => { this.log += d; });
    procs.push(this);
  }
  get running() { return this.p.exitCode === null && this.p.signalCode === null; }
  send(line: string) { this.p.stdin!.write(line + '\n'); }
  async waitFor(re: RegExp, ms: number, from = 0, what = String(re)): Promise<RegExpExecArray> {
    const end = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.log.slice(from));
      if (m) return m;
      if (Date.now() > end) assert.fail(`timed out (${ms} ms) waiting for ${what}; output:\n${this.log.slice(-3000)}`);
      await sleep(20);
    }
  }
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    const gone = new Promise((r) => this.p.once('close', r));
    this.p.kill(signal);
    await Promise.race([gone, sleep(3000)]);
    if (this.running) { this.p.kill('SIGKILL'); await Promise.race([gone, sleep(2000)]); }
  }
}

function board(args: string[], wrap: string[] = []): Proc {
  return new Proc([...wrap, BIN, '--tap', 'tap0', '--ip', '192.0.2.2', '--mask', '255.255.255.0', '--mac', '02:00:00:00:00:02',
    '--broker', '192.0.2.1', ...args], true);
}
async function connected(b: Proc, from = 0, sp = '\\d'): Promise<void> {
  await b.waitFor(new RegExp(`mqtt: connected session_present=${sp}`), 15_000, from, 'the board to connect');
}
/** Closes the board's stdin (it stops), checks the exit status and that it never trapped. */
async function finish(b: Proc): Promise<void> {
  b.p.stdin!.end();
  await b.waitFor(/posix: stopped/, 5_000, 0, 'the board to stop');
  await new Promise((r) => (b.running ? b.p.once('close', r) : r(null)));
  assert.equal(b.p.exitCode, 0, b.log.slice(-2000));
  assert.doesNotMatch(b.log, /trapped|fatal/);
}

/** mosquitto_sub with one "MSG|topic|qos|retain|len|hex" line per message; resolves once subscribed. */
async function subscriber(filter: string, qos: number, count: number, seconds = 30): Promise<Proc> {
  const s = new Proc(['stdbuf', '-oL', 'mosquitto_sub', '-h', '192.0.2.1', '-d', '-t', filter, '-q', String(qos), '-C', String(count),
    '-W', String(seconds), '-F', 'MSG|%t|%q|%r|%l|%x']);
  await s.waitFor(/SUBACK/, 5_000, 0, `mosquitto_sub ${filter} subscribed`);
  return s;
}
type Msg = { topic: string; qos: number; retain: number; len: number; payload: Buffer };
function messages(s: Proc): Msg[] {
  // Whole lines only: a 512 KiB hex line arrives in pieces.
  return [...s.log.matchAll(/^MSG\|([^|]*)\|(\d)\|(\d)\|(\d+)\|([0-9a-f]*)\n/gm)].map((m) =>
    ({ topic: m[1], qos: Number(m[2]), retain: Number(m[3]), len: Number(m[4]), payload: Buffer.from(m[5], 'hex') }));
}
async function received(s: Proc, n: number, ms = 20_000): Promise<Msg[]> {
  const end = Date.now() + ms;
  while (messages(s).length < n && Date.now() < end) await sleep(20);
  const got = messages(s);
  assert.ok(got.length >= n, `mosquitto_sub got ${got.length} of ${n} messages:\n${s.log.slice(-2000)}`);
  return got;
}
function pub(topic: string, qos: number, payload: { m?: string; f?: string }, retain = false): void {
  inNs(['mosquitto_pub', '-h', '192.0.2.1', '-t', topic, '-q', String(qos), ...(retain ? ['-r'] : []),
    ...(payload.f ? ['-f', payload.f] : ['-m', payload.m ?? ''])]);
}

before(async () => {
  assert.ok(typeof process.getuid === 'function' && process.getuid() === 0,
    'mqtt-board: must run as root (network namespace, TAP). Fix: sudo node --import tsx --test test/mqtt-board.test.ts');
  for (const [tool, pkg] of [['ip', 'iproute2'], ['make', 'make'], ['wasm2c', 'wabt'], ['mosquitto_sub', 'mosquitto-clients'],
    ['/usr/sbin/mosquitto', 'mosquitto']]) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) assert.fail(`mqtt-board: '${tool}' is missing. Fix: apt-get install -y ${pkg}`);
  }
  sh('make', ['-C', BOARD_DIR, '-s', 'mqtt'], 180_000);
  dir = mkdtempSync(join(tmpdir(), 'asnet-mqtt-'));
  // 1883: anonymous; 1885: user name and password required (mosquitto_passwd file).
  sh('mosquitto_passwd', ['-c', '-b', join(dir, 'passwd'), 'board', 's3cret pass']);
  writeFileSync(join(dir, 'mosquitto.conf'), `user root\nper_listener_settings true\npersistence false\nmax_packet_size 1000000\n` +
    `listener 1883 192.0.2.1\nallow_anonymous true\n` +
    `listener 1885 192.0.2.1\nallow_anonymous false\npassword_file ${join(dir, 'passwd')}\n`);
  sh('ip', ['netns', 'add', NS]);
  inNs(['ip', 'link', 'set', 'lo', 'up']);
  inNs(['ip', 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap']);
  inNs(['ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'tap0']);
  inNs(['ip', 'link', 'set', 'tap0', 'up']);
  broker = new Proc(['/usr/sbin/mosquitto', '-c', join(dir, 'mosquitto.conf'), '-v']);
  await broker.waitFor(/Opening ipv4 listen socket on port 1885/, 5_000, 0, 'mosquitto to listen');
});

// A failed test leaves its board (holding tap0) and subscribers behind: stop them first.
beforeEach(async () => {
  for (const p of procs) if (p !== broker) await p.stop();
});

after(async () => {
  for (const p of procs) await p.stop();
  spawnSync('ip', ['netns', 'del', NS]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** QoS 0/1/2 each way, then unsubscribe: later publishes no longer reach the board. */
async function qosBothWays(b: Proc, tag: string): Promise<void> {
  const mark = b.log.length;
  b.send(`sub 2 down${tag}/#`);
  await b.waitFor(/mqtt: suback id=\d+ codes=2/, 10_000, mark);
  const s = await subscriber(`up${tag}/#`, 2, 3);
  for (const q of [0, 1, 2]) b.send(`pub ${q} 0 up${tag}/q${q} board says ${q}`);
  for (const q of [0, 1, 2]) await b.waitFor(new RegExp(`mqtt: published id=\\d+ qos=${q} OK`), 20_000, mark);
  const up = (await received(s, 3)).map((m) => `${m.topic} q${m.qos} ${m.payload}`).sort();
  assert.deepEqual(up, [0, 1, 2].map((q) => `up${tag}/q${q} q${q} board says ${q}`));
  for (const q of [0, 1, 2]) pub(`down${tag}/q${q}`, q, { m: `broker says ${q}` });
  for (const q of [0, 1, 2]) {
    await b.waitFor(new RegExp(`mqtt: message topic=down${tag}/q${q} qos=${q} retain=0 dup=0 len=13 fnv=[0-9a-f]+ text=broker says ${q}\\n`), 20_000, mark);
  }
  const m2 = b.log.length;
  b.send(`unsub down${tag}/#`);
  await b.waitFor(/mqtt: unsuback id=\d+/, 10_000, m2);
  pub(`down${tag}/late`, 1, { m: 'unsubscribed' });
  b.send('stats');                         // a round trip through the board after the publish
  await b.waitFor(/mqtt: stats/, 5_000, m2);
  await sleep(500);
  assert.doesNotMatch(b.log.slice(m2), /topic=down.*\/late/, 'a message after UNSUBACK reached the board');
}

/** 256 KiB each way: the board's pattern to mosquitto_sub (sha256), a random file to the board (FNV-1a). */
async function bigBothWays(b: Proc, tag: string): Promise<void> {
  const mark = b.log.length;
  const s = await subscriber(`big${tag}/up`, 1, 1, 60);
  b.send(`pubbig 1 0 big${tag}/up ${BIG}`);
  await b.waitFor(/mqtt: published id=\d+ qos=1 OK/, 60_000, mark, 'the 256 KiB PUBACK');
  const [m] = await received(s, 1, 30_000);
  assert.equal(m.len, BIG);
  assert.equal(m.payload.length, BIG);
  assert.equal(sha(m.payload), sha(pattern(BIG)), '256 KiB board -> broker byte-exact');
  const data = randomBytes(BIG);
  writeFileSync(join(dir, `big${tag}`), data);
  b.send(`sub 2 big${tag}/down`);
  await b.waitFor(/mqtt: suback id=\d+ codes=2/, 10_000, mark);
  pub(`big${tag}/down`, 2, { f: join(dir, `big${tag}`) });
  const got = await b.waitFor(new RegExp(`mqtt: message topic=big${tag}/down qos=2 retain=0 dup=0 len=(\\d+) fnv=([0-9a-f]+)`), 60_000, mark);
  assert.equal(Number(got[1]), BIG);
  assert.equal(got[2], fnv1a(data), '256 KiB broker -> board byte-exact (FNV-1a of the stream)');
}

test('QoS 0/1/2 both ways, subscribe and unsubscribe, 256 KiB each way byte-exact', { timeout: 120_000 }, async () => {
  const b = board(['--id', 'b-qos']);
  await connected(b);
  await qosBothWays(b, '');
  await bigBothWays(b, '');
  b.send('disconnect');
  await b.waitFor(/mqtt: closed OK/, 5_000);
  await finish(b);
});

test('credentials: the right user name and password connect; a wrong password or none is refused (CONNACK code)', { timeout: 60_000 }, async () => {
  const good = board(['--id', 'b-auth', '--port', '1885', '--user', 'board', '--pass', 's3cret pass']);
  await connected(good);
  good.send('pub 1 0 auth/ok fine');
  await good.waitFor(/mqtt: published id=\d+ qos=1 OK/, 10_000);
  await finish(good);
  for (const args of [['--user', 'board', '--pass', 'wrong'], ['--user', 'nobody'], []]) {
    const bad = board(['--id', 'b-noauth', '--port', '1885', ...args]);
    const m = await bad.waitFor(/mqtt: closed (\S+) rc=(\d+)/, 10_000, 0, 'the refusal');
    // MQTT 3.1.1 §3.2.2.3: 4 = bad user name or password, 5 = not authorized (mosquitto 2.0 answers 5)
    assert.ok(m[1] === 'E_REFUSED' && (m[2] === '4' || m[2] === '5'), `${args.join(' ')}: closed ${m[1]} rc=${m[2]}`);
    assert.doesNotMatch(bad.log, /mqtt: connected/);
    await finish(bad);
  }
});

test('retained: the broker\'s retained message reaches a later subscription; the board\'s retained one a later subscriber', { timeout: 60_000 }, async () => {
  pub('ret/a', 1, { m: 'kept by the broker' }, true);
  const b = board(['--id', 'b-ret']);
  await connected(b);
  b.send('sub 1 ret/a');
  await b.waitFor(/mqtt: message topic=ret\/a qos=1 retain=1 dup=0 len=18 fnv=[0-9a-f]+ text=kept by the broker/, 10_000);
  b.send('pub 1 1 ret/b kept from the board');
  await b.waitFor(/mqtt: published id=\d+ qos=1 OK/, 10_000);
  const s = await subscriber('ret/b', 1, 1);
  const [m] = await received(s, 1);
  assert.deepEqual([m.topic, m.retain, String(m.payload)], ['ret/b', 1, 'kept from the board']);
  b.send('pub 1 1 ret/b');                     // an empty retained message clears it (3.3.1.3)
  await b.waitFor(/mqtt: published id=\d+ qos=1 OK[\s\S]*mqtt: published id=\d+ qos=1 OK/, 10_000);
  pub('ret/a', 1, { m: '' }, true);
  await finish(b);
});

test('will: published when the board is killed or its TAP goes down, not after a clean DISCONNECT', { timeout: 90_000 }, async () => {
  const s = await subscriber('will/#', 1, 3, 60);
  const will = (id: string) => ['--id', id, '--keepalive', '2', '--will-topic', `will/${id}`, '--will-msg', `${id} is gone`, '--will-qos', '1'];
  const clean = board(will('w-clean'));
  await connected(clean);
  clean.send('disconnect');
  await clean.waitFor(/mqtt: closed OK/, 5_000);
  await finish(clean);

  const killed = board(will('w-kill'));
  await connected(killed);
  const t0 = Date.now();
  await killed.stop('SIGKILL');
  await received(s, 1, 25_000);                    // mosquitto: 1.5 x keepalive, checked on its own schedule
  console.log(`mqtt will: delivered ${Date.now() - t0} ms after SIGKILL (keepalive 2 s)`);

  const tapDown = board(will('w-tap'));
  await connected(tapDown);
  inNs(['ip', 'link', 'set', 'tap0', 'down']);
  try {
    await received(s, 2, 25_000);
  } finally {
    inNs(['ip', 'link', 'set', 'tap0', 'up']);
  }
  await tapDown.waitFor(/mqtt: closed E_TIMEOUT/, 10_000, 0, 'the board to see the broken link (PINGRESP timeout)');
  await tapDown.stop();
  const wills = messages(s).map((m) => `${m.topic}=${m.payload} q${m.qos}`);
  assert.deepEqual(wills, ['will/w-kill=w-kill is gone q1', 'will/w-tap=w-tap is gone q1'], 'no will after the clean DISCONNECT');
});

/** Publishes QoS 1 and 2 while the TAP is down; the PINGRESP timeout closes, the board reconnects
 * after the TAP is back and re-sends both with DUP = 1 (mosquitto -v logs d1); the subscriber
 * gets the QoS 2 message exactly once. */
async function resume(extra: string[], tag: string): Promise<void> {
  const s = await subscriber(`res${tag}/#`, 2, 2, 60);
  const id = `r1${tag}`;
  const b = board(['--id', id, '--clean', '0', '--keepalive', '2', '--ping-timeout-ms', '1500', '--reconnect-ms', '500', ...extra]);
  await connected(b);
  const bm = broker.log.length;
  inNs(['ip', 'link', 'set', 'tap0', 'down']);
  try {
    b.send(`pub 1 0 res${tag}/q1 one`);
    b.send(`pub 2 0 res${tag}/q2 two`);
    await b.waitFor(/mqtt: closed E_TIMEOUT rc=0 inflight=2/, 15_000, 0, 'the broken-link timeout with both publishes in flight');
  } finally {
    inNs(['ip', 'link', 'set', 'tap0', 'up']);
  }
  await b.waitFor(/mqtt: connected session_present=1 resent_dup=2/, 30_000, 0, 'the resumed session');
  await b.waitFor(/published id=\d+ qos=1 OK[\s\S]*published id=\d+ qos=2 OK|published id=\d+ qos=2 OK[\s\S]*published id=\d+ qos=1 OK/, 20_000);
  const got = (await received(s, 2)).map((m) => `${m.topic}=${m.payload}`);
  await broker.waitFor(new RegExp(`Received PUBLISH from ${id} \\(d1, q1`), 5_000, bm, 'mosquitto to log the DUP QoS 1 PUBLISH');
  await broker.waitFor(new RegExp(`Received PUBLISH from ${id} \\(d1, q2`), 5_000, bm, 'mosquitto to log the DUP QoS 2 PUBLISH');
  await sleep(500);
  assert.deepEqual(messages(s).filter((m) => m.topic.endsWith('/q2')).length, 1, 'QoS 2 delivered exactly once');
  assert.deepEqual(got.sort(), [`res${tag}/q1=one`, `res${tag}/q2=two`]);
  await finish(b);
}

test('reconnect resumes the QoS 1/2 flows: unacknowledged PUBLISHes re-sent with DUP after the link comes back', { timeout: 90_000 }, async () => {
  await resume([], '');
});

test('1 % loss (--impair loss=1,seed=25): every QoS both ways, 256 KiB each way byte-exact, resumed session', { timeout: 240_000 }, async () => {
  const b = board(['--id', 'b-loss', '--impair', 'loss=1,seed=25']);
  await connected(b);
  await qosBothWays(b, '-loss');
  await bigBothWays(b, '-loss');
  await finish(b);
  assert.match(b.log, /impair: lost [1-9]/, 'the impairment dropped frames');
  await resume(['--impair', 'loss=1,seed=26'], '-loss');
});

/** Waits for the board's close after each violation in turn; returns the log offset after the last. */
async function expectViolations(b: Proc, ms: number): Promise<number> {
  let at = 0;
  for (const [scenario, err] of VIOLATIONS) {
    const m = await b.waitFor(/mqtt: closed (\S+ rc=\d+)/, ms, at, `the close after ${scenario}`);
    assert.ok(m[1].startsWith(err), `${scenario}: closed ${m[1]}, expected ${err}`);
    at += m.index + m[0].length;
  }
  return at;
}

const VIOLATIONS: [string, string][] = [
  ['bad-length', 'E_REMAINING_LENGTH'], ['type-0', 'E_PACKET_TYPE'], ['type-15', 'E_PACKET_TYPE'], ['type-connect', 'E_PACKET_TYPE'],
  ['too-big', 'E_TOO_BIG'], ['big-topic', 'E_TOO_BIG'], ['wrong-id', 'E_PACKET_ID'], ['refused', 'E_REFUSED rc=5'],
  ['bad-flags', 'E_FLAGS'], ['qos3', 'E_QOS'], ['before-connack', 'E_PROTOCOL'], ['bad-utf8', 'E_TOPIC'],
  ['connack-len', 'E_MALFORMED'], ['no-pingresp', 'E_TIMEOUT'], ['qos2-flood', 'E_QOS2_FULL'],
];

test('a fake broker breaking the protocol: each violation closes with its own error, no crash; DUP re-send checked byte for byte', { timeout: 90_000 }, async () => {
  const scenarios = [...VIOLATIONS.map(([s]) => s), 'drop-unacked', 'expect-dup', 'drop-unacked', 'expect-dup', 'qos2-dup', 'ok'];
  const fake = new Proc([process.execPath, FAKE, '192.0.2.1', ...scenarios]);
  await fake.waitFor(/listening/, 5_000);
  const b = board(['--id', 'b-fake', '--port', '1884', '--clean', '0', '--keepalive', '1', '--ping-timeout-ms', '1000', '--reconnect-ms', '100',
    '--user', 'u1', '--pass', 'p w', '--will-topic', 'will/fake', '--will-msg', 'bye', '--will-qos', '2', '--will-retain', '1']);
  let at = await expectViolations(b, 10_000);
  for (const qos of [1, 2]) {
    await connected(b, at);
    b.send(`pub ${qos} 0 dup/q${qos} resend me`);
    const closed = await b.waitFor(/mqtt: closed E_TCP rc=0 inflight=1/, 10_000, at, 'the fake broker dropping the unacknowledged PUBLISH');
    at += closed.index + closed[0].length;
    const done = await b.waitFor(new RegExp(`mqtt: published id=\\d+ qos=${qos} OK`), 10_000, at, `the QoS ${qos} flow completed after the DUP`);
    at += done.index + done[0].length;
  }
  // Incoming QoS 2 (§4.3.3): the DUP copy before PUBREL is not delivered again; after PUBCOMP the same
  // id is a new message.
  const endDup = await b.waitFor(/mqtt: closed E_TCP rc=0 inflight=0/, 10_000, at, 'the second expect-dup to end');
  at += endDup.index + endDup[0].length;
  const q2 = await b.waitFor(/mqtt: closed E_TCP rc=0 inflight=0/, 10_000, at, 'the qos2-dup scenario to end');
  const q2log = b.log.slice(at, at + q2.index);
  assert.deepEqual([...q2log.matchAll(/message topic=in\/q2 qos=2 retain=0 dup=0 len=\d+ fnv=\w+ text=(\w+)/g)].map((m) => m[1]), ['once', 'again'], q2log);
  at += q2.index + q2[0].length;
  await connected(b, at);
  b.send('pub 1 0 ok/after still fine');
  await b.waitFor(/mqtt: published id=\d+ qos=1 OK/, 10_000, at);
  await finish(b);
  await fake.stop();
  const recs = fake.log.trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.scenario && r.closed);
  const dups = recs.filter((r) => r.scenario === 'expect-dup');
  assert.equal(dups.length, 2, fake.log);
  for (const d of dups) assert.ok(d.ok && d.resent.dup === 1, `DUP re-send: ${JSON.stringify(d)}`);
  assert.deepEqual(dups.map((d) => d.resent.qos), [1, 2]);
  const q2rec = recs.find((r) => r.scenario === 'qos2-dup');
  assert.deepEqual([q2rec?.pubrecs, q2rec?.pubcomps, q2rec?.ok], [3, 1, true], `incoming QoS 2: ${JSON.stringify(q2rec)}`);
  assert.deepEqual(recs.filter((r) => r.error), [], 'the board sent what each scenario expected');
  // CONNECT field by field (§3.1): every connection carried the same, with nothing after the password.
  for (const r of recs) {
    assert.deepEqual(r.connect, { protocol: 'MQTT', level: 4, flags: 0xc0 | 0x20 | 0x10 | 0x04, keepalive: 1, cleanSession: 0,
      clientId: 'b-fake', willTopic: 'will/fake', willMsg: 'bye', willQos: 2, willRetain: 1, username: 'u1', password: 'p w', trailing: 0 });
  }
  assert.ok(recs.find((r) => r.scenario === 'no-pingresp')?.pingreqs >= 1, 'PINGREQ sent on the idle link');
});

test('the same violations against the board under valgrind memcheck: no invalid access, exit status 0', { timeout: 120_000 }, async () => {
  if (spawnSync('sh', ['-c', 'command -v valgrind']).status !== 0) assert.fail('valgrind is missing. Fix: apt-get install -y valgrind');
  const fake = new Proc([process.execPath, FAKE, '192.0.2.1', ...VIOLATIONS.map(([s]) => s), 'ok']);
  await fake.waitFor(/listening/, 5_000);
  const b = board(['--id', 'b-vg', '--port', '1884', '--keepalive', '1', '--ping-timeout-ms', '1000', '--reconnect-ms', '100'],
    ['valgrind', '-q', '--error-exitcode=99']);
  const at = await expectViolations(b, 30_000);
  await connected(b, at);
  await finish(b);                                   // exit status 0: valgrind reported nothing (else 99)
  await fake.stop();
});
