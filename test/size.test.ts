// The size budgets of the product: build/stack.wasm at most 40 KiB, at most 160 bytes of RAM per TCP
// PCB, and the memory model of issue 19: every default build (release, checked, debug, noalloc)
// declares exactly ONE 64 KiB page that cannot grow and holds all of its static data, pools and
// AssemblyScript shadow stack (__heap_base, reported by footprint(), is where the stack would end);
// the server builds declare 3 pages, the host build 8. A change that breaks a budget fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { Stack, wasmPath, type Build } from '../host/stack.ts';

const PAGE = 65536;
const BUILDS: [Build, number][] = [
  ['release', 1], ['checked', 1], ['debug', 1], ['noalloc', 1], ['server', 3], ['server-checked', 3], ['host', 8],
];

test('build/stack.wasm <= 40 KiB and TCP PCB <= 160 bytes', () => {
  const wasm = statSync('build/stack.wasm').size;
  assert.ok(wasm <= 40 * 1024, `build/stack.wasm is ${wasm} bytes, budget 40960`);
  const f = new Stack({ mac: '02:00:00:00:00:01', ip: '192.0.2.1', build: 'release' }).footprint();
  assert.ok(f.pcbBytes <= 160, `TCP PCB is ${f.pcbBytes} bytes, budget 160`);
  console.log(`size: stack.wasm ${wasm} B, PCB ${f.pcbBytes} B`);
});

for (const [build, pages] of BUILDS) {
  test(`${build}: ${pages} page(s) of linear memory, fixed, holding static data, pools and stack`, () => {
    const s = new Stack({ mac: '02:00:00:00:00:01', ip: '192.0.2.1', build });
    const mem = s.x.memory as WebAssembly.Memory;
    assert.equal(mem.buffer.byteLength, pages * PAGE, `${wasmPath(build)} declares ${mem.buffer.byteLength / PAGE} pages`);
    assert.throws(() => mem.grow(1), RangeError, 'the maximum equals the initial size: memory cannot grow');
    const f = s.footprint();
    assert.ok(f.staticEnd <= pages * PAGE, `static data + stack end at ${f.staticEnd}, memory is ${pages * PAGE}`);
    // The pools the footprint reports are the ones in memory: the buffer pool alone must fit.
    assert.ok(f.blocks * f.blockBytes + f.tcpPcbs * f.pcbBytes < f.staticEnd);
    console.log(`size: ${build}: ${pages} page(s), heap base ${f.staticEnd}, ${pages * PAGE - f.staticEnd} B spare, ${f.blocks} blocks`);
  });
}

test('the one-page and server builds differ only in pool sizes', () => {
  const one = new Stack({ mac: '02:00:00:00:00:01', ip: '192.0.2.1', build: 'release' });
  const srv = new Stack({ mac: '02:00:00:00:00:01', ip: '192.0.2.1', build: 'server' });
  const [a, b] = [one.footprint(), srv.footprint()];
  assert.equal(a.pcbBytes, b.pcbBytes);
  assert.equal(a.tcpPcbs, b.tcpPcbs);
  assert.ok(a.blocks < b.blocks && a.staticEnd < PAGE && b.staticEnd > PAGE, `${a.blocks}/${b.blocks} blocks`);
  assert.ok(Math.abs(statSync(wasmPath('release')).size - statSync(wasmPath('server')).size) < 256, 'same code');
});
