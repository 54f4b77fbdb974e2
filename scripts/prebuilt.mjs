// `npm run prebuilt`: rebuilds the release build/stack.wasm and stores it with its source stamp in
// prebuilt/, which `npm start` uses on a fresh clone. Run it after changing assembly/ or asconfig.json;
// test/prebuilt.test.ts fails while prebuilt/ is stale.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, sourceDigest } from './source-digest.mjs';

const asc = join(root, 'node_modules', '.bin', 'asc');
const r = spawnSync(asc, ['assembly/index.ts', '--target', 'release'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
if (r.status !== 0) process.exit(r.status ?? 1);
const digest = sourceDigest();
mkdirSync(join(root, 'prebuilt'), { recursive: true });
copyFileSync(join(root, 'build', 'stack.wasm'), join(root, 'prebuilt', 'stack.wasm'));
writeFileSync(join(root, 'prebuilt', 'stack.wasm.sources'), `${digest}\n`);
writeFileSync(join(root, 'build', 'stack.wasm.sources'), digest);
process.stdout.write(`prebuilt/stack.wasm updated (sources ${digest.slice(0, 12)})\n`);
