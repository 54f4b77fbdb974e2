// Issues 4 and 5: every script in test/pd/scripts/ (this runner's compact syntax) and
// test/pd/packetdrill/ (packetdrill's own syntax), each as its own test; and a line the runner does
// not support is reported as such, with file and line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runScript } from './pd/runner.ts';

for (const sub of ['scripts', 'packetdrill']) {
  const dir = join(import.meta.dirname, 'pd', sub);
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.pkt')).sort()) {
    test(`pd: ${sub}/${f}`, () => { runScript(`test/pd/${sub}/${f}`, readFileSync(join(dir, f), 'utf8')); });
  }
}

test('pd: an unsupported packetdrill line is reported clearly, with file and line', () => {
  const file = 'test/pd/packetdrill/unsupported.pkt.txt';
  assert.throws(() => runScript(file, readFileSync(file, 'utf8')),
    /unsupported\.pkt\.txt:2: .*fcntl[\s\S]*unsupported packetdrill line \(fcntl is not supported by this runner\)/);
});
