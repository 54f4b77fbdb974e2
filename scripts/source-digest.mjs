// The sha256 of what build/stack.wasm (release) is made from: every file under assembly/ (path and
// bytes, in sorted order) and asconfig.json. `npm start` and prebuilt/ use it to tell whether a
// .wasm still matches the sources; test/prebuilt.test.ts checks the committed one does.
import { createHash } from 'node:crypto';
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
