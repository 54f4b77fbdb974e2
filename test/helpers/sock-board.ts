// The sockets program of the posix board (boards/posix/sockets, `make -C boards/posix sockets`) in a
// network namespace this process creates (192.0.2.0/24: the board 192.0.2.2 on tap0, Linux
// 192.0.2.1), for test/sockets*.test.ts. Every wait is bounded; the namespace is removed at the end.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BOARD = join(ROOT, 'boards', 'posix');
export const PEER = join(ROOT, 'test', 'helpers', 'sock-peer.mjs');
export const sockBin = (tsan = false) => join(BOARD, 'build', tsan ? 'sock-tsan' : 'sock', 'asnet-sock');
export const NATIVE = join(BOARD, 'build', 'sock', 'asnet-sock-native');

export function sh(cmd: string, args: string[], timeout = 20_000, cwd?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `make -C boards/posix sockets`, one at a time: test/sockets.test.ts and test/sockets-tls.test.ts may
 * run at once (scripts/run-tests.mjs runs 2 files concurrently) and share the build folder. */
export function buildSockets(): void {
  sh('flock', ['/tmp/asnet-sockets-build.lock', 'make', '-C', BOARD, '-s', 'sockets'], 300_000);
}

export function requireRoot(what: string, tools: [string, string][]): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    assert.fail(`${what}: must run as root (it creates a network namespace and a TAP device)`);
  }
  for (const [tool, pkg] of [['ip', 'iproute2'], ['make', 'make'], ['wasm2c', 'wabt'], ...tools]) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) assert.fail(`${what}: '${tool}' is missing. Fix: apt-get install -y ${pkg}`);
  }
}

export class Netns {
  readonly name: string;
  private procs: ChildProcess[] = [];
  constructor(tag: string) {
    this.name = `asnet-${tag}-${process.pid}`;
    sh('ip', ['netns', 'add', this.name]);
    this.exec(['ip', 'link', 'set', 'lo', 'up']);
    this.exec(['ip', 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap']);
    this.exec(['ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'tap0']);
    this.exec(['ip', 'link', 'set', 'tap0', 'up']);
  }
  exec(cmd: string[], timeout?: number, cwd?: string): string { return sh('ip', ['netns', 'exec', this.name, ...cmd], timeout, cwd); }

  /** A long-running process in the namespace; its output accumulates in `log()`. */
  start(cmd: string[], cwd?: string): { proc: ChildProcess; log: () => string } {
    const proc = spawn('ip', ['netns', 'exec', this.name, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'], cwd });
    let out = '';
    proc.stdout!.on('data', (d) => { out += d; });
    proc.stderr!.on('data', (d) => { out += d; });
    this.procs.push(proc);
    return { proc, log: () => out };
  }

  /** Runs to the end (bounded); resolves with the exit code and the whole output. */
  run(cmd: string[], ms: number, cwd?: string): Promise<{ code: number | null; out: string }> {
    const { proc, log } = this.start(cmd, cwd);
    return new Promise((resolve) => {
      const timer = setTimeout(() => proc.kill('SIGKILL'), ms);
      proc.on('exit', (code) => { clearTimeout(timer); resolve({ code, out: log() }); });
    });
  }

  close(): void {
    for (const p of this.procs) if (p.exitCode === null) p.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', this.name]);
  }
}

export async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The last line of a program's output that parses as JSON. */
export function lastJson(out: string): Record<string, any> {
  const lines = out.trim().split('\n').filter((l) => l.startsWith('{'));
  assert.ok(lines.length, `no JSON line in:\n${out}`);
  try { return JSON.parse(lines.at(-1)!); } catch (e) { throw new Error(`${(e as Error).message} in the line:\n${lines.at(-1)}\nof:\n${out}`); }
}

/** The board command: the sockets program on tap0 as 192.0.2.2 running MODE with ARGS. */
export function boardCmd(mode: string, args: string[], opts: { tsan?: boolean; impair?: string; dns?: string } = {}): string[] {
  return [sockBin(opts.tsan), '--tap', 'tap0', '--ip', '192.0.2.2', '--mask', '255.255.255.0',
    ...(opts.dns ? ['--dns', opts.dns] : []), ...(opts.impair ? ['--impair', opts.impair] : []), '--mode', mode, '--', ...args];
}
