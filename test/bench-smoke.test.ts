// The benchmark harnesses (bench/wasm2c, bench/lwip) build and complete a small run of every mode,
// so `npm run bench` cannot rot unnoticed. Timing is not checked here (bench/README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

const run = (bin: string, args: string[]) =>
  JSON.parse(execFileSync(bin, args, { encoding: 'utf8', timeout: 60_000 }).trim().split('\n').at(-1)!);

for (const dir of ['bench/wasm2c', 'bench/lwip']) {
  test(`${dir}: builds and runs bulk, conn and rr`, { timeout: 180_000 }, () => {
    execFileSync('make', ['-s', '-C', dir], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 120_000 });
    const bin = `${dir}/build/pair`;
    assert.equal(run(bin, ['bulk', '2']).bytes, 2 << 20);
    assert.equal(run(bin, ['conn', '20']).cycles, 20);
    assert.equal(run(bin, ['rr', '20', '1']).rounds, 20);
  });
}
