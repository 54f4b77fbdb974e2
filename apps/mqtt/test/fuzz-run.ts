// The long fuzz run of the AssemblyScript MQTT client: `npx tsx apps/mqtt/test/fuzz-run.ts --inputs 1000000 [--seed S]`.
// Prints the counters as JSON; exits 1 on a trap or a failed check (with the input to reproduce it).
import { parseArgs } from 'node:util';
import { compileFuzz, runAsFuzz } from './fuzz-driver.ts';

const { values } = parseArgs({ options: { inputs: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '20261202' } } });
const r = runAsFuzz(compileFuzz(), Number(values.seed), Number(values.inputs));
console.log(JSON.stringify(r));
process.exit(r.failure ? 1 : 0);
