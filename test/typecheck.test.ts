// TypeScript strict mode holds across host/, test/, bench/, scripts/ and examples/ (`tsc --noEmit`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

test('tsc --noEmit: no type errors', { timeout: 120_000 }, () => {
  const tsc = join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsc');
  const r = spawnSync(tsc, ['--noEmit', '-p', '.'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc reported:\n${r.stdout}${r.stderr}`);
});
