// Runs test/helpers/posix-client.mjs inside a network namespace without blocking the event loop
// (a board's log keeps draining meanwhile); resolves with the client's last JSON line.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const CLIENT = join(import.meta.dirname, 'posix-client.mjs');

export type ClientResult = { ok: boolean; sessions: number; orders: string[]; ms: number; error?: string };

export function clientInNs(ns: string, mode: string, n: number): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', ns, process.execPath, CLIENT, mode, String(n)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (d) => { out += d; });
    p.stderr!.on('data', (d) => { out += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), 150_000);
    p.on('exit', () => {
      clearTimeout(timer);
      try { resolve(JSON.parse(out.trim().split('\n').at(-1)!)); } catch { reject(new Error(`client ${mode}: ${out}`)); }
    });
  });
}
