// Issue 13: application code in AssemblyScript on a board. The posix board built with APP=1 runs
// build/app.wasm (the stack plus examples/as-app/services.ts, through assembly/app/net.ts); its C
// only forwards events to the module's app_event. Checked against the Linux kernel's TCP in a
// network namespace this test creates: echo byte-exact (the module half-closes back) and the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { clientInNs } from './helpers/netns-client.ts';

const ROOT = join(import.meta.dirname, '..');
const BOARD = join(ROOT, 'boards', 'posix');
const BIN = join(BOARD, 'build-app', 'asnet-posix');
const CLIENT = join(ROOT, 'test', 'helpers', 'posix-client.mjs');
const NS = `asnet-app-${process.pid}`;
let board: ChildProcess | null = null;
let log = '';

const sh = (cmd: string, args: string[], timeout = 30_000) =>
  execFileSync(cmd, args, { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (cmd: string[], timeout?: number) => sh('ip', ['netns', 'exec', NS, ...cmd], timeout);

before(async () => {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    assert.fail("board-posix-app: must run as root (network namespace, TAP). Fix: run 'sudo npm test'");
  }
  sh('make', ['-C', BOARD, '-s', 'APP=1'], 120_000);
  sh('ip', ['netns', 'add', NS]);
  inNs(['ip', 'link', 'set', 'lo', 'up']);
  inNs(['ip', 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap']);
  inNs(['ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'tap0']);
  inNs(['ip', 'link', 'set', 'tap0', 'up']);
  board = spawn('ip', ['netns', 'exec', NS, BIN, '--tap', 'tap0', '--static', '--ip', '192.0.2.2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  board.stdout!.on('data', (d) => { log += d; });
  board.stderr!.on('data', (d) => { log += d; });
  const end = Date.now() + 10_000;
  while (!log.includes('posix: up')) {
    if (Date.now() > end) assert.fail(`board did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 20));
  }
});

after(() => {
  if (board && board.exitCode === null) board.kill('SIGKILL');
  spawnSync('ip', ['netns', 'del', NS]);
});

test('AssemblyScript services in the module: echo 256 KiB byte-exact, HTTP page', async () => {
  assert.match(log, /app: services in wasm/);
  const out = JSON.parse(inNs([process.execPath, CLIENT, 'echo', String(256 * 1024)], 30_000).trim().split('\n').at(-1)!);
  assert.ok(out.ok, JSON.stringify(out));
  const page = inNs(['curl', '-s', '-m', '5', 'http://192.0.2.2/']);
  assert.match(page, /hello from wasm/);
  const end = Date.now() + 5_000;                       // the board's output arrives asynchronously
  while (!/tcp: pcb \d+ ESTABLISHED -> CLOSE_WAIT/.test(log) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.match(log, /tcp: pcb \d+ ESTABLISHED -> CLOSE_WAIT/, 'state changes printed by the board');
});


async function netstat(): Promise<string> {
  const mark = log.length;
  board!.kill('SIGUSR1');
  const end = Date.now() + 3_000;
  while (!/netstat:[^\n]*\n/.test(log.slice(mark))) {
    if (Date.now() > end) assert.fail(`no netstat line:\n${log.slice(mark)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return /netstat:([^\n]*)\n/.exec(log.slice(mark))![1];
}

// Issue 18 bug 8: the module's services (8 connection slots) release every handle, whoever closes
// first: 100 sessions per close order, then netstat shows nothing but listeners and TIME_WAIT.
for (const service of ['echo', 'http']) {
  test(`AssemblyScript ${service} in the module: 100 sessions per close order, no handle left behind`, async () => {
    const r = await clientInNs(NS, `sessions-${service}`, 100);
    assert.ok(r.ok, `${JSON.stringify(r)}\nboard log tail:\n${log.slice(-1500)}`);
    console.log(`posix app ${service}: ${r.sessions} sessions (${r.orders.join(', ')}) in ${r.ms} ms`);
    let line = await netstat();
    const leaks = (l: string) => [...l.split('|')[0].matchAll(/(\w+)=(\d+)/g)].filter((m) => m[1] !== 'LISTEN' && m[1] !== 'TIME_WAIT').map((m) => m[0]);
    for (let i = 0; i < 25 && leaks(line).length; i++) { await new Promise((res) => setTimeout(res, 200)); line = await netstat(); }
    assert.deepEqual(leaks(line), [], `connections left behind: ${line}`);
    assert.match(line, /LISTEN=2/);
    assert.match(line, /traps 0/, 'no trap (a restart would hide a leak)');
  });
}
