// Issue 18 bug 1, the general proof: no call path from any export of the shipped modules
// (build/stack.wasm, stack.checked.wasm, app.wasm, and the server and reass variants) reaches the
// allocator; only the start function may touch it. Read from the compiled binaries by scripts/wasm-callgraph.ts.
//
// The shipped modules carry no name section, and the optimizer inlines the stub runtime's
// __alloc/__new into its callers, so "a call to __new" is not what to look for. Each target is
// compiled again here with `--debug`, which adds only a "name" custom section: the test first
// proves the twin minus its custom sections is byte-identical to the shipped file (so the proof is
// about the shipped code), then looks in the twin for functions named like the runtime's allocator,
// functions writing its bump pointer (~lib/rt/stub/offset) and functions executing memory.grow.
// The last test compiles the release target with one allocation added on purpose (a temporary
// StaticArray in tcp_state's path) and requires the check to find it, with its call chain.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import asc from 'assemblyscript/asc';
import {
  allocationPaths, allocatorSites, funcName, readWasm, stripCustomSections, type WasmModule,
} from '../scripts/wasm-callgraph.ts';

const ROOT = join(import.meta.dirname, '..');
const TARGETS = [
  { target: 'release', entry: 'assembly/index.ts', file: 'build/stack.wasm' },
  { target: 'checked', entry: 'assembly/index.ts', file: 'build/stack.checked.wasm' },
  { target: 'app', entry: 'examples/as-app/services.ts', file: 'build/app.wasm' },
  { target: 'server', entry: 'assembly/index.ts', file: 'build/stack.server.wasm' },
  { target: 'reass', entry: 'assembly/index.ts', file: 'build/stack.reass.wasm' },
  { target: 'mcast', entry: 'assembly/index.mcast.ts', file: 'build/stack.mcast.wasm' },
];

/** Compiles one asconfig target with names, in memory; `patch` may rewrite a source file first. */
async function compileWithNames(entry: string, target: string, patch?: (file: string, text: string) => string): Promise<Uint8Array> {
  let wasm: Uint8Array | null = null;
  const errors: string[] = [];
  const r = await asc.main([entry, '--target', target, '--debug', '--outFile', 'out.wasm', '--textFile', 'out.wat'], {
    readFile(name, baseDir) {
      const path = join(ROOT, baseDir, name);
      if (!existsSync(path)) return null;
      const text = readFileSync(path, 'utf8');
      return patch ? patch(join(baseDir, name).replace(/^\.\//, ''), text) : text;
    },
    writeFile(name, contents) { if (name.endsWith('.wasm')) wasm = contents as Uint8Array; },
    listFiles() { return []; },
    stdout: { write: () => true } as never,
    stderr: { write: (s: string) => { errors.push(String(s)); return true; } } as never,
  });
  if (r.error) assert.fail(`asc ${target}: ${r.error.message}\n${errors.join('')}`);
  assert.ok(wasm, `asc ${target} wrote no .wasm`);
  return wasm;
}

/** The same compile as a child process (the twins build in parallel, one asc per core). */
function compileInChild(entry: string, target: string, out: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const asc = join(ROOT, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
    const p = spawn(process.execPath, [asc, entry, '--target', target, '--debug', '--outFile', out, '--textFile', `${out}.wat`],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d) => { err += d; });
    p.on('exit', (code) => (code === 0 ? resolve(readFileSync(out)) : reject(new Error(`asc ${target} --debug: exit ${code}\n${err}`))));
  });
}

// The builds `npm run build` passes through scripts/wasm-shrink.mjs (read from package.json so the
// two cannot drift): their twins get the same pass, with names kept, so the proof reads the code
// that ships.
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const SHRUNK = new Set((pkg.scripts.build.split('wasm-shrink.mjs')[1] ?? '').trim().split(/\s+/).filter((f) => f.endsWith('.wasm')));
function shrinkTwin(file: string, twin: string): Promise<void> {
  if (!SHRUNK.has(file)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(ROOT, 'scripts', 'wasm-shrink.mjs'), '--keep-names', twin], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d) => { err += d; });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`wasm-shrink ${twin}: exit ${code}\n${err}`))));
  });
}

const twins = new Map<string, Uint8Array>();
before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'asnet-names-'));
  try {
    const built = await Promise.all(TARGETS.map(async (t) => {
      const out = join(dir, `${t.target}.wasm`);
      await compileInChild(t.entry, t.target, out);
      await shrinkTwin(t.file, out);
      return readFileSync(out);
    }));
    TARGETS.forEach((t, i) => twins.set(t.target, built[i]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, { timeout: 300_000 });

function describe(m: WasmModule): string {
  return allocationPaths(m).map((p) => `export ${p.export}: ${p.path.join(' -> ')} (${p.why})`).join('\n');
}

for (const t of TARGETS) {
  test(`${t.file}: no call path from any export reaches the allocator (only the start function may)`, { timeout: 240_000 }, async () => {
    const shipped = readFileSync(join(ROOT, t.file));
    const named = twins.get(t.target)!;
    assert.ok(Buffer.from(stripCustomSections(named)).equals(shipped),
      `${t.file} differs from its --debug twin without custom sections: run 'npm run -s build' (stale build/?)`);
    const m = readWasm(named);
    assert.ok(m.hasNames, 'the twin has a name section');
    assert.ok(m.start !== null, 'a start function');
    // The names are there to be matched: every defined function is named. (Whether the runtime's
    // allocator is still in the module depends on what the optimizer kept; the last test proves the
    // check finds it when something allocates.)
    const unnamed = m.functions.filter((f) => !f.imported && f.name === null).map((f) => f.index);
    assert.deepEqual(unnamed, [], 'every defined function has a name');
    const sites = allocatorSites(m).filter((s) => s.func !== m.start);
    if (sites.length) console.log(`${t.file}: allocating functions, none reachable from an export: ${sites.map((s) => funcName(m, s.func)).join(', ')}`);
    assert.ok(m.exports.filter((e) => e.kind === 'func').length >= 40, 'every export is a root');
    assert.deepEqual(allocationPaths(m), [], `${t.file} allocates after init:\n${describe(m)}`);
  });
}

test('the check fails on an allocation added on purpose in a TCP path (temporary StaticArray in tcp_state)', { timeout: 240_000 }, async () => {
  const FILE = 'assembly/api/tcp_api.ts', ANCHOR = 'export function tcpState(h: i32): i32 {';
  let patched = false;
  const named = await compileWithNames('assembly/index.ts', 'release', (file, text) => {
    if (file !== FILE) return text;
    assert.ok(text.includes(ANCHOR), `${FILE} no longer has "${ANCHOR}": update this test`);
    patched = true;
    return text.replace(ANCHOR, `${ANCHOR}\n  const tmp = new StaticArray<u8>(4); tmp[0] = <u8>h; if (tmp[0] == 0xff) return -1;`);
  });
  assert.ok(patched, `${FILE} was compiled with the allocation`);
  const m = readWasm(named);
  const paths = allocationPaths(m);
  const hit = paths.find((p) => p.export === 'tcp_state');
  assert.ok(hit, `the added allocation is found from tcp_state; found:\n${describe(m)}`);
  assert.match(hit.path.join(' -> '), /tcp_state/);
  assert.match(hit.why, /bump pointer|__new|__alloc|memory\.grow/);
  // The same module without names (as shipped): memory.grow alone still finds it.
  const bare = readWasm(stripCustomSections(named));
  assert.ok(allocationPaths(bare).some((p) => p.export === 'tcp_state' && p.why === 'executes memory.grow'),
    'found without a name section too');
});
