// A network namespace a test file creates for a board (192.0.2.0/24: Linux 192.0.2.1 on tap0 unless
// the test builds its own links), the processes it starts there, and bounded waits on their output.
// Named with the pid, so two test files (or two checkouts) never share one; close() kills what is
// left and removes the namespace. Used by the board tests that talk to real Linux programs.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';

export function sh(cmd: string, args: string[], timeout = 20_000, cwd?: string, env?: NodeJS.ProcessEnv): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout, cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Fails with the fix when the test cannot run here: not root, or a tool missing ([tool, Debian package]). */
export function requireRoot(what: string, tools: [string, string][]): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    assert.fail(`${what}: must run as root (it creates a network namespace and a TAP device)`);
  }
  for (const [tool, pkg] of [['ip', 'iproute2'], ['make', 'make'], ['wasm2c', 'wabt'], ...tools]) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) assert.fail(`${what}: '${tool}' is missing. Fix: apt-get install -y ${pkg}`);
  }
}

/** A process started in a namespace: its whole output so far is `log()`. */
export type Proc = { proc: ChildProcess; log: () => string };

export type NetnsOptions = {
  /** Create tap0 with 192.0.2.1/24 (default); false leaves the links to the test. */
  tap?: boolean;
  /** Environment of every command run in the namespace (default: this process's). */
  env?: NodeJS.ProcessEnv;
};

export class Netns {
  readonly name: string;
  private procs: ChildProcess[] = [];
  private env?: NodeJS.ProcessEnv;
  constructor(tag: string, opts: NetnsOptions = {}) {
    this.name = `asnet-${tag}-${process.pid}`;
    this.env = opts.env;
    sh('ip', ['netns', 'add', this.name]);
    try {
      this.exec(['ip', 'link', 'set', 'lo', 'up']);
      if (opts.tap === false) return;
      this.exec(['ip', 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap']);
      this.exec(['ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'tap0']);
      this.exec(['ip', 'link', 'set', 'tap0', 'up']);
    } catch (e) {
      spawnSync('ip', ['netns', 'del', this.name]);           // the caller never gets an object to close()
      throw e;
    }
  }

  exec(cmd: string[], timeout?: number, cwd?: string): string {
    return sh('ip', ['netns', 'exec', this.name, ...cmd], timeout, cwd, this.env);
  }

  /** A long-running process in the namespace; its output accumulates in `log()`. */
  start(cmd: string[], cwd?: string): Proc {
    const proc = spawn('ip', ['netns', 'exec', this.name, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'], cwd, env: this.env });
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

  /** Kills every process this namespace started that still runs and waits (≤ 5 s) until they are gone. */
  async stopAll(): Promise<void> {
    for (const p of this.procs) if (p.exitCode === null) p.kill('SIGKILL');
    await until(() => this.procs.every((p) => p.exitCode !== null), 5_000);
  }

  close(): void {
    for (const p of this.procs) if (p.exitCode === null) p.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', this.name]);
  }
}

/** SIGTERM, then SIGKILL after 5 s. */
export async function stop(x: Proc): Promise<void> {
  if (x.proc.exitCode !== null) return;
  x.proc.kill('SIGTERM');
  await until(() => x.proc.exitCode !== null, 5_000);
  if (x.proc.exitCode === null) x.proc.kill('SIGKILL');
}

async function until(pred: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** Waits (bounded) for `pred`; on time-out fails naming `what`, with the output of `logs`. */
export async function waitFor(pred: () => boolean, ms: number, what: string, ...logs: Proc[]): Promise<void> {
  if (await until(pred, ms)) return;
  assert.fail(`timed out waiting for ${what}${logs.map((l) => `\n----\n${l.log()}`).join('')}`);
}
