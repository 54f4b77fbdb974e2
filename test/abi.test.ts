// The ABI contract (docs/ABI.md): exactly three imports, the documented exports, negative errno
// for every misuse (never a trap), and a build whose allocator traps running a whole connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const E = { EPERM: -1, EBADF: -9, EAGAIN: -11, EFAULT: -14, EINVAL: -22, EMFILE: -24, EPIPE: -32, EMSGSIZE: -90,
  ENOPROTOOPT: -92, EOPNOTSUPP: -95, EADDRINUSE: -98, EADDRNOTAVAIL: -99, ENOBUFS: -105, EISCONN: -106,
  ENOTCONN: -107, EALREADY: -114, EINPROGRESS: -115 } as const;

type X = Record<string, any> & { memory: WebAssembly.Memory };
const ip = (s: string) => s.split('.').reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0);

function instantiate(file: string, clock: { now: number }, out: Uint8Array[]) {
  const mod = new WebAssembly.Module(readFileSync(new URL(`../build/${file}`, import.meta.url)));
  let seed = 12345;
  let x: X;
  const env = {
    now_ms: () => clock.now >>> 0,
    random: () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0),
    netif_output: (p: number, l: number) => { out.push(new Uint8Array(x.memory.buffer, p, l).slice()); },
  };
  x = new WebAssembly.Instance(mod, { env }).exports as unknown as X;
  return x;
}

