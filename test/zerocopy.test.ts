// The zero-copy socket calls (docs/ABI.md "Zero-copy"): tcp_send_reserve/commit write the send
// buffer in place, tcp_recv_peek/consume read the receive buffer in place. Streams must arrive
// byte-exact when mixed with tcp_send/tcp_recv, and every misuse must return its error code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectedPair } from './helpers/world.ts';
import { EAGAIN, EBADF, EFAULT, EINVAL, ENOTCONN, EOPNOTSUPP, EPIPE } from '../host/abi.ts';

const pattern = (n: number, salt: number) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + (i >> 8) + salt) & 255);

test('reserve/commit and peek/consume carry a stream byte-exact, mixed with send/recv, ACKs between reserve and commit', () => {
  const p = connectedPair(7, 80, (a, b) => { a.setSysctl('tcp_wmem_default', 65535); b.setSysctl('tcp_rmem_default', 65535); });
  const data = pattern(300_000, 5);
  const got = new Uint8Array(data.length);
  let sent = 0, n = 0, zcSent = 0, zcRead = 0, ackedBetween = 0;
  const inFlight = () => { const t = p.a.info(p.c); return typeof t === 'number' ? t : t.bytes_in_flight; };
  for (let i = 0; i < 20_000 && n < data.length; i++) {
    if (sent < data.length) {
      if (i % 3 === 2) {                                   // the copying call, between zero-copy ones
        const r = p.a.send(p.c, data.subarray(sent, sent + 3000));
        if (r > 0) sent += r;
      } else for (let k = 0; k < 3 && sent < data.length; k++) {   // regions are one block at most
        const w = p.a.sendReserve(p.c, 1400);
        if (typeof w !== 'number') {
          assert.ok(w.length > 0 && w.length <= 1024, `a reservation is one block at most (${w.length})`);
          const k = Math.min(w.length, data.length - sent);
          w.set(data.subarray(sent, sent + k));
          if (i % 5 === 0) {                               // ACKs arrive before the commit: the tail stays
            const before = inFlight();
            p.sim.run({ for: 5 });
            if (inFlight() < before) ackedBetween++;
          }
          assert.equal(p.a.sendCommit(p.c, k), k);
          sent += k;
          zcSent += k;
        } else { assert.equal(w, EAGAIN); break; }
      }
    }
    p.sim.run({ for: 2 });
    for (let j = 0; j < 8; j++) {
      if (i % 4 === 3) {
        const r = p.b.recv(p.s, 2000);
        if (typeof r === 'number') break;
        got.set(r, n); n += r.length;
      } else {
        const v = p.b.recvPeek(p.s, 1500);
        if (typeof v === 'number') { assert.equal(v, EAGAIN); break; }
        assert.ok(v.length > 0 && v.length <= 1024);
        got.set(v, n); n += v.length; zcRead += v.length;
        assert.equal(p.b.recvConsume(p.s, v.length), v.length);
      }
    }
  }
  assert.equal(n, data.length, 'everything arrived');
  assert.ok(zcSent > data.length / 3 && zcRead > data.length / 3, `most bytes went through the zero-copy calls (${zcSent}, ${zcRead})`);
  assert.ok(ackedBetween > 0, 'some commits came after ACKs that arrived between reserve and commit');
  assert.deepEqual(got, data);
  assert.equal(p.b.recvPeek(p.s), EAGAIN);
  p.a.close(p.c);
  p.sim.run({ for: 50 });
  const eof = p.b.recvPeek(p.s);
  assert.ok(typeof eof !== 'number' && eof.length === 0, 'an empty view at end of stream');
});

test('zero-copy misuse returns its error code and leaves the stream intact', () => {
  const p = connectedPair(8, 80);
  const { a, b } = p;
  const bad = 0x7f01;
  assert.equal(a.sendReserve(bad), EBADF);
  assert.equal(a.sendCommit(bad, 1), EBADF);
  assert.equal(b.recvPeek(bad), EBADF);
  assert.equal(b.recvConsume(bad, 1), EBADF);
  assert.equal(b.sendReserve(p.l), EOPNOTSUPP, 'a listener has no send buffer');
  assert.equal(b.recvPeek(p.l), EOPNOTSUPP);
  assert.equal(b.recvConsume(p.l, 0), EOPNOTSUPP);
  const fresh = a.socket();
  assert.equal(a.sendReserve(fresh), ENOTCONN, 'not connected');
  assert.equal(a.recvPeek(fresh), ENOTCONN);
  assert.equal(a.sendReserve(p.c, 0), EINVAL, 'max 0');
  assert.equal(b.recvPeek(p.s, -1), EINVAL);
  assert.equal(a.x.tcp_send_reserve(p.c, 10, 0), EFAULT, 'out outside io_buffer');
  assert.equal(b.x.tcp_recv_peek(p.s, 10, 0xfffffff0), EFAULT);
  assert.equal(a.sendCommit(p.c, 1), EINVAL, 'commit without a reservation');
  assert.equal(b.recvPeek(p.s), EAGAIN, 'nothing received yet');
  assert.equal(b.recvConsume(p.s, 1), EINVAL, 'consume more than is queued');

  const msg = pattern(700, 1);
  let w = a.sendReserve(p.c, 600);
  assert.ok(typeof w !== 'number' && w.length === 600);
  w.set(msg.subarray(0, 600));
  assert.equal(a.sendCommit(p.c, 601), EINVAL, 'commit more than reserved');
  assert.equal(a.sendCommit(fresh, 10), EINVAL, 'commit on another handle');
  assert.equal(a.sendCommit(p.c, -1), EINVAL);
  assert.equal(a.sendCommit(p.c, 600), 600, 'the reservation survives the bad commits');
  assert.equal(a.sendCommit(p.c, 1), EINVAL, 'a reservation commits once');
  w = a.sendReserve(p.c, 50);
  assert.ok(typeof w !== 'number');
  w.fill(0xee);                                      // must never reach the wire
  assert.equal(a.send(p.c, msg.subarray(600)), 100, 'tcp_send beside an open reservation');
  assert.equal(a.sendCommit(p.c, 50), EINVAL, 'the tail moved under the reservation');
  w = a.sendReserve(p.c, 50);
  assert.ok(typeof w !== 'number');
  assert.equal(a.sendCommit(p.c, 0), 0, 'commit 0 cancels');
  assert.equal(a.sendCommit(p.c, 0), EINVAL, 'and nothing is left to commit');
  p.sim.run({ for: 600 });                           // past the delayed ACK that releases Nagle's 100 bytes

  const v = b.recvPeek(p.s, 5000);
  assert.ok(typeof v !== 'number' && v.length > 0);
  assert.equal(b.recvConsume(p.s, 701), EINVAL, 'consume beyond what is queued');
  assert.equal(b.recvConsume(p.s, -1), EINVAL);
  const r = b.recv(p.s, 5000);
  assert.ok(typeof r !== 'number');
  assert.deepEqual(r, msg, 'the stream is exactly the committed and sent bytes');

  assert.equal(a.shutdown(p.c, 1), 0);
  assert.equal(a.sendReserve(p.c), EPIPE, 'after shutdown(SHUT_WR)');
  assert.equal(a.sendCommit(p.c, 0), EINVAL);
  a.close(p.c);
  assert.equal(a.sendReserve(p.c), EBADF, 'a closed handle');
  assert.equal(a.recvConsume(p.c, 0), EBADF);
});
