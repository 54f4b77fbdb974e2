// Peers of test/impair.test.ts, run inside its network namespaces with `ip netns exec NS node ...`:
//   echo-client HOST BYTES TIMEOUT_MS   sends BYTES of a pattern to HOST:7, reads the echo back to
//                                       the end, prints one JSON line {ok, ms, received}
//   echo-server                         a Linux echo service on :7 (the Linux-to-Linux reference)
import net from 'node:net';
import { createHash } from 'node:crypto';

const [mode, host, arg, limit] = process.argv.slice(2);

function pattern(n) {
  const b = Buffer.alloc(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b[i] = x & 255; }
  return b;
}

if (mode === 'echo-server') {
  net.createServer((s) => { s.on('error', () => {}); s.pipe(s); }).listen(7, () => console.log('listening'));
} else if (mode === 'echo-client') {
  const bytes = Number(arg);
  const started = Date.now();
  const done = (r) => { console.log(JSON.stringify({ ms: Date.now() - started, ...r })); process.exit(r.ok ? 0 : 1); };
  setTimeout(() => done({ ok: false, error: 'timeout' }), Number(limit)).unref();
  const data = pattern(bytes);
  const hash = createHash('sha256');
  let n = 0;
  const s = net.connect(7, host, () => { s.end(data); });
  s.on('data', (d) => { hash.update(d); n += d.length; });
  s.on('end', () => {
    const ok = n === bytes && hash.digest('hex') === createHash('sha256').update(data).digest('hex');
    done({ ok, received: n });
  });
  s.on('error', (e) => done({ ok: false, error: e.code, received: n }));
} else {
  console.log(JSON.stringify({ ok: false, error: `unknown mode ${mode}` }));
  process.exit(1);
}
