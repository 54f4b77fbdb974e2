// `node scripts/wasm-shrink.mjs FILE...`: a second binaryen pass (`wasm-opt -Oz --converge`, the
// binaryen that asc itself uses) over finished builds, in place: asc's own pipeline stops at a local
// optimum and this pass takes a few hundred bytes more off build/stack.wasm (compare the size of
// `asc assembly/index.ts --target release` before and after it). It enables only the features asc
// emits by default.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const wasmOpt = join(root, 'node_modules', '.bin', 'wasm-opt');
const FEATURES = ['--enable-bulk-memory', '--enable-sign-ext', '--enable-mutable-globals', '--enable-nontrapping-float-to-int'];

// --keep-names: keep the names section (the hot-spot build of bench/wasm2c).
const keep = process.argv.includes('--keep-names');
for (const f of process.argv.slice(2).filter((a) => a !== '--keep-names')) {
  const before = statSync(f).size;
  const r = spawnSync(wasmOpt, [...FEATURES, ...(keep ? ['-g'] : []), f, '-Oz', '--converge', '-o', f], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) { process.stderr.write(`wasm-shrink: wasm-opt failed on ${f}\n`); process.exit(1); }
  if (process.env.ASNET_SHRINK_VERBOSE) process.stdout.write(`wasm-shrink: ${f} ${before} -> ${statSync(f).size} bytes\n`);
}
