// The legitimate client of test/board-flood.test.ts, run inside the test's namespace:
//   node http-load.mjs HOST COUNT [CONCURRENCY] [PER_REQUEST_TIMEOUT_MS] [GIVE_UP_AFTER]
// COUNT HTTP/1.0 GETs of the board's page through the kernel's TCP, CONCURRENCY at a time (default
// 1: one after another). A request counts as ok only when the whole reply arrived and starts with
// "HTTP/1.0 200 OK" and holds the page. Prints one JSON line: ok, failed, the errors seen, latency
// p50/p99/max in ms. Bounded: every request has a timeout, the whole run 600 s, and after
// GIVE_UP_AFTER (default 5) failures in a row the rest are counted failed ('abandoned') unsent.
// Each failed request is listed in `failures` with what it saw: its index, when it started (ms into
// the run), how long it waited, whether and when it connected, the bytes and the start of what
// arrived, and the kernel's own view of the socket at that moment (`ss -tino`: retransmissions,
// unacknowledged bytes, time since the last send/receive/ack), so a lost request says where it stopped.
import net from 'node:net';
import { spawnSync } from 'node:child_process';

const [host, countArg, concArg, timeoutArg] = process.argv.slice(2);
const count = Number(countArg ?? 200);
const concurrency = Math.max(1, Number(concArg ?? 1));
const perRequestMs = Number(timeoutArg ?? 30_000);
const giveUpAfter = Number(process.argv[6] ?? 5);
let inARow = 0;
const started = Date.now();
const startedNs = process.hrtime.bigint();
const lat = [];
const errors = {};
let ok = 0, failed = 0, next = 0;
const failures = [];

function finish() {
  lat.sort((a, b) => a - b);
  const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.ceil((p / 100) * lat.length) - 1)] : null);
  console.log(JSON.stringify({ ok, failed, errors, failures, p50: pct(50), p99: pct(99), max: lat.at(-1) ?? null, ms: Date.now() - started }));
  process.exit(0);
}
setTimeout(() => { failed += count - ok - failed; errors.run_timeout = 1; finish(); }, 600_000).unref();

/** The kernel's TCP state of our socket (iproute2 `ss`), or why it could not be had. */
function kernelView(port) {
  if (!port) return 'no local port';
  const r = spawnSync('ss', ['-tinoH', 'state', 'all', `( sport = :${port} )`], { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 ? r.stdout.replace(/\s+/g, ' ').trim() || 'no socket' : `ss failed: ${r.stderr || r.error}`;
}

function one(index) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const since = (t) => Math.round(Number(t - t0) / 1e6);
    let connectedAt = null;
    const chunks = [];
    let settled = false;
    const s = net.connect(80, host, () => { connectedAt = since(process.hrtime.bigint()); s.write('GET / HTTP/1.0\r\nHost: board\r\n\r\n'); });
    const end = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const port = s.localPort;
      const view = err && err !== 'bad_reply' ? kernelView(port) : null;
      s.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      if (!err && /^HTTP\/1\.0 200 OK/.test(text) && text.includes('<h1>asnet</h1>')) {
        ok++;
        inARow = 0;
        lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
      } else {
        failed++;
        inARow++;
        // Where it stopped: before the handshake completed, or after it with some bytes in. (Read
        // from the connect callback and before destroy(): destroy() clears s.connecting and
        // s.localPort, so this used to report every failure as connected_undefined_got_N.)
        const stage = connectedAt === null ? 'connecting' : `connected_${port}_got_${text.length}`;
        const why = `${err ?? 'bad_reply'}:${stage}`;
        errors[why] = (errors[why] ?? 0) + 1;
        failures.push({ index, startedMs: Number(t0 - startedNs) / 1e6 | 0, waitedMs: since(process.hrtime.bigint()), error: err ?? 'bad_reply',
          connectedAfterMs: connectedAt, localPort: port ?? null, bytes: text.length, got: text.slice(0, 40), kernel: view });
      }
      resolve();
    };
    const timer = setTimeout(() => end('timeout'), perRequestMs);
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => end(null));
    s.on('error', (e) => end(e.code ?? e.message));
  });
}

async function worker() {
  while (next < count) {
    if (inARow >= giveUpAfter) { const left = count - next; next = count; failed += left; errors.abandoned = (errors.abandoned ?? 0) + left; break; }
    await one(next++);
  }
}
await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
finish();
