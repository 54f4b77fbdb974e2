// Issue 25, the AssemblyScript MQTT app on a board: the posix board built with APP=mqtt runs
// build/mqtt-app.wasm (the stack + apps/mqtt + examples/as-app/mqtt.ts, wasm2c-compiled; the board's C
// only forwards events to app_event and calls app_tick from its loop) against Debian's mosquitto in
// a network namespace this test creates (192.0.2.2 = kernel side + broker, 192.0.2.1 = the board),
// with mosquitto_sub / mosquitto_pub on the other side: the app connects, subscribes, publishes
// telemetry (QoS 1) and echoes commands of QoS 0/1/2 with their QoS; again under 1 % and 10 % loss
// through the board's --impair option (10 %: frames are seen dropped); its retained will reaches a subscriber when the broker drops it.
// Every process and the namespace are removed; every wait is bounded.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const BOARD_DIR = join(ROOT, 'boards', 'posix');
const BIN = join(BOARD_DIR, 'build-app-mqtt', 'asnet-posix');
const NS = `asnet-mqttas-${process.pid}`;
const procs: Proc[] = [];
let broker: Proc;
let dir = '';

const sh = (cmd: string, args: string[], timeout = 20_000) =>
  execFileSync(cmd, args, { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (cmd: string[], timeout?: number) => sh('ip', ['netns', 'exec', NS, ...cmd], timeout);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Proc {
  p: ChildProcess;
  log = '';
  constructor(argv: string[]) {
    this.p = spawn('ip', ['netns', 'exec', NS, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.p.stdout!.on('data', (d) => { this.log += d; });
    this.p.stderr!.on('data', (d) => { this.log += d; });
    procs.push(this);
  }
  get running() { return this.p.exitCode === null && this.p.signalCode === null; }
  async waitFor(re: RegExp, ms: number, what = String(re), from = 0): Promise<void> {
    const end = Date.now() + ms;
    while (!re.test(this.log.slice(from))) {
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

type Msg = { topic: string; qos: number; retain: number; payload: string };
const messages = (s: Proc): Msg[] => [...s.log.matchAll(/^MSG\|([^|]*)\|(\d)\|(\d)\|(.*)\n/gm)]
  .map((m) => ({ topic: m[1], qos: Number(m[2]), retain: Number(m[3]), payload: m[4] }));
async function subscriber(filter: string, seconds = 60): Promise<Proc> {
  const s = new Proc(['stdbuf', '-oL', 'mosquitto_sub', '-h', '192.0.2.2', '-d', '-t', filter, '-q', '2', '-W', String(seconds),
    '-F', 'MSG|%t|%q|%r|%p']);
  await s.waitFor(/SUBACK/, 5_000, `mosquitto_sub ${filter} subscribed`);
  return s;
}
async function until(what: string, pred: () => boolean, ms: number, log: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) assert.fail(`timed out (${ms} ms) waiting for ${what}:\n${log().slice(-3000)}`);
    await sleep(20);
  }
}

before(async () => {
  assert.ok(typeof process.getuid === 'function' && process.getuid() === 0,
    'mqtt-as-board: must run as root (network namespace, TAP). Fix: sudo node --import tsx --test test/mqtt-as-board.test.ts');
  for (const [tool, pkg] of [['ip', 'iproute2'], ['make', 'make'], ['wasm2c', 'wabt'], ['mosquitto_sub', 'mosquitto-clients'],
    ['/usr/sbin/mosquitto', 'mosquitto']]) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) assert.fail(`mqtt-as-board: '${tool}' is missing. Fix: apt-get install -y ${pkg}`);
  }
  sh('make', ['-C', BOARD_DIR, '-s', 'APP=mqtt'], 180_000);
  dir = mkdtempSync(join(tmpdir(), 'asnet-mqttas-'));
  writeFileSync(join(dir, 'mosquitto.conf'), 'user root\npersistence false\nlistener 1883 192.0.2.2\nallow_anonymous true\n');
  sh('ip', ['netns', 'add', NS]);
  inNs(['ip', 'link', 'set', 'lo', 'up']);
  inNs(['ip', 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap']);
  inNs(['ip', 'addr', 'add', '192.0.2.2/24', 'dev', 'tap0']);
  inNs(['ip', 'link', 'set', 'tap0', 'up']);
  broker = new Proc(['/usr/sbin/mosquitto', '-c', join(dir, 'mosquitto.conf'), '-v']);
  await broker.waitFor(/Opening ipv4 listen socket on port 1883/, 5_000, 'mosquitto to listen');
});

beforeEach(async () => {
  for (const p of procs) if (p !== broker) await p.stop();
});

after(async () => {
  for (const p of procs) await p.stop();
  spawnSync('ip', ['netns', 'del', NS]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

for (const loss of [0, 1, 10]) {
  test(`AS MQTT app on the posix board + mosquitto: telemetry, echo of QoS 0/1/2 commands${loss ? ` (--impair loss=${loss})` : ''}`, { timeout: 120_000 }, async () => {
    const s = await subscriber('dev/asnet/#');
    const mark = broker.log.length;
    const b = new Proc([BIN, '--tap', 'tap0', '--static', '--ip', '192.0.2.1', ...(loss ? ['--impair', `loss=${loss}`] : [])]);
    await b.waitFor(/posix: up/, 10_000, 'the board to start');
    assert.match(b.log, /app: mqtt in wasm/);
    const tel = () => messages(s).filter((m) => m.topic === 'dev/asnet/telemetry');
    await until('three telemetry messages', () => tel().length >= 3, 30_000, () => `${s.log}\n${b.log}`);
    assert.match(tel()[0].payload, /^\{"seq":\d+,"uptime_ms":\d+,"rx":\d+\}$/);
    assert.ok(tel().every((m) => m.qos === 1));
    const seqs = tel().map((m) => Number(/"seq":(\d+)/.exec(m.payload)![1]));
    assert.deepEqual(seqs.slice(0, 3), [seqs[0], seqs[0] + 1, seqs[0] + 2], 'one telemetry message per second, in order');
    await broker.waitFor(/Received SUBSCRIBE from asnet-dev/, 10_000, 'the app to subscribe');
    for (const q of [0, 1, 2]) inNs(['mosquitto_pub', '-h', '192.0.2.2', '-t', `dev/asnet/cmd/q${q}/${loss}`, '-q', String(q), '-m', `ping ${q}`]);
    const echoes = () => messages(s).filter((m) => m.topic.startsWith('dev/asnet/echo/'));
    await until('three echoes', () => echoes().length >= 3, 30_000, () => `${s.log}\n${b.log}`);
    assert.deepEqual(echoes().map((m) => `${m.topic}=${m.payload} q${m.qos}`).sort(),
      [0, 1, 2].map((q) => `dev/asnet/echo/q${q}/${loss}=ping ${q} q${q}`));
    // Without loss the app connects once and stays connected (the first CONNECT used to be stamped
    // with time 0, so the CONNACK timeout fired at once on a board whose clock counts from boot).
    if (!loss) {
      const connects = broker.log.slice(mark).match(/New client connected from \S+ as asnet-dev/g) ?? [];
      assert.equal(connects.length, 1, `CONNECTs from the board:\n${broker.log.slice(mark)}`);
    }
    await b.stop();
    assert.doesNotMatch(b.log, /trapped|fatal/);
    if (loss) {
      const lost = Number(/impair: lost (\d+)/.exec(b.log)?.[1] ?? -1);
      console.log(`--impair loss=${loss}: ${lost} frames dropped by the board`);
      if (loss >= 10) assert.ok(lost > 0, `the impairment dropped nothing: ${b.log.slice(-500)}`);   // 1 %: maybe none in a few seconds
    }
  });
}

test('AS MQTT app on the posix board: the retained will reaches a subscriber once the broker drops the board (SIGKILL, keepalive 30 s)', { timeout: 150_000 }, async () => {
  const mark = broker.log.length;
  const b = new Proc([BIN, '--tap', 'tap0', '--static', '--ip', '192.0.2.1']);
  await b.waitFor(/posix: up/, 10_000, 'the board to start');
  await broker.waitFor(/Received SUBSCRIBE from asnet-dev/, 10_000, 'the app to subscribe', mark);
  inNs(['mosquitto_pub', '-h', '192.0.2.2', '-t', 'dev/asnet/status', '-r', '-n']);   // no stale retained will from earlier boards
  const m2 = broker.log.length;
  await b.stop('SIGKILL');                        // no DISCONNECT: mosquitto sees silence, 1.5 x keepalive
  await broker.waitFor(/Client asnet-dev (has exceeded timeout|closed its connection)/, 70_000, 'mosquitto to drop the board', m2);
  const s = await subscriber('dev/asnet/status');
  await until('the retained will', () => messages(s).length >= 1, 10_000, () => s.log);
  assert.deepEqual(messages(s)[0], { topic: 'dev/asnet/status', qos: 1, retain: 1, payload: 'offline' });
});
