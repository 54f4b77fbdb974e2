// `npm start`: the demo on the release build/stack.wasm. It needs nothing else built:
// - build/stack.wasm is used when its stamp matches the sources (a hash of assembly/** + asconfig.json);
// - else prebuilt/stack.wasm (committed, made by `npm run prebuilt`) is copied there when its stamp
//   matches — so a fresh clone shows output within seconds of `npm install`;
// - else the release build runs (~15 s of CPU), without binaryen's "Last converge was suboptimal." noise.
// Then host/cli.ts runs with the arguments, in this process.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildRelease, root, sourceDigest } from './source-digest.mjs';

const wasm = join(root, 'build', 'stack.wasm');
const stamp = join(root, 'build', 'stack.wasm.sources');
const preWasm = join(root, 'prebuilt', 'stack.wasm');
const preStamp = join(root, 'prebuilt', 'stack.wasm.sources');
const digest = sourceDigest();
const matches = (w, s) => existsSync(w) && existsSync(s) && readFileSync(s, 'utf8').trim() === digest;

if (!matches(wasm, stamp)) {
  if (matches(preWasm, preStamp)) {
    mkdirSync(join(root, 'build'), { recursive: true });
    copyFileSync(preWasm, wasm);
    writeFileSync(stamp, digest);
  } else {
    process.stderr.write('building build/stack.wasm (release; prebuilt/ does not match the sources) ...\n');
    buildRelease();
    writeFileSync(stamp, digest);
  }
}

// host/cli.ts runs in this process (tsx's loader registered here), not in a second node.
process.env.ASNET_BUILD = 'release';
const { register } = await import('tsx/esm/api');
register();
await import(join(root, 'host', 'cli.ts'));
