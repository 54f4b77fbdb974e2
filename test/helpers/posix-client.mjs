// Client side of test/board-posix.test.ts, run inside the test's network namespace with
// `ip netns exec NS node posix-client.mjs MODE BYTES`: it talks to the posix board through the
// Linux kernel's TCP and prints one JSON line with what it measured.
import net from 'node:net';
import { createHash } from 'node:crypto';
import { runSessions } from './sessions.mjs';

const [mode, arg] = process.argv.slice(2);
const HOST = '192.0.2.2';
const bytes = Number(arg ?? 0);
const started = Date.now();
const done = (r) => { console.log(JSON.stringify({ mode, ms: Date.now() - started, ...r })); process.exit(r.ok ? 0 : 1); };
setTimeout(() => done({ ok: false, error: 'timeout' }), mode.startsWith('sessions') ? 120_000 : 20_000).unref();

function pattern(n) {
  const b = Buffer.alloc(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b[i] = x & 255; }
  return b;
}

if (mode === 'echo') {
  const data = pattern(bytes);
  const got = [];
  let n = 0;
  const s = net.connect(7, HOST, () => { s.end(data); });            // our FIN after the data: we close first
  s.on('data', (d) => { got.push(d); n += d.length; });
  s.on('end', () => {
    const sha = (b) => createHash('sha256').update(b).digest('hex');
    done({ ok: n === bytes && sha(Buffer.concat(got)) === sha(data), received: n });
  });
  s.on('error', (e) => done({ ok: false, error: e.code }));
} else if (mode === 'discard') {
  const s = net.connect(9, HOST, () => { s.end(pattern(bytes)); });
  s.on('close', () => done({ ok: s.bytesWritten === bytes, written: s.bytesWritten }));
  s.on('error', (e) => done({ ok: false, error: e.code }));
} else if (mode === 'chargen') {
  const s = net.connect(19, HOST);
  const got = [];
  let n = 0;
  s.on('data', (d) => {
    got.push(d); n += d.length;
    if (n >= bytes) {
      const text = Buffer.concat(got).subarray(0, bytes - (bytes % 74)).toString('latin1');
      const lines = text.split('\r\n').filter((l) => l.length);
      const ok = lines.every((l, i) => l.length === 72 && l.charCodeAt(0) === 32 + ((i + 0) % 95) && l.charCodeAt(71) === 32 + ((i + 71) % 95));
      s.destroy();
      done({ ok, received: n, lines: lines.length });
    }
  });
  s.on('error', (e) => done({ ok: false, error: e.code }));
} else if (mode === 'http-late-fin') {
  // The board closes first; we wait before our FIN so it sits in FIN_WAIT_2 for a while.
  const s = net.connect({ port: 80, host: HOST, allowHalfOpen: true }, () => s.write('GET / HTTP/1.0\r\nHost: board\r\n\r\n'));
  const got = [];
  s.on('data', (d) => got.push(d));
  s.on('end', () => setTimeout(() => { s.end(); done({ ok: /^HTTP\/1\.0 200 OK/.test(Buffer.concat(got).toString()) }); }, 300));
  s.on('error', (e) => done({ ok: false, error: e.code }));
} else if (mode.startsWith('sessions-')) {
  // sessions-SERVICE COUNT: COUNT sessions per close order of one service (test/helpers/sessions.mjs)
  const service = mode.slice('sessions-'.length);
  const port = { echo: 7, discard: 9, chargen: 19, http: 80 }[service];
  runSessions(HOST, port, service, bytes).then(done, (e) => done({ ok: false, error: e.message }));
} else {
  done({ ok: false, error: `unknown mode ${mode}` });
}
