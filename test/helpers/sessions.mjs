// Many short sessions of the demo services (echo RFC 862, discard RFC 863, chargen RFC 864, HTTP/1.0),
// each checked for the service's answer, with each side closing first: shared by the posix board
// (through posix-client.mjs inside the test's namespace), the application build and the mps2 board
// (through QEMU's forwarded loopback ports). Issue 18 bug 8: a service that keeps a handle per
// session the peer closed stops answering after a few sessions; these runs go far past every
// board's connection table. Plain JavaScript: posix-client.mjs runs under node without tsx.
import net from 'node:net';

const SESSION_MS = 5_000;
const REQUEST = 'GET / HTTP/1.0\r\nHost: board\r\n\r\n';

function payload(i, n) {
  const b = Buffer.alloc(n);
  for (let k = 0; k < n; k++) b[k] = (i * 7 + k * 13) & 255;
  return b;
}

/** One session: resolves with nothing, rejects with a reason. `port` is the service's port on `host`. */
function session(host, port, service, order, i) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, allowHalfOpen: true });
    const chunks = [];
    let got = 0, settled = false;
    const timer = setTimeout(() => finish(new Error(`${service}/${order} session ${i}: no answer in ${SESSION_MS} ms (got ${got} bytes)`)), SESSION_MS);
    function finish(err) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) { s.destroy(); reject(err); } else resolve();
    }
    const abort = () => { s.resetAndDestroy(); finish(); };           // our RST ends it: the board sees EV_ERROR
    s.on('error', (e) => finish(new Error(`${service}/${order} session ${i}: ${e.code ?? e.message}`)));
    s.on('data', (d) => { chunks.push(d); got += d.length; onData(); });
    s.on('end', () => onEnd());
    s.on('close', () => { if (closeOk) finish(); });
    let closeOk = false;
    const data = payload(i, 100 + (i % 50));
    let onData = () => {};
    let onEnd = () => finish(new Error(`${service}/${order} session ${i}: unexpected FIN after ${got} bytes`));

    s.on('connect', () => {
      if (service === 'echo') {
        if (order === 'fin') {                                      // our FIN first; the board echoes, then closes
          s.end(data);
          onEnd = () => {
            if (!Buffer.concat(chunks).equals(data)) return finish(new Error(`echo session ${i}: echoed ${got} of ${data.length} bytes, or different bytes`));
            closeOk = true;
          };
        } else {                                                    // wait for the echo, then RST
          s.write(data);
          onData = () => { if (got >= data.length) abort(); };
        }
      } else if (service === 'discard') {
        s.write(data);
        if (order === 'fin') { s.end(); onEnd = () => { closeOk = got === 0; if (!closeOk) finish(new Error(`discard session ${i}: got ${got} bytes back`)); }; }
        else setTimeout(abort, 20);
        onData = () => finish(new Error(`discard session ${i}: the service sent data`));
      } else if (service === 'chargen') {
        onData = () => {
          if (got < 200) return;
          const line = Buffer.concat(chunks).subarray(0, 74).toString('latin1');
          if (!/^ !"#\$%&/.test(line) || !line.endsWith('\r\n')) return finish(new Error(`chargen session ${i}: first line ${JSON.stringify(line)}`));
          if (order === 'fin') { onData = () => {}; s.end(); onEnd = () => { closeOk = true; }; s.on('close', () => finish()); s.resume(); }
          else abort();
        };
      } else if (service === 'http') {
        if (order === 'board') {                                    // the board answers and closes first
          s.write(REQUEST);
          onEnd = () => {
            const text = Buffer.concat(chunks).toString('latin1');
            if (!/^HTTP\/1\.0 200 OK\r\n/.test(text)) return finish(new Error(`http session ${i}: ${JSON.stringify(text.slice(0, 40))}`));
            s.end(); closeOk = true;
          };
        } else if (order === 'fin') {                               // our FIN before the request ends
          s.end('GET / HTTP/1.0\r\n');
          onEnd = () => { closeOk = true; };
        } else {
          s.write('GET / HT');
          setTimeout(abort, 20);
        }
      } else finish(new Error(`unknown service ${service}`));
    });
  });
}

/** The close orders each service supports: its own answer decides who can close first. */
export const ORDERS = { echo: ['fin', 'rst'], discard: ['fin', 'rst'], chargen: ['fin', 'rst'], http: ['board', 'fin', 'rst'] };

/** `count` sessions of every order of `service`, one after the other; resolves with the run's summary. */
export async function runSessions(host, port, service, count, orders = ORDERS[service]) {
  const started = Date.now();
  let n = 0;
  for (const order of orders) {
    for (let i = 0; i < count; i++) { await session(host, port, service, order, i); n++; }
  }
  return { ok: true, service, sessions: n, orders, ms: Date.now() - started };
}
