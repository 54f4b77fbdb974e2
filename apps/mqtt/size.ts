// `npx tsx apps/mqtt/size.ts` (after `npm run build`): what the AssemblyScript MQTT client costs in a
// .wasm, read from modules compiled here with the mqtt-app target's options (asconfig.json): the
// stack alone (assembly/index.ts), the stack + the client with every call reachable
// (apps/mqtt/test/size-app.ts), and build/mqtt-app.wasm (the stack + client + example app). Code =
// .wasm bytes; static RAM = the footprint export's end of static data (__heap_base) difference.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from '../../host/stack.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'mqtt-size-'));
const build = (entry: string, out: string) => {
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'assemblyscript', 'bin', 'asc.js'), entry, '--target', 'mqtt-app', '--outFile', out],
    { cwd: ROOT, stdio: 'pipe' });
  return out;
};
try {
  const files = {
    stack: build('assembly/index.ts', join(dir, 'stack.wasm')),
    client: build('apps/mqtt/test/size-app.ts', join(dir, 'client.wasm')),
    app: join(ROOT, 'build', 'mqtt-app.wasm'),
  };
  const fig = Object.fromEntries(Object.entries(files).map(([k, f]) => {
    const s = new Stack({ mac: '02:00:00:00:00:01', ip: '192.0.2.1', wasmPath: f });
    return [k, { bytes: statSync(f).size, staticEnd: s.footprint().staticEnd }];
  })) as Record<'stack' | 'client' | 'app', { bytes: number; staticEnd: number }>;
  const line = (label: string, a: { bytes: number; staticEnd: number }) =>
    console.log(`${label.padEnd(44)} ${String(a.bytes - fig.stack.bytes).padStart(6)} B code   ${String(a.staticEnd - fig.stack.staticEnd).padStart(6)} B static RAM`);
  console.log(`stack alone (mqtt-app options, not shrunk)    ${fig.stack.bytes} B .wasm, static data ends at ${fig.stack.staticEnd}`);
  line('+ MQTT client (apps/mqtt, every call)', fig.client);
  line('+ client + example app (build/mqtt-app.wasm)', fig.app);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
