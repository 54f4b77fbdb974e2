// Stack.recvInto: reads into the caller's buffer (no allocation per call), across io_buffer-sized
// chunks, with the same results as recv(): the bytes in order, 0 at end of stream, EAGAIN when empty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectedPair } from './helpers/world.ts';
import { EAGAIN } from '../host/abi.ts';

test('recvInto delivers a stream byte-exact into a reused buffer, then EAGAIN, then 0 at EOF', () => {
  const p = connectedPair(5, 80, (a, b) => { a.setSysctl('tcp_wmem_default', 65535); b.setSysctl('tcp_rmem_default', 65535); });
  const data = Uint8Array.from({ length: 50_000 }, (_, i) => (i * 7 + (i >> 9)) & 255);
  const dst = new Uint8Array(p.b.ioBufferSize * 2 + 123);     // spans several io_buffer chunks
  assert.equal(p.b.recvInto(p.s, dst), EAGAIN, 'nothing there yet');
  const got = new Uint8Array(data.length);
  let sent = 0, n = 0, multi = false;
  for (let i = 0; i < 2000 && n < data.length; i++) {
    if (sent < data.length) { const r = p.a.send(p.c, data.subarray(sent)); if (r > 0) sent += r; }
    p.sim.run({ for: 20 });                                   // let the receive buffer fill past io_buffer
    const r = p.b.recvInto(p.s, dst);
    if (r > 0) { got.set(dst.subarray(0, r), n); n += r; if (r > p.b.ioBufferSize) multi = true; }
  }
  assert.equal(n, data.length);
  assert.ok(multi, 'some call spanned more than one io_buffer chunk');
  assert.deepEqual(got, data);
  assert.equal(p.b.recvInto(p.s, dst), EAGAIN);
  p.a.close(p.c);
  p.sim.run({ for: 50 });
  assert.equal(p.b.recvInto(p.s, dst), 0, 'end of stream');
});
