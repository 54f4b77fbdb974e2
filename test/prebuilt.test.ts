// prebuilt/stack.wasm is what `npm start` runs on a fresh clone (scripts/start.mjs). These checks keep
// it honest: it must be stamped with the current sources, be byte-identical to what the release build
// of those sources produces (asc output is deterministic), and get a fresh copy of the repository to
// its first line of output within 5 s without running the compiler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-ignore: plain .mjs helper shared with the scripts
import { root, sourceDigest } from '../scripts/source-digest.mjs';

const pre = join(root, 'prebuilt', 'stack.wasm');
const preStamp = join(root, 'prebuilt', 'stack.wasm.sources');

test('prebuilt/stack.wasm is stamped with the current sources (else run `npm run prebuilt`)', () => {
  assert.equal(readFileSync(preStamp, 'utf8').trim(), sourceDigest(), 'prebuilt/ is stale: run `npm run prebuilt` and commit it');
});

test('prebuilt/stack.wasm is byte-identical to the release build of the sources', () => {
  // npm test builds build/stack.wasm (release) from the working tree before the tests run.
  const built = readFileSync(join(root, 'build', 'stack.wasm'));
  const shipped = readFileSync(pre);
  assert.equal(shipped.length, built.length, 'size differs from build/stack.wasm');
  assert.ok(shipped.equals(built), 'bytes differ from build/stack.wasm');
});

test('npm start on a fresh copy prints its first line within 5 s, without compiling', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'asnet-start-'));
  try {
    for (const p of ['assembly', 'asconfig.json', 'host', 'scripts', 'prebuilt', 'package.json', 'tsconfig.json']) {
      if (existsSync(join(root, p))) cpSync(join(root, p), join(dir, p), { recursive: true });
    }
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    const t0 = Date.now();
    const child = spawn(process.execPath, [join(dir, 'scripts', 'start.mjs'), '--no-color'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    const first = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', () => resolve(Date.now() - t0));
      child.once('exit', (c) => reject(new Error(`exited ${c} before any output: ${err}`)));
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    console.log(`first output after ${first} ms`);
    assert.equal(code, 0, err);
    assert.doesNotMatch(err, /building build\/stack\.wasm/, 'it compiled instead of using prebuilt/');
    assert.ok(first < 5000, `first output after ${first} ms`);
    assert.ok(readFileSync(join(dir, 'build', 'stack.wasm')).equals(readFileSync(pre)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
