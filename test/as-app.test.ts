// Issue 13: application code in AssemblyScript compiled into the same .wasm as the stack
// (examples/as-app/services.ts -> build/app.wasm) through assembly/app/net.ts. The host only
// forwards events to app_event; the echo and HTTP services run inside the module.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Sim } from '../host/sim.ts';
import { EAGAIN } from '../host/abi.ts';
import type { Stack } from '../host/stack.ts';

const APP = fileURLToPath(new URL('../build/app.wasm', import.meta.url));
type AppExports = { app_start(): number; app_event(h: number, ev: number): void };

function world() {
  const sim = new Sim({ seed: 99 });
  const dev = sim.addStack({ name: 'DEV', mac: '02:00:00:00:00:0a', ip: '192.0.2.10', wasmPath: APP });
  const pc = sim.addStack({ name: 'PC', mac: '02:00:00:00:00:0b', ip: '192.0.2.11' });
  sim.connect([dev, pc], { impair: { delayMs: 1 } });
  const app = dev.x as unknown as AppExports;
  assert.equal(app.app_start(), 0);
  dev.onEvent((e) => app.app_event(e.handle, e.events));
  return { sim, dev, pc };
}

function drain(pc: Stack, h: number, into: Uint8Array[]): number {
  let n = 0;
  for (;;) {
    const r = pc.recv(h);
    if (typeof r === 'number' || r.length === 0) return typeof r === 'number' && r !== EAGAIN ? r : n;
    into.push(r); n += r.length;
  }
}

test('echo service in wasm: 256 KiB byte-exact through a full send buffer, then half-close', () => {
  const { sim, pc } = world();
  const h = pc.socket();
  pc.connect(h, '192.0.2.10', 7);
  sim.run({ for: 50 });
  const data = Uint8Array.from({ length: 256 * 1024 }, (_, i) => (i * 31 + (i >> 9)) & 255);
  const got: Uint8Array[] = [];
  let sent = 0, total = 0;
  for (let step = 0; step < 20_000 && total < data.length; step++) {
    if (sent < data.length) { const r = pc.send(h, data.subarray(sent, sent + 4096)); if (r > 0) sent += r; }
    sim.run({ for: 5 });
    total += drain(pc, h, got);
  }
  assert.equal(total, data.length);
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  assert.equal(sha(Buffer.concat(got)), sha(data));
  pc.shutdown(h, 1);
  sim.run({ for: 100 });
  const end = pc.recv(h);
  assert.ok(end instanceof Uint8Array && end.length === 0, 'the app half-closed back after our FIN');
});

test('HTTP service in wasm: a request head split over two segments gets one page, then FIN', () => {
  const { sim, pc } = world();
  const h = pc.socket();
  pc.connect(h, '192.0.2.10', 80);
  sim.run({ for: 50 });
  pc.send(h, new TextEncoder().encode('GET / HTTP/1.0\r\nHost: dev\r'));
  sim.run({ for: 50 });
  pc.send(h, new TextEncoder().encode('\n\r\n'));
  sim.run({ for: 400 });                             // Nagle holds this until the delayed ACK (250 ms tick)
  const parts: Uint8Array[] = [];
  drain(pc, h, parts);
  const text = Buffer.concat(parts).toString();
  const [head, body] = text.split('\r\n\r\n');
  assert.match(head, /^HTTP\/1\.0 200 OK/);
  assert.equal(Number(/Content-Length: (\d+)/.exec(head)?.[1]), Buffer.byteLength(body));
  assert.match(body, /hello from wasm/);
  const end = pc.recv(h);
  assert.ok(end instanceof Uint8Array && end.length === 0, 'closed after the page');
});

// Issue 18 bug 8: the module's services release every handle, whoever closes first. 100 sessions per
// close order go far past its 8 connection slots: one leaked slot per session stops it after 8.
function session(sim: Sim, pc: Stack, port: number, order: 'fin' | 'rst' | 'board', i: number): void {
  const h = pc.socket();
  assert.ok(h > 0, `session ${i}: socket ${h}`);
  pc.connect(h, '192.0.2.10', port);
  sim.run({ for: 20 });
  const msg = port === 80 ? (order === 'board' ? 'GET / HTTP/1.0\r\n\r\n' : 'GET / HT') : `session ${i} `.repeat(1 + (i % 9));
  assert.equal(pc.send(h, new TextEncoder().encode(msg)), msg.length, `session ${i}: send`);
  if (order === 'fin') pc.shutdown(h, 1);                       // our FIN first
  sim.run({ for: 300 });
  const got: Uint8Array[] = [];
  drain(pc, h, got);
  const text = Buffer.concat(got).toString();
  if (port === 7) assert.equal(text, msg, `echo session ${i} (${order})`);
  if (port === 80 && order === 'board') assert.match(text, /^HTTP\/1\.0 200 OK/, `http session ${i}`);
  if (order === 'rst') { pc.abort(h); sim.run({ for: 20 }); return; }
  if (order === 'fin' || order === 'board') {
    const end = pc.recv(h);
    assert.ok(end instanceof Uint8Array && end.length === 0, `session ${i} (${order}): the app closed back`);
  }
  pc.close(h);
  sim.run({ for: 20 });
}

for (const [name, port, orders] of [['echo', 7, ['fin', 'rst']], ['HTTP', 80, ['board', 'fin', 'rst']]] as const) {
  test(`${name} service in wasm: 100 sessions per close order (${orders.join(', ')}), no handle left behind`, () => {
    const { sim, dev, pc } = world();
    for (const order of orders) for (let i = 0; i < 100; i++) session(sim, pc, port, order, i);
    sim.run({ for: 2000 });
    const left = Object.entries(dev.netstatCounts()).filter(([k, v]) => k !== 'LISTEN' && k !== 'TIME_WAIT' && v > 0);
    assert.deepEqual(left, [], 'connections the app kept');
    assert.equal(dev.netstatCounts().LISTEN, 2);
  });
}
