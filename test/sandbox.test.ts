// Issue 19: the wasm2c sandbox variants (boards/common/wasm_sandbox.h) keep every access inside
// linear memory. A module of one `i32.store offset=200` / `i32.load offset=200` goes through wasm2c
// and scripts/wasm2c-sandbox.mjs and is built per variant with boards/common/test/sandbox_check.c,
// which reports for each address whether it trapped or where in the static array the store landed.
// check (and wasm2c's own checks) must trap exactly where wasm does, with the 33-bit effective
// address (0xffffff38 + 200 = 2^32 must trap, not wrap to 0); base traps on the address operand and
// lands the offset in the guard; mask never traps and wraps inside the array.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rewrite } from '../scripts/wasm2c-sandbox.mjs';

const ROOT = join(import.meta.dirname, '..');
const PAGE = 65536, OFF = 200, SIZE = 4;
const ADDRS = [0, 65332, 65333, 65335, 65336, 0xffff, 0x10000, 0x1ffff, 0xffffff38, 0xfffffffc, 0xffffffff];
const expected: Record<string, (a: number) => string> = {
  wasm2c: (a) => (a + OFF + SIZE > PAGE ? 'trap' : `at ${a + OFF}`),
  CHECK: (a) => (a + OFF + SIZE > PAGE ? 'trap' : `at ${a + OFF}`),
  BASE: (a) => (a >= PAGE ? 'trap' : `at ${a + OFF}`),
  MASK: (a) => `at ${(a & (PAGE - 1)) + OFF}`,
};

test('sandbox variants: traps and landing places of wild accesses, nothing escapes the array', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-'));
  try {
    writeFileSync(join(dir, 'm.wat'), `(module (memory (export "memory") 1 1)
      (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store offset=${OFF})
      (func (export "load") (param i32) (result i32) local.get 0 i32.load offset=${OFF}))`);
    execFileSync('wat2wasm', [join(dir, 'm.wat'), '-o', join(dir, 'm.wasm')]);
    execFileSync('wasm2c', [join(dir, 'm.wasm'), '-n', 'm', '-o', join(dir, 'm.c')]);
    const raw = readFileSync(join(dir, 'm.c'), 'utf8');
    const r = rewrite(raw);
    assert.deepEqual([r.sites, r.maxOffset, r.pages], [2, OFF, 1]);
    writeFileSync(join(dir, 'sandboxed.c'), r.text);
    for (const v of Object.keys(expected)) {
      const src = v === 'wasm2c' ? 'm.c' : 'sandboxed.c';
      const bin = join(dir, `check-${v}`);
      execFileSync('gcc', ['-O2', '-std=c11', `-I${dir}`, '-I/usr/src/wasm2c', `-I${join(ROOT, 'boards/common')}`,
        '-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0', '-DWASM_RT_USE_STACK_DEPTH_COUNT=0', `-DASNET_SANDBOX=ASNET_SANDBOX_${v === 'wasm2c' ? 'MASK' : v}`,
        join(ROOT, 'boards/common/test/sandbox_check.c'), join(dir, src), join(ROOT, 'boards/common/wasm_rt_static.c'), '-o', bin]);
      const out = execFileSync(bin, ADDRS.map(String), { encoding: 'utf8' }).trim().split('\n');
      assert.deepEqual(out, ADDRS.map((a) => `${a} ${expected[v](a)}`), `variant ${v}`);
    }
    assert.throws(() => rewrite(r.text), /already rewritten/);
    assert.throws(() => rewrite(raw.replace('wasm_rt_allocate_memory(&instance->w2c_memory, 1, 1)', 'wasm_rt_allocate_memory(&instance->w2c_memory, 1, 2)')), /may grow/);
    assert.throws(() => rewrite(raw.replace(/i32_load\(&instance->w2c_memory, \(u64\)\(w2c_\w+\) \+ 200u\)/, 'i32_load(&instance->w2c_memory, (u64)(w2c_x + 1) + 200u)')), /was not rewritten/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
