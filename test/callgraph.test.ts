// Issue 19: wasm2c's stack-depth counting is dropped only because the call depth is proven bounded.
// The call graph of every build is read from the .wasm (scripts/callgraph-depth.ts); the test fails
// on any recursion, call_indirect or function table, and sizes the native stack of the Cortex-M3
// board from the deepest path: gcc -fstack-usage frames of the wasm2c output summed along it, plus
// the glue around a call, must fit the stack that boards/mps2-an385/mps2-an385.ld reserves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyse, cName, deepest, readCallGraph, readStackUsage, UnboundedError } from '../scripts/callgraph-depth.ts';
import { rewrite } from '../scripts/wasm2c-sandbox.mjs';

const ROOT = join(import.meta.dirname, '..');

function wat(dir: string, name: string, text: string): string {
  writeFileSync(join(dir, `${name}.wat`), text);
  execFileSync('wat2wasm', [join(dir, `${name}.wat`), '-o', join(dir, `${name}.wasm`)]);
  return join(dir, `${name}.wasm`);
}

test('the reader refuses what it cannot bound: recursion (direct, mutual), call_indirect', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callgraph-'));
  try {
    const chain = readCallGraph(wat(dir, 'chain', `(module (func $a (export "a") call $b) (func $b call $c) (func $c))`));
    assert.equal(deepest(chain, 0, () => 1).path.length, 3, 'a > b > c');
    const self = readCallGraph(wat(dir, 'self', `(module (func $a (export "a") call $a))`));
    assert.throws(() => analyse(self), (e: Error) => e instanceof UnboundedError && /recursion: w2c_a -> w2c_a/.test(e.message));
    const mutual = readCallGraph(wat(dir, 'mutual', `(module (func $a (export "a") call $b) (func $b call $c) (func $c call $b))`));
    assert.throws(() => analyse(mutual), /recursion: w2c_f1 -> w2c_f2 -> w2c_f1/);
    const ind = readCallGraph(wat(dir, 'ind', `(module (type $t (func)) (table 1 funcref) (elem (i32.const 0) $b)
      (func $a (export "a") i32.const 0 call_indirect (type $t)) (func $b))`));
    assert.throws(() => analyse(ind), /call_indirect in func\[0\]/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

for (const f of ['stack.wasm', 'stack.checked.wasm', 'stack.server.wasm', 'app.wasm', 'stack.mcast.wasm']) {
  test(`build/${f}: no recursion, no call_indirect, bounded call depth`, () => {
    const g = readCallGraph(join(ROOT, 'build', f));
    const rows = analyse(g);
    const depth = Math.max(...rows.map((r) => r.depth));
    assert.ok(depth >= 2 && depth < 64, `deepest chain ${depth}`);
    console.log(`callgraph: ${f}: ${g.callees.size} functions, deepest chain ${depth} frames (${rows[0].name})`);
  });
}

test('Cortex-M3: the deepest native stack of any call fits the stack mps2-an385 reserves', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callgraph-m3-'));
  try {
    execFileSync('wasm2c', [join(ROOT, 'build/stack.wasm'), '-n', 'stack', '-o', join(dir, 'stack.c')]);
    writeFileSync(join(dir, 'stack.c'), rewrite(readFileSync(join(dir, 'stack.c'), 'utf8')).text);
    const cflags = ['-mcpu=cortex-m3', '-mthumb', '-Os', '-std=c11', '-ffunction-sections', '-fdata-sections', '-fstack-usage',
      `-I${dir}`, '-I/usr/src/wasm2c', `-I${join(ROOT, 'boards/common')}`, '-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0',
      '-DWASM_RT_USE_STACK_DEPTH_COUNT=0', '-Wno-unused', '-c'];
    execFileSync('arm-none-eabi-gcc', [...cflags, join(dir, 'stack.c'), '-o', join(dir, 'stack.o')], { cwd: dir });
    execFileSync('arm-none-eabi-gcc', [...cflags, join(ROOT, 'boards/common/runtime_wasm2c.c'), '-o', join(dir, 'runtime_wasm2c.o')], { cwd: dir });
    const su = readStackUsage([join(dir, 'stack.su'), join(dir, 'runtime_wasm2c.su')]);
    const g = readCallGraph(join(ROOT, 'build/stack.wasm'));
    const rows = analyse(g, su);
    const worst = rows[0];
    // Around every call: stack_rt_call (its jmp_buf) and dispatch; the imports' own frames are in the
    // path (Z_envZ_*); what a board's netif_output does below that is its own (1 KiB allowed here).
    const glue = (su.get('stack_rt_call') ?? NaN) + (su.get('dispatch') ?? 0);
    const BOARD_ALLOWANCE = 1024;
    const need = worst.nativeBytes! + glue + BOARD_ALLOWANCE;
    const ld = readFileSync(join(ROOT, 'boards/mps2-an385/mps2-an385.ld'), 'utf8').match(/_stack_size = (0x[0-9a-f]+|\d+)/i);
    assert.ok(ld, 'the linker script names _stack_size');
    assert.ok(Number.isFinite(glue) && worst.nativeBytes! > 0, 'frames found in the .su files');
    assert.ok(need <= Number(ld[1]), `a call needs up to ${need} bytes of stack, the board reserves ${Number(ld[1])}`);
    console.log(`callgraph: Cortex-M3 deepest native stack ${worst.nativeBytes} B (${worst.name}: ${worst.nativePath!.map((i) => cName(g, i)).join(' > ')}), + glue ${glue} B + board ${BOARD_ALLOWANCE} B = ${need} B of ${Number(ld[1])} B`);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
