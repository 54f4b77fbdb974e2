// The sockets program of the posix board (boards/posix/sockets, `make -C boards/posix sockets`) in a
// network namespace this process creates (192.0.2.0/24: the board 192.0.2.2 on tap0, Linux
// 192.0.2.1), for test/sockets*.test.ts. Every wait is bounded; the namespace is removed at the end.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { sh } from './netns.ts';

export { Netns, requireRoot, sh, waitFor } from './netns.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BOARD = join(ROOT, 'boards', 'posix');
export const PEER = join(ROOT, 'test', 'helpers', 'sock-peer.mjs');
export const sockBin = (tsan = false) => join(BOARD, 'build', tsan ? 'sock-tsan' : 'sock', 'asnet-sock');
export const NATIVE = join(BOARD, 'build', 'sock', 'asnet-sock-native');

/** `make -C boards/posix sockets`, one at a time: test/sockets.test.ts and test/sockets-tls.test.ts may
 * run at once (scripts/run-tests.mjs runs 2 files concurrently) and share the build folder. */
export function buildSockets(): void {
  sh('flock', ['/tmp/asnet-sockets-build.lock', 'make', '-C', BOARD, '-s', 'sockets'], 300_000);
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
