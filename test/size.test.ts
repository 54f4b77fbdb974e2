// The size budgets of the product (DEVELOPERS.md "Speed and size are features"): build/stack.wasm at
// most 40 KiB, at most 160 bytes of RAM per TCP PCB, and the whole stack inside the 3 pages of
// linear memory the release build declares. A change that breaks a budget fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { Stack } from '../host/stack.ts';

test('build/stack.wasm <= 40 KiB, TCP PCB <= 160 bytes, static data inside linear memory', () => {
  const wasm = statSync('build/stack.wasm').size;
  assert.ok(wasm <= 40 * 1024, `build/stack.wasm is ${wasm} bytes, budget 40960`);
  const s = new Stack({ mac: '02:00:00:00:00:01', ip: '192.0.2.1' });
  const f = s.footprint();
  assert.ok(f.pcbBytes <= 160, `TCP PCB is ${f.pcbBytes} bytes, budget 160`);
  const memBytes = s.x.memory.buffer.byteLength;
  assert.ok(f.staticEnd < memBytes, `static data ends at ${f.staticEnd}, memory is ${memBytes}`);
  console.log(`size: stack.wasm ${wasm} B, PCB ${f.pcbBytes} B, static data ${f.staticEnd} B of ${memBytes} B`);
});
