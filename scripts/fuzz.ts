// Long fuzz runs: `npm run fuzz -- --frames 10000000 [--seed S] [--check-every N] [--gen random,mutate,tcp]`.
// Same driver as test/fuzz.test.ts; prints frames, traps and the repro (seed, index, frame hex) of
// the first failure, and exits 1 on a trap, a broken invariant or a witness transfer that is not exact.
import { parseArgs } from 'node:util';
import { GENERATORS, runFuzz, type GeneratorName } from '../test/fuzz/driver.ts';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000_007) },
    'check-every': { type: 'string', default: '64' },
    gen: { type: 'string', default: GENERATORS.join(',') },
  },
});
const frames = Number(values.frames), seed = Number(values.seed), checkEvery = Number(values['check-every']);
const gens = values.gen.split(',') as GeneratorName[];
if (!(frames > 0) || !Number.isInteger(seed) || !(checkEvery > 0) || gens.some((g) => !GENERATORS.includes(g))) {
  console.error('usage: fuzz.ts --frames N --seed S [--check-every N] [--gen random,mutate,tcp]');
  process.exit(2);
}
const r = runFuzz({ seed, frames, checkEvery, generators: gens });
const rate = Math.round(r.framesRun / (r.wallMs / 1000));
console.log(`seed ${seed}: ${r.framesRun} frames ${JSON.stringify(r.perGenerator)} in ${r.wallMs} ms (${rate}/s), ` +
  `traps ${r.failure?.kind === 'trap' ? 1 : 0}, target re-opened ${r.revivals}x`);
if (r.failure) {
  const f = r.failure;
  console.log(`FAIL ${f.kind} in ${f.stack}: ${f.detail}\n  repro: --seed ${f.seed} --frames ${f.index + 1} (generator ${f.generator})\n  frame: ${f.frameHex}`);
  process.exit(1);
}
console.log(`witness: ${r.witnessDetail}`);
process.exit(r.witnessOk ? 0 : 1);
