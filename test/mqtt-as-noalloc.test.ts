// Issue 25: the AssemblyScript MQTT client allocates nothing after init, proved the way the stack is
// (test/noalloc-static.test.ts, test/noalloc.test.ts):
// - static: build/mqtt-app.wasm (the stack + apps/mqtt + examples/as-app/mqtt.ts) compiled again with
//   --debug is byte-identical to the shipped file without its name section, and no call path from
//   any export reaches the allocator (scripts/wasm-callgraph.ts); the same check finds an allocation
//   planted in the client's publish path;
// - dynamic: the harness (examples/as-app/mqtt-harness.ts) compiled with the runtime whose allocator
//   traps (test/assembly/rt-trap.ts) runs all of test/mqtt-as.test.ts (aedes, 256 KiB, loss,
//   resume) and test/mqtt-as-broker.test.ts; the fuzz (test/mqtt-as-fuzz.test.ts) runs on that
//   runtime already.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import asc from 'assemblyscript/asc';
import { allocationPaths, readWasm, stripCustomSections, type WasmModule } from '../scripts/wasm-callgraph.ts';

const ROOT = join(import.meta.dirname, '..');
const describe = (m: WasmModule) => allocationPaths(m).map((p) => `export ${p.export}: ${p.path.join(' -> ')} (${p.why})`).join('\n');

/** The mqtt-app target compiled with names, in memory; `patch` may rewrite one source file. */
async function compileApp(patch?: { file: string; from: string; to: string }): Promise<Uint8Array> {
  let wasm: Uint8Array | null = null, patched = false;
  const errors: string[] = [];
  const r = await asc.main(['examples/as-app/mqtt.ts', '--target', 'mqtt-app', '--debug', '--outFile', 'out.wasm'], {
    readFile(name, baseDir) {
      const path = join(ROOT, baseDir, name);
      if (!existsSync(path)) return null;
      const text = readFileSync(path, 'utf8');
      if (!patch || join(baseDir, name).replace(/^\.\//, '') !== patch.file) return text;
      assert.ok(text.includes(patch.from), `${patch.file} no longer has "${patch.from}": update this test`);
      patched = true;
      return text.replace(patch.from, patch.to);
    },
    writeFile(name, contents) { if (name.endsWith('.wasm')) wasm = contents as Uint8Array; },
    listFiles() { return []; },
    stdout: { write: () => true } as never,
    stderr: { write: (s: string) => { errors.push(String(s)); return true; } } as never,
  });
  if (r.error) assert.fail(`asc: ${r.error.message}\n${errors.join('')}`);
  if (patch) assert.ok(patched, `${patch.file} was compiled with the patch`);
  assert.ok(wasm);
  return wasm;
}

test('build/mqtt-app.wasm: no call path from any export reaches the allocator', { timeout: 240_000 }, async () => {
  const shipped = readFileSync(join(ROOT, 'build', 'mqtt-app.wasm'));
  const named = await compileApp();
  assert.ok(Buffer.from(stripCustomSections(named)).equals(shipped), "build/mqtt-app.wasm differs from its --debug twin: run 'npm run -s build'");
  const m = readWasm(named);
  assert.ok(m.hasNames);
  const exports = m.exports.filter((e) => e.kind === 'func').map((e) => e.name);
  for (const e of ['app_start', 'app_event', 'app_tick', 'tcp_send', 'netif_input']) assert.ok(exports.includes(e), `export ${e}`);
  assert.deepEqual(allocationPaths(m), [], `build/mqtt-app.wasm allocates after init:\n${describe(m)}`);
});

test('the check finds an allocation planted in the client (a temporary StaticArray in publish)', { timeout: 240_000 }, async () => {
  const anchor = '    if (this.state != MQTT_CONNECTED || this.closing) return MQTT_E_STATE;\n    if (qos > 2 || topicLen > MQTT_MAX_TOPIC) return MQTT_E_ARG;';
  const m = readWasm(await compileApp({ file: 'apps/mqtt/client.ts', from: anchor,
    to: `${anchor}\n    const tmp = new StaticArray<u8>(4); tmp[0] = qos; if (tmp[0] == 0xff) return -1;` }));
  const paths = allocationPaths(m);
  assert.ok(paths.some((p) => p.export === 'app_tick'), `found from app_tick (telemetry -> publish):\n${describe(m)}`);
  console.log(describe(m));
});

function runSuite(file: string, env: NodeJS.ProcessEnv): void {
  const e: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete e.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', file], { cwd: ROOT, encoding: 'utf8', timeout: 560_000, env: e });
  const out = `${r.stdout}\n${r.stderr}`;
  const pass = Number(/# pass (\d+)/.exec(out)?.[1] ?? 0), fail = Number(/# fail (\d+)/.exec(out)?.[1] ?? -1);
  assert.equal(r.status, 0, `${file} failed on the trapping allocator:\n${out.split('\n').filter((l) => /not ok|error:|unreachable|trap/.test(l)).join('\n')}`);
  assert.ok(pass > 0 && fail === 0, `pass ${pass}, fail ${fail}`);
}

for (const suite of ['test/mqtt-as.test.ts', 'test/mqtt-as-broker.test.ts']) {
  test(`the harness on the allocator that traps runs ${suite}`, { timeout: 600_000 }, () => {
    runSuite(suite, { MQTT_AS_RUNTIME: 'test/assembly/rt-trap' });
  });
}
