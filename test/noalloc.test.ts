// Issue 18 bug 1, the dynamic half of the proof: the build whose runtime traps on any allocation
// (build/stack.noalloc.wasm, test/assembly/rt-trap.ts) runs the churn and flood suites
// (test/server.test.ts: 100,000-cycle TIME_WAIT churn, SYN flood; test/exhaustion.test.ts: every
// pool run dry, ARP and SYN floods) and the TCP fuzz (test/fuzz.test.ts, 1 M frames), each
// unchanged, through ASNET_BUILD=noalloc (test/helpers/build.ts makes the suites that pin the debug
// build load it too). Any allocation on a path these reach is an `unreachable` trap and fails them.
// The static half is test/noalloc-static.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

for (const suite of ['server', 'exhaustion', 'fuzz']) {
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
