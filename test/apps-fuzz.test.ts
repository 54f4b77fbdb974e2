// Issue 25: the SNTP and mDNS parsers (and the client/responder above them) fuzzed natively under
// ASan + UBSan with inputs from test/fuzz/apps.ts: 10^6 inputs each (any sanitizer report, failed
// check or leak aborts the target). The generators must reach every verdict / error the parsers name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { mdnsRecords, ntpRecords } from './fuzz/apps.ts';

const APPS = join(import.meta.dirname, '..', 'boards', 'common', 'apps');
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const INPUTS = 1_000_000;
const T = { timeout: 600_000 };

/** Pipes the generated records into the target; resolves with exit status, stdout and stderr. */
function feed(bin: string, records: Generator<Buffer>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1' } });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out, err }));
    p.stdin.on('error', () => {});
    (async () => {
      for (const chunk of records) {
        if (!p.stdin.write(chunk)) await new Promise((r) => p.stdin.once('drain', r));
        if (p.exitCode !== null) break;
      }
      p.stdin.end();
    })().catch(reject);
  });
}

test(`NTP reply parser and SNTP client: ${INPUTS} inputs (seed ${SEED}) under ASan + UBSan`, T, async () => {
  execFileSync('make', ['-C', join(APPS, 'sntp'), '-s', 'fuzz'], { stdio: 'pipe', timeout: 120_000 });
  const t0 = Date.now();
  const r = await feed(join(APPS, 'sntp', 'build', 'sntp-fuzz'), ntpRecords(SEED, INPUTS));
  assert.equal(r.code, 0, `the fuzz target failed (exit ${r.code}):\n${r.err.slice(-4000)}`);
  const s = JSON.parse(r.out.trim());
  assert.equal(s.inputs, INPUTS);
  for (const [k, v] of Object.entries(s.verdicts)) assert.ok((v as number) > 0, `no parser input ended in "${k}": ${JSON.stringify(s.verdicts)}`);
  assert.ok(s.synced > 1000 && s.client > 100_000, `the client path is exercised: ${r.out}`);
  console.log(`sntp fuzz: ${s.inputs} inputs (${s.client} through the client, ${s.synced} syncs) in ${Date.now() - t0} ms; verdicts ${JSON.stringify(s.verdicts)}`);
});

test(`mDNS reader and responder: ${INPUTS} inputs (seed ${SEED}) under ASan + UBSan`, T, async () => {
  execFileSync('make', ['-C', join(APPS, 'mdns'), '-s', 'fuzz'], { stdio: 'pipe', timeout: 120_000 });
  const t0 = Date.now();
  const r = await feed(join(APPS, 'mdns', 'build', 'mdns-fuzz'), mdnsRecords(SEED, INPUTS));
  assert.equal(r.code, 0, `the fuzz target failed (exit ${r.code}):\n${r.err.slice(-4000)}`);
  const s = JSON.parse(r.out.trim());
  assert.equal(s.inputs, INPUTS);
  for (const k of ['read_ok', 'read_short', 'read_name', 'malformed', 'answered', 'known_answer_suppressed', 'rate_limited', 'conflicts',
    'sent_probes', 'sent_responses']) {
    assert.ok(s[k] > 0, `${k} = 0: the generators never reach it (${r.out})`);
  }
  console.log(`mdns fuzz: ${s.inputs} inputs in ${Date.now() - t0} ms: ${r.out.trim()}`);
});
