// Rewrites wasm2c 1.0.32 output (stack.c, in place) for boards/common/wasm_sandbox.h: every
// linear-memory load and store gets its address operand and constant offset as two u32 instead of
// one u64, and the loads/stores are defined by the sandbox header (ASNET_SANDBOX: check, base,
// mask, none). Fails, naming what it found, on anything it does not recognise: an access it cannot
// rewrite, a second memory, or a memory that can grow.
//   node scripts/wasm2c-sandbox.mjs build/stack.c
import { readFileSync, writeFileSync } from 'node:fs';

export function rewrite(src) {
  if (src.includes('#include "wasm_sandbox.h"')) throw new Error('already rewritten');
  // The little- and big-endian definitions of load_data, LOAD_DATA, DEFINE_LOAD and DEFINE_STORE.
  const start = src.indexOf('#if WABT_BIG_ENDIAN\nstatic inline void load_data');
  const end = src.indexOf('\nDEFINE_LOAD(i32_load, u32, u32, u32)');
  if (start < 0 || end < 0 || end < start) throw new Error('the DEFINE_LOAD/DEFINE_STORE prelude of wasm2c 1.0.32 was not found');
  const mems = [...src.matchAll(/wasm_rt_allocate_memory\(&instance->(\w+), (\d+), (\d+)\);/g)];
  if (mems.length !== 1) throw new Error(`expected one linear memory, found ${mems.length}`);
  const [, memName, initial, max] = mems[0];
  if (initial !== max) throw new Error(`memory ${memName} may grow (${initial} to ${max} pages): the sandbox needs a fixed size`);
  let maxOffset = 0;
  let sites = 0;
  const site = new RegExp(`\\b((?:i32|i64|f32|f64)_(?:load|store)\\w*)\\(&instance->${memName}, \\(u64\\)\\((w2c_\\w+)\\)(?: \\+ (\\d+)u?)?`, 'g');
  const body = src.slice(end).replace(site, (_m, fn, addr, off) => {
    sites++;
    const o = Number(off ?? 0);
    if (o > maxOffset) maxOffset = o;
    return `${fn}(&instance->${memName}, ${addr}, ${o}u`;
  });
  const left = body.match(/\b(?:i32|i64|f32|f64)_(?:load|store)\w*\(&[^;\n]*\(u64\)[^;\n]*/);
  if (left) throw new Error(`an access was not rewritten: ${left[0].slice(0, 120)}`);
  const defines = `#define ASNET_SANDBOX_PAGES ${initial}\n#define ASNET_SANDBOX_MAX_OFFSET ${maxOffset}\n` +
    `#define ASNET_SANDBOX_SITES ${sites}\n#include "wasm_sandbox.h"\n`;
  return { text: src.slice(0, start) + defines + body, sites, maxOffset, pages: Number(initial) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) { console.error('usage: node scripts/wasm2c-sandbox.mjs <wasm2c output .c>'); process.exit(2); }
  try {
    const r = rewrite(readFileSync(file, 'utf8'));
    writeFileSync(file, r.text);
    console.log(`wasm2c-sandbox: ${file}: ${r.sites} accesses, max offset ${r.maxOffset}, ${r.pages} page(s)`);
  } catch (e) {
    console.error(`wasm2c-sandbox: ${file}: ${e.message}`);
    process.exit(1);
  }
}
