// Issue 18 bug 1, the dynamic half of the proof: the build whose runtime traps on any allocation
// (build/stack.noalloc.wasm, test/assembly/rt-trap.ts) runs the churn and flood suites
// (test/server.test.ts: 100,000-cycle TIME_WAIT churn, SYN flood; test/exhaustion.test.ts: every
// pool run dry, ARP and SYN floods), each unchanged, through ASNET_BUILD=noalloc
// (test/helpers/build.ts makes the suites that pin the debug build load it too), and the TCP fuzz
// (test/fuzz/driver.ts, the same 1.05 M frames as test/fuzz.test.ts, with a wider time budget: here
// the question is "no trap", not its speed floor). Any allocation on a path these reach is an
// `unreachable` trap and fails them.
// The static half is test/noalloc-static.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { drainTarget, runFuzz } from './fuzz/driver.ts';
import { pinnedBuild } from './helpers/build.ts';

const ROOT = join(import.meta.dirname, '..');

for (const suite of ['server', 'exhaustion']) {
  test(`the noalloc build runs test/${suite}.test.ts`, { timeout: 300_000 }, () => {
    const env: NodeJS.ProcessEnv = { ...process.env, ASNET_BUILD: 'noalloc' };
    delete env.NODE_TEST_CONTEXT;                   // a run of its own, reporting TAP to us
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', `test/${suite}.test.ts`], {
      cwd: ROOT, encoding: 'utf8', timeout: 280_000, env,
    });
    const out = `${r.stdout}\n${r.stderr}`;
    const pass = Number(/# pass (\d+)/.exec(out)?.[1] ?? 0), fail = Number(/# fail (\d+)/.exec(out)?.[1] ?? -1);
    assert.equal(r.status, 0, `test/${suite}.test.ts failed on the noalloc build:\n${out.split('\n').filter((l) => /not ok|error:|trapped/.test(l)).join('\n')}`);
    assert.ok(pass > 0 && fail === 0, `pass ${pass}, fail ${fail}`);
  });
}

test('the noalloc build runs the TCP fuzz: 1.05 M frames, no trap, invariants, witness byte-exact, pools drain', { timeout: 330_000 }, () => {
  process.env.ASNET_BUILD = 'noalloc';              // this file's process only: the fuzz target's stacks load it
  assert.equal(pinnedBuild(), 'noalloc');
  const r = runFuzz({ seed: 20261124, frames: 1_050_000, timeBudgetMs: 300_000, checkEvery: 64 });
  assert.equal(r.failure, null, r.failure ? `${r.failure.kind} in ${r.failure.stack} (${r.failure.detail}) at frame ${r.failure.index}` : '');
  assert.ok(r.framesRun >= 1_000_000, `only ${r.framesRun} frames in ${r.wallMs} ms`);
  assert.ok(r.witnessOk, r.witnessDetail);
  assert.deepEqual(drainTarget(r.target), { A: {}, B: {} }, 'pools still in use after every socket closed');
  console.log(`noalloc fuzz: ${r.framesRun} frames in ${r.wallMs} ms, 0 traps`);
});
