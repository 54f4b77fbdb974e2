// Issues 4 and 5: every script in test/pd/scripts/ (packetdrill-style, format in test/pd/README.md)
// run against the checked build, each as its own test.
import { test } from 'node:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runScript } from './pd/runner.ts';

const DIR = join(import.meta.dirname, 'pd', 'scripts');
for (const f of readdirSync(DIR).filter((n) => n.endsWith('.pkt')).sort()) {
  test(`pd: ${f}`, () => { runScript(`test/pd/scripts/${f}`, readFileSync(join(DIR, f), 'utf8')); });
}
