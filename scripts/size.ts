// `npm run size`: what each build costs — .wasm size, linear memory, static data, bytes per control
// block, pool sizes — read from the modules themselves (the footprint and pool_stats exports) so
// the figures cannot drift from the code. Two builds: the default one-page build (build/stack.wasm,
// for MCUs) and the server build (build/stack.server.wasm, 3 pages, for PSRAM boards and the host).
import { statSync } from 'node:fs';
import { Stack, wasmPath, type Build } from '../host/stack.ts';

const builds: [string, Build][] = [['default (one page)', 'release'], ['server', 'server']];
const cols = builds.map(([label, build]) => {
  const path = wasmPath(build);
  const s = new Stack({ mac: '02:00:00:00:00:01', ip: '192.0.2.1', build });
  const f = s.footprint();
  const mem = s.x.memory.buffer.byteLength;
  const pools = s.allPoolStats();
  const rows: [string, string][] = [
    ['file', path.replace(/^.*\/build\//, 'build/')],
    ['.wasm', `${statSync(path).size} bytes (budget 40,960)`],
    ['linear memory', `${mem / 65536} page(s) = ${mem} bytes`],
    ['static data incl. stack (__heap_base)', `${f.staticEnd} bytes (${mem - f.staticEnd} spare)`],
    ['TCP PCB', `${f.pcbBytes} bytes (budget 160) x ${f.tcpPcbs}`],
    ['listen PCB / SYN entry / socket', `${f.listenPcbBytes} / ${f.synEntryBytes} / ${f.socketBytes} bytes`],
    ['buffer blocks', `${f.blocks} x ${f.blockBytes} bytes = ${f.blocks * f.blockBytes / 1024} KiB`],
    ['I/O staging buffer', `${s.x.io_buffer_size()} bytes`],
    ['default SO_SNDBUF / SO_RCVBUF', `${s.sysctl('tcp_wmem_default')} / ${s.sysctl('tcp_rmem_default')} bytes`],
    ['pools', Object.entries(pools).map(([k, v]) => `${k.replace('POOL_', '').toLowerCase()} ${v.size}`).join(', ')],
  ];
  return { label, rows };
});
for (const { label, rows } of cols) {
  console.log(`== ${label}`);
  for (const [k, v] of rows) console.log(`${k.padEnd(40)} ${v}`);
}
