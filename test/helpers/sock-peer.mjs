// Peer side of test/sockets*.test.ts, run inside the test's network namespace
// (`ip netns exec NS node sock-peer.mjs MODE ...`):
//   peers ECHO_PORT RST_PORT      a TCP and a UDP echo server (half-close honoured: our FIN after theirs) and a
//                                 server that resets every connection as soon as it is accepted;
//                                 prints "peers: up", then runs until killed
//   clients HOST PORT N BYTES     N clients at once, each sends BYTES of its own pattern and checks
//                                 the echo byte for byte; one JSON line
import dgram from 'node:dgram';
import net from 'node:net';

const [mode, ...args] = process.argv.slice(2);

function pattern(n, seed) {
  const b = Buffer.alloc(n);
  let x = (0x9e3779b9 ^ seed) >>> 0 || 1;
  for (let i = 0; i < n; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; b[i] = x & 255; }
  return b;
}

if (mode === 'peers') {
  const [echoPort, rstPort] = args.map(Number);
  const echo = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('data', (d) => s.write(d));
    s.on('end', () => s.end());
    s.on('error', () => {});
  });
  const rst = net.createServer((s) => { s.on('error', () => {}); s.resetAndDestroy(); });
  const udp = dgram.createSocket('udp4');                      // UDP echo on the echo port too
  udp.on('message', (m, from) => udp.send(m, from.port, from.address));
  udp.bind(echoPort, '192.0.2.1', () =>
    echo.listen(echoPort, '192.0.2.1', () => rst.listen(rstPort, '192.0.2.1', () => console.log('peers: up'))));
} else if (mode === 'clients') {
  const [host, port, n, bytes] = [args[0], Number(args[1]), Number(args[2]), Number(args[3])];
  const started = Date.now();
  let open = 0, maxOpen = 0;
  const one = (i) => new Promise((resolve) => {
    const data = pattern(bytes, i + 1);
    const got = [];
    let len = 0;
    const s = net.connect(port, host, () => { open++; maxOpen = Math.max(maxOpen, open); s.write(data); });
    s.on('data', (d) => {
      got.push(d); len += d.length;
      if (len >= bytes) { s.end(); }
    });
    s.on('close', () => { open--; resolve(len === bytes && Buffer.concat(got).equals(data)); });
    s.on('error', () => resolve(false));
  });
  const timer = setTimeout(() => { console.log(JSON.stringify({ ok: false, error: 'timeout' })); process.exit(1); }, 60_000);
  const results = await Promise.all(Array.from({ length: n }, (_, i) => one(i)));
  clearTimeout(timer);
  const good = results.filter(Boolean).length;
  console.log(JSON.stringify({ ok: good === n, good, n, bytes, maxOpen, ms: Date.now() - started }));
} else {
  console.error('usage: sock-peer.mjs peers ECHO RST | clients HOST PORT N BYTES');
  process.exit(64);
}
