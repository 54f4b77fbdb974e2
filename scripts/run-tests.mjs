// `npm test`: runs every test/*.test.ts with node's test runner (TypeScript through tsx).
// Node 20's runner does not expand globs, so the file list is built here. Extra arguments are
// test files or name filters: `npm test -- test/tcp-states.test.ts`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const args = process.argv.slice(2);
const files = args.filter((a) => a.endsWith('.ts'));
const list = files.length ? files : readdirSync('test').filter((f) => f.endsWith('.test.ts')).sort().map((f) => `test/${f}`);
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
// Tests run the checked build (release code + check_invariants) unless told otherwise.
const env = { ...process.env, ASNET_BUILD: process.env.ASNET_BUILD ?? 'checked' };
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...list], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
