// A size pass after asc for the shipped builds: binaryen's own -Oz pipeline (optimize level 2,
// shrink level 2) run on asc's output until it stops shrinking. asc's pipeline adds
// AssemblyScript-specific passes and inlines for speed at -O3; this second pipeline folds and
// merges what those leave (measured: about 1.4 % of build/stack.wasm). Same binaryen as asc
// (the `binaryen` package asc depends on). Names (a --debug build) are kept when present, so a
// named twin shrinks to the same code (test/noalloc-static.test.ts relies on it).
//
//   node scripts/shrink.mjs build/stack.wasm [more.wasm ...]     rewrites each file in place
import binaryen from 'binaryen';
import { readFileSync, writeFileSync } from 'node:fs';

export function shrinkWasm(bytes) {
  let cur = bytes;
  for (let round = 0; round < 4; round++) {
    const m = binaryen.readBinary(cur);
    m.setFeatures(binaryen.Features.MVP | binaryen.Features.BulkMemory | binaryen.Features.SignExt |
      binaryen.Features.BulkMemoryOpt | binaryen.Features.NontrappingFPToInt | binaryen.Features.MutableGlobals);
    binaryen.setOptimizeLevel(2);
    binaryen.setShrinkLevel(2);
    binaryen.setDebugInfo(true);
    m.optimize();
    const out = m.emitBinary();
    m.dispose();
    if (out.length >= cur.length) break;
    cur = out;
  }
  return cur;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of process.argv.slice(2)) {
    const before = readFileSync(f);
    const after = shrinkWasm(before);
    writeFileSync(f, after);
    console.log(`shrink: ${f} ${before.length} -> ${after.length} bytes`);
  }
}