test('the module imports exactly env.now_ms, env.netif_output, env.random', () => {
  const mod = new WebAssembly.Module(readFileSync(new URL('../build/stack.wasm', import.meta.url)));
  const imports = WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}:${i.kind}`).sort();
  assert.deepEqual(imports, ['env.netif_output:function', 'env.now_ms:function', 'env.random:function']);
});

/** The calls named in the first cell of each table row of a docs/ABI.md section. */
function documentedCalls(section: string): string[] {
  const firstCells = section.split('\n').filter((l) => l.startsWith('| `')).map((l) => l.split('|')[1]);
  return firstCells.flatMap((c) => [...c.matchAll(/`([a-z_0-9]+)\(/g)].map((m) => m[1]))
    .filter((n) => !['now_ms', 'netif_output', 'random'].includes(n));
}

function exportsOf(file: string): string[] {
  const mod = new WebAssembly.Module(readFileSync(new URL(`../build/${file}`, import.meta.url)));
  return WebAssembly.Module.exports(mod).map((e) => e.name).filter((n) => n !== 'memory').sort();
}

test('every export named in docs/ABI.md exists, and nothing else but memory (stack.wasm, app.wasm, stack.mcast.wasm)', () => {
  const [stackPart, rest] = readFileSync(new URL('../docs/ABI.md', import.meta.url), 'utf8').split('## Application builds');
  const [appPart, mcastPart] = rest.split('## Multicast build');
  const documented = documentedCalls(stackPart);
  const exports = exportsOf('stack.wasm');
  for (const name of new Set(documented)) assert.ok(exports.includes(name), `documented export ${name} missing`);
  for (const name of exports) assert.ok(documented.includes(name), `export ${name} is not documented`);
  const appCalls = documentedCalls(appPart);
  assert.deepEqual(exportsOf('app.wasm'), [...exports, ...appCalls].sort(), 'app.wasm = the stack ABI + the documented app calls');
  const mcastCalls = documentedCalls(mcastPart);
  assert.deepEqual(mcastCalls, ['mcast_join', 'mcast_leave']);
  assert.deepEqual(exportsOf('stack.mcast.wasm'), [...exports, ...mcastCalls].sort(), 'stack.mcast.wasm = the stack ABI + the documented multicast calls');
});

/** check_invariants() of a healthy stack: 0, or ENOSYS (-38) in the release build, which ships without it. */
function invariantsOk(file: string): number {
  return file === 'stack.wasm' ? -38 : 0;
}

test('calls before stack_init answer EPERM, not a trap', () => {
  const x = instantiate('stack.wasm', { now: 0 }, []);
  assert.equal(x.tcp_socket(), E.EPERM);
  assert.equal(x.netif_input(60), E.EPERM);
  assert.equal(x.timers_run(), E.EPERM);
  assert.equal(x.ev_poll(), 0);
});

for (const file of ['stack.wasm', 'stack.checked.wasm']) {
test(`misuse of every socket call gets a documented error code (${file})`, () => {
  const out: Uint8Array[] = [];
  const x = instantiate(file, { now: 1000 }, out);
  x.stack_init(0x0200, 1, ip('192.0.2.2'), ip('255.255.255.0'), ip('192.0.2.1'));
  const io = x.io_buffer();
  const iosz = x.io_buffer_size();
  for (const bad of [0, -1, 0x7fff, 12345678]) {
    assert.equal(x.tcp_send(bad, io, 1), E.EBADF);
    assert.equal(x.tcp_recv(bad, io, 1), E.EBADF);
    assert.equal(x.tcp_close(bad), E.EBADF);
    assert.equal(x.tcp_connect(bad, ip('192.0.2.1'), 80), E.EBADF);
    assert.equal(x.tcp_state(bad), E.EBADF);
    assert.equal(x.tcp_setsockopt(bad, 1, 1), E.EBADF);
  }
  const h = x.tcp_socket();
  assert.ok(h > 0);
  // pointers outside the I/O buffer
  assert.equal(x.tcp_send(h, 0, 10), E.EFAULT);
  assert.equal(x.tcp_send(h, io + iosz - 4, 10), E.EFAULT);
  assert.equal(x.tcp_send(h, io, -1), E.EFAULT);
  assert.equal(x.tcp_recv(h, 0xfffffff0, 100), E.EFAULT);
  assert.equal(x.tcp_info(h, 8), E.EFAULT);
  // state errors
  assert.equal(x.tcp_send(h, io, 10), E.ENOTCONN);
  assert.equal(x.tcp_recv(h, io, 10), E.ENOTCONN);
  assert.equal(x.tcp_shutdown(h, 1), E.ENOTCONN);
  assert.equal(x.tcp_shutdown(h, 7), E.EINVAL);
  assert.equal(x.tcp_accept(h), E.EOPNOTSUPP);
  assert.equal(x.tcp_bind(h, ip('10.9.9.9'), 80), E.EADDRNOTAVAIL);
  assert.equal(x.tcp_bind(h, 0, 70000), E.EINVAL);
  assert.equal(x.tcp_connect(h, 0, 80), E.EINVAL);
  assert.equal(x.tcp_setsockopt(h, 999, 1), E.ENOPROTOOPT);
  assert.equal(x.tcp_getsockopt(h, 999), E.ENOPROTOOPT);
  assert.equal(x.tcp_setsockopt(h, 8, 5), E.EINVAL, 'TCP_MAXSEG below the minimum');
  assert.equal(x.sysctl_get(9999), E.ENOPROTOOPT);
  assert.equal(x.sysctl_set(0, -5), E.EINVAL);
  assert.equal(x.stats_get(-1), E.ENOPROTOOPT);
  assert.equal(x.netstat_count(99), E.EINVAL);
  assert.equal(x.netstat_row(0, 4), E.EFAULT);
  assert.equal(x.pool_stats(42, io), E.EINVAL);
  assert.equal(x.netif_input(5), E.EMSGSIZE);
  assert.equal(x.netif_input(100000), E.EMSGSIZE);
  // connect, then the calls that conflict with a connection in progress
  assert.equal(x.tcp_connect(h, ip('192.0.2.1'), 80), E.EINPROGRESS);
  assert.equal(x.tcp_connect(h, ip('192.0.2.1'), 80), E.EALREADY);
  assert.equal(x.tcp_listen(h, 5), E.EINVAL);
  assert.equal(x.tcp_bind(h, 0, 81), E.EINVAL);
  // a listener refuses data calls; a second listener on the port is refused
  const l = x.tcp_socket();
  assert.equal(x.tcp_bind(l, 0, 80), 0);
  assert.equal(x.tcp_listen(l, 4), 0);
  assert.equal(x.tcp_send(l, io, 1), E.EOPNOTSUPP);
  assert.equal(x.tcp_recv(l, io, 1), E.EOPNOTSUPP);
  assert.equal(x.tcp_accept(l), E.EAGAIN);
  const l2 = x.tcp_socket();
  assert.equal(x.tcp_bind(l2, 0, 80), E.EADDRINUSE);
  // closed handles are stale
  assert.equal(x.tcp_close(l), 0);
  assert.equal(x.tcp_close(l), E.EBADF);
  assert.equal(x.tcp_accept(l), E.EBADF);
  assert.equal(x.check_invariants(), invariantsOk(file));
});

test(`socket table and PCB pool exhaustion answer EMFILE / ENOBUFS and recover (${file})`, () => {
  const x = instantiate(file, { now: 1000 }, []);
  x.stack_init(0x0200, 1, ip('192.0.2.2'), ip('255.255.255.0'), 0);
  const handles: number[] = [];
  let err = 0;
  for (let i = 0; i < 100; i++) {
    const h = x.tcp_socket();
    if (h < 0) { err = h; break; }
    handles.push(h);
  }
  assert.ok(err === E.ENOBUFS || err === E.EMFILE, `got ${err}`);
  assert.ok(handles.length >= 16);
  for (const h of handles) assert.equal(x.tcp_close(h), 0);
  const io = x.io_buffer();
  x.pool_stats(1, io);
  assert.equal(new Uint32Array(x.memory.buffer, io, 4)[1], 0, 'all PCBs returned');
  assert.ok(x.tcp_socket() > 0);
  assert.equal(x.check_invariants(), invariantsOk(file));
});
}

test('a build whose allocator traps runs a whole connection life cycle (no allocation, ever)', () => {
  const clock = { now: 5000 };
  const qa: Uint8Array[] = [], qb: Uint8Array[] = [];
  const a = instantiate('stack.noalloc.wasm', clock, qa);
  const b = instantiate('stack.noalloc.wasm', clock, qb);
  a.stack_init(0x0200, 1, ip('192.0.2.1'), ip('255.255.255.0'), 0);
  b.stack_init(0x0200, 2, ip('192.0.2.2'), ip('255.255.255.0'), 0);
  const pump = () => {
    for (let n = 0; n < 10000 && (qa.length || qb.length); n++) {
      for (const [q, to] of [[qa, b], [qb, a]] as const) {
        const f = q.shift();
        if (!f) continue;
        new Uint8Array(to.memory.buffer, to.rx_buffer(), f.length).set(f);
        to.netif_input(f.length);
      }
    }
  };
  const l = b.tcp_socket();
  b.tcp_bind(l, 0, 7);
  b.tcp_listen(l, 2);
  const c = a.tcp_socket();
  assert.equal(a.tcp_connect(c, ip('192.0.2.2'), 7), E.EINPROGRESS);
  pump();
  const s = b.tcp_accept(l);
  assert.ok(s > 0);
  const msg = new TextEncoder().encode('hello, no allocator');
  new Uint8Array(a.memory.buffer, a.io_buffer(), msg.length).set(msg);
  assert.equal(a.tcp_send(c, a.io_buffer(), msg.length), msg.length);
  pump();
  const n = b.tcp_recv(s, b.io_buffer(), 100);
  assert.equal(new TextDecoder().decode(new Uint8Array(b.memory.buffer, b.io_buffer(), n)), 'hello, no allocator');
  a.tcp_close(c); pump();
  b.tcp_close(s); pump();
  for (let i = 0; i < 200; i++) { clock.now += 500; a.timers_run(); b.timers_run(); pump(); }
  assert.equal(a.netstat_count(10), 0, 'TIME_WAIT over');
  assert.equal(a.check_invariants(), 0);
  assert.equal(b.check_invariants(), 0);
});
