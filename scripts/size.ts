// `npm run size`: what the build costs — .wasm size, static data, bytes per control block —
// read from the module itself (the footprint export) so the figures cannot drift from the code.
import { readFileSync, statSync } from 'node:fs';
import { Stack } from '../host/stack.ts';

const wasm = statSync('build/stack.wasm').size;
const s = new Stack({ mac: '02:00:00:00:00:01', ip: '192.0.2.1' });
const f = s.footprint();
const mod = new WebAssembly.Module(readFileSync('build/stack.wasm'));
const mem = WebAssembly.Module.exports(mod).find((e) => e.name === 'memory');
const pages = (s.x.memory as WebAssembly.Memory).buffer.byteLength / 65536;
const rows: [string, string][] = [
  ['build/stack.wasm', `${wasm} bytes (${(wasm / 1024).toFixed(1)} KiB; budget 40 KiB)`],
  ['static data (end of data segment)', `${f.staticEnd} bytes`],
  ['linear memory', `${pages} pages (${pages * 64} KiB)${mem ? '' : ' (not exported?)'}`],
  ['TCP PCB', `${f.pcbBytes} bytes (budget 160) x ${f.tcpPcbs}`],
  ['listen PCB', `${f.listenPcbBytes} bytes`],
  ['SYN-queue entry', `${f.synEntryBytes} bytes`],
  ['socket', `${f.socketBytes} bytes x ${f.sockets}`],
  ['buffer block', `${f.blockBytes} bytes x ${f.blocks}`],
  ['range (ooo/SACK)', `${f.rangeBytes} bytes`],
];
for (const [k, v] of rows) console.log(`${k.padEnd(36)} ${v}`);
