// Node side of the AssemblyScript MQTT fuzz target (apps/mqtt/test/fuzz.ts): compiles it with the
// allocator that traps (test/assembly/rt-trap.ts) and feeds it the C client's fuzz inputs
// (test/fuzz/mqtt.ts, same seeds and generators). Used by test/mqtt-as-fuzz.test.ts and by the long
// run apps/mqtt/test/fuzz-run.ts.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../../host/rng.ts';
import { MQTT_GENERATORS, mqttInput } from '../../../test/fuzz/mqtt.ts';
import { MQTT_ERRORS } from '../../../host/mqtt-wasm.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
export const FUZZ_WASM = join(ROOT, 'build', 'test', 'mqtt-as-fuzz.wasm');

const FUZZ_ARGS = ['apps/mqtt/test/fuzz.ts', '-O3', '--runtime', 'test/assembly/rt-trap', '--use', 'abort=assembly/core/abort/stack_abort',
  '--noAssert', '--initialMemory', '4', '--maximumMemory', '4', '--bindings', 'raw'];

export function compileFuzz(out = FUZZ_WASM): string {
  mkdirSync(join(out, '..'), { recursive: true });
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'assemblyscript', 'bin', 'asc.js'), ...FUZZ_ARGS, '--outFile', out],
    { cwd: ROOT, stdio: 'pipe', timeout: 180_000 });
  return out;
}

/** The same build with one source file rewritten (a planted bug, to see a check fail), in memory. */
export async function compileFuzzPatched(file: string, patch: (text: string) => string, out: string): Promise<string> {
  const asc = (await import('assemblyscript/asc')).default;
  let wasm: Uint8Array | null = null, patched = false;
  const errors: string[] = [];
  const r = await asc.main([...FUZZ_ARGS, '--outFile', 'out.wasm'], {
    readFile(name: string, baseDir: string) {
      const path = join(ROOT, baseDir, name);
      if (!existsSync(path)) return null;
      const text = readFileSync(path, 'utf8');
      if (join(baseDir, name).replace(/^\.\//, '') !== file) return text;
      const t = patch(text);
      if (t === text) throw new Error(`compileFuzzPatched: the patch changed nothing in ${file}`);
      patched = true;
      return t;
    },
    writeFile(name: string, contents: string | Uint8Array) { if (name.endsWith(".wasm")) wasm = contents as Uint8Array; },
    listFiles() { return []; },
    stdout: { write: () => true } as never,
    stderr: { write: (x: string) => { errors.push(String(x)); return true; } } as never,
  });
  if (r.error) throw new Error(`asc: ${r.error.message}\n${errors.join('')}`);
  if (!patched || !wasm) throw new Error(`compileFuzzPatched: ${file} was not compiled`);
  writeFileSync(out, wasm);
  return out;
}

export type FuzzResult = {
  inputs: number; parser: number; client: number; events: number; messages: number; publishedOk: number; connects: number;
  closes: Record<string, number>; failure: string | null; ms: number;
};

type X = { memory: WebAssembly.Memory; fuzz_input(): number; fuzz_one(n: number): number; fuzz_failed(): number; fuzz_stat(i: number): number };

export function runAsFuzz(wasm: string, seed: number, count: number): FuzzResult {
  const env = { now_ms: () => 0, random: () => 4, netif_output: () => {} };
  const x = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasm)), { env }).exports as unknown as X;
  const at = x.fuzz_input() >>> 0;
  const rng = new Rng(seed);
  const t0 = Date.now();
  let failure: string | null = null;
  for (let i = 0; i < count; i++) {
    const input = mqttInput(rng, MQTT_GENERATORS[i % MQTT_GENERATORS.length]);
    new Uint8Array(x.memory.buffer).set(input, at);
    try {
      x.fuzz_one(input.length);
    } catch (e) {
      const id = x.fuzz_failed();
      failure = `input ${i} (seed ${seed}): ${id ? `check ${id} failed` : `trap: ${(e as Error).message}`}; bytes ${Buffer.from(input).toString('hex')}`;
      break;
    }
  }
  const s = (i: number) => x.fuzz_stat(i) >>> 0;
  const closes = Object.fromEntries(MQTT_ERRORS.map((name, k) => [name, s(7 + k)]));
  return { inputs: s(0), parser: s(1), client: s(2), events: s(3), messages: s(4), publishedOk: s(5), connects: s(6), closes, failure, ms: Date.now() - t0 };
}
