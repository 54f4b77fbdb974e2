// Issue 22 item 4: `npm pack` yields an installable package — exports `.`, `./sim`, `./net` and the
// .wasm builds, compiled JS with .d.ts — and the README's host-API snippet runs in a scratch project
// that installed the tarball (imports rewritten from ./host/*.ts to the package's subpaths).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const root = join(import.meta.dirname, '..');

test('npm pack: a tarball that installs into a scratch project and runs the README snippet', { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), `asnet-pack-${process.pid}-`));
  try {
    // npm pack runs prepack (asc builds into build/): in a copy of the repository, so the tests that
    // run beside this one never see the shared build/ half rewritten.
    const src = join(dir, 'src');
    const skip = new Set(['node_modules', '.git', 'build', 'dist', 'out', 'build-app', 'build-mcast', 'build-server']);
    cpSync(root, src, { recursive: true, filter: (p) => !skip.has(basename(p)) && !p.endsWith('.pcap') });
    symlinkSync(join(root, 'node_modules'), join(src, 'node_modules'));
    const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: src, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const tarball = join(dir, out.trim().split('\n').pop()!);
    assert.ok(existsSync(tarball), tarball);
    const listing = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' });
    for (const f of ['package/dist/host/index.js', 'package/dist/host/index.d.ts', 'package/dist/host/net.js', 'package/dist/host/net.d.ts',
      'package/dist/host/sim.js', 'package/dist/build/stack.wasm', 'package/dist/build/stack.checked.wasm', 'package/README.md']) {
      assert.ok(listing.includes(f), `${f} in the tarball`);
    }
    assert.ok(!/package\/(test|assembly|boards)\//.test(listing), 'no sources of other layers shipped');

    const app = join(dir, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', type: 'module', private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', tarball], { cwd: app, stdio: 'pipe' });

    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Using the host API')))?.[1];
    assert.ok(code);
    const js = code.replace("'./host/sim.ts'", "'asnet/sim'").replace("'./host/net.ts'", "'asnet/net'");
    assert.notEqual(js, code, 'the snippet imports ./host/sim.ts and ./host/net.ts');
    writeFileSync(join(app, 'snippet.mjs'), js);
    const run = execFileSync(process.execPath, ['snippet.mjs'], { cwd: app, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_TEST_CONTEXT: undefined } });
    assert.match(run, /echoed: hello over the virtual wire/);

    const check = `import * as a from 'asnet'; import { createRequire } from 'node:module';
      const wasm = import.meta.resolve('asnet/stack.wasm');
      console.log(typeof a.Sim, typeof a.HostNet, typeof a.Stack, wasm.endsWith('/dist/build/stack.wasm'));`;
    writeFileSync(join(app, 'check.mjs'), check);
    assert.equal(execFileSync(process.execPath, ['check.mjs'], { cwd: app, encoding: 'utf8' }).trim(), 'function function function true');
    const dts = readdirSync(join(app, 'node_modules', 'asnet', 'dist', 'host')).filter((f) => f.endsWith('.d.ts'));
    assert.ok(dts.length >= 8);
    for (const f of dts) {
      assert.doesNotMatch(readFileSync(join(app, 'node_modules', 'asnet', 'dist', 'host', f), 'utf8'), /from '\.\/[^']+\.ts'/, `${f}: .js specifiers`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
