// Issue 5: flow control and small-segment rules — zero window and persist probes with a slow
// reader, receiver window updates, Nagle on and off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connectedPair } from './helpers/world.ts';
import { ESTABLISHED } from '../host/abi.ts';

test('a reader that stops makes the window close; persist probes keep the connection; reading resumes it byte-exact', () => {
  const p = connectedPair(1);
  const data = new Uint8Array(200_000).map((_, i) => (i * 31 + (i >> 9)) & 255);
  let off = 0;
  const pushAll = () => { while (off < data.length) { const n = p.a.send(p.c, data.subarray(off)); if (n <= 0) break; off += n; } };
  pushAll();
  p.sim.run({ for: 2000, while: () => { pushAll(); return true; } });
  const ib = p.b.info(p.s), ia = p.a.info(p.c);
  assert.ok(typeof ib !== 'number' && typeof ia !== 'number');
  assert.equal(ib.rcv_wnd, 0, 'the receiver advertises a zero window');
  assert.equal(ia.snd_wnd, 0, 'the sender sees it');
  // Persist for a long time (virtual): the probes keep going, nothing times out.
  p.sim.run({ for: 120_000 });
  assert.equal(p.a.state(p.c), ESTABLISHED);
  assert.equal(p.b.state(p.s), ESTABLISHED);
  // The slow reader takes 1 KiB at a time; everything arrives in order.
  const h = createHash('sha256');
  let got = 0;
  p.sim.run({ for: 600_000, maxSteps: 5_000_000, while: () => {
    pushAll();
    const r = p.b.recv(p.s, 1024);
    if (r instanceof Uint8Array) { h.update(r); got += r.length; }
    return got < data.length;
  } });
  assert.equal(got, data.length);
  assert.equal(h.digest('hex'), createHash('sha256').update(data).digest('hex'));
  assert.equal(p.a.checkInvariants(), 0);
});

function smallWrites(nodelay: boolean): number {
  const p = connectedPair(2);
  if (nodelay) p.a.setsockopt(p.c, 'TCP_NODELAY', 1);
  let segs = 0;
  p.wire.tap((f, _t, from) => { if (from === 'A' && f[23] === 6 && (f[16] << 8 | f[17]) > 52) segs++; }, 'tx');
  for (let i = 0; i < 20; i++) { p.a.send(p.c, Uint8Array.of(i)); p.sim.run({ for: 0.01 }); }
  p.sim.run({ for: 1000 });
  const r = p.b.recv(p.s);
  assert.ok(r instanceof Uint8Array && r.length === 20);
  return segs;
}

test('Nagle coalesces small writes while data is unacknowledged; TCP_NODELAY sends each at once', () => {
  const nagle = smallWrites(false);
  const nodelay = smallWrites(true);
  assert.ok(nagle <= 3, `Nagle: ${nagle} data segments for 20 one-byte writes`);
  assert.equal(nodelay, 20, 'TCP_NODELAY: one segment per write');
});
