// prepack step after tsc: copies the .wasm builds next to the compiled JS (dist/build/, where
// dist/host/stack.js looks for them) and fails if the release build is missing.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
mkdirSync(join(root, 'dist', 'build'), { recursive: true });
for (const f of ['stack.wasm', 'stack.checked.wasm', 'stack.debug.wasm', 'stack.noalloc.wasm']) {
  const from = join(root, 'build', f);
  if (!existsSync(from)) {
    if (f === 'stack.wasm' || f === 'stack.checked.wasm') { console.error(`pack: ${from} missing`); process.exit(1); }
    continue;
  }
  copyFileSync(from, join(root, 'dist', 'build', f));
}

// Declarations keep the sources' `./x.ts` specifiers; consumers resolve the shipped `./x.js` + `./x.d.ts`.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
const dts = join(root, 'dist', 'host');
for (const f of readdirSync(dts).filter((n) => n.endsWith('.d.ts'))) {
  const p = join(dts, f);
  writeFileSync(p, readFileSync(p, 'utf8').replace(/(from\s+'\.{1,2}\/[^']+)\.ts'/g, "$1.js'").replace(/(import\('\.{1,2}\/[^']+)\.ts'\)/g, "$1.js')"));
}
