// Issue 25: the MQTT parser and client fuzzed natively (boards/common/apps/mqtt/fuzz/mqtt_fuzz.c)
// with inputs from test/fuzz/mqtt.ts: 10^6 inputs under ASan + UBSan (any report aborts; LeakSanitizer
// runs at exit), and the first 20,000 again under valgrind memcheck (no error, nothing leaked). The
// generators must reach every protocol error the client names.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { mqttRecords } from './fuzz/mqtt.ts';

const DIR = join(import.meta.dirname, '..', 'boards', 'common', 'apps', 'mqtt');
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const INPUTS = 1_000_000;

before(() => {
  execFileSync('make', ['-C', DIR, '-s', 'build/mqtt-fuzz', 'build/mqtt-fuzz-vg'], { stdio: 'pipe', timeout: 120_000 });
});

/** Pipes `count` records into argv; resolves with exit status, stdout and stderr. */
function feed(argv: string[], count: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1' } });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out, err }));
    p.stdin.on('error', () => {});                     // a crash closes the pipe: the exit status says why
    (async () => {
      for (const chunk of mqttRecords(SEED, count)) {
        if (!p.stdin.write(chunk)) await new Promise((r) => p.stdin.once('drain', r));
        if (p.exitCode !== null) break;
      }
      p.stdin.end();
    })().catch(reject);
  });
}

test(`MQTT fuzz: ${INPUTS} inputs (seed ${SEED}) under ASan + UBSan: no report, every protocol error reached`, { timeout: 300_000 }, async () => {
  const t0 = Date.now();
  const r = await feed([join(DIR, 'build', 'mqtt-fuzz')], INPUTS);
  assert.equal(r.code, 0, `the fuzz target failed (exit ${r.code}):\n${r.err.slice(-4000)}`);
  assert.doesNotMatch(r.err, /AddressSanitizer|runtime error|LeakSanitizer/);
  const s = JSON.parse(r.out.trim());
  assert.equal(s.inputs, INPUTS);
  for (const e of ['OK', 'E_REMAINING_LENGTH', 'E_PACKET_TYPE', 'E_TOO_BIG', 'E_FLAGS', 'E_MALFORMED', 'E_PACKET_ID', 'E_QOS',
    'E_TOPIC', 'E_PROTOCOL', 'E_REFUSED', 'E_TIMEOUT', 'E_TCP']) {
    assert.ok(s.closes[e] > 0, `no input ended in ${e}: the generators miss that check (${JSON.stringify(s.closes)})`);
  }
  for (const k of ['messages', 'published_ok', 'connects', 'events']) assert.ok(s[k] > 0, `${k} = 0: the inputs never get that far`);
  console.log(`mqtt fuzz: ${s.inputs} inputs (${s.parser} parser, ${s.client} client) in ${Date.now() - t0} ms: ` +
    `${s.connects} CONNACKs, ${s.messages} messages, ${s.published_ok} publishes completed; closes ${JSON.stringify(s.closes)}`);
});

test('MQTT fuzz: the first 20,000 inputs under valgrind memcheck: no error, no leak', { timeout: 300_000 }, async () => {
  if (spawnSync('sh', ['-c', 'command -v valgrind']).status !== 0) assert.fail('valgrind is missing. Fix: apt-get install -y valgrind');
  const r = await feed(['valgrind', '-q', '--error-exitcode=99', '--leak-check=full', '--errors-for-leak-kinds=all',
    join(DIR, 'build', 'mqtt-fuzz-vg')], 20_000);
  assert.equal(r.code, 0, `valgrind: exit ${r.code}\n${r.err.slice(-4000)}`);
  assert.equal(JSON.parse(r.out.trim()).inputs, 20_000);
});
