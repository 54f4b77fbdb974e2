// Issue 25: the AssemblyScript MQTT codec and client (apps/mqtt) fuzzed with the C client's inputs
// (test/fuzz/mqtt.ts: random bytes, well-formed server packet sequences, their mutations) through
// apps/mqtt/test/fuzz.ts, compiled with the runtime whose allocator traps: 10^6 inputs, no trap,
// no failed check (events consistent with their packet, sticky errors, progress on every call,
// canaries after the parser's buffer and the client's region intact, every connection closed,
// the client idle with its ring, marks and input empty after each input), every protocol error
// the client names reached. The same run: `npx tsx apps/mqtt/test/fuzz-run.ts --inputs 1000000`.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { compileFuzz, compileFuzzPatched, runAsFuzz } from '../apps/mqtt/test/fuzz-driver.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const INPUTS = Number(process.env.MQTT_AS_FUZZ_INPUTS ?? 1_000_000);
let wasm = '';
before(() => { wasm = compileFuzz(); }, { timeout: 200_000 });

test(`AS MQTT fuzz: ${INPUTS} inputs (seed ${SEED}), allocator that traps: no trap, no failed check, every protocol error reached`, { timeout: 300_000 }, () => {
  const r = runAsFuzz(wasm, SEED, INPUTS);
  assert.equal(r.failure, null, r.failure ?? '');
  assert.equal(r.inputs, INPUTS);
  assert.equal(r.parser + r.client + (INPUTS - r.parser - r.client), INPUTS);
  for (const e of ['OK', 'E_REMAINING_LENGTH', 'E_PACKET_TYPE', 'E_TOO_BIG', 'E_FLAGS', 'E_MALFORMED', 'E_PACKET_ID', 'E_QOS',
    'E_TOPIC', 'E_PROTOCOL', 'E_REFUSED', 'E_TIMEOUT', 'E_TCP']) {
    assert.ok(r.closes[e] > 0, `no input ended in ${e}: the generators miss that check (${JSON.stringify(r.closes)})`);
  }
  for (const k of ['messages', 'publishedOk', 'connects', 'events'] as const) assert.ok(r[k] > 0, `${k} = 0: the inputs never get that far`);
  console.log(`mqtt-as fuzz: ${r.inputs} inputs (${r.parser} parser, ${r.client} client) in ${r.ms} ms (wall): ${r.connects} CONNACKs, ` +
    `${r.messages} messages, ${r.publishedOk} publishes completed; closes ${JSON.stringify(r.closes)}`);
});

test('AS MQTT fuzz: the target catches a planted bug (a packet up to 8 bytes over the parser buffer accepted)', { timeout: 300_000 }, async () => {
  const bad = await compileFuzzPatched('apps/mqtt/codec.ts', (t) => t.replace('if (this.remaining > this.cap) return MQTT_E_TOO_BIG;',
    'if (this.remaining > this.cap + 8) return MQTT_E_TOO_BIG;'), wasm.replace(/\.wasm$/, '.planted.wasm'));
  const r = runAsFuzz(bad, SEED, 200_000);
  assert.ok(r.failure !== null, 'the planted bug went unnoticed');
  assert.match(r.failure!, /check 13 failed/, 'found by the canary after the parser buffer');
  console.log(`planted bug found: ${r.failure!.slice(0, 100)}`);
});
