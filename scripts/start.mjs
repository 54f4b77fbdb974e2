// `npm start`: builds only what the demo needs (the release build/stack.wasm), and only when the
// AssemblyScript sources changed since the last build (a hash of assembly/** and asconfig.json),
// without binaryen's "Last converge was suboptimal." noise; then runs host/cli.ts with the arguments.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const wasm = join(root, 'build', 'stack.wasm');
const stamp = join(root, 'build', 'stack.wasm.sources');

function files(dir) {
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

const h = createHash('sha256');
for (const f of [...files(join(root, 'assembly')), join(root, 'asconfig.json')]) h.update(f.slice(root.length)).update(readFileSync(f));
const digest = h.digest('hex');

if (!existsSync(wasm) || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== digest) {
  process.stderr.write('building build/stack.wasm (release) ...\n');
  const asc = join(root, 'node_modules', '.bin', 'asc');
  const r = spawnSync(asc, ['assembly/index.ts', '--target', 'release'], { cwd: root, encoding: 'utf8' });
  const noise = /^Last converge was suboptimal\.$/;
  const out = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() && !noise.test(l.trim()));
  if (r.status !== 0) {
    process.stderr.write(`${out.join('\n')}\nbuild failed (asc exit ${r.status})\n`);
    process.exit(1);
  }
  if (out.length) process.stderr.write(`${out.join('\n')}\n`);
  writeFileSync(stamp, digest);
}

const tsx = join(root, 'node_modules', '.bin', 'tsx');
const run = spawnSync(tsx, [join(root, 'host', 'cli.ts'), ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, ASNET_BUILD: 'release' } });
process.exit(run.status ?? 1);
