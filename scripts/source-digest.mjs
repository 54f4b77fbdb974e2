// The sha256 of what build/stack.wasm (release) is made from: every file under assembly/ (path and
// bytes, in sorted order) and asconfig.json. `npm start` and prebuilt/ use it to tell whether a
// .wasm still matches the sources; test/prebuilt.test.ts checks the committed one does.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const root = new URL('..', import.meta.url).pathname;

function files(dir) {
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

export function sourceDigest() {
  const h = createHash('sha256');
  for (const f of [...files(join(root, 'assembly')), join(root, 'asconfig.json')]) h.update(f.slice(root.length)).update(readFileSync(f));
  return h.digest('hex');
}

// The release build/stack.wasm as `npm run build` makes it: asc, then the shrink pass. asc's output
// (without binaryen's "Last converge was suboptimal." noise) goes to stderr; a failed build ends the
// process with status 1 after saying why.
export function buildRelease() {
  const asc = join(root, 'node_modules', '.bin', 'asc');
  const r = spawnSync(asc, ['assembly/index.ts', '--target', 'release'], { cwd: root, encoding: 'utf8' });
  const noise = /^Last converge was suboptimal\.$/;
  const out = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() && !noise.test(l.trim())).join('\n');
  if (out) process.stderr.write(`${out}\n`);
  if (r.status !== 0) fail(`build failed (asc exit ${r.status})`);
  const s = spawnSync(process.execPath, [join(root, 'scripts', 'wasm-shrink.mjs'), join(root, 'build', 'stack.wasm')], { stdio: 'inherit' });
  if (s.status !== 0) fail('build failed (wasm-shrink)');
}

function fail(why) {
  process.stderr.write(`${why}\n`);
  process.exit(1);
}
