// Issue 24: the BSD sockets layer (boards/common/sockets) on the posix board, in a network namespace
// this test creates (192.0.2.0/24). Ordinary sockets code (boards/posix/sockets/*.c, compiled against
// asnet_compat.h) runs in threads beside the stack task:
// - the errno table: every call on a bad descriptor or in a wrong state, run on the board AND on
//   Linux's own sockets (the same source built natively) — both must pass and give the same table;
// - a select() loop and a poll() loop each serving 8 clients at once, every byte echoed and checked;
// - 4 threads in connect/transfer/close loops for 30 s, every byte checked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NATIVE, Netns, PEER, ROOT, boardCmd, buildSockets, lastJson, requireRoot, waitFor } from './helpers/sock-board.ts';

let ns: Netns;
const ECHO = '7007', CLOSED = '7008', RST = '7009';

before(async () => {
  requireRoot('sockets', []);
  buildSockets();
  ns = new Netns('sock');
  const peers = ns.start([process.execPath, PEER, 'peers', ECHO, RST]);
  await waitFor(() => peers.log().includes('peers: up'), 10_000, 'the echo and reset peers');
});

after(() => ns?.close());

test('no allocation: the layer and the OS layer never call malloc/calloc/realloc/free (fixed tables, caller storage)', () => {
  let files = 0;
  for (const dir of ['boards/common/sockets', 'boards/common/osal']) {
    for (const f of readdirSync(join(ROOT, dir)).filter((n) => /\.[ch]$/.test(n))) {
      const src = readFileSync(join(ROOT, dir, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
      assert.doesNotMatch(src, /\b(malloc|calloc|realloc|free|strdup|pvPortMalloc|vPortFree)\s*\(/, `${dir}/${f} allocates`);
      files++;
    }
  }
  assert.ok(files >= 12, `only ${files} files looked at`);
});

test('errno table: the board gives exactly what Linux gives, call by call', async () => {
  const args = ['192.0.2.1', ECHO, CLOSED, RST, '192.0.2.99'];
  const native = await ns.run([NATIVE, 'errno', ...args], 30_000);
  const nat = lastJson(native.out);
  assert.ok(nat.ok, `the expectations are not Linux's:\n${native.out}`);
  const board = await ns.run(boardCmd('errno', args), 60_000);
  const got = lastJson(board.out);
  assert.ok(got.ok, `board:\n${board.out}`);
  assert.equal(board.code, 0);
  assert.deepEqual(got.table, nat.table, 'board and Linux differ');
  const errnos = new Set(got.table.map((r: string[]) => r[2]));
  for (const e of ['EBADF', 'ENOTCONN', 'EISCONN', 'EALREADY', 'EPIPE', 'EINPROGRESS', 'EAGAIN', 'ECONNREFUSED', 'ECONNRESET', 'EADDRINUSE']) {
    assert.ok(errnos.has(e), `${e} is not in the table`);
  }
  console.log(`errno table: ${got.checks} calls, board == Linux`);
});

for (const mux of ['select', 'poll']) {
  test(`${mux}() loop serving 8 clients at once, 1 MB each echoed byte-exact (3 rounds)`, async () => {
    const server = ns.start(boardCmd('serve', [mux, '8080', '24', '90']));
    await waitFor(() => server.log().includes('serve: listening'), 10_000, 'the server');
    for (let round = 0; round < 3; round++) {
      const r = lastJson(ns.exec([process.execPath, PEER, 'clients', '192.0.2.2', '8080', '8', '1000000'], 70_000));
      assert.ok(r.ok, `round ${round}: ${JSON.stringify(r)}\n${server.log()}`);
      assert.equal(r.maxOpen, 8, 'the 8 clients were connected at once');
      console.log(`${mux}: 8 x 1 MB echoed in ${r.ms} ms`);
    }
    await waitFor(() => server.proc.exitCode !== null, 20_000, 'the server to finish');
    const s = lastJson(server.log());
    assert.ok(s.ok, server.log());
    assert.equal(s.served, 24);
    assert.equal(s.open_max, 8, `${mux} had the 8 descriptors open at once`);
    assert.equal(s.bytes, 24 * 1_000_000);
  });
}

test('4 threads, connect/transfer/close loops for 30 s beside one blocked in recv: no lost byte, no deadlock', async () => {
  const r = await ns.run(boardCmd('threads', ['192.0.2.1', ECHO, '4', '30', '65536']), 90_000);
  const j = lastJson(r.out);
  assert.ok(j.ok, r.out);
  assert.equal(r.code, 0);
  assert.equal(j.threads.length, 4);
  for (const t of j.threads) assert.ok(t.conns > 10, `a thread made only ${t.conns} connections: ${r.out}`);
  assert.equal(j.mismatches, 0);
  assert.equal(j.bytes, j.conns * 65536, 'every connection moved all of its bytes');
  // a fifth task sat in a blocking recv() on an idle connection all along, and only it blocked;
  // shutdown(SHUT_RDWR) from the main task ended it with 0
  assert.equal(j.blocker.ret, 0, r.out);
  assert.ok(j.blocker.blocked_ms >= 29_000, `the blocked recv returned after ${j.blocker.blocked_ms} ms`);
  console.log(`threads: ${j.conns} connections, ${j.bytes} bytes in 30 s`);
});

test('round-trip latency: blocking send/recv through the layer vs the event API in the stack task (2000 x 32 B)', async () => {
  const res: Record<string, any> = {};
  for (const mode of ['latency', 'latency-event']) {
    const r = await ns.run(boardCmd(mode, ['192.0.2.1', ECHO, '2000', '32']), 60_000);
    const j = lastJson(r.out);
    assert.ok(j.ok, r.out);
    assert.equal(j.count, 2000);
    assert.ok(j.min_us > 0 && j.min_us <= j.median_us && j.median_us <= j.p99_us, r.out);
    res[j.api] = j;
  }
  console.log(`latency median/p99 us: sockets ${res.sockets.median_us}/${res.sockets.p99_us}, event ${res.event.median_us}/${res.event.p99_us}`);
});
