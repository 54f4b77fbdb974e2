// `npm run prebuilt`: rebuilds the release build/stack.wasm and stores it with its source stamp in
// prebuilt/, which `npm start` uses on a fresh clone. Run it after changing assembly/ or asconfig.json;
// test/prebuilt.test.ts fails while prebuilt/ is stale.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildRelease, root, sourceDigest } from './source-digest.mjs';

buildRelease();
const digest = sourceDigest();
mkdirSync(join(root, 'prebuilt'), { recursive: true });
copyFileSync(join(root, 'build', 'stack.wasm'), join(root, 'prebuilt', 'stack.wasm'));
writeFileSync(join(root, 'prebuilt', 'stack.wasm.sources'), `${digest}\n`);
writeFileSync(join(root, 'build', 'stack.wasm.sources'), digest);
process.stdout.write(`prebuilt/stack.wasm updated (sources ${digest.slice(0, 12)})\n`);
